//! Hall configuration: the TOML file hall managers edit, its types, and its validation.
//!
//! The documented default (the demo hall) is embedded and printed by `hallq config default`.
//! Validation errors name the file, the line and the field, so an installer can fix them.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

mod check;
pub mod live;
pub mod scale;
pub mod secrets;

pub use secrets::{redact_tokens, sha256_hex, shown_password};

/// The documented default configuration: the demo hall.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub hall: Hall,
    pub hours: Hours,
    pub rules: Rules,
    pub departments: Vec<Department>,
    pub queues: Vec<Queue>,
    pub services: Vec<Service>,
    pub windows: Vec<Window>,
    #[serde(default)]
    pub tokens: Vec<Token>,
    /// Staff who sign in at a counter with their staff number and password.
    #[serde(default)]
    pub staff: Vec<Staff>,
    #[serde(default)]
    pub display: Display,
    #[serde(default)]
    pub documents: DocumentsConfig,
    #[serde(default)]
    pub kiosk: KioskConfig,
    #[serde(default)]
    pub ticket: TicketConfig,
    #[serde(default)]
    pub voice: Voice,
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// Service desks (导引台) that issue and reprint tickets on their own ticket printer.
    #[serde(default)]
    pub desks: Vec<Desk>,
}

/// A service desk (`[[desks]]`): staff there issue tickets for desk-only items and for
/// visitors without a card, and reprint lost tickets, on the desk's ticket printer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desk {
    /// Such as "desk-1" (ASCII).
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub floor: i32,
    /// The desk's ticket printer as the hall service reaches it: `tcp://HOST:9100` (a
    /// network printer), `usb://VID:PID`, `serial:///dev/ttyUSB0`, `file:///dev/usb/lp0`,
    /// or `sim://NAME` (the built-in simulator, drawing each ticket to DATA/sim/NAME/).
    pub printer: String,
}

/// Alerts for managers (`[alerts]`): when a wait, a pause, a device or a silence is worth
/// telling, and the webhook each raise and clear is POSTed to. A threshold of 0 turns that
/// alert off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// A queue's longest wait past this raises a warning (a queue's own
    /// `wait_warning_minutes` overrides it).
    pub wait_warning_minutes: u32,
    /// …and past this, a critical alert.
    pub wait_critical_minutes: u32,
    /// A window paused longer than this.
    pub window_paused_minutes: u32,
    /// A kiosk not heard from for this long (kiosks ask for the catalogue every 15 s).
    pub kiosk_silent_seconds: u32,
    /// A display token with no event stream open for this long.
    pub display_silent_seconds: u32,
    /// Where each raise and clear is POSTed as JSON (http or https); empty: nowhere.
    pub webhook_url: String,
    /// With it, each POST carries `X-Hallq-Signature: sha256=HEX`, the HMAC-SHA256 of the
    /// body. `GET /config` shows only `sha256:` and its SHA-256; put back as shown, the
    /// secret in force is kept.
    pub webhook_secret: String,
    /// Tries per raise or clear (1-10), with growing delays (1 s, 2 s, 4 s… at most 60 s).
    pub webhook_attempts: u32,
    /// Each try's deadline (1-60 s).
    pub webhook_timeout_seconds: u32,
}

impl Default for AlertsConfig {
    fn default() -> AlertsConfig {
        AlertsConfig {
            wait_warning_minutes: 30,
            wait_critical_minutes: 60,
            window_paused_minutes: 30,
            kiosk_silent_seconds: 120,
            display_silent_seconds: 120,
            webhook_url: String::new(),
            webhook_secret: String::new(),
            webhook_attempts: 5,
            webhook_timeout_seconds: 5,
        }
    }
}

impl AlertsConfig {
    /// The key webhook bodies are signed with: none when no secret is set, or when only its
    /// redacted form (`sha256:…`) is there.
    pub fn signing_key(&self) -> Option<&[u8]> {
        (!self.webhook_secret.is_empty() && !secrets::is_redacted_secret(&self.webhook_secret)).then_some(self.webhook_secret.as_bytes())
    }

    /// A queue's (warning, critical) wait thresholds in minutes, 0 for off.
    pub fn wait_thresholds(&self, queue: &Queue) -> (u32, u32) {
        (queue.wait_warning_minutes.unwrap_or(self.wait_warning_minutes), queue.wait_critical_minutes.unwrap_or(self.wait_critical_minutes))
    }
}

/// `[alerts] webhook_url`: an absolute http(s) URL with a host.
fn check_webhook_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Ok(());
    }
    let example = "such as \"https://ops.example.cn/hooks/hallq\"";
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Err(format!("\"{url}\" is not an http(s) URL; give the address alerts are POSTed to, {example}"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("\"{url}\" has no valid host (and no user or spaces); {example}"));
    }
    Ok(())
}

