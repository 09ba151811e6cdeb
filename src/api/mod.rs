//! The hall's LAN API under `/api/v1`: JSON over HTTP, an event stream over WebSocket,
//! roles by bearer token. Every error is `{"error":{"code":…,"message":…}}` with a stable
//! code and a message a person can act on; bad input never gets a 5xx.

mod appointments;
mod config;
mod documents;
mod views;

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
use serde::Deserialize;
use serde_json::json;

use crate::config::Role;
use crate::engine::{Channel, Command, IssueRequest, Outcome, Priority, Rating, Rejection, WindowAction};
use crate::service::{Hall, ServiceError};
use crate::store;

pub use views::{state_view, ticket_view};

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

#[derive(Clone)]
pub struct Api {
    hall: Hall,
    voice: Arc<crate::voice::Voice>,
    sessions: Arc<crate::staff::Sessions>,
    documents: Arc<crate::documents::Documents>,
}

/// Builds the router for `/api/v1`.
pub fn router(hall: Hall) -> Router {
    let data_dir = hall.db_path().parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let voice = Arc::new(crate::voice::Voice::new(hall.config().voice.clone(), &data_dir));
    let sessions = Arc::new(crate::staff::Sessions::new(hall.identity_key()));
    let api = Api { documents: hall.documents(), hall, voice, sessions };
    let v1 = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/catalog", get(catalog))
        .route("/state", get(state))
        .route("/tickets", post(issue))
        .route("/tickets/{id}", get(get_ticket))
        .route("/tickets/{id}/evaluation", post(evaluate))
        .route("/windows/{window}/{action}", post(window_action))
        .route("/events", get(events))
        .route("/me", get(me))
        .route("/login", post(login))
        .route("/appointments", post(appointments::book))
        .route("/appointments/find", post(appointments::find))
        .route("/appointments/{code}/check-in", post(appointments::check_in))
        .route("/results", post(documents::deliver).layer(DefaultBodyLimit::max(documents::RESULT_BODY_LIMIT)))
        .route("/results/find", post(documents::find))
        .route("/config", get(config::get_config).put(config::put_config).layer(DefaultBodyLimit::max(config::CONFIG_BODY_LIMIT)))
        .route("/config/reload", post(config::reload))
        .route("/results/{id}/pdf", get(documents::result_pdf))
        .route("/results/{id}/collected", post(documents::collected))
        .route("/tickets/{id}/attachments", post(documents::attach).get(documents::attachments).layer(DefaultBodyLimit::max(crate::documents::MAX_PDF_BYTES)))
        .route("/attachments/{id}/pdf", get(documents::attachment_pdf))
        .route("/windows/{window}/waiting", get(waiting))
        .route("/announce", get(announce))
        .route("/devices/status", post(device_status))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(api);
    Router::new().nest("/api/v1", v1)
}

