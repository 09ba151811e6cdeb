//! Result documents and scanned materials over the API: the approval system delivers a
//! person's result PDF; a kiosk finds the results for the card it read, fetches one to
//! print and marks it collected once printed; a kiosk attaches scanned materials to a
//! ticket for pre-review, and the counter reads them.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use hallq_proto::{self as proto, ErrorCode};

use super::{holder_of, parse_body, Api, ApiError, ApiResult, Caller};
use crate::config::Role;
use crate::documents::DocError;

/// Largest body of a result delivery: a 20 MB PDF in base64 plus its fields.
pub const RESULT_BODY_LIMIT: usize = 28 * 1024 * 1024;

impl From<DocError> for ApiError {
    fn from(e: DocError) -> ApiError {
        let code = match &e {
            DocError::NotPdf => ErrorCode::NotPdf,
            DocError::TooLarge(_) => ErrorCode::BodyTooLarge,
            DocError::NotFound => ErrorCode::UnknownDocument,
            DocError::AlreadyCollected(_) => ErrorCode::AlreadyCollected,
            DocError::Expired(_) => ErrorCode::ResultExpired,
            DocError::Db(err) => {
                tracing::error!("documents: {err}");
                return ApiError::new(ErrorCode::StoreUnavailable, "文件库暂时不可用，请稍后重试。")
                    .en("The results store cannot be reached just now. Please try again shortly.");
            }
        };
        ApiError::new(code, e.to_string())
    }
}

fn pdf_response(pdf: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/pdf"), (header::CACHE_CONTROL, "no-store")], pdf).into_response()
}

/// Runs a documents call off the async workers (SQLite blocks).
async fn blocking<T: Send + 'static>(
    api: &Api,
    f: impl FnOnce(&crate::documents::Documents) -> Result<T, DocError> + Send + 'static,
) -> ApiResult<T> {
    let docs = api.documents.clone();
    tokio::task::spawn_blocking(move || f(&docs))
        .await
        .map_err(|_| {
            ApiError::new(ErrorCode::StoreUnavailable, "文件库暂时不可用，请稍后重试。")
                .en("The results store cannot be reached just now. Please try again shortly.")
        })?
        .map_err(ApiError::from)
}

/// `POST /results`.
#[utoipa::path(post, path = "/results", tag = "documents", security(("token" = [])), request_body = proto::DeliverResult,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 201, body = proto::Delivered), (status = 200, description = "Delivered before", body = proto::Delivered), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody),
        (status = 413, body = proto::ErrorBody), (status = 415, body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn deliver(State(api): State<Api>, body: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let b: proto::DeliverResult = parse_body(body, false)?.expect("non-empty");
    if b.external_id.trim().is_empty() || b.external_id.len() > 128 || b.title.trim().is_empty() || b.title.chars().count() > 100 {
        return Err(ApiError::new(ErrorCode::MissingField, "需要 external_id（1–128 字符）和 title（1–100 字）。"));
    }
    let holder = holder_of(&api, &b.identity)?;
    let person = person_of(&api, &b.identity)?;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b.pdf_base64.as_bytes())
        .map_err(|_| ApiError::new(ErrorCode::BadBase64, "pdf_base64 不是有效的 Base64。"))?;
    let keep = b.keep_days.unwrap_or(api.hall.config().documents.result_keep_days).clamp(1, 365);
    let now = api.hall.now();
    let (ext, title, dept) = (b.external_id.trim().to_string(), b.title.trim().to_string(), b.department.trim().to_string());
    let (id, expires, new) = blocking(&api, move |d| d.add_result(&ext, &holder, &person, &title, &dept, &pdf, now, keep)).await?;
    if new {
        tracing::info!("result {id} delivered ({})", b.title.trim());
    }
    let body = proto::Delivered {
        id,
        expires_at: expires.with_timezone(&api.hall.config().offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    };
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(body)).into_response())
}

/// The keyed hash of the ID number and the name: whom a result belongs to.
fn person_of(api: &Api, identity: &proto::Identity) -> ApiResult<String> {
    crate::identity::person_hash(&identity.id_number, &identity.name, api.hall.identity_key())
        .map_err(|e| ApiError::new(ErrorCode::InvalidIdentity, e.to_string()))
}

