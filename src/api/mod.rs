//! The hall's LAN API under `/api/v1`: JSON over HTTP, an event stream over WebSocket,
//! roles by bearer token. Every error is `{"error":{"code":…,"message":…}}` with a stable
//! code and a message a person can act on; bad input never gets a 5xx.

mod access;
mod alerts;
mod appointments;
mod config;
mod desk;
mod documents;
mod help;
mod offline;
pub mod openapi;
mod reports;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hallq_proto::{self as proto, ErrorBody, ErrorCode, WindowNo};

use crate::config::Role;
use crate::engine::{Actor, Channel, Command, DeviceRating, IssueRequest, Outcome, Priority, RatingSource, Rejection, WindowAction};
use crate::service::{Hall, ServiceError};
use crate::store;

use access::MaybeCaller;
pub use access::{May, Rule, RULES};
pub use views::{catalog_of, event_view, ticket_view, Audience, Published, TicketAnswer, Viewer};

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Longest reason for a pause or an out-of-turn call, in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// Longest request_id.
pub const MAX_REQUEST_ID: usize = 64;
/// The devices a kiosk reports on (the list managers see is bounded by kiosks × these).
pub const DEVICES: &[&str] = &["ticket-printer", "idcard-reader", "a4-printer", "scanner"];
/// Largest message a stream client may send (it has nothing to say but close and pong).
pub const STREAM_MESSAGE_LIMIT: usize = 4 * 1024;
/// How often the stream pings its clients, and how long a silent one is kept.
pub const STREAM_PING_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
pub const STREAM_SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(90);
/// Open event streams one token may hold: a display token is often shared by every screen
/// of the hall (a county hall has a few hundred); a device or staff token needs a few; a
/// visitor's phone one or two.
pub const STREAMS_PER_DISPLAY_TOKEN: usize = 512;
pub const STREAMS_PER_DEVICE_TOKEN: usize = 16;
pub const STREAMS_PER_TICKET: usize = 4;
/// Tickets one kiosk may issue in a minute (a busy kiosk issues a few).
pub const KIOSK_TICKETS_PER_MINUTE: u32 = 60;
/// Changes of one kiosk device's state a minute (a real device changes a few times an hour:
/// paper out, paper in).
pub const DEVICE_CHANGES_PER_MINUTE: u32 = 6;
/// Tickets one counter (a counter's token or a member of staff at a counter or desk) may
/// issue a minute.
pub const STAFF_TICKETS_PER_MINUTE: u32 = 30;

#[derive(Clone)]
pub struct Api {
    hall: Hall,
    voice: Arc<crate::voice::Voice>,
    sessions: Arc<crate::staff::Sessions>,
    documents: Arc<crate::documents::Documents>,
    pub(super) issue_limit: Arc<IssueLimit>,
    /// Held from a device report's look at the state to its commit, so reports sent at
    /// once cannot each pass as "no change" and then change it.
    device_reports: Arc<tokio::sync::Mutex<()>>,
    stream_tickets: Arc<StreamTickets>,
    streams: Arc<StreamCounts>,
    desks: Arc<crate::desk::DeskPrinters>,
}

/// How many tickets each kiosk issued in the current minute: a hostile or broken kiosk
/// cannot drain a queue's numbers.
/// One-time tickets for a browser's event stream (a WebSocket cannot carry a header): a page
/// trades its token for one just before it connects. Real time, 30 s, used once.
#[derive(Default)]
struct StreamTickets(std::sync::Mutex<HashMap<String, (Caller, std::time::Instant)>>);

const STREAM_TICKET_LIFE: std::time::Duration = std::time::Duration::from_secs(30);
const STREAM_TICKETS_MAX: usize = 10_000;

impl StreamTickets {
    fn issue(&self, caller: Caller) -> Option<String> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, (_, at)| at.elapsed() < STREAM_TICKET_LIFE);
        if m.len() >= STREAM_TICKETS_MAX {
            return None;
        }
        let ticket = hex::encode(rand::random::<[u8; 16]>());
        m.insert(ticket.clone(), (caller, std::time::Instant::now()));
        Some(ticket)
    }

    fn take(&self, ticket: &str) -> Option<Caller> {
        let (caller, at) = self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(ticket)?;
        (at.elapsed() < STREAM_TICKET_LIFE).then_some(caller)
    }
}

/// Open event streams per token (or per visitor's ticket), and all of them in the
/// `/metrics` gauge.
#[derive(Default)]
struct StreamCounts(Arc<std::sync::Mutex<HashMap<String, usize>>>, prometheus_client::metrics::gauge::Gauge);

/// One open stream, counted until it is dropped.
struct StreamSlot {
    counts: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    holder: String,
    gauge: prometheus_client::metrics::gauge::Gauge,
}

impl StreamCounts {
    fn take(&self, holder: &str, cap: usize) -> Option<StreamSlot> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(holder.to_string()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        self.1.inc();
        Some(StreamSlot { counts: self.0.clone(), holder: holder.to_string(), gauge: self.1.clone() })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.gauge.dec();
        let mut m = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.holder);
            }
        }
    }
}

#[derive(Default)]
pub(super) struct IssueLimit(std::sync::Mutex<HashMap<String, (i64, u32)>>);

impl IssueLimit {
    /// `None` when `kiosk` may issue now, or the seconds to wait.
    pub(super) fn check(&self, key: &str, now: crate::engine::Ts, per_minute: u32) -> Option<i64> {
        let minute = now.timestamp().div_euclid(60);
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, (at, _)| *at == minute);
        let (_, n) = m.entry(key.to_string()).or_insert((minute, 0));
        if *n >= per_minute {
            return Some(60 - now.timestamp().rem_euclid(60));
        }
        *n += 1;
        None
    }
}

