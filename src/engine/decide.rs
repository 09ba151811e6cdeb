//! Deciding a command: `execute`, `decide`, the day rollover, issuing and appointment
//! check-in.

use super::*;

/// Runs one command: rolls the day over if the clock has passed midnight, decides, and
/// applies the events to `state`. Returns the events to persist (the day roll-over even
/// when the command itself was refused) and the command's result.
pub fn execute(state: &mut State, config: &Config, command: &Command, now: Ts) -> (Vec<Event>, Result<Outcome, Rejection>) {
    let mut events = Vec::new();
    if let Some(e) = rollover(state, config, now) {
        apply(state, config, now, &e);
        events.push(e);
    }
    match decide(state, config, command, now) {
        Ok((decided, outcome)) => {
            for e in &decided {
                apply(state, config, now, e);
            }
            events.extend(decided);
            (events, Ok(outcome))
        }
        Err(r) => (events, Err(r)),
    }
}

/// The hall-local date and time of an instant.
pub fn local(config: &Config, now: Ts) -> chrono::NaiveDateTime {
    now.with_timezone(&config.offset()).naive_local()
}

/// A new day opens when the hall-local date changes; tickets still open expire.
pub fn rollover(state: &State, config: &Config, now: Ts) -> Option<Event> {
    let today = local(config, now).date();
    if state.date == Some(today) {
        return None;
    }
    let expired = state
        .tickets
        .values()
        .filter(|t| matches!(t.status, Status::Waiting | Status::Called | Status::Serving))
        .map(|t| t.id.clone())
        .collect();
    Some(Event::DayOpened { date: today, expired })
}

/// Decides what a command does, without changing anything.
pub fn decide(state: &State, config: &Config, command: &Command, now: Ts) -> Result<(Vec<Event>, Outcome), Rejection> {
    match command {
        Command::Tick => Ok((vec![], Outcome::Done)),
        Command::ConfigChanged { version, digest, by, actor } => Ok((
            vec![Event::ConfigChanged { version: *version, digest: digest.clone(), by: by.clone(), actor: actor.clone() }],
            Outcome::Done,
        )),
        Command::ResultCollected { result, kiosk, actor } => {
            Ok((vec![Event::ResultCollected { result: result.clone(), kiosk: kiosk.clone(), actor: actor.clone() }], Outcome::Done))
        }
        Command::Reprint { ticket, desk, actor, token } => {
            let t = state.tickets.get(ticket).ok_or_else(|| Rejection::UnknownTicket(ticket.clone()))?;
            if !matches!(t.status, Status::Waiting | Status::Called | Status::NoShow) {
                return Err(Rejection::NotReprintable(t.number.clone()));
            }
            Ok((
                vec![Event::TicketReprinted { ticket: ticket.clone(), desk: desk.clone(), actor: actor.clone(), token: token.clone() }],
                Outcome::Done,
            ))
        }
        Command::StaffSignedIn { actor, role } => Ok((vec![Event::StaffSignedIn { actor: actor.clone(), role: *role }], Outcome::Done)),
        Command::StaffSignedOut { actor } => Ok((vec![Event::StaffSignedOut { actor: actor.clone() }], Outcome::Done)),
        Command::AttachmentRead { attachment, ticket, actor } => Ok((
            vec![Event::AttachmentRead { attachment: attachment.clone(), ticket: ticket.clone(), actor: actor.clone() }],
            Outcome::Done,
        )),
        Command::HelpCall { kiosk, place } => {
            let events = if state.help.contains_key(kiosk) {
                vec![]
            } else {
                vec![Event::HelpRequested { kiosk: kiosk.clone(), place: place.clone() }]
            };
            Ok((events, Outcome::Done))
        }
        Command::HelpAnswer { kiosk, actor } => {
            let events = if state.help.contains_key(kiosk) {
                vec![Event::HelpAnswered { kiosk: kiosk.clone(), actor: actor.clone() }]
            } else {
                vec![]
            };
            Ok((events, Outcome::Done))
        }
        Command::DeviceStatus { kiosk, device, fault } => {
            // Only changes are logged: a kiosk repeating its state adds nothing.
            let key = format!("{kiosk}/{device}");
            let known = state.devices.get(&key);
            let events = if known == Some(fault) || (known.is_none() && fault.is_none()) {
                vec![]
            } else {
                vec![Event::DeviceStatusChanged { kiosk: kiosk.clone(), device: device.clone(), fault: fault.clone() }]
            };
            Ok((events, Outcome::Done))
        }
        Command::Issue(req) => decide_issue(state, config, req, now),
        Command::Lease { kiosk, queue, size } => offline::decide_lease(state, config, kiosk, queue, *size, now).map(|e| (e, Outcome::Done)),
        Command::UploadOffline(up) => offline::decide_upload(state, config, up, now),
        Command::BookAppointment(a) => {
            if a.code.len() < 4 || a.code.len() > 16 || !a.code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Rejection::BadAppointmentCode);
            }
            config.service(&a.service).ok_or_else(|| Rejection::UnknownService(a.service.clone()))?;
            match state.appointments.get(&a.code) {
                // The booking system repeating itself adds nothing.
                Some(known) if known.service == a.service && known.slot == a.slot && known.holder == a.holder => {
                    Ok((vec![], Outcome::Done))
                }
                Some(_) => Err(Rejection::DuplicateAppointment(a.code.clone())),
                None => {
                    Ok((vec![Event::AppointmentBooked { appointment: Box::new(Appointment { ticket: None, ..a.clone() }) }], Outcome::Done))
                }
            }
        }
        Command::CheckIn { code, issue } => decide_check_in(state, config, code, issue, now),
        Command::Window { window, action, actor } => decide_window(state, config, *window, action, actor, now).map(|e| (e, Outcome::Done)),
        Command::Rate { ticket, rating, source, device } => {
            let t = state.tickets.get(ticket).ok_or_else(|| Rejection::UnknownTicket(ticket.clone()))?;
            match (source, device) {
                (RatingSource::Visitor, None) => {}
                (RatingSource::Device { .. }, Some(d)) => match &t.rating_request {
                    Some(r) if r.window == d.window && !r.nonce.is_empty() && same_secret(&r.nonce, &d.nonce) => {}
                    r if t.window != Some(d.window) && r.as_ref().is_none_or(|r| r.window != d.window) => {
                        return Err(Rejection::NotRatedHere(t.number.clone(), d.window));
                    }
                    _ => return Err(Rejection::BadRatingNonce(t.number.clone())),
                },
                _ => return Err(Rejection::BadRatingNonce(t.number.clone())),
            }
            if t.rating.is_some() {
                return Err(Rejection::AlreadyRated(t.number.clone()));
            }
            if !matches!(t.status, Status::Serving | Status::Finished) {
                return Err(Rejection::NotServed(t.number.clone()));
            }
            Ok((
                vec![Event::TicketRated { ticket: t.id.clone(), window: t.window, rating: *rating, source: source.clone() }],
                Outcome::Done,
            ))
        }
    }
}

