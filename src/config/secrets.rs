//! The configuration's secrets: access tokens (in clear or as SHA-256), looking a presented
//! token up in constant time, the published demo tokens and staff that a real hall must not
//! run with, and the configuration text with its tokens redacted (what `GET /config` shows).

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::{locate, Config, ConfigError, Token};

/// SHA-256 of `text`, as the configuration's `token_sha256` writes it (hex, lower case).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The configuration cannot be shown without `what` (at `field`) in clear.
fn cannot_show(field: &str, what: &str) -> ConfigError {
    ConfigError {
        file: "config".into(),
        line: None,
        field: field.into(),
        message: format!("cannot show this configuration without {what}"),
    }
}

/// Whether `s` is 64 hex digits.
pub(super) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// How `GET /config` shows `[alerts] webhook_secret`: `sha256:` and the SHA-256 of the
/// secret, so a manager sees whether it changed without seeing it.
pub fn redacted_secret(secret: &str) -> String {
    format!("sha256:{}", sha256_hex(secret))
}

/// Whether `s` is a secret's shown form ([`redacted_secret`]), not a secret.
pub fn is_redacted_secret(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(is_sha256_hex)
}

/// `text` (a valid configuration) with a clear `[alerts] webhook_secret` replaced by its
/// shown form; the layout is kept when the key is on its own line under `[alerts]`.
fn redact_webhook_secret(text: &str) -> Result<String, ConfigError> {
    let mut config = Config::parse(text, "config")?;
    let secret = config.alerts.webhook_secret.clone();
    if secret.is_empty() || is_redacted_secret(&secret) {
        return Ok(text.to_string());
    }
    let shown = redacted_secret(&secret);
    let hidden = |t: &str| Config::parse(t, "config").is_ok_and(|c| c.alerts.webhook_secret == shown) && !t.contains(secret.as_str());
    let mut out = String::with_capacity(text.len());
    let mut in_alerts = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let t = body.trim_start();
        if t.starts_with('[') {
            in_alerts = t.split('#').next().map(str::trim) == Some("[alerts]");
        }
        let is_secret = t.strip_prefix("webhook_secret").map(str::trim_start).is_some_and(|r| r.starts_with('='));
        if in_alerts && is_secret {
            let indent = &body[..body.len() - t.len()];
            out.push_str(&format!("{indent}webhook_secret = \"{shown}\"{}", &line[body.len()..]));
        } else {
            out.push_str(line);
        }
    }
    if hidden(&out) {
        return Ok(out);
    }
    config.alerts.webhook_secret = shown.clone();
    match toml::to_string(&config) {
        Ok(written) if hidden(&written) => Ok(written),
        _ => Err(cannot_show("alerts.webhook_secret", "its webhook secret in clear")),
    }
}

/// A new configuration `text` whose `[alerts] webhook_secret` is a shown form
/// (`sha256:…`, as `GET /config` gave it) gets the secret of `previous` (the version in
/// force) back in its place, so a configuration read, edited and put back keeps its secret.
/// A shown form that is not the secret in force is refused: the hall cannot sign with it.
/// Any other text is returned as it is (errors in it are the caller's to report).
pub fn restore_webhook_secret(text: &str, previous: Option<&str>) -> Result<String, ConfigError> {
    let Ok(mut config) = Config::parse(text, "config") else { return Ok(text.to_string()) };
    let shown = config.alerts.webhook_secret.clone();
    if !is_redacted_secret(&shown) {
        return Ok(text.to_string());
    }
    let kept = previous
        .and_then(|p| Config::parse(p, "config").ok())
        .map(|c| c.alerts.webhook_secret)
        .filter(|s| !s.is_empty() && !is_redacted_secret(s) && redacted_secret(s).eq_ignore_ascii_case(&shown));
    let Some(secret) = kept else {
        return Err(ConfigError {
            file: "config".into(),
            line: locate(text, "alerts.webhook_secret"),
            field: "alerts.webhook_secret".into(),
            message: "this is the SHA-256 of a secret the hall does not hold: write the secret itself".into(),
        });
    };
    let quoted = toml::Value::String(secret.clone()).to_string();
    let pattern = format!("\"{shown}\"");
    if text.matches(&pattern).count() == 1 {
        let restored = text.replacen(&pattern, &quoted, 1);
        if Config::parse(&restored, "config").is_ok_and(|c| c.alerts.webhook_secret == secret) {
            return Ok(restored);
        }
    }
    config.alerts.webhook_secret = secret;
    toml::to_string(&config).map_err(|e| ConfigError {
        file: "config".into(),
        line: None,
        field: "alerts.webhook_secret".into(),
        message: format!("cannot write the configuration with its secret: {e}"),
    })
}