/// Builds the router for `/api/v1`.
pub fn router(hall: Hall) -> Router {
    let data_dir = hall.db_path().parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let voice = Arc::new(crate::voice::Voice::new(hall.config().voice.clone(), &data_dir));
    let sessions = hall.sessions();
    let streams = Arc::new(StreamCounts(Arc::default(), hall.metrics().streams()));
    let desks = Arc::new(crate::desk::DeskPrinters::new(&data_dir));
    let api = Api {
        documents: hall.documents(),
        hall,
        voice,
        sessions,
        issue_limit: Arc::default(),
        device_reports: Arc::default(),
        stream_tickets: Arc::default(),
        streams,
        desks,
    };
    let v1 = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/catalog", get(catalog))
        .route("/catalog/figures", get(catalog_figures))
        .route("/help", get(help::list).post(help::call))
        .route("/help/{kiosk}/answer", post(help::answer))
        .route("/state", get(state))
        .route("/tickets", post(issue))
        .route("/tickets/offline", post(offline::upload))
        .route("/desks/{desk}/tickets", post(desk::issue))
        .route("/desks/{desk}/reprint", post(desk::reprint))
        .route("/leases", post(offline::lease))
        .route("/tickets/{id}", get(get_ticket))
        .route("/tickets/{id}/evaluation", post(evaluate))
        .route("/windows/{window}/{action}", post(window_action))
        .route("/events", get(events))
        .route("/stream-ticket", post(stream_ticket))
        .route("/me", get(me))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/appointments", post(appointments::book))
        .route("/appointments/find", post(appointments::find))
        .route("/appointments/{code}/check-in", post(appointments::check_in))
        .route("/results", post(documents::deliver).layer(DefaultBodyLimit::max(documents::RESULT_BODY_LIMIT)))
        .route("/results/find", post(documents::find))
        .route("/config", get(config::get_config).put(config::put_config).layer(DefaultBodyLimit::max(config::CONFIG_BODY_LIMIT)))
        .route("/config/reload", post(config::reload))
        .route("/config/versions", get(config::versions))
        .route("/config/versions/{version}", get(config::version))
        .route("/config/diff", get(config::diff))
        .route("/config/rollback", post(config::rollback))
        .route("/config/ticket-preview", post(config::ticket_preview).layer(DefaultBodyLimit::max(config::CONFIG_BODY_LIMIT)))
        .route("/alerts", get(alerts::alerts))
        .route("/reports", get(reports::report))
        .route("/reports/export", get(reports::export))
        .route("/reports/charts", get(reports::charts))
        .route("/supervision", get(reports::supervision))
        .route("/results/{id}/pdf", get(documents::result_pdf))
        .route("/results/{id}/collected", post(documents::collected))
        .route(
            "/tickets/{id}/attachments",
            post(documents::attach).get(documents::attachments).layer(DefaultBodyLimit::max(crate::documents::MAX_PDF_BYTES)),
        )
        .route("/attachments/{id}/pdf", get(documents::attachment_pdf))
        .route("/windows/{window}/waiting", get(waiting))
        .route("/announce", get(announce))
        .route("/devices/status", post(device_status))
        .route_layer(axum::middleware::from_fn_with_state(api.clone(), access::guard))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(api);
    Router::new().nest("/api/v1", v1)
}

/// An API error: a stable code (whose HTTP status the contract fixes) and a message a
/// person can act on.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    /// The message in English and when a refusal in time ends (the engine's refusals).
    message_en: Option<String>,
    until: Option<String>,
    /// The field (and line) of a submitted document the fault is at.
    at: Option<(String, Option<usize>)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), message_en: None, until: None, at: None }
    }

    /// The message in English too, for what a kiosk or a visitor's phone may show.
    pub fn en(mut self, message: impl Into<String>) -> ApiError {
        self.message_en = Some(message.into());
        self
    }

    /// Names the field of a submitted document the fault is at, and its line when known.
    pub fn at(mut self, field: impl Into<String>, line: Option<usize>) -> ApiError {
        self.at = Some((field.into(), line));
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = ErrorBody::new(self.code, self.message);
        body.error.message_en = self.message_en;
        body.error.until = self.until;
        if let Some((field, line)) = self.at {
            body.error.field = Some(field);
            body.error.line = line;
        }
        (status, Json(body)).into_response()
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        ApiError { message_en: Some(r.message_en()), until: r.until(), ..ApiError::new(r.code(), r.to_string()) }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Rejected(r) => r.into(),
            ServiceError::Store(_) => ApiError::new(ErrorCode::StoreUnavailable, e.to_string()),
            ServiceError::Stopped => ApiError::new(ErrorCode::ServiceStopping, e.to_string()),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> ApiError {
        tracing::error!("store read failed: {e}");
        ApiError::new(ErrorCode::StoreUnavailable, "服务暂时无法读取数据，请稍后重试。")
            .en("The service cannot read its data just now. Please try again shortly.")
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Who is calling, from the bearer token in the Authorization header.
#[derive(Debug, Clone)]
struct Caller {
    role: Role,
    name: String,
    windows: Vec<u32>,
    /// A member of staff signed in (not a device's token).
    session: bool,
    /// The staff number of the person signed in (a session), for the chain.
    staff: Option<String>,
}

/// The bearer token of the Authorization header. Role tokens travel in the header only,
/// never in a URL (browser history, proxy logs); a browser's event stream uses a one-time
/// ticket (POST /stream-ticket).
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

impl Api {
    fn caller(&self, headers: &HeaderMap) -> ApiResult<Caller> {
        let token = presented_token(headers)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "缺少访问令牌：请在 Authorization: Bearer 中提供设备令牌。"))?;
        if token.starts_with("staff.") {
            // A member of staff signed in: at a counter they work the windows they are given; a
            // manager's session is a manager's.
            let config = self.hall.config();
            let p = self
                .sessions
                .check(&config.staff, token, self.hall.now())
                .ok_or_else(|| ApiError::new(ErrorCode::SessionExpired, "登录已过期或无效，请重新登录。"))?;
            return Ok(Caller {
                role: p.role,
                name: format!("{}（{}）", p.name, p.id),
                windows: p.windows.clone(),
                session: true,
                staff: Some(p.id.clone()),
            });
        }
        // The tokens of the configuration in force: a manager may change them live.
        let config = self.hall.config();
        let t = config.token_for(token).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "访问令牌无效：请核对设备配置中的令牌。"))?;
        Ok(Caller { role: t.role, name: t.name.clone(), windows: t.windows.clone(), session: false, staff: None })
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>, allow_empty: bool) -> ApiResult<Option<T>> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::BodyTooLarge, format!("请求体过大，最多 {BODY_LIMIT} 字节。"))
        } else {
            ApiError::new(ErrorCode::BadBody, format!("无法读取请求体：{}", r.body_text()))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if allow_empty { Ok(None) } else { Err(ApiError::new(ErrorCode::BadJson, "请求体为空：需要 JSON 对象。")) };
    }
    let bad = |e: serde_json::Error| ApiError::new(ErrorCode::BadJson, format!("JSON 格式错误：{e}"));
    if allow_empty {
        // `null` counts as no body where none is needed.
        serde_json::from_slice::<Option<T>>(&bytes).map_err(bad)
    } else {
        serde_json::from_slice(&bytes).map(Some).map_err(bad)
    }
}

