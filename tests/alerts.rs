//! Alerts end to end: the real service on a fast clock (10x, moved forward for the long
//! waits) with a webhook server of the test's own. A queue waits past warning and critical,
//! a window stays paused, a kiosk goes silent, a printer runs out of paper, a display's
//! screen goes away: `GET /alerts` lists each while it holds, and the webhook receives each
//! raise and clear with the documented body and a valid HMAC. A webhook that fails twice is
//! tried again after growing delays; one that hangs or cannot be reached is given up within
//! its deadline while the service keeps answering.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use chrono::Duration as Minutes;
use common::*;
use hallq::config::{Config, IdentityRule};
use hallq_proto::{
    AlertChange, AlertKind, AlertSeverity, AlertWebhook, AlertsView, DeliveryOutcome, ErrorCode, SubjectKind, WindowAction, WindowCommand,
    WindowNo,
};
use hmac::Mac;

const SECRET: &str = "the-hall-webhook-secret-2026";
/// The fast clock: ten hall seconds every second.
const FAST: &str = "2026-11-27T09:30:00+08:00@10";

/// One POST the webhook received.
#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// The test's webhook: answers 500 while `failures` is above 0, then 200.
#[derive(Clone, Default)]
struct Hook {
    received: Arc<Mutex<Vec<Received>>>,
    failures: Arc<AtomicU32>,
}

