//! Reports for managers from the reports read model (`crate::reports`), brought up to the
//! newest event first: `GET /reports` (JSON), `GET /reports/export` (the same report as CSV
//! or XLSX), `GET /reports/charts` (tickets per hour, the wait distribution and ratings) and
//! `GET /supervision` (specific calls, transfers, requeues and pauses with who and why, and
//! the state of the hash chain).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, TimeZone};
use hallq_proto::{self as proto, ErrorCode, Rating, ReportBy};

use super::{Api, ApiError, ApiResult};
use crate::config::Config;
use crate::reports::{self, By, ReadModel};
use crate::store::StoreError;

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 400;
/// The most supervised actions one answer lists (the counts cover them all).
pub const MAX_ACTIONS: usize = 10_000;

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

type Params = HashMap<String, String>;

fn bad(m: String) -> ApiError {
    ApiError::new(ErrorCode::BadQuery, m)
}

/// `from` and `to` of the query (default: today, and `from`), checked.
fn period(api: &Api, q: &Params) -> ApiResult<(NaiveDate, NaiveDate)> {
    let date = |k: &str| {
        q.get(k).map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad(format!("{k} 应为日期，如 2026-11-27。")))).transpose()
    };
    let today = crate::engine::local(&api.hall.config(), api.hall.now()).date();
    let from = date("from")?.unwrap_or(today);
    let to = date("to")?.unwrap_or(from);
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(bad(format!("报表期间应从 from 到 to（含），不超过 {MAX_DAYS} 天。")));
    }
    Ok((from, to))
}

fn breakdown(q: &Params) -> ApiResult<ReportBy> {
    match q.get("by") {
        None => Ok(ReportBy::Item),
        Some(b) => ReportBy::ALL
            .into_iter()
            .find(|x| x.as_str() == b)
            .ok_or_else(|| bad(format!("by 应为 {} 之一。", ReportBy::ALL.map(|x| x.as_str()).join("、")))),
    }
}

/// Runs `f` on the read model brought up to the newest event, off the async threads.
async fn with_model<T: Send + 'static>(
    api: &Api,
    f: impl FnOnce(&ReadModel, &Config) -> Result<T, StoreError> + Send + 'static,
) -> ApiResult<T> {
    let log = api.hall.db_path().to_path_buf();
    let config = api.hall.config();
    let answer = tokio::task::spawn_blocking(move || -> Result<T, StoreError> {
        let model = reports::shared(&log)?;
        let mut m = model.lock().unwrap_or_else(|p| p.into_inner());
        m.catch_up()?;
        f(&m, &config)
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "报表暂时无法生成，请重试。"))?;
    Ok(answer?)
}

