//! [`HallClient`]: typed calls to the hall service, each with a deadline, and
//! [`HallClient::events`], the event stream that reconnects with backoff and resumes by
//! sequence number, giving each event once and in order.
//!
//! Over `https://` (and the stream over `wss://`) the client trusts the hall CA given with
//! [`HallClientBuilder::ca_file`] or [`HallClientBuilder::ca_pem`] (the `ca.pem` of
//! `hallq tls init`), or else the system's trust store; a certificate it does not trust
//! ends in [`ClientError::Tls`] with a message an installer can act on.

use std::path::PathBuf;
use std::sync::Arc;
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
use crate::ids::{QueueId, TicketId, WindowNo};
use crate::requests::*;
use crate::views::*;

/// Why a call to the hall did not give an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The hall answered with an error body: `message` is for the person in front of the
    /// screen.
    #[error("{message}")]
    Refused {
        /// The HTTP status of the answer (4xx: the request, 5xx: the hall).
        status: u16,
        /// The stable, machine-readable code.
        code: ErrorCode,
        /// What went wrong and what to do, in Chinese, to show as it is.
        message: String,
        /// The same in English, when the hall sent it.
        message_en: Option<String>,
        /// Hall-local "HH:MM" when the refusal ends, for refusals that are a matter of time.
        until: Option<String>,
    },
    /// No answer within the deadline, or no connection.
    #[error("叫号系统无法连接：{0}")]
    Unreachable(String),
    /// An answer that is not what the contract says (a proxy's error page, a different
    /// version of hallq).
    #[error("叫号系统的应答无法识别：{0}")]
    Protocol(String),
    /// The encrypted connection could not be made or trusted (unknown CA, wrong host name,
    /// expired certificate, plain HTTP on the other side), or the CA file is unusable: the
    /// message says, in Chinese then English, what the installer should do.
    #[error("{0}")]
    Tls(String),
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
            // No connection until an installer fixes the trust, but the caller keeps what it
            // has and tries again (a renewed certificate, a CA installed meanwhile).
            ClientError::Tls(_) => true,
        }
    }
}

/// A ticket from `POST /tickets` or a check-in, and whether it was issued by an earlier try
/// of the same request_id.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    /// The ticket as the hall answered.
    pub ticket: TicketView,
    /// True when an earlier try of the same request_id had already issued it (HTTP 200, not
    /// 201): print it only if it was not printed then.
    pub repeated: bool,
}

/// A typed client of one hall service with one token.
#[derive(Clone)]
pub struct HallClient {
    http: reqwest::Client,
    base: String,
    token: String,
    /// What `https://` and `wss://` trust; `None` for an `http://` service.
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
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
    if let Some(t) = tls_failure(&e) {
        return ClientError::Tls(t);
    }
    if e.is_timeout() {
        ClientError::Unreachable("应答超时".into())
    } else if e.is_connect() {
        ClientError::Unreachable("连接失败".into())
    } else {
        ClientError::Unreachable(e.to_string())
    }
}

/// Builds a [`HallClient`]: `HallClient::builder(server, token).ca_file("ca.pem").timeout(d).build()?`.
#[derive(Debug, Clone)]
pub struct HallClientBuilder {
    server: String,
    token: String,
    timeout: Duration,
    ca: Option<Ca>,
}

#[derive(Debug, Clone)]
enum Ca {
    File(PathBuf),
    Pem(Vec<u8>),
}