impl Hook {
    async fn start(failures: u32) -> (Hook, String) {
        let hook = Hook { failures: Arc::new(AtomicU32::new(failures)), ..Hook::default() };
        let h = hook.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let h = h.clone();
                async move {
                    h.received.lock().unwrap().push(Received { headers, body, at: Instant::now() });
                    let failing = h.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if failing {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (hook, format!("http://{addr}/hook"))
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// The demo hall with alerts after 10 and 20 minutes of waiting, 15 of pausing, 60 s of
/// silence, posted to `webhook` with the test's secret.
fn config(webhook: &str, attempts: u32, timeout_secs: u32) -> Config {
    let mut c = Config::demo();
    let a = &mut c.alerts;
    a.wait_warning_minutes = 10;
    a.wait_critical_minutes = 20;
    a.window_paused_minutes = 15;
    a.kiosk_silent_seconds = 60;
    a.display_silent_seconds = 60;
    a.webhook_url = webhook.to_string();
    a.webhook_secret = SECRET.to_string();
    a.webhook_attempts = attempts;
    a.webhook_timeout_seconds = timeout_secs;
    for q in &mut c.queues {
        q.wait_warning_minutes = None;
        q.wait_critical_minutes = None;
    }
    c
}

/// Reads `/alerts` until `until` holds (at most 20 s).
async fn alerts_until(h: &TestHall, what: &str, until: impl Fn(&AlertsView) -> bool) -> AlertsView {
    let manager = h.client("demo-manager");
    within(20, what, async {
        loop {
            let a = manager.alerts().await.unwrap();
            if until(&a) {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
}

fn has(a: &AlertsView, kind: AlertKind, severity: AlertSeverity, subject: &str) -> bool {
    a.active.iter().any(|x| x.kind == kind && x.severity == severity && x.subject.id == subject)
}

/// The HMAC-SHA256 of `body` under the test's secret, as the header carries it.
fn expected_signature(body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Every POST the webhook received, checked (documented body, header, signature) and read.
fn bodies(hook: &Hook) -> Vec<AlertWebhook> {
    hook.received()
        .iter()
        .map(|r| {
            let raw: serde_json::Value = serde_json::from_slice(&r.body).expect("the body is JSON");
            // The documented shape (docs/alerts.md), field by field.
            assert_eq!(raw["schema"], "hallq-alert/1", "{raw}");
            assert!(raw["change"] == "raised" || raw["change"] == "cleared", "{raw}");
            for field in ["id", "kind", "severity", "message", "message_en", "since", "raised_at"] {
                assert!(raw["alert"][field].is_string(), "alert.{field} in {raw}");
            }
            assert!(raw["alert"]["subject"]["kind"].is_string() && raw["alert"]["subject"]["id"].is_string(), "{raw}");
            assert!(raw["at"].as_str().is_some_and(|t| t.ends_with("+08:00")), "{raw}");
            let signature = r.headers.get("x-hallq-signature").and_then(|v| v.to_str().ok()).expect("a signature header");
            assert_eq!(signature, expected_signature(&r.body), "the signature is the HMAC of the body");
            let event = r.headers.get("x-hallq-event").and_then(|v| v.to_str().ok()).unwrap();
            assert_eq!(event, format!("alert_{}", raw["change"].as_str().unwrap()));
            assert_eq!(r.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
            serde_json::from_value(raw).expect("the contract's AlertWebhook reads it")
        })
        .collect()
}

fn posted(bodies: &[AlertWebhook], change: AlertChange, kind: AlertKind, severity: AlertSeverity, subject: &str) -> bool {
    bodies.iter().any(|b| b.change == change && b.alert.kind == kind && b.alert.severity == severity && b.alert.subject.id == subject)
}

/// A kiosk item of `queue` that needs no ID card.
fn item_of(c: &Config, queue: &str) -> String {
    c.services.iter().find(|s| s.queue == queue && s.identity != IdentityRule::Required && s.kiosk).expect("an item").id.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_condition_is_raised_listed_posted_signed_and_cleared() {
    within(180, "test", async {
        let (hook, url) = Hook::start(0).await;
        let c = config(&url, 3, 5);
        let item = item_of(&c, "C");
        let h = TestHall::start_with(c, FAST).await;
        let manager = h.client("demo-manager");
        let kiosk = h.client("demo-kiosk-1");
        // The hall display's screen follows the event stream.
        let mut screen = ws_connect(&h.events_url("token=demo-display")).await.expect("the display's stream opens");
        let state = manager.state().await.unwrap();
        let displays = state.displays.expect("managers see the displays");
        let hall_display = displays.iter().find(|d| d.display == "hall-display").expect("the demo's display token");
        assert_eq!((hall_display.connections, hall_display.silent), (1, false), "{hall_display:?}");
        assert!(h.client("demo-display").state().await.unwrap().displays.is_none(), "displays are for managers only");

        // A staff member opens window 1 (it serves every queue); a visitor takes a C number.
        let token = h.client("").login("1001", "demo-1001").await.unwrap().token;
        let staff = h.client(&token);
        let none = WindowCommand::default();
        staff.window_action(WindowNo(1), WindowAction::Open, &none).await.unwrap();
        let ticket = kiosk.issue(&issue_req("alerts-1", &item)).await.unwrap().ticket;

        // 11 minutes: a warning for queue C, and kiosk-1 silent since it issued.
        h.advance(Minutes::minutes(11));
        let a = alerts_until(&h, "the wait warning", |a| {
            has(a, AlertKind::QueueWait, AlertSeverity::Warning, "C") && has(a, AlertKind::KioskSilent, AlertSeverity::Warning, "kiosk-1")
        })
        .await;
        let warning = a.active.iter().find(|x| x.kind == AlertKind::QueueWait).unwrap();
        assert_eq!(warning.subject.kind, SubjectKind::Queue);
        assert!(warning.message.contains("最长已等候") && warning.message_en.contains("longest wait"), "{warning:?}");
        assert!(warning.id.starts_with("queue_wait:C:warning:"), "{}", warning.id);
        assert!(a.webhook);
        // The kiosk calls again: its silence ends.
        kiosk.catalog().await.unwrap();
        alerts_until(&h, "kiosk-1 heard again", |a| !has(a, AlertKind::KioskSilent, AlertSeverity::Warning, "kiosk-1")).await;

        // 21 minutes: critical, a new alert in place of the warning, listed first.
        h.advance(Minutes::minutes(10));
        let a = alerts_until(&h, "the wait critical", |a| {
            has(a, AlertKind::QueueWait, AlertSeverity::Critical, "C") && !has(a, AlertKind::QueueWait, AlertSeverity::Warning, "C")
        })
        .await;
        assert_eq!(a.active[0].severity, AlertSeverity::Critical, "most severe first: {:?}", a.active);

        // The window pauses for longer than 15 minutes.
        let pause = WindowCommand { reason: Some("系统维护".into()), ..WindowCommand::default() };
        staff.window_action(WindowNo(1), WindowAction::Pause, &pause).await.unwrap();
        h.advance(Minutes::minutes(16));
        let a = alerts_until(&h, "the long pause", |a| has(a, AlertKind::WindowPaused, AlertSeverity::Warning, "1")).await;
        let paused = a.active.iter().find(|x| x.kind == AlertKind::WindowPaused).unwrap();
        assert_eq!(paused.subject.staff.as_deref(), Some("1001"), "the staff number at the window");
        assert!(paused.message.contains("系统维护") && paused.message_en.contains("系统维护"), "the reason: {paused:?}");
        // Nobody's name in any alert.
        assert!(!serde_json::to_string(&a).unwrap().contains("示例员工"), "{a:?}");

        // The ticket printer runs out of paper.
        kiosk.device_status("ticket-printer", Some("打印机缺纸，请联系工作人员")).await.unwrap();
        let a = alerts_until(&h, "the paper-out", |a| has(a, AlertKind::DeviceFault, AlertSeverity::Critical, "kiosk-1")).await;
        let paper = a.active.iter().find(|x| x.kind == AlertKind::DeviceFault).unwrap();
        assert_eq!(paper.subject.device.as_deref(), Some("ticket-printer"));
        assert!(paper.message.contains("缺纸"), "{paper:?}");

        // The display's screen goes away: silent a minute later.
        screen.close(None).await.unwrap();
        drop(screen);
        within(10, "the stream closed", async {
            while manager.state().await.unwrap().displays.unwrap().iter().any(|d| d.display == "hall-display" && d.connections > 0) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        h.advance(Minutes::seconds(61));
        alerts_until(&h, "the silent display", |a| has(a, AlertKind::DisplaySilent, AlertSeverity::Warning, "hall-display")).await;
        let links = manager.state().await.unwrap().displays.unwrap();
        assert!(links.iter().any(|d| d.display == "hall-display" && d.silent && d.disconnected_at.is_some()), "{links:?}");

        // Everything put right: paper loaded, the window back and calling, the screen back.
        kiosk.device_status("ticket-printer", None).await.unwrap();
        staff.window_action(WindowNo(1), WindowAction::Resume, &none).await.unwrap();
        let called = staff.window_action(WindowNo(1), WindowAction::CallNext, &none).await.unwrap();
        assert_eq!(called.window.current.map(|t| t.id), Some(ticket.id));
        let screen = ws_connect(&h.events_url("token=demo-display")).await.unwrap();
        kiosk.catalog().await.unwrap();
        alerts_until(&h, "all cleared", |a| a.active.iter().all(|x| x.kind == AlertKind::KioskSilent && x.subject.id != "kiosk-1")).await;

        // The webhook got every raise and clear, documented and signed.
        let expected = [
            (AlertKind::QueueWait, AlertSeverity::Warning, "C"),
            (AlertKind::QueueWait, AlertSeverity::Critical, "C"),
            (AlertKind::KioskSilent, AlertSeverity::Warning, "kiosk-1"),
            (AlertKind::WindowPaused, AlertSeverity::Warning, "1"),
            (AlertKind::DeviceFault, AlertSeverity::Critical, "kiosk-1"),
            (AlertKind::DisplaySilent, AlertSeverity::Warning, "hall-display"),
        ];
        let b = within(20, "the webhook's clears", async {
            loop {
                let b = bodies(&hook);
                if expected.iter().all(|(k, s, id)| posted(&b, AlertChange::Cleared, *k, *s, id)) {
                    return b;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        let count = |change: AlertChange, kind: AlertKind, severity: AlertSeverity, id: &str| {
            b.iter()
                .filter(|x| x.change == change && x.alert.kind == kind && x.alert.severity == severity && x.alert.subject.id == id)
                .count()
        };
        for (kind, severity, id) in expected {
            let raised = count(AlertChange::Raised, kind, severity, id);
            if kind == AlertKind::KioskSilent {
                // Silent after each jump of the clock, heard again after each of its calls.
                assert!(raised >= 2, "kiosk-1 went silent {raised} times");
            } else {
                assert_eq!(raised, 1, "{kind:?} {severity:?} {id} raised once while it held");
            }
            assert_eq!(count(AlertChange::Cleared, kind, severity, id), raised, "{kind:?} {id}: each raise cleared once");
        }
        // A clear names the alert it ends, and comes after its raise.
        let critical = b.iter().position(|x| x.change == AlertChange::Raised && x.alert.severity == AlertSeverity::Critical).unwrap();
        let cleared = b.iter().position(|x| x.change == AlertChange::Cleared && x.alert.id == b[critical].alert.id).unwrap();
        assert!(cleared > critical);
        assert!(b.iter().all(|x| x.hall == "示例县市民之家"), "{:?}", b[0].hall);
        // Every delivery is in the log, delivered at the first try.
        let a = manager.alerts().await.unwrap();
        assert!(a.deliveries.len() >= b.len().min(100), "{} deliveries for {} posts", a.deliveries.len(), b.len());
        assert!(a.deliveries.iter().all(|d| d.outcome == DeliveryOutcome::Delivered && d.attempt == 1 && d.status == Some(200)));
        drop(screen);
        h.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_fails_twice_is_tried_again_after_growing_delays() {
    within(60, "test", async {
        let (hook, url) = Hook::start(2).await;
        let mut c = config(&url, 5, 5);
        // Only the fault: no silence alerts.
        (c.alerts.kiosk_silent_seconds, c.alerts.display_silent_seconds) = (0, 0);
        let h = TestHall::start_with(c, FAST).await;
        h.client("demo-kiosk-1").device_status("scanner", Some("scanner jammed")).await.unwrap();
        let a = alerts_until(&h, "delivered", |a| a.deliveries.iter().any(|d| d.outcome == DeliveryOutcome::Delivered)).await;
        let id = &a.active[0].id;
        let mut tries: Vec<_> = a.deliveries.iter().filter(|d| &d.alert == id).cloned().collect();
        tries.reverse();
        let seen: Vec<_> = tries.iter().map(|d| (d.attempt, d.status, d.outcome, d.retry_in_secs)).collect();
        assert_eq!(
            seen,
            [
                (1, Some(500), DeliveryOutcome::Retrying, Some(1.0)),
                (2, Some(500), DeliveryOutcome::Retrying, Some(2.0)),
                (3, Some(200), DeliveryOutcome::Delivered, None)
            ]
        );
        assert!(tries[0].error.as_deref().is_some_and(|e| e.contains("500")), "{:?}", tries[0]);
        // The webhook saw the same signed body three times, the second gap longer than the first.
        let r = hook.received();
        assert_eq!(r.len(), 3);
        assert!(r.iter().all(|x| x.body == r[0].body && x.headers["x-hallq-signature"] == expected_signature(&r[0].body)));
        let attempts: Vec<_> = r.iter().map(|x| x.headers["x-hallq-attempt"].to_str().unwrap().to_string()).collect();
        assert_eq!(attempts, ["1", "2", "3"]);
        let (first, second) = (r[1].at - r[0].at, r[2].at - r[1].at);
        assert!(first >= Duration::from_millis(900) && second >= Duration::from_millis(1900), "{first:?} then {second:?}");
        assert!(second > first, "the delay grows: {first:?} then {second:?}");
        h.stop().await;
    })
    .await
}

/// Raises an alert at a webhook that never answers (or cannot be reached) and checks it is
/// given up within its deadline while the service answers as usual.
async fn gives_up(url: String, expect_error: &str) {
    let mut c = config(&url, 2, 1);
    (c.alerts.kiosk_silent_seconds, c.alerts.display_silent_seconds) = (0, 0);
    let h = TestHall::start_with(c, FAST).await;
    let started = Instant::now();
    h.client("demo-kiosk-1").device_status("ticket-printer", Some("打印机缺纸，请联系工作人员")).await.unwrap();
    // Meanwhile the service answers at once.
    let display = h.client("demo-display");
    let mut slowest = Duration::ZERO;
    let a = within(15, "given up", async {
        loop {
            let t = Instant::now();
            display.state().await.unwrap();
            slowest = slowest.max(t.elapsed());
            let a = h.client("demo-manager").alerts().await.unwrap();
            if a.deliveries.iter().any(|d| d.outcome == DeliveryOutcome::GivenUp) {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    // Two tries of at most a second each (and a guard's second), one second apart.
    assert!(started.elapsed() < Duration::from_secs(8), "given up after {:?}", started.elapsed());
    // A request that waited for the webhook would take a whole try (a second) or more.
    assert!(slowest < Duration::from_millis(900), "a request took {slowest:?} while the webhook hung");
    let tries: Vec<_> = a.deliveries.iter().rev().map(|d| (d.attempt, d.outcome)).collect();
    assert_eq!(tries, [(1, DeliveryOutcome::Retrying), (2, DeliveryOutcome::GivenUp)]);
    assert!(a.deliveries.iter().all(|d| d.status.is_none() && d.error.as_deref().is_some_and(|e| e.contains(expect_error))), "{a:?}");
    // The alert itself is unaffected.
    assert!(has(&a, AlertKind::DeviceFault, AlertSeverity::Critical, "kiosk-1"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_is_given_up_within_its_deadline_and_the_service_keeps_serving() {
    within(60, "test", async {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                keep.lock().unwrap().push(socket);
            }
        });
        gives_up(format!("http://{addr}/hook"), "no answer within 1 s").await;
        assert_eq!(held.lock().unwrap().len(), 2, "two tries reached the webhook");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_webhook_is_given_up() {
    within(60, "test", async {
        gives_up(format!("http://127.0.0.1:{}/hook", free_port()), "cannot connect").await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_managers_read_alerts() {
    within(60, "test", async {
        let h = TestHall::start().await;
        for token in ["demo-kiosk-1", "demo-counter-1-6", "demo-display", "demo-system", "demo-rating-1", "demo-metrics"] {
            assert_eq!(refusal(h.client(token).alerts().await), (403, ErrorCode::ForbiddenRole), "{token}");
        }
        assert_eq!(refusal(h.client("").alerts().await), (401, ErrorCode::Unauthorized));
        let counter = h.client("").login("1001", "demo-1001").await.unwrap().token;
        assert_eq!(refusal(h.client(&counter).alerts().await).1, ErrorCode::ForbiddenRole);
        let manager = h.client("").login("9001", "demo-9001").await.unwrap().token;
        let a = h.client(&manager).alerts().await.unwrap();
        assert!(!a.webhook, "the demo hall posts nowhere");
        h.stop().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_secret_is_never_shown_and_survives_an_edit() {
    within(60, "test", async {
        let h = TestHall::start().await;
        let manager = h.client("demo-manager");
        let text = hallq::config::DEFAULT_TOML.replacen(
            "webhook_url = \"\"",
            &format!("webhook_url = \"https://ops.example.cn/hooks/hallq\"\nwebhook_secret = \"{SECRET}\""),
            1,
        );
        let saved = manager.put_config(&text, None).await.unwrap();
        let shown = manager.config().await.unwrap();
        let toml = shown.toml.expect("the saved version's text");
        assert!(!toml.contains(SECRET), "GET /config shows the webhook secret");
        assert!(toml.contains("webhook_secret = \"sha256:"), "the secret's SHA-256 stands in its place");
        // A manager edits something else and puts the text back as shown: the secret stays.
        let edited = toml.replacen("window_paused_minutes = 30", "window_paused_minutes = 20", 1);
        manager.put_config(&edited, Some(saved.version)).await.unwrap();
        let config = h.hall.config();
        assert_eq!(config.alerts.window_paused_minutes, 20);
        assert_eq!(config.alerts.signing_key(), Some(SECRET.as_bytes()), "the secret in force is kept");
        // A made-up SHA-256 is refused at its field.
        let at = toml.find("webhook_secret = \"sha256:").unwrap() + "webhook_secret = \"".len();
        let forged = toml.replacen(&toml[at..at + 71], &format!("sha256:{}", "0".repeat(64)), 1);
        let (status, code) = refusal(manager.put_config(&forged, None).await);
        assert_eq!((status, code), (422, ErrorCode::InvalidConfig), "a secret the hall does not hold");
        h.stop().await;
    })
    .await
}