impl Caller {
    fn viewer(&self) -> Viewer {
        Viewer::of(self.role, &self.windows)
    }

    /// Who this caller is in the chain: the staff number of a person signed in, else the
    /// token's name.
    fn actor(&self) -> Actor {
        match &self.staff {
            Some(number) => Actor::staff(number),
            None => Actor::token(&self.name),
        }
    }
}

/// A visitor route called with neither a role's token nor the ticket's own.
fn not_the_ticket_token() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "访问令牌无效：请使用号票上的二维码，或设备配置中的令牌。")
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "没有这个接口，请查看 /api/v1/openapi.json。")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "此接口不支持该请求方法，请查看 /api/v1/openapi.json。")
}

/// Whether the service is up, its newest event and its clock. No token needed.
#[utoipa::path(get, path = "/health", tag = "hall", responses((status = 200, body = proto::Health)))]
async fn health(State(api): State<Api>) -> Json<proto::Health> {
    let now = api.hall.now();
    let date = api.hall.view().state.date;
    Json(proto::Health {
        status: "ok".into(),
        seq: api.hall.last_seq(),
        date,
        now: now.with_timezone(&api.hall.config().offset()).to_rfc3339(),
    })
}

/// Whether the service can take commands now: the event log opens and its writer runs.
/// No token needed, and no hall data in the answer.
#[utoipa::path(get, path = "/ready", tag = "hall", responses(
    (status = 200, body = proto::Readiness),
    (status = 503, description = "Not ready: the event log or its writer is down", body = proto::ErrorBody)))]
async fn ready(State(api): State<Api>) -> ApiResult<Json<proto::Readiness>> {
    let hall = api.hall.clone();
    let checked = tokio::task::spawn_blocking(move || hall.ready()).await.unwrap_or_else(|_| Err("the check did not finish".into()));
    match checked {
        Ok(()) => Ok(Json(proto::Readiness { status: "ready".into() })),
        Err(why) => {
            tracing::error!("not ready: {why}");
            Err(ApiError::new(ErrorCode::NotReady, format!("服务尚未就绪：{why}")))
        }
    }
}

/// Counters and gauges for the hall's monitoring, in the Prometheus (OpenMetrics) text
/// format: tickets issued and called, waiting and the longest wait per queue, the event
/// log's append latency, open event streams, device faults.
#[utoipa::path(get, path = "/metrics", tag = "hall", security(("token" = [])), responses(
    (status = 200, description = "OpenMetrics text exposition", content_type = "application/openmetrics-text"),
    (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody),
    (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
async fn metrics(State(api): State<Api>, _caller: Caller) -> Response {
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], api.hall.render_metrics()).into_response()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "hall", responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi::document_json()).into_response()
}

/// The hall's items, queues, windows and kiosk settings. Its ETag names the configuration
/// version (and the role, and this run of the service): a client that sends it back in
/// If-None-Match gets 304 and no body until the configuration changes. The waits in it are
/// as of the answer; `/catalog/figures` has the newest.
#[utoipa::path(get, path = "/catalog", tag = "hall", security(("token" = [])), params(("If-None-Match" = Option<String>, Header, description = "The ETag of the catalogue the client holds")), responses((status = 200, body = proto::Catalog), (status = 304, description = "The catalogue held is the current one"), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
async fn catalog(State(api): State<Api>, caller: Caller, headers: HeaderMap) -> ApiResult<Response> {
    let version = api.hall.view().state.config_version;
    if caller.role == Role::Kiosk {
        api.hall.alerts().presence.kiosk_config(&caller.name, version);
    }
    let etag = catalog_etag(version, caller.role);
    let held = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).unwrap_or("");
    if held.split(',').any(|t| t.trim() == etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let catalog = views::catalog_view(&api.hall, &caller.viewer());
    // The catalogue built may be of a newer version than the one looked at above.
    let etag = catalog_etag(catalog.config_version, caller.role);
    Ok(([(header::ETAG, etag)], Json(catalog)).into_response())
}

/// The catalogue's entity tag: its configuration version, the role it was built for (a
/// kiosk's holds its PIN), and this run of the service (a restored data directory may
/// count versions again).
fn catalog_etag(version: u64, role: Role) -> String {
    static RUN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let run = RUN.get_or_init(rand::random::<u64>);
    format!("\"cfg-{version}-{role:?}-{run:016x}\"")
}

/// The catalogue's waits now: each queue's waiting tickets and estimate, with the
/// configuration version (a kiosk fetches the catalogue again when it changed).
#[utoipa::path(get, path = "/catalog/figures", tag = "hall", security(("token" = [])), responses((status = 200, body = proto::CatalogFigures), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
async fn catalog_figures(State(api): State<Api>, caller: Caller) -> ApiResult<Json<proto::CatalogFigures>> {
    let figures = views::catalog_figures(&api.hall);
    if caller.role == Role::Kiosk {
        api.hall.alerts().presence.kiosk_config(&caller.name, figures.config_version);
    }
    Ok(Json(figures))
}

