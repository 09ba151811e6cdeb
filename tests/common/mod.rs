//! Helpers shared by the integration tests: a hall service over loopback on a real SQLite
//! file, on a clock the test chooses.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use hallq::config::Config;
use hallq::service::{Hall, SimClock};

/// 09:30 on Friday 2026-11-27 in the hall: inside the morning session.
pub const MORNING: &str = "2026-11-27T09:30:00+08:00";

pub struct TestHall {
    pub hall: Hall,
    pub addr: SocketAddr,
    pub base: String,
    pub dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl TestHall {
    pub async fn start() -> TestHall {
        Self::start_with(Config::demo(), MORNING).await
    }

    pub async fn start_with(config: Config, clock: &str) -> TestHall {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(SimClock::parse(clock).unwrap());
        let hall = Hall::start(config, dir.path(), clock).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hallq::server::app(hall.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestHall { hall, addr, base: format!("http://{addr}/api/v1"), dir, server }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the service; the returned directory keeps the data until dropped.
    pub async fn stop(self) -> tempfile::TempDir {
        self.server.abort();
        self.hall.shutdown().await;
        self.dir
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap()
}

/// Posts JSON with a bearer token and returns (status, body).
pub async fn post(c: &reqwest::Client, url: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = c.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

pub async fn get(c: &reqwest::Client, url: &str, token: &str) -> (u16, serde_json::Value) {
    let r = c.get(url).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// A valid synthetic ID number (GB 11643 check digit).
pub fn id_number(birth: &str, seq: u32) -> String {
    hallq::identity::with_check_char(&format!("430102{birth}{:03}", seq % 1000))
}

pub const BIN: &str = env!("CARGO_BIN_EXE_hallq");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child `hallq serve` on the morning clock.
pub fn spawn_serve(config: &std::path::Path, data: &std::path::Path, port: u16) -> std::process::Child {
    std::process::Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", MORNING])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start hallq serve")
}

/// Waits until `GET {base}/health` answers 200 (base ends in /api/v1).
pub async fn wait_healthy(base: &str) {
    let http = client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/health")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("hallq serve did not become healthy");
}