impl HallClientBuilder {
    /// Each call gives up after `timeout` (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trust only the certificates in this PEM file (the hall CA, `ca.pem` of
    /// `hallq tls init`) for an `https://` service.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca = Some(Ca::File(path.into()));
        self
    }

    /// [`Self::ca_file`] when a file is given (`--ca`), the system's trust store otherwise.
    pub fn ca_file_opt(self, path: Option<impl Into<PathBuf>>) -> Self {
        match path {
            Some(p) => self.ca_file(p),
            None => self,
        }
    }

    /// Trust only the certificates of this PEM text.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca = Some(Ca::Pem(pem.into()));
        self
    }

    /// The client; fails only when the CA cannot be read or holds no certificate.
    pub fn build(self) -> Result<HallClient, ClientError> {
        let tls = match &self.ca {
            Some(ca) => Some(tls_config(ca_roots(ca)?)),
            // Without a CA, an https:// service must be trusted by the system's store
            // (update-ca-certificates); a plain one needs no TLS at all.
            None if is_https(&self.server) => Some(tls_config(system_roots())),
            None => None,
        };
        Ok(HallClient::assemble(&self.server, self.token, self.timeout, tls))
    }
}

fn is_https(server: &str) -> bool {
    server.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

impl HallClient {
    /// A client of the service at `server` (such as `http://192.168.1.10:8080`). An
    /// `https://` service must be trusted by the system; use [`HallClient::builder`] to
    /// trust the hall CA.
    pub fn new(server: &str, token: impl Into<String>) -> HallClient {
        HallClient::with_timeout(server, token, DEFAULT_TIMEOUT)
    }

    /// Each call gives up after `timeout`.
    pub fn with_timeout(server: &str, token: impl Into<String>, timeout: Duration) -> HallClient {
        let tls = is_https(server).then(|| tls_config(system_roots()));
        HallClient::assemble(server, token.into(), timeout, tls)
    }

    /// A client with more settings: the hall CA to trust, the deadline of a call.
    pub fn builder(server: &str, token: impl Into<String>) -> HallClientBuilder {
        HallClientBuilder { server: server.to_string(), token: token.into(), timeout: DEFAULT_TIMEOUT, ca: None }
    }

    fn assemble(server: &str, token: String, timeout: Duration, tls: Option<Arc<rustls::ClientConfig>>) -> HallClient {
        let mut b = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT.min(timeout)).timeout(timeout);
        if let Some(c) = &tls {
            b = b.use_preconfigured_tls(rustls::ClientConfig::clone(c));
        }
        let http = b.build().expect("an HTTP client with a rustls configuration builds");
        HallClient { http, base: server.trim_end_matches('/').to_string(), token, tls, timeout }
    }

    /// The same service with another token.
    pub fn with_token(&self, token: impl Into<String>) -> HallClient {
        HallClient { http: self.http.clone(), base: self.base.clone(), token: token.into(), tls: self.tls.clone(), timeout: self.timeout }
    }

    /// The same service, token and trust, with another deadline for each call.
    pub fn with_deadline(&self, timeout: Duration) -> HallClient {
        HallClient::assemble(&self.base, self.token.clone(), timeout, self.tls.clone())
    }

    /// The deadline of each call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The service's base address as given (without `/api/v1`).
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
        // 304: only to a conditional request (`catalog_if_changed`), which looks for it.
        if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(r);
        }
        let status = r.status().as_u16();
        let plain =
            r.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/plain"));
        let bytes = r.bytes().await.map_err(unreachable)?;
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => Err(ClientError::Refused {
                status,
                code: b.error.code,
                message: b.error.message,
                message_en: b.error.message_en,
                until: b.error.until,
            }),
            // A plain-text answer says why (such as an HTTPS port spoken to in plain HTTP).
            Err(_) if plain => {
                let text: String = String::from_utf8_lossy(&bytes).lines().next().unwrap_or("").chars().take(200).collect();
                Err(ClientError::Protocol(format!("HTTP {status}：{text}")))
            }
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

    /// `GET /health`: the hall's sequence number, day and clock; answers while the service runs,
    /// ready or not.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get("/health").await
    }

    /// Whether the service can take commands (`ClientError` with `not_ready` when not).
    pub async fn ready(&self) -> Result<Readiness, ClientError> {
        self.get("/ready").await
    }

    /// The Prometheus (OpenMetrics) text of `/metrics` (a metrics or manager token).
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let bytes = self.bytes("/metrics").await?;
        String::from_utf8(bytes).map_err(|e| ClientError::Protocol(format!("/metrics is not UTF-8: {e}")))
    }

    /// `GET /catalog`: items, queues, windows and the kiosk's settings, as the token's role may see
    /// them (a kiosk's includes its manager-PIN hash).
    pub async fn catalog(&self) -> Result<Catalog, ClientError> {
        self.get("/catalog").await
    }

    /// `GET /catalog` unless the catalogue held (its ETag, from an earlier answer) is still
    /// the hall's: `None` then (304, no body). Otherwise the catalogue and its new ETag.
    pub async fn catalog_if_changed(&self, etag: Option<&str>) -> Result<Option<(Catalog, Option<String>)>, ClientError> {
        let mut rb = self.http.get(self.url("/catalog"));
        if let Some(tag) = etag {
            rb = rb.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let r = self.send(rb).await?;
        if r.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let tag = r.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
        Ok(Some((Self::json(r).await?, tag)))
    }

    /// `POST /help`: the visitor at this kiosk asks for staff (帮办); the kiosk's open call.
    /// A kiosk calls staff to help its visitor (`POST /help`); answers with the calls open now.
    pub async fn call_for_help(&self) -> Result<HelpCalls, ClientError> {
        self.post("/help", &serde_json::json!({})).await
    }

    /// `GET /help`: the kiosks whose visitor waits for staff, oldest first.
    /// The kiosks calling for help now (`GET /help`).
    pub async fn help_calls(&self) -> Result<HelpCalls, ClientError> {
        self.get("/help").await
    }

    /// `POST /help/{kiosk}/answer`: the caller goes to the kiosk's visitor; the calls left.
    /// Staff answer a kiosk's call for help (`POST /help/{kiosk}/answer`); answers with the
    /// calls still open.
    pub async fn answer_help(&self, kiosk: &str) -> Result<HelpCalls, ClientError> {
        self.post(&format!("/help/{}/answer", enc(kiosk)), &serde_json::json!({})).await
    }

    /// `GET /catalog/figures`: each queue's waits now and the configuration version, a
    /// few hundred bytes (the catalogue of a large hall is close to a megabyte).
    pub async fn catalog_figures(&self) -> Result<CatalogFigures, ClientError> {
        self.get("/catalog/figures").await
    }

    /// `GET /state`: every window and queue now, and the recent calls, as the token's role may see
    /// them.
    pub async fn state(&self) -> Result<HallState, ClientError> {
        self.get("/state").await
    }

    /// `GET /me`: the token's role and name and the windows it may operate.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/me").await
    }

    /// Staff sign-in; use the answer's token with [`HallClient::with_token`].
    pub async fn login(&self, staff_id: &str, password: &str) -> Result<LoginAnswer, ClientError> {
        self.post("/login", &Login { staff_id: staff_id.into(), password: password.into() }).await
    }

    /// A one-time ticket for the event stream of a client that cannot send the header (a
    /// browser); `HallClient::events` sends the header and needs none.
    pub async fn stream_ticket(&self) -> Result<StreamTicket, ClientError> {
        self.post("/stream-ticket", &serde_json::json!({})).await
    }

    /// Ends this client's staff session (the token it was made with).
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.send(self.http.post(self.url("/logout"))).await.map(drop)
    }

    /// Takes a number. Retry with the same `request_id` after any failure: the hall gives
    /// the first ticket again (`repeated`).
    pub async fn issue(&self, req: &IssueTicket) -> Result<Issued, ClientError> {
        self.post_issued("/tickets", req).await
    }

    /// A ticket issued at service desk `desk` and printed on its printer (staff).
    pub async fn desk_issue(&self, desk: &str, req: &IssueTicket) -> Result<crate::views::DeskTicket, ClientError> {
        self.post(&format!("/desks/{desk}/tickets"), req).await
    }

    /// A lost ticket printed again at service desk `desk` (staff); recorded in the chain.
    pub async fn desk_reprint(&self, desk: &str, ticket: &crate::ids::TicketId) -> Result<crate::views::DeskTicket, ClientError> {
        self.post(&format!("/desks/{desk}/reprint"), &crate::requests::DeskReprint { ticket: ticket.clone() }).await
    }

    /// A kiosk leases a block of numbers of `queue` for issuing while the hall is unreachable.
    pub async fn lease(&self, queue: &QueueId) -> Result<LeaseView, ClientError> {
        self.post("/leases", &LeaseNumbers { queue: queue.clone() }).await
    }

    /// A kiosk uploads a ticket it issued offline; repeating an upload answers the same.
    pub async fn upload_offline(&self, body: &UploadOffline) -> Result<Issued, ClientError> {
        self.post_issued("/tickets/offline", body).await
    }

    /// `GET /tickets/{id}`: the ticket as the token's role may see it (history for staff, the
    /// holder masked as the role allows).
    pub async fn ticket(&self, id: &TicketId) -> Result<TicketView, ClientError> {
        self.get(&format!("/tickets/{}", enc(id.as_str()))).await
    }

    /// The visitor's own view of their ticket, by the ticket's token (no role token).
    pub async fn ticket_as_visitor(&self, id: &TicketId, token: &str) -> Result<TicketView, ClientError> {
        let path = format!("/tickets/{}?token={}", enc(id.as_str()), enc(token));
        Self::json(self.send(self.http.get(self.url(&path))).await?).await
    }

    /// Rates a served ticket, as the visitor (`body.token`) or a rating tablet (`body.nonce`);
    /// `already_rated` if it was rated.
    pub async fn evaluate(&self, ticket: &TicketId, body: &Evaluate) -> Result<EvaluationAnswer, ClientError> {
        self.post(&format!("/tickets/{}/evaluation", enc(ticket.as_str())), body).await
    }

    /// Acts on a window as its counter or staff session (`forbidden_window` for a window the caller
    /// does not work); answers with the window after the action and the events it made.
    pub async fn window_action(
        &self,
        window: WindowNo,
        action: WindowAction,
        body: &WindowCommand,
    ) -> Result<WindowActionAnswer, ClientError> {
        self.post(&format!("/windows/{window}/{}", action.as_str()), body).await
    }

    /// `GET /windows/{window}/waiting`: the tickets the window would call, in the order it would
    /// call them.
    pub async fn waiting(&self, window: WindowNo) -> Result<WaitingLine, ClientError> {
        self.get(&format!("/windows/{window}/waiting")).await
    }

    /// A kiosk reports one of its devices: `fault` `None` when it works (again), else the fault for
    /// staff.
    pub async fn device_status(&self, device: &str, fault: Option<&str>) -> Result<DeviceStatusAnswer, ClientError> {
        self.post("/devices/status", &DeviceStatus { device: device.into(), fault: fault.map(Into::into) }).await
    }

    /// The booking system books an appointment; `duplicate_appointment` for a code already booked.
    pub async fn book_appointment(&self, body: &BookAppointment) -> Result<AppointmentView, ClientError> {
        self.post("/appointments", body).await
    }

    /// The appointments booked for the person on the card (a kiosk, before check-in).
    pub async fn find_appointments(&self, identity: &Identity) -> Result<AppointmentList, ClientError> {
        self.post("/appointments/find", &FindFor { identity: identity.clone() }).await
    }

    /// Checks an appointment in at a kiosk and issues its ticket; a retry with the same request_id
    /// answers the same ticket.
    pub async fn check_in(&self, code: &str, body: &CheckIn) -> Result<Issued, ClientError> {
        self.post_issued(&format!("/appointments/{}/check-in", enc(code)), body).await
    }

    /// The approval system delivers a result PDF for self-printing; delivering the same
    /// `external_id` again changes nothing.
    pub async fn deliver_result(&self, body: &DeliverResult) -> Result<Delivered, ClientError> {
        self.post("/results", body).await
    }

    /// The results waiting for the person on the card; a kiosk gets a nonce with each for fetching
    /// and collecting it.
    pub async fn find_results(&self, identity: &Identity) -> Result<ResultList, ClientError> {
        self.post("/results/find", &FindFor { identity: identity.clone() }).await
    }

    /// A result's PDF. A kiosk passes the nonce `find_results` gave it for this result;
    /// a manager may pass `None`.
    pub async fn result_pdf(&self, id: &str, nonce: Option<&str>) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/results/{}/pdf{}", enc(id), nonce_query(nonce))).await
    }

    /// Marks a result collected once it printed (the hall deletes its PDF and logs the print).
    pub async fn result_collected(&self, id: &str, nonce: Option<&str>) -> Result<Collected, ClientError> {
        self.post(&format!("/results/{}/collected{}", enc(id), nonce_query(nonce)), &serde_json::json!({})).await
    }

    /// Attaches scanned materials (one PDF) to a ticket for pre-review.
    pub async fn attach(&self, ticket: &TicketId, title: &str, pages: u32, pdf: Vec<u8>) -> Result<AttachmentMeta, ClientError> {
        let path = format!("/tickets/{}/attachments?title={}&pages={pages}", enc(ticket.as_str()), enc(title));
        let rb = self.http.post(self.url(&path)).header(reqwest::header::CONTENT_TYPE, "application/pdf").body(pdf);
        Self::json(self.send(rb).await?).await
    }

    /// The scanned materials attached to a ticket (staff and managers).
    pub async fn attachments(&self, ticket: &TicketId) -> Result<AttachmentList, ClientError> {
        self.get(&format!("/tickets/{}/attachments", enc(ticket.as_str()))).await
    }

    /// One attachment's PDF (staff and managers; each read is logged as an event).
    pub async fn attachment_pdf(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/attachments/{}/pdf", enc(id))).await
    }

    /// The spoken call as WAV.
    pub async fn announce(&self, number: &str, window: WindowNo) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/announce?number={}&window={window}", enc(number))).await
    }

    /// `GET /config`: the configuration version in force and its TOML, tokens redacted (managers).
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

    /// Reads the configuration file again and puts it in force when it changed (managers).
    pub async fn reload_config(&self) -> Result<ConfigReloaded, ClientError> {
        self.post("/config/reload", &serde_json::json!({})).await
    }

    /// Every saved configuration version, newest first, with who and when (managers).
    pub async fn config_versions(&self) -> Result<crate::views::ConfigVersionList, ClientError> {
        self.get("/config/versions").await
    }

    /// A saved configuration version's TOML, tokens redacted (managers).
    pub async fn config_version(&self, version: u64) -> Result<ConfigVersion, ClientError> {
        self.get(&format!("/config/versions/{version}")).await
    }

    /// What changed from configuration version `from` to `to` (managers).
    pub async fn config_diff(&self, from: u64, to: u64) -> Result<crate::views::ConfigDiff, ClientError> {
        self.get(&format!("/config/diff?from={from}&to={to}")).await
    }

    /// Puts version `version` in force again as a new version; `expected` is the version in
    /// force the manager saw.
    pub async fn config_rollback(&self, version: u64, expected: Option<u64>) -> Result<ConfigSaved, ClientError> {
        self.post("/config/rollback", &crate::requests::ConfigRollback { version, expected }).await
    }

    /// The alerts raised now and the recent webhook deliveries (managers).
    pub async fn alerts(&self) -> Result<crate::views::AlertsView, ClientError> {
        self.get("/alerts").await
    }

    /// A report of the hall days `from..=to` (managers).
    pub async fn report(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        by: crate::views::ReportBy,
    ) -> Result<crate::views::Report, ClientError> {
        self.get(&format!("/reports?from={from}&to={to}&by={}", by.as_str())).await
    }

    /// The report as a file (managers): `format` is "csv" or "xlsx", `lang` "zh" or "en".
    pub async fn report_export(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        by: crate::views::ReportBy,
        format: &str,
        lang: &str,
    ) -> Result<Vec<u8>, ClientError> {
        self.bytes(&format!("/reports/export?from={from}&to={to}&by={}&format={}&lang={}", by.as_str(), enc(format), enc(lang))).await
    }

    /// Chart figures of the hall days `from..=to` (managers).
    pub async fn report_charts(&self, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<crate::views::ChartData, ClientError> {
        self.get(&format!("/reports/charts?from={from}&to={to}")).await
    }

    /// Supervision of the hall days `from..=to`, of one window or staff member (managers).
    pub async fn supervision(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        window: Option<crate::ids::WindowNo>,
        staff: Option<&str>,
    ) -> Result<crate::views::Supervision, ClientError> {
        let mut q = format!("/supervision?from={from}&to={to}");
        if let Some(w) = window {
            q.push_str(&format!("&window={}", w.0));
        }
        if let Some(s) = staff {
            q.push_str(&format!("&staff={}", enc(s)));
        }
        self.get(&q).await
    }

    /// Follows the event stream from after `since` (from now when `None`). The feed
    /// reconnects with backoff and resumes after the last event it gave, so each event
    /// comes once and in order, across drops and restarts of the service.
    pub fn events(&self, since: Option<u64>) -> EventFeed {
        let (tx, rx) = mpsc::channel(1024);
        let url = format!("{}/events", self.url("")).replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
        let task = tokio::spawn(follow(url, self.token.clone(), self.tls.clone(), since, tx));
        EventFeed { rx, task }
    }
}

