//! Offline issuing: number blocks leased to kiosks in advance, and the tickets a kiosk
//! issued from its lease while the hall was unreachable, placed when they are uploaded.
//!
//! Numbers stay unique without the kiosk asking anyone: the tickets the service issues
//! count up from 1 (`A001`, `A002`…), leases are cut from the top of the three-digit range
//! downwards (`A990`–`A999` to the first kiosk, `A980`–`A989` to the next…), and neither
//! side crosses the other. A number is in at most one lease and a lease is for one kiosk,
//! one queue and one day, so two kiosks, or a kiosk and the service, never print the same
//! number; an upload outside the kiosk's own lease is refused.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    local, people_ahead, person_key, Channel, Event, HistoryEntry, Holder, Outcome, Priority, Rejection, State, Status, Ticket, Ts,
};
use crate::config::Config;

/// The first number above the leasable range: leases are cut downwards from 999.
pub const NUMBER_SPACE: u32 = 1000;

/// How many leases a kiosk may hold per queue and day before it has used (uploaded) the
/// numbers of its earlier ones: a kiosk offline all day cannot drain the number space.
pub const OPEN_LEASES_PER_QUEUE: usize = 2;

/// How many leases a kiosk gets per queue and day in all: a hostile kiosk uploading made-up
/// tickets to lease again cannot fill a queue's day.
pub const LEASES_PER_QUEUE_PER_DAY: usize = 6;

/// Numbers `from..=to` of one queue, leased to one kiosk for today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub kiosk: String,
    pub queue: String,
    pub date: NaiveDate,
    pub from: u32,
    pub to: u32,
    /// When it was given: no ticket from it was printed earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Ts>,
}

impl Lease {
    pub fn contains(&self, n: u32) -> bool {
        (self.from..=self.to).contains(&n)
    }

    pub fn size(&self) -> u32 {
        self.to + 1 - self.from
    }
}

/// A ticket a kiosk issued from its lease while the hall was unreachable, as it uploads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineTicket {
    pub request_id: String,
    pub kiosk: String,
    pub service: String,
    /// The number printed, such as `A995` (the queue's prefix and a number of the lease).
    pub number: String,
    /// When the kiosk printed it: its place in line.
    pub issued_at: Ts,
    pub holder: Option<Holder>,
    /// The visitor's status-page token the kiosk drew and printed in the QR.
    pub token: String,
}

/// What an uploaded offline ticket carries in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineMark {
    pub uploaded_at: Ts,
    /// The visitor had already taken as many tickets for the item as a person may; the
    /// ticket stands (it was printed) and staff see the flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub person_limit_breach: bool,
    /// The ticket the service issued for the same request while the kiosk heard no answer:
    /// the visitor holds the offline one, so that one is withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// The lowest leased number of a queue today (`NUMBER_SPACE` when none is leased).
pub fn floor(state: &State, queue: &str) -> u32 {
    state.queues.get(queue).map(|q| q.lease_floor).filter(|f| *f > 0).unwrap_or(NUMBER_SPACE)
}

/// The highest number the service has issued itself in a queue today.
pub fn numbered(state: &State, queue: &str) -> u32 {
    state.queues.get(queue).map(|q| q.numbered).unwrap_or(0)
}

/// The number part of a ticket number (`A995` → 995), when it has the queue's prefix.
pub fn number_of(number: &str, prefix: &str) -> Option<u32> {
    number.strip_prefix(prefix).filter(|d| d.len() >= 3 && d.chars().all(|c| c.is_ascii_digit())).and_then(|d| d.parse().ok())
}

/// A kiosk asks for a block of `size` numbers of `queue` for today.
pub fn decide_lease(state: &State, config: &Config, kiosk: &str, queue: &str, size: u32, now: Ts) -> Result<Vec<Event>, Rejection> {
    let q = config.queue(queue).ok_or_else(|| Rejection::UnknownQueue(queue.to_string()))?;
    if size == 0 {
        return Err(Rejection::OfflineIssuingOff);
    }
    let today = local(config, now).date();
    let mine: Vec<&Lease> = state.leases.iter().filter(|l| l.kiosk == kiosk && l.queue == q.id).collect();
    // A lease not used at all is given again (the kiosk may not have heard the answer).
    if mine.iter().any(|l| left(state, l, &q.prefix) == l.size()) {
        return Ok(vec![]);
    }
    let open = mine.iter().filter(|l| left(state, l, &q.prefix) > 0).count();
    if open >= OPEN_LEASES_PER_QUEUE || mine.len() >= LEASES_PER_QUEUE_PER_DAY {
        return Err(Rejection::LeaseLimit(q.name.clone()));
    }
    let to = floor(state, &q.id) - 1;
    let from = to + 1 - size.min(to);
    // Keep clear of the numbers the service itself will give today.
    let reserve = numbered(state, &q.id).max(q.daily_cap.min(NUMBER_SPACE / 2));
    if from <= reserve {
        return Err(Rejection::NoNumbersToLease(q.name.clone()));
    }
    Ok(vec![Event::NumbersLeased { lease: Lease { kiosk: kiosk.to_string(), queue: q.id.clone(), date: today, from, to, at: Some(now) } }])
}

