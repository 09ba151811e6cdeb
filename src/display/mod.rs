//! Window and hall displays for Linux display boxes (`hallq display`). [`Feed`] follows the
//! hall service's event stream, resumes from its last sequence number after a drop, and
//! turns the hall's state into a [`DisplayView`]; with the `ui` feature, [`runtime`] draws it
//! in Slint and speaks the calls.

pub mod layout;
#[cfg(feature = "ui")]
pub mod runtime;

use std::time::Duration;

use hallq_proto::{ClientError, EventView, FeedItem, HallClient, HallState, Status, WindowView};
use hallq_ui::view::{DisplayView, WindowShown};
use tokio::sync::mpsc;

pub use layout::Scope;

/// Which display this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The screen over one window.
    Window(u32),
    /// The hall display (综合屏).
    Hall,
}

#[derive(Debug, Clone)]
pub struct DisplayOptions {
    /// The hall service, such as http://192.168.1.10:8080.
    pub server: String,
    /// A display (or manager) token.
    pub token: String,
    /// The hall CA to trust for an https:// server (`hallq tls init`'s ca.pem); `None`:
    /// the system's trust store.
    pub ca: Option<std::path::PathBuf>,
    pub mode: Mode,
    /// The floor or zone a hall display shows (`--floor`, `--zone`); the whole hall by default.
    pub scope: Scope,
    pub english: bool,
}

/// What the feed reports.
// One update at a time passes through a channel; boxing the view would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    View(DisplayView),
    /// A call made while the display was following (not one caught up after a drop): the
    /// window display flashes for its own window, the hall display flashes and speaks.
    Call {
        number: String,
        window: u32,
        seq: u64,
    },
}

fn t(english: bool, zh: &str, en: &str) -> String {
    if english {
        en.to_string()
    } else {
        zh.to_string()
    }
}

/// "2026-11-27T09:30:05+08:00" → "09:30".
fn clock_text(now: &str) -> String {
    now.get(11..16).unwrap_or_default().to_string()
}

/// The number a window shows: its ticket while called or being served.
fn showing(w: &WindowView) -> String {
    match &w.current {
        Some(c) if matches!(c.status, Status::Called | Status::Serving) => c.number.to_string(),
        _ => String::new(),
    }
}

/// The view of the hall's `/state` for this display (a hall display: the whole hall).
pub fn view_from_state(state: &HallState, mode: Mode, english: bool) -> DisplayView {
    view_for(state, mode, &Scope::default(), english)
}

/// The view of the hall's `/state` for a display of `scope` (all its windows and queues:
/// [`layout::page`] cuts it into the pages shown in turn).
pub fn view_for(state: &HallState, mode: Mode, scope: &Scope, english: bool) -> DisplayView {
    let name = |zh: &str, en: &str| if english && !en.is_empty() { en.to_string() } else { zh.to_string() };
    let mut view = DisplayView {
        mode: match mode {
            Mode::Window(_) => "window".into(),
            Mode::Hall => "hall".into(),
        },
        english,
        hall_name: name(&state.hall.name, &state.hall.name_en),
        clock: clock_text(&state.now),
        connected: true,
        notice: state.display.notice.clone(),
        ..DisplayView::default()
    };
    match mode {
        Mode::Window(n) => {
            let Some(w) = state.windows.iter().find(|w| w.number == n) else {
                view.problem = t(
                    english,
                    &format!("叫号系统中没有 {n} 号窗口：请核对 --window"),
                    &format!("The hall has no window {n}: check --window"),
                );
                return view;
            };
            let current = showing(w);
            let (open, paused) = (w.open, w.paused);
            view.window = WindowShown {
                number: n,
                name: w.name.clone().unwrap_or_default(),
                open,
                paused,
                line: if !open {
                    t(english, "暂停服务，请到其他窗口办理", "Closed: please go to another window")
                } else if paused {
                    let reason = w.pause_reason.clone().unwrap_or_default();
                    if english {
                        format!("Paused: {reason}")
                    } else {
                        format!("暂停服务：{reason}")
                    }
                } else if current.is_empty() {
                    t(english, "请留意叫号", "Please watch for your number")
                } else if english {
                    format!("Number {current}, please come to window {n}")
                } else {
                    format!("请{current}号到{n}号窗口办理")
                },
                current: if open && !paused { current } else { String::new() },
            };
        }
        Mode::Hall => {
            layout::fill_hall(&mut view, state, scope, english);
            if !scope.whole_hall() && !state.windows.iter().any(|w| scope.holds(w.floor, w.zone.as_deref())) {
                view.problem = t(
                    english,
                    &format!("叫号系统中没有{}的窗口：请核对 --floor / --zone", scope.label(false)),
                    &format!("The hall has no window on {}: check --floor / --zone", scope.label(true)),
                );
            }
        }
    }
    view
}