/// An API error: HTTP status, stable code, and a message a person can act on.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        use Rejection::*;
        let status = match &r {
            UnknownService(_) | UnknownWindow(_) | UnknownTicket(_) => StatusCode::NOT_FOUND,
            ReasonRequired | BadAppointmentCode => StatusCode::UNPROCESSABLE_ENTITY,
        UnknownAppointment(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::CONFLICT,
        };
        ApiError::new(status, r.code(), r.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Rejected(r) => r.into(),
            ServiceError::Store(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", e.to_string()),
            ServiceError::Stopped => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service_stopping", e.to_string()),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> ApiError {
        tracing::error!("store read failed: {e}");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "服务暂时无法读取数据，请稍后重试。")
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Who is calling, from the bearer token (or `?token=` where a browser cannot set headers).
#[derive(Debug, Clone)]
struct Caller {
    role: Role,
    name: String,
    windows: Vec<u32>,
}

fn presented_token<'a>(headers: &'a HeaderMap, query: &'a HashMap<String, String>) -> Option<&'a str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .or_else(|| query.get("token").map(String::as_str))
}

impl Api {
    fn caller(&self, headers: &HeaderMap, query: &HashMap<String, String>) -> ApiResult<Caller> {
        let token = presented_token(headers, query)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "缺少访问令牌：请在 Authorization: Bearer 中提供设备令牌。"))?;
        if token.starts_with("staff.") {
            // A member of staff signed in at a counter: they work the windows they are given.
            let config = self.hall.config();
            let p = self.sessions.check(&config.staff, token, self.hall.now()).ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "session_expired", "登录已过期或无效，请重新登录。")
            })?;
            return Ok(Caller { role: Role::Counter, name: format!("{}（{}）", p.name, p.id), windows: p.windows.clone() });
        }
        // The tokens of the configuration in force: a manager may change them live.
        let config = self.hall.config();
        let t = config
            .tokens
            .iter()
            .find(|t| t.token == token)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "访问令牌无效：请核对设备配置中的令牌。"))?;
        Ok(Caller { role: t.role, name: t.name.clone(), windows: t.windows.clone() })
    }

    fn require(&self, headers: &HeaderMap, query: &HashMap<String, String>, roles: &[Role]) -> ApiResult<Caller> {
        let c = self.caller(headers, query)?;
        if roles.contains(&c.role) {
            Ok(c)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_role",
                format!("此令牌（{:?} {}）无权进行此操作。", c.role, c.name),
            ))
        }
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>, allow_empty: bool) -> ApiResult<Option<T>> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("请求体过大，最多 {BODY_LIMIT} 字节。"))
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_body", format!("无法读取请求体：{}", r.body_text()))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if allow_empty {
            Ok(None)
        } else {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_json", "请求体为空：需要 JSON 对象。"))
        };
    }
    let bad = |e: serde_json::Error| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("JSON 格式错误：{e}"));
    if allow_empty {
        // `null` counts as no body where none is needed.
        serde_json::from_slice::<Option<T>>(&bytes).map_err(bad)
    } else {
        serde_json::from_slice(&bytes).map(Some).map_err(bad)
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个接口，请查看 /api/v1/openapi.json。")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "此接口不支持该请求方法，请查看 /api/v1/openapi.json。")
}

async fn health(State(api): State<Api>) -> Json<serde_json::Value> {
    let now = api.hall.now();
    let date = api.hall.view().state.date;
    Json(json!({
        "status": "ok",
        "seq": api.hall.last_seq(),
        "date": date,
        "now": now.with_timezone(&api.hall.config().offset()).to_rfc3339(),
    }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn catalog(State(api): State<Api>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<serde_json::Value>> {
    api.caller(&headers, &q)?;
    Ok(Json(views::catalog_view(&api.hall)))
}

async fn state(State(api): State<Api>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<serde_json::Value>> {
    api.caller(&headers, &q)?;
    Ok(Json(state_view(&api.hall)))
}

/// Who the token belongs to: lets a counter page offer the windows it may operate.
async fn me(State(api): State<Api>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<serde_json::Value>> {
    let c = api.caller(&headers, &q)?;
    let windows: Vec<serde_json::Value> = match c.role {
        Role::Counter => c.windows.iter().map(|n| views::window_view(&api.hall, *n)).collect(),
        Role::Manager => api.hall.config().windows.iter().map(|w| views::window_view(&api.hall, w.number)).collect(),
        _ => Vec::new(),
    };
    Ok(Json(json!({"role": c.role, "name": c.name, "windows": windows})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    staff_id: String,
    password: String,
}

/// Staff sign-in: staff number and password for a session token that works like a counter
/// token for the windows the person is given.
async fn login(State(api): State<Api>, body: Result<Bytes, BytesRejection>) -> ApiResult<Json<serde_json::Value>> {
    let b: LoginBody = parse_body(body, false)?.expect("a body is required");
    if b.staff_id.is_empty() || b.password.is_empty() || b.password.len() > 256 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "missing_field", "请输入工号和密码。"));
    }
    let (sessions, hall) = (api.sessions.clone(), api.hall.clone());
    let id = b.staff_id.clone();
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let result = tokio::task::spawn_blocking(move || sessions.sign_in(&hall.config().staff, &id, &b.password, hall.now()))
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service_busy", "登录暂时无法处理，请重试。"))?;
    match result {
        Ok((token, expires, p)) => {
            tracing::info!("staff {} ({}) signed in", p.id, p.name);
            Ok(Json(json!({
                "token": token, "staff_id": p.id, "name": p.name, "windows": p.windows,
                "expires_at": expires.with_timezone(&api.hall.config().offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            })))
        }
        Err(crate::staff::SignInError::Wrong) => {
            tracing::warn!("failed staff sign-in for {}", b.staff_id);
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong_password", "工号或密码不正确。"))
        }
        Err(crate::staff::SignInError::Locked(minutes)) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "signin_locked",
            format!("密码错误次数过多，此工号已锁定，请 {minutes} 分钟后再试或联系大厅管理员。"),
        )),
    }
}

fn window_allowed(api: &Api, caller: &Caller, window: &str) -> ApiResult<u32> {
    let window: u32 = window
        .parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "unknown_window", format!("窗口号应为数字：{window}")))?;
    if api.hall.config().window(window).is_none() {
        return Err(Rejection::UnknownWindow(window).into());
    }
    if caller.role == Role::Counter && !caller.windows.contains(&window) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_window",
            format!("此终端（{}）只能操作窗口 {:?}，不能操作 {window} 号窗口。", caller.name, caller.windows),
        ));
    }
    Ok(window)
}