pub(super) fn decide_issue(state: &State, config: &Config, req: &IssueRequest, now: Ts) -> Result<(Vec<Event>, Outcome), Rejection> {
    if let Some(id) = state.requests.get(&req.request_id) {
        return Ok((vec![], Outcome::Ticket { id: id.clone(), repeated: true }));
    }
    let service = config.service(&req.service).ok_or_else(|| Rejection::UnknownService(req.service.clone()))?;
    check_issue_hours(config, now)?;
    let queue = config.queue(&service.queue).expect("validated config: service queue exists");
    let qstate = state.queues.get(&queue.id).cloned().unwrap_or_default();
    if qstate.issued_today >= queue.daily_cap {
        return Err(Rejection::QueueFull(queue.name.clone(), queue.name_en.clone()));
    }
    if state.service_issued.get(&service.id).copied().unwrap_or(0) >= service.daily_cap {
        return Err(Rejection::ServiceFull(service.name.clone(), service.name_en.clone()));
    }
    if service.identity == IdentityRule::Required && req.holder.is_none() {
        return Err(Rejection::IdentityRequired(service.name.clone(), service.name_en.clone()));
    }
    if let Some(h) = &req.holder {
        let taken = state.person_issued.get(&person_key(&h.id_hash, &service.id)).copied().unwrap_or(0);
        if config.rules.per_person_daily_limit > 0 && taken >= config.rules.per_person_daily_limit {
            return Err(Rejection::PersonLimit {
                service: service.name.clone(),
                service_en: service.name_en.clone(),
                limit: config.rules.per_person_daily_limit,
            });
        }
    }
    let today = local(config, now).date();
    let mut priority = req.priority;
    if priority == Priority::Normal && config.rules.green_channel_age > 0 {
        let age = req.holder.as_ref().and_then(|h| h.birth_date).map(|b| age_on(b, today));
        if age.is_some_and(|a| a >= config.rules.green_channel_age) {
            priority = Priority::Green;
        }
    }
    // Counting up from 1, below the numbers leased to kiosks for offline issuing.
    let n = qstate.numbered + 1;
    if n >= offline::floor(state, &queue.id) {
        return Err(Rejection::QueueFull(queue.name.clone(), queue.name_en.clone()));
    }
    let number = format!("{}{:03}", queue.prefix, n);
    let id = format!("{}-{}", today.format("%Y%m%d"), number);
    let mut ticket = Ticket {
        id: id.clone(),
        number,
        date: today,
        service: service.id.clone(),
        queue: queue.id.clone(),
        issued_at: now,
        wait_since: now,
        channel: req.channel,
        kiosk: req.kiosk.clone(),
        holder: req.holder.clone(),
        priority,
        appointment_slot: if priority == Priority::Appointment { req.appointment_slot } else { None },
        request_id: Some(req.request_id.clone()),
        token: req.token.clone(),
        status: Status::Waiting,
        window: None,
        people_ahead_at_issue: 0,
        estimate_minutes_at_issue: 0,
        recalls: 0,
        called_at: None,
        last_called_at: None,
        started_at: None,
        finished_at: None,
        no_show_at: None,
        rating: None,
        rating_request: None,
        history: vec![HistoryEntry {
            at: now,
            what: "issued".into(),
            window: None,
            note: None,
            by: matches!(req.actor, Actor::Staff { .. }).then(|| req.actor.clone()),
        }],
        offline: None,
        issued_by: req.actor.clone(),
    };
    let ahead = people_ahead(state, config, &ticket, now);
    ticket.people_ahead_at_issue = ahead;
    ticket.estimate_minutes_at_issue = estimate_minutes(state, config, &queue.id, ahead);
    Ok((vec![Event::TicketIssued { ticket: Box::new(ticket) }], Outcome::Ticket { id, repeated: false }))
}

