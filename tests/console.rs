//! The manager console (`/console`) in real headless Chromium against a child `hallq serve`
//! on a fast clock: a manager signs in (a counter's staff account is turned away); the live
//! hall shows who serves at each window and why one is paused; a long wait and a silent
//! kiosk raise alerts that a test webhook receives; a paper-out shows under devices; the
//! manager edits the configuration (an error is pointed at its line, the ticket preview is
//! drawn), saves it and a kiosk's catalogue changes live, then rolls back in one step and
//! the chain names the manager's staff number; the report is exported as CSV and XLSX and
//! both are checked row by row against the report; supervision lists the pause and a
//! specific call, and the call's ticket opens with its full history.
//! With HALLQ_SCREENSHOTS=DIR every page is saved there (docs/console/ holds them).

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::browser::*;
use common::*;
use fantoccini::{Client, Locator};
use hallq_proto::{Actor, FeedItem, HallClient, ReportBy};
use serde_json::{json, Value};

const KIOSK: &str = "demo-kiosk-1";

/// A webhook receiver: every JSON body POSTed to it, in order.
async fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// Polls `f` every 200 ms until it is true, for at most `secs` seconds.
async fn until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Waits until the script returns true, for at most 20 s.
async fn wait_js(c: &Client, script: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while js(c, script).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn open(c: &Client, base: &str, section: &str) {
    c.goto(&format!("{base}/console#{section}")).await.unwrap();
}

/// The one file that appears in `dir` with extension `ext`, once it is whole.
async fn downloaded(dir: &Path, ext: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found =
            std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == ext));
        if let Some(p) = found {
            let bytes = std::fs::read(&p).unwrap();
            if !bytes.is_empty() {
                return bytes;
            }
        }
        assert!(Instant::now() < deadline, "no .{ext} download in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn managers_run_the_hall_from_the_console() {
    within(420, "the console", async {
        let (hook, received) = webhook().await;
        let (_driver, driver_port) = chromedriver();
        let dir = tempfile::tempdir().unwrap();
        let downloads = dir.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        // Queue B warns after 3 hall-minutes of waiting; kiosks are silent after 2 minutes.
        let text = hallq::config::DEFAULT_TOML
            .replacen("wait_warning_minutes = 15\nwait_critical_minutes = 30", "wait_warning_minutes = 3\nwait_critical_minutes = 60", 1)
            .replacen("webhook_url = \"\"", &format!("webhook_url = \"{hook}\""), 1);
        assert!(text.contains(&hook) && text.contains("wait_warning_minutes = 3"), "the demo configuration changed shape");
        let config = dir.path().join("hall.toml");
        std::fs::write(&config, &text).unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        // Twenty hall-seconds to a second: the waits and the silence come quickly.
        let _server = Kill(spawn_serve_clock(&config, &dir.path().join("data"), port, &format!("{MORNING}@20")));
        wait_healthy(&format!("{base}/api/v1")).await;
        let http = client();
        let kiosk = HallClient::with_timeout(&base, KIOSK, Duration::from_secs(10));

        // Six visitors take 临时身份证 (queue B); a kiosk's printer runs out of paper.
        let mut tickets = Vec::new();
        for i in 0..6 {
            let (s, t) = post(&http, &format!("{base}/api/v1/tickets"), KIOSK, json!({"request_id": format!("c{i}"), "service": "linshi-sfz"})).await;
            assert_eq!(s, 201, "{t}");
            tickets.push(t);
        }
        let (s, _) = post(&http, &format!("{base}/api/v1/devices/status"), KIOSK, json!({"device": "ticket-printer", "fault": "缺纸"})).await;
        assert_eq!(s, 200);

        // Counter staff 1001 serves at window 4, calls B004 out of turn at window 6 and
        // pauses window 5.
        let staff = hallq_proto::HallClient::with_timeout(&base, "", Duration::from_secs(10)).login("1001", "demo-1001").await.unwrap().token;
        let act = |w: u32, action: &str, body: Value| {
            let (http, base, staff) = (http.clone(), base.clone(), staff.clone());
            let action = action.to_string();
            async move {
                let (s, v) = post(&http, &format!("{base}/api/v1/windows/{w}/{action}"), &staff, body).await;
                assert_eq!(s, 200, "{action} at {w}: {v}");
            }
        };
        for w in [4, 5, 6] {
            act(w, "open", json!({})).await;
        }
        act(4, "call-next", json!({})).await;
        act(4, "start", json!({})).await;
        let b004 = tickets[3]["id"].as_str().unwrap().to_string();
        act(6, "call", json!({"ticket": b004, "reason": "预约老人优先"})).await;
        act(5, "pause", json!({"reason": "系统故障报修"})).await;

        // The console runs only its own scripts and is never framed by another page.
        let page = http.get(format!("{base}/console")).send().await.unwrap();
        let csp = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        let c = browser_with(driver_port, (1600, 1000), Some(&downloads)).await;

        // Sign-in: a counter's account is turned away, the manager's is let in.
        open(&c, &base, "live").await;
        wait_text(&c, "#t-signin", |t| t.contains("管理员登录")).await;
        shot(&c, "console-signin").await;
        c.find(Locator::Id("staffInput")).await.unwrap().send_keys("1001").await.unwrap();
        c.find(Locator::Id("passwordInput")).await.unwrap().send_keys("demo-1001").await.unwrap();
        click(&c, "#signinBtn").await;
        wait_text(&c, "#signinMsg", |t| t.contains("不是管理员")).await;
        c.find(Locator::Id("staffInput")).await.unwrap().clear().await.unwrap();
        c.find(Locator::Id("staffInput")).await.unwrap().send_keys("9001").await.unwrap();
        c.find(Locator::Id("passwordInput")).await.unwrap().send_keys("demo-9001").await.unwrap();
        click(&c, "#signinBtn").await;
        wait_text(&c, "#who", |t| t.contains("9001")).await;

        // The live hall: who serves where, since when, and why a window is paused.
        let w4 = wait_text(&c, "tr[data-window='4']", |t| t.contains("B001")).await;
        assert!(w4.contains("1001") && w4.contains("办理中"), "{w4}");
        let w5 = wait_text(&c, "tr[data-window='5']", |t| t.contains("暂停")).await;
        assert!(w5.contains("系统故障报修") && w5.contains("1001"), "{w5}");
        let w6 = wait_text(&c, "tr[data-window='6']", |t| t.contains("B004")).await;
        assert!(w6.contains("呼叫中"), "{w6}");
        wait_text(&c, "tr[data-queue='B']", |t| t.split_whitespace().nth(2) == Some("4")).await;

        // A long wait and a silent kiosk raise alerts, on the page and at the webhook.
        wait_text(&c, "#liveAlerts", |t| t.contains("即办业务") && t.contains("kiosk-2")).await;
        shot(&c, "console-live").await;
        until(30, "the webhook receives the wait and the silence", || {
            let got = received.lock().unwrap();
            let raised = |kind: &str| got.iter().any(|v| v["change"] == "raised" && v["alert"]["kind"] == kind);
            raised("queue_wait") && raised("kiosk_silent") && raised("device_fault")
        })
        .await;
        {
            let got = received.lock().unwrap();
            let wait = got.iter().find(|v| v["alert"]["kind"] == "queue_wait").unwrap();
            assert_eq!(wait["schema"], "hallq-alert/1", "{wait}");
            assert_eq!(wait["alert"]["subject"]["id"], "B", "{wait}");
            let text = serde_json::to_string(&*got).unwrap();
            assert!(!text.contains("张") && !text.contains("id_number"), "no personal data in alerts: {text}");
        }
        open(&c, &base, "alerts").await;
        wait_text(&c, "#alertList", |t| t.contains("即办业务")).await;
        wait_text(&c, "#deliveries", |t| t.contains("已送达")).await;
        shot(&c, "console-alerts").await;

        // Kiosks and devices: the paper-out, the silent kiosk, the configuration version
        // each kiosk last fetched.
        assert_eq!(kiosk.catalog().await.unwrap().config_version, 1);
        open(&c, &base, "devices").await;
        wait_text(&c, "tr[data-kiosk='kiosk-1']", |t| t.contains("v1")).await;
        let paper = wait_text(&c, "tr[data-device='kiosk-1/ticket-printer']", |t| t.contains("故障")).await;
        assert!(paper.contains("缺纸") && paper.contains("取号打印机"), "{paper}");
        wait_text(&c, "tr[data-kiosk='kiosk-2']", |t| t.contains("离线")).await;
        shot(&c, "console-devices").await;

        // Configuration: an error is pointed at its line; the ticket preview is drawn.
        open(&c, &base, "config").await;
        wait_text(&c, "#cfgVersion", |t| t.contains("v1")).await;
        wait_js(&c, "return document.getElementById('preview').naturalWidth >= 300", "the ticket preview drawn").await;
        shot(&c, "console-config").await;
        js(&c, "const e = document.getElementById('editor'); e.value = e.value.replace('prefix = \"B\"', 'prefix = \"BB\"'); return 0").await;
        click(&c, "#cfgSave").await;
        let err = wait_text(&c, "#cfgErr", |t| !t.is_empty()).await;
        let line = text.lines().position(|l| l.contains("prefix = \"B\"")).unwrap() + 1;
        assert!(err.contains("prefix") && err.contains(&format!("第 {line} 行")), "{err}");
        let selected = js(&c, "const e = document.getElementById('editor'); return e.value.slice(e.selectionStart, e.selectionEnd)").await;
        assert_eq!(selected.as_str(), Some("prefix = \"BB\""), "the faulty line is selected");
        shot(&c, "console-config-error").await;

        // A good change: the hall's name. A kiosk following the stream sees it at once.
        let mut feed = kiosk.events(None);
        assert!(matches!(within(10, "the stream", feed.next()).await, Some(FeedItem::Connected { .. })));
        js(&c, "const e = document.getElementById('editor'); e.value = e.value.replace('prefix = \"BB\"', 'prefix = \"B\"').replace('name = \"示例县市民之家\"', 'name = \"示例县政务服务中心\"'); e.dispatchEvent(new Event('input')); return 0").await;
        click(&c, "#cfgSave").await;
        wait_text(&c, "#cfgMsg", |t| t.contains("v2")).await;
        loop {
            match within(10, "config_changed", feed.next()).await {
                Some(FeedItem::Event { event, .. }) => {
                    if let hallq_proto::EventView::ConfigChanged { version, .. } = event.event {
                        assert_eq!(version, 2);
                        break;
                    }
                }
                Some(_) => {}
                None => panic!("the stream ended"),
            }
        }
        assert_eq!(kiosk.catalog().await.unwrap().hall.name, "示例县政务服务中心");
        drop(feed);
        let v2 = wait_text(&c, "tr[data-version='2']", |t| t.contains("9001")).await;
        assert!(v2.contains("当前"), "{v2}");

        // The diff between the two versions, then back to version 1 in one step.
        click(&c, "#diffGo").await;
        let diff = wait_text(&c, "#diff", |t| t.contains("示例县政务服务中心")).await;
        assert!(diff.contains("-name = \"示例县市民之家\"") && diff.contains("+name = \"示例县政务服务中心\""), "{diff}");
        click(&c, "button.rollback[data-v='1']").await;
        c.accept_alert().await.unwrap();
        wait_text(&c, "#cfgMsg", |t| t.contains("v3")).await;
        assert_eq!(kiosk.catalog().await.unwrap().hall.name, "示例县市民之家");
        // The chain records the manager's staff number for both changes.
        let manager = HallClient::with_timeout(&base, "demo-manager", Duration::from_secs(10));
        let versions = manager.config_versions().await.unwrap().versions;
        let by = |n: u64| versions.iter().find(|v| v.version == n).unwrap().clone();
        assert_eq!(by(2).actor, Some(Actor::staff("9001")), "{:?}", by(2));
        assert_eq!(by(3).actor, Some(Actor::staff("9001")), "{:?}", by(3));
        assert!(by(3).by.as_deref().is_some_and(|b| b.contains("rollback to v1")), "{:?}", by(3));
        shot(&c, "console-config-rolled-back").await;

        // Reports: the table, the charts, and both exports row by row against the report.
        open(&c, &base, "reports").await;
        wait_text(&c, "#report", |t| t.contains("临时居民身份证")).await;
        wait_js(&c, "return document.querySelectorAll('#chartHours canvas, #chartWaits canvas, #chartRatings canvas').length === 3", "three charts drawn").await;
        shot(&c, "console-reports").await;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let report = manager.report(day, day, ReportBy::Item).await.unwrap();
        assert!(!report.rows.is_empty());
        click(&c, "#repCsv").await;
        let csv = String::from_utf8(downloaded(&downloads, "csv").await).unwrap();
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        let header = lines.next().unwrap();
        assert!(header.contains("取号"), "{header}");
        let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(|c| c.trim_matches('"').to_string()).collect()).collect();
        assert_eq!(rows.len(), report.rows.len(), "{csv}");
        for (row, want) in rows.iter().zip(&report.rows) {
            assert!(row.contains(&want.key), "{row:?} vs {want:?}");
            assert!(row.contains(&want.tickets.to_string()) && row.contains(&want.served.to_string()), "{row:?} vs {want:?}");
        }
        click(&c, "#repXlsx").await;
        let xlsx = downloaded(&downloads, "xlsx").await;
        use calamine::{DataType, Reader};
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
        let first = book.sheet_names()[0].clone();
        let sheet = book.worksheet_range(&first).unwrap();
        let body: Vec<_> = sheet.rows().skip(1).filter(|r| !r.iter().all(|c| c.is_empty())).collect();
        assert_eq!(body.len(), report.rows.len());
        for (row, want) in body.iter().zip(&report.rows) {
            assert_eq!(row[0].to_string(), want.key, "{row:?}");
            // Key, name, then the figures: tickets and served.
            assert_eq!(row[2].to_string(), want.tickets.to_string(), "{row:?}");
            assert_eq!(row[3].to_string(), want.served.to_string(), "{row:?}");
        }

        // Supervision: the pause with its reason and the specific call, each with the staff
        // number; the call's ticket opens with its history.
        open(&c, &base, "supervision").await;
        click(&c, "#supGo").await;
        let actions = wait_text(&c, "#supActions", |t| t.contains("系统故障报修")).await;
        assert!(actions.contains("预约老人优先") && actions.contains("工号 1001"), "{actions}");
        wait_text(&c, "#chainBox", |t| t.contains("链头哈希")).await;
        shot(&c, "console-supervision").await;
        click(&c, &format!("#supActions a.tk[data-ticket='{b004}']")).await;
        let history = wait_text(&c, "#tkBody", |t| t.contains("呼叫")).await;
        assert!(history.contains("工号 1001") && history.contains("预约老人优先"), "{history}");
        shot(&c, "console-ticket").await;
        click(&c, "#tkClose").await;

        // English.
        c.goto(&format!("{base}/console?lang=en#live")).await.unwrap();
        wait_text(&c, "#nav", |t| t.contains("Live hall") && t.contains("Supervision")).await;
        wait_text(&c, "tr[data-window='5']", |t| t.contains("Paused")).await;
        shot(&c, "console-live-en").await;

        // Signing out ends the session: the page asks to sign in again.
        click(&c, "#signoutBtn").await;
        wait_text(&c, "#t-signin", |t| t.contains("管理员登录") || t.contains("Manager")).await;
        c.close().await.unwrap();
    })
    .await
}