impl Token {
    /// The SHA-256 of this token, from its clear form or its `token_sha256`. None only for a
    /// token that did not validate.
    pub fn digest(&self) -> Option<[u8; 32]> {
        match (&self.token, &self.token_sha256) {
            (Some(clear), _) => Some(sha256(clear.as_bytes())),
            (None, Some(h)) if is_sha256_hex(h) => {
                let mut out = [0u8; 32];
                hex::decode_to_slice(h, &mut out).ok()?;
                Some(out)
            }
            _ => None,
        }
    }

    /// The token with its clear form replaced by its SHA-256.
    pub fn redacted(&self) -> Token {
        let mut t = self.clone();
        if let Some(d) = self.digest() {
            t.token = None;
            t.token_sha256 = Some(hex::encode(d));
        }
        t
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keep the compiler from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

/// What the published demo hall (the embedded default) gives away: its tokens' digests and
/// its staff's password hashes.
struct Published {
    tokens: Vec<[u8; 32]>,
    staff_passwords: Vec<String>,
}

fn published() -> &'static Published {
    static P: OnceLock<Published> = OnceLock::new();
    P.get_or_init(|| {
        let demo = Config::demo();
        Published {
            tokens: demo.tokens.iter().filter_map(Token::digest).collect(),
            staff_passwords: demo.staff.iter().map(|p| p.password.clone()).collect(),
        }
    })
}

impl Config {
    /// The token a device presented, if it is one of this configuration's: its SHA-256 is
    /// compared with every token's (clear ones are hashed), each comparison in constant
    /// time and all of them made, so neither the answer's time nor an early exit tells how
    /// much of a token was right.
    pub fn token_for(&self, presented: &str) -> Option<&Token> {
        let wanted = sha256(presented.as_bytes());
        let mut found = None;
        for t in &self.tokens {
            let Some(d) = t.digest() else { continue };
            if constant_time_eq(&d, &wanted) && found.is_none() {
                found = Some(t);
            }
        }
        found
    }

    /// The published demo secrets this configuration holds: tokens of the demo hall (in
    /// clear, any `demo-` token, or as the SHA-256 of one) and demo staff accounts (the demo
    /// hall's password hashes, or a name starting with 示例). Each is (field, message).
    pub fn demo_secrets(&self) -> Vec<(String, String)> {
        let p = published();
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let named = t.token.as_deref().is_some_and(|c| c.starts_with("demo-"));
            let known = t.digest().is_some_and(|d| p.tokens.iter().any(|k| constant_time_eq(k, &d)));
            if named || known {
                let (field, shown) = match &t.token {
                    Some(c) => (format!("tokens[{i}].token"), format!("token \"{c}\"")),
                    None => (format!("tokens[{i}].token_sha256"), "this token".to_string()),
                };
                out.push((
                    field,
                    format!(
                        "{shown} ({} {}) is a published demo token; replace it with a long random one (such as `openssl rand -hex 24`) before opening the hall",
                        format!("{:?}", t.role).to_lowercase(),
                        t.name
                    ),
                ));
            }
        }
        for (i, s) in self.staff.iter().enumerate() {
            if s.name.starts_with("示例") || p.staff_passwords.contains(&s.password) {
                out.push((
                    format!("staff[{i}]"),
                    format!("staff {} ({}) is a demo account with a published password; remove it before opening the hall", s.id, s.name),
                ));
            }
        }
        out
    }

    /// [`Config::demo_secrets`] as errors located in `text` (the text this configuration
    /// was parsed from), named `file`.
    pub fn demo_secret_errors(&self, text: &str, file: &str) -> Vec<ConfigError> {
        self.demo_secrets()
            .into_iter()
            .map(|(field, message)| ConfigError { file: file.into(), line: locate(text, &field), field, message })
            .collect()
    }
}