/// Percent-encodes a path segment or query value.
/// `?nonce=…` for a result call, or nothing.
fn nonce_query(nonce: Option<&str>) -> String {
    nonce.map(|n| format!("?nonce={}", enc(n))).unwrap_or_default()
}

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
    Connected {
        /// Events after this sequence number follow.
        since: u64,
        /// The newest event in the log when the stream started.
        last_seq: u64,
    },
    /// An event, once; `live` is false for events caught up after a (re)connect.
    Event {
        /// The event, as the token's role may see it.
        event: StreamEvent,
        /// False for an event caught up from the log after a (re)connect.
        live: bool,
    },
    /// The connection dropped or could not be made; the feed tries again after `retry_in`.
    Disconnected {
        /// Why, for the log.
        reason: String,
        /// How long the feed waits before it tries again (doubling up to its limit).
        retry_in: Duration,
    },
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

async fn follow(url: String, token: String, tls: Option<Arc<rustls::ClientConfig>>, since: Option<u64>, tx: mpsc::Sender<FeedItem>) {
    let mut last: Option<u64> = since;
    let mut backoff = BACKOFF_FIRST;
    loop {
        let reason = match follow_once(&url, &token, tls.as_ref(), &mut last, &tx).await {
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

async fn follow_once(
    url: &str,
    token: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    last: &mut Option<u64>,
    tx: &mpsc::Sender<FeedItem>,
) -> Result<(), Ended> {
    let full = match last {
        Some(s) => format!("{url}?since={s}"),
        None => url.to_string(),
    };
    let mut req = full.into_client_request().map_err(|e| Ended::NotConnected(e.to_string()))?;
    if !token.is_empty() {
        let v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Ended::NotConnected("令牌含有不可用的字符".into()))?;
        req.headers_mut().insert("authorization", v);
    }
    // wss:// trusts what the HTTP calls trust; ws:// ignores the connector.
    let connector = tls.map(|c| tokio_tungstenite::Connector::Rustls(c.clone()));
    let connect = tokio_tungstenite::connect_async_tls_with_config(req, None, false, connector);
    let (mut ws, _) = match tokio::time::timeout(CONNECT_TIMEOUT * 2, connect).await {
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
    if let Some(t) = tls_failure(&e) {
        return t;
    }
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

// ---------------------------------------------------------------------------------------
// TLS: what the client trusts, and what a failed handshake means for the installer.

/// Told when the hall's certificate is signed by a CA this client does not trust.
pub const UNTRUSTED: &str = "叫号系统的证书不受信任：请用 --ca 指定大厅 CA 证书（hallq tls init 生成的 ca.pem），\
     或把 ca.pem 装入本机的信任库（/usr/local/share/ca-certificates/ 后运行 update-ca-certificates）。\
     The hall service's certificate is not trusted: pass the hall CA with --ca (ca.pem from hallq tls init), \
     or install it in this machine's trust store.";

fn tls_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring offers TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// The certificates of a `--ca` file or PEM text, as trust anchors.
fn ca_roots(ca: &Ca) -> Result<rustls::RootCertStore, ClientError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let (pem, name) = match ca {
        Ca::File(path) => (
            std::fs::read(path).map_err(|e| {
                ClientError::Tls(format!(
                    "无法读取大厅 CA 证书 {}：{e}（应为 hallq tls init 生成的 ca.pem）。Cannot read the hall CA {}: {e}.",
                    path.display(),
                    path.display()
                ))
            })?,
            path.display().to_string(),
        ),
        Ca::Pem(p) => (p.clone(), "PEM".to_string()),
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| {
            ClientError::Tls(format!(
                "大厅 CA 证书 {name} 无法解析：{e}（应为 PEM 格式的 ca.pem）。The hall CA {name} is not a readable PEM certificate."
            ))
        })?;
        roots.add(cert).map_err(|e| {
            ClientError::Tls(format!(
                "大厅 CA 证书 {name} 不可用：{e}（应为 hallq tls init 生成的 ca.pem）。The hall CA {name} cannot be used: {e}."
            ))
        })?;
    }
    if roots.is_empty() {
        return Err(ClientError::Tls(format!(
            "{name} 中没有证书：请用 hallq tls init 生成的 ca.pem（不是 server.key）。{name} holds no certificate: use ca.pem from hallq tls init."
        )));
    }
    Ok(roots)
}

/// The system's trust store (Debian: /etc/ssl/certs, filled by update-ca-certificates).
fn system_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    roots
}

/// The installer's message when `e` (or an error beneath it) is a failed TLS handshake.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(t) = e.downcast_ref::<tokio_tungstenite::tungstenite::error::TlsError>() {
        return Some(match t {
            tokio_tungstenite::tungstenite::error::TlsError::Rustls(r) => describe_tls(r),
            other => format!("与叫号系统建立加密连接失败：{other}。The encrypted connection to the hall service failed: {other}."),
        });
    }
    find_rustls(e).map(describe_tls)
}