/// Follows the hall service for one display until `updates` is dropped.
pub struct Feed {
    opts: DisplayOptions,
    hall: HallClient,
    view: DisplayView,
    /// The windows of a floor or zone display's scope, as of the last state.
    scoped: Option<std::collections::HashSet<u32>>,
}

impl Feed {
    pub fn new(opts: DisplayOptions) -> Feed {
        let mut view = DisplayView {
            mode: match opts.mode {
                Mode::Window(_) => "window".into(),
                Mode::Hall => "hall".into(),
            },
            english: opts.english,
            connected: false,
            window: WindowShown { number: if let Mode::Window(n) = opts.mode { n } else { 0 }, ..WindowShown::default() },
            ..DisplayView::default()
        };
        let hall =
            HallClient::builder(&opts.server, opts.token.clone()).ca_file_opt(opts.ca.as_ref()).timeout(Duration::from_secs(5)).build();
        let hall = hall.unwrap_or_else(|e| {
            // A CA that cannot be read: said on the screen; the display never connects.
            view.problem = e.to_string();
            HallClient::with_timeout(&opts.server, opts.token.clone(), Duration::from_secs(5))
        });
        Feed { hall, opts, view, scoped: None }
    }

    /// Fetches the state and reports the view; false when the service could not be reached.
    async fn refresh(&mut self, out: &mpsc::UnboundedSender<Update>) -> bool {
        match self.hall.state().await {
            Ok(v) => {
                self.view = view_for(&v, self.opts.mode, &self.opts.scope, self.opts.english);
                let scope = &self.opts.scope;
                self.scoped = (!scope.whole_hall())
                    .then(|| v.windows.iter().filter(|w| scope.holds(w.floor, w.zone.as_deref())).map(|w| w.number.get()).collect());
                let _ = out.send(Update::View(self.view.clone()));
                true
            }
            // The service answered but will not serve this display (token, role): say so.
            Err(ClientError::Refused { status, message, .. }) if status < 500 => {
                self.view.problem = message;
                let _ = out.send(Update::View(self.view.clone()));
                true
            }
            // An untrusted certificate: the installer's message on the screen, and retry.
            Err(ClientError::Tls(message)) => {
                self.view.problem = message;
                false
            }
            Err(_) => false,
        }
    }

    fn disconnected(&mut self, out: &mpsc::UnboundedSender<Update>) {
        if self.view.connected {
            tracing::warn!("display lost the hall service at {}; reconnecting", self.opts.server);
        }
        self.view.connected = false;
        let _ = out.send(Update::View(self.view.clone()));
    }