/// Windows, queues and recent calls, as the caller's role may see them.
#[utoipa::path(get, path = "/state", tag = "hall", security(("token" = [])), responses((status = 200, body = proto::HallState), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
async fn state(State(api): State<Api>, caller: Caller) -> ApiResult<Json<proto::HallState>> {
    let mut view = views::state_view(&api.hall, &caller.viewer());
    if caller.role == Role::Manager {
        view.kiosks = Some(offline::kiosk_links(&api));
        view.displays = Some(api.hall.alerts().display_links(&api.hall.config(), api.hall.now()));
    }
    Ok(Json(view))
}

/// Who the token belongs to: lets a counter page offer the windows it may operate.
#[utoipa::path(get, path = "/me", tag = "staff", security(("token" = [])), responses((status = 200, body = proto::Me), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
async fn me(State(api): State<Api>, c: Caller) -> ApiResult<Json<proto::Me>> {
    let viewer = c.viewer();
    let windows = match c.role {
        // A rating tablet learns the one window it stands by (as a display sees it).
        Role::Counter | Role::Rating => c.windows.iter().map(|n| views::window_view(&api.hall, *n, &viewer)).collect(),
        Role::Manager => api.hall.config().windows.iter().map(|w| views::window_view(&api.hall, w.number, &viewer)).collect(),
        _ => Vec::new(),
    };
    Ok(Json(proto::Me { role: c.role, name: c.name, windows }))
}

/// Staff sign-in: staff number and password for a session token that works like a counter
/// token for the windows the person is given. Attempts are counted before the password is
/// checked, per staff number and per client address.
#[utoipa::path(post, path = "/login", tag = "staff", request_body = proto::Login, responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), 
    (status = 200, body = proto::LoginAnswer),
    (status = 401, description = "Wrong staff number or password", body = proto::ErrorBody),
    (status = 422, description = "Staff number or password missing", body = proto::ErrorBody),
    (status = 429, description = "Locked after too many wrong passwords", body = proto::ErrorBody),
    (status = 503, description = "Too many sign-ins waiting", body = proto::ErrorBody)))]
async fn login(
    State(api): State<Api>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::LoginAnswer>> {
    let b: proto::Login = parse_body(body, false)?.expect("a body is required");
    if b.staff_id.is_empty() || b.password.is_empty() || b.password.len() > 256 {
        return Err(ApiError::new(ErrorCode::MissingField, "请输入工号和密码。"));
    }
    // The client's address, for the per-address throttle (served without connect info, as
    // by a bare axum::serve in a test, every client counts as one address).
    let client = peer.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |axum::Extension(axum::extract::ConnectInfo(a))| a.ip());
    let (sessions, hall) = (api.sessions.clone(), api.hall.clone());
    let id = b.staff_id.clone();
    // Argon2 takes tens of milliseconds of CPU, and a sign-in may wait for its turn: off the
    // async workers.
    let result = tokio::task::spawn_blocking(move || sessions.sign_in_from(&hall.config().staff, &id, &b.password, hall.now(), client))
        .await
        .map_err(|_| ApiError::new(ErrorCode::ServiceBusy, "登录暂时无法处理，请重试。"))?;
    match result {
        Ok((token, expires, p)) => {
            // The sign-in goes into the chain before the token is handed out.
            api.hall.submit(Command::StaffSignedIn { actor: Actor::staff(&p.id), role: p.role }).await?;
            tracing::info!("staff {} ({}) signed in from {client}", p.id, p.name);
            Ok(Json(proto::LoginAnswer {
                token,
                staff_id: p.id.clone(),
                name: p.name.clone(),
                windows: p.windows.iter().map(|w| WindowNo(*w)).collect(),
                expires_at: expires.with_timezone(&api.hall.config().offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            }))
        }
        Err(refused) => {
            let shown: String = b.staff_id.chars().take(crate::staff::MAX_STAFF_ID_LEN).collect();
            tracing::warn!("staff sign-in for {shown:?} from {client} refused: {refused:?}");
            Err(ApiError::new(refused.code(), refused.message()))
        }
    }
}

/// Staff sign-out: ends the presented session (not the person's sessions elsewhere).
#[utoipa::path(post, path = "/logout", tag = "staff", security(("token" = [])), responses(
    (status = 204, description = "The session is ended"),
    (status = 401, description = "No token, or not a live staff session", body = proto::ErrorBody),
    (status = 403, description = "A device token, not a staff session", body = proto::ErrorBody),
    (status = 503, description = "Ended, but not yet recorded in the data directory: retry", body = proto::ErrorBody)))]
async fn logout(State(api): State<Api>, _caller: Caller, headers: HeaderMap) -> ApiResult<StatusCode> {
    // The access table lets only staff sessions here.
    let token = presented_token(&headers).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "缺少访问令牌。"))?;
    let (sessions, hall, token) = (api.sessions.clone(), api.hall.clone(), token.to_string());
    // Writes the sign-out list (fsync): off the async workers.
    let ended = tokio::task::spawn_blocking(move || {
        let config = hall.config();
        sessions.sign_out(&config.staff, &token, hall.now()).map(|p| p.map(|p| (format!("{}（{}）", p.name, p.id), p.id.clone())))
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::ServiceBusy, "退出登录暂时无法处理，请重试。"))?;
    match ended {
        Ok(Some((who, number))) => {
            api.hall.submit(Command::StaffSignedOut { actor: Actor::staff(number) }).await?;
            tracing::info!("staff {who} signed out");
            Ok(StatusCode::NO_CONTENT)
        }
        Ok(None) => Err(ApiError::new(ErrorCode::SessionExpired, "登录已过期或无效，请重新登录。")),
        Err(e) => {
            tracing::error!("staff sign-out not recorded: {e}");
            Err(ApiError::new(ErrorCode::StoreUnavailable, "已退出登录，但未能保存记录，请再试一次。"))
        }
    }
}

