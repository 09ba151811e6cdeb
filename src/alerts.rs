//! Alerts for managers: a queue waiting too long, a window paused too long, a kiosk's device
//! in fault, a kiosk or a display gone silent. Evaluated on the hall's clock every second
//! from the read view and from who the API has heard ([`Presence`]); each alert is raised
//! once, kept while its condition holds and cleared when it ends (a change of severity
//! clears one and raises another). Raises and clears are logged, listed in
//! `GET /api/v1/alerts`, and POSTed to `[alerts] webhook_url` (signed, retried with growing
//! delays, every try under a deadline) from the `hallq-alerts` thread, so neither the engine
//! nor a request ever waits for the webhook.
//!
//! Alerts carry no personal data: queues, windows (a staff number at most), kiosk and
//! display token names, device faults as the kiosk words them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::FixedOffset;
use hallq_proto::{self as proto, Alert, AlertChange, AlertDelivery, AlertKind, AlertSeverity, AlertSubject, DeliveryOutcome, SubjectKind};

use crate::config::{Config, Role};
use crate::engine::{State, Ts};
use crate::service::{Clock, WeakHall};

/// How often the conditions are looked at (real time; the times compared are the hall's).
pub const EVALUATE_EVERY: Duration = Duration::from_secs(1);
/// Webhook attempts kept for `GET /alerts`.
pub const DELIVERIES_KEPT: usize = 100;
/// Raises and clears waiting for the webhook; more are given up (and logged as such).
pub const OUTBOX: usize = 256;
/// The delay before the second try; it doubles after each failed try, up to the maximum.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The header with the body's HMAC-SHA256 under `[alerts] webhook_secret`.
pub const SIGNATURE_HEADER: &str = "x-hallq-signature";
/// The webhook body's schema name.
pub const WEBHOOK_SCHEMA: &str = "hallq-alert/1";

// ---------------------------------------------------------------------------------------
// Who the hall has heard from.

/// Kiosks by when they last called the API, and display tokens by their event streams.
/// One per hall, shared by every listener.
#[derive(Default)]
pub struct Presence {
    kiosks: Mutex<HashMap<String, Ts>>,
    displays: Mutex<BTreeMap<String, DisplayConn>>,
}

/// The event streams of one display token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisplayConn {
    pub open: u32,
    pub connected_at: Option<Ts>,
    pub last_heard: Option<Ts>,
    pub disconnected_at: Option<Ts>,
}

impl Presence {
    /// A kiosk's request (names come from the configuration's tokens: a bounded set).
    pub fn kiosk_seen(&self, kiosk: &str, at: Ts) {
        self.kiosks.lock().unwrap_or_else(|p| p.into_inner()).insert(kiosk.to_string(), at);
    }

    pub fn kiosk_last_seen(&self, kiosk: &str) -> Option<Ts> {
        self.kiosks.lock().unwrap_or_else(|p| p.into_inner()).get(kiosk).copied()
    }