/// The report of `from..=to` by `by`, as `GET /reports` answers it.
async fn build_report(api: &Api, from: NaiveDate, to: NaiveDate, by: ReportBy) -> ApiResult<proto::Report> {
    let (as_of_seq, rows, dissatisfied) = with_model(api, move |m, config| {
        let rows = reports::report(m.conn(), config, from, to, by_of(by))?;
        let bad = reports::dissatisfied(m.conn(), from, to)?;
        Ok((m.last_seq(), rows, bad))
    })
    .await?;
    Ok(proto::Report {
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
    })
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
pub(super) async fn report(State(api): State<Api>, Query(q): Query<Params>) -> ApiResult<Json<proto::Report>> {
    let (from, to) = period(&api, &q)?;
    let by = breakdown(&q)?;
    Ok(Json(build_report(&api, from, to, by).await?))
}

/// The language of an export's headers and names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

/// The name beside a report row's key: the item's, queue's, window's, department's or
/// staff member's in the configuration in force ("" when it has none).
fn key_name(config: &Config, by: ReportBy, key: &str, lang: Lang) -> String {
    let pick = |zh: &str, en: &str| if lang == Lang::En && !en.is_empty() { en.to_string() } else { zh.to_string() };
    match by {
        ReportBy::Item => config.services.iter().find(|s| s.id == key).map(|s| pick(&s.name, &s.name_en)),
        ReportBy::Queue => config.queues.iter().find(|q| q.id == key).map(|q| pick(&q.name, &q.name_en)),
        ReportBy::Department => config.departments.iter().find(|d| d.id == key).map(|d| pick(&d.name, &d.name_en)),
        ReportBy::Window => key.parse().ok().and_then(|n| config.window(n)).map(|w| w.name.clone()),
        ReportBy::Staff => config.staff.iter().find(|s| s.id == key).map(|s| s.name.clone()),
        ReportBy::Day => None,
    }
    .unwrap_or_default()
}

/// The columns of an export, Chinese and English.
fn headers(by: ReportBy, lang: Lang) -> Vec<&'static str> {
    let key = match (by, lang) {
        (ReportBy::Item, Lang::Zh) => "事项",
        (ReportBy::Queue, Lang::Zh) => "队列",
        (ReportBy::Window, Lang::Zh) => "窗口",
        (ReportBy::Department, Lang::Zh) => "部门",
        (ReportBy::Staff, Lang::Zh) => "工作人员",
        (ReportBy::Day, Lang::Zh) => "日期",
        (ReportBy::Item, Lang::En) => "Item",
        (ReportBy::Queue, Lang::En) => "Queue",
        (ReportBy::Window, Lang::En) => "Window",
        (ReportBy::Department, Lang::En) => "Department",
        (ReportBy::Staff, Lang::En) => "Staff",
        (ReportBy::Day, Lang::En) => "Day",
    };
    let rest: [&str; 15] = match lang {
        Lang::Zh => [
            "名称",
            "取号数",
            "办结数",
            "平均等候(分钟)",
            "等候P90(分钟)",
            "平均办理(分钟)",
            "办理P90(分钟)",
            "过号",
            "转办",
            "插队叫号",
            "非常满意",
            "满意",
            "基本满意",
            "不满意",
            "非常不满意",
        ],
        Lang::En => [
            "Name",
            "Tickets",
            "Served",
            "Mean wait (min)",
            "Wait p90 (min)",
            "Mean service (min)",
            "Service p90 (min)",
            "No-shows",
            "Transfers",
            "Out-of-order calls",
            "Very satisfied",
            "Satisfied",
            "Neutral",
            "Dissatisfied",
            "Very dissatisfied",
        ],
    };
    std::iter::once(key).chain(rest).collect()
}

/// Seconds as minutes rounded to one decimal.
fn minutes(secs: f64) -> f64 {
    (secs / 6.0).round() / 10.0
}

/// One cell of an export.
enum Cell {
    Text(String),
    Count(u64),
    Minutes(f64),
}

fn cells(config: &Config, by: ReportBy, r: &proto::ReportRow, lang: Lang) -> Vec<Cell> {
    let mut out = vec![
        Cell::Text(r.key.clone()),
        Cell::Text(key_name(config, by, &r.key, lang)),
        Cell::Count(r.tickets),
        Cell::Count(r.served),
        Cell::Minutes(minutes(r.wait_mean_secs)),
        Cell::Minutes(minutes(r.wait_p90_secs as f64)),
        Cell::Minutes(minutes(r.service_mean_secs)),
        Cell::Minutes(minutes(r.service_p90_secs as f64)),
        Cell::Count(r.no_shows),
        Cell::Count(r.transfers),
        Cell::Count(r.out_of_order),
    ];
    out.extend(r.ratings.iter().map(|n| Cell::Count(*n)));
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(s: &str) -> String {
    // A text cell that a spreadsheet would take for a formula (an item named "=HYPERLINK(…)")
    // is kept as text with a leading apostrophe.
    let s = &if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF
/// line ends, a header row, one row per key.
fn csv(config: &Config, report: &proto::Report, lang: Lang) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |fields: Vec<String>| fields.join(",") + "\r\n";
    out.push_str(&line(headers(report.by, lang).into_iter().map(csv_field).collect()));
    for r in &report.rows {
        out.push_str(&line(
            cells(config, report.by, r, lang)
                .into_iter()
                .map(|c| match c {
                    Cell::Text(s) => csv_field(&s),
                    Cell::Count(n) => n.to_string(),
                    Cell::Minutes(m) => format!("{m:.1}"),
                })
                .collect(),
        ));
    }
    out.into_bytes()
}

fn rating_label(r: Rating, lang: Lang) -> &'static str {
    match (lang, r) {
        (Lang::Zh, _) => r.label_zh(),
        (Lang::En, Rating::VerySatisfied) => "Very satisfied",
        (Lang::En, Rating::Satisfied) => "Satisfied",
        (Lang::En, Rating::Neutral) => "Neutral",
        (Lang::En, Rating::Dissatisfied) => "Dissatisfied",
        (Lang::En, Rating::VeryDissatisfied) => "Very dissatisfied",
    }
}

