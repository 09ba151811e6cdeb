//! Appointments: the booking system books them; a kiosk finds a visitor's by ID card and
//! checks them in by code (typed, or read from the booking's QR), which issues the ticket.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hallq_proto as proto;

use super::{holder_of, parse_body, request_id, ticket_answer, views, Api, ApiResult, Caller};
use crate::config::Role;
use crate::engine::{Appointment, Channel, Command, IssueRequest, Priority};

/// `POST /appointments`: the booking system books one (repeating a booking is harmless).
#[utoipa::path(post, path = "/appointments", tag = "appointments", security(("token" = [])), request_body = proto::BookAppointment,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 201, body = proto::AppointmentView), (status = 200, description = "Booked before", body = proto::AppointmentView),
        (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn book(State(api): State<Api>, caller: Caller, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let b: proto::BookAppointment = parse_body(body, false)?.expect("non-empty");
    // A slot the hall's calendar can hold (chrono parses years far past it).
    if (b.slot.with_timezone(&chrono::Utc) - api.hall.now()).num_days().abs() > 366 {
        return Err(super::ApiError::new(proto::ErrorCode::BadBody, "预约时段应在一年之内。"));
    }
    let a = Appointment {
        code: b.code.trim().to_ascii_uppercase(),
        service: b.service.into_inner(),
        slot: b.slot.with_timezone(&chrono::Utc),
        holder: b.identity.as_ref().map(|i| holder_of(&api, i)).transpose()?,
        ticket: None,
    };
    let accepted = api.hall.submit(Command::BookAppointment(a.clone())).await?;
    let status = if accepted.records.is_empty() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(views::appointment_view(&api.hall.config(), &a, &caller.viewer()))).into_response())
}

/// `POST /appointments/find`: a kiosk asks for the appointments of the person whose card
/// was read (today's first, then later ones), without showing anyone else's.
#[utoipa::path(post, path = "/appointments/find", tag = "appointments", security(("token" = [])), request_body = proto::FindFor,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::AppointmentList), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn find(
    State(api): State<Api>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::AppointmentList>> {
    let viewer = caller.viewer();
    let b: proto::FindFor = parse_body(body, false)?.expect("non-empty");
    let h = holder_of(&api, &b.identity)?;
    let config = api.hall.config();
    let view = api.hall.view();
    let mut found: Vec<&Appointment> =
        view.state.appointments.values().filter(|a| a.holder.as_ref().is_some_and(|x| x.id_hash == h.id_hash)).collect();
    found.sort_by_key(|a| a.slot);
    Ok(Json(proto::AppointmentList { appointments: found.iter().map(|a| views::appointment_view(&config, a, &viewer)).collect() }))
}

/// `POST /appointments/{code}/check-in`: issues the appointment's ticket (or gives the same
/// one again to a visitor who checked in already).
#[utoipa::path(post, path = "/appointments/{code}/check-in", tag = "appointments", security(("token" = [])), request_body = proto::CheckIn,
    params(("code" = String, Path, description = "The appointment's code")),
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 201, body = proto::TicketView), (status = 200, description = "Checked in before", body = proto::TicketView),
        (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn check_in(
    State(api): State<Api>,
    Path(code): Path<String>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let b: proto::CheckIn = parse_body(body, false)?.expect("non-empty");
    let token: [u8; 16] = rand::random();
    let issue = IssueRequest {
        request_id: request_id(b.request_id.as_str())?,
        service: String::new(),
        priority: Priority::Appointment,
        channel: Channel::Appointment,
        kiosk: (caller.role == Role::Kiosk).then(|| caller.name.clone()),
        holder: b.identity.as_ref().map(|i| holder_of(&api, i)).transpose()?,
        appointment_slot: None,
        token: hex::encode(token),
        actor: caller.actor(),
    };
    let accepted = api.hall.submit(Command::CheckIn { code, issue }).await?;
    ticket_answer(&api, &caller, accepted.outcome)
}