    fn kiosks(&self) -> HashMap<String, Ts> {
        self.kiosks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn displays(&self) -> BTreeMap<String, DisplayConn> {
        self.displays.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A display token's event stream opened; it counts as open until the returned guard
    /// is dropped.
    pub fn display_connected(self: &Arc<Self>, display: &str, clock: Arc<dyn Clock>) -> DisplayStream {
        let now = clock.now();
        {
            let mut m = self.displays.lock().unwrap_or_else(|p| p.into_inner());
            let c = m.entry(display.to_string()).or_default();
            c.open += 1;
            c.connected_at = Some(now);
            c.last_heard = Some(now);
            c.disconnected_at = None;
        }
        DisplayStream { presence: self.clone(), display: display.to_string(), clock }
    }
}

/// One open event stream of a display token.
pub struct DisplayStream {
    presence: Arc<Presence>,
    display: String,
    clock: Arc<dyn Clock>,
}

impl DisplayStream {
    /// The display said something (a pong, most often).
    pub fn heard(&self) {
        let now = self.clock.now();
        if let Some(c) = self.presence.displays.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&self.display) {
            c.last_heard = Some(now);
        }
    }
}

impl Drop for DisplayStream {
    fn drop(&mut self) {
        let now = self.clock.now();
        if let Some(c) = self.presence.displays.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&self.display) {
            c.open = c.open.saturating_sub(1);
            if c.open == 0 {
                c.disconnected_at = Some(now);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Conditions: what holds now, without IO.

/// What the evaluation looks at.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub state: &'a State,
    pub now: Ts,
    /// When the service started: a kiosk or display never heard from is silent since then.
    pub started: Ts,
    pub kiosks: &'a HashMap<String, Ts>,
    pub displays: &'a BTreeMap<String, DisplayConn>,
}

/// A condition that holds now and deserves an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    pub subject: AlertSubject,
    /// What tells two conditions of one subject apart (a device's fault as worded).
    pub variant: String,
    /// When it began; none when not known (then: when it was first seen).
    pub since: Option<Ts>,
    pub message: String,
    pub message_en: String,
}

type Key = (AlertKind, SubjectKind, String, Option<String>, String, AlertSeverity);

impl Condition {
    fn key(&self) -> Key {
        (self.kind, self.subject.kind, self.subject.id.clone(), self.subject.device.clone(), self.variant.clone(), self.severity)
    }
}

fn subject(kind: SubjectKind, id: impl Into<String>) -> AlertSubject {
    AlertSubject { kind, id: id.into(), device: None, staff: None }
}

fn hhmm(t: Ts, offset: FixedOffset) -> String {
    t.with_timezone(&offset).format("%H:%M").to_string()
}

/// Whether a device's fault, as the kiosk words it, only warns of what is coming (the
/// paper running low) rather than stopping the device.
fn only_a_warning(fault: &str) -> bool {
    let f = fault.to_lowercase();
    ["将用完", "即将", "纸将尽", "near end", "near_end", "low"].iter().any(|w| f.contains(w))
}

/// Every condition that holds at `i.now`.
pub fn evaluate(i: &Inputs) -> Vec<Condition> {
    let c = i.config;
    let a = &c.alerts;
    let offset = c.offset();
    let mut out = Vec::new();
    let minutes = |d: chrono::Duration| d.num_minutes().max(0);

    for q in &c.queues {
        let waiting: Vec<Ts> =
            i.state.waiting.get(&q.id).into_iter().flatten().filter_map(|id| i.state.tickets.get(id)).map(|t| t.wait_since).collect();
        let Some(oldest) = waiting.iter().min().copied() else { continue };
        let waited = i.now - oldest;
        let (warn, crit) = a.wait_thresholds(q);
        let past = |m: u32| m > 0 && waited >= chrono::Duration::minutes(m as i64);
        let (severity, threshold) = if past(crit) {
            (AlertSeverity::Critical, crit)
        } else if past(warn) {
            (AlertSeverity::Warning, warn)
        } else {
            continue;
        };
        out.push(Condition {
            kind: AlertKind::QueueWait,
            severity,
            subject: subject(SubjectKind::Queue, &q.id),
            variant: String::new(),
            since: Some(oldest + chrono::Duration::minutes(threshold as i64)),
            message: format!(
                "{}（{}）最长已等候 {} 分钟，超过 {} 分钟；{} 人在等候",
                q.name,
                q.id,
                minutes(waited),
                threshold,
                waiting.len()
            ),
            message_en: format!(
                "{} ({}): the longest wait is {} min, past {} min; {} waiting",
                q.name_en,
                q.id,
                minutes(waited),
                threshold,
                waiting.len()
            ),
        });
    }

    if a.window_paused_minutes > 0 {
        for w in i.state.windows.values() {
            let (Some(reason), Some(at)) = (&w.paused, w.paused_at) else { continue };
            let paused = i.now - at;
            if paused < chrono::Duration::minutes(a.window_paused_minutes as i64) {
                continue;
            }
            let name = c.window(w.number).map(|cw| cw.name.as_str()).unwrap_or("");
            let staff_zh = w.staff.as_deref().map(|s| format!("，工号 {s}")).unwrap_or_default();
            let staff_en = w.staff.as_deref().map(|s| format!(", staff {s}")).unwrap_or_default();
            let why_zh = if reason.is_empty() { "未说明原因".to_string() } else { format!("原因：{reason}") };
            let why_en = if reason.is_empty() { "no reason given".to_string() } else { format!("reason: {reason}") };
            out.push(Condition {
                kind: AlertKind::WindowPaused,
                severity: AlertSeverity::Warning,
                subject: AlertSubject { staff: w.staff.clone(), ..subject(SubjectKind::Window, w.number.to_string()) },
                variant: String::new(),
                since: Some(at),
                message: format!(
                    "{} 号窗口（{name}）自 {} 起暂停 {} 分钟（{why_zh}{staff_zh}）",
                    w.number,
                    hhmm(at, offset),
                    minutes(paused)
                ),
                message_en: format!(
                    "Window {} paused since {} for {} min ({why_en}{staff_en})",
                    w.number,
                    hhmm(at, offset),
                    minutes(paused)
                ),
            });
        }
    }

    for (key, fault) in &i.state.devices {
        let Some(fault) = fault else { continue };
        let (kiosk, device) = key.split_once('/').unwrap_or((key.as_str(), ""));
        let severity = if device == "ticket-printer" && !only_a_warning(fault) { AlertSeverity::Critical } else { AlertSeverity::Warning };
        let (device_zh, device_en) = match device {
            "ticket-printer" => ("取号打印机", "ticket printer"),
            "idcard-reader" => ("身份证读卡器", "ID-card reader"),
            "a4-printer" => ("A4 打印机", "A4 printer"),
            "scanner" => ("扫描仪", "scanner"),
            other => (other, other),
        };
        out.push(Condition {
            kind: AlertKind::DeviceFault,
            severity,
            subject: AlertSubject { device: Some(device.to_string()), ..subject(SubjectKind::Kiosk, kiosk) },
            variant: fault.clone(),
            since: None,
            message: format!("自助机 {kiosk} 的{device_zh}故障：{fault}"),
            message_en: format!("Kiosk {kiosk}: the {device_en} reports a fault: {fault}"),
        });
    }

    let silent = |last: Option<Ts>, secs: u32| {
        let since = last.unwrap_or(i.started);
        (secs > 0 && i.now - since >= chrono::Duration::seconds(secs as i64)).then_some(since)
    };
    // Two tokens may share a name (a kiosk's old and new token): one subject.
    let kiosks: std::collections::BTreeSet<&str> = c.tokens.iter().filter(|t| t.role == Role::Kiosk).map(|t| t.name.as_str()).collect();
    for kiosk in kiosks {
        let last = i.kiosks.get(kiosk).copied();
        let Some(since) = silent(last, a.kiosk_silent_seconds) else { continue };
        let (zh, en) = match last {
            Some(t) => (format!("最后联系于 {}", hhmm(t, offset)), format!("last heard at {}", hhmm(t, offset))),
            None => ("叫号系统启动后从未联系".to_string(), "not heard from since the service started".to_string()),
        };
        out.push(Condition {
            kind: AlertKind::KioskSilent,
            severity: AlertSeverity::Warning,
            subject: subject(SubjectKind::Kiosk, kiosk),
            variant: String::new(),
            since: Some(since),
            message: format!("自助机 {kiosk} 已 {} 分钟未联系叫号系统（{zh}）", minutes(i.now - since)),
            message_en: format!("Kiosk {kiosk} silent for {} min ({en})", minutes(i.now - since)),
        });
    }
    // Two tokens may share a name (a kiosk's old and new token): one subject.
    let displays: std::collections::BTreeSet<&str> = c.tokens.iter().filter(|t| t.role == Role::Display).map(|t| t.name.as_str()).collect();
    for display in displays {
        let conn = i.displays.get(display);
        if conn.is_some_and(|d| d.open > 0) {
            continue;
        }
        let last = conn.and_then(|d| d.disconnected_at);
        let Some(since) = silent(last, a.display_silent_seconds) else { continue };
        out.push(Condition {
            kind: AlertKind::DisplaySilent,
            severity: AlertSeverity::Warning,
            subject: subject(SubjectKind::Display, display),
            variant: String::new(),
            since: Some(since),
            message: format!("显示屏 {display} 已 {} 分钟没有连接叫号系统", minutes(i.now - since)),
            message_en: format!("Display {display}: no screen connected for {} min", minutes(i.now - since)),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Raised and cleared.

struct Raised {
    alert: Alert,
    at: Ts,
}

/// The alerts raised now, by condition.
#[derive(Default)]
pub struct Tracker {
    active: BTreeMap<Key, Raised>,
}

impl Tracker {
    /// Takes the conditions that hold at `now`: clears the alerts whose condition ended,
    /// raises one for each new condition, refreshes the words of the others. Returns the
    /// clears, then the raises.
    pub fn update(&mut self, conditions: Vec<Condition>, now: Ts, offset: FixedOffset) -> Vec<(AlertChange, Alert)> {
        let local = |t: Ts| t.with_timezone(&offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let holding: BTreeMap<Key, Condition> = conditions.into_iter().map(|c| (c.key(), c)).collect();
        let ended: Vec<Key> = self.active.keys().filter(|k| !holding.contains_key(*k)).cloned().collect();
        let mut changes: Vec<(AlertChange, Alert)> =
            ended.into_iter().filter_map(|k| self.active.remove(&k)).map(|r| (AlertChange::Cleared, r.alert)).collect();
        for (key, c) in holding {
            if let Some(r) = self.active.get_mut(&key) {
                r.alert.message = c.message;
                r.alert.message_en = c.message_en;
                r.alert.subject.staff = c.subject.staff;
                continue;
            }
            let id = match &c.subject.device {
                Some(d) => format!("{}:{}/{d}:{}:{}", c.kind.as_str(), c.subject.id, c.severity.as_str(), now.timestamp()),
                None => format!("{}:{}:{}:{}", c.kind.as_str(), c.subject.id, c.severity.as_str(), now.timestamp()),
            };
            let alert = Alert {
                id,
                kind: c.kind,
                severity: c.severity,
                subject: c.subject,
                message: c.message,
                message_en: c.message_en,
                since: local(c.since.unwrap_or(now)),
                raised_at: local(now),
            };
            changes.push((AlertChange::Raised, alert.clone()));
            self.active.insert(key, Raised { alert, at: now });
        }
        changes
    }

    /// Most severe first, then newest first.
    pub fn active(&self) -> Vec<Alert> {
        let mut all: Vec<&Raised> = self.active.values().collect();
        all.sort_by(|a, b| b.alert.severity.cmp(&a.alert.severity).then(b.at.cmp(&a.at)).then(a.alert.id.cmp(&b.alert.id)));
        all.into_iter().map(|r| r.alert.clone()).collect()
    }
}

// ---------------------------------------------------------------------------------------
// The hall's alerts.

/// One per hall: who was heard from, the alerts raised, the webhook's recent attempts.
pub struct Alerts {
    pub presence: Arc<Presence>,
    started: Ts,
    tracker: Mutex<Tracker>,
    deliveries: Mutex<VecDeque<AlertDelivery>>,
    stopped: AtomicBool,
}

impl Alerts {
    pub fn new(started: Ts) -> Alerts {
        Alerts {
            presence: Arc::default(),
            started,
            tracker: Mutex::default(),
            deliveries: Mutex::default(),
            stopped: AtomicBool::new(false),
        }
    }

    /// When the service started (silence is counted from then for what was never heard).
    pub fn started(&self) -> Ts {
        self.started
    }

    /// The alerts raised now, most severe and newest first.
    pub fn active(&self) -> Vec<Alert> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner()).active()
    }

    /// The webhook's recent attempts, newest first.
    pub fn deliveries(&self) -> Vec<AlertDelivery> {
        self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).iter().rev().cloned().collect()
    }

    fn record(&self, d: AlertDelivery) {
        let mut m = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        m.push_back(d);
        while m.len() > DELIVERIES_KEPT {
            m.pop_front();
        }
    }

    /// Ends the evaluation thread (at the service's shutdown).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Looks at the hall now; returns what was raised and cleared.
    pub fn evaluate(&self, config: &Config, state: &State, now: Ts) -> Vec<(AlertChange, Alert)> {
        let kiosks = self.presence.kiosks();
        let displays = self.presence.displays();
        let inputs = Inputs { config, state, now, started: self.started, kiosks: &kiosks, displays: &displays };
        let conditions = evaluate(&inputs);
        self.tracker.lock().unwrap_or_else(|p| p.into_inner()).update(conditions, now, config.offset())
    }

    /// Every display token of the configuration (and any other heard from) with its
    /// streams, for managers.
    pub fn display_links(&self, config: &Config, now: Ts) -> Vec<proto::DisplayLink> {
        let mut displays = self.presence.displays();
        for t in config.tokens.iter().filter(|t| t.role == Role::Display) {
            displays.entry(t.name.clone()).or_default();
        }
        let offset = config.offset();
        let local = |t: Ts| t.with_timezone(&offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let limit = config.alerts.display_silent_seconds;
        displays
            .into_iter()
            .map(|(display, c)| {
                let since = c.disconnected_at.unwrap_or(self.started);
                proto::DisplayLink {
                    connections: c.open,
                    connected_at: c.connected_at.map(local),
                    last_heard: c.last_heard.map(local),
                    disconnected_at: c.disconnected_at.filter(|_| c.open == 0).map(local),
                    silent: c.open == 0 && limit > 0 && now - since >= chrono::Duration::seconds(limit as i64),
                    display,
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// The evaluation thread and the webhook.

/// A raise or clear on its way to the webhook.
struct Outgoing {
    alert: String,
    change: AlertChange,
    body: Vec<u8>,
}

/// The webhook's body for one raise or clear.
pub fn webhook_body(config: &Config, change: AlertChange, alert: &Alert, now: Ts) -> proto::AlertWebhook {
    proto::AlertWebhook {
        schema: WEBHOOK_SCHEMA.into(),
        change,
        hall: config.hall.name.clone(),
        at: now.with_timezone(&config.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        alert: alert.clone(),
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `key`: the signature header's value.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Starts the `hallq-alerts` thread: evaluates every second and feeds the webhook, until
/// the service stops. It runs its own small runtime, so nothing it does waits on the
/// service's.
pub fn spawn(hall: WeakHall) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("hallq-alerts".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!("alerts: cannot start their runtime: {e}; no alerts will be raised");
                return;
            }
        };
        rt.block_on(run(hall));
    })
}

async fn run(weak: WeakHall) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Outgoing>(OUTBOX);
    tokio::spawn(deliver_all(weak.clone(), rx));
    let mut tick = tokio::time::interval(EVALUATE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(hall) = weak.upgrade() else { return };
        let alerts = hall.alerts().clone();
        if alerts.stopped.load(Ordering::SeqCst) {
            return;
        }
        let config = hall.config();
        let now = hall.now();
        let changes = {
            let view = hall.view();
            alerts.evaluate(&config, &view.state, now)
        };
        drop(hall);
        for (change, alert) in changes {
            match change {
                AlertChange::Raised => {
                    tracing::warn!(alert = %alert.id, severity = alert.severity.as_str(), "alert raised: {}", alert.message_en)
                }
                AlertChange::Cleared => tracing::info!(alert = %alert.id, "alert cleared: {}", alert.message_en),
            }
            if config.alerts.webhook_url.is_empty() {
                continue;
            }
            let body = serde_json::to_vec(&webhook_body(&config, change, &alert, now)).expect("an alert serializes");
            if tx.try_send(Outgoing { alert: alert.id.clone(), change, body }).is_err() {
                tracing::error!(alert = %alert.id, "alert webhook: {OUTBOX} raises and clears already waiting; this one is given up");
                alerts.record(AlertDelivery {
                    alert: alert.id,
                    change,
                    attempt: 0,
                    at: local(&config, now),
                    status: None,
                    error: Some(format!("{OUTBOX} raises and clears already waiting for the webhook")),
                    outcome: DeliveryOutcome::GivenUp,
                    retry_in_secs: None,
                });
            }
        }
    }
}

fn local(config: &Config, t: Ts) -> String {
    t.with_timezone(&config.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

async fn deliver_all(weak: WeakHall, mut rx: tokio::sync::mpsc::Receiver<Outgoing>) {
    // One at a time and in order: a clear never overtakes its raise.
    while let Some(out) = rx.recv().await {
        deliver(&weak, out).await;
    }
}

/// The TLS setup of the webhook's client: the system's trust store, as the hall's own
/// clients use without `--ca`.
fn tls() -> rustls::ClientConfig {
    static TLS: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let c = TLS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring offers TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    });
    rustls::ClientConfig::clone(c)
}

/// Tries one raise or clear until the webhook takes it or the attempts run out, each try
/// within `webhook_timeout_seconds`, the delay doubling between tries. The settings in
/// force at each try count (a manager may fix the address meanwhile).
async fn deliver(weak: &WeakHall, out: Outgoing) {
    let mut delay = BACKOFF_FIRST;
    let mut attempt = 1u32;
    loop {
        let Some(hall) = weak.upgrade() else { return };
        let config = hall.config();
        let (alerts, clock) = (hall.alerts().clone(), hall.clock());
        drop(hall);
        let a = &config.alerts;
        if a.webhook_url.is_empty() {
            return;
        }
        let timeout = Duration::from_secs(a.webhook_timeout_seconds.into());
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls())
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build();
        let change = match out.change {
            AlertChange::Raised => "alert_raised",
            AlertChange::Cleared => "alert_cleared",
        };
        let result = match http {
            Ok(http) => {
                let mut req = http
                    .post(&a.webhook_url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("x-hallq-event", change)
                    .header("x-hallq-alert", &out.alert)
                    .header("x-hallq-attempt", attempt.to_string())
                    .body(out.body.clone());
                if let Some(key) = a.signing_key() {
                    req = req.header(SIGNATURE_HEADER, signature(key, &out.body));
                }
                // The client's own deadline covers the whole request; this one is a guard.
                match tokio::time::timeout(timeout + Duration::from_secs(1), req.send()).await {
                    Ok(Ok(r)) if r.status().is_success() => Ok(r.status().as_u16()),
                    Ok(Ok(r)) => Err((Some(r.status().as_u16()), format!("answered HTTP {}", r.status()))),
                    Ok(Err(e)) if e.is_timeout() => Err((None, format!("no answer within {} s", timeout.as_secs()))),
                    Ok(Err(e)) if e.is_connect() => Err((None, format!("cannot connect: {}", e.without_url()))),
                    Ok(Err(e)) => Err((None, e.without_url().to_string())),
                    Err(_) => Err((None, format!("no answer within {} s", timeout.as_secs()))),
                }
            }
            Err(e) => Err((None, format!("cannot make the HTTP client: {e}"))),
        };
        let last = attempt >= a.webhook_attempts;
        let (status, error, outcome) = match result {
            Ok(status) => (Some(status), None, DeliveryOutcome::Delivered),
            Err((status, e)) => (status, Some(e), if last { DeliveryOutcome::GivenUp } else { DeliveryOutcome::Retrying }),
        };
        match (outcome, &error) {
            (DeliveryOutcome::Delivered, _) => tracing::info!(alert = %out.alert, attempt, "alert webhook: {change} delivered"),
            (DeliveryOutcome::Retrying, Some(e)) => {
                tracing::warn!(alert = %out.alert, attempt, "alert webhook: {change} failed ({e}); trying again in {} s", delay.as_secs_f64())
            }
            (_, e) => {
                tracing::error!(alert = %out.alert, attempt, "alert webhook: {change} given up after {attempt} tries ({})", e.as_deref().unwrap_or(""))
            }
        }
        alerts.record(AlertDelivery {
            alert: out.alert.clone(),
            change: out.change,
            attempt,
            at: local(&config, clock.now()),
            status,
            error,
            outcome,
            retry_in_secs: (outcome == DeliveryOutcome::Retrying).then_some(delay.as_secs_f64()),
        });
        if outcome != DeliveryOutcome::Retrying {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(BACKOFF_MAX);
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::WindowState;

    fn at(hhmm: &str) -> Ts {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-11-27T{hhmm}:00+08:00")).unwrap().with_timezone(&chrono::Utc)
    }

    /// A ticket of `queue` issued (and waiting) since `since`.
    fn waiting(h: &mut Hall, queue: &str, since: Ts) {
        use crate::engine::{Channel, Command, IssueRequest, Priority};
        let service =
            h.config.services.iter().find(|s| s.queue == queue && s.identity != crate::config::IdentityRule::Required).unwrap().id.clone();
        let n = h.state.tickets.len();
        let req = IssueRequest {
            request_id: format!("r{n}"),
            service,
            priority: Priority::Normal,
            channel: Channel::Kiosk,
            kiosk: None,
            holder: None,
            appointment_slot: None,
            token: format!("t{n}"),
        };
        let (_, r) = crate::engine::execute(&mut h.state, &h.config, &Command::Issue(req), since);
        r.unwrap();
    }

    struct Hall {
        config: Config,
        state: State,
        kiosks: HashMap<String, Ts>,
        displays: BTreeMap<String, DisplayConn>,
        tracker: Tracker,
    }

    impl Hall {
        fn new() -> Hall {
            let mut config = Config::demo();
            // Only what a test sets up: every kiosk and display heard from just now.
            config.alerts.kiosk_silent_seconds = 0;
            config.alerts.display_silent_seconds = 0;
            Hall { config, state: State::default(), kiosks: HashMap::new(), displays: BTreeMap::new(), tracker: Tracker::default() }
        }

        fn at(&mut self, now: Ts) -> Vec<(AlertChange, Alert)> {
            let i = Inputs {
                config: &self.config,
                state: &self.state,
                now,
                started: at("09:00"),
                kiosks: &self.kiosks,
                displays: &self.displays,
            };
            let conditions = evaluate(&i);
            self.tracker.update(conditions, now, self.config.offset())
        }
    }

    fn kinds(changes: &[(AlertChange, Alert)]) -> Vec<(AlertChange, AlertKind, AlertSeverity, String)> {
        changes.iter().map(|(c, a)| (*c, a.kind, a.severity, a.subject.id.clone())).collect()
    }

    #[test]
    fn a_long_wait_warns_then_escalates_then_clears_once_each() {
        let mut h = Hall::new();
        waiting(&mut h, "C", at("09:30"));
        assert!(h.at(at("09:59")).is_empty(), "29 minutes is no alert");
        let raised = h.at(at("10:00"));
        assert_eq!(kinds(&raised), [(AlertChange::Raised, AlertKind::QueueWait, AlertSeverity::Warning, "C".into())]);
        assert_eq!(raised[0].1.since, "2026-11-27T10:00:00+08:00");
        assert!(raised[0].1.message.contains("最长已等候 30 分钟"), "{}", raised[0].1.message);
        assert!(h.at(at("10:10")).is_empty(), "raised once while it holds");
        assert!(h.tracker.active()[0].message.contains("40 分钟"), "the words follow the wait");
        // Critical: the warning ends and a new alert is raised.
        let up = h.at(at("10:30"));
        assert_eq!(
            kinds(&up),
            [
                (AlertChange::Cleared, AlertKind::QueueWait, AlertSeverity::Warning, "C".into()),
                (AlertChange::Raised, AlertKind::QueueWait, AlertSeverity::Critical, "C".into())
            ]
        );
        assert_ne!(up[0].1.id, up[1].1.id);
        // Called: nobody waits, the alert clears.
        h.state.waiting.clear();
        assert_eq!(kinds(&h.at(at("10:31"))), [(AlertChange::Cleared, AlertKind::QueueWait, AlertSeverity::Critical, "C".into())]);
        assert!(h.tracker.active().is_empty());
    }

    #[test]
    fn a_queue_s_own_thresholds_win() {
        let mut h = Hall::new();
        // Queue B warns after 15 minutes in the demo hall.
        waiting(&mut h, "B", at("09:30"));
        waiting(&mut h, "C", at("09:30"));
        assert_eq!(kinds(&h.at(at("09:46"))), [(AlertChange::Raised, AlertKind::QueueWait, AlertSeverity::Warning, "B".into())]);
        h.config.queues.iter_mut().find(|q| q.id == "B").unwrap().wait_warning_minutes = Some(0);
        // Warning off for B: past 15 min it is nothing until its critical 30.
        assert_eq!(kinds(&h.at(at("09:47"))), [(AlertChange::Cleared, AlertKind::QueueWait, AlertSeverity::Warning, "B".into())]);
    }

    #[test]
    fn a_long_pause_names_its_reason_and_staff_number() {
        let mut h = Hall::new();
        h.state.windows.insert(
            5,
            WindowState {
                number: 5,
                open: true,
                paused: Some("系统维护".into()),
                paused_at: Some(at("10:00")),
                staff: Some("1001".into()),
                ..WindowState::default()
            },
        );
        assert!(h.at(at("10:29")).is_empty());
        let raised = h.at(at("10:30"));
        assert_eq!(kinds(&raised), [(AlertChange::Raised, AlertKind::WindowPaused, AlertSeverity::Warning, "5".into())]);
        let a = &raised[0].1;
        assert_eq!(a.subject.staff.as_deref(), Some("1001"));
        assert!(a.message.contains("系统维护") && a.message.contains("工号 1001") && a.message_en.contains("staff 1001"), "{a:?}");
        h.state.windows.get_mut(&5).unwrap().paused = None;
        assert_eq!(kinds(&h.at(at("10:31")))[0].0, AlertChange::Cleared);
    }

    #[test]
    fn device_faults_printer_out_is_critical_near_end_and_others_warn() {
        let mut h = Hall::new();
        h.state.devices.insert("kiosk-1/ticket-printer".into(), Some("打印机缺纸，请联系工作人员".into()));
        h.state.devices.insert("kiosk-1/scanner".into(), Some("scanner jammed".into()));
        h.state.devices.insert("kiosk-1/idcard-reader".into(), None);
        let raised = h.at(at("10:00"));
        let mut k = kinds(&raised);
        k.sort_by_key(|(_, _, severity, _)| *severity);
        assert_eq!(
            k,
            [
                (AlertChange::Raised, AlertKind::DeviceFault, AlertSeverity::Warning, "kiosk-1".into()),
                (AlertChange::Raised, AlertKind::DeviceFault, AlertSeverity::Critical, "kiosk-1".into())
            ]
        );
        // Most severe first.
        assert_eq!(h.tracker.active()[0].subject.device.as_deref(), Some("ticket-printer"));
        // The roll is replaced but runs low: the out-of-paper alert clears, a warning is raised.
        h.state.devices.insert("kiosk-1/ticket-printer".into(), Some("打印纸即将用完".into()));
        let k = kinds(&h.at(at("10:05")));
        assert_eq!(
            k,
            [
                (AlertChange::Cleared, AlertKind::DeviceFault, AlertSeverity::Critical, "kiosk-1".into()),
                (AlertChange::Raised, AlertKind::DeviceFault, AlertSeverity::Warning, "kiosk-1".into())
            ]
        );
    }

    #[test]
    fn silent_kiosks_and_displays_count_from_their_last_sign_or_the_start() {
        let mut h = Hall::new();
        h.config.alerts.kiosk_silent_seconds = 120;
        h.config.alerts.display_silent_seconds = 120;
        let kiosks: Vec<String> = h.config.tokens.iter().filter(|t| t.role == Role::Kiosk).map(|t| t.name.clone()).collect();
        for k in &kiosks {
            h.kiosks.insert(k.clone(), at("09:00"));
        }
        h.displays.insert("hall-display".into(), DisplayConn { open: 1, ..DisplayConn::default() });
        assert!(h.at(at("09:01")).is_empty());
        // Two minutes later every kiosk is silent; the display with a stream open is not.
        let raised = h.at(at("09:02"));
        assert_eq!(raised.len(), kiosks.len(), "{raised:?}");
        assert!(raised.iter().all(|(c, a)| *c == AlertChange::Raised && a.kind == AlertKind::KioskSilent));
        // The first kiosk calls again: its alert clears.
        h.kiosks.insert(kiosks[0].clone(), at("09:03"));
        let cleared = h.at(at("09:03"));
        assert_eq!(kinds(&cleared), [(AlertChange::Cleared, AlertKind::KioskSilent, AlertSeverity::Warning, kiosks[0].clone())]);
        // The display's stream closes at 09:03; silent at 09:05.
        h.displays.insert("hall-display".into(), DisplayConn { open: 0, disconnected_at: Some(at("09:03")), ..DisplayConn::default() });
        h.kiosks.clear();
        let _ = h.at(at("09:04"));
        let later = h.at(at("09:05"));
        assert!(later
            .iter()
            .any(|(c, a)| *c == AlertChange::Raised && a.kind == AlertKind::DisplaySilent && a.subject.id == "hall-display"));
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