/// `text` (a valid configuration) with every clear `token = "…"` replaced by its
/// `token_sha256 = "…"`, so that it can be shown and, put back, keeps the same tokens
/// working. The layout and comments are kept when the tokens are written one key per
/// line under `[[tokens]]` (as the documented default does); any other layout is written
/// out again from the parsed configuration, without comments. Either way the result is
/// checked: it parses, its tokens are the same, and no clear token is left in it. The
/// webhook secret is shown as its SHA-256 and every staff password hash as
/// [`shown_password`]; both are restored when the text is put back.
pub fn redact_tokens(text: &str) -> Result<String, ConfigError> {
    // Staff password hashes last: the text they leave does not validate as a configuration.
    redact_staff_passwords(&redact_tokens_and_secret(text)?)
}

/// How `GET /config` shows a staff member's password hash: `kept:sha256:` and the SHA-256
/// of the Argon2 hash. A manager sees whether a password changed, but cannot try
/// passwords against the hash offline (its salt and output are not shown), and so cannot
/// act as a colleague.
pub fn shown_password(hash: &str) -> String {
    format!("kept:sha256:{}", sha256_hex(hash))
}

/// Whether `s` is a password hash's shown form ([`shown_password`]), not a hash.
pub fn is_shown_password(s: &str) -> bool {
    s.strip_prefix("kept:").is_some_and(is_redacted_secret)
}

/// `text` (a valid configuration) with every `[[staff]]` password hash in its shown form
/// ([`shown_password`]).
fn redact_staff_passwords(text: &str) -> Result<String, ConfigError> {
    let config = Config::parse(text, "config")?;
    let shown = |hash: &str| if is_shown_password(hash) { hash.to_string() } else { shown_password(hash) };
    let wanted: Vec<String> = config.staff.iter().map(|s| shown(&s.password)).collect();
    let hidden = |t: &str| {
        Config::parse(t, "config").is_ok_and(|c| c.staff.iter().map(|s| s.password.clone()).eq(wanted.iter().cloned()))
            && config.staff.iter().all(|s| is_shown_password(&s.password) || !t.contains(s.password.as_str()))
    };
    if wanted.iter().zip(&config.staff).all(|(w, s)| *w == s.password) {
        return Ok(text.to_string());
    }
    let mut out = text.to_string();
    for s in config.staff.iter().filter(|s| !is_shown_password(&s.password)) {
        out = out.replace(s.password.as_str(), &shown_password(&s.password));
    }
    if hidden(&out) {
        return Ok(out);
    }
    let mut plain = config.clone();
    for s in &mut plain.staff {
        s.password = shown(&s.password);
    }
    match toml::to_string(&plain) {
        Ok(written) if hidden(&written) => Ok(written),
        _ => Err(cannot_show("staff", "its staff's password hashes")),
    }
}

/// A new configuration `text` whose staff passwords are in their shown form (as `GET
/// /config` gave them) gets the hashes of `previous` (the version in force) back in their
/// place, matched by the digest itself, so a configuration read, edited and put back keeps
/// every password, also of staff moved about in the file.
///
/// Only a `password = "kept:sha256:…"` line under `[[staff]]` is restored: the shown form
/// anywhere else (a comment, a name, a key) is refused, so a manager cannot have a
/// colleague's hash written where it would be shown, echoed in an error or published. A
/// shown form of a hash the hall does not hold is refused too. Check the text as it came
/// before restoring it (its errors quote the text; the restored one must never be quoted).
pub fn restore_staff_passwords(text: &str, previous: Option<&str>) -> Result<String, ConfigError> {
    const PREFIX: &str = "kept:sha256:";
    if !text.contains(PREFIX) {
        return Ok(text.to_string());
    }
    let held: Vec<String> = previous
        .and_then(|p| Config::parse(p, "config").ok())
        .map(|c| c.staff.into_iter().map(|s| s.password).collect())
        .unwrap_or_default();
    let refuse = |line: usize, message: &str| ConfigError {
        file: "config".into(),
        line: Some(line),
        field: "staff.password".into(),
        message: message.into(),
    };
    let mut out = String::with_capacity(text.len());
    let mut in_staff = false;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let t = body.trim_start();
        if t.starts_with('[') {
            in_staff = t.split('#').next().map(str::trim) == Some("[[staff]]");
        }
        if !line.contains(PREFIX) {
            out.push_str(line);
            continue;
        }
        // `password = "kept:sha256:<64 hex digits>"`, a comment after it at most.
        let value = t.strip_prefix("password").map(str::trim_start).and_then(|r| r.strip_prefix('=')).map(str::trim_start);
        let quoted = value.and_then(|v| {
            let q = v.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let end = v[1..].find(q)? + 1;
            let after = v[end + 1..].trim_start();
            (after.is_empty() || (after.starts_with('#') && !after.contains(PREFIX))).then(|| &v[1..end])
        });
        let Some(shown) = quoted.filter(|s| in_staff && is_shown_password(s)) else {
            return Err(refuse(
                n + 1,
                "kept:sha256:… stands for a password hash the hall holds: it may only be a [[staff]] password, \
                 on its own line as GET /config shows it",
            ));
        };
        let Some(hash) = held.iter().find(|h| shown_password(h).eq_ignore_ascii_case(shown)) else {
            return Err(refuse(
                n + 1,
                "this is the digest of a password hash the hall does not hold: make one with `hallq staff hash-password`",
            ));
        };
        out.push_str(&line.replacen(shown, hash, 1));
    }
    Ok(out)
}

