//! Offline issuing over the API: a kiosk leases number blocks while the hall answers, and
//! uploads the tickets it printed from them while it did not. Managers see each kiosk's
//! link and leases in `/state`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hallq_proto as proto;
use proto::ErrorCode;

use super::{holder_of, parse_body, request_id, ticket_answer, Api, ApiError, ApiResult, Caller};
use crate::config::Role;
use crate::engine::{self, offline, Command, OfflineTicket};

/// A kiosk not heard from for this long is shown offline to managers (kiosks fetch the
/// catalogue every 15 s).
pub const SILENT_SECS: i64 = 45;

/// `POST /leases`: a block of numbers of a queue for this kiosk, today, of the hall's size.
#[utoipa::path(post, path = "/leases", tag = "kiosk", security(("token" = [])), request_body = proto::LeaseNumbers,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 201, body = proto::LeaseView), (status = 200, description = "The kiosk's unused lease again", body = proto::LeaseView),
        (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 404, description = "No such queue", body = proto::ErrorBody), (status = 409, description = "Offline issuing off, leases used up, or the kiosk holds enough", body = proto::ErrorBody)))]
pub(super) async fn lease(State(api): State<Api>, caller: Caller, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let b: proto::LeaseNumbers = parse_body(body, false)?.expect("non-empty");
    let size = api.hall.config().kiosk.offline_block;
    let queue = b.queue.into_inner();
    let accepted = api.hall.submit(Command::Lease { kiosk: caller.name.clone(), queue: queue.clone(), size }).await?;
    let view = api.hall.view();
    let config = api.hall.config();
    let new = accepted.records.iter().find_map(|r| match &r.event {
        engine::Event::NumbersLeased { lease } => Some(lease.clone()),
        _ => None,
    });
    let (status, lease) = match new {
        Some(l) => (StatusCode::CREATED, l),
        // Asked again before using it (the answer was lost): the same lease.
        None => {
            let prefix = config.queue(&queue).map(|q| q.prefix.clone()).unwrap_or_default();
            let l = view
                .state
                .leases
                .iter()
                .find(|l| l.kiosk == caller.name && l.queue == queue && offline::left(&view.state, l, &prefix) == l.size())
                .cloned()
                .ok_or_else(|| ApiError::new(ErrorCode::StoreUnavailable, "号段未能记录，请重试。"))?;
            (StatusCode::OK, l)
        }
    };
    Ok((status, Json(lease_view(&config, &view.state, &lease))).into_response())
}

/// `POST /tickets/offline`: a ticket the kiosk printed from its lease while the hall was
/// unreachable. Placed in line by the time it was printed; repeating it answers the same.
#[utoipa::path(post, path = "/tickets/offline", tag = "kiosk", security(("token" = [])), request_body = proto::UploadOffline,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 201, body = proto::TicketView), (status = 200, description = "Uploaded before", body = proto::TicketView),
        (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 404, description = "No such item", body = proto::ErrorBody), (status = 409, description = "The number is not in this kiosk's lease, or taken", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn upload(State(api): State<Api>, caller: Caller, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let b: proto::UploadOffline = parse_body(body, false)?.expect("non-empty");
    let request_id = request_id(b.request_id.as_str())?;
    if b.token.len() != 32 || !b.token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::new(ErrorCode::BadBody, "token 应为 32 位十六进制数字。"));
    }
    // A print time the hall's calendar can hold: within two days of now (a kiosk offline
    // longer has nothing valid to upload).
    let now = api.hall.now();
    let issued_at = b.issued_at.with_timezone(&chrono::Utc);
    if (issued_at - now).num_hours().abs() > 48 {
        return Err(ApiError::new(ErrorCode::BadBody, "issued_at 与叫号系统时钟相差超过两天，请检查自助机时钟。"));
    }
    let holder = b.identity.as_ref().map(|i| holder_of(&api, i)).transpose()?;
    let up = OfflineTicket {
        request_id,
        kiosk: caller.name.clone(),
        service: b.service.into_inner(),
        number: b.number.to_string(),
        issued_at,
        holder,
        token: b.token.to_ascii_lowercase(),
    };
    let accepted = api.hall.submit(Command::UploadOffline(Box::new(up))).await?;
    ticket_answer(&api, &caller, accepted.outcome)
}

fn lease_view(c: &crate::config::Config, state: &engine::State, l: &engine::Lease) -> proto::LeaseView {
    let prefix = c.queue(&l.queue).map(|q| q.prefix.clone()).unwrap_or_default();
    proto::LeaseView {
        kiosk: l.kiosk.clone(),
        queue: l.queue.as_str().into(),
        left: offline::left(state, l, &prefix),
        prefix,
        date: l.date,
        from: l.from,
        to: l.to,
    }
}

/// Every kiosk of the configuration (and any holding a lease) with its link and leases,
/// for managers.
pub(super) fn kiosk_links(api: &Api) -> Vec<proto::KioskLink> {
    let c = api.hall.config();
    let view = api.hall.view();
    let now = api.hall.now();
    let mut kiosks: BTreeMap<String, Vec<proto::LeaseView>> =
        c.tokens.iter().filter(|t| t.role == Role::Kiosk).map(|t| (t.name.clone(), Vec::new())).collect();
    for l in &view.state.leases {
        kiosks.entry(l.kiosk.clone()).or_default().push(lease_view(&c, &view.state, l));
    }
    kiosks
        .into_iter()
        .map(|(kiosk, leases)| {
            let seen = api.hall.alerts().presence.kiosk_last_seen(&kiosk);
            let uploaded_today =
                view.state.tickets.values().filter(|t| t.offline.is_some() && t.kiosk.as_deref() == Some(kiosk.as_str())).count() as u32;
            proto::KioskLink {
                offline: seen.is_none_or(|s| (now - s).num_seconds() > SILENT_SECS),
                last_seen: seen.map(|s| s.with_timezone(&c.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
                config_version: api.hall.alerts().presence.kiosk_config_version(&kiosk),
                kiosk,
                leases,
                uploaded_today,
            }
        })
        .collect()
}
