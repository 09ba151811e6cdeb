//! Folding an event into the state (`apply`): total, as a logged event always applies.

use super::*;

/// Folds one event into the state. Total: an event that was logged is always applied.
pub fn apply(state: &mut State, config: &Config, at: Ts, event: &Event) {
    // Each entry an event adds to a ticket's history names the event's actor.
    let by = event.actor().filter(|a| !a.is_unrecorded());
    let history = |t: &mut Ticket, what: &str, window: Option<u32>, note: Option<String>| {
        t.history.push(HistoryEntry { at, what: what.into(), window, note, by: by.clone() });
    };
    match event {
        Event::DayOpened { date, .. } => {
            let mean: BTreeMap<String, QueueState> = state
                .queues
                .iter()
                .map(|(k, q)| (k.clone(), QueueState { mean_service_secs: q.mean_service_secs, ..Default::default() }))
                .collect();
            let windows = state.windows.keys().map(|n| (*n, WindowState { number: *n, ..Default::default() })).collect();
            let devices = std::mem::take(&mut state.devices);
            let mut appointments = std::mem::take(&mut state.appointments);
            appointments.retain(|_, a| local(config, a.slot).date() >= *date);
            let config_version = state.config_version;
            // Tickets printed offline before midnight may still be uploaded (once).
            let earlier_leases = std::mem::take(&mut state.leases);
            let uploaded = state.tickets.values().filter(|t| t.offline.is_some()).map(|t| t.id.clone()).collect();
            *state = State {
                date: Some(*date),
                queues: mean,
                windows,
                devices,
                appointments,
                config_version,
                earlier_leases,
                uploaded,
                ..Default::default()
            };
        }
        Event::TicketIssued { ticket } if state.date.is_some_and(|d| d != ticket.date) => {
            // Issued offline on a day already closed: recorded in the log, not queued.
            state.uploaded.insert(ticket.id.clone());
        }
        Event::TicketIssued { ticket } => {
            let t = (**ticket).clone();
            match &t.offline {
                None => {
                    let n = t.number.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(0);
                    let q = state.queues.entry(t.queue.clone()).or_default();
                    q.numbered = q.numbered.max(n);
                }
                Some(OfflineMark { replaces: Some(old), .. }) => {
                    // The ticket the service issued for the same request nobody holds.
                    if let Some(o) = state.tickets.get_mut(old).filter(|o| o.status == Status::Waiting) {
                        o.status = Status::Expired;
                        o.history.push(HistoryEntry {
                            at,
                            what: "withdrawn".into(),
                            window: None,
                            note: Some(format!("由离线票 {} 代替", t.number)),
                            by: None,
                        });
                        let (queue, id) = (o.queue.clone(), o.id.clone());
                        state.set_waiting(&queue, &id, false);
                    }
                }
                Some(_) => {}
            }
            state.queues.entry(t.queue.clone()).or_default().issued_today += 1;
            *state.service_issued.entry(t.service.clone()).or_default() += 1;
            if let Some(h) = &t.holder {
                *state.person_issued.entry(person_key(&h.id_hash, &t.service)).or_default() += 1;
            }
            if let Some(r) = &t.request_id {
                state.requests.insert(r.clone(), t.id.clone());
            }
            let (queue, id) = (t.queue.clone(), t.id.clone());
            state.tickets.insert(t.id.clone(), t);
            state.set_waiting(&queue, &id, true);
        }
        Event::NumbersLeased { lease } => {
            let q = state.queues.entry(lease.queue.clone()).or_default();
            q.lease_floor = if q.lease_floor == 0 { lease.from } else { q.lease_floor.min(lease.from) };
            state.leases.push(lease.clone());
        }
        Event::WindowOpened { window, .. } => {
            let w = state.windows.entry(*window).or_insert_with(|| WindowState { number: *window, ..Default::default() });
            w.open = true;
        }
        Event::WindowClosed { window, .. } => {
            if let Some(w) = state.windows.get_mut(window) {
                w.open = false;
                w.paused = None;
                w.paused_at = None;
                w.staff = None;
            }
        }
        Event::TicketCalled { ticket, window, reason, .. } => {
            let priority_class = state.tickets.get(ticket).map(|t| class_of(config, t, at) == Class::Priority).unwrap_or(false);
            if let Some(queue) = state.tickets.get(ticket).map(|t| t.queue.clone()) {
                state.set_waiting(&queue, ticket, false);
            }
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.status = Status::Called;
                t.window = Some(*window);
                t.called_at = Some(at);
                t.last_called_at = Some(at);
                t.recalls = 0;
                history(t, "called", Some(*window), reason.clone());
            }
            let w = state.windows.entry(*window).or_insert_with(|| WindowState { number: *window, ..Default::default() });
            w.open = true;
            w.current = Some(ticket.clone());
            // Calls of a specific ticket are outside the rotation.
            if reason.is_none() {
                let ratio = config.rules.call_ratio;
                if priority_class {
                    w.priority_streak += 1;
                    if w.priority_streak >= ratio.priority {
                        w.normal_streak = 0;
                        w.priority_streak = 0;
                    }
                } else {
                    w.normal_streak += 1;
                }
            }
        }
        Event::TicketRecalled { ticket, window, recalls, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.recalls = *recalls;
                t.last_called_at = Some(at);
                history(t, "recalled", Some(*window), None);
            }
        }
        Event::ServiceStarted { ticket, window, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.status = Status::Serving;
                t.started_at = Some(at);
                history(t, "started", Some(*window), None);
            }
        }
        Event::TicketFinished { ticket, window, .. } => {
            let mut measured = None;
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.status = Status::Finished;
                t.finished_at = Some(at);
                if let Some(begin) = t.started_at.or(t.called_at) {
                    measured = Some(((at - begin).num_milliseconds() as f64 / 1000.0, t.queue.clone()));
                }
                history(t, "finished", Some(*window), None);
            }
            if let Some((secs, queue)) = measured {
                let q = state.queues.entry(queue).or_default();
                q.mean_service_secs = if q.mean_service_secs > 0.0 { 0.8 * q.mean_service_secs + 0.2 * secs } else { secs };
            }
            release(state, *window, ticket, true);
        }
        Event::TicketNoShow { ticket, window, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.status = Status::NoShow;
                t.no_show_at = Some(at);
                history(t, "no_show", Some(*window), None);
            }
            release(state, *window, ticket, false);
        }
        Event::TicketRequeued { ticket, window, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.status = Status::Waiting;
                t.wait_since = at;
                t.window = None;
                history(t, "requeued", Some(*window), None);
                let queue = t.queue.clone();
                state.set_waiting(&queue, ticket, true);
            }
        }
        Event::TicketTransferred { ticket, window, service, queue, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                let note = format!("{} -> {}", t.service, service);
                t.status = Status::Waiting;
                t.service = service.clone();
                t.queue = queue.clone();
                // 一票到底: the ticket keeps its place from the original issue time.
                t.wait_since = t.issued_at;
                t.window = None;
                t.started_at = None;
                t.called_at = None;
                history(t, "transferred", Some(*window), Some(note));
                state.set_waiting(queue, ticket, true);
            }
            release(state, *window, ticket, false);
        }
        Event::WindowPaused { window, reason, .. } => {
            let w = state.windows.entry(*window).or_insert_with(|| WindowState { number: *window, ..Default::default() });
            if w.paused.is_none() {
                w.paused_at = Some(at);
            }
            w.paused = Some(reason.clone());
        }
        Event::WindowResumed { window, .. } => {
            if let Some(w) = state.windows.get_mut(window) {
                w.paused = None;
                w.paused_at = None;
            }
        }
        Event::TicketRated { ticket, rating, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.rating = Some(*rating);
                t.rating_request = None;
                history(t, "rated", t.window, Some(rating.label_zh().into()));
            }
        }
        Event::RatingRequested { ticket, window, nonce, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                t.rating_request = Some(RatingRequest { window: *window, nonce: nonce.clone() });
                history(t, "rating_requested", Some(*window), None);
            }
        }
        Event::DeviceStatusChanged { kiosk, device, fault } => {
            state.devices.insert(format!("{kiosk}/{device}"), fault.clone());
        }
        Event::ConfigChanged { version, .. } => state.config_version = *version,
        Event::HelpRequested { kiosk, place } => {
            state.help.insert(kiosk.clone(), (at, place.clone()));
        }
        Event::HelpAnswered { kiosk, .. } => {
            state.help.remove(kiosk);
        }
        // Records in the chain that change no queue state.
        Event::ResultCollected { .. } | Event::StaffSignedIn { .. } | Event::StaffSignedOut { .. } | Event::AttachmentRead { .. } => {}
        Event::AppointmentBooked { appointment } => {
            state.appointments.insert(appointment.code.clone(), (**appointment).clone());
        }
        Event::TicketReprinted { ticket, desk, token, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
                if !token.is_empty() {
                    t.token = token.clone();
                }
                history(t, "reprinted", None, Some(desk.clone()));
            }
        }
        Event::AppointmentCheckedIn { code, ticket } => {
            if let Some(a) = state.appointments.get_mut(code) {
                a.ticket = Some(ticket.clone());
            }
            if let Some(t) = state.tickets.get_mut(ticket) {
                history(t, "checked_in", None, Some(code.clone()));
            }
        }
    }
    // Who is at the window: the last person who acted there with their own account.
    if let (Some(window), Some(Actor::Staff { number })) = (event.window(), &by) {
        if !matches!(event, Event::WindowClosed { .. }) {
            if let Some(w) = state.windows.get_mut(&window) {
                w.staff = Some(number.clone());
            }
        }
    }
}

pub(super) fn release(state: &mut State, window: u32, ticket: &str, served: bool) {
    if let Some(w) = state.windows.get_mut(&window) {
        if w.current.as_deref() == Some(ticket) {
            w.current = None;
        }
        if served {
            w.served_today += 1;
        }
    }
}
