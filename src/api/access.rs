//! Who may call what: one table, route × role, enforced by one layer before any handler
//! runs and before a body is read. Handlers receive the checked [`Caller`]; what a caller
//! then sees of the hall is decided in `views.rs`, and a counter's windows are checked
//! where the window is known.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hallq_proto::ErrorCode;

use super::{Api, ApiError, Caller};
use crate::config::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum May {
    /// No token needed.
    Anyone,
    /// A visitor with their ticket's own token (checked by the handler against the ticket).
    Visitor,
    /// A member of staff signed in with a password (not a counter device's token).
    StaffSession,
    Role(Role),
}

use May::Role as R;

const KIOSK: May = R(Role::Kiosk);
const COUNTER: May = R(Role::Counter);
const DISPLAY: May = R(Role::Display);
const MANAGER: May = R(Role::Manager);
const SYSTEM: May = R(Role::System);
const RATING: May = R(Role::Rating);
const METRICS: May = R(Role::Metrics);

/// One route and who may call it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    /// As in the router and the OpenAPI document, under `/api/v1`.
    pub path: &'static str,
    pub may: &'static [May],
}

const fn rule(method: &'static str, path: &'static str, may: &'static [May]) -> Rule {
    Rule { method, path, may }
}

/// Every route of `/api/v1` and who may call it. The router, the OpenAPI document and this
/// table are checked against each other by `tests/contract.rs`, and every cell of it is
/// tried by `tests/access.rs`.
pub const RULES: &[Rule] = &[
    rule("get", "/health", &[May::Anyone]),
    // Readiness for a load balancer or systemd: yes or no and why, no hall data.
    rule("get", "/ready", &[May::Anyone]),
    // Counts and waits of the whole hall: the monitoring's own narrow token, and managers.
    rule("get", "/metrics", &[METRICS, MANAGER]),
    rule("get", "/openapi.json", &[May::Anyone]),
    rule("post", "/login", &[May::Anyone]),
    rule("post", "/logout", &[May::StaffSession]),
    // Kiosks offer the items; counters transfer to them; the booking system books them.
    rule("get", "/catalog", &[KIOSK, COUNTER, MANAGER, SYSTEM]),
    rule("get", "/catalog/figures", &[KIOSK, COUNTER, MANAGER, SYSTEM]),
    // Displays and counters show the hall; kiosks and the hall's systems have no need.
    rule("get", "/state", &[DISPLAY, COUNTER, MANAGER]),
    rule("get", "/me", &[KIOSK, COUNTER, DISPLAY, MANAGER, SYSTEM, RATING]),
    rule("get", "/events", &[May::Visitor, KIOSK, COUNTER, DISPLAY, MANAGER, SYSTEM, RATING]),
    rule("post", "/stream-ticket", &[KIOSK, COUNTER, DISPLAY, MANAGER, SYSTEM, RATING]),
    rule("post", "/tickets", &[KIOSK, COUNTER, MANAGER]),
    // The service desk: a member of staff signed in with their own account (a person behind
    // every ticket it prints), not a device token.
    rule("post", "/desks/{desk}/tickets", &[May::StaffSession]),
    rule("post", "/desks/{desk}/reprint", &[May::StaffSession]),
    // Offline issuing: only a kiosk leases numbers and uploads what it printed from them.
    rule("post", "/leases", &[KIOSK]),
    rule("post", "/tickets/offline", &[KIOSK]),
    rule("get", "/tickets/{id}", &[May::Visitor, COUNTER, MANAGER]),
    // The visitor on their phone, or the rating tablet of the window that asked (with the
    // request's one-time nonce); never the counter being rated.
    rule("post", "/tickets/{id}/evaluation", &[May::Visitor, RATING]),
    rule("post", "/windows/{window}/{action}", &[COUNTER, MANAGER]),
    rule("get", "/windows/{window}/waiting", &[COUNTER, MANAGER]),
    rule("get", "/announce", &[DISPLAY, MANAGER]),
    rule("post", "/devices/status", &[KIOSK]),
    rule("post", "/help", &[KIOSK]),
    rule("get", "/help", &[COUNTER, MANAGER]),
    rule("post", "/help/{kiosk}/answer", &[COUNTER, MANAGER]),
    rule("post", "/appointments", &[SYSTEM, MANAGER]),
    rule("post", "/appointments/find", &[KIOSK, COUNTER, MANAGER]),
    rule("post", "/appointments/{code}/check-in", &[KIOSK, COUNTER, MANAGER]),
    rule("post", "/results", &[SYSTEM, MANAGER]),
    rule("post", "/results/find", &[KIOSK, MANAGER]),
    rule("get", "/results/{id}/pdf", &[KIOSK, MANAGER]),
    rule("post", "/results/{id}/collected", &[KIOSK, MANAGER]),
    rule("post", "/tickets/{id}/attachments", &[KIOSK, COUNTER, MANAGER]),
    rule("get", "/tickets/{id}/attachments", &[COUNTER, MANAGER]),
    rule("get", "/attachments/{id}/pdf", &[COUNTER, MANAGER]),
    rule("get", "/config", &[MANAGER]),
    rule("put", "/config", &[MANAGER]),
    rule("post", "/config/reload", &[MANAGER]),
    rule("get", "/config/versions", &[MANAGER]),
    rule("get", "/config/versions/{version}", &[MANAGER]),
    rule("get", "/config/diff", &[MANAGER]),
    rule("post", "/config/rollback", &[MANAGER]),
    rule("post", "/config/ticket-preview", &[MANAGER]),
    // Reports name staff numbers and the tickets rated dissatisfied: managers only.
    rule("get", "/reports", &[MANAGER]),
    // Alerts name windows' staff numbers and the hall's devices: managers only.
    rule("get", "/alerts", &[MANAGER]),
    rule("get", "/reports/export", &[MANAGER]),
    rule("get", "/reports/charts", &[MANAGER]),
    // Who called whom out of turn, transferred, requeued or paused, and why: managers only.
    rule("get", "/supervision", &[MANAGER]),
];