fn window_allowed(api: &Api, caller: &Caller, window: &str) -> ApiResult<u32> {
    let window: u32 = window.parse().map_err(|_| ApiError::new(ErrorCode::UnknownWindow, format!("窗口号应为数字：{window}")))?;
    if api.hall.config().window(window).is_none() {
        return Err(Rejection::UnknownWindow(window).into());
    }
    if caller.role == Role::Counter && !caller.windows.contains(&window) {
        return Err(ApiError::new(
            ErrorCode::ForbiddenWindow,
            format!("此终端（{}）只能操作窗口 {:?}，不能操作 {window} 号窗口。", caller.name, caller.windows),
        ));
    }
    Ok(window)
}

/// The waiting line of a window's queues, in the order the window would call it.
#[utoipa::path(get, path = "/windows/{window}/waiting", tag = "counter", security(("token" = [])),
    params(("window" = u32, Path, description = "Window number")),
    responses((status = 200, body = proto::WaitingLine), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody)))]
async fn waiting(State(api): State<Api>, Path(window): Path<String>, caller: Caller) -> ApiResult<Json<proto::WaitingLine>> {
    let window = window_allowed(&api, &caller, &window)?;
    Ok(Json(views::waiting_view(&api.hall, window)))
}

/// A kiosk reports a device working or failing; managers see it in /state.
#[utoipa::path(post, path = "/devices/status", tag = "kiosk", security(("token" = [])), request_body = proto::DeviceStatus,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::DeviceStatusAnswer), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody), (status = 429, description = "The device changed state more often than any real one does", body = proto::ErrorBody)))]
async fn device_status(
    State(api): State<Api>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::DeviceStatusAnswer>> {
    let b: proto::DeviceStatus = parse_body(body, false)?.expect("non-empty");
    if !DEVICES.contains(&b.device.as_str()) || b.fault.as_ref().is_some_and(|f| f.chars().count() > 200) {
        return Err(ApiError::new(ErrorCode::BadDeviceStatus, format!("device 应为 {} 之一，fault 不超过 200 个字。", DEVICES.join("、"))));
    }
    // A report that changes nothing is free (kiosks repeat theirs every 30 s); a change is
    // logged and may raise or clear an alert, so a device that changes more often than a
    // real one does (a hostile kiosk varying its fault text) is held back.
    let key = format!("{}/{}", caller.name, b.device);
    let _one_at_a_time = api.device_reports.lock().await;
    // A device the hall has not heard of is working.
    let changes = api.hall.view().state.devices.get(&key).cloned().flatten() != b.fault;
    if changes {
        if let Some(wait) = api.issue_limit.check(&format!("device:{key}"), api.hall.now(), DEVICE_CHANGES_PER_MINUTE) {
            return Err(ApiError::new(
                ErrorCode::TooManyDeviceChanges,
                format!("设备 {} 状态变化过于频繁，请 {wait} 秒后再报告。", b.device),
            ));
        }
    }
    api.hall.submit(Command::DeviceStatus { kiosk: caller.name.clone(), device: b.device.clone(), fault: b.fault.clone() }).await?;
    Ok(Json(proto::DeviceStatusAnswer { kiosk: caller.name, device: b.device, fault: b.fault }))
}

/// The spoken call "请A001号到5号窗口办理" as WAV, for the hall display (with the floor,
/// "请A001号到二楼二十五号窗口办理", when the hall has more than one).
#[utoipa::path(get, path = "/announce", tag = "display", security(("token" = [])),
    params(("number" = String, Query, description = "Ticket number, such as A001"), ("window" = u32, Query, description = "Window number")),
    responses((status = 200, description = "WAV audio", content_type = "audio/wav"), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 400, body = proto::ErrorBody), (status = 404, body = proto::ErrorBody)))]
async fn announce(State(api): State<Api>, Query(q): Query<HashMap<String, String>>) -> ApiResult<Response> {
    let (Some(number), Some(window)) = (q.get("number").cloned(), q.get("window").and_then(|w| w.parse::<u32>().ok())) else {
        return Err(ApiError::new(ErrorCode::BadQuery, "需要参数 number（如 A001）和 window（窗口号）。"));
    };
    if number.is_empty() || number.len() > 8 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::new(ErrorCode::BadQuery, "number 应为号码，如 A001。"));
    }
    if !api.hall.config().voice.enabled {
        return Err(ApiError::new(ErrorCode::VoiceDisabled, "语音叫号已在配置中关闭（voice.enabled）。"));
    }
    let floor = crate::voice::floor_to_say(&api.hall.config(), window);
    let voice = api.voice.clone();
    let wav = tokio::task::spawn_blocking(move || voice.announcement(&number, window, floor))
        .await
        .map_err(|_| ApiError::new(ErrorCode::VoiceUnavailable, "语音合成中断，请重试。"))?
        .map_err(|e| {
            tracing::error!("voice: {e}");
            ApiError::new(ErrorCode::VoiceUnavailable, format!("语音播报暂不可用：{e}"))
        })?;
    Ok(([(header::CONTENT_TYPE, "audio/wav"), (header::CACHE_CONTROL, "max-age=86400")], wav).into_response())
}

/// Takes a number. A retry with the same request_id gets the first ticket (200).
#[utoipa::path(post, path = "/tickets", tag = "kiosk", security(("token" = [])), request_body = proto::IssueTicket,
    responses((status = 201, description = "Issued", body = proto::TicketView), (status = 200, description = "Issued earlier to the same request_id", body = proto::TicketView),
        (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 409, description = "Refused by the hall's rules", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody),
        (status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 404, description = "No such item", body = proto::ErrorBody),
        (status = 413, description = "Body too large", body = proto::ErrorBody)))]
async fn issue(State(api): State<Api>, caller: Caller, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let b: proto::IssueTicket = parse_body(body, false)?.expect("non-empty");
    let outcome = issue_command(&api, &caller, b).await?;
    ticket_answer(&api, &caller, outcome)
}