    /// Runs until the receiver of `out` is dropped. The event feed resumes after its last
    /// event across drops and restarts of the service; each call comes once.
    pub async fn run(mut self, out: mpsc::UnboundedSender<Update>) {
        let mut feed = self.hall.events(None);
        // Refresh at once, then at most every 100 ms while events arrive, and every 30 s
        // for the clock.
        let mut dirty = true;
        let mut connected = false;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut since_refresh = Duration::ZERO;
        loop {
            tokio::select! {
                item = feed.next() => match item {
                    None => return,
                    Some(FeedItem::Connected { .. }) => {
                        connected = true;
                        dirty = true;
                    }
                    Some(FeedItem::Disconnected { reason, .. }) => {
                        tracing::debug!("display event stream: {reason}");
                        connected = false;
                        // A refused token shows its message; a service that is down, the badge.
                        if !self.refresh(&out).await || self.view.problem.is_empty() {
                            self.disconnected(&out);
                        }
                    }
                    Some(FeedItem::Event { event, live }) => {
                        dirty = true;
                        if let (Some((_, number, window)), true) = (event.event.call(), live) {
                            // A floor's or zone's display flashes and speaks only its own windows' calls.
                            let hall = self.opts.mode == Mode::Hall
                                && self.scoped.as_ref().is_none_or(|s| s.contains(&window.get()));
                            if hall || self.opts.mode == Mode::Window(window.get()) {
                                let _ = out.send(Update::Call { number: number.to_string(), window: window.get(), seq: event.seq });
                            }
                        }
                        if let EventView::ConfigChanged { version, .. } = event.event {
                            tracing::info!("configuration version {version} in force");
                        }
                    }
                },
                _ = tick.tick() => {
                    since_refresh += Duration::from_millis(100);
                    if out.is_closed() {
                        return;
                    }
                    if connected && (dirty || since_refresh >= Duration::from_secs(30)) {
                        if !self.refresh(&out).await {
                            self.disconnected(&out);
                        }
                        dirty = false;
                        since_refresh = Duration::ZERO;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallq_proto::{CallView, CurrentTicket, DisplaySettings, HallName, QueueFigures, TicketNumber, VoiceSettings, WindowNo};

    fn window(number: u32, name: &str, open: bool, paused: Option<&str>, current: Option<(&str, Status)>) -> WindowView {
        WindowView {
            number: WindowNo(number),
            name: Some(name.into()),
            floor: Some(1),
            zone: None,
            kind: None,
            queues: None,
            open,
            paused: paused.is_some(),
            pause_reason: paused.map(Into::into),
            current: current.map(|(n, status)| CurrentTicket {
                id: format!("20261127-{n}").into(),
                number: TicketNumber::new(n),
                status,
                service: String::new(),
                service_en: String::new(),
                holder: None,
                recalls: 0,
                called_at: None,
                started_at: None,
            }),
            served_today: 0,
            paused_since: None,
            staff: None,
        }
    }

    fn call(number: &str, window: u32, recall: bool) -> CallView {
        CallView {
            seq: 1,
            at: String::new(),
            ticket: format!("20261127-{number}").into(),
            number: TicketNumber::new(number),
            window: WindowNo(window),
            recall,
        }
    }

    fn state() -> HallState {
        HallState {
            seq: 10,
            date: None,
            now: "2026-11-27T09:31:05+08:00".into(),
            hall: HallName { name: "示范市民之家".into(), name_en: "Demo Hall".into(), utc_offset: None },
            devices: None,
            kiosks: None,
            displays: None,
            display: DisplaySettings { notice: "午休 12:00–13:30".into(), recent_calls: 2, page_seconds: 8 },
            voice: VoiceSettings { enabled: true, volume: 1.0 },
            windows: vec![
                window(5, "户籍", true, None, Some(("A001", Status::Called))),
                window(6, "户籍", true, Some("系统维护"), None),
                window(7, "社保", false, None, Some(("B002", Status::Finished))),
                window(8, "社保", true, None, Some(("B003", Status::Finished))),
            ],
            queues: vec![QueueFigures {
                id: "A".into(),
                name: "户籍".into(),
                name_en: "Residence".into(),
                prefix: "A".into(),
                waiting: 3,
                estimate_minutes: 12,
                issued_today: None,
                longest_wait_minutes: None,
                windows: None,
            }],
            recent_calls: vec![call("A001", 5, false), call("B003", 8, false), call("B002", 7, false)],
        }
    }

    #[test]
    fn window_display_lines() {
        let v = view_from_state(&state(), Mode::Window(5), false);
        assert_eq!((v.window.current.as_str(), v.window.line.as_str()), ("A001", "请A001号到5号窗口办理"));
        assert_eq!(v.clock, "09:31");
        let v = view_from_state(&state(), Mode::Window(6), false);
        assert_eq!((v.window.current.as_str(), v.window.line.as_str(), v.window.paused), ("", "暂停服务：系统维护", true));
        let v = view_from_state(&state(), Mode::Window(7), true);
        assert_eq!(v.window.line, "Closed: please go to another window");
        // A finished ticket is no longer shown as called.
        let v = view_from_state(&state(), Mode::Window(8), false);
        assert_eq!((v.window.current.as_str(), v.window.line.as_str()), ("", "请留意叫号"));
        let v = view_from_state(&state(), Mode::Window(99), false);
        assert!(v.problem.contains("99"), "{}", v.problem);
        let v = view_from_state(&state(), Mode::Window(5), true);
        assert_eq!(v.window.line, "Number A001, please come to window 5");
    }

    #[test]
    fn hall_display_lists() {
        let v = view_from_state(&state(), Mode::Hall, true);
        assert_eq!(v.hall_name, "Demo Hall");
        assert_eq!(v.calls.len(), 2, "only as many calls as the configuration keeps");
        assert_eq!((v.calls[0].number.as_str(), v.calls[0].window), ("A001", 5));
        let open: Vec<(u32, &str, bool)> = v.windows.iter().map(|w| (w.number, w.current.as_str(), w.paused)).collect();
        assert_eq!(open, vec![(5, "A001", false), (6, "", true), (8, "", false)]);
        assert_eq!(v.queues[0], hallq_ui::view::QueueShown { name: "A Residence".into(), waiting: 3, estimate_minutes: 12 });
        assert_eq!(v.notice, "午休 12:00–13:30");
    }
}