/// A kiosk fetches and collects a result only with the nonce its own `find` answered
/// with, for that result, within its 10 minutes. Managers answer for the hall and need none.
fn check_nonce(api: &Api, caller: &Caller, result: &str, q: &HashMap<String, String>) -> ApiResult<()> {
    if caller.role == Role::Manager {
        return Ok(());
    }
    match q.get("nonce") {
        None => Err(ApiError::new(ErrorCode::ResultNonceRequired, "请先在本机刷身份证查询结果，再打印。")
            .en("Please swipe your ID card on this kiosk to look up your results first, then print.")),
        Some(n) if api.documents.nonce_ok(n, result, &caller.name, api.hall.now()) => Ok(()),
        Some(_) => Err(ApiError::new(ErrorCode::BadResultNonce, "查询已失效，请重新刷身份证查询后再打印。")
            .en("That look-up has expired. Please swipe your ID card again to look up your results, then print.")),
    }
}

/// `POST /results/find`: the results waiting for the person whose card the kiosk read,
/// matched by the ID number and the name together.
#[utoipa::path(post, path = "/results/find", tag = "documents", security(("token" = [])), request_body = proto::FindFor,
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, description = "The results for this ID number and name. For a kiosk each has a nonce, good for 10 minutes and for this kiosk only, that fetching and collecting it need. Results delivered before names were kept are listed to managers only", body = proto::ResultList), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 422, body = proto::ErrorBody)))]
pub(super) async fn find(
    State(api): State<Api>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<proto::ResultList>> {
    let b: proto::FindFor = parse_body(body, false)?.expect("non-empty");
    let holder = holder_of(&api, &b.identity)?;
    let person = person_of(&api, &b.identity)?;
    let now = api.hall.now();
    let keep = api.hall.config().documents.attachment_keep_days;
    let manager = caller.role == Role::Manager;
    let mut results = blocking(&api, move |d| {
        d.purge(now, keep)?;
        d.results_for(&holder.id_hash, &person, manager, now)
    })
    .await?;
    if !manager {
        for r in &mut results {
            r.nonce = Some(api.documents.issue_nonce(&r.id, &caller.name, now));
        }
    }
    Ok(Json(proto::ResultList { results }))
}

/// `GET /results/{id}/pdf?nonce=…`: a kiosk fetches a result to print.
#[utoipa::path(get, path = "/results/{id}/pdf", tag = "documents", security(("token" = [])),
    params(("id" = String, Path, description = "Result id"), ("nonce" = Option<String>, Query, description = "The nonce `POST /results/find` gave this kiosk for this result (required for kiosks, not for managers)")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role may not do this, or a kiosk without the nonce (result_nonce_required) or with an unknown, expired or another kiosk's (bad_result_nonce)", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 410, body = proto::ErrorBody)))]
pub(super) async fn result_pdf(
    State(api): State<Api>,
    Path(id): Path<String>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    check_nonce(&api, &caller, &id, &q)?;
    let now = api.hall.now();
    let (pdf, _) = blocking(&api, move |d| d.result_pdf(&id, now)).await?;
    Ok(pdf_response(pdf))
}

/// `POST /results/{id}/collected?nonce=…`: the kiosk printed it; the print is logged in
/// the event chain (`result_collected`), then the PDF is deleted.
#[utoipa::path(post, path = "/results/{id}/collected", tag = "documents", security(("token" = [])),
    params(("id" = String, Path, description = "Result id"), ("nonce" = Option<String>, Query, description = "The nonce `POST /results/find` gave this kiosk for this result (required for kiosks, not for managers)")),
    responses((status = 400, description = "Not JSON, or not this shape", body = proto::ErrorBody), (status = 200, body = proto::Collected), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role may not do this, or a kiosk without the nonce (result_nonce_required) or with an unknown, expired or another kiosk's (bad_result_nonce)", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody), (status = 409, body = proto::ErrorBody), (status = 410, body = proto::ErrorBody)))]
pub(super) async fn collected(
    State(api): State<Api>,
    Path(id): Path<String>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<proto::Collected>> {
    check_nonce(&api, &caller, &id, &q)?;
    let now = api.hall.now();
    let rid = id.clone();
    // Still there to collect (else 404/409/410 and nothing logged)…
    blocking(&api, move |d| d.result_pdf(&rid, now).map(|_| ())).await?;
    // …then the print goes into the chain before the PDF is deleted: no result leaves
    // the hall without its record.
    api.hall
        .submit(crate::engine::Command::ResultCollected { result: id.clone(), kiosk: caller.name.clone(), actor: caller.actor() })
        .await?;
    let (rid, by) = (id.clone(), caller.name.clone());
    let at = blocking(&api, move |d| d.collect(&rid, &by, now)).await?;
    api.documents.forget_nonces(&id);
    tracing::info!("result {id} collected at {}", caller.name);
    Ok(Json(proto::Collected { id, collected_at: at, collected_by: caller.name }))
}

/// `POST /tickets/{id}/attachments?title=…&pages=N` with the PDF as the body.
#[utoipa::path(post, path = "/tickets/{id}/attachments", tag = "documents", security(("token" = [])),
    params(("id" = String, Path, description = "Ticket id"), ("title" = Option<String>, Query, description = "Title"), ("pages" = Option<u32>, Query, description = "Pages")),
    request_body(content = String, content_type = "application/pdf", description = "The scanned pages as one PDF (binary)"),
    responses((status = 201, body = proto::AttachmentMeta), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody), (status = 413, body = proto::ErrorBody), (status = 415, body = proto::ErrorBody)))]
pub(super) async fn attach(
    State(api): State<Api>,
    Path(ticket): Path<String>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let pdf = body.map_err(|_| ApiError::new(ErrorCode::BodyTooLarge, "文件太大，上限 20 MB。"))?;
    if api.hall.ticket(&ticket)?.is_none() {
        return Err(ApiError::new(ErrorCode::UnknownTicket, format!("没有这张票：{ticket}。")));
    }
    let title = q
        .get("title")
        .map(|t| t.trim().chars().take(100).collect::<String>())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "预审材料".into());
    let pages = q.get("pages").and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    let now = api.hall.now();
    let by = caller.name.clone();
    let meta = blocking(&api, move |d| d.add_attachment(&ticket, &title, pages, &pdf, &by, now)).await?;
    Ok((StatusCode::CREATED, Json(meta)).into_response())
}

