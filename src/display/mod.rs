//! Window and hall displays for Linux display boxes (`hallq display`). [`Feed`] follows the
//! hall service's event stream, resumes from its last sequence number after a drop, and
//! turns the hall's state into a [`DisplayView`]; with the `ui` feature, [`runtime`] draws it
//! in Slint and speaks the calls.

#[cfg(feature = "ui")]
pub mod runtime;

use std::time::Duration;

use futures_util::StreamExt;
use hallq_ui::view::{CallShown, DisplayView, QueueShown, WindowShown, WindowTile};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

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
    pub mode: Mode,
    pub english: bool,
}

/// What the feed reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    View(DisplayView),
    /// A call made while the display was following (not one caught up after a drop): the
    /// window display flashes for its own window, the hall display flashes and speaks.
    Call { number: String, window: u32, seq: u64 },
}

fn t(english: bool, zh: &str, en: &str) -> String {
    if english { en.to_string() } else { zh.to_string() }
}

/// "2026-11-27T09:30:05+08:00" → "09:30".
fn clock_text(now: &str) -> String {
    now.get(11..16).unwrap_or_default().to_string()
}

/// The view of the hall's `/state` for this display.
pub fn view_from_state(state: &Value, mode: Mode, english: bool) -> DisplayView {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let name = |v: &Value| if english && v["name_en"].as_str().is_some_and(|n| !n.is_empty()) { s(&v["name_en"]) } else { s(&v["name"]) };
    let showing = |w: &Value| match w["current"]["status"].as_str() {
        Some("called" | "serving") => s(&w["current"]["number"]),
        _ => String::new(),
    };
    let mut view = DisplayView {
        mode: match mode {
            Mode::Window(_) => "window".into(),
            Mode::Hall => "hall".into(),
        },
        english,
        hall_name: name(&state["hall"]),
        clock: clock_text(state["now"].as_str().unwrap_or_default()),
        connected: true,
        notice: s(&state["display"]["notice"]),
        ..DisplayView::default()
    };
    let windows = state["windows"].as_array().cloned().unwrap_or_default();
    match mode {
        Mode::Window(n) => {
            let Some(w) = windows.iter().find(|w| w["number"].as_u64() == Some(n as u64)) else {
                view.problem = t(english, &format!("叫号系统中没有 {n} 号窗口：请核对 --window"), &format!("The hall has no window {n}: check --window"));
                return view;
            };
            let current = showing(w);
            let paused = w["paused"].as_bool().unwrap_or(false);
            let open = w["open"].as_bool().unwrap_or(false);
            view.window = WindowShown {
                number: n,
                name: s(&w["name"]),
                open,
                paused,
                line: if !open {
                    t(english, "暂停服务，请到其他窗口办理", "Closed: please go to another window")
                } else if paused {
                    let reason = s(&w["pause_reason"]);
                    if english { format!("Paused: {reason}") } else { format!("暂停服务：{reason}") }
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
            let keep = state["display"]["recent_calls"].as_u64().unwrap_or(8) as usize;
            view.calls = state["recent_calls"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .take(keep)
                        .map(|c| CallShown { number: s(&c["number"]), window: c["window"].as_u64().unwrap_or(0) as u32, recall: c["recall"].as_bool().unwrap_or(false) })
                        .collect()
                })
                .unwrap_or_default();
            view.windows = windows
                .iter()
                .filter(|w| w["open"].as_bool() == Some(true))
                .map(|w| WindowTile {
                    number: w["number"].as_u64().unwrap_or(0) as u32,
                    name: s(&w["name"]),
                    current: showing(w),
                    paused: w["paused"].as_bool().unwrap_or(false),
                })
                .collect();
            view.queues = state["queues"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|q| QueueShown {
                            name: format!("{} {}", s(&q["prefix"]), name(q)),
                            waiting: q["waiting"].as_u64().unwrap_or(0) as u32,
                            estimate_minutes: q["estimate_minutes"].as_u64().unwrap_or(0) as u32,
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    view
}

/// Follows the hall service for one display until `updates` is dropped.
pub struct Feed {
    opts: DisplayOptions,
    http: reqwest::Client,
    /// The last event seen; the next connection resumes after it.
    last: Option<u64>,
    view: DisplayView,
}

enum Fetch {
    Ok(Value),
    /// The service answered but will not serve this display (token, role).
    Refused(String),
    Down,
}

impl Feed {
    pub fn new(opts: DisplayOptions) -> Feed {
        let view = DisplayView {
            mode: match opts.mode {
                Mode::Window(_) => "window".into(),
                Mode::Hall => "hall".into(),
            },
            english: opts.english,
            connected: false,
            window: WindowShown { number: if let Mode::Window(n) = opts.mode { n } else { 0 }, ..WindowShown::default() },
            ..DisplayView::default()
        };
        Feed { http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("HTTP client"), opts, last: None, view }
    }

    fn base(&self) -> String {
        self.opts.server.trim_end_matches('/').to_string()
    }

    async fn fetch_state(&self) -> Fetch {
        match self.http.get(format!("{}/api/v1/state", self.base())).bearer_auth(&self.opts.token).send().await {
            Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                Ok(v) => Fetch::Ok(v),
                Err(_) => Fetch::Down,
            },
            Ok(r) if r.status().is_client_error() => {
                let v: Value = r.json().await.unwrap_or_default();
                Fetch::Refused(v["error"]["message"].as_str().unwrap_or("叫号系统拒绝了本屏的令牌").to_string())
            }
            _ => Fetch::Down,
        }
    }

    /// Fetches the state and reports the view; false when the service could not be reached.
    async fn refresh(&mut self, out: &mpsc::UnboundedSender<Update>) -> bool {
        match self.fetch_state().await {
            Fetch::Ok(v) => {
                self.view = view_from_state(&v, self.opts.mode, self.opts.english);
                let _ = out.send(Update::View(self.view.clone()));
                true
            }
            Fetch::Refused(msg) => {
                self.view.problem = msg;
                let _ = out.send(Update::View(self.view.clone()));
                true
            }
            Fetch::Down => false,
        }
    }

    fn disconnected(&mut self, out: &mpsc::UnboundedSender<Update>) {
        if self.view.connected {
            tracing::warn!("display lost the hall service at {}; reconnecting", self.opts.server);
        }
        self.view.connected = false;
        let _ = out.send(Update::View(self.view.clone()));
    }

    /// Runs until the receiver of `out` is dropped.
    pub async fn run(mut self, out: mpsc::UnboundedSender<Update>) {
        let mut delay = Duration::from_millis(250);
        while !out.is_closed() {
            let ws_base = self.base().replacen("http", "ws", 1);
            let since = self.last.map(|s| format!("&since={s}")).unwrap_or_default();
            let url = format!("{ws_base}/api/v1/events?token={}{since}", self.opts.token);
            let mut ws = match tokio_tungstenite::connect_async(url).await {
                Ok((ws, _)) => ws,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status().is_client_error() => {
                    // A bad token: say so on the screen (via the state request's message).
                    self.refresh(&out).await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
                Err(_) => {
                    self.disconnected(&out);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            delay = Duration::from_millis(250);
            let mut live_from = u64::MAX;
            // Refresh at once, then at most every 100 ms while events arrive, and every 30 s
            // for the clock.
            let mut dirty = true;
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut since_refresh = Duration::ZERO;
            loop {
                tokio::select! {
                    msg = ws.next() => {
                        let Some(Ok(msg)) = msg else { break };
                        let Message::Text(text) = msg else { continue };
                        let Ok(e) = serde_json::from_str::<Value>(&text) else { continue };
                        if e["type"] == "hello" {
                            if self.last.is_none() {
                                self.last = e["since"].as_u64();
                            }
                            live_from = e["last_seq"].as_u64().unwrap_or(0);
                            continue;
                        }
                        let seq = e["seq"].as_u64().unwrap_or(0);
                        if self.last.is_some_and(|l| seq <= l) {
                            continue;
                        }
                        self.last = Some(seq);
                        dirty = true;
                        if matches!(e["type"].as_str(), Some("ticket_called" | "ticket_recalled")) && seq > live_from {
                            let window = e["window"].as_u64().unwrap_or(0) as u32;
                            if self.opts.mode == Mode::Hall || self.opts.mode == Mode::Window(window) {
                                let _ = out.send(Update::Call { number: e["number"].as_str().unwrap_or_default().to_string(), window, seq });
                            }
                        }
                    }
                    _ = tick.tick() => {
                        since_refresh += Duration::from_millis(100);
                        if out.is_closed() {
                            return;
                        }
                        if dirty || since_refresh >= Duration::from_secs(30) {
                            if !self.refresh(&out).await {
                                break;
                            }
                            dirty = false;
                            since_refresh = Duration::ZERO;
                        }
                    }
                }
            }
            self.disconnected(&out);
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Value {
        serde_json::json!({
            "now": "2026-11-27T09:31:05+08:00",
            "hall": {"name": "示范市民之家", "name_en": "Demo Hall"},
            "display": {"notice": "午休 12:00–13:30", "recent_calls": 2},
            "windows": [
                {"number": 5, "name": "户籍", "open": true, "paused": false, "current": {"number": "A001", "status": "called"}},
                {"number": 6, "name": "户籍", "open": true, "paused": true, "pause_reason": "系统维护", "current": null},
                {"number": 7, "name": "社保", "open": false, "paused": false, "current": {"number": "B002", "status": "done"}},
                {"number": 8, "name": "社保", "open": true, "paused": false, "current": {"number": "B003", "status": "done"}}
            ],
            "queues": [{"prefix": "A", "name": "户籍", "name_en": "Residence", "waiting": 3, "estimate_minutes": 12}],
            "recent_calls": [{"number": "A001", "window": 5, "recall": false}, {"number": "B003", "window": 8}, {"number": "B002", "window": 7}]
        })
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
        assert_eq!(v.queues[0], QueueShown { name: "A Residence".into(), waiting: 3, estimate_minutes: 12 });
        assert_eq!(v.notice, "午休 12:00–13:30");
    }
}
