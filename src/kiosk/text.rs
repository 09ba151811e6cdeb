//! The kiosk's texts made in Rust, translated the way Slint's `@tr` translates the
//! screens: Chinese is the source language and the English comes from the same catalogue,
//! `ui/translations/en/LC_MESSAGES/hallq-ui.po`. A text missing there shows in Chinese.
//!
//! `tr!(english, "前面还有 {} 人", n)`: `{}` takes the arguments in turn, `{0}`, `{1}`… by
//! position, as in Slint.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

/// The English catalogue, shared with the Slint screens.
const PO: &str = include_str!("../../ui/translations/en/LC_MESSAGES/hallq-ui.po");

static ENGLISH: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse_po(PO));

/// A text in the visitor's language, with its arguments put in.
macro_rules! tr {
    ($english:expr, $zh:literal $(, $arg:expr)* $(,)?) => {
        $crate::kiosk::text::translate($english, $zh, &[$(&$arg as &dyn ::std::fmt::Display),*])
    };
}
pub(crate) use tr;

/// See [`tr!`].
pub fn translate(english: bool, zh: &str, args: &[&dyn Display]) -> String {
    let pattern = if english { ENGLISH.get(zh).map(String::as_str).unwrap_or(zh) } else { zh };
    format_args_like_slint(pattern, args)
}

/// Whether the catalogue has an English text for `zh` (for the test that every Rust text
/// is translated).
pub fn has_english(zh: &str) -> bool {
    ENGLISH.contains_key(zh)
}

fn format_args_like_slint(pattern: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut next = 0;
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].is_empty() || after[..close].bytes().all(|b| b.is_ascii_digit()) => {
                let index = if close == 0 {
                    next += 1;
                    next - 1
                } else {
                    after[..close].parse().unwrap_or(usize::MAX)
                };
                if let Some(a) = args.get(index) {
                    out.push_str(&a.to_string());
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// msgid → msgstr of a .po file (one context, no plurals: what Slint's bundler reads).
fn parse_po(po: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let (mut id, mut text, mut in_str) = (String::new(), String::new(), false);
    let mut flush = |id: &mut String, text: &mut String| {
        if !id.is_empty() && !text.is_empty() {
            map.insert(std::mem::take(id), std::mem::take(text));
        }
        id.clear();
        text.clear();
    };
    for line in po.lines().map(str::trim) {
        if let Some(q) = line.strip_prefix("msgid ") {
            flush(&mut id, &mut text);
            id = unquote(q);
            in_str = false;
        } else if let Some(q) = line.strip_prefix("msgstr ") {
            text = unquote(q);
            in_str = true;
        } else if line.starts_with('"') {
            if in_str {
                text.push_str(&unquote(line));
            } else {
                id.push_str(&unquote(line));
            }
        }
    }
    flush(&mut id, &mut text);
    map
}

fn unquote(q: &str) -> String {
    let inner = q.trim().trim_start_matches('"').trim_end_matches('"');
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_in_turn_and_by_position() {
        assert_eq!(translate(false, "前面还有 {} 人，预计等候约 {} 分钟", &[&3, &10]), "前面还有 3 人，预计等候约 10 分钟");
        assert_eq!(translate(true, "前面还有 {} 人，预计等候约 {} 分钟", &[&3, &10]), "3 people ahead, about 10 minutes");
        assert_eq!(format_args_like_slint("{1} and {0}", &[&"a", &"b"]), "b and a");
        assert_eq!(format_args_like_slint("a {x} b", &[]), "a {x} b");
    }

    /// Every `tr!` text of the kiosk's Rust code has its English in the catalogue.
    #[test]
    fn every_rust_text_is_in_the_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kiosk");
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("text.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (at, _) in source.match_indices("tr!(") {
                let call = &source[at..];
                let Some(open) = call.find('"') else { continue };
                let Some(len) = call[open + 1..].find('"') else { continue };
                let zh = &call[open + 1..open + 1 + len];
                seen += 1;
                if !has_english(zh) {
                    missing.push(format!("{}: {zh}", path.file_name().unwrap().to_string_lossy()));
                }
            }
        }
        assert!(seen > 50, "only {seen} texts found");
        assert!(missing.is_empty(), "no English in hallq-ui.po for:\n{}", missing.join("\n"));
    }
}