/// The report as an XLSX workbook: the report on the first sheet (typed numbers, minutes
/// with one decimal, a bold shaded header frozen above the rows, set column widths), the
/// tickets rated dissatisfied on the second.
fn xlsx(config: &Config, report: &proto::Report, lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_border_bottom(FormatBorder::Thin);
    let minutes_format = Format::new().set_num_format("0.0");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(if lang == Lang::Zh { "报表" } else { "Report" })?;
    for (c, h) in headers(report.by, lang).into_iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &header)?;
        sheet.set_column_width(c as u16, if c < 2 { 22 } else { 12 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, r) in report.rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, cell) in cells(config, report.by, r, lang).into_iter().enumerate() {
            match cell {
                Cell::Text(s) => sheet.write_string(row, c as u16, s)?,
                Cell::Count(n) => sheet.write_number(row, c as u16, n as f64)?,
                Cell::Minutes(m) => sheet.write_number_with_format(row, c as u16, m, &minutes_format)?,
            };
        }
    }
    let sheet = book.add_worksheet();
    sheet.set_name(if lang == Lang::Zh { "不满意评价" } else { "Dissatisfied" })?;
    let cols: [(&str, &str, f64); 7] = [
        ("日期", "Date", 12.0),
        ("票号", "Number", 10.0),
        ("事项", "Item", 28.0),
        ("窗口", "Window", 8.0),
        ("工作人员", "Staff", 14.0),
        ("评价", "Rating", 12.0),
        ("票据", "Ticket", 18.0),
    ];
    for (c, (zh, en, width)) in cols.into_iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, if lang == Lang::Zh { zh } else { en }, &header)?;
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, d) in report.dissatisfied.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, d.date.to_string())?;
        sheet.write_string(row, 1, d.number.as_str())?;
        sheet.write_string(row, 2, key_name(config, ReportBy::Item, d.service.as_str(), lang))?;
        if let Some(w) = d.window {
            sheet.write_number(row, 3, w.0 as f64)?;
        }
        sheet.write_string(row, 4, d.staff.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 5, rating_label(d.rating, lang))?;
        sheet.write_string(row, 6, d.ticket.as_str())?;
    }
    book.save_to_buffer()
}

