//! 帮办: a visitor at a kiosk asks for staff; the service desk and managers see the open
//! calls (and an alert), and the one who goes answers it. Each call and answer is an event in
//! the chain with the kiosk, its place and who answered.

use axum::extract::{Path, State};
use axum::Json;
use hallq_proto as proto;

use super::{Api, ApiError, ApiResult, Caller};
use crate::engine::Command;
use hallq_proto::ErrorCode;

/// The open calls, oldest first.
fn open_calls(api: &Api) -> proto::HelpCalls {
    let config = api.hall.config();
    let now = api.hall.now();
    let view = api.hall.view();
    let mut calls: Vec<proto::HelpCall> = view
        .state
        .help
        .iter()
        .map(|(kiosk, (since, place))| proto::HelpCall {
            kiosk: kiosk.clone(),
            place: place.clone(),
            since: super::views::local_time(&config, *since),
            minutes: (now - *since).num_minutes().max(0) as u32,
        })
        .collect();
    calls.sort_by(|a, b| a.since.cmp(&b.since));
    proto::HelpCalls { calls }
}

/// A visitor at this kiosk asks for staff (帮办). Pressing again while the call is open adds
/// nothing; the answer is this kiosk's open call.
#[utoipa::path(post, path = "/help", tag = "kiosk", security(("token" = [])), responses((status = 200, body = proto::HelpCalls), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn call(State(api): State<Api>, caller: Caller) -> ApiResult<Json<proto::HelpCalls>> {
    let place = api.hall.config().kiosk_place(&caller.name).to_string();
    api.hall.submit(Command::HelpCall { kiosk: caller.name.clone(), place }).await?;
    let mut mine = open_calls(&api);
    // A kiosk learns nothing of the others.
    mine.calls.retain(|c| c.kiosk == caller.name);
    Ok(Json(mine))
}

/// The kiosks whose visitor waits for staff, oldest call first (the service desk, counters
/// and managers).
#[utoipa::path(get, path = "/help", tag = "staff", security(("token" = [])), responses((status = 200, body = proto::HelpCalls), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn list(State(api): State<Api>) -> ApiResult<Json<proto::HelpCalls>> {
    Ok(Json(open_calls(&api)))
}

/// The caller is on the way to the kiosk's visitor: its call is closed, with who answered.
#[utoipa::path(post, path = "/help/{kiosk}/answer", tag = "staff", security(("token" = [])), params(("kiosk" = String, Path, description = "The kiosk's token name")), responses((status = 200, body = proto::HelpCalls), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, description = "No open call at that kiosk", body = proto::ErrorBody)))]
pub(super) async fn answer(State(api): State<Api>, caller: Caller, Path(kiosk): Path<String>) -> ApiResult<Json<proto::HelpCalls>> {
    if !api.hall.view().state.help.contains_key(&kiosk) {
        return Err(ApiError::new(ErrorCode::NoHelpCall, format!("自助机 {kiosk} 没有待处理的帮办请求（可能已有同事前往）。")));
    }
    api.hall.submit(Command::HelpAnswer { kiosk, actor: caller.actor() }).await?;
    Ok(Json(open_calls(&api)))
}