/// A ticket issued offline, uploaded: placed in line by the time it was printed. Once per
/// request_id; never refused for a limit or a cap (the visitor holds the printed ticket),
/// only for a number that is not this kiosk's to give.
pub fn decide_upload(state: &State, config: &Config, up: &OfflineTicket, now: Ts) -> Result<(Vec<Event>, Outcome), Rejection> {
    let service = config.service(&up.service).ok_or_else(|| Rejection::UnknownService(up.service.clone()))?;
    let queue = config.queue(&service.queue).expect("validated config: service queue exists");
    let date = local(config, up.issued_at).date();
    let n = number_of(&up.number, &queue.prefix)
        .filter(|n| format!("{}{n:03}", queue.prefix) == up.number)
        .ok_or_else(|| Rejection::NotLeased(up.number.clone()))?;
    let id = ticket_id(date, &queue.prefix, n);
    // Only the kiosk the number was leased to may upload it (or hear it again).
    let lease = state
        .leases
        .iter()
        .chain(state.earlier_leases.iter())
        .find(|l| l.kiosk == up.kiosk && l.queue == queue.id && l.date == date && l.contains(n))
        .ok_or_else(|| Rejection::NotLeased(up.number.clone()))?;
    // The same upload again: the same answer.
    let known = state.tickets.get(&id).filter(|t| t.request_id.as_deref() == Some(up.request_id.as_str()));
    if known.is_some() || state.uploaded.contains(&id) {
        return Ok((vec![], Outcome::Ticket { id, repeated: true }));
    }
    // Its place in line: when it was printed, but never before the kiosk had the lease (a
    // kiosk cannot put a ticket at the head of the line) nor after now (a fast clock).
    let placed = up.issued_at.max(lease.at.unwrap_or(up.issued_at)).min(now);
    let today = state.date == Some(date);
    if today && state.tickets.contains_key(&id) {
        return Err(Rejection::NumberTaken(up.number.clone()));
    }
    let breach = up.holder.as_ref().is_some_and(|h| {
        let taken = state.person_issued.get(&person_key(&h.id_hash, &service.id)).copied().unwrap_or(0);
        today && config.rules.per_person_daily_limit > 0 && taken >= config.rules.per_person_daily_limit
    });
    // The service answered this request while the kiosk heard nothing: that ticket nobody
    // holds. Only this kiosk's own online ticket is withdrawn so.
    let replaces = state
        .requests
        .get(&up.request_id)
        .filter(|t| **t != id)
        .filter(|t| {
            state
                .tickets
                .get(*t)
                .is_some_and(|o| o.kiosk.as_deref() == Some(up.kiosk.as_str()) && o.channel == Channel::Kiosk && o.offline.is_none())
        })
        .cloned();
    let mut ticket = Ticket {
        id: id.clone(),
        number: up.number.clone(),
        date,
        service: service.id.clone(),
        queue: queue.id.clone(),
        issued_at: up.issued_at,
        wait_since: placed,
        channel: Channel::Kiosk,
        kiosk: Some(up.kiosk.clone()),
        holder: up.holder.clone(),
        priority: Priority::Normal,
        appointment_slot: None,
        request_id: Some(up.request_id.clone()),
        token: up.token.clone(),
        // A ticket of a day already closed is recorded, not queued.
        status: if today { Status::Waiting } else { Status::Expired },
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
            at: up.issued_at,
            what: "issued".into(),
            window: None,
            note: Some(format!("离线取号（{}），{} 上传", up.kiosk, local(config, now).format("%H:%M:%S"))),
            by: None,
        }],
        offline: Some(OfflineMark { uploaded_at: now, person_limit_breach: breach, replaces: replaces.clone() }),
        issued_by: hallq_proto::Actor::token(up.kiosk.clone()),
    };
    if today {
        ticket.people_ahead_at_issue = people_ahead(state, config, &ticket, now);
    }
    Ok((vec![Event::TicketIssued { ticket: Box::new(ticket) }], Outcome::Ticket { id, repeated: false }))
}

/// A ticket's id: its date and number.
pub fn ticket_id(date: NaiveDate, prefix: &str, n: u32) -> String {
    format!("{}-{prefix}{n:03}", date.format("%Y%m%d"))
}

/// Numbers of a lease not yet used by an uploaded ticket.
pub fn left(state: &State, lease: &Lease, prefix: &str) -> u32 {
    (lease.from..=lease.to).filter(|n| !state.tickets.contains_key(&ticket_id(lease.date, prefix, *n))).count() as u32
}
