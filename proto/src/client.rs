//! [`HallClient`]: typed calls to the hall service, each with a deadline, and
//! [`HallClient::events`], the event stream that reconnects with backoff and resumes by
//! sequence number, giving each event once and in order.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::error::{ErrorBody, ErrorCode};
use crate::events::{StreamEvent, StreamMessage};
use crate::ids::{TicketId, WindowNo};
use crate::requests::*;
use crate::views::*;

/// Why a call to the hall did not give an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The hall answered with an error body: `message` is for the person in front of the
    /// screen.
    #[error("{message}")]
    Refused { status: u16, code: ErrorCode, message: String },
    /// No answer within the deadline, or no connection.
    #[error("叫号系统无法连接：{0}")]
    Unreachable(String),
    /// An answer that is not what the contract says (a proxy's error page, a different
    /// version of hallq).
    #[error("叫号系统的应答无法识别：{0}")]
    Protocol(String),
}

impl ClientError {
    /// The error code, when the hall refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// True when trying again later may help (no connection, hall busy or restarting).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable(_) => true,
            ClientError::Refused { status, .. } => *status >= 500,
            ClientError::Protocol(_) => false,
        }
    }
}

/// A ticket from `POST /tickets` or a check-in, and whether it was issued by an earlier try
/// of the same request_id.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    pub ticket: TicketView,
    pub repeated: bool,
}

/// A typed client of one hall service with one token.
#[derive(Clone)]
pub struct HallClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for HallClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HallClient").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Deadline of one HTTP call, unless set with [`HallClient::with_timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

fn unreachable(e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Unreachable("应答超时".into())
    } else if e.is_connect() {
        ClientError::Unreachable("连接失败".into())
    } else {
        ClientError::Unreachable(e.to_string())
    }
}

impl HallClient {
    /// A client of the service at `server` (such as `http://192.168.1.10:8080`).
    pub fn new(server: &str, token: impl Into<String>) -> HallClient {
        HallClient::with_timeout(server, token, DEFAULT_TIMEOUT)
    }

    /// Each call gives up after `timeout`.
    pub fn with_timeout(server: &str, token: impl Into<String>, timeout: Duration) -> HallClient {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .build()
            .expect("an HTTP client without TLS settings builds");
        HallClient { http, base: server.trim_end_matches('/').to_string(), token: token.into() }
    }

    /// The same service with another token.
    pub fn with_token(&self, token: impl Into<String>) -> HallClient {
        HallClient { http: self.http.clone(), base: self.base.clone(), token: token.into() }
    }

    pub fn server(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn authed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.token.is_empty() {
            rb
        } else {
            rb.bearer_auth(&self.token)
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let r = self.authed(rb).send().await.map_err(unreachable)?;
        if r.status().is_success() {
            return Ok(r);
        }
        let status = r.status().as_u16();
        let bytes = r.bytes().await.map_err(unreachable)?;
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => Err(ClientError::Refused { status, code: b.error.code, message: b.error.message }),
            Err(_) => Err(ClientError::Protocol(format!("HTTP {status}"))),
        }
    }

    async fn json<T: DeserializeOwned>(r: reqwest::Response) -> Result<T, ClientError> {
        let bytes = r.bytes().await.map_err(unreachable)?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Self::json(self.send(self.http.get(self.url(path))).await?).await
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        Self::json(self.send(self.http.post(self.url(path)).json(body)).await?).await
    }

    async fn post_issued<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<Issued, ClientError> {
        let r = self.send(self.http.post(self.url(path)).json(body)).await?;
        let repeated = r.status() == reqwest::StatusCode::OK;
        Ok(Issued { ticket: Self::json(r).await?, repeated })
    }

