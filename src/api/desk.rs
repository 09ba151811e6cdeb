//! The service desk (导引台): staff issue a ticket for any item — also those not offered on
//! the kiosks, and for a visitor without a card (identity typed in, or none where the item
//! allows) — and reprint a lost ticket, each on the desk's own ticket printer. A reprint
//! is an event in the chain with who asked for it and where.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hallq_drivers::printer::ticket::Template;
use hallq_proto::{self as proto, ErrorCode};

use super::views::{self, TicketAnswer};
use super::{parse_body, Api, ApiError, ApiResult, Caller};
use crate::config::Desk;
use crate::engine::{Command, Outcome};

/// Longest a print may take before the desk is told it failed (the transports have their
/// own shorter deadlines; this bounds a printer that keeps answering slowly).
const PRINT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

fn desk_of(api: &Api, id: &str) -> ApiResult<Desk> {
    api.hall
        .config()
        .desks
        .iter()
        .find(|d| d.id == id)
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownDesk, format!("没有导引台 {id}。")))
}

/// The template the kiosks print with. The QR points at the hall's public address; with
/// none configured the ticket has no QR (an address taken from the request could be
/// forged, or be one phones cannot reach).
fn template(api: &Api) -> Template {
    let c = api.hall.config();
    let mut t =
        Template { status_url: format!("{}/t/{{id}}?token={{token}}", c.hall.public_url.trim_end_matches('/')), ..Template::default() };
    crate::tickets::apply_settings(&mut t, &c.ticket.header, &c.ticket.footer, c.ticket.qr && !c.hall.public_url.is_empty());
    t
}

/// Reprints a desk may make a minute (a loop of reprints would only flood the log).
const REPRINTS_PER_MINUTE: u32 = 10;

async fn print(api: &Api, desk: Desk, template: Template, model: hallq_drivers::printer::ticket::TicketModel) -> proto::DeskPrint {
    let name = desk.printer.clone();
    let failed = |m: String| proto::DeskPrint { printed: false, printer: Some(name.clone()), paper_near_end: false, message: Some(m) };
    let turn = api.desks.turn(&desk.id);
    let Ok(held) = tokio::time::timeout(std::time::Duration::from_secs(3), turn.lock_owned()).await else {
        return failed("导引台打印机正忙（上一张还在打印），请稍后补打。".into());
    };
    let printers = api.desks.clone();
    let job = tokio::task::spawn_blocking(move || {
        let _held = held;
        printers.print(&desk, &template, &model)
    });
    match tokio::time::timeout(PRINT_DEADLINE, job).await {
        Ok(Ok(Ok(p))) => proto::DeskPrint {
            printed: true,
            printer: Some(p.printer),
            paper_near_end: p.paper_near_end,
            message: p.paper_near_end.then(|| "打印机纸将用完，请及时换纸。".to_string()),
        },
        Ok(Ok(Err(m))) => {
            tracing::warn!("desk printer {name}: {m}");
            failed(m)
        }
        Ok(Err(_)) => failed("打印中断，请补打。".into()),
        Err(_) => failed(format!("打印机 {} 秒内未完成打印，请检查打印机后补打。", PRINT_DEADLINE.as_secs())),
    }
}

/// `POST /desks/{desk}/tickets`: a ticket issued at the desk and printed there.
#[utoipa::path(post, path = "/desks/{desk}/tickets", tag = "counter", security(("token" = [])), request_body = proto::IssueTicket,
    params(("desk" = String, Path, description = "The desk's id in the configuration")),
    responses((status = 201, description = "Issued (and printed, or why not)", body = proto::DeskTicket), (status = 200, description = "Issued earlier to the same request_id; not printed again", body = proto::DeskTicket),
        (status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 404, description = "No such desk or item", body = proto::ErrorBody), (status = 409, description = "Refused by the hall's rules", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn issue(
    State(api): State<Api>,
    caller: Caller,
    Path(desk): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let desk = desk_of(&api, &desk)?;
    let b: proto::IssueTicket = parse_body(body, false)?.expect("non-empty");
    let Outcome::Ticket { id, repeated } = super::issue_command(&api, &caller, b).await? else {
        return Err(ApiError::new(ErrorCode::StoreUnavailable, "未能取得号票，请用同一 request_id 重试。"));
    };
    let ticket = api.hall.ticket(&id)?.ok_or_else(|| ApiError::new(ErrorCode::StoreUnavailable, "号票已保存但暂时无法读取，请重试。"))?;
    // The paper carries the visitor's status-page token; the desk's answer does not.
    let view = views::ticket_view(&api.hall, &ticket, &caller.viewer(), TicketAnswer::Issuing);
    let answer = views::ticket_view(&api.hall, &ticket, &caller.viewer(), TicketAnswer::Lookup);
    let print = if repeated {
        proto::DeskPrint {
            printed: false,
            printer: None,
            paper_near_end: false,
            message: Some("此次请求已出过号，未重复打印；如需再打请用补打。".into()),
        }
    } else {
        let mut model = crate::tickets::model(&view);
        model.token = ticket.token.clone();
        print(&api, desk, template(&api), model).await
    };
    let status = if repeated { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(proto::DeskTicket { ticket: answer, print })).into_response())
}

/// `POST /desks/{desk}/reprint`: a ticket of today printed again, marked 补打, with the
/// people ahead now; recorded in the chain.
#[utoipa::path(post, path = "/desks/{desk}/reprint", tag = "counter", security(("token" = [])), request_body = proto::DeskReprint,
    params(("desk" = String, Path, description = "The desk's id in the configuration")),
    responses((status = 200, description = "Recorded (and printed, or why not)", body = proto::DeskTicket),
        (status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 404, description = "No such desk or ticket", body = proto::ErrorBody), (status = 409, description = "Finished or expired", body = proto::ErrorBody)))]
pub(super) async fn reprint(
    State(api): State<Api>,
    caller: Caller,
    Path(desk): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let desk = desk_of(&api, &desk)?;
    let b: proto::DeskReprint = parse_body(body, false)?.expect("non-empty");
    let id = b.ticket.to_string();
    if let Some(wait) = api.issue_limit.check(&format!("reprint:{}", desk.id), api.hall.now(), REPRINTS_PER_MINUTE) {
        return Err(ApiError::new(ErrorCode::TooManyTickets, format!("本导引台补打过于频繁，请 {wait} 秒后再试。")));
    }
    // A new status-page token: the lost paper's QR stops working, the new one works.
    let token = hex::encode(rand::random::<[u8; 16]>());
    api.hall.submit(Command::Reprint { ticket: id.clone(), desk: desk.id.clone(), actor: caller.actor(), token }).await?;
    let ticket = api.hall.ticket(&id)?.ok_or_else(|| ApiError::new(ErrorCode::UnknownTicket, format!("今天没有这张票：{id}。")))?;
    let view = views::ticket_view(&api.hall, &ticket, &caller.viewer(), TicketAnswer::Issuing);
    let answer = views::ticket_view(&api.hall, &ticket, &caller.viewer(), TicketAnswer::Lookup);
    let mut model = crate::tickets::model(&view);
    model.token = ticket.token.clone();
    model.priority_label = if model.priority_label.is_empty() { "补打".into() } else { format!("{} · 补打", model.priority_label) };
    model.people_ahead = view.people_ahead.unwrap_or(0);
    model.estimate_minutes = view.estimate_minutes.unwrap_or(0);
    let print = print(&api, desk, template(&api), model).await;
    Ok((StatusCode::OK, Json(proto::DeskTicket { ticket: answer, print })).into_response())
}