/// What the kiosks offer and say (`[kiosk]`); changes reach running kiosks live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskConfig {
    /// Home tiles in order: personal, business, hot, departments, search, floors,
    /// appointment, results, scan.
    pub tiles: Vec<String>,
    /// A line under the header of the home screen.
    pub welcome: String,
    pub welcome_en: String,
    /// Argon2id hash (PHC string) of the PIN that opens the kiosk's manager menu (five taps
    /// on the top-left corner), from `hallq kiosk hash-pin`; empty: no manager menu. Only
    /// kiosks are sent it.
    pub manager_pin: String,
    /// The old form: unsalted SHA-256 (hex) of the PIN. Still read when `manager_pin` is
    /// empty, but `config check` warns: a short PIN falls to it at once.
    pub manager_pin_sha256: String,
    pub idle_seconds: u32,
    pub idle_seconds_elderly: u32,
    /// Numbers per queue a kiosk leases in advance to issue from while the hall service is
    /// unreachable (printed 离线取号, uploaded on reconnect); 0: no offline issuing.
    pub offline_block: u32,
}

/// SHA-256 of the published demo PIN, 2468.
pub const DEMO_PIN_SHA256: &str = "a1fb4e703a9ef1fa4936801721ff285a97ac85330856674412e054892afe6972";
/// Argon2id hash of the published demo PIN, 2468 (the demo configuration's `manager_pin`).
pub const DEMO_PIN_PHC: &str = "$argon2id$v=19$m=24576,t=3,p=1$p5fCtLthf+mBGXkwfWzUsw$+j2KJauy7Rr3NA34YDpltfBeJmc+msaWLXeaAwD+F/w";

pub const KIOSK_TILES: &[&str] = &["personal", "business", "hot", "departments", "search", "floors", "appointment", "results", "scan"];

impl Default for KioskConfig {
    fn default() -> KioskConfig {
        KioskConfig {
            tiles: KIOSK_TILES.iter().map(|t| t.to_string()).collect(),
            welcome: String::new(),
            welcome_en: String::new(),
            manager_pin: String::new(),
            manager_pin_sha256: String::new(),
            idle_seconds: 60,
            idle_seconds_elderly: 120,
            offline_block: 10,
        }
    }
}

/// The printed queue ticket (`[ticket]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TicketConfig {
    /// Lines above the number; `{hall}` is the hall's name.
    pub header: Vec<String>,
    pub footer: Vec<String>,
    /// Print the QR code that opens the visitor's status page.
    pub qr: bool,
}

impl Default for TicketConfig {
    fn default() -> TicketConfig {
        TicketConfig { header: vec!["{hall}".into()], footer: vec!["最多跑一次 · 感谢您的耐心等候".into()], qr: true }
    }
}

/// How long the hall keeps documents (`[documents]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// Days a result PDF waits for its owner before it is deleted unprinted.
    pub result_keep_days: u32,
    /// Days scanned materials stay attached to their ticket.
    pub attachment_keep_days: u32,
}

impl Default for DocumentsConfig {
    fn default() -> DocumentsConfig {
        DocumentsConfig { result_keep_days: 30, attachment_keep_days: 7 }
    }
}

/// What the window and hall displays show besides calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Display {
    /// The notice ticker along the bottom of the hall display.
    pub notice: String,
    /// How many recent calls the hall display lists.
    pub recent_calls: usize,
    /// Seconds each page of the hall display stays up when its windows or queues take
    /// more than one page (3 to 60).
    pub page_seconds: u32,
}

impl Default for Display {
    fn default() -> Display {
        Display { notice: String::new(), recent_calls: 8, page_seconds: 8 }
    }
}

/// Voice calling on the hall display.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Voice {
    pub enabled: bool,
    /// Times each call is announced.
    pub repeat: u32,
    /// 0.0 to 1.0.
    pub volume: f32,
    /// Also announce in English after Chinese.
    pub english: bool,
    /// Directory of recorded clips (请.wav, 号.wav, 到.wav, 楼.wav, 负.wav, 窗口办理.wav, 零.wav … 九.wav,
    /// 十.wav, 百.wav, A.wav … Z.wav). Clips missing there are generated with espeak-ng.
    pub clips_dir: Option<std::path::PathBuf>,
}

