//! Deciding a window's command: open, call, recall, serve, finish, no-show, requeue,
//! transfer, pause, rating requests.

use super::*;

pub(super) fn window_state(state: &State, number: u32) -> WindowState {
    state.windows.get(&number).cloned().unwrap_or(WindowState { number, ..Default::default() })
}

pub(super) fn current_ticket<'a>(state: &'a State, w: &WindowState) -> Option<&'a Ticket> {
    w.current.as_ref().and_then(|id| state.tickets.get(id))
}

pub(super) fn decide_window(
    state: &State,
    config: &Config,
    number: u32,
    action: &WindowAction,
    actor: &Actor,
    now: Ts,
) -> Result<Vec<Event>, Rejection> {
    let wconf = config.window(number).ok_or(Rejection::UnknownWindow(number))?;
    let w = window_state(state, number);
    let current = current_ticket(state, &w);
    let mut events = Vec::new();
    // Calling the next ticket closes the one in hand, as staff expect.
    let finish_current = |events: &mut Vec<Event>| {
        if let Some(t) = current {
            events.push(Event::TicketFinished { ticket: t.id.clone(), window: number, actor: actor.clone() });
        }
    };
    let open_if_closed = |events: &mut Vec<Event>| {
        if !w.open {
            events.push(Event::WindowOpened { window: number, actor: actor.clone() });
        }
    };
    match action {
        WindowAction::Open => {
            if !w.open {
                events.push(Event::WindowOpened { window: number, actor: actor.clone() });
            }
        }
        WindowAction::Close => {
            if let Some(t) = current {
                return Err(Rejection::CurrentInProgress(t.number.clone()));
            }
            if w.open {
                events.push(Event::WindowClosed { window: number, actor: actor.clone() });
            }
        }
        WindowAction::CallNext => {
            if let Some(reason) = &w.paused {
                return Err(Rejection::WindowPaused(reason.clone()));
            }
            let next = choose_next(state, config, &w, now).ok_or(Rejection::NothingWaiting)?;
            open_if_closed(&mut events);
            finish_current(&mut events);
            events.push(Event::TicketCalled {
                ticket: next.id.clone(),
                number: next.number.clone(),
                window: number,
                reason: None,
                actor: actor.clone(),
            });
        }
        WindowAction::Call { ticket, reason } => {
            if let Some(p) = &w.paused {
                return Err(Rejection::WindowPaused(p.clone()));
            }
            let reason = require_reason(reason)?;
            let t = find_ticket(state, ticket)?;
            if t.status != Status::Waiting {
                return Err(Rejection::TicketNotWaiting(t.number.clone()));
            }
            if !config.window_serves(wconf, &t.queue) {
                return Err(Rejection::NotServedHere { ticket: t.number.clone(), queue: t.queue.clone(), window: number });
            }
            open_if_closed(&mut events);
            finish_current(&mut events);
            events.push(Event::TicketCalled {
                ticket: t.id.clone(),
                number: t.number.clone(),
                window: number,
                reason: Some(reason),
                actor: actor.clone(),
            });
        }
        WindowAction::Recall => {
            let t = current.ok_or(Rejection::NoCurrentTicket)?;
            if t.status != Status::Called {
                return Err(Rejection::NoCurrentTicket);
            }
            if t.recalls >= config.rules.max_recalls {
                return Err(Rejection::RecallLimit(t.number.clone(), t.recalls));
            }
            let since = (now - t.last_called_at.unwrap_or(now)).num_seconds().max(0) as u32;
            if since < config.rules.recall_min_gap_secs {
                return Err(Rejection::RecallTooSoon(config.rules.recall_min_gap_secs - since));
            }
            events.push(Event::TicketRecalled {
                ticket: t.id.clone(),
                number: t.number.clone(),
                window: number,
                recalls: t.recalls + 1,
                actor: actor.clone(),
            });
        }
        WindowAction::Start => {
            let t = current.ok_or(Rejection::NoCurrentTicket)?;
            if t.status == Status::Called {
                events.push(Event::ServiceStarted { ticket: t.id.clone(), window: number, actor: actor.clone() });
            }
        }
        WindowAction::Finish => {
            let t = current.ok_or(Rejection::NoCurrentTicket)?;
            events.push(Event::TicketFinished { ticket: t.id.clone(), window: number, actor: actor.clone() });
        }
        WindowAction::NoShow => {
            let t = current.ok_or(Rejection::NoCurrentTicket)?;
            if t.status != Status::Called {
                return Err(Rejection::CurrentInProgress(t.number.clone()));
            }
            if let Some(missing) = no_show_not_yet(config, t, now) {
                return Err(Rejection::NoShowTooSoon(t.number.clone(), missing));
            }
            events.push(Event::TicketNoShow { ticket: t.id.clone(), window: number, actor: actor.clone() });
        }
        WindowAction::Requeue { ticket } => {
            let t = find_ticket(state, ticket)?;
            if t.status != Status::NoShow {
                return Err(Rejection::NotNoShow(t.number.clone()));
            }
            if !config.window_serves(wconf, &t.queue) {
                return Err(Rejection::NotServedHere { ticket: t.number.clone(), queue: t.queue.clone(), window: number });
            }
            let limit = config.rules.requeue_within_minutes;
            let since = t.no_show_at.map(|n| now - n).unwrap_or_default();
            if since > chrono::Duration::minutes(limit as i64) {
                return Err(Rejection::RequeueExpired(t.number.clone(), limit));
            }
            events.push(Event::TicketRequeued { ticket: t.id.clone(), window: number, actor: actor.clone() });
        }
        WindowAction::Transfer { service } => {
            let t = current.ok_or(Rejection::NoCurrentTicket)?;
            let s = config.service(service).ok_or_else(|| Rejection::UnknownService(service.clone()))?;
            if s.id == t.service {
                return Err(Rejection::SameService);
            }
            events.push(Event::TicketTransferred {
                ticket: t.id.clone(),
                window: number,
                service: s.id.clone(),
                queue: s.queue.clone(),
                actor: actor.clone(),
            });
        }
        WindowAction::Pause { reason } => {
            let reason = require_reason(reason)?;
            if let Some(t) = current {
                return Err(Rejection::CurrentInProgress(t.number.clone()));
            }
            if w.paused.is_none() {
                events.push(Event::WindowPaused { window: number, reason, actor: actor.clone() });
            }
        }
        WindowAction::Resume => {
            if w.paused.is_none() {
                return Err(Rejection::WindowNotPaused);
            }
            events.push(Event::WindowResumed { window: number, actor: actor.clone() });
        }
        WindowAction::RequestRating { nonce } => {
            // The visitor in front of the counter: the ticket in service, or the one this
            // window finished last.
            let t = current.filter(|t| t.status == Status::Serving).or_else(|| {
                state.tickets.values().filter(|t| t.window == Some(number) && t.status == Status::Finished).max_by_key(|t| t.finished_at)
            });
            let t = t.ok_or(Rejection::NoCurrentTicket)?;
            if t.rating.is_some() {
                return Err(Rejection::AlreadyRated(t.number.clone()));
            }
            events.push(Event::RatingRequested { ticket: t.id.clone(), window: number, nonce: nonce.clone(), actor: actor.clone() });
        }
    }
    Ok(events)
}