/// Takes a number for `caller` as `POST /tickets` does (the service desk too).
async fn issue_command(api: &Api, caller: &Caller, b: proto::IssueTicket) -> ApiResult<Outcome> {
    let request_id = request_id(b.request_id.as_str())?;
    let holder = b.identity.as_ref().map(|i| holder_of(api, i)).transpose()?;
    if b.priority != Priority::Normal && caller.role == Role::Kiosk {
        // A kiosk takes the green channel from the age on the card (the engine's rule) and
        // appointments by check-in; it does not choose a priority.
        return Err(ApiError::new(ErrorCode::ForbiddenPriority, "自助机不能指定优先级：绿色通道由工作人员办理，预约请使用签到。"));
    }
    // A retry of a request already answered is not a new ticket: it is never limited.
    let retry = api.hall.view().state.requests.contains_key(request_id.as_str());
    if !retry && caller.role == Role::Kiosk {
        if let Some(wait) = api.issue_limit.check(&caller.name, api.hall.now(), KIOSK_TICKETS_PER_MINUTE) {
            return Err(ApiError::new(ErrorCode::TooManyTickets, format!("本机取号过于频繁，请 {wait} 秒后再试。"))
                .en(format!("Too many numbers from this kiosk: please try again in {wait} s.")));
        }
    } else if !retry && caller.role == Role::Counter {
        // A counter or desk issues for the visitor in front of it: a loop would drain the
        // queues. (Managers, who may change the whole configuration, are not limited.)
        if let Some(wait) = api.issue_limit.check(&format!("staff:{}", caller.name), api.hall.now(), STAFF_TICKETS_PER_MINUTE) {
            return Err(ApiError::new(ErrorCode::TooManyTickets, format!("出号过于频繁，请 {wait} 秒后再试。")));
        }
    }
    if b.priority == Priority::Appointment && b.appointment_slot.is_none() {
        return Err(ApiError::new(ErrorCode::AppointmentSlotRequired, "预约号需要提供预约时段 appointment_slot。"));
    }
    // A slot the hall's calendar can hold (chrono parses years far past it).
    if b.appointment_slot.is_some_and(|t| (t.with_timezone(&chrono::Utc) - api.hall.now()).num_days().abs() > 366) {
        return Err(ApiError::new(ErrorCode::BadBody, "预约时段应在一年之内。"));
    }
    let channel = match (caller.role, b.priority) {
        (_, Priority::Appointment) => Channel::Appointment,
        (Role::Kiosk, _) => Channel::Kiosk,
        (Role::Counter, _) => Channel::Counter,
        _ => Channel::Api,
    };
    let token: [u8; 16] = rand::random();
    let req = IssueRequest {
        request_id,
        service: b.service.into_inner(),
        priority: b.priority,
        channel,
        kiosk: (caller.role == Role::Kiosk).then(|| caller.name.clone()),
        holder,
        appointment_slot: b.appointment_slot.map(|t| t.with_timezone(&chrono::Utc)),
        token: hex::encode(token),
        actor: caller.actor(),
    };
    Ok(api.hall.submit(Command::Issue(req)).await?.outcome)
}

/// The answer to a command that issues a ticket: 201 with the ticket, or 200 with the one
/// an earlier try of the same request_id got.
fn ticket_answer(api: &Api, caller: &Caller, outcome: Outcome) -> ApiResult<Response> {
    let Outcome::Ticket { id, repeated } = outcome else {
        return Err(ApiError::new(ErrorCode::StoreUnavailable, "未能取得号票，请用同一 request_id 重试。")
            .en("No ticket came back: please try again (with the same request_id)."));
    };
    let ticket = api.hall.ticket(&id)?.ok_or_else(|| {
        ApiError::new(ErrorCode::StoreUnavailable, "号票已保存但暂时无法读取，请用同一 request_id 重试。")
            .en("The ticket is saved but cannot be read just now: please try again (with the same request_id).")
    })?;
    let status = if repeated { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(views::ticket_view(&api.hall, &ticket, &caller.viewer(), TicketAnswer::Issuing))).into_response())
}

/// A request_id as sent: 1 to 128 characters after trimming.
fn request_id(raw: &str) -> ApiResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > MAX_REQUEST_ID {
        return Err(ApiError::new(ErrorCode::BadRequestId, format!("request_id 必须是 1 到 {MAX_REQUEST_ID} 个字符。")));
    }
    Ok(id.to_string())
}

/// The engine's view of a person from the ID number and name a device read: masked and
/// hashed; the clear number goes no further.
fn holder_of(api: &Api, identity: &proto::Identity) -> ApiResult<crate::engine::Holder> {
    crate::identity::holder(&identity.id_number, &identity.name, api.hall.identity_key())
        .map_err(|e| ApiError::new(ErrorCode::InvalidIdentity, e.to_string()))
}

/// A ticket: staff and devices by their role token, the visitor's phone by the ticket's
/// own token (`?token=`).
#[utoipa::path(get, path = "/tickets/{id}", tag = "visitor",
    params(("id" = String, Path, description = "Ticket id, such as 20261127-A001"), ("token" = Option<String>, Query, description = "The ticket's own token (visitor)")),
    responses((status = 200, body = proto::TicketView), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody)))]