impl Default for Voice {
    fn default() -> Voice {
        Voice { enabled: true, repeat: 2, volume: 1.0, english: false, clips_dir: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hall {
    pub name: String,
    pub name_en: String,
    /// Hall-local offset from UTC, such as "+08:00".
    pub utc_offset: UtcOffset,
    #[serde(default = "default_retention")]
    pub identity_retention_days: u32,
    /// The base URL visitors' phones reach the hall at (the public listener, `hallq serve
    /// --public-listen`, or a proxy in front of it), such as "https://hall.example.cn":
    /// the ticket QR opens `{public_url}/t/{id}`. Empty: the kiosk's `--server` address.
    #[serde(default)]
    pub public_url: String,
}

/// `[hall] public_url`: empty, or an absolute http(s) URL of a host (and port), without
/// path, query or fragment (a trailing "/" is allowed).
fn check_public_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Ok(());
    }
    let example = "such as \"https://hall.example.cn\" or \"https://192.168.1.10:8444\"";
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Err(format!("\"{url}\" is not an http(s) URL; give the base address visitors' phones open, {example}"));
    };
    let host = rest.strip_suffix('/').unwrap_or(rest);
    if host.is_empty() {
        return Err(format!("\"{url}\" has no host; {example}"));
    }
    if host.contains(['/', '?', '#', '@']) || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("\"{url}\" must be the base address only, without path, query or user; {example}"));
    }
    // host, [v6], host:port
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((ip, after)) if ip.parse::<std::net::Ipv6Addr>().is_ok() => (ip, after.strip_prefix(':')),
            _ => return Err(format!("\"{url}\" has a malformed IPv6 address; {example}")),
        },
        None => match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        },
    };
    if name.is_empty() || (!host.starts_with('[') && !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.')) {
        return Err(format!("\"{url}\" has no valid host name; {example}"));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("\"{url}\" has an invalid port; {example}"));
        }
    }
    Ok(())
}

fn default_retention() -> u32 {
    90
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub open_days: Vec<Day>,
    pub sessions: Vec<Session>,
    pub issue_cutoff: ClockTime,
    /// Public holidays (法定节假日): closed whatever the weekday, such as "2026-10-01".
    #[serde(default)]
    pub holidays: Vec<HallDate>,
    /// Make-up working days (调休): open although the weekday is not in `open_days`.
    #[serde(default)]
    pub workdays: Vec<HallDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub start: ClockTime,
    pub end: ClockTime,
}

/// A wall-clock time of the hall, written "HH:MM" (parsed once, when the file is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(pub NaiveTime);

/// The hall's offset from UTC, written "+08:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcOffset(pub FixedOffset);

/// A calendar day, written "2026-10-01" (quoted, or as a TOML date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HallDate(pub NaiveDate);

impl fmt::Display for HallDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for HallDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HallDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Toml(toml::value::Datetime),
        }
        let text = match Form::deserialize(d)? {
            Form::Text(t) => t,
            Form::Toml(t) => t.to_string(),
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(HallDate)
            .map_err(|_| serde::de::Error::custom(format!("\"{text}\" is not a date like \"2026-10-01\"")))
    }
}

/// A weekday, written "mon" … "sun".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Day(pub Weekday);

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_string().to_lowercase())
    }
}

/// Serialized as written ("09:00", "+08:00", "mon"), read through `parse` with a message
/// that says what was expected; toml places it at its line.
macro_rules! text_form {
    ($t:ty, $parse:expr, $expected:literal) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $parse(&text).ok_or_else(|| serde::de::Error::custom(format!("\"{text}\" is not {}", $expected)))
            }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                $parse(text).ok_or_else(|| format!("\"{text}\" is not {}", $expected))
            }
        }
    };
}

text_form!(ClockTime, |t: &str| parse_time(t).map(ClockTime), "a time like \"09:00\"");
text_form!(UtcOffset, |t: &str| parse_offset(t).map(UtcOffset), "an offset like \"+08:00\"");
text_form!(Day, |t: &str| parse_weekday(t).map(Day), "a weekday (mon, tue, wed, thu, fri, sat, sun)");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub per_person_daily_limit: u32,
    pub green_channel_age: u32,
    pub call_ratio: CallRatio,
    pub max_recalls: u32,
    pub recall_min_gap_secs: u32,
    /// 过号: a window may mark the ticket it called a no-show once it has recalled it this
    /// many times, or `no_show_after_minutes` after the first call, whichever comes first.
    /// Both 0: at once (the counter still asks to confirm). The rule is printed on tickets.
    #[serde(default)]
    pub no_show_after_recalls: u32,
    #[serde(default)]
    pub no_show_after_minutes: u32,
    pub requeue_within_minutes: u32,
    pub appointment_early_minutes: u32,
    /// How long before its slot an appointment may be checked in at a kiosk.
    #[serde(default = "default_checkin_early")]
    pub appointment_checkin_early_minutes: u32,
    /// How long after its slot starts an appointment may still be checked in.
    #[serde(default = "default_checkin_late")]
    pub appointment_checkin_late_minutes: u32,
}

fn default_checkin_early() -> u32 {
    60
}

fn default_checkin_late() -> u32 {
    30
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRatio {
    pub normal: u32,
    pub priority: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub prefix: String,
    pub daily_cap: u32,
    pub service_minutes: u32,
    /// Where its visitors wait, such as "2楼B区等候区" (screen and ticket: 请在…等候). Not
    /// given: the waiting area of the floor most of its windows are on ("1楼等候区").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_area: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_area_en: Option<String>,
    /// This queue's own `[alerts] wait_warning_minutes` (0: no wait warning here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_warning_minutes: Option<u32>,
    /// This queue's own `[alerts] wait_critical_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_critical_minutes: Option<u32>,
}

pub use hallq_proto::{Category, IdentityRule, Mode};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub department: String,
    pub queue: String,
    pub mode: Mode,
    pub category: Category,
    pub time_limit_days: u32,
    pub promised_days: u32,
    pub daily_cap: u32,
    pub identity: IdentityRule,
    #[serde(default)]
    pub hot: bool,
    pub materials: Vec<String>,
    /// The materials in English, one for each of `materials`, in the same order (English
    /// screens show the Chinese of any left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials_en: Vec<String>,
    /// Offered on the kiosks (false: taken at the service desk only).
    #[serde(default = "yes")]
    pub kiosk: bool,
}