/// [`redact_tokens`] but for the staff's passwords.
fn redact_tokens_and_secret(text: &str) -> Result<String, ConfigError> {
    // The webhook's secret first: shown as its SHA-256, kept when put back.
    let text = &redact_webhook_secret(text)?;
    let config = Config::parse(text, "config")?;
    if config.tokens.iter().all(|t| t.token.is_none()) {
        return Ok(text.to_string());
    }
    if let Some(redacted) = redact_lines(text) {
        if is_redaction_of(&config, &redacted) {
            return Ok(redacted);
        }
    }
    let mut plain = config.clone();
    plain.tokens = plain.tokens.iter().map(Token::redacted).collect();
    let written = toml::to_string(&plain).map_err(|e| ConfigError {
        file: "config".into(),
        line: None,
        field: "tokens".into(),
        message: format!("cannot write the configuration without its tokens: {e}"),
    })?;
    if is_redaction_of(&config, &written) {
        Ok(written)
    } else {
        Err(cannot_show("tokens", "its tokens in clear"))
    }
}

/// Whether `redacted` is a configuration with the same tokens as `original`, none in clear,
/// and none of `original`'s clear tokens anywhere in its text.
fn is_redaction_of(original: &Config, redacted: &str) -> bool {
    let Ok(r) = Config::parse(redacted, "config") else { return false };
    r.tokens.len() == original.tokens.len()
        && r.tokens.iter().all(|t| t.token.is_none())
        && r.tokens
            .iter()
            .zip(&original.tokens)
            .all(|(a, b)| a.digest() == b.digest() && a.role == b.role && a.name == b.name && a.windows == b.windows)
        && original.tokens.iter().filter_map(|t| t.token.as_deref()).all(|c| !redacted.contains(c))
}