/// Compares two secrets in time that does not depend on where they differ.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(super) fn find_ticket<'a>(state: &'a State, key: &str) -> Result<&'a Ticket, Rejection> {
    // Staff type the number ("A001"); clients may send the full id.
    state
        .tickets
        .get(key)
        .or_else(|| state.tickets.values().find(|t| t.number.eq_ignore_ascii_case(key)))
        .ok_or_else(|| Rejection::UnknownTicket(key.to_string()))
}

/// What the hall's 过号 rule still asks for before the called ticket `t` may be marked a
/// no-show at `now`, in the counter's words; `None` when it may be. The rule is met by
/// `no_show_after_recalls` recalls or `no_show_after_minutes` since the call, whichever
/// comes first; with both 0 at once.
pub fn no_show_not_yet(config: &Config, t: &Ticket, now: Ts) -> Option<String> {
    let (need_recalls, need_minutes) = (config.rules.no_show_after_recalls, config.rules.no_show_after_minutes);
    let waited = (now - t.called_at.unwrap_or(now)).num_seconds().max(0) as u32;
    let by_recalls = need_recalls > 0 && t.recalls >= need_recalls;
    let by_time = need_minutes > 0 && waited >= need_minutes * 60;
    if (need_recalls == 0 && need_minutes == 0) || by_recalls || by_time {
        return None;
    }
    let left = need_minutes * 60 - waited.min(need_minutes * 60);
    Some(match (need_recalls, need_minutes) {
        (n, 0) => format!("请先重呼（已重呼 {} 次，需 {n} 次）", t.recalls),
        (0, _) => format!("叫号后需等 {need_minutes} 分钟，还差 {} 分 {} 秒", left / 60, left % 60),
        (n, _) => format!("已重呼 {} 次，需重呼 {n} 次或叫号 {need_minutes} 分钟后（还差 {} 分 {} 秒）", t.recalls, left / 60, left % 60),
    })
}