/// `GET /tickets/{id}/attachments`: what was scanned for this ticket.
#[utoipa::path(get, path = "/tickets/{id}/attachments", tag = "documents", security(("token" = [])), params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = proto::AttachmentList), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn attachments(
    State(api): State<Api>,
    caller: Caller,
    Path(ticket): Path<String>,
) -> ApiResult<Json<proto::AttachmentList>> {
    worked_here(&api, &caller, &ticket)?;
    let list = blocking(&api, move |d| d.attachments_for(&ticket)).await?;
    Ok(Json(proto::AttachmentList { attachments: list }))
}

/// `GET /attachments/{id}/pdf`.
#[utoipa::path(get, path = "/attachments/{id}/pdf", tag = "documents", security(("token" = [])), params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody), (status = 404, body = proto::ErrorBody)))]
pub(super) async fn attachment_pdf(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let aid = id.clone();
    let (pdf, ticket) = blocking(&api, move |d| d.attachment_pdf(&aid)).await?;
    worked_here(&api, &caller, &ticket)?;
    // Every read of a visitor's materials is in the chain, with who read it, before the PDF goes out.
    api.hall.submit(crate::engine::Command::AttachmentRead { attachment: id, ticket, actor: caller.actor() }).await?;
    Ok(pdf_response(pdf))
}

/// A counter reads the scanned materials of the tickets its windows called, no others.
fn worked_here(api: &Api, caller: &Caller, ticket: &str) -> ApiResult<()> {
    if caller.role != crate::config::Role::Counter {
        return Ok(());
    }
    let t = api.hall.ticket(ticket)?;
    let here = t.is_some_and(|t| {
        t.window.is_some_and(|w| caller.windows.contains(&w))
            || t.history.iter().any(|h| h.window.is_some_and(|w| caller.windows.contains(&w)))
    });
    if here {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ForbiddenWindow, "只能查看本窗口呼叫过的号票的预审材料。"))
    }
}