/// The rule of a matched route.
pub fn rule_for(method: &str, path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
}

/// The layer: finds the route's rule, identifies the caller, and refuses before the
/// handler (and its body) when the caller may not.
pub async fn guard(State(api): State<Api>, mut req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map(|m| m.as_str().trim_start_matches("/api/v1").to_string());
    let Some(rule) = path.and_then(|p| rule_for(req.method().as_str(), &p)) else {
        // A route missing from the table is refused, never open by mistake.
        tracing::error!("{} {} has no access rule", req.method(), req.uri().path());
        return ApiError::new(ErrorCode::ForbiddenRole, "此接口未配置访问规则。").into_response();
    };
    if rule.may.contains(&May::Anyone) {
        return next.run(req).await;
    }
    // A browser's event stream: the one-time ticket it traded its token for. Only that
    // route reads the query; every other caller is known by its header.
    let ws_ticket = (rule.path == "/events" && !req.headers().contains_key(axum::http::header::AUTHORIZATION))
        .then(|| axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(req.uri()).ok())
        .flatten()
        .and_then(|q| q.0.get("ws_ticket").cloned());
    let presented = match ws_ticket {
        Some(t) => {
            api.stream_tickets.take(&t).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "事件流凭据无效或已过期，请重新连接。"))
        }
        None => api.caller(req.headers()),
    };
    match presented {
        Ok(caller) if rule.may.contains(&R(caller.role)) || (caller.session && rule.may.contains(&May::StaffSession)) => {
            if caller.role == Role::Kiosk {
                api.hall.alerts().presence.kiosk_seen(&caller.name, api.hall.now());
            }
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Ok(caller) => {
            ApiError::new(ErrorCode::ForbiddenRole, format!("此令牌（{:?} {}）无权进行此操作。", caller.role, caller.name)).into_response()
        }
        // Not a role's token: a visitor's ticket token, checked by the handler.
        Err(_) if rule.may.contains(&May::Visitor) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

impl FromRequestParts<Api> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &Api) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "缺少访问令牌：请在 Authorization: Bearer 中提供设备令牌。"))
    }
}

/// The caller of a route a visitor may also call: `None` for a visitor (whose ticket
/// token the handler checks).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<Api> for MaybeCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &Api) -> Result<MaybeCaller, std::convert::Infallible> {
        Ok(MaybeCaller(parts.extensions.get::<Caller>().cloned()))
    }
}
