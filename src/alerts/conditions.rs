//! The conditions that deserve an alert, from the read view and who was heard from (pure:
//! no IO, no clock), and the tracker that raises each once and clears it when it ends.

use std::collections::{BTreeMap, HashMap};

use chrono::FixedOffset;
use hallq_proto::{Alert, AlertChange, AlertKind, AlertSeverity, AlertSubject, SubjectKind};

use super::DisplayConn;
use crate::config::{Config, Role};
use crate::engine::{State, Ts};

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

    for (kiosk, (since, place)) in &i.state.help {
        let (at_zh, at_en) =
            if place.is_empty() { (String::new(), String::new()) } else { (format!("（{place}）"), format!(" ({place})")) };
        out.push(Condition {
            kind: AlertKind::HelpRequested,
            severity: AlertSeverity::Warning,
            subject: subject(SubjectKind::Kiosk, kiosk),
            variant: String::new(),
            since: Some(*since),
            message: format!("自助机 {kiosk}{at_zh}有访客请求帮办，已等 {} 分钟", minutes(i.now - *since)),
            message_en: format!("Kiosk {kiosk}{at_en}: a visitor asks for help, waiting {} min", minutes(i.now - *since)),
        });
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
            actor: Default::default(),
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
}