/// The waiting line of a window's queues, in the order the window would call it.
async fn waiting(
    State(api): State<Api>,
    Path(window): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = api.require(&headers, &q, &[Role::Counter, Role::Manager])?;
    let window = window_allowed(&api, &caller, &window)?;
    Ok(Json(views::waiting_view(&api.hall, window)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceStatusBody {
    device: String,
    fault: Option<String>,
}

/// A kiosk reports a device working or failing; managers see it in /state.
async fn device_status(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = api.require(&headers, &q, &[Role::Kiosk, Role::Manager])?;
    let b: DeviceStatusBody = parse_body(body, false)?.expect("non-empty");
    if b.device.is_empty() || b.device.len() > 64 || b.fault.as_ref().is_some_and(|f| f.len() > 500) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_device_status", "device 应为 1-64 个字符，fault 不超过 500 个字符。"));
    }
    api.hall.submit(Command::DeviceStatus { kiosk: caller.name.clone(), device: b.device.clone(), fault: b.fault.clone() }).await?;
    Ok(Json(json!({"kiosk": caller.name, "device": b.device, "fault": b.fault})))
}

#[derive(Deserialize)]
struct AnnounceQuery {
    number: String,
    window: u32,
}

/// The spoken call "请A001号到5号窗口办理" as WAV, for the hall display.
async fn announce(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    api.caller(&headers, &q)?;
    let a: AnnounceQuery = serde_json::from_value(json!({"number": q.get("number"), "window": q.get("window").and_then(|w| w.parse::<u32>().ok())}))
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", "需要参数 number（如 A001）和 window（窗口号）。"))?;
    if a.number.is_empty() || a.number.len() > 8 || !a.number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_query", "number 应为号码，如 A001。"));
    }
    if !api.hall.config().voice.enabled {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "voice_disabled", "语音叫号已在配置中关闭（voice.enabled）。"));
    }
    let voice = api.voice.clone();
    let wav = tokio::task::spawn_blocking(move || voice.announcement(&a.number, a.window))
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "voice_unavailable", "语音合成中断，请重试。"))?
        .map_err(|e| {
            tracing::error!("voice: {e}");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "voice_unavailable", format!("语音播报暂不可用：{e}"))
        })?;
    Ok(([(header::CONTENT_TYPE, "audio/wav"), (header::CACHE_CONTROL, "max-age=86400")], wav).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    request_id: String,
    service: String,
    identity: Option<IdentityBody>,
    #[serde(default)]
    priority: Priority,
    appointment_slot: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityBody {
    id_number: String,
    name: String,
}

async fn issue(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let caller = api.require(&headers, &q, &[Role::Kiosk, Role::Counter, Role::Manager])?;
    let b: IssueBody = parse_body(body, false)?.expect("non-empty");
    let request_id = request_id(&b.request_id)?;
    let holder = b.identity.as_ref().map(|i| holder_of(&api, i)).transpose()?;
    if b.priority == Priority::Appointment && b.appointment_slot.is_none() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "appointment_slot_required", "预约号需要提供预约时段 appointment_slot。"));
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
        service: b.service,
        priority: b.priority,
        channel,
        kiosk: (caller.role == Role::Kiosk).then(|| caller.name.clone()),
        holder,
        appointment_slot: b.appointment_slot.map(|t| t.with_timezone(&chrono::Utc)),
        token: hex::encode(token),
    };
    let accepted = api.hall.submit(Command::Issue(req)).await?;
    ticket_answer(&api, accepted.outcome)
}