fn yes() -> bool {
    true
}

pub use hallq_proto::WindowKind;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub number: u32,
    pub name: String,
    pub kind: WindowKind,
    pub floor: i32,
    /// Queue ids served; empty on a comprehensive window means every queue.
    pub queues: Vec<String>,
    /// The area of its floor the window stands in, such as "报建区" or "east": a hall
    /// display can show one zone (`hallq display --hall --zone Z`, `/display/hall?zone=Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

pub use hallq_proto::Role;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The token in clear, as the device presents it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Or its SHA-256 in hex (`printf %s TOKEN | sha256sum`), so the file does not hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sha256: Option<String>,
    pub role: Role,
    pub name: String,
    #[serde(default)]
    pub windows: Vec<u32>,
    /// A kiosk's place in the hall, such as "1楼大厅东侧": staff answering its visitor's
    /// call for help (帮办) go there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

/// A member of staff who signs in with their staff number and password (instead of a
/// device's token): at the counter terminal, or as a hall manager.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// Staff number (工号).
    pub id: String,
    pub name: String,
    /// Argon2 hash in PHC form, from `hallq staff hash-password`; never the password.
    pub password: String,
    /// Windows this person may operate (a manager may operate every window).
    #[serde(default)]
    pub windows: Vec<u32>,
    /// `counter` (the default) or `manager`: what the person's session may do.
    #[serde(default = "counter_role")]
    pub role: Role,
}

fn counter_role() -> Role {
    Role::Counter
}

/// A configuration error, located in the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}: {}", self.file, line, self.field, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A warning: the file works, but a hall should not run it as it is.
#[derive(Debug, Clone)]
pub struct ConfigWarning(pub String);

impl Config {
    /// The embedded demo hall.
    pub fn demo() -> Config {
        Config::parse(DEFAULT_TOML, "<default>").expect("the embedded default configuration is valid")
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: None,
            field: "-".into(),
            message: format!("cannot read the file: {e}"),
        })?;
        Config::parse(&text, &file)
    }

    /// Parses and validates a configuration text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(text, s.start));
            let field = e.span().and_then(|s| key_before(text, s.start)).unwrap_or_else(|| "-".into());
            ConfigError { file: file.into(), line, field, message: e.message().trim().to_string() }
        })?;
        if let Err((field, message)) = config.validate() {
            return Err(ConfigError { file: file.into(), line: locate(text, &field), field, message });
        }
        Ok(config)
    }

    pub fn offset(&self) -> FixedOffset {
        self.hall.utc_offset.0
    }

    pub fn open_days(&self) -> Vec<Weekday> {
        self.hours.open_days.iter().map(|d| d.0).collect()
    }

    /// Whether the hall opens on `date`: not on a holiday, on a make-up working day, else
    /// on its open weekdays.
    pub fn open_on(&self, date: NaiveDate) -> bool {
        if self.hours.holidays.contains(&HallDate(date)) {
            return false;
        }
        self.hours.workdays.contains(&HallDate(date)) || self.hours.open_days.iter().any(|d| d.0 == date.weekday())
    }

    pub fn sessions(&self) -> Vec<(NaiveTime, NaiveTime)> {
        self.hours.sessions.iter().map(|s| (s.start.0, s.end.0)).collect()
    }

    pub fn issue_cutoff(&self) -> NaiveTime {
        self.hours.issue_cutoff.0
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn queue(&self, id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.id == id)
    }

    pub fn window(&self, number: u32) -> Option<&Window> {
        self.windows.iter().find(|w| w.number == number)
    }

    /// Where the visitors of `queue` wait, in Chinese and English: the queue's
    /// `waiting_area`, or the waiting area of the floor most of its windows are on (the
    /// lower floor on a tie). Empty for an unknown queue or one no window serves.
    pub fn waiting_area(&self, queue: &str) -> (String, String) {
        let Some(q) = self.queue(queue) else { return (String::new(), String::new()) };
        let windows: Vec<(u32, i32)> = self.windows.iter().filter(|w| self.window_serves(w, queue)).map(|w| (w.number, w.floor)).collect();
        let floor = hallq_drivers::printer::ticket::main_floor(&windows);
        let zh = match (&q.waiting_area, floor) {
            (Some(a), _) => a.clone(),
            (None, Some(f)) => format!("{f}楼等候区"),
            (None, None) => String::new(),
        };
        let en = match (&q.waiting_area_en, &q.waiting_area, floor) {
            (Some(a), _, _) => a.clone(),
            (None, Some(a), _) => a.clone(),
            (None, None, Some(f)) => format!("the waiting area on floor {f}"),
            (None, None, None) => String::new(),
        };
        (zh, en)
    }

    /// The 过号 rule as visitors read it on the ticket and status page, from `[rules]`, in
    /// Chinese and English.
    pub fn no_show_rule(&self) -> (String, String) {
        let r = &self.rules;
        let (zh_when, en_when) = match (r.no_show_after_recalls, r.no_show_after_minutes) {
            (0, 0) => ("叫号时未到".to_string(), "not there when called".to_string()),
            (n, 0) => (format!("叫号后重呼{n}次仍未到"), format!("not there after the call and {n} recalls")),
            (0, m) => (format!("叫号{m}分钟后仍未到"), format!("not there {m} minutes after the call")),
            (n, m) => (format!("叫号后重呼{n}次或{m}分钟仍未到"), format!("not there after {n} recalls or {m} minutes after the call")),
        };
        let limit = r.requeue_within_minutes;
        let zh = if limit == 0 {
            format!("过号：{zh_when}即为过号，请重新取号。")
        } else {
            format!("过号：{zh_when}即为过号；过号{limit}分钟内可到窗口重新排队，逾时请重新取号。")
        };
        let en = if limit == 0 {
            format!("Missed turn: {en_when}; please take a new number.")
        } else {
            format!("Missed turn: {en_when}; within {limit} minutes a window can put you back in the queue, later take a new number.")
        };
        (zh, en)
    }

    /// Where kiosk `name` stands (its token's `place`), or "".
    pub fn kiosk_place(&self, name: &str) -> &str {
        self.tokens.iter().find(|t| t.role == Role::Kiosk && t.name == name).and_then(|t| t.place.as_deref()).unwrap_or("")
    }

    /// Whether window `number` serves queue `queue`.
    pub fn window_serves(&self, window: &Window, queue: &str) -> bool {
        window.queues.is_empty() || window.queues.iter().any(|q| q == queue)
    }
}

pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 || rest.len() != 5 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

pub fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The key whose value starts at `offset` (`start` in `{ start = "9am" }`), for naming the
/// field of an error toml reports by position only.
fn key_before(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let eq = before.rfind('=')?;
    let key: String = before[..eq]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!key.is_empty() && before[eq + 1..].trim().is_empty()).then_some(key)
}

/// Finds the line of a field path such as `services[3].queue` or `hours.issue_cutoff` in
/// the text. It follows the TOML layout the documented default uses (array-of-tables
/// headers, one key per line); when the layout differs it returns the table's line or none.
fn locate(text: &str, path: &str) -> Option<usize> {
    let mut parts = path.split('.');
    let head = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let (table, index) = match head.split_once('[') {
        Some((name, idx)) => (name, idx.trim_end_matches(']').parse::<usize>().ok()),
        None => (head, None),
    };
    let lines: Vec<&str> = text.lines().collect();
    let header = match index {
        Some(_) => format!("[[{table}]]"),
        None => format!("[{table}]"),
    };
    let mut seen = 0usize;
    let mut start = None;
    for (n, line) in lines.iter().enumerate() {
        if line.trim() == header {
            if index.is_none() || Some(seen) == index {
                start = Some(n);
                break;
            }
            seen += 1;
        }
    }
    let start = start?;
    let key = rest.first().map(|k| k.split('[').next().unwrap_or(k));
    if let Some(key) = key {
        for (n, line) in lines.iter().enumerate().skip(start + 1) {
            let t = line.trim_start();
            if t.starts_with('[') && !t.starts_with("[\"") {
                break;
            }
            if t.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('=')) {
                return Some(n + 1);
            }
        }
    }
    Some(start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_a_full_demo_hall() {
        let c = Config::demo();
        assert!(c.departments.len() >= 8);
        assert!(c.services.len() >= 40);
        assert!(c.windows.len() >= 24);
        for mode in Mode::ALL {
            assert!(c.services.iter().any(|s| s.mode == mode), "no item in mode {}", mode.label_zh());
        }
        assert!(c.services.iter().all(|s| !s.materials.is_empty()));
        let floors: BTreeSet<i32> = c.windows.iter().map(|w| w.floor).collect();
        assert_eq!(floors.len(), 2);
        assert!(c.windows.iter().any(|w| w.kind == WindowKind::Instant));
        assert!(c.windows.iter().any(|w| w.kind == WindowKind::Comprehensive));
        assert_eq!(c.sessions().len(), 2, "a morning and an afternoon session around lunch");
    }

    #[test]
    fn unknown_queue_is_named_with_its_line() {
        let text = DEFAULT_TOML.replacen("queue = \"C\"", "queue = \"Z\"", 1);
        let e = Config::parse(&text, "hall.toml").unwrap_err();
        let expected_line = text.lines().position(|l| l.contains("queue = \"Z\"")).unwrap() + 1;
        assert_eq!(e.field, "services[0].queue");
        assert_eq!(e.line, Some(expected_line));
        assert!(e.to_string().starts_with(&format!("hall.toml:{expected_line}: services[0].queue: no queue \"Z\"")), "{e}");
    }

    #[test]
    fn syntax_and_type_errors_carry_a_line() {
        let text = DEFAULT_TOML.replacen("daily_cap = 600", "daily_cap = \"many\"", 1);
        let e = Config::parse(&text, "hall.toml").unwrap_err();
        let expected_line = text.lines().position(|l| l.contains("\"many\"")).unwrap() + 1;
        assert_eq!(e.line, Some(expected_line), "{e}");
        let text = DEFAULT_TOML.replacen("name_en = \"Instant Services\"", "name_en = \"Instant Services\"\ncolour = 3", 1);
        let e = Config::parse(&text, "hall.toml").unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn times_offsets_weekdays_and_dates_are_parsed_once_and_named_when_wrong() {
        let c = Config::demo();
        assert_eq!(c.offset(), FixedOffset::east_opt(8 * 3600).unwrap());
        assert_eq!(c.issue_cutoff(), NaiveTime::from_hms_opt(17, 0, 0).unwrap());
        assert_eq!(c.hours.sessions[1].start.to_string(), "13:30");
        assert_eq!(c.hours.open_days[0].to_string(), "mon");
        for (from, to, field, says) in [
            ("{ start = \"13:30\"", "{ start = \"1:30pm\"", "start", "\"1:30pm\" is not a time like \"09:00\""),
            ("utc_offset = \"+08:00\"", "utc_offset = \"CST\"", "utc_offset", "\"CST\" is not an offset like \"+08:00\""),
            ("issue_cutoff = \"17:00\"", "issue_cutoff = \"25:00\"", "issue_cutoff", "is not a time"),
            ("holidays = []", "holidays = [\"2026-13-01\"]", "holidays", "\"2026-13-01\" is not a date like \"2026-10-01\""),
        ] {
            let text = DEFAULT_TOML.replacen(from, to, 1);
            assert_ne!(text, DEFAULT_TOML, "{from}");
            let e = Config::parse(&text, "hall.toml").unwrap_err();
            let line = text.lines().position(|l| l.contains(to)).unwrap() + 1;
            assert_eq!((e.field.as_str(), e.line), (field, Some(line)), "{e}");
            assert!(e.message.contains(says), "{e}");
        }
        // A day is either a holiday or a make-up working day.
        let text =
            DEFAULT_TOML.replacen("holidays = []", "holidays = [2026-10-01]", 1).replacen("workdays = []", "workdays = [2026-10-01]", 1);
        let e = Config::parse(&text, "hall.toml").unwrap_err();
        assert_eq!(e.field, "hours.holidays[0]", "{e}");
        let text = DEFAULT_TOML.replacen("holidays = []", "holidays = [\"2026-10-01\"]", 1).replacen(
            "workdays = []",
            "workdays = [\"2026-10-10\"]",
            1,
        );
        let c = Config::parse(&text, "hall.toml").unwrap();
        assert!(!c.open_on(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()) && c.open_on(NaiveDate::from_ymd_opt(2026, 10, 10).unwrap()));
    }

    #[test]
    fn a_desk_printer_is_a_printer_and_never_a_path_elsewhere() {
        for (printer, ok) in [
            ("tcp://10.0.0.5:9100", true),
            ("usb://0416:5011", true),
            ("serial:///dev/ttyUSB0", true),
            ("file:///dev/usb/lp0", true),
            ("sim://desk-1", true),
            ("sim://../../etc", false),
            ("sim:///var/lib/hallq/config", false),
            ("file:///var/lib/hallq/config/v000001.toml", false),
            ("serial:///tmp/x", false),
            ("sane:test:0", false),
        ] {
            let text = DEFAULT_TOML.replacen("printer = \"sim://desk-1\"", &format!("printer = \"{printer}\""), 1);
            match Config::parse(&text, "hall.toml") {
                Ok(_) => assert!(ok, "{printer} accepted"),
                Err(e) => {
                    assert!(!ok, "{printer}: {e}");
                    assert_eq!(e.field, "desks[0].printer", "{e}");
                }
            }
        }
        let long = DEFAULT_TOML.replacen("header = [\"{hall}\"]", &format!("header = [\"{}\"]", "长".repeat(65)), 1);
        assert_eq!(Config::parse(&long, "hall.toml").unwrap_err().field, "ticket.header[0]");
    }

    #[test]
    fn cap_over_999_is_refused() {
        let text = DEFAULT_TOML.replacen("daily_cap = 600", "daily_cap = 1000", 1);
        let e = Config::parse(&text, "x.toml").unwrap_err();
        assert_eq!(e.field, "queues[0].daily_cap");
    }

    #[test]
    fn a_rating_token_stands_by_exactly_one_window() {
        for windows in ["windows = [1, 7]", "windows = []"] {
            let text = DEFAULT_TOML.replacen("windows = [7]\n", &format!("{windows}\n"), 1);
            let e = Config::parse(&text, "hall.toml").unwrap_err();
            assert!(e.field.starts_with("tokens[") && e.field.ends_with("].windows") && e.message.contains("exactly one window"), "{e}");
        }
        let text = DEFAULT_TOML.replacen("windows = [7]\n", "windows = [99]\n", 1);
        assert!(Config::parse(&text, "hall.toml").unwrap_err().message.contains("no window 99"));
        let demo = Config::demo();
        let tablet = demo.token_for("demo-rating-7").expect("a demo rating tablet");
        assert_eq!((tablet.role, tablet.windows.as_slice()), (Role::Rating, &[7][..]));
        // Demo tokens: refused by `hallq serve` without --demo like the others.
        assert!(demo.demo_secrets().iter().any(|(_, m)| m.contains("rating-7")), "{:?}", demo.demo_secrets());
    }

    #[test]
    fn public_url_is_empty_or_a_base_url() {
        assert_eq!(Config::demo().hall.public_url, "", "the default has none: the QR points to the kiosk's --server");
        for ok in [
            "https://hall.example.cn",
            "https://hall.example.cn/",
            "http://192.168.1.10:8444",
            "https://[fd00::1]:8444",
            "https://市民之家.cn",
        ] {
            let text = DEFAULT_TOML.replacen("public_url = \"\"", &format!("public_url = \"{ok}\""), 1);
            let c = Config::parse(&text, "hall.toml").unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(c.hall.public_url, ok);
        }
        for bad in [
            "hall.example.cn",
            "ftp://hall.example.cn",
            "https://",
            "https://hall.example.cn/t",
            "https://hall.example.cn?x=1",
            "https://a@hall.cn",
            "https://hall.cn:0",
            "https://hall.cn:99999",
            "https://hall cn",
            "https://[zz]:1",
        ] {
            let text = DEFAULT_TOML.replacen("public_url = \"\"", &format!("public_url = \"{bad}\""), 1);
            let e = Config::parse(&text, "hall.toml").expect_err(bad);
            assert_eq!(e.field, "hall.public_url", "{bad}: {e}");
        }
    }

    #[test]
    fn waiting_areas_and_the_no_show_rule() {
        let demo = Config::demo();
        assert_eq!(demo.waiting_area("A").0, "1楼等候区", "A's windows are all on floor 1");
        assert_eq!(demo.waiting_area("F"), ("2楼等候区".into(), "the waiting area on floor 2".into()));
        assert_eq!(demo.waiting_area("C").0, "1楼户政等候区", "configured");
        assert_eq!(demo.waiting_area("nope").0, "");
        let at = |from: &str, to: &str| {
            let text = DEFAULT_TOML.replacen(from, to, 1);
            assert_ne!(text, DEFAULT_TOML, "{from}");
            Config::parse(&text, "hall.toml").expect_err(to)
        };
        let e = at("no_show_after_recalls = 2\nno_show_after_minutes = 3", "no_show_after_recalls = 4\nno_show_after_minutes = 0");
        assert_eq!(e.field, "rules.no_show_after_recalls");
        assert!(e.message.contains("could never be marked 过号"), "{e}");
        assert_eq!(at("no_show_after_minutes = 3", "no_show_after_minutes = 121").field, "rules.no_show_after_minutes");
        let e = at("waiting_area = \"1楼户政等候区\"", "waiting_area = \" 1楼\"");
        assert_eq!((e.field.as_str(), e.message.contains("no spaces around it")), ("queues[2].waiting_area", true), "{e}");
        let e = at("waiting_area = \"1楼户政等候区\"", "waiting_area = \"一二三四五六七八九十一二三四五六七\"");
        assert!(e.message.contains("at most 16"), "{e}");
        // Every demo item has its materials in English, one for one.
        assert!(demo.services.iter().all(|s| s.materials_en.len() == s.materials.len()));
        let e = at("materials_en = [\"Resident ID card\", ", "materials_en = [");
        assert_eq!(e.field, "services[0].materials_en", "{e}");
        assert!(e.message.contains("3 English materials for 4 materials"), "{e}");
    }

    #[test]
    fn alerts_are_checked_at_their_field_and_line() {
        let demo = Config::demo();
        assert_eq!((demo.alerts.wait_warning_minutes, demo.alerts.wait_critical_minutes), (30, 60));
        let b = demo.queue("B").unwrap();
        assert_eq!(demo.alerts.wait_thresholds(b), (15, 30), "queue B's own thresholds");
        assert_eq!(demo.alerts.wait_thresholds(demo.queue("A").unwrap()), (30, 60), "the hall's");
        assert!(demo.alerts.webhook_url.is_empty() && demo.alerts.signing_key().is_none());
        // Without [alerts] at all: the same defaults.
        let start = DEFAULT_TOML.find("[alerts]").unwrap();
        let end = DEFAULT_TOML.find("[[departments]]").unwrap();
        let without = format!("{}{}", &DEFAULT_TOML[..start], &DEFAULT_TOML[end..]);
        assert_eq!(Config::parse(&without, "x").unwrap().alerts.kiosk_silent_seconds, 120);
        let bad = |from: &str, to: &str, field: &str, says: &str| {
            assert!(DEFAULT_TOML.contains(from), "{from}");
            let text = DEFAULT_TOML.replacen(from, to, 1);
            let e = Config::parse(&text, "hall.toml").expect_err(to);
            assert_eq!(e.field, field, "{to}: {e}");
            assert!(e.message.contains(says), "{to}: {e}");
            let line = text.lines().position(|l| l.contains(to.lines().last().unwrap())).unwrap() + 1;
            assert_eq!(e.line, Some(line), "{to}: {e}");
        };
        bad("wait_critical_minutes = 60", "wait_critical_minutes = 20", "alerts.wait_critical_minutes", "not above wait_warning_minutes");
        bad("wait_critical_minutes = 30", "wait_critical_minutes = 10", "queues[1].wait_critical_minutes", "critical must come later");
        bad("kiosk_silent_seconds = 120", "kiosk_silent_seconds = 5", "alerts.kiosk_silent_seconds", "10 to 86400");
        bad("window_paused_minutes = 30", "window_paused_minutes = 2000", "alerts.window_paused_minutes", "more than a day");
        bad("webhook_url = \"\"", "webhook_url = \"ops.example.cn/hook\"", "alerts.webhook_url", "not an http(s) URL");
        bad("webhook_url = \"\"", "webhook_url = \"https:///hook\"", "alerts.webhook_url", "no valid host");
        bad("webhook_attempts = 5", "webhook_attempts = 0", "alerts.webhook_attempts", "1 to 10");
        bad("webhook_timeout_seconds = 5", "webhook_timeout_seconds = 600", "alerts.webhook_timeout_seconds", "1 to 60");
        bad(
            "webhook_url = \"\"",
            "webhook_url = \"https://ops.example.cn/hook\"\nwebhook_secret = \"short\"",
            "alerts.webhook_secret",
            "at least 16",
        );
        bad("webhook_url = \"\"", "webhook_secret = \"a-secret-of-sixteen-or-more\"", "alerts.webhook_secret", "set webhook_url");
        // 0 turns one off, and needs no order.
        let off = DEFAULT_TOML.replacen("wait_warning_minutes = 30", "wait_warning_minutes = 0", 1);
        assert_eq!(Config::parse(&off, "x").unwrap().alerts.wait_warning_minutes, 0);
        let ok = DEFAULT_TOML.replacen("webhook_url = \"\"", "webhook_url = \"http://10.0.0.5:9000/hallq?x=1\"", 1);
        assert!(Config::parse(&ok, "x").is_ok());
    }

    #[test]
    fn the_demo_pin_is_warned_about() {
        let w = Config::demo().warnings();
        assert!(w.iter().any(|w| w.0.contains("manager_pin is the demo PIN 2468")), "{w:?}");
        assert_eq!(Config::demo().kiosk.manager_pin, DEMO_PIN_PHC);
    }

    #[test]
    fn the_manager_pin_is_an_argon2_hash_and_the_old_sha256_is_read_with_a_warning() {
        let line = format!("manager_pin = \"{DEMO_PIN_PHC}\"");
        assert!(DEFAULT_TOML.contains(&line));
        // The old form still loads (the kiosk still checks it), but is called weak.
        let old = DEFAULT_TOML.replacen(&line, &format!("manager_pin_sha256 = \"{DEMO_PIN_SHA256}\""), 1);
        let c = Config::parse(&old, "t.toml").unwrap();
        assert_eq!(c.kiosk.manager_pin_sha256, DEMO_PIN_SHA256);
        let w = c.warnings();
        assert!(w.iter().any(|w| w.0.contains("unsalted SHA-256") && w.0.contains("hallq kiosk hash-pin")), "{w:?}");
        // Not a hash, an SHA-256 where the Argon2 hash goes, or both forms at once: refused.
        for bad in [
            "manager_pin = \"2468\"".to_string(),
            format!("manager_pin = \"{DEMO_PIN_SHA256}\""),
            format!("{line}\nmanager_pin_sha256 = \"{DEMO_PIN_SHA256}\""),
        ] {
            let e = Config::parse(&DEFAULT_TOML.replacen(&line, &bad, 1), "t.toml").unwrap_err();
            assert!(e.field.starts_with("kiosk.manager_pin"), "{bad}: {e:?}");
        }
        // A hall's own hash: no PIN warning.
        let own = DEFAULT_TOML.replacen(&line, &format!("manager_pin = \"{}\"", crate::kiosk::pin::hash_pin("975310")), 1);
        let w = Config::parse(&own, "t.toml").unwrap().warnings();
        assert!(!w.iter().any(|w| w.0.contains("manager_pin")), "{w:?}");
    }
}
