//! The display feed against a real hall service: a counter calls and the window and hall
//! displays show it; the service restarts and the displays catch up without a missed or
//! repeated call.

mod common;

use std::time::Duration;

use common::*;
use hallq::display::{DisplayOptions, Feed, Mode, Update};
use hallq_proto::{HallClient, WindowAction, WindowCommand, WindowNo};
use hallq_ui::view::DisplayView;
use tokio::sync::mpsc;

struct Screen {
    rx: mpsc::UnboundedReceiver<Update>,
    view: DisplayView,
    calls: Vec<(String, u32)>,
}

impl Screen {
    fn start(server: &str, mode: Mode) -> Screen {
        let (tx, rx) = mpsc::unbounded_channel();
        let opts = DisplayOptions {
            server: server.into(),
            token: "demo-display".into(),
            ca: None,
            mode,
            scope: Default::default(),
            english: false,
        };
        tokio::spawn(Feed::new(opts).run(tx));
        Screen { rx, view: DisplayView::default(), calls: Vec::new() }
    }

    /// Takes updates until `done` holds for the latest view (or fails after 10 s).
    async fn until(&mut self, what: &str, done: impl Fn(&DisplayView) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&self.view) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(Update::View(v))) => self.view = v,
                Ok(Some(Update::Call { number, window, .. })) => self.calls.push((number, window)),
                Ok(None) => panic!("the feed stopped"),
                Err(_) => panic!("display never showed {what}; last view: {:?}", self.view),
            }
        }
    }
}

/// A child `hallq serve`, killed when dropped.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn take(server: &str, n: u32) {
    let issued = HallClient::new(server, "demo-kiosk-1").issue(&issue_req(&format!("d-{n}"), "linshi-sfz")).await.unwrap();
    assert!(!issued.repeated);
}

async fn call(server: &str, window: u32) -> String {
    let a = HallClient::new(server, "demo-manager")
        .window_action(WindowNo(window), WindowAction::CallNext, &WindowCommand::default())
        .await
        .unwrap();
    a.window.current.expect("a ticket was called").number.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn displays_follow_calls_and_catch_up_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let server = format!("http://127.0.0.1:{port}");
    let base = format!("{server}/api/v1");
    let service = Serve(spawn_serve(&config, &data, port));
    wait_healthy(&base).await;
    let mut hall = Screen::start(&server, Mode::Hall);
    let mut win = Screen::start(&server, Mode::Window(1));
    hall.until("the hall name", |v| v.connected && !v.hall_name.is_empty()).await;
    win.until("window 1", |v| v.connected && v.window.number == 1 && !v.window.line.is_empty()).await;

    for w in [1, 2] {
        HallClient::new(&server, "demo-manager").window_action(WindowNo(w), WindowAction::Open, &WindowCommand::default()).await.unwrap();
    }
    take(&server, 1).await;
    take(&server, 2).await;
    let first = call(&server, 1).await;
    win.until("the call at window 1", |v| v.window.current == first).await;
    assert_eq!(win.view.window.line, format!("请{first}号到1号窗口办理"));
    hall.until("the call in the hall", |v| v.calls.first().is_some_and(|c| c.number == first && c.window == 1)).await;
    assert!(hall.view.windows.iter().any(|w| w.number == 1 && w.current == first), "{:?}", hall.view.windows);
    assert_eq!(hall.calls, vec![(first.clone(), 1)], "the hall display speaks each live call once");

    // The service goes away: both displays say they are reconnecting.
    drop(service);
    hall.until("reconnecting", |v| !v.connected).await;
    win.until("reconnecting", |v| !v.connected).await;

    // It comes back; a call made before the displays reconnect is shown, once.
    let _service = Serve(spawn_serve(&config, &data, port));
    wait_healthy(&base).await;
    let second = call(&server, 2).await;
    hall.until("the call made while away", |v| v.connected && v.calls.first().is_some_and(|c| c.number == second)).await;
    take(&server, 3).await;
    let third = call(&server, 1).await;
    win.until("the next call at window 1", |v| v.connected && v.window.current == third).await;
    hall.until("the next call", |v| v.calls.first().is_some_and(|c| c.number == third)).await;
    let numbers: Vec<&str> = hall.view.calls.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(numbers, vec![third.as_str(), second.as_str(), first.as_str()], "each call exactly once, newest first");
    // Spoken once each at most: the call made while the display was away is caught up but
    // not spoken late (unless the display was back in time to hear it live).
    let spoken: Vec<&(String, u32)> = hall.calls.iter().filter(|c| c.0 != second).collect();
    assert_eq!(spoken, vec![&(first.clone(), 1), &(third.clone(), 1)]);
    assert!(hall.calls.iter().filter(|c| c.0 == second).count() <= 1, "{:?}", hall.calls);
    assert_eq!(win.calls, vec![(first, 1), (third, 1)]);
}

#[tokio::test]
async fn a_bad_token_is_shown_on_the_screen() {
    let t = TestHall::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let opts = DisplayOptions {
        server: format!("http://{}", t.addr),
        token: "wrong".into(),
        ca: None,
        mode: Mode::Hall,
        scope: Default::default(),
        english: false,
    };
    tokio::spawn(Feed::new(opts).run(tx));
    let problem = loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("an update") {
            Some(Update::View(v)) if !v.problem.is_empty() => break v.problem,
            Some(_) => {}
            None => panic!("the feed stopped"),
        }
    };
    assert!(problem.contains("令牌"), "{problem}");
}