async fn get_ticket(
    State(api): State<Api>,
    Path(id): Path<String>,
    MaybeCaller(caller): MaybeCaller,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<proto::TicketView>> {
    let ticket = api.hall.ticket(&id)?;
    // Staff by their role token; a visitor's phone by the ticket's own token.
    let viewer = match (caller, &ticket, q.get("token")) {
        (Some(c), _, _) => c.viewer(),
        (None, Some(t), Some(tok)) if tok == &t.token => Viewer::Visitor,
        _ => return Err(not_the_ticket_token()),
    };
    let ticket = ticket.ok_or_else(|| ApiError::new(ErrorCode::UnknownTicket, format!("没有这张票：{id}。")))?;
    Ok(Json(views::ticket_view(&api.hall, &ticket, &viewer, TicketAnswer::Lookup)))
}

/// The visitor's rating of the service (five levels): on their phone with the ticket's own
/// token in the body, or on the rating tablet of the window that asked (`rating` token) with
/// the one-time nonce of that `rating_requested` event. Counters and managers cannot rate.
#[utoipa::path(post, path = "/tickets/{id}/evaluation", tag = "visitor", request_body = proto::Evaluate,
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::EvaluationAnswer), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody), (status = 409, body = proto::ErrorBody)))]
async fn evaluate(
    State(api): State<Api>,
    Path(id): Path<String>,
    MaybeCaller(caller): MaybeCaller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::EvaluationAnswer>> {
    let b: proto::Evaluate = parse_body(body, false)?.expect("non-empty");
    let ticket = api.hall.ticket(&id)?;
    let (source, device) = match (caller, &ticket) {
        // The access table lets only rating tablets here with a role token.
        (Some(c), _) if c.role != Role::Rating || c.session => {
            return Err(ApiError::new(ErrorCode::ForbiddenRole, "只有访客本人（号票二维码）或窗口评价器可以评价。"));
        }
        (Some(_), None) => return Err(ApiError::new(ErrorCode::UnknownTicket, format!("没有这张票：{id}。"))),
        (Some(c), Some(_)) => {
            // The engine checks the nonce against the window's open request, once.
            let nonce = b
                .nonce
                .filter(|n| !n.is_empty() && n.len() <= 64)
                .ok_or_else(|| ApiError::new(ErrorCode::BadRatingNonce, "评价器需要随评价请求（rating_requested）下发的 nonce。"))?;
            let window = c.windows.first().copied().unwrap_or(0);
            (RatingSource::Device { name: c.name }, Some(DeviceRating { window, nonce }))
        }
        (None, Some(t)) if b.token.as_deref() == Some(t.token.as_str()) => (RatingSource::Visitor, None),
        (None, _) => return Err(not_the_ticket_token()),
    };
    let accepted = api.hall.submit(Command::Rate { ticket: id.clone(), rating: b.rating, source, device }).await?;
    Ok(Json(proto::EvaluationAnswer {
        ticket: proto::TicketId::new(id),
        rating: b.rating,
        label: b.rating.label_zh().into(),
        seq: accepted.records.last().map(|r| r.seq),
    }))
}

/// A counter's action on its window: call-next, recall, call, start, finish, no-show,
/// requeue, transfer, pause, resume, open, close, request-rating.
#[utoipa::path(post, path = "/windows/{window}/{action}", tag = "counter", security(("token" = [])), request_body = proto::WindowCommand,
    params(("window" = u32, Path, description = "Window number"), ("action" = proto::WindowAction, Path, description = "The action")),
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::WindowActionAnswer), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
async fn window_action(
    State(api): State<Api>,
    Path((window, action)): Path<(String, String)>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::WindowActionAnswer>> {
    let window = window_allowed(&api, &caller, &window)?;
    let b: proto::WindowCommand = parse_body(body, true)?.unwrap_or_default();
    let need =
        |v: Option<String>, field: &str| v.ok_or_else(|| ApiError::new(ErrorCode::MissingField, format!("此操作需要字段 {field}。")));
    let ticket = b.ticket.map(proto::TicketId::into_inner);
    // A reason is shown on the window display and kept in the log: a sentence, not a page.
    if b.reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(ApiError::new(ErrorCode::FieldTooLong, format!("原因最多 {MAX_REASON_CHARS} 个字。")));
    }
    let Ok(act) = action.parse::<proto::WindowAction>() else {
        let all: Vec<&str> = proto::WindowAction::ALL.iter().map(|a| a.as_str()).collect();
        return Err(ApiError::new(ErrorCode::UnknownAction, format!("没有窗口操作 \"{action}\"；可用：{}。", all.join(", "))));
    };
    use proto::WindowAction as A;
    let action = match act {
        A::Open => WindowAction::Open,
        A::Close => WindowAction::Close,
        A::CallNext => WindowAction::CallNext,
        A::Recall => WindowAction::Recall,
        A::Call => WindowAction::Call { ticket: need(ticket, "ticket")?, reason: b.reason.unwrap_or_default() },
        A::Start => WindowAction::Start,
        A::Finish => WindowAction::Finish,
        A::NoShow => WindowAction::NoShow,
        A::Requeue => WindowAction::Requeue { ticket: need(ticket, "ticket")? },
        A::Transfer => WindowAction::Transfer { service: need(b.service.map(proto::ServiceId::into_inner), "service")? },
        A::Pause => WindowAction::Pause { reason: b.reason.unwrap_or_default() },
        A::Resume => WindowAction::Resume,
        // The one-time nonce for the window's rating tablet: drawn here, never by the engine.
        A::RequestRating => WindowAction::RequestRating { nonce: hex::encode(rand::random::<[u8; 16]>()) },
    };
    let accepted = api.hall.submit(Command::Window { window, action, actor: caller.actor() }).await?;
    let viewer = caller.viewer();
    let config = api.hall.config();
    let events = accepted.records.iter().filter_map(|r| views::event_view(r, viewer.audience(&config, &r.event))).collect();
    Ok(Json(proto::WindowActionAnswer { window: views::window_view(&api.hall, window, &viewer), events }))
}

/// A one-time ticket for a browser's event stream: `GET /events?ws_ticket=…` within 30 s,
/// so the page's token never appears in a URL.
#[utoipa::path(post, path = "/stream-ticket", tag = "hall", security(("token" = [])),
    responses((status = 200, body = proto::StreamTicket), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 503, description = "Too many tickets outstanding", body = proto::ErrorBody)))]
async fn stream_ticket(State(api): State<Api>, caller: Caller) -> ApiResult<Json<proto::StreamTicket>> {
    let ticket = api.stream_tickets.issue(caller).ok_or_else(|| ApiError::new(ErrorCode::ServiceBusy, "事件流连接过多，请稍后重试。"))?;
    Ok(Json(proto::StreamTicket { ticket, expires_in_secs: STREAM_TICKET_LIFE.as_secs() as u32 }))
}

