//! `GET /reports`: reports for managers from the reports read model (`crate::reports`),
//! brought up to the newest event first.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use chrono::NaiveDate;
use hallq_proto::{self as proto, ErrorCode, ReportBy};

use super::{Api, ApiError, ApiResult};
use crate::reports::{self, By};

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 400;

fn by_of(b: ReportBy) -> By {
    match b {
        ReportBy::Item => By::Item,
        ReportBy::Queue => By::Queue,
        ReportBy::Window => By::Window,
        ReportBy::Department => By::Department,
        ReportBy::Staff => By::Staff,
        ReportBy::Day => By::Day,
    }
}

/// A report of the hall days `from..=to` (default: today), by item, queue, window,
/// department, staff member or day: tickets, served, wait and service time (mean, p90),
/// no-shows, transfers, out-of-order calls and ratings by the five levels, with the tickets
/// rated dissatisfied.
#[utoipa::path(get, path = "/reports", tag = "manager", security(("token" = [])),
    params(("from" = Option<String>, Query, description = "First hall day, YYYY-MM-DD (default today)"),
        ("to" = Option<String>, Query, description = "Last hall day, YYYY-MM-DD (default: from)"),
        ("by" = Option<ReportBy>, Query, description = "item (default), queue, window, department, staff or day")),
    responses((status = 200, body = proto::Report), (status = 400, description = "A bad date, period or breakdown", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn report(State(api): State<Api>, Query(q): Query<HashMap<String, String>>) -> ApiResult<Json<proto::Report>> {
    let bad = |m: String| ApiError::new(ErrorCode::BadQuery, m);
    let date = |k: &str| {
        q.get(k).map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad(format!("{k} 应为日期，如 2026-11-27。")))).transpose()
    };
    let today = crate::engine::local(&api.hall.config(), api.hall.now()).date();
    let from = date("from")?.unwrap_or(today);
    let to = date("to")?.unwrap_or(from);
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(bad(format!("报表期间应从 from 到 to（含），不超过 {MAX_DAYS} 天。")));
    }
    let by = match q.get("by") {
        None => ReportBy::Item,
        Some(b) => ReportBy::ALL
            .into_iter()
            .find(|x| x.as_str() == b)
            .ok_or_else(|| bad(format!("by 应为 {} 之一。", ReportBy::ALL.map(|x| x.as_str()).join("、"))))?,
    };
    let log = api.hall.db_path().to_path_buf();
    let config = api.hall.config();
    let answer = tokio::task::spawn_blocking(move || -> Result<_, crate::store::StoreError> {
        let model = reports::shared(&log)?;
        let mut m = model.lock().unwrap_or_else(|p| p.into_inner());
        m.catch_up()?;
        let rows = reports::report(m.conn(), &config, from, to, by_of(by))?;
        let bad = reports::dissatisfied(m.conn(), from, to)?;
        Ok((m.last_seq(), rows, bad))
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "报表暂时无法生成，请重试。"))?;
    let (as_of_seq, rows, dissatisfied) = answer?;
    Ok(Json(proto::Report {
        from,
        to,
        by,
        as_of_seq,
        rows: rows
            .into_iter()
            .map(|r| proto::ReportRow {
                key: r.key,
                tickets: r.tickets,
                served: r.served,
                wait_mean_secs: r.wait_mean_secs,
                wait_p90_secs: r.wait_p90_secs,
                service_mean_secs: r.service_mean_secs,
                service_p90_secs: r.service_p90_secs,
                no_shows: r.no_shows,
                transfers: r.transfers,
                out_of_order: r.out_of_order,
                ratings: r.ratings.to_vec(),
            })
            .collect(),
        dissatisfied: dissatisfied
            .into_iter()
            .filter_map(|d| {
                let rating = serde_json::from_value(serde_json::Value::String(d.rating)).ok()?;
                Some(proto::DissatisfiedTicket {
                    ticket: proto::TicketId::new(d.ticket),
                    number: proto::TicketNumber::new(d.number),
                    date: d.date.parse().ok()?,
                    service: d.service.as_str().into(),
                    window: d.window.map(proto::WindowNo),
                    staff: d.staff,
                    rating,
                })
            })
            .collect(),
    }))
}