pub(super) fn decide_check_in(
    state: &State,
    config: &Config,
    code: &str,
    req: &IssueRequest,
    now: Ts,
) -> Result<(Vec<Event>, Outcome), Rejection> {
    if let Some(id) = state.requests.get(&req.request_id) {
        return Ok((vec![], Outcome::Ticket { id: id.clone(), repeated: true }));
    }
    let code = code.trim().to_ascii_uppercase();
    let a = state.appointments.get(&code).ok_or_else(|| Rejection::UnknownAppointment(code.clone()))?;
    if let (Some(booked), Some(here)) = (&a.holder, &req.holder) {
        if booked.id_hash != here.id_hash {
            return Err(Rejection::AppointmentNotYours);
        }
    }
    // Checked in already: the same ticket again (a visitor who lost the slip).
    if let Some(t) = a.ticket.as_ref().filter(|t| state.tickets.contains_key(*t)) {
        return Ok((vec![], Outcome::Ticket { id: t.clone(), repeated: true }));
    }
    let slot = local(config, a.slot);
    let here = local(config, now);
    if slot.date() != here.date() {
        return Err(Rejection::AppointmentNotToday(slot.date()));
    }
    let opens = slot - chrono::Duration::minutes(config.rules.appointment_checkin_early_minutes as i64);
    if here < opens {
        return Err(Rejection::CheckInTooEarly(opens.time()));
    }
    if here > slot + chrono::Duration::minutes(config.rules.appointment_checkin_late_minutes as i64) {
        return Err(Rejection::AppointmentMissed(slot.time()));
    }
    let issue = IssueRequest {
        service: a.service.clone(),
        priority: Priority::Appointment,
        channel: Channel::Appointment,
        holder: req.holder.clone().or_else(|| a.holder.clone()),
        appointment_slot: Some(a.slot),
        ..req.clone()
    };
    let (mut events, outcome) = decide_issue(state, config, &issue, now)?;
    if let Outcome::Ticket { id, repeated: false } = &outcome {
        events.push(Event::AppointmentCheckedIn { code, ticket: id.clone() });
    }
    Ok((events, outcome))
}

pub(super) fn check_issue_hours(config: &Config, now: Ts) -> Result<(), Rejection> {
    let here = local(config, now);
    if !config.open_on(here.date()) {
        return Err(Rejection::ClosedToday);
    }
    let time = here.time();
    let sessions = config.sessions();
    let cutoff = config.issue_cutoff();
    if time < sessions[0].0 {
        return Err(Rejection::BeforeHours(sessions[0].0));
    }
    if time >= cutoff || time >= sessions[sessions.len() - 1].1 {
        return Err(Rejection::AfterCutoff(cutoff.min(sessions[sessions.len() - 1].1)));
    }
    if let Some((start, _)) = sessions.iter().find(|(start, _)| *start > time) {
        // Between sessions unless inside the one that started before now.
        let inside = sessions.iter().any(|(s, e)| *s <= time && time < *e);
        if !inside {
            return Err(Rejection::LunchBreak(*start));
        }
    }
    Ok(())
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

pub(super) fn person_key(id_hash: &str, service: &str) -> String {
    format!("{id_hash}/{service}")
}

pub(super) fn require_reason(reason: &str) -> Result<String, Rejection> {
    let r = reason.trim();
    if r.is_empty() {
        Err(Rejection::ReasonRequired)
    } else {
        Ok(r.to_string())
    }
}
