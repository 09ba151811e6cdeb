//! Real headless Chromium for the web pages' tests: chromedriver as a child with a deadline
//! on every wait, a browser session per screen size, and screenshots when
//! `HALLQ_SCREENSHOTS=DIR` is set.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A child process killed when dropped.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free port, listening (within 30 s) before it is handed out: on a busy
/// machine it may take seconds to open its port, and a session asked for before then is
/// refused (a full test run on two cores once failed so).
pub fn chromedriver() -> (Kill, u16) {
    let port = super::free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver not found: install chromium-driver (./dev test does)");
    let mut driver = Kill(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = driver.0.try_wait() {
            panic!("chromedriver on port {port} exited at start: {status}");
        }
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    (driver, port)
}

/// A headless Chromium window of `size`; downloads go to `downloads` when given.
pub async fn browser_with(driver: u16, size: (u32, u32), downloads: Option<&Path>) -> Client {
    let dir = tempfile::tempdir().unwrap().keep();
    let mut options = json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                 format!("--window-size={},{}", size.0, size.1), format!("--user-data-dir={}", dir.display())]
    });
    if let Some(d) = downloads {
        options["prefs"] = json!({ "download.default_directory": d, "download.prompt_for_download": false });
    }
    let caps = match json!({ "goog:chromeOptions": options }) {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{driver}");
    let mut builder = ClientBuilder::new(connector);
    builder.capabilities(caps);
    tokio::time::timeout(Duration::from_secs(60), builder.connect(&url))
        .await
        .expect("chromedriver did not open a session in 60 s")
        .expect("chromedriver session")
}

pub async fn browser(driver: u16, size: (u32, u32)) -> Client {
    browser_with(driver, size, None).await
}

/// Waits until the element's text satisfies `ok`; returns the text.
pub async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never matched; last text {last:?}");
}

pub async fn class_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().attr("class").await.unwrap().unwrap_or_default()
}

/// Saves the page as `DIR/name.png` when `HALLQ_SCREENSHOTS=DIR` is set.
pub async fn shot(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("HALLQ_SCREENSHOTS") {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let png = c.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Clicks the element once it is there and can be clicked (a section shows after its
/// hash changes), for at most 15 s.
pub async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let tried = match c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match tried {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("{css}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}