/// The answer to a command that issues a ticket: 201 with the ticket, or 200 with the one
/// an earlier try of the same request_id got.
fn ticket_answer(api: &Api, outcome: Outcome) -> ApiResult<Response> {
    let Outcome::Ticket { id, repeated } = outcome else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "未能取得号票，请用同一 request_id 重试。"));
    };
    let ticket = api.hall.ticket(&id)?.ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "号票已保存但暂时无法读取，请用同一 request_id 重试。")
    })?;
    let status = if repeated { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(ticket_view(&api.hall, &ticket, true))).into_response())
}

/// A request_id as sent: 1 to 128 characters after trimming.
fn request_id(raw: &str) -> ApiResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 128 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_request_id", "request_id 必须是 1 到 128 个字符。"));
    }
    Ok(id.to_string())
}

/// The engine's view of a person from the ID number and name a device read: masked and
/// hashed; the clear number goes no further.
fn holder_of(api: &Api, identity: &IdentityBody) -> ApiResult<crate::engine::Holder> {
    crate::identity::holder(&identity.id_number, &identity.name, api.hall.identity_key())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_identity", e.to_string()))
}

async fn get_ticket(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<serde_json::Value>> {
    let ticket = api.hall.ticket(&id)?;
    // A visitor's phone presents the ticket's own token; staff and devices their role token.
    let visitor = match (&ticket, q.get("token")) {
        (Some(t), Some(tok)) => tok == &t.token,
        _ => false,
    };
    if !visitor {
        api.caller(&headers, &q)?;
    }
    let ticket = ticket.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "unknown_ticket", format!("没有这张票：{id}。")))?;
    Ok(Json(ticket_view(&api.hall, &ticket, visitor)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluationBody {
    rating: Rating,
    /// The ticket's own token, when the visitor rates on their phone or the counter tablet.
    token: Option<String>,
}

async fn evaluate(
    State(api): State<Api>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let b: EvaluationBody = parse_body(body, false)?.expect("non-empty");
    let ticket = api.hall.ticket(&id)?;
    let by_visitor = matches!((&ticket, &b.token), (Some(t), Some(tok)) if *tok == t.token);
    if !by_visitor {
        let caller = api.require(&headers, &q, &[Role::Counter, Role::Manager])?;
        if caller.role == Role::Counter {
            let served_at = ticket.as_ref().and_then(|t| t.window);
            if !served_at.is_some_and(|w| caller.windows.contains(&w)) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden_window", "只能为本窗口办理的号票发起评价。"));
            }
        }
    }
    let accepted = api.hall.submit(Command::Rate { ticket: id.clone(), rating: b.rating }).await?;
    Ok(Json(json!({"ticket": id, "rating": b.rating, "label": b.rating.label_zh(), "seq": accepted.records.last().map(|r| r.seq)})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    ticket: Option<String>,
    reason: Option<String>,
    service: Option<String>,
}

async fn window_action(
    State(api): State<Api>,
    Path((window, action)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = api.require(&headers, &q, &[Role::Counter, Role::Manager])?;
    let window = window_allowed(&api, &caller, &window)?;
    let b: ActionBody = parse_body(body, true)?.unwrap_or_default();
    let need = |v: Option<String>, field: &str| {
        v.ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "missing_field", format!("此操作需要字段 {field}。")))
    };
    let action = match action.as_str() {
        "open" => WindowAction::Open,
        "close" => WindowAction::Close,
        "call-next" => WindowAction::CallNext,
        "recall" => WindowAction::Recall,
        "call" => WindowAction::Call { ticket: need(b.ticket, "ticket")?, reason: b.reason.unwrap_or_default() },
        "start" => WindowAction::Start,
        "finish" => WindowAction::Finish,
        "no-show" => WindowAction::NoShow,
        "requeue" => WindowAction::Requeue { ticket: need(b.ticket, "ticket")? },
        "transfer" => WindowAction::Transfer { service: need(b.service, "service")? },
        "pause" => WindowAction::Pause { reason: b.reason.unwrap_or_default() },
        "resume" => WindowAction::Resume,
        "request-rating" => WindowAction::RequestRating,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_action",
                format!("没有窗口操作 \"{other}\"；可用：open, close, call-next, recall, call, start, finish, no-show, requeue, transfer, pause, resume, request-rating。"),
            ))
        }
    };
    let accepted = api.hall.submit(Command::Window { window, action }).await?;
    let events: Vec<serde_json::Value> = accepted.records.iter().map(|r| serde_json::to_value(r).expect("records serialize")).collect();
    Ok(Json(json!({"window": views::window_view(&api.hall, window), "events": events})))
}