/// The report of `GET /reports` as a file to download: `format=csv` (UTF-8 with a BOM) or
/// `format=xlsx` (the report and a sheet of the tickets rated dissatisfied); headers in
/// Chinese, or English with `lang=en`; durations in minutes with one decimal.
#[utoipa::path(get, path = "/reports/export", tag = "manager", security(("token" = [])),
    params(("format" = Option<String>, Query, description = "csv (default) or xlsx"),
        ("from" = Option<String>, Query, description = "First hall day, YYYY-MM-DD (default today)"),
        ("to" = Option<String>, Query, description = "Last hall day, YYYY-MM-DD (default: from)"),
        ("by" = Option<ReportBy>, Query, description = "item (default), queue, window, department, staff or day"),
        ("lang" = Option<String>, Query, description = "zh (default) or en: the headers' and names' language")),
    responses((status = 200, description = "The file, as an attachment named hallq-report-FROM-TO-BY.csv or .xlsx", content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "A bad date, period, breakdown, format or language", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn export(State(api): State<Api>, Query(q): Query<Params>) -> ApiResult<Response> {
    let (from, to) = period(&api, &q)?;
    let by = breakdown(&q)?;
    let xlsx_wanted = match q.get("format").map(String::as_str) {
        None | Some("csv") => false,
        Some("xlsx") => true,
        Some(_) => return Err(bad("format 应为 csv 或 xlsx。".into())),
    };
    let lang = match q.get("lang").map(String::as_str) {
        None | Some("zh") => Lang::Zh,
        Some("en") => Lang::En,
        Some(_) => return Err(bad("lang 应为 zh 或 en。".into())),
    };
    let report = build_report(&api, from, to, by).await?;
    let config = api.hall.config();
    let (body, kind, ext) = if xlsx_wanted {
        let bytes = xlsx(&config, &report, lang)
            .map_err(|e| ApiError::new(ErrorCode::StoreUnavailable, format!("XLSX 文件生成失败，请重试：{e}")))?;
        (bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (csv(&config, &report, lang), "text/csv; charset=utf-8", "csv")
    };
    let name = format!("hallq-report-{from}-{to}-{}.{ext}", by.as_str());
    Ok(([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], body)
        .into_response())
}

fn series(s: &reports::Series) -> proto::ChartSeries {
    proto::ChartSeries { issued_by_hour: s.issued_by_hour.to_vec(), waits: s.waits.to_vec(), ratings: s.ratings.to_vec() }
}

/// Chart figures of the hall days `from..=to` (default: today): tickets issued per hour of
/// the day, the waits of the tickets called in fixed buckets (0–5, 5–10, 10–15, 15–20,
/// 20–30, 30–45, 45–60 and 60+ minutes) and ratings by the five levels, for the hall, per
/// department and per window.
#[utoipa::path(get, path = "/reports/charts", tag = "manager", security(("token" = [])),
    params(("from" = Option<String>, Query, description = "First hall day, YYYY-MM-DD (default today)"),
        ("to" = Option<String>, Query, description = "Last hall day, YYYY-MM-DD (default: from)")),
    responses((status = 200, body = proto::ChartData), (status = 400, description = "A bad date or period", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn charts(State(api): State<Api>, Query(q): Query<Params>) -> ApiResult<Json<proto::ChartData>> {
    let (from, to) = period(&api, &q)?;
    let (as_of_seq, c) = with_model(&api, move |m, config| Ok((m.last_seq(), reports::charts(m.conn(), config, from, to)?))).await?;
    let config = api.hall.config();
    Ok(Json(proto::ChartData {
        from,
        to,
        as_of_seq,
        wait_buckets_min: reports::WAIT_BUCKETS_MIN.to_vec(),
        total: series(&c.total),
        departments: c
            .departments
            .iter()
            .map(|(id, s)| proto::ChartGroup {
                key: id.clone(),
                name: key_name(&config, ReportBy::Department, id, Lang::Zh),
                series: series(s),
            })
            .collect(),
        windows: c
            .windows
            .iter()
            .map(|(n, s)| proto::ChartGroup {
                key: n.to_string(),
                name: config.window(*n).map(|w| w.name.clone()).unwrap_or_default(),
                series: series(s),
            })
            .collect(),
    }))
}

fn digest_view(d: &crate::digest::DayDigest) -> proto::DigestView {
    proto::DigestView {
        date: d.date,
        closed: d.closed,
        first_seq: d.first_seq,
        last_seq: d.last_seq,
        last_hash: d.last_hash.clone(),
        events: d.events,
        tickets_issued: d.tickets_issued,
        calls: d.calls,
        transfers: d.transfers,
        ratings: d.ratings,
    }
}

/// The chain's head, the newest closed day's digest and the newest digest kept in the data
/// directory, checked against the log's stored hashes.
fn chain_state(log: &std::path::Path) -> Result<proto::ChainState, StoreError> {
    use rusqlite::OptionalExtension;
    let conn = crate::store::open_reader(log)?;
    let head: Option<(u64, Vec<u8>)> =
        conn.query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    let (last_seq, head_hash) = head.map(|(s, h)| (s, hex::encode(h))).unwrap_or((0, "0".repeat(64)));
    let days = crate::digest::days(&conn)?;
    let last_day = match days.len() {
        n if n >= 2 => crate::digest::day_digest(&conn, days[n - 2].0)?.map(|d| digest_view(&d)),
        _ => None,
    };
    let data_dir = log.parent().unwrap_or(std::path::Path::new("."));
    let filed = match crate::digest::newest_kept(data_dir) {
        Ok(Some(d)) => Some(proto::FiledDigest { problem: crate::digest::check_filed_day(&conn, &d)?, digest: digest_view(&d) }),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!("{}: {e}", crate::digest::kept_in(data_dir).display());
            None
        }
    };
    Ok(proto::ChainState { last_seq, head_hash, last_day, filed })
}

/// Supervision (电子监察) of the hall days `from..=to` (default: today), optionally of one
/// window or one member of staff: every specific call (with whether it passed over tickets
/// ahead of it in its queue), transfer, requeue and pause, with the hall-local time, the
/// window, who did it as the hash-chained event records, the ticket and the reason given;
/// counts per window and per member of staff; and the chain's head and digests.
#[utoipa::path(get, path = "/supervision", tag = "manager", security(("token" = [])),
    params(("from" = Option<String>, Query, description = "First hall day, YYYY-MM-DD (default today)"),
        ("to" = Option<String>, Query, description = "Last hall day, YYYY-MM-DD (default: from)"),
        ("window" = Option<u32>, Query, description = "Only this window's actions"),
        ("staff" = Option<String>, Query, description = "Only this staff number's actions (a shared token: \"token NAME\")")),
    responses((status = 200, body = proto::Supervision), (status = 400, description = "A bad date, period or window", body = proto::ErrorBody), (status = 401, description = "No token, or an unknown or expired one", body = proto::ErrorBody), (status = 403, description = "The role or window may not do this", body = proto::ErrorBody)))]
pub(super) async fn supervision(State(api): State<Api>, Query(q): Query<Params>) -> ApiResult<Json<proto::Supervision>> {
    let (from, to) = period(&api, &q)?;
    let window = q.get("window").map(|w| w.parse::<u32>().map_err(|_| bad("window 应为窗口号，如 5。".into()))).transpose()?;
    let staff = q.get("staff").filter(|s| !s.is_empty()).cloned();
    let config = api.hall.config();
    let offset = config.offset();
    let start_of = |d: NaiveDate| offset.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).single().map(|t| t.timestamp());
    let (Some(start), Some(end)) = (start_of(from), to.succ_opt().and_then(start_of)) else {
        return Err(bad("报表期间超出日历范围。".into()));
    };
    let filter = reports::SupervisionFilter { start, end, window, who: staff.clone() };
    let log = api.hall.db_path().to_path_buf();
    let (as_of_seq, reports::SupervisionList { actions: list, by_window, by_staff }) =
        with_model(&api, move |m, _| Ok((m.last_seq(), reports::supervision(m.conn(), &filter)?))).await?;
    let chain = tokio::task::spawn_blocking(move || chain_state(&log))
        .await
        .map_err(|_| ApiError::new(ErrorCode::StoreUnavailable, "事件日志暂时无法读取，请重试。"))??;
    let local = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&offset)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    };
    let count = |c: reports::ActionCounts| proto::SupervisionCount {
        key: c.key,
        calls: c.calls,
        out_of_order: c.out_of_order,
        transfers: c.transfers,
        requeues: c.requeues,
        pauses: c.pauses,
        paused_minutes: minutes(c.paused_secs as f64),
    };
    let truncated = list.len() > MAX_ACTIONS;
    Ok(Json(proto::Supervision {
        from,
        to,
        window: window.map(proto::WindowNo),
        staff,
        as_of_seq,
        actions: list
            .into_iter()
            .take(MAX_ACTIONS)
            .map(|a| proto::SupervisedAction {
                seq: a.seq,
                at: local(a.at),
                kind: match a.kind {
                    reports::ActionKind::Call => proto::SupervisedKind::Call,
                    reports::ActionKind::Transfer => proto::SupervisedKind::Transfer,
                    reports::ActionKind::Requeue => proto::SupervisedKind::Requeue,
                    reports::ActionKind::Pause => proto::SupervisedKind::Pause,
                },
                window: proto::WindowNo(a.window),
                out_of_order: a.out_of_order(),
                skipped: a.skipped,
                staff: a.who,
                actor: a.actor,
                ticket: a.ticket.map(proto::TicketId::new),
                number: a.number.map(proto::TicketNumber::new),
                reason: a.reason,
                from_service: a.from_service.as_deref().map(Into::into),
                to_service: a.to_service.as_deref().map(Into::into),
                resumed_at: a.ended_at.map(local),
                paused_minutes: a.ended_at.map(|e| minutes((e - a.at) as f64)),
            })
            .collect(),
        truncated,
        by_window: by_window.into_iter().map(count).collect(),
        by_staff: by_staff.into_iter().map(count).collect(),
        chain,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_text_cell_is_never_a_formula() {
        assert_eq!(super::csv_field("=HYPERLINK(\"http://x\",\"a\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\"");
        assert_eq!(super::csv_field("@cmd"), "'@cmd");
        assert_eq!(super::csv_field("临时居民身份证办理"), "临时居民身份证办理");
    }
}