    async fn bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let r = self.send(self.http.get(self.url(path))).await?;
        Ok(r.bytes().await.map_err(unreachable)?.to_vec())
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get("/health").await
    }

    pub async fn catalog(&self) -> Result<Catalog, ClientError> {
        self.get("/catalog").await
    }

    pub async fn state(&self) -> Result<HallState, ClientError> {
        self.get("/state").await
    }

    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/me").await
    }

    /// Staff sign-in; use the answer's token with [`HallClient::with_token`].
    pub async fn login(&self, staff_id: &str, password: &str) -> Result<LoginAnswer, ClientError> {
        self.post("/login", &Login { staff_id: staff_id.into(), password: password.into() }).await
    }

    /// Takes a number. Retry with the same `request_id` after any failure: the hall gives
    /// the first ticket again (`repeated`).
    pub async fn issue(&self, req: &IssueTicket) -> Result<Issued, ClientError> {
        self.post_issued("/tickets", req).await
    }

    pub async fn ticket(&self, id: &TicketId) -> Result<TicketView, ClientError> {
        self.get(&format!("/tickets/{}", enc(id.as_str()))).await
    }

    /// The visitor's own view of their ticket, by the ticket's token (no role token).
    pub async fn ticket_as_visitor(&self, id: &TicketId, token: &str) -> Result<TicketView, ClientError> {
        let path = format!("/tickets/{}?token={}", enc(id.as_str()), enc(token));
        Self::json(self.send(self.http.get(self.url(&path))).await?).await
    }

    pub async fn evaluate(&self, ticket: &TicketId, body: &Evaluate) -> Result<EvaluationAnswer, ClientError> {
        self.post(&format!("/tickets/{}/evaluation", enc(ticket.as_str())), body).await
    }

    pub async fn window_action(&self, window: WindowNo, action: WindowAction, body: &WindowCommand) -> Result<WindowActionAnswer, ClientError> {
        self.post(&format!("/windows/{window}/{}", action.as_str()), body).await
    }

    pub async fn waiting(&self, window: WindowNo) -> Result<WaitingLine, ClientError> {
        self.get(&format!("/windows/{window}/waiting")).await
    }

    pub async fn device_status(&self, device: &str, fault: Option<&str>) -> Result<DeviceStatusAnswer, ClientError> {
        self.post("/devices/status", &DeviceStatus { device: device.into(), fault: fault.map(Into::into) }).await
    }

    pub async fn book_appointment(&self, body: &BookAppointment) -> Result<AppointmentView, ClientError> {
        self.post("/appointments", body).await
    }

    pub async fn find_appointments(&self, identity: &Identity) -> Result<AppointmentList, ClientError> {
        self.post("/appointments/find", &FindFor { identity: identity.clone() }).await
    }

    pub async fn check_in(&self, code: &str, body: &CheckIn) -> Result<Issued, ClientError> {
        self.post_issued(&format!("/appointments/{}/check-in", enc(code)), body).await
    }

    pub async fn deliver_result(&self, body: &DeliverResult) -> Result<Delivered, ClientError> {
        self.post("/results", body).await
    }

    pub async fn find_results(&self, identity: &Identity) -> Result<ResultList, ClientError> {
        self.post("/results/find", &FindFor { identity: identity.clone() }).await
    }

    pub async fn result_pdf(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/results/{}/pdf", enc(id))).await
    }

    pub async fn result_collected(&self, id: &str) -> Result<Collected, ClientError> {
        self.post(&format!("/results/{}/collected", enc(id)), &serde_json::json!({})).await
    }

    /// Attaches scanned materials (one PDF) to a ticket for pre-review.
    pub async fn attach(&self, ticket: &TicketId, title: &str, pages: u32, pdf: Vec<u8>) -> Result<AttachmentMeta, ClientError> {
        let path = format!("/tickets/{}/attachments?title={}&pages={pages}", enc(ticket.as_str()), enc(title));
        let rb = self.http.post(self.url(&path)).header(reqwest::header::CONTENT_TYPE, "application/pdf").body(pdf);
        Self::json(self.send(rb).await?).await
    }

    pub async fn attachments(&self, ticket: &TicketId) -> Result<AttachmentList, ClientError> {
        self.get(&format!("/tickets/{}/attachments", enc(ticket.as_str()))).await
    }

    pub async fn attachment_pdf(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/attachments/{}/pdf", enc(id))).await
    }

    /// The spoken call as WAV.
    pub async fn announce(&self, number: &str, window: WindowNo) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/announce?number={}&window={window}", enc(number))).await
    }

    pub async fn config(&self) -> Result<ConfigVersion, ClientError> {
        self.get("/config").await
    }

    /// Puts a new configuration in force; `if_match` is the version it was edited from.
    pub async fn put_config(&self, toml: &str, if_match: Option<u64>) -> Result<ConfigSaved, ClientError> {
        let mut rb = self.http.put(self.url("/config")).header(reqwest::header::CONTENT_TYPE, "application/toml").body(toml.to_string());
        if let Some(v) = if_match {
            rb = rb.header(reqwest::header::IF_MATCH, format!("\"{v}\""));
        }
        Self::json(self.send(rb).await?).await
    }

    pub async fn reload_config(&self) -> Result<ConfigReloaded, ClientError> {
        self.post("/config/reload", &serde_json::json!({})).await
    }

    /// Follows the event stream from after `since` (from now when `None`). The feed
    /// reconnects with backoff and resumes after the last event it gave, so each event
    /// comes once and in order, across drops and restarts of the service.
    pub fn events(&self, since: Option<u64>) -> EventFeed {
        let (tx, rx) = mpsc::channel(1024);
        let url = format!("{}/events", self.url("")).replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
        let task = tokio::spawn(follow(url, self.token.clone(), since, tx));
        EventFeed { rx, task }
    }
}

