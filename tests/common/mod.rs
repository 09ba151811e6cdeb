//! Helpers shared by the integration tests: a hall service over loopback on a real SQLite
//! file, on a clock the test chooses.
#![allow(dead_code)]

pub mod browser;

use std::net::SocketAddr;
use std::sync::Arc;

use std::future::Future;
use std::time::Duration;

use hallq::config::Config;
use hallq::service::{Hall, SimClock};
use hallq_proto::{ClientError, ErrorCode, HallClient, Identity, IssueTicket, Priority};

/// 09:30 on Friday 2026-11-27 in the hall: inside the morning session.
pub const MORNING: &str = "2026-11-27T09:30:00+08:00";

pub struct TestHall {
    pub hall: Hall,
    pub addr: SocketAddr,
    pub base: String,
    pub dir: tempfile::TempDir,
    /// The hall's simulated clock: tests move it forward with [`TestHall::advance`].
    pub clock: Arc<SimClock>,
    server: tokio::task::JoinHandle<()>,
}

impl TestHall {
    pub async fn start() -> TestHall {
        Self::start_with(Config::demo(), MORNING).await
    }

    pub async fn start_with(config: Config, clock: &str) -> TestHall {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(SimClock::parse(clock).unwrap());
        let hall = Hall::start(config, dir.path(), clock.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hallq::server::app(hall.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestHall { hall, addr, base: format!("http://{addr}/api/v1"), dir, clock, server }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The service's address for [`HallClient`] (without `/api/v1`).
    pub fn server(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A typed client of this hall with `token` ("" for none), each call within 30 s.
    pub fn client(&self, token: &str) -> HallClient {
        HallClient::with_timeout(&self.server(), token, CALL_TIMEOUT)
    }

    /// The event stream's WebSocket address with a query such as `since=0&token=…`.
    pub fn events_url(&self, query: &str) -> String {
        format!("ws://{}/api/v1/events?{query}", self.addr)
    }

    /// Moves the hall's clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance_to(self.hall.now() + by);
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

/// A child `hallq serve --demo` on the morning clock (the tests run the demo configuration,
/// whose published tokens a plain `hallq serve` refuses).
pub fn spawn_serve(config: &std::path::Path, data: &std::path::Path, port: u16) -> std::process::Child {
    spawn_serve_clock(config, data, port, MORNING)
}

/// `hallq serve --demo` on the clock `clock` (`RFC3339[@SPEED]`).
pub fn spawn_serve_clock(config: &std::path::Path, data: &std::path::Path, port: u16, clock: &str) -> std::process::Child {
    std::process::Command::new(BIN)
        .args(["serve", "--demo", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--clock", clock])
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

/// The deadline of one HTTP call of the tests' clients.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `f` with a deadline: a test that waits longer fails instead of hanging.
pub async fn within<F: Future>(secs: u64, what: &str, f: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {secs} s"),
    }
}

/// A person as an ID-card reader reads them.
pub fn identity(id_number: &str, name: &str) -> Identity {
    Identity { id_number: id_number.to_string(), name: name.to_string() }
}

/// `POST /tickets` for an item, without an ID card.
pub fn issue_req(request_id: &str, service: &str) -> IssueTicket {
    IssueTicket {
        request_id: request_id.into(),
        service: service.into(),
        identity: None,
        priority: Priority::Normal,
        appointment_slot: None,
    }
}

/// `POST /tickets` for an item, with the card read.
pub fn issue_with_card(request_id: &str, service: &str, who: &Identity) -> IssueTicket {
    IssueTicket { identity: Some(who.clone()), ..issue_req(request_id, service) }
}

/// The status and code of a refusal; panics on an answer or on any other failure.
#[track_caller]
pub fn refusal<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (u16, ErrorCode) {
    match r {
        Err(ClientError::Refused { status, code, .. }) => (status, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A child process killed when dropped, so a failing or timed-out test leaves none behind.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the raw text messages of an event stream (`url` from [`TestHall::events_url`]):
/// the hello, then events until one with `seq >= until`, which must be an event the
/// stream's role may see. Fails after `secs`.
/// Opens the event stream at `url`. A device's `token=` in the query is sent as the
/// Authorization header instead, as the service wants role tokens (never in a URL); a
/// visitor's `ticket=…&token=…` stays in the query.
pub async fn ws_connect(
    url: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs: Vec<(&str, &str)> = query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    let visitor = pairs.iter().any(|(k, _)| *k == "ticket");
    let token = pairs.iter().find(|(k, _)| *k == "token").map(|(_, v)| v.to_string()).filter(|_| !visitor);
    let rest: Vec<String> = pairs.iter().filter(|(k, _)| visitor || *k != "token").map(|(k, v)| format!("{k}={v}")).collect();
    let mut req = format!("{base}?{}", rest.join("&")).into_client_request()?;
    if let Some(t) = token {
        req.headers_mut().insert("authorization", format!("Bearer {t}").parse().expect("a token is a header value"));
    }
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

pub async fn stream_texts(url: &str, until: u64, secs: u64) -> Vec<String> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    within(secs, &format!("reading the event stream up to seq {until}"), async {
        let mut ws = ws_connect(url).await.expect("the event stream opens");
        let mut texts = Vec::new();
        loop {
            let m = ws.next().await.expect("the stream stays open").expect("a message");
            let Message::Text(t) = m else { continue };
            let t = t.to_string();
            let seq =
                serde_json::from_str::<serde_json::Value>(&t)
                    .ok()
                    .and_then(|v| if v["type"] == "hello" { None } else { v["seq"].as_u64() });
            texts.push(t);
            if seq.is_some_and(|s| s >= until) {
                break;
            }
        }
        let _ = ws.close(None).await;
        texts
    })
    .await
}

/// One request through a [`recording_proxy`] and the hall's answer as it came.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Lower case, as in the OpenAPI document.
    pub method: String,
    pub path: String,
    pub query: String,
    /// The bearer token the client sent.
    pub bearer: Option<String>,
    pub request: axum::body::Bytes,
    pub status: u16,
    pub content_type: String,
    pub body: axum::body::Bytes,
}

impl Exchange {
    /// The answer as text (lossy for binary answers).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    log: Arc<std::sync::Mutex<Vec<Exchange>>>,
}

async fn forward(axum::extract::State(p): axum::extract::State<Proxy>, req: axum::extract::Request) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (parts, body) = req.into_parts();
    let request = axum::body::to_bytes(body, 64 << 20).await.expect("a request body");
    let pq = parts.uri.path_and_query().map(|x| x.as_str().to_string()).unwrap_or_default();
    let mut rb = p.http.request(parts.method.clone(), format!("{}{pq}", p.upstream));
    for (k, v) in &parts.headers {
        if k != header::HOST && k != header::CONTENT_LENGTH {
            rb = rb.header(k, v);
        }
    }
    let r = rb.body(request.clone()).send().await.expect("the hall answers the proxy");
    let status = r.status().as_u16();
    let content_type = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let etag = r.headers().get(header::ETAG).cloned();
    let body = r.bytes().await.expect("the hall's answer");
    let bearer =
        parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_string);
    p.log.lock().unwrap().push(Exchange {
        method: parts.method.as_str().to_ascii_lowercase(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        bearer,
        request,
        status,
        content_type: content_type.clone(),
        body: body.clone(),
    });
    let mut resp = (axum::http::StatusCode::from_u16(status).unwrap(), body).into_response();
    if !content_type.is_empty() {
        resp.headers_mut().insert(header::CONTENT_TYPE, content_type.parse().unwrap());
    }
    if let Some(tag) = etag {
        resp.headers_mut().insert(header::ETAG, tag);
    }
    resp
}

/// A proxy in front of the hall (`upstream` such as `http://127.0.0.1:PORT`) that records
/// every request and the raw answer; its address is the `server` of a [`HallClient`], so
/// tests read what the service really sent while speaking through the typed client.
pub async fn recording_proxy(upstream: &str) -> (String, Arc<std::sync::Mutex<Vec<Exchange>>>) {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let p =
        Proxy { upstream: upstream.to_string(), http: reqwest::Client::builder().timeout(CALL_TIMEOUT).build().unwrap(), log: log.clone() };
    let app = axum::Router::new().fallback(forward).with_state(p);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), log)
}
