//! Appointments: the booking system books them; a kiosk finds a visitor's by ID card and
//! checks them in by code (typed, or read from the booking's QR), which issues the ticket.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{holder_of, parse_body, request_id, ticket_answer, Api, ApiResult, IdentityBody};
use crate::config::Role;
use crate::engine::{Appointment, Channel, Command, IssueRequest, Priority};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BookBody {
    code: String,
    service: String,
    slot: chrono::DateTime<chrono::FixedOffset>,
    identity: Option<IdentityBody>,
}

fn appointment_view(api: &Api, a: &Appointment) -> serde_json::Value {
    let c = api.hall.config();
    let service = c.service(&a.service);
    json!({
        "code": a.code,
        "service": {"id": a.service, "name": service.map(|s| s.name.as_str()), "name_en": service.map(|s| s.name_en.as_str())},
        "slot": a.slot.with_timezone(&c.offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        "holder": a.holder.as_ref().map(|h| json!({"name": h.masked_name, "id_number": h.masked_id})),
        "ticket": a.ticket,
    })
}

/// `POST /appointments`: the booking system books one (repeating a booking is harmless).
pub(super) async fn book(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    api.require(&headers, &q, &[Role::System, Role::Manager])?;
    let b: BookBody = parse_body(body, false)?.expect("non-empty");
    let a = Appointment {
        code: b.code.trim().to_ascii_uppercase(),
        service: b.service,
        slot: b.slot.with_timezone(&chrono::Utc),
        holder: b.identity.as_ref().map(|i| holder_of(&api, i)).transpose()?,
        ticket: None,
    };
    let accepted = api.hall.submit(Command::BookAppointment(a.clone())).await?;
    let status = if accepted.records.is_empty() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(appointment_view(&api, &a))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FindBody {
    identity: IdentityBody,
}

/// `POST /appointments/find`: a kiosk asks for the appointments of the person whose card
/// was read (today's first, then later ones), without showing anyone else's.
pub(super) async fn find(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    api.require(&headers, &q, &[Role::Kiosk, Role::Counter, Role::Manager])?;
    let b: FindBody = parse_body(body, false)?.expect("non-empty");
    let h = holder_of(&api, &b.identity)?;
    let view = api.hall.view();
    let mut found: Vec<&Appointment> =
        view.state.appointments.values().filter(|a| a.holder.as_ref().is_some_and(|x| x.id_hash == h.id_hash)).collect();
    found.sort_by_key(|a| a.slot);
    Ok(Json(json!({"appointments": found.iter().map(|a| appointment_view(&api, a)).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckInBody {
    request_id: String,
    identity: Option<IdentityBody>,
}

/// `POST /appointments/{code}/check-in`: issues the appointment's ticket (or gives the same
/// one again to a visitor who checked in already).
pub(super) async fn check_in(
    State(api): State<Api>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let caller = api.require(&headers, &q, &[Role::Kiosk, Role::Counter, Role::Manager])?;
    let b: CheckInBody = parse_body(body, false)?.expect("non-empty");
    let token: [u8; 16] = rand::random();
    let issue = IssueRequest {
        request_id: request_id(&b.request_id)?,
        service: String::new(),
        priority: Priority::Appointment,
        channel: Channel::Appointment,
        kiosk: (caller.role == Role::Kiosk).then(|| caller.name.clone()),
        holder: b.identity.as_ref().map(|i| holder_of(&api, i)).transpose()?,
        appointment_slot: None,
        token: hex::encode(token),
    };
    let accepted = api.hall.submit(Command::CheckIn { code, issue }).await?;
    ticket_answer(&api, accepted.outcome)
}
