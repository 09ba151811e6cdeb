//! JSON views of the hall for clients: what a kiosk, counter, display or phone shows.
//! Times are given in the hall's own offset; personal data only masked.

use serde_json::{json, Value};

use crate::engine::{self, Status, Ticket};
use crate::service::Hall;

fn local_time(hall: &Hall, t: engine::Ts) -> String {
    t.with_timezone(&hall.config().offset()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The windows (with floors) that serve a queue.
fn windows_for(hall: &Hall, queue: &str) -> Vec<Value> {
    let c: &crate::config::Config = &hall.config();
    c.windows
        .iter()
        .filter(|w| c.window_serves(w, queue))
        .map(|w| json!({"number": w.number, "name": w.name, "floor": w.floor}))
        .collect()
}

/// Each queue with its waiting count and estimate, plus the fields `extra` adds.
fn queue_rows(state: &engine::State, c: &crate::config::Config, extra: impl Fn(&crate::config::Queue) -> Value) -> Vec<Value> {
    c.queues
        .iter()
        .zip(engine::queue_summary(state, c))
        .map(|(q, (_, waiting, est))| {
            let mut row = json!({"id": q.id, "name": q.name, "name_en": q.name_en, "prefix": q.prefix, "waiting": waiting, "estimate_minutes": est});
            if let (Some(row), Value::Object(more)) = (row.as_object_mut(), extra(q)) {
                row.extend(more);
            }
            row
        })
        .collect()
}

pub fn catalog_view(hall: &Hall) -> Value {
    let c: &crate::config::Config = &hall.config();
    let view = hall.view();
    let summary = engine::queue_summary(&view.state, c);
    let queues: Vec<Value> = queue_rows(&view.state, c, |q| json!({"windows": windows_for(hall, &q.id)}));
    let services: Vec<Value> = c
        .services
        .iter()
        .map(|s| {
            let dept = c.departments.iter().find(|d| d.id == s.department);
            let (waiting, est) = summary.iter().find(|(q, _, _)| *q == s.queue).map(|(_, w, e)| (*w, *e)).unwrap_or((0, 0));
            json!({
                "id": s.id, "name": s.name, "name_en": s.name_en,
                "department": {"id": s.department, "name": dept.map(|d| d.name.as_str()), "name_en": dept.map(|d| d.name_en.as_str())},
                "queue": s.queue, "mode": s.mode, "mode_label": s.mode.label_zh(), "category": s.category,
                "time_limit_days": s.time_limit_days, "promised_days": s.promised_days,
                "identity": s.identity, "hot": s.hot, "materials": s.materials, "kiosk": s.kiosk,
                "issued_today": view.state.service_issued.get(&s.id).copied().unwrap_or(0), "daily_cap": s.daily_cap,
                "waiting": waiting, "estimate_minutes": est, "windows": windows_for(hall, &s.queue),
            })
        })
        .collect();
    json!({
        "hall": {"name": c.hall.name, "name_en": c.hall.name_en, "utc_offset": c.hall.utc_offset},
        "hours": c.hours,
        "departments": c.departments,
        "queues": queues,
        "services": services,
        "windows": c.windows,
        "kiosk": c.kiosk,
        "ticket": c.ticket,
        "config_version": view.state.config_version,
    })
}

fn service_name(hall: &Hall, id: &str) -> (String, String) {
    hall.config().service(id).map(|s| (s.name.clone(), s.name_en.clone())).unwrap_or_else(|| (id.to_string(), id.to_string()))
}

/// A ticket as the API returns it. `with_token` adds the status-page token (for the kiosk
/// that issued it and for the visitor's own page).
pub fn ticket_view(hall: &Hall, t: &Ticket, with_token: bool) -> Value {
    let c: &crate::config::Config = &hall.config();
    let (ahead, est) = if t.status == Status::Waiting {
        let view = hall.view();
        let a = engine::people_ahead(&view.state, c, t, hall.now());
        (Some(a), Some(engine::estimate_minutes(&view.state, c, &t.queue, a)))
    } else {
        (None, None)
    };
    let (name, name_en) = service_name(hall, &t.service);
    let queue = c.queue(&t.queue);
    let window = t.window.and_then(|n| c.window(n));
    let history: Vec<Value> = t
        .history
        .iter()
        .map(|h| json!({"at": local_time(hall, h.at), "what": h.what, "window": h.window, "note": h.note}))
        .collect();
    let mut v = json!({
        "hall": c.hall.name,
        "id": t.id, "number": t.number, "date": t.date,
        "service": {"id": t.service, "name": name, "name_en": name_en},
        "queue": {"id": t.queue, "name": queue.map(|q| q.name.as_str()), "name_en": queue.map(|q| q.name_en.as_str())},
        "status": t.status, "priority": t.priority, "channel": t.channel, "kiosk": t.kiosk,
        "issued_at": local_time(hall, t.issued_at),
        "holder": t.holder.as_ref().map(|h| json!({"name": h.masked_name, "id_number": h.masked_id})),
        "appointment_slot": t.appointment_slot.map(|s| local_time(hall, s)),
        "window": window.map(|w| json!({"number": w.number, "name": w.name, "floor": w.floor})),
        "windows": windows_for(hall, &t.queue),
        "people_ahead": ahead, "estimate_minutes": est,
        "people_ahead_at_issue": t.people_ahead_at_issue, "estimate_minutes_at_issue": t.estimate_minutes_at_issue,
        "recalls": t.recalls, "rating": t.rating, "history": history,
    });
    if with_token {
        v["token"] = json!(t.token);
    }
    v
}

pub fn window_view(hall: &Hall, number: u32) -> Value {
    let c: &crate::config::Config = &hall.config();
    let view = hall.view();
    let w = view.state.windows.get(&number).cloned().unwrap_or(engine::WindowState { number, ..Default::default() });
    let conf = c.window(number);
    let current = w.current.as_ref().and_then(|id| view.state.tickets.get(id)).map(|t| {
        let (name, name_en) = service_name(hall, &t.service);
        json!({"id": t.id, "number": t.number, "status": t.status, "service": name, "service_en": name_en,
               "holder": t.holder.as_ref().map(|h| h.masked_name.clone()), "recalls": t.recalls})
    });
    json!({
        "number": number, "name": conf.map(|w| w.name.as_str()), "floor": conf.map(|w| w.floor),
        "kind": conf.map(|w| w.kind), "queues": conf.map(|w| w.queues.clone()),
        "open": w.open, "paused": w.paused.is_some(), "pause_reason": w.paused,
        "current": current, "served_today": w.served_today,
    })
}

pub fn state_view(hall: &Hall) -> Value {
    let c: &crate::config::Config = &hall.config();
    let windows: Vec<Value> = c.windows.iter().map(|w| window_view(hall, w.number)).collect();
    let view = hall.view();
    let queues: Vec<Value> = queue_rows(&view.state, c, |q| {
        json!({"issued_today": view.state.queues.get(&q.id).map(|s| s.issued_today).unwrap_or(0)})
    });
    let calls: Vec<Value> = view
        .recent_calls
        .iter()
        .rev()
        .filter_map(|r| match &r.event {
            engine::Event::TicketCalled { ticket, number, window, .. } => Some((r, ticket, number, window, false)),
            engine::Event::TicketRecalled { ticket, number, window, .. } => Some((r, ticket, number, window, true)),
            _ => None,
        })
        .map(|(r, ticket, number, window, recall)| {
            json!({"seq": r.seq, "at": local_time(hall, r.at), "ticket": ticket, "number": number, "window": window, "recall": recall})
        })
        .collect();
    let devices: Vec<Value> = view
        .state
        .devices
        .iter()
        .map(|(key, fault)| {
            let (kiosk, device) = key.split_once('/').unwrap_or((key.as_str(), ""));
            json!({"kiosk": kiosk, "device": device, "ok": fault.is_none(), "fault": fault})
        })
        .collect();
    json!({
        "seq": hall.last_seq(),
        "date": view.state.date,
        "now": local_time(hall, hall.now()),
        "hall": {"name": c.hall.name, "name_en": c.hall.name_en},
        "devices": devices,
        "display": c.display,
        "voice": {"enabled": c.voice.enabled, "volume": c.voice.volume},
        "windows": windows,
        "queues": queues,
        "recent_calls": calls,
    })
}

/// The waiting line for a window: every waiting ticket of the queues it serves, in the
/// order it would call them, with how long each has waited.
pub fn waiting_view(hall: &Hall, window: u32) -> Value {
    let c: &crate::config::Config = &hall.config();
    let now = hall.now();
    let view = hall.view();
    let Some(w) = c.window(window) else { return json!({"window": window, "tickets": []}) };
    let mut tickets: Vec<&Ticket> = c.queues.iter().filter(|q| c.window_serves(w, &q.id)).flat_map(|q| view.state.waiting_in(&q.id)).collect();
    tickets.sort_by_key(|t| (engine::people_ahead(&view.state, c, t, now), t.wait_since));
    let list: Vec<Value> = tickets
        .iter()
        .map(|t| {
            let (name, _) = service_name(hall, &t.service);
            json!({
                "id": t.id, "number": t.number, "service": name, "queue": t.queue, "priority": t.priority,
                "holder": t.holder.as_ref().map(|h| h.masked_name.clone()),
                "waited_minutes": (now - t.issued_at).num_minutes().max(0),
                "appointment_slot": t.appointment_slot.map(|s| local_time(hall, s)),
            })
        })
        .collect();
    json!({"window": window, "tickets": list})
}
