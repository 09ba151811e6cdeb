//! What `hallq config check` holds a configuration to beyond its TOML types: references,
//! ranges and uniqueness (each error names the field, as in `services[3].queue`), and the
//! warnings about what works but a real hall should change.

use super::*;

impl Config {
    /// Checks what the TOML types cannot: references, ranges, uniqueness.
    /// Returns the field path (as in `services[3].queue`) and what is wrong.
    pub(super) fn validate(&self) -> Result<(), (String, String)> {
        let err = |field: String, message: String| Err((field, message));
        if let Err(m) = check_public_url(&self.hall.public_url) {
            return err("hall.public_url".into(), m);
        }
        if self.hours.open_days.is_empty() {
            return err("hours.open_days".into(), "list at least one weekday the hall is open".into());
        }
        for (i, d) in self.hours.holidays.iter().enumerate() {
            if self.hours.workdays.contains(d) {
                return err(
                    format!("hours.holidays[{i}]"),
                    format!("{d} is also in hours.workdays: a day is either a holiday or a make-up working day"),
                );
            }
        }
        if self.hours.sessions.is_empty() {
            return err("hours.sessions".into(), "give at least one session, such as { start = \"09:00\", end = \"17:00\" }".into());
        }
        let mut previous_end: Option<NaiveTime> = None;
        for (i, s) in self.hours.sessions.iter().enumerate() {
            let (start, end) = (s.start.0, s.end.0);
            if end <= start {
                return err(format!("hours.sessions[{i}].end"), "a session must end after it starts".into());
            }
            if previous_end.is_some_and(|p| start < p) {
                return err(format!("hours.sessions[{i}].start"), "sessions must be in order and must not overlap".into());
            }
            previous_end = Some(end);
        }
        for (what, lines) in [("ticket.header", &self.ticket.header), ("ticket.footer", &self.ticket.footer)] {
            if lines.len() > 6 {
                return err(what.into(), "at most 6 lines (a ticket is a slip of 80 mm paper)".into());
            }
            if let Some(i) = lines.iter().position(|l| l.chars().count() > 64 || l.contains(['\n', '\r'])) {
                return err(format!("{what}[{i}]"), "one line of at most 64 characters".into());
            }
        }
        if !(0.0..=1.0).contains(&self.voice.volume) {
            return err("voice.volume".into(), format!("{} is out of range: use 0.0 to 1.0", self.voice.volume));
        }
        if !(3..=60).contains(&self.display.page_seconds) {
            return err(
                "display.page_seconds".into(),
                format!("{} is out of range: use 3 to 60 seconds per page", self.display.page_seconds),
            );
        }
        if self.voice.repeat == 0 || self.voice.repeat > 5 {
            return err("voice.repeat".into(), "use 1 to 5".into());
        }
        if self.rules.no_show_after_minutes == 0 && self.rules.no_show_after_recalls > self.rules.max_recalls {
            return err(
                "rules.no_show_after_recalls".into(),
                format!(
                    "{} recalls can never be made (max_recalls = {}): a called ticket could never be marked 过号; lower it or set no_show_after_minutes",
                    self.rules.no_show_after_recalls, self.rules.max_recalls
                ),
            );
        }
        if self.rules.no_show_after_minutes > 120 {
            return err("rules.no_show_after_minutes".into(), "at most 120 minutes".into());
        }
        if self.rules.call_ratio.normal == 0 && self.rules.call_ratio.priority == 0 {
            return err("rules.call_ratio".into(), "normal and priority cannot both be 0".into());
        }

        let mut ids = BTreeSet::new();
        for (i, d) in self.departments.iter().enumerate() {
            if !ids.insert(d.id.as_str()) {
                return err(format!("departments[{i}].id"), format!("department \"{}\" is defined twice", d.id));
            }
        }
        let mut queue_ids = BTreeSet::new();
        let mut prefixes = BTreeSet::new();
        for (i, q) in self.queues.iter().enumerate() {
            if !queue_ids.insert(q.id.as_str()) {
                return err(format!("queues[{i}].id"), format!("queue \"{}\" is defined twice", q.id));
            }
            let ok_prefix = q.prefix.len() == 1 && q.prefix.chars().all(|c| c.is_ascii_uppercase());
            if !ok_prefix {
                return err(format!("queues[{i}].prefix"), format!("\"{}\" must be one capital letter A-Z", q.prefix));
            }
            if !prefixes.insert(q.prefix.as_str()) {
                return err(format!("queues[{i}].prefix"), format!("prefix \"{}\" is already used by another queue", q.prefix));
            }
            if q.daily_cap == 0 || q.daily_cap > 999 {
                return err(
                    format!("queues[{i}].daily_cap"),
                    format!("{} is out of range: numbers have three digits, so use 1 to 999", q.daily_cap),
                );
            }
            if q.service_minutes == 0 {
                return err(format!("queues[{i}].service_minutes"), "must be at least 1".into());
            }
            for (field, text, most) in [("waiting_area", &q.waiting_area, 16), ("waiting_area_en", &q.waiting_area_en, 48)] {
                if let Some(t) = text {
                    if t.trim().is_empty() || t.trim() != t || t.chars().count() > most {
                        return err(
                            format!("queues[{i}].{field}"),
                            format!("\"{t}\": give a place such as \"2楼B区等候区\" of at most {most} characters, no spaces around it"),
                        );
                    }
                }
            }
        }
        if self.queues.is_empty() {
            return err("queues".into(), "define at least one queue".into());
        }
        let mut service_ids = BTreeSet::new();
        for (i, s) in self.services.iter().enumerate() {
            if !service_ids.insert(s.id.as_str()) {
                return err(format!("services[{i}].id"), format!("service \"{}\" is defined twice", s.id));
            }
            if !s.materials_en.is_empty() && s.materials_en.len() != s.materials.len() {
                return err(
                    format!("services[{i}].materials_en"),
                    format!(
                        "{} English materials for {} materials: give one for each, in the same order",
                        s.materials_en.len(),
                        s.materials.len()
                    ),
                );
            }
            if !ids.contains(s.department.as_str()) {
                return err(format!("services[{i}].department"), format!("no department \"{}\" is defined", s.department));
            }
            if !queue_ids.contains(s.queue.as_str()) {
                return err(format!("services[{i}].queue"), format!("no queue \"{}\" is defined", s.queue));
            }
            if s.daily_cap == 0 {
                return err(format!("services[{i}].daily_cap"), "must be at least 1".into());
            }
        }
        if self.services.is_empty() {
            return err("services".into(), "define at least one service item".into());
        }
        let mut numbers = BTreeSet::new();
        for (i, w) in self.windows.iter().enumerate() {
            if w.number == 0 {
                return err(format!("windows[{i}].number"), "window numbers start at 1".into());
            }
            if !numbers.insert(w.number) {
                return err(format!("windows[{i}].number"), format!("window {} is defined twice", w.number));
            }
            if w.queues.is_empty() && w.kind != WindowKind::Comprehensive {
                return err(format!("windows[{i}].queues"), "only a comprehensive window may leave its queues empty (meaning all)".into());
            }
            for (j, q) in w.queues.iter().enumerate() {
                if !queue_ids.contains(q.as_str()) {
                    return err(format!("windows[{i}].queues[{j}]"), format!("no queue \"{q}\" is defined"));
                }
            }
            if let Some(z) = &w.zone {
                // A zone is typed in a display's address and command line: short, no spaces.
                if z.is_empty() || z.chars().count() > 16 || !z.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
                    return err(
                        format!("windows[{i}].zone"),
                        format!("\"{z}\" is not a zone name: use 1-16 letters, digits, Chinese characters, - or _ (such as \"报建区\")"),
                    );
                }
            }
        }
        let mut desks = BTreeSet::new();
        for (i, d) in self.desks.iter().enumerate() {
            if d.id.is_empty() || !d.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return err(format!("desks[{i}].id"), "use letters, digits, - and _ (such as \"desk-1\")".into());
            }
            if !desks.insert(d.id.as_str()) {
                return err(format!("desks[{i}].id"), format!("desk \"{}\" is defined twice", d.id));
            }
            if d.name.trim().is_empty() {
                return err(format!("desks[{i}].name"), "give the desk a name visitors know, such as \"1楼导引台\"".into());
            }
            use hallq_drivers::uri::DeviceUri;
            let ok_name = |n: &str| !n.is_empty() && n.len() <= 32 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            // The hall service opens this address: only a printer, never a file elsewhere.
            let allowed = match d.printer.parse::<DeviceUri>() {
                Ok(DeviceUri::Tcp { .. } | DeviceUri::Usb { .. }) => Ok(()),
                Ok(DeviceUri::Serial { path, .. }) if path.starts_with("/dev/") => Ok(()),
                Ok(DeviceUri::File { path }) if path.to_str().is_some_and(|p| p.starts_with("/dev/usb/lp")) => Ok(()),
                Ok(DeviceUri::Sim { name }) if ok_name(&name) => Ok(()),
                Ok(_) => Err("a ticket printer: tcp://HOST:9100, usb://VID:PID, serial:///dev/…, file:///dev/usb/lpN or sim://NAME (letters, digits, - and _)".to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(m) = allowed {
                return err(format!("desks[{i}].printer"), m);
            }
        }
        for (i, q) in self.queues.iter().enumerate() {
            if !self.windows.iter().any(|w| w.queues.is_empty() || w.queues.contains(&q.id)) {
                return err(format!("queues[{i}].id"), format!("no window serves queue \"{}\"", q.id));
            }
        }
        let mut tokens = BTreeSet::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if let Some(place) = &t.place {
                if place.trim().is_empty() || place.trim() != place || place.chars().count() > 24 {
                    return err(
                        format!("tokens[{i}].place"),
                        format!("\"{place}\": give a place such as \"1楼大厅东侧\" of at most 24 characters"),
                    );
                }
            }
            let field = match (&t.token, &t.token_sha256) {
                (Some(_), Some(_)) => {
                    return err(format!("tokens[{i}].token_sha256"), "give either token or token_sha256, not both".into());
                }
                (None, None) => return err(format!("tokens[{i}]"), "give the token: token = \"…\" or token_sha256 = \"…\"".into()),
                (Some(clear), None) => {
                    if clear.len() < 8 {
                        return err(format!("tokens[{i}].token"), "use at least 8 characters".into());
                    }
                    format!("tokens[{i}].token")
                }
                (None, Some(h)) => {
                    if !secrets::is_sha256_hex(h) {
                        return err(
                            format!("tokens[{i}].token_sha256"),
                            "expected 64 hex digits, from `printf %s TOKEN | sha256sum`".into(),
                        );
                    }
                    format!("tokens[{i}].token_sha256")
                }
            };
            if !tokens.insert(t.digest().expect("checked above")) {
                return err(field, "this token is given twice".into());
            }
            if t.role == Role::Counter && t.windows.is_empty() {
                return err(format!("tokens[{i}].windows"), "a counter token must name the windows it may operate".into());
            }
            if t.role == Role::Rating && t.windows.len() != 1 {
                return err(
                    format!("tokens[{i}].windows"),
                    "a rating token must name exactly one window, the one its tablet stands by (windows = [N])".into(),
                );
            }
            for (j, n) in t.windows.iter().enumerate() {
                if !numbers.contains(n) {
                    return err(format!("tokens[{i}].windows[{j}]"), format!("no window {n} is defined"));
                }
            }
        }
        for (i, t) in self.kiosk.tiles.iter().enumerate() {
            if !KIOSK_TILES.contains(&t.as_str()) {
                return err(format!("kiosk.tiles[{i}]"), format!("no tile \"{t}\"; tiles are {}", KIOSK_TILES.join(", ")));
            }
        }
        let pin = &self.kiosk.manager_pin;
        if !pin.is_empty() && !crate::kiosk::pin::is_argon2_phc(pin) {
            return err(
                "kiosk.manager_pin".into(),
                "not a PIN hash: make one with `hallq kiosk hash-pin` (an Argon2 PHC string, $argon2id$…)".into(),
            );
        }
        let old = &self.kiosk.manager_pin_sha256;
        if !old.is_empty() && !crate::kiosk::pin::is_sha256_hex(old) {
            return err(
                "kiosk.manager_pin_sha256".into(),
                "expected 64 hex digits; better, replace it by manager_pin from `hallq kiosk hash-pin`".into(),
            );
        }
        if !pin.is_empty() && !old.is_empty() {
            return err("kiosk.manager_pin_sha256".into(), "give manager_pin only: remove the old manager_pin_sha256".into());
        }
        if self.kiosk.idle_seconds < 10 || self.kiosk.idle_seconds_elderly < self.kiosk.idle_seconds {
            return err("kiosk.idle_seconds".into(), "use at least 10 s, and no less for the elderly mode".into());
        }
        if self.kiosk.offline_block > 100 {
            return err("kiosk.offline_block".into(), "at most 100 numbers per lease (leases are cut from 999 downwards)".into());
        }
        self.validate_alerts()?;
        let mut staff = BTreeSet::new();
        for (i, p) in self.staff.iter().enumerate() {
            if p.id.is_empty() || p.id.len() > 32 || !p.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return err(format!("staff[{i}].id"), "a staff number is 1-32 letters, digits or '-'".into());
            }
            if !staff.insert(p.id.as_str()) {
                return err(format!("staff[{i}].id"), format!("staff number {} is given twice", p.id));
            }
            // The shown form (GET /config) stands for the hash the hall holds: saving through
            // the API puts it back (see `secrets::restore_staff_passwords`).
            if argon2::PasswordHash::new(&p.password).is_err() && !secrets::is_shown_password(&p.password) {
                return err(format!("staff[{i}].password"), "not a password hash: make one with `hallq staff hash-password`".into());
            }
            if !matches!(p.role, Role::Counter | Role::Manager) {
                return err(format!("staff[{i}].role"), "a member of staff signs in as counter or manager".into());
            }
            if p.windows.is_empty() && p.role == Role::Counter {
                return err(format!("staff[{i}].windows"), "name the windows this person may operate".into());
            }
            for (j, n) in p.windows.iter().enumerate() {
                if !numbers.contains(n) {
                    return err(format!("staff[{i}].windows[{j}]"), format!("no window {n} is defined"));
                }
            }
        }
        Ok(())
    }

    /// `[alerts]` and the queues' own wait thresholds.
    fn validate_alerts(&self) -> Result<(), (String, String)> {
        let a = &self.alerts;
        let err = |field: &str, message: String| Err((field.to_string(), message));
        let order = |w: u32, c: u32| w == 0 || c == 0 || w < c;
        if !order(a.wait_warning_minutes, a.wait_critical_minutes) {
            return err(
                "alerts.wait_critical_minutes",
                format!(
                    "{} is not above wait_warning_minutes ({}): critical comes after warning (0 turns one off)",
                    a.wait_critical_minutes, a.wait_warning_minutes
                ),
            );
        }
        for (i, q) in self.queues.iter().enumerate() {
            let (w, c) = a.wait_thresholds(q);
            if !order(w, c) {
                let field = if q.wait_critical_minutes.is_some() { "wait_critical_minutes" } else { "wait_warning_minutes" };
                return Err((
                    format!("queues[{i}].{field}"),
                    format!(
                        "queue \"{}\" would warn after {w} min but be critical after {c} min: critical must come later (0 turns one off)",
                        q.id
                    ),
                ));
            }
        }
        for (field, minutes) in [
            ("wait_warning_minutes", a.wait_warning_minutes),
            ("wait_critical_minutes", a.wait_critical_minutes),
            ("window_paused_minutes", a.window_paused_minutes),
        ] {
            if minutes > 24 * 60 {
                return err(&format!("alerts.{field}"), format!("{minutes} minutes is more than a day; use 0 to turn this alert off"));
            }
        }
        for (field, secs) in [("kiosk_silent_seconds", a.kiosk_silent_seconds), ("display_silent_seconds", a.display_silent_seconds)] {
            if secs != 0 && !(10..=86_400).contains(&secs) {
                return err(&format!("alerts.{field}"), format!("{secs} s is out of range: use 10 to 86400, or 0 to turn this alert off"));
            }
        }
        if let Err(m) = check_webhook_url(&a.webhook_url) {
            return err("alerts.webhook_url", m);
        }
        let secret = &a.webhook_secret;
        if !secret.is_empty() && !secrets::is_redacted_secret(secret) && secret.chars().count() < 16 {
            return err("alerts.webhook_secret", "use at least 16 characters (such as `openssl rand -hex 24`)".into());
        }
        if !secret.is_empty() && a.webhook_url.is_empty() {
            return err("alerts.webhook_secret", "a secret without webhook_url signs nothing: set webhook_url too".into());
        }
        if !(1..=10).contains(&a.webhook_attempts) {
            return err("alerts.webhook_attempts", format!("{} is out of range: use 1 to 10", a.webhook_attempts));
        }
        if !(1..=60).contains(&a.webhook_timeout_seconds) {
            return err("alerts.webhook_timeout_seconds", format!("{} is out of range: use 1 to 60 s", a.webhook_timeout_seconds));
        }
        Ok(())
    }

    /// Things that work but that a real hall should change. (The published demo tokens and
    /// staff are worse: see [`Config::demo_secrets`].)
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        let mut out = Vec::new();
        if !self.kiosk.manager_pin_sha256.is_empty() {
            out.push(ConfigWarning(
                "kiosk.manager_pin_sha256 is an unsalted SHA-256: a short PIN is found from it at once. Replace it by \
                 manager_pin = \"$argon2id$…\" from `hallq kiosk hash-pin` (a slow, salted Argon2 hash; use 6 digits or more)"
                    .into(),
            ));
        }
        if self.kiosk.manager_pin_sha256 == DEMO_PIN_SHA256 {
            out.push(ConfigWarning("kiosk.manager_pin_sha256 is the demo PIN 2468; set your own before opening the hall".into()));
        }
        if secrets::is_redacted_secret(&self.alerts.webhook_secret) {
            out.push(ConfigWarning(
                "alerts.webhook_secret is only the SHA-256 of a secret (as GET /config shows it): webhooks go out unsigned. \
                 Write the secret itself"
                    .into(),
            ));
        }
        for p in self.staff.iter().filter(|p| secrets::is_shown_password(&p.password)) {
            out.push(ConfigWarning(format!(
                "staff {}'s password is only the digest of a hash (as GET /config shows it): put the file back through the \
                 console or PUT /config, which restores the hash, or write one from `hallq staff hash-password`; as it is, {} cannot sign in",
                p.id, p.id
            )));
        }
        if self.kiosk.manager_pin == DEMO_PIN_PHC {
            out.push(ConfigWarning(
                "kiosk.manager_pin is the demo PIN 2468; set your own with `hallq kiosk hash-pin` before opening the hall".into(),
            ));
        }
        out
    }
}