/// Percent-encodes a path segment or query value.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What the event feed reports.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// Connected (again): events after `since` follow; those up to `last_seq` are caught up
    /// from the log, later ones are live.
    Connected { since: u64, last_seq: u64 },
    /// An event, once; `live` is false for events caught up after a (re)connect.
    Event { event: StreamEvent, live: bool },
    /// The connection dropped or could not be made; the feed tries again after `retry_in`.
    Disconnected { reason: String, retry_in: Duration },
}

/// The event stream of a [`HallClient`]. Dropping it stops following.
pub struct EventFeed {
    rx: mpsc::Receiver<FeedItem>,
    task: tokio::task::JoinHandle<()>,
}

impl EventFeed {
    /// The next item; `None` only when the feed stopped (never while it is kept).
    pub async fn next(&mut self) -> Option<FeedItem> {
        self.rx.recv().await
    }
}

impl Drop for EventFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(8);
/// A connection that says nothing (not even a pong) for this long is taken as dead.
const SILENT_LIMIT: Duration = Duration::from_secs(30);
const PING_EVERY: Duration = Duration::from_secs(10);

async fn follow(url: String, token: String, since: Option<u64>, tx: mpsc::Sender<FeedItem>) {
    let mut last: Option<u64> = since;
    let mut backoff = BACKOFF_FIRST;
    loop {
        let reason = match follow_once(&url, &token, &mut last, &tx).await {
            Ok(()) => return, // the receiver is gone
            Err(Ended::Connected(r)) => {
                backoff = BACKOFF_FIRST;
                r
            }
            Err(Ended::NotConnected(r)) => r,
        };
        if tx.send(FeedItem::Disconnected { reason, retry_in: backoff }).await.is_err() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

enum Ended {
    /// The stream had been open: start the backoff again.
    Connected(String),
    NotConnected(String),
}

async fn follow_once(url: &str, token: &str, last: &mut Option<u64>, tx: &mpsc::Sender<FeedItem>) -> Result<(), Ended> {
    let full = match last {
        Some(s) => format!("{url}?since={s}"),
        None => url.to_string(),
    };
    let mut req = full.into_client_request().map_err(|e| Ended::NotConnected(e.to_string()))?;
    if !token.is_empty() {
        let v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Ended::NotConnected("令牌含有不可用的字符".into()))?;
        req.headers_mut().insert("authorization", v);
    }
    let (mut ws, _) = match tokio::time::timeout(CONNECT_TIMEOUT * 2, tokio_tungstenite::connect_async(req)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Err(Ended::NotConnected(describe_ws_error(e))),
        Err(_) => return Err(Ended::NotConnected("连接超时".into())),
    };
    let mut live_from = u64::MAX;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let msg = tokio::select! {
            m = tokio::time::timeout(SILENT_LIMIT, ws.next()) => m,
            _ = ping.tick() => {
                if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return Err(Ended::Connected("连接中断".into()));
                }
                continue;
            }
        };
        let text = match msg {
            Err(_) => return Err(Ended::Connected("连接无响应".into())),
            Ok(None) => return Err(Ended::Connected("服务端关闭了连接".into())),
            Ok(Some(Err(e))) => return Err(Ended::Connected(describe_ws_error(e))),
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(Message::Close(_)))) => return Err(Ended::Connected("服务端关闭了连接".into())),
            Ok(Some(Ok(_))) => continue,
        };
        match serde_json::from_str::<StreamMessage>(&text) {
            Ok(StreamMessage::Hello(h)) => {
                live_from = h.last_seq;
                if last.is_none() {
                    *last = Some(h.since);
                }
                if tx.send(FeedItem::Connected { since: h.since, last_seq: h.last_seq }).await.is_err() {
                    return Ok(());
                }
            }
            Ok(StreamMessage::Event(e)) => {
                if last.is_some_and(|l| e.seq <= l) {
                    continue; // already given
                }
                *last = Some(e.seq);
                let live = e.seq > live_from;
                if tx.send(FeedItem::Event { event: e, live }).await.is_err() {
                    return Ok(());
                }
            }
            Err(e) => {
                #[cfg(feature = "client")]
                tracing::warn!("event stream: unreadable message ({e}): {}", text.chars().take(200).collect::<String>());
            }
        }
    }
}

fn describe_ws_error(e: tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Http(r) => {
            let status = r.status().as_u16();
            let body = r.body().as_deref().and_then(|b| serde_json::from_slice::<ErrorBody>(b).ok());
            match body {
                Some(b) => format!("HTTP {status}：{}", b.error.message),
                None => format!("HTTP {status}"),
            }
        }
        Error::Io(e) => format!("连接失败：{e}"),
        other => other.to_string(),
    }
}