/// The line-by-line redaction: `token = VALUE` lines inside `[[tokens]]` tables.
fn redact_lines(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut in_tokens = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let t = body.trim_start();
        if t.starts_with('[') {
            in_tokens = t.split('#').next().map(str::trim) == Some("[[tokens]]");
        }
        let value = t.strip_prefix("token").map(str::trim_start).and_then(|r| r.strip_prefix('='));
        match value {
            Some(value) if in_tokens => {
                let parsed: toml::Table = toml::from_str(&format!("token = {value}")).ok()?;
                let clear = parsed.get("token")?.as_str()?;
                let indent = &body[..body.len() - t.len()];
                out.push_str(&format!("{indent}token_sha256 = \"{}\"{ending}", sha256_hex(clear)));
            }
            _ => out.push_str(line),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_TOML;

    #[test]
    fn a_token_is_found_in_clear_or_by_its_sha256() {
        let c = Config::demo();
        assert_eq!(c.token_for("demo-manager").map(|t| t.name.as_str()), Some("manager"));
        assert!(c.token_for("demo-manage").is_none());
        assert!(c.token_for("").is_none());
        let text = DEFAULT_TOML.replacen(
            "token = \"demo-manager\"",
            &format!("token_sha256 = \"{}\"", sha256_hex("a-long-random-manager-token")),
            1,
        );
        let c = Config::parse(&text, "x").unwrap();
        assert_eq!(c.token_for("a-long-random-manager-token").map(|t| t.name.as_str()), Some("manager"));
        assert!(c.token_for("demo-manager").is_none());
        // Upper-case hex is the same digest.
        let upper = DEFAULT_TOML.replacen(
            "token = \"demo-manager\"",
            &format!("token_sha256 = \"{}\"", sha256_hex("abcdefgh12").to_uppercase()),
            1,
        );
        assert!(Config::parse(&upper, "x").unwrap().token_for("abcdefgh12").is_some());
    }

    #[test]
    fn a_token_is_written_one_way_only_and_once() {
        let both = DEFAULT_TOML.replacen(
            "token = \"demo-manager\"",
            &format!("token = \"demo-manager\"\ntoken_sha256 = \"{}\"", sha256_hex("x")),
            1,
        );
        assert!(Config::parse(&both, "x").unwrap_err().message.contains("either"));
        let neither = DEFAULT_TOML.replacen("token = \"demo-manager\"\n", "", 1);
        assert!(Config::parse(&neither, "x").unwrap_err().message.contains("token"));
        let short = DEFAULT_TOML.replacen("token = \"demo-manager\"", "token_sha256 = \"abc\"", 1);
        let e = Config::parse(&short, "x").unwrap_err();
        assert!(e.field.ends_with("token_sha256") && e.line.is_some(), "{e}");
        // The same token in clear and as SHA-256 is a duplicate.
        let dup = DEFAULT_TOML.replacen("token = \"demo-manager\"", &format!("token_sha256 = \"{}\"", sha256_hex("demo-display")), 1);
        assert!(Config::parse(&dup, "x").unwrap_err().message.contains("twice"));
    }

    #[test]
    fn demo_tokens_and_staff_are_found_in_either_form() {
        let demo = Config::demo();
        let found = demo.demo_secrets();
        assert_eq!(found.len(), demo.tokens.len() + demo.staff.len(), "{found:?}");
        let errors = demo.demo_secret_errors(DEFAULT_TOML, "hall.toml");
        let line = DEFAULT_TOML.lines().position(|l| l.contains("\"demo-kiosk-1\"")).unwrap() + 1;
        assert_eq!(errors[0].line, Some(line), "{}", errors[0]);
        // Redacted, the demo tokens are still the demo tokens.
        let redacted = Config::parse(&redact_tokens(DEFAULT_TOML).unwrap(), "x").unwrap();
        assert_eq!(redacted.demo_secrets().len(), found.len());
    }

    /// The staff's password hashes are shown as digests of the hashes, and the text put
    /// back is the text in force again, byte for byte.
    #[test]
    fn staff_password_hashes_are_shown_as_digests_and_restored() {
        let r = redact_tokens(DEFAULT_TOML).unwrap();
        let demo = Config::demo();
        for p in &demo.staff {
            assert!(!r.contains(p.password.as_str()), "{} shown", p.id);
            assert!(r.contains(&format!("password = \"{}\"", shown_password(&p.password))), "{}", p.id);
        }
        let shown = Config::parse(&r, "x").unwrap();
        assert!(shown.staff.iter().all(|p| is_shown_password(&p.password)));
        assert_eq!(shown.warnings().iter().filter(|w| w.0.contains("cannot sign in")).count(), demo.staff.len());
        // Put back: the hashes in force return (the tokens stay as their digests).
        let back = restore_staff_passwords(&r, Some(DEFAULT_TOML)).unwrap();
        let restored = Config::parse(&back, "x").unwrap();
        let hashes = |c: &Config| c.staff.iter().map(|p| p.password.clone()).collect::<Vec<_>>();
        assert_eq!(hashes(&restored), hashes(&demo));
        // Redacting an already redacted text changes nothing; a digest the hall does not hold
        // is refused at its line.
        assert_eq!(redact_tokens(&r).unwrap(), r);
        let at = r.find("kept:sha256:").unwrap() + "kept:sha256:".len();
        let unknown = format!("{}{}{}", &r[..at], "0".repeat(64), &r[at + 64..]);
        let e = restore_staff_passwords(&unknown, Some(DEFAULT_TOML)).unwrap_err();
        assert_eq!(e.line, Some(unknown[..at].lines().count()));
        assert!(restore_staff_passwords(&r, None).is_err(), "nothing held: nothing to restore");
        // A digest anywhere but a [[staff]] password line is refused, not restored: in a
        // comment (then shown by GET /config), a name (published), any other value (quoted in
        // an error), or with more digits.
        let digest = shown_password(&demo.staff[0].password);
        for (what, smuggled) in [
            ("a comment", format!("{r}\n# {digest}\n")),
            ("a name", r.replacen("name = \"示例县市民之家\"", &format!("name = \"{digest}\""), 1)),
            ("a comment after the password", r.replacen(&format!("\"{digest}\""), &format!("\"{digest}\" # {digest}"), 1)),
            ("65 digits", r.replacen(&digest, &format!("{digest}0"), 1)),
        ] {
            assert_ne!(smuggled, r, "{what}: the text changed");
            let e = restore_staff_passwords(&smuggled, Some(DEFAULT_TOML)).expect_err(what);
            assert!(!e.to_string().contains("$argon2"), "{what}: {e}");
        }
        // A comment of its own after the password is kept.
        let commented = r.replacen(&format!("\"{digest}\""), &format!("\"{digest}\" # changed in November"), 1);
        let back = restore_staff_passwords(&commented, Some(DEFAULT_TOML)).unwrap();
        assert!(back.contains(&format!("\"{}\" # changed in November", demo.staff[0].password)));
    }

    #[test]
    fn redaction_keeps_the_layout_and_the_tokens() {
        let r = redact_tokens(DEFAULT_TOML).unwrap();
        for t in Config::demo().tokens {
            assert!(!r.contains(t.token.as_deref().unwrap()), "a clear token is left");
        }
        assert!(r.contains(&format!("token_sha256 = \"{}\"", sha256_hex("demo-kiosk-1"))));
        assert!(r.contains("# Access tokens."), "comments are kept");
        let c = Config::parse(&r, "x").unwrap();
        assert_eq!(c.token_for("demo-counter-1-6").map(|t| t.windows.len()), Some(6));
        // Redacting again changes nothing.
        assert_eq!(redact_tokens(&r).unwrap(), r);
    }

    #[test]
    fn the_webhook_secret_is_shown_as_its_sha256_and_kept_when_put_back() {
        let secret = "a-webhook-secret-of-the-hall-42";
        let text = DEFAULT_TOML.replacen(
            "webhook_url = \"\"",
            &format!("webhook_url = \"https://ops.example.cn/hooks/hallq\"\nwebhook_secret = \"{secret}\""),
            1,
        );
        let c = Config::parse(&text, "x").unwrap();
        assert_eq!(c.alerts.signing_key(), Some(secret.as_bytes()));
        let shown = redact_tokens(&text).unwrap();
        assert!(!shown.contains(secret), "the secret is shown in clear");
        assert!(shown.contains(&format!("webhook_secret = \"{}\"", redacted_secret(secret))), "{shown}");
        assert!(shown.contains("# Alerts for managers"), "comments are kept");
        // Shown, it signs nothing and says so.
        let c = Config::parse(&shown, "x").unwrap();
        assert_eq!(c.alerts.signing_key(), None);
        assert!(c.warnings().iter().any(|w| w.0.contains("webhooks go out unsigned")));
        // Put back as shown: the secret in force is kept.
        let back = restore_webhook_secret(&shown, Some(&text)).unwrap();
        assert_eq!(Config::parse(&back, "x").unwrap().alerts.signing_key(), Some(secret.as_bytes()));
        // Against another secret, or none in force: refused at the field.
        let other = text.replacen(secret, "another-secret-of-16-chars", 1);
        let e = restore_webhook_secret(&shown, Some(&other)).unwrap_err();
        assert_eq!(e.field, "alerts.webhook_secret");
        assert!(e.line.is_some() && e.message.contains("write the secret itself"), "{e}");
        assert!(restore_webhook_secret(&shown, None).is_err());
        // A text with the secret itself is taken as it is.
        assert_eq!(restore_webhook_secret(&text, None).unwrap(), text);
    }

    #[test]
    fn redaction_of_another_layout_falls_back_to_writing_the_configuration() {
        // Tokens as an inline array, which the line redaction does not handle.
        let start = DEFAULT_TOML.find("[[tokens]]").unwrap();
        let end = DEFAULT_TOML.find("[[staff]]").unwrap();
        let text = format!(
            "tokens = [{{ token = \"secret-inline-token\", role = \"manager\", name = \"m\" }}]\n{}{}",
            &DEFAULT_TOML[..start],
            &DEFAULT_TOML[end..]
        );
        let r = redact_tokens(&text).unwrap();
        assert!(!r.contains("secret-inline-token"), "{r}");
        assert!(Config::parse(&r, "x").unwrap().token_for("secret-inline-token").is_some());
    }
}