async fn events(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    // A visitor's phone follows its own ticket with the ticket's token; it gets only the
    // sequence and type of each event, enough to know when to look again.
    let visitor = match (q.get("ticket"), q.get("token")) {
        (Some(id), Some(tok)) => api.hall.ticket(id)?.is_some_and(|t| &t.token == tok),
        _ => false,
    };
    if !visitor {
        api.caller(&headers, &q)?;
    }
    let since = match q.get("since") {
        Some(s) => Some(s.parse::<u64>().map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_since", "since 应为事件序号（非负整数）。"))?),
        None => None,
    };
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(StatusCode::UPGRADE_REQUIRED, "websocket_required", "事件流需要 WebSocket 连接（GET /api/v1/events?since=SEQ）。")
    })?;
    let hall = api.hall.clone();
    Ok(upgrade.on_upgrade(move |socket| stream_events(hall, socket, since, visitor)))
}

fn event_text(r: &store::Record, minimal: bool) -> String {
    if minimal {
        json!({"seq": r.seq, "type": r.event.kind()}).to_string()
    } else {
        serde_json::to_string(r).expect("records serialize")
    }
}

/// Sends every event after `since` from the log, then live ones, each exactly once and in
/// order. A client that falls behind the live channel is caught up from the log again.
async fn stream_events(hall: Hall, mut socket: WebSocket, since: Option<u64>, minimal: bool) {
    // Subscribe before reading the log so nothing falls between the two.
    let mut live = hall.subscribe();
    let mut sent = since.unwrap_or_else(|| hall.last_seq());
    let hello = json!({"type": "hello", "last_seq": hall.last_seq(), "since": sent}).to_string();
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
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
            for r in page {
                if socket.send(Message::Text(event_text(&r, minimal).into())).await.is_err() {
                    return;
                }
                sent = r.seq;
            }
        }
        // Then live.
        loop {
            tokio::select! {
                msg = live.recv() => match msg {
                    Ok(r) => {
                        if r.seq <= sent {
                            continue;
                        }
                        if r.seq > sent + 1 {
                            break; // a gap: read it from the log
                        }
                        if socket.send(Message::Text(event_text(&r, minimal).into())).await.is_err() {
                            return;
                        }
                        sent = r.seq;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
}