/// The rustls error under `e`, through io::Errors wrapped in io::Errors (whose `source()`
/// skips the error they wrap).
fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(t) = e.downcast_ref::<rustls::Error>() {
        return Some(t);
    }
    if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        let inner: &(dyn std::error::Error + 'static) = inner;
        if let Some(t) = find_rustls(inner) {
            return Some(t);
        }
    }
    e.source().and_then(find_rustls)
}

fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::BadEncoding => UNTRUSTED.to_string(),
            C::NotValidForName | C::NotValidForNameContext { .. } => "叫号系统的证书不含本机所用的服务器地址：请在服务器上用 hallq tls init --host 地址 重新生成证书，\
                 或用证书里的名字访问（--server）。The hall's certificate does not name the address in --server: \
                 re-issue it with hallq tls init --host ADDRESS."
                .to_string(),
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => "叫号系统的证书已过期或尚未生效：请核对本机与服务器的时钟，必要时用 hallq tls init 重新生成。\
                 The hall's certificate has expired or is not yet valid: check both clocks, or re-issue it with hallq tls init."
                .to_string(),
            other => format!("叫号系统的证书无效（{other:?}）：请用 hallq tls init 重新生成并用 --ca 指定 ca.pem。The hall's certificate is invalid ({other:?})."),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "叫号系统没有用 HTTPS 应答：地址请用 http://，或服务端用 --tls-cert/--tls-key 启动。\
             The hall service did not answer in TLS: use http:// in --server, or start hallq serve with --tls-cert/--tls-key."
                .to_string()
        }
        other => format!("与叫号系统建立加密连接失败：{other}。The encrypted connection to the hall service failed: {other}."),
    }
}