/// The event stream (WebSocket): a hello, then every event after `since` the caller's role
/// may see, in order, each once; then live ones.
#[utoipa::path(get, path = "/events", tag = "hall", security(("token" = [])),
    params(("since" = Option<u64>, Query, description = "Resume after this sequence number (default: from now)"),
        ("ticket" = Option<String>, Query, description = "With `token`: a visitor following their own ticket"),
        ("token" = Option<String>, Query, description = "With `ticket`: the ticket's own token (a visitor's phone)"),
        ("ws_ticket" = Option<String>, Query, description = "A one-time ticket from POST /stream-ticket (browsers, which cannot set the header)")),
    responses((status = 101, description = "WebSocket of Hello, then StreamEvent messages", body = proto::StreamEvent), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 426, description = "Not a WebSocket request", body = proto::ErrorBody),
        (status = 429, description = "Too many streams open with this token", body = proto::ErrorBody)))]
async fn events(
    State(api): State<Api>,
    MaybeCaller(caller): MaybeCaller,
    Query(q): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    // A visitor's phone follows its own ticket with the ticket's token; it sees what a
    // public display sees, enough to know when to look again.
    // A display token's streams are how managers know its screens are there.
    let mut display = None;
    let (viewer, holder) = match (caller, q.get("ticket"), q.get("token")) {
        (Some(c), _, _) => {
            if c.role == Role::Display && !c.session {
                display = Some(c.name.clone());
            }
            (c.viewer(), format!("{:?}:{}", c.role, c.name))
        }
        (None, Some(id), Some(tok)) if api.hall.ticket(id)?.is_some_and(|t| &t.token == tok) => (Viewer::Visitor, format!("ticket:{id}")),
        _ => return Err(not_the_ticket_token()),
    };
    // Streams per token: a leaked or hostile token cannot open thousands.
    let cap = match viewer {
        Viewer::Display => STREAMS_PER_DISPLAY_TOKEN,
        Viewer::Visitor => STREAMS_PER_TICKET,
        _ => STREAMS_PER_DEVICE_TOKEN,
    };
    let slot = api.streams.take(&holder, cap).ok_or_else(|| {
        ApiError::new(ErrorCode::TooManyStreams, format!("此令牌的事件流连接已达上限（{cap} 个），请关闭不用的页面或显示屏后重试。"))
    })?;
    let since = match q.get("since") {
        Some(s) => Some(s.parse::<u64>().map_err(|_| ApiError::new(ErrorCode::BadSince, "since 应为事件序号（非负整数）。"))?),
        None => None,
    };
    let upgrade =
        upgrade.map_err(|_| ApiError::new(ErrorCode::WebsocketRequired, "事件流需要 WebSocket 连接（GET /api/v1/events?since=SEQ）。"))?;
    // Only managers replay earlier days; everyone else starts no earlier than today.
    let since = match (since, &viewer) {
        (Some(s), v) if *v != Viewer::Manager => {
            let path = api.hall.db_path().to_path_buf();
            let today = tokio::task::spawn_blocking(move || store::open_reader(&path).and_then(|c| store::day_start(&c)))
                .await
                .map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "服务暂时无法读取数据，请稍后重试。"))??;
            Some(s.max(today))
        }
        (s, _) => s,
    };
    let upgrade = upgrade.max_message_size(STREAM_MESSAGE_LIMIT).max_frame_size(STREAM_MESSAGE_LIMIT);
    let hall = api.hall.clone();
    Ok(upgrade.on_upgrade(move |socket| async move {
        let display = display.map(|name| hall.alerts().presence.display_connected(&name, hall.clock()));
        stream_events(hall, socket, since, viewer, display.as_ref()).await;
        drop(display);
        drop(slot);
    }))
}

/// Sends every event after `since` from the log, then live ones, each exactly once and in
/// order, as the viewer may see them. A client that falls behind the live channel is
/// caught up from the log again. Live events go out as bytes built once per audience.
async fn stream_events(
    hall: Hall,
    mut socket: WebSocket,
    since: Option<u64>,
    viewer: Viewer,
    display: Option<&crate::alerts::DisplayStream>,
) {
    // Subscribe before reading the log so nothing falls between the two.
    let mut live = hall.subscribe();
    let mut sent = since.unwrap_or_else(|| hall.last_seq());
    let hello = proto::Hello { kind: proto::HelloKind::Hello, last_seq: hall.last_seq(), since: sent };
    let hello = serde_json::to_string(&hello).expect("hello serializes");
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(STREAM_PING_EVERY);
    let mut heard = tokio::time::Instant::now();
    loop {
        // Catch up from the log in pages.
        loop {
            let path = hall.db_path().to_path_buf();
            let from = sent;
            let page = tokio::task::spawn_blocking(move || {
                let conn = store::open_reader(&path)?;
                store::events_since(&conn, from, 1000)
            })
            .await;
            let page = match page {
                Ok(Ok(p)) => p,
                _ => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            };
            if page.is_empty() {
                break;
            }
            let config = hall.config();
            for r in page {
                if let Some(text) = views::event_text(&r, viewer.audience(&config, &r.event)) {
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                sent = r.seq;
            }
        }
        // Then live.
        loop {
            tokio::select! {
                msg = live.recv() => match msg {
                    Ok(p) => {
                        let seq = p.record.seq;
                        if seq <= sent {
                            continue;
                        }
                        if seq > sent + 1 {
                            break; // a gap: read it from the log
                        }
                        let audience = viewer.audience_with(|| hall.config(), &p.record.event);
                        if let Some(text) = p.text(audience) {
                            if socket.send(Message::Text(text)).await.is_err() {
                                return;
                            }
                        }
                        sent = seq;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    // A pong, or anything: the client is there. It has nothing else to say.
                    Some(Ok(_)) => {
                        heard = tokio::time::Instant::now();
                        if let Some(d) = display {
                            d.heard();
                        }
                    }
                },
                _ = ping.tick() => {
                    if heard.elapsed() > STREAM_SILENCE_LIMIT {
                        tracing::info!("closing a silent event stream");
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
