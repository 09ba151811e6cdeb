//! The web pages in real headless Chromium (Debian chromium and chromium-driver), against
//! a child `hallq serve`: a counter calls and the window and hall displays show it; the
//! service restarts and the displays say they are reconnecting, then catch up without a
//! missed or repeated call; the rating tablet and the visitor's phone page follow along.
//! With HALLQ_SCREENSHOTS=DIR every page is also saved as a PNG there.

mod common;

use std::time::{Duration, Instant};

use common::browser::*;
use common::*;
use fantoccini::Locator;
use serde_json::json;

fn serve(config: &std::path::Path, data: &std::path::Path, port: u16) -> Kill {
    Kill(spawn_serve(config, data, port))
}

async fn healthy(base: &str) {
    wait_healthy(&format!("{base}/api/v1")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_call_and_displays_follow_through_a_restart() {
    let (_driver, driver_port) = chromedriver();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    // Recalls a second apart, so the 过号 rule (2 recalls or 3 minutes) is met in the test.
    std::fs::write(&config, hallq::config::DEFAULT_TOML.replacen("recall_min_gap_secs = 20", "recall_min_gap_secs = 1", 1)).unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&config, &data, port);
    healthy(&base).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let http = client();
    let mut tickets = Vec::new();
    for i in 0..4 {
        let (s, t) =
            post(&http, &format!("{base}/api/v1/tickets"), "demo-kiosk-1", json!({"request_id": format!("b{i}"), "service": "linshi-sfz"}))
                .await;
        assert_eq!(s, 201);
        tickets.push(t);
    }

    let counter = browser(driver_port, (1366, 768)).await;
    let window = browser(driver_port, (1280, 720)).await;
    let hall = browser(driver_port, (1920, 1080)).await;
    let tablet = browser(driver_port, (1280, 800)).await;
    let phone = browser(driver_port, (412, 860)).await;

    // Staff 1001 signs in with staff number and password and picks window 4; a wrong
    // password first is told so.
    counter.goto(&format!("{base}/counter?window=4")).await.unwrap();
    shot(&counter, "counter-signin").await;
    counter.find(Locator::Css("#staffInput")).await.unwrap().send_keys("1001").await.unwrap();
    counter.find(Locator::Css("#passwordInput")).await.unwrap().send_keys("not-it").await.unwrap();
    counter.find(Locator::Css("#staffBtn")).await.unwrap().click().await.unwrap();
    wait_text(&counter, "#signinMsg", |t| t.contains("工号或密码不正确")).await;
    counter.find(Locator::Css("#passwordInput")).await.unwrap().send_keys("demo-1001").await.unwrap();
    counter.find(Locator::Css("#staffBtn")).await.unwrap().click().await.unwrap();
    wait_text(&counter, "#count", |t| t.contains('4')).await;
    window.goto(&format!("{base}/display/window?window=4&token=demo-display")).await.unwrap();
    hall.goto(&format!("{base}/display/hall?token=demo-display")).await.unwrap();
    // The rating tablet of window 4 has its own token (a counter's is refused by the page).
    tablet.goto(&format!("{base}/rate?token=demo-counter-1-6")).await.unwrap();
    wait_text(&tablet, "#hint", |t| t.contains("评价器的令牌")).await;
    tablet.goto(&format!("{base}/rate?token=demo-rating-4")).await.unwrap();
    wait_text(&tablet, "#win", |t| t == "4 号窗口").await;
    let first = &tickets[0];
    phone.goto(&format!("{base}/t/{}?token={}", first["id"].as_str().unwrap(), first["token"].as_str().unwrap())).await.unwrap();
    wait_text(&phone, "#status", |t| t.contains("请在1楼等候区等候，留意叫号")).await;
    wait_text(&phone, "#rule", |t| t.starts_with("过号：叫号后重呼2次或3分钟仍未到即为过号")).await;
    wait_text(&window, "#line", |t| t.contains("欢迎") || t.contains("未开放")).await;
    shot(&window, "window-display-idle").await;

    // Call: the counter, the window display, the hall display and the phone all show B001.
    counter.find(Locator::Css("button[data-act='call-next']")).await.unwrap().click().await.unwrap();
    wait_text(&counter, "#num", |t| t == "B001").await;
    wait_text(&window, "#num", |t| t == "B001").await;
    wait_text(&window, "#line", |t| t == "请 B001 号到 4 号窗口办理").await;
    wait_text(&hall, "#newestLine", |t| t == "请 B001 号到 1 楼 4 号窗口").await;
    wait_text(&hall, "#w4 .cur", |t| t == "B001").await;
    wait_text(&phone, "#status", |t| t.contains("请到 4 号窗口")).await;
    shot(&counter, "counter").await;
    shot(&window, "window-display").await;
    shot(&hall, "hall-display").await;
    shot(&phone, "visitor-status-called").await;

    // Start, finish and ask for a rating with the keyboard (F3, F4, F10); the tablet asks.
    for key in ["\u{E033}", "\u{E034}"] {
        counter.active_element().await.unwrap().send_keys(key).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    wait_text(&counter, "#state", |t| t.contains("空闲")).await;
    counter.active_element().await.unwrap().send_keys("\u{E03A}").await.unwrap();
    wait_text(&tablet, "#ask h1", |t| t.contains("评价")).await;
    shot(&tablet, "rating-tablet").await;
    tablet.find(Locator::Css("button[data-r='very_satisfied']")).await.unwrap().click().await.unwrap();
    wait_text(&tablet, "#thanks h1", |t| t.contains("感谢")).await;
    let (_, t) = get(&http, &format!("{base}/api/v1/tickets/{}", first["id"].as_str().unwrap()), "demo-manager").await;
    assert_eq!(t["rating"], "very_satisfied");

    // Pause with a reason: the window display says so.
    counter.find(Locator::Css("button[data-act='pause']")).await.unwrap().click().await.unwrap();
    counter.find(Locator::Css("dialog input[name='reason']")).await.unwrap().send_keys("临时离开").await.unwrap();
    counter.find(Locator::Css("dialog button[value='ok']")).await.unwrap().click().await.unwrap();
    wait_text(&window, "#num", |t| t == "暂停服务").await;
    wait_text(&window, "#line", |t| t == "临时离开").await;
    shot(&window, "window-display-paused").await;
    counter.find(Locator::Css("button[data-act='resume']")).await.unwrap().click().await.unwrap();
    wait_text(&window, "#line", |t| t.contains("欢迎")).await;

    // An error from the service is shown to staff in words.
    counter.find(Locator::Css("button[data-act='call']")).await.unwrap().click().await.unwrap();
    counter.find(Locator::Css("dialog input[name='ticket']")).await.unwrap().send_keys("B999").await.unwrap();
    counter.find(Locator::Css("dialog input[name='reason']")).await.unwrap().send_keys("测试").await.unwrap();
    counter.find(Locator::Css("dialog button[value='ok']")).await.unwrap().click().await.unwrap();
    wait_text(&counter, "#msg", |t| t.contains("没有这张票")).await;
    assert!(class_of(&counter, "#msg").await.contains("err"));

    // The service goes away: every page says it is reconnecting.
    drop(server);
    for page in [&window, &hall, &counter] {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !class_of(page, "#conn").await.contains("down") {
            assert!(Instant::now() < deadline, "no reconnecting state shown");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    shot(&hall, "hall-display-reconnecting").await;

    // It comes back; a call made before the pages reconnect is caught up, once.
    server = serve(&config, &data, port);
    healthy(&base).await;
    let (s, _) = post(&http, &format!("{base}/api/v1/windows/4/call-next"), "demo-counter-1-6", json!({})).await;
    assert_eq!(s, 200);
    wait_text(&window, "#num", |t| t == "B002").await;
    wait_text(&hall, "#newestLine", |t| t.contains("B002")).await;
    wait_text(&counter, "#num", |t| t == "B002").await;
    for page in [&window, &hall] {
        assert!(!class_of(page, "#conn").await.contains("down"), "still reconnecting");
    }
    let calls = hall.find_all(Locator::Css("#newestLine, #strip .call")).await.unwrap();
    let mut texts = Vec::new();
    for c in calls {
        texts.push(c.text().await.unwrap());
    }
    assert_eq!(texts.iter().filter(|t| t.contains("B002")).count(), 1, "B002 shown twice: {texts:?}");
    assert_eq!(texts.iter().filter(|t| t.contains("B001")).count(), 1, "B001 missed or repeated: {texts:?}");
    shot(&hall, "hall-display-after-restart").await;

    // 过号: not before the hall's rule (2 recalls or 3 minutes after the call); the counter
    // shows the time since the call and the recalls, then asks to confirm.
    wait_text(&counter, "#calledFor", |t| t.contains("已呼叫 0:") && t.contains("已重呼 0/3 次")).await;
    let no_show = "button[data-act='no-show']";
    wait_text(&counter, "#noShowCond", |t| t.contains("重呼满2次") && t.contains("后")).await;
    assert!(!counter.find(Locator::Css(no_show)).await.unwrap().is_enabled().await.unwrap(), "过号 before the rule allows it");
    for n in 1..=2 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        click(&counter, "button[data-act='recall']").await;
        wait_text(&counter, "#calledFor", |t| t.contains(&format!("已重呼 {n}/3 次"))).await;
    }
    wait_text(&counter, "#noShowCond", |t| t.is_empty()).await;
    shot(&counter, "counter-no-show-allowed").await;
    click(&counter, no_show).await;
    wait_text(&counter, "dialog h3", |t| t.contains("确认 B002 过号")).await;
    shot(&counter, "counter-no-show-confirm").await;
    counter.find(Locator::Css("dialog button[value='ok']")).await.unwrap().click().await.unwrap();
    wait_text(&counter, "#state", |t| t.contains("空闲")).await;
    let (_, t) = get(&http, &format!("{base}/api/v1/tickets/{}", tickets[1]["id"].as_str().unwrap()), "demo-manager").await;
    assert_eq!(t["status"], "no_show", "{t}");

    // English is available.
    counter.goto(&format!("{base}/counter?window=4&lang=en")).await.unwrap();
    wait_text(&counter, "button[data-act='call-next']", |t| t.starts_with("Call next")).await;
    shot(&counter, "counter-en").await;

    for c in [counter, window, hall, tablet, phone] {
        c.close().await.unwrap();
    }
    drop(server);
}

/// Issue 11: `/` is a start page that needs no token, says what each page is for and links
/// every one; the hall overview it replaced works at `/overview`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_page_links_every_page_without_a_token() {
    let (_driver, driver_port) = chromedriver();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    std::fs::write(&config, hallq::config::DEFAULT_TOML).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = serve(&config, &dir.path().join("data"), port);
    healthy(&base).await;
    let c = browser(driver_port, (1366, 1100)).await;
    c.goto(&format!("{base}/")).await.unwrap();
    wait_text(&c, "#health", |t| t.contains("服务运行中") && t.contains("Running")).await;
    let http = client();
    for (id, path) in [
        ("link-console", "/console"),
        ("link-desk", "/desk"),
        ("link-counter", "/counter"),
        ("link-overview", "/overview"),
        ("link-window", "/display/window?window=1"),
        ("link-hall", "/display/hall"),
        ("link-rate", "/rate"),
        ("link-openapi", "/api/v1/openapi.json"),
    ] {
        let card = c.find(Locator::Id(id)).await.unwrap();
        let href = card.attr("href").await.unwrap().unwrap_or_default();
        assert_eq!(href.trim_start_matches(&base), path, "{id}");
        // Each says what the page is for, Chinese first, then English.
        let text = card.text().await.unwrap();
        let (zh, en) = (text.find(|ch: char| ('\u{4e00}'..='\u{9fff}').contains(&ch)), text.find(|ch: char| ch.is_ascii_alphabetic()));
        assert!(zh.is_some() && en.is_some() && zh < en, "{id}: {text}");
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let visitor = c.find(Locator::Id("visitor")).await.unwrap().text().await.unwrap();
    assert!(visitor.contains("二维码") && visitor.contains("QR code"), "{visitor}");
    shot(&c, "start-page").await;
    // The overview, at its own address, with the display token once in the fragment.
    c.goto(&format!("{base}/overview#token=demo-display")).await.unwrap();
    wait_text(&c, "#windows", |t| t.contains("26号")).await;
    c.close().await.unwrap();
}

/// Issue 15: the web hall display of one floor of a 231-window, 24-queue, three-floor hall
/// (generated): only that floor's windows, pages that turn with 第 k/n 页, every window of
/// the floor on some page, the newest call whole with its floor, and a recall as one line
/// marked 重呼. With HALLQ_SCREENSHOTS=DIR, the pages are saved there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_hall_display_pages_one_floor_of_a_231_window_hall() {
    let (_driver, driver_port) = chromedriver();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hall.toml");
    let text = hallq::config::scale::hall_231_toml()
        .replace("page_seconds = 8", "page_seconds = 3")
        .replace("recall_min_gap_secs = 20", "recall_min_gap_secs = 0");
    assert!(text.contains("page_seconds = 3"));
    std::fs::write(&config, text).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = serve(&config, &dir.path().join("data"), port);
    healthy(&base).await;
    let http = client();
    for i in 0..2 {
        let (s, _) =
            post(&http, &format!("{base}/api/v1/tickets"), "demo-kiosk-1", json!({"request_id": format!("s{i}"), "service": "linshi-sfz"}))
                .await;
        assert_eq!(s, 201);
    }
    // Floor 2's windows open (the display lists open windows).
    let floor2: Vec<u32> = hallq::config::scale::hall_231().windows.iter().filter(|w| w.floor == 2).map(|w| w.number).collect();
    for n in &floor2 {
        let (s, body) = post(&http, &format!("{base}/api/v1/windows/{n}/open"), "demo-manager", json!({})).await;
        assert_eq!(s, 200, "{body}");
    }
    // Window 90 (floor 2) serves queue B; window 1 (floor 1) calls the other.
    let (s, _) = post(&http, &format!("{base}/api/v1/windows/90/call-next"), "demo-manager", json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = post(&http, &format!("{base}/api/v1/windows/1/call-next"), "demo-manager", json!({})).await;
    assert_eq!(s, 200);

    let c = browser(driver_port, (1920, 1080)).await;
    c.goto(&format!("{base}/display/hall?floor=2&token=demo-display")).await.unwrap();
    wait_text(&c, "#place", |t| t == "2 楼").await;
    // The floor's newest call is B001 at window 90; window 1's call is another floor's.
    wait_text(&c, "#newestLine", |t| t == "请 B001 号到 2 楼 90 号窗口").await;
    let strip = c.find(Locator::Css("#strip")).await.unwrap().text().await.unwrap();
    assert!(!strip.contains("B002"), "a call on floor 1 is not on floor 2's screen: {strip}");
    let fits: bool = c
        .execute(
            "const e = document.getElementById('newestLine'); return e.scrollWidth <= e.clientWidth + 1 && e.dataset.fits === 'true';",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(fits, "the newest call is drawn whole");
    // Floor 2 holds the demo's ten windows and 81-160: 90 windows, three pages of 30, then the queues.
    let page = wait_text(&c, "#page", |t| t.starts_with("窗口 · 第 1/")).await;
    let pages: usize = page.rsplit('/').next().unwrap().trim_end_matches(" 页").parse().unwrap();
    assert!(pages >= 4, "{page}");
    shot(&c, "hall-web-floor2-page1").await;
    let mut seen = std::collections::BTreeSet::new();
    let mut queues = 0;
    for k in 1..=pages {
        let shown = wait_text(&c, "#page", |t| t.contains(&format!("第 {k}/{pages} 页"))).await;
        if shown.starts_with("窗口") {
            for w in c.find_all(Locator::Css("#windows .win")).await.unwrap() {
                let id = w.attr("id").await.unwrap().unwrap();
                seen.insert(id.trim_start_matches('w').parse::<u32>().unwrap());
            }
        } else {
            queues += c.find_all(Locator::Css("#qrows tr")).await.unwrap().len();
            if queues <= 5 {
                shot(&c, "hall-web-floor2-queues").await;
            }
        }
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), floor2, "every window of floor 2, on some page");
    assert!(queues > 0, "the floor's queues have pages too");
    // A recall: one line, marked 重呼.
    let (s, _) = post(&http, &format!("{base}/api/v1/windows/90/recall"), "demo-manager", json!({})).await;
    assert_eq!(s, 200);
    wait_text(&c, "#newestTag", |t| t == "重呼").await;
    let lines = c.find_all(Locator::Css("#newestLine, #strip .call")).await.unwrap();
    let mut b001 = 0;
    for l in lines {
        b001 += l.text().await.unwrap().matches("B001").count();
    }
    assert_eq!(b001, 1, "the recall replaces the first call's line");
    shot(&c, "hall-web-floor2-recall").await;
    c.close().await.unwrap();
}
