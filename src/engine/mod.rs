//! The queue engine: a pure state machine. Commands go in with the time they happen,
//! events come out; `apply` folds events into the state. It never does IO, never reads a
//! clock and never draws random numbers, so everything it decides can be tested and replayed.
//!
//! The service calls [`execute`], persists the events it returns, and only then answers.
//! On restart the state is rebuilt by applying the logged events in order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, IdentityRule};

pub mod offline;
#[cfg(test)]
mod tests;

pub use offline::{Lease, OfflineMark, OfflineTicket};

pub type Ts = DateTime<Utc>;

use hallq_proto::ErrorCode;
pub use hallq_proto::{Actor, Channel, Priority, Rating, Role, Status};

/// The ticket holder as the engine sees them: masked for display, hashed for limits.
/// The ID number itself never reaches the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Such as "张*".
    pub masked_name: String,
    /// Such as "4301**********123X".
    pub masked_id: String,
    /// Keyed hash of the ID number, for the per-person daily limit.
    pub id_hash: String,
    /// From the ID card, for the automatic green channel.
    pub birth_date: Option<NaiveDate>,
}

/// An appointment booked through the hall's booking system, checked in at a kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// The code the visitor was given (typed on the kiosk or read from its QR).
    pub code: String,
    pub service: String,
    /// Start of the booked slot.
    pub slot: Ts,
    /// The person who booked, when the booking system gave their ID number. Personal data:
    /// kept apart in the log like a ticket's holder.
    pub holder: Option<Holder>,
    /// The ticket issued at check-in.
    #[serde(default)]
    pub ticket: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: Ts,
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who did it (the actor of the event; none for what the hall or a kiosk did, and in
    /// states from before actors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Actor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Unique in the hall: issue date and number, such as "20261127-A001".
    pub id: String,
    /// Queue prefix and three digits, per queue per day, such as "A001".
    pub number: String,
    pub date: NaiveDate,
    pub service: String,
    pub queue: String,
    pub issued_at: Ts,
    /// Where the ticket stands in line: the issue time, kept on transfer (一票到底);
    /// the re-queue time after a no-show.
    pub wait_since: Ts,
    pub channel: Channel,
    pub kiosk: Option<String>,
    pub holder: Option<Holder>,
    pub priority: Priority,
    pub appointment_slot: Option<Ts>,
    pub request_id: Option<String>,
    /// Random token for the visitor's status page (drawn by the service, not the engine).
    pub token: String,
    pub status: Status,
    pub window: Option<u32>,
    pub people_ahead_at_issue: u32,
    pub estimate_minutes_at_issue: u32,
    pub recalls: u32,
    pub called_at: Option<Ts>,
    pub last_called_at: Option<Ts>,
    pub started_at: Option<Ts>,
    pub finished_at: Option<Ts>,
    pub no_show_at: Option<Ts>,
    pub rating: Option<Rating>,
    /// The open rating request: the window that asked and the nonce its tablet must send
    /// (cleared by the rating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_request: Option<RatingRequest>,
    pub history: Vec<HistoryEntry>,
    /// Issued by a kiosk from its lease while the hall was unreachable, uploaded later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<OfflineMark>,
}

/// A window's request for a rating, open until the ticket is rated or asked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRequest {
    pub window: u32,
    /// Drawn by the service (never the engine); only that window's rating tablet gets it.
    pub nonce: String,
}

/// Who rated a ticket, as the log records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum RatingSource {
    /// The visitor, with the ticket's own token (the only source before sources were logged).
    #[default]
    Visitor,
    /// The rating tablet (a `rating` device token) of the window that asked.
    Device { name: String },
}

/// What a window (counter) is doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    pub number: u32,
    pub open: bool,
    pub paused: Option<String>,
    pub current: Option<String>,
    pub normal_streak: u32,
    pub priority_streak: u32,
    pub served_today: u32,
    /// The staff number of whoever last acted at the window with their own account, until
    /// it closes: who is serving there now.
    #[serde(default)]
    pub staff: Option<String>,
    /// When the current pause began.
    #[serde(default)]
    pub paused_at: Option<Ts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueState {
    pub issued_today: u32,
    /// Mean seconds of service, measured (exponential moving average), kept across days.
    pub mean_service_secs: f64,
    /// The highest number the service issued itself today (they count up from 1).
    #[serde(default)]
    pub numbered: u32,
    /// The lowest number leased to a kiosk today (leases count down from 999); 0: none.
    #[serde(default)]
    pub lease_floor: u32,
}

/// Everything the engine knows. Only the current day's tickets are held; earlier days
/// live in the log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub date: Option<NaiveDate>,
    pub tickets: BTreeMap<String, Ticket>,
    pub queues: BTreeMap<String, QueueState>,
    pub windows: BTreeMap<u32, WindowState>,
    pub service_issued: HashMap<String, u32>,
    /// (identity hash, service) -> tickets taken today.
    pub person_issued: HashMap<String, u32>,
    /// request_id -> ticket id, for today's issues.
    pub requests: HashMap<String, String>,
    /// Queue id -> ids of its waiting tickets: an index over `tickets`, kept by `apply`
    /// so choosing and counting look at the waiting line only.
    pub waiting: BTreeMap<String, BTreeSet<String>>,
    /// "kiosk/device" -> the fault it reports (None: working). Kept across days.
    #[serde(default)]
    pub devices: BTreeMap<String, Option<String>>,
    /// Appointments by code, today's and later ones. Kept across days until their date.
    #[serde(default)]
    pub appointments: BTreeMap<String, Appointment>,
    /// The configuration version in force (0: the one the service started with, never
    /// changed through the API).
    #[serde(default)]
    pub config_version: u64,
    /// Today's number leases to kiosks, for offline issuing.
    #[serde(default)]
    pub leases: Vec<Lease>,
    /// Yesterday's leases: tickets issued offline before midnight may arrive after it.
    #[serde(default)]
    pub earlier_leases: Vec<Lease>,
    /// Ids of offline tickets of a day already closed that were uploaded (recorded in the
    /// log, not queued), so an upload repeated answers the same.
    #[serde(default)]
    pub uploaded: BTreeSet<String>,
    /// What orders each waiting ticket, by queue: a cache beside `waiting` so counting the
    /// people ahead scans a small table instead of looking every ticket up. Not saved;
    /// rebuilt by [`State::reindex`] after a snapshot is read.
    #[serde(skip)]
    wait_index: WaitIndex,
}

/// The fields of a waiting ticket that decide its place in line.
#[derive(Debug, Clone, Copy, PartialEq)]
struct WaitKey {
    priority: Priority,
    slot: Option<Ts>,
    wait_since: Ts,
}

impl WaitKey {
    fn of(t: &Ticket) -> WaitKey {
        WaitKey { priority: t.priority, slot: t.appointment_slot, wait_since: t.wait_since }
    }
}

/// Queue id -> ticket id -> its key. A cache: equal whatever it holds.
#[derive(Debug, Clone, Default)]
struct WaitIndex(HashMap<String, HashMap<String, WaitKey>>);

impl PartialEq for WaitIndex {
    fn eq(&self, _: &WaitIndex) -> bool {
        true
    }
}

impl State {
    /// The waiting tickets of a queue.
    pub fn waiting_in<'a>(&'a self, queue: &str) -> impl Iterator<Item = &'a Ticket> + 'a {
        self.waiting.get(queue).into_iter().flatten().filter_map(|id| self.tickets.get(id))
    }

    fn set_waiting(&mut self, queue: &str, id: &str, waiting: bool) {
        let line = self.waiting.entry(queue.to_string()).or_default();
        let keys = self.wait_index.0.entry(queue.to_string()).or_default();
        if waiting {
            line.insert(id.to_string());
            match self.tickets.get(id) {
                Some(t) => {
                    keys.insert(id.to_string(), WaitKey::of(t));
                }
                None => {
                    keys.remove(id);
                }
            }
        } else {
            line.remove(id);
            keys.remove(id);
        }
    }

    /// Rebuilds the caches that are not saved (after a snapshot is read).
    pub fn reindex(&mut self) {
        let mut index = WaitIndex::default();
        for (queue, ids) in &self.waiting {
            let keys = index.0.entry(queue.clone()).or_default();
            for id in ids {
                if let Some(t) = self.tickets.get(id) {
                    keys.insert(id.clone(), WaitKey::of(t));
                }
            }
        }
        self.wait_index = index;
        // Logs and snapshots from before offline issuing kept no `numbered`: today's
        // tickets say it.
        for t in self.tickets.values().filter(|t| t.offline.is_none()) {
            let n = t.number.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(0);
            let q = self.queues.entry(t.queue.clone()).or_default();
            q.numbered = q.numbered.max(n);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueRequest {
    pub request_id: String,
    pub service: String,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub channel: Channel,
    pub kiosk: Option<String>,
    pub holder: Option<Holder>,
    pub appointment_slot: Option<Ts>,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum WindowAction {
    Open,
    Close,
    CallNext,
    Recall,
    Call {
        ticket: String,
        reason: String,
    },
    Start,
    Finish,
    NoShow,
    Requeue {
        ticket: String,
    },
    Transfer {
        service: String,
    },
    Pause {
        reason: String,
    },
    Resume,
    /// Ask the visitor just served to rate the service on the window's rating tablet, with a
    /// one-time nonce drawn by the service.
    RequestRating {
        #[serde(default)]
        nonce: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    Issue(IssueRequest),
    Window {
        window: u32,
        action: WindowAction,
        /// Who acted: the staff number of a signed-in person, or the counter token's name.
        #[serde(default)]
        actor: Actor,
    },
    /// A rating: by the visitor (the API checked the ticket's token), or by a window's rating
    /// tablet, with the window it stands by and the nonce it was given (checked here).
    Rate {
        ticket: String,
        rating: Rating,
        #[serde(default)]
        source: RatingSource,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<DeviceRating>,
    },
    /// A kiosk reports one of its devices working (fault None) or not.
    DeviceStatus {
        kiosk: String,
        device: String,
        fault: Option<String>,
    },
    /// The booking system books an appointment.
    BookAppointment(Appointment),
    /// A visitor checks in for an appointment (by its code, or by ID card with the code
    /// found for them) and gets its ticket.
    CheckIn {
        code: String,
        issue: IssueRequest,
    },
    /// Only lets the clock roll the day over.
    Tick,
    /// Records that a new configuration version is in force (the service swaps it in).
    ConfigChanged {
        version: u64,
        digest: String,
        by: String,
        #[serde(default)]
        actor: Actor,
    },
    /// Records that a result was printed and collected (the documents store deleted it).
    ResultCollected {
        result: String,
        kiosk: String,
        #[serde(default)]
        actor: Actor,
    },
    /// Records that a service desk printed a ticket again (the visitor lost it).
    Reprint {
        ticket: String,
        desk: String,
        actor: Actor,
    },
    /// Records that a member of staff signed in (the session was granted) as `role`.
    StaffSignedIn {
        actor: Actor,
        role: Role,
    },
    /// Records that a member of staff signed out.
    StaffSignedOut {
        actor: Actor,
    },
    /// Records that scanned materials attached to a ticket were read.
    AttachmentRead {
        attachment: String,
        ticket: String,
        actor: Actor,
    },
    /// A kiosk takes a block of `size` numbers of `queue` for offline issuing today.
    Lease {
        kiosk: String,
        queue: String,
        size: u32,
    },
    /// A kiosk uploads a ticket it issued from its lease while the hall was unreachable.
    UploadOffline(Box<OfflineTicket>),
}

/// What a rating tablet presents with its rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRating {
    pub window: u32,
    pub nonce: String,
}

/// What happened. Serialized into the log, so variants and fields are only ever added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    DayOpened {
        date: NaiveDate,
        expired: Vec<String>,
    },
    TicketIssued {
        ticket: Box<Ticket>,
    },
    WindowOpened {
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    WindowClosed {
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketCalled {
        ticket: String,
        number: String,
        window: u32,
        reason: Option<String>,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketRecalled {
        ticket: String,
        number: String,
        window: u32,
        recalls: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    ServiceStarted {
        ticket: String,
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketFinished {
        ticket: String,
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketNoShow {
        ticket: String,
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketRequeued {
        ticket: String,
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketTransferred {
        ticket: String,
        window: u32,
        service: String,
        queue: String,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    WindowPaused {
        window: u32,
        reason: String,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    WindowResumed {
        window: u32,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    TicketRated {
        ticket: String,
        window: Option<u32>,
        rating: Rating,
        /// Who rated (logs from before this field: the visitor).
        #[serde(default)]
        source: RatingSource,
    },
    RatingRequested {
        ticket: String,
        window: u32,
        /// The one-time nonce for the window's rating tablet (empty in older logs).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        nonce: String,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    DeviceStatusChanged {
        kiosk: String,
        device: String,
        fault: Option<String>,
    },
    AppointmentBooked {
        appointment: Box<Appointment>,
    },
    AppointmentCheckedIn {
        code: String,
        ticket: String,
    },
    /// Configuration `version` (SHA-256 `digest` of its TOML) is in force from here on.
    ConfigChanged {
        version: u64,
        digest: String,
        by: String,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    /// Result `result` was printed and marked collected by `kiosk` (or a manager, by name).
    /// Changes no queue state: it is the print's record in the chain.
    ResultCollected {
        result: String,
        kiosk: String,
        /// Who acted (older logs: unrecorded).
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    /// Ticket `ticket` was printed again at service desk `desk` (a lost ticket): the
    /// reprint's record in the chain; the queue is unchanged.
    TicketReprinted {
        ticket: String,
        desk: String,
        #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
        actor: Actor,
    },
    /// A member of staff signed in (their staff number) and was given a session as `role`.
    StaffSignedIn {
        actor: Actor,
        role: Role,
    },
    /// A member of staff signed out.
    StaffSignedOut {
        actor: Actor,
    },
    /// Scanned materials (`attachment`) of `ticket` were read. Changes no queue state.
    AttachmentRead {
        attachment: String,
        ticket: String,
        actor: Actor,
    },
    /// Numbers leased to a kiosk for issuing while the hall is unreachable.
    NumbersLeased {
        lease: Lease,
    },
}

impl Event {
    /// The ticket this event is about, if any (indexed in the log).
    pub fn ticket_id(&self) -> Option<&str> {
        match self {
            Event::TicketIssued { ticket } => Some(&ticket.id),
            Event::TicketCalled { ticket, .. }
            | Event::TicketRecalled { ticket, .. }
            | Event::ServiceStarted { ticket, .. }
            | Event::TicketFinished { ticket, .. }
            | Event::TicketNoShow { ticket, .. }
            | Event::TicketRequeued { ticket, .. }
            | Event::TicketTransferred { ticket, .. }
            | Event::TicketRated { ticket, .. }
            | Event::RatingRequested { ticket, .. }
            | Event::AppointmentCheckedIn { ticket, .. }
            | Event::TicketReprinted { ticket, .. }
            | Event::AttachmentRead { ticket, .. } => Some(ticket),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Event::DayOpened { .. } => "day_opened",
            Event::TicketIssued { .. } => "ticket_issued",
            Event::WindowOpened { .. } => "window_opened",
            Event::WindowClosed { .. } => "window_closed",
            Event::TicketCalled { .. } => "ticket_called",
            Event::TicketRecalled { .. } => "ticket_recalled",
            Event::ServiceStarted { .. } => "service_started",
            Event::TicketFinished { .. } => "ticket_finished",
            Event::TicketNoShow { .. } => "ticket_no_show",
            Event::TicketRequeued { .. } => "ticket_requeued",
            Event::TicketTransferred { .. } => "ticket_transferred",
            Event::WindowPaused { .. } => "window_paused",
            Event::WindowResumed { .. } => "window_resumed",
            Event::TicketRated { .. } => "ticket_rated",
            Event::RatingRequested { .. } => "rating_requested",
            Event::DeviceStatusChanged { .. } => "device_status_changed",
            Event::AppointmentBooked { .. } => "appointment_booked",
            Event::AppointmentCheckedIn { .. } => "appointment_checked_in",
            Event::ConfigChanged { .. } => "config_changed",
            Event::ResultCollected { .. } => "result_collected",
            Event::TicketReprinted { .. } => "ticket_reprinted",
            Event::NumbersLeased { .. } => "numbers_leased",
            Event::StaffSignedIn { .. } => "staff_signed_in",
            Event::StaffSignedOut { .. } => "staff_signed_out",
            Event::AttachmentRead { .. } => "attachment_read",
        }
    }

    /// The window this event happened at, if any.
    pub fn window(&self) -> Option<u32> {
        match self {
            Event::WindowOpened { window, .. }
            | Event::WindowClosed { window, .. }
            | Event::TicketCalled { window, .. }
            | Event::TicketRecalled { window, .. }
            | Event::ServiceStarted { window, .. }
            | Event::TicketFinished { window, .. }
            | Event::TicketNoShow { window, .. }
            | Event::TicketRequeued { window, .. }
            | Event::TicketTransferred { window, .. }
            | Event::WindowPaused { window, .. }
            | Event::WindowResumed { window, .. }
            | Event::RatingRequested { window, .. } => Some(*window),
            _ => None,
        }
    }

    /// Who did what this event records: `None` for what the hall does by itself or what a
    /// device reports about itself (a new day, a ticket issued, a device's state…).
    pub fn actor(&self) -> Option<Actor> {
        match self {
            Event::WindowOpened { actor, .. }
            | Event::WindowClosed { actor, .. }
            | Event::TicketCalled { actor, .. }
            | Event::TicketRecalled { actor, .. }
            | Event::ServiceStarted { actor, .. }
            | Event::TicketFinished { actor, .. }
            | Event::TicketNoShow { actor, .. }
            | Event::TicketRequeued { actor, .. }
            | Event::TicketTransferred { actor, .. }
            | Event::WindowPaused { actor, .. }
            | Event::WindowResumed { actor, .. }
            | Event::RatingRequested { actor, .. }
            | Event::ConfigChanged { actor, .. }
            | Event::ResultCollected { actor, .. }
            | Event::TicketReprinted { actor, .. }
            | Event::StaffSignedIn { actor, .. }
            | Event::StaffSignedOut { actor }
            | Event::AttachmentRead { actor, .. } => Some(actor.clone()),
            Event::TicketRated { source: RatingSource::Visitor, .. } => Some(Actor::Visitor),
            Event::TicketRated { source: RatingSource::Device { name }, .. } => Some(Actor::token(name)),
            Event::DayOpened { .. }
            | Event::TicketIssued { .. }
            | Event::DeviceStatusChanged { .. }
            | Event::AppointmentBooked { .. }
            | Event::AppointmentCheckedIn { .. }
            | Event::NumbersLeased { .. } => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let num = |id: &str| id.split_once('-').map(|(_, n)| n.to_string()).unwrap_or_else(|| id.to_string());
        match self {
            Event::DayOpened { date, expired } if expired.is_empty() => write!(f, "day {date} opened"),
            Event::DayOpened { date, expired } => {
                let e: Vec<String> = expired.iter().map(|t| num(t)).collect();
                write!(f, "day {date} opened, expired {}", e.join(" "))
            }
            Event::TicketIssued { ticket: t } => write!(
                f,
                "issued {} {}{}{} ahead={} est={}m",
                t.number,
                t.service,
                match t.priority {
                    Priority::Normal => "",
                    Priority::Appointment => " appointment",
                    Priority::Green => " green",
                },
                match &t.offline {
                    None => String::new(),
                    Some(o) => format!(
                        " offline at {}{}{}",
                        t.issued_at.format("%H:%M:%S"),
                        if o.person_limit_breach { " over-limit" } else { "" },
                        o.replaces.as_deref().map(|r| format!(" replaces {r}")).unwrap_or_default()
                    ),
                },
                t.people_ahead_at_issue,
                t.estimate_minutes_at_issue
            ),
            Event::WindowOpened { window, .. } => write!(f, "w{window} opened"),
            Event::WindowClosed { window, .. } => write!(f, "w{window} closed"),
            Event::TicketCalled { number, window, reason: None, .. } => write!(f, "w{window} called {number}"),
            Event::TicketCalled { number, window, reason: Some(r), .. } => write!(f, "w{window} called {number} ({r})"),
            Event::TicketRecalled { number, window, recalls, .. } => write!(f, "w{window} recalled {number} #{recalls}"),
            Event::ServiceStarted { ticket, window, .. } => write!(f, "w{window} started {}", num(ticket)),
            Event::TicketFinished { ticket, window, .. } => write!(f, "w{window} finished {}", num(ticket)),
            Event::TicketNoShow { ticket, window, .. } => write!(f, "w{window} no-show {}", num(ticket)),
            Event::TicketRequeued { ticket, window, .. } => write!(f, "w{window} requeued {}", num(ticket)),
            Event::TicketTransferred { ticket, window, service, queue, .. } => {
                write!(f, "w{window} transferred {} to {service} (queue {queue})", num(ticket))
            }
            Event::WindowPaused { window, reason, .. } => write!(f, "w{window} paused ({reason})"),
            Event::WindowResumed { window, .. } => write!(f, "w{window} resumed"),
            Event::TicketRated { ticket, rating, source: RatingSource::Visitor, .. } => {
                write!(f, "rated {} {}", num(ticket), rating.label_zh())
            }
            Event::TicketRated { ticket, rating, source: RatingSource::Device { name }, .. } => {
                write!(f, "rated {} {} on {name}", num(ticket), rating.label_zh())
            }
            Event::RatingRequested { ticket, window, .. } => write!(f, "w{window} asks {} for a rating", num(ticket)),
            Event::DeviceStatusChanged { kiosk, device, fault: None } => write!(f, "{kiosk} {device} ok"),
            Event::DeviceStatusChanged { kiosk, device, fault: Some(m) } => write!(f, "{kiosk} {device} fault: {m}"),
            Event::AppointmentBooked { appointment: a } => {
                write!(f, "appointment {} {} at {}", a.code, a.service, a.slot.format("%Y-%m-%d %H:%M"))
            }
            Event::AppointmentCheckedIn { code, ticket } => write!(f, "appointment {code} checked in as {}", num(ticket)),
            Event::ConfigChanged { version, by, .. } => write!(f, "config v{version} by {by}"),
            Event::ResultCollected { result, kiosk, .. } => write!(f, "result {result} collected at {kiosk}"),
            Event::TicketReprinted { ticket, desk, .. } => write!(f, "{} reprinted at {desk}", num(ticket)),
            Event::StaffSignedIn { actor, role } => write!(f, "{actor} signed in as {role:?}"),
            Event::StaffSignedOut { actor } => write!(f, "{actor} signed out"),
            Event::AttachmentRead { attachment, ticket, actor } => write!(f, "attachment {attachment} of {} read by {actor}", num(ticket)),
            Event::NumbersLeased { lease: l } => write!(f, "{} leased {} {}-{}", l.kiosk, l.queue, l.from, l.to),
        }
    }
}

/// Why a command was refused. Each has a stable code and a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("没有这个事项：{0}。请从事项列表中选择。")]
    UnknownService(String),
    #[error("今天不办公，请在办公日前来。")]
    ClosedToday,
    #[error("现在不在取号时间，取号时间从 {0} 开始。")]
    BeforeHours(NaiveTime),
    #[error("午休时间暂停取号，{0} 恢复取号。")]
    LunchBreak(NaiveTime),
    #[error("今日取号已截止（{0}），请明天再来或网上办理。")]
    AfterCutoff(NaiveTime),
    #[error("{0}今日号源已取完，请明天再来或网上办理。")]
    QueueFull(String),
    #[error("{0}今日号源已取完，请明天再来或网上办理。")]
    ServiceFull(String),
    #[error("办理{0}需要刷身份证取号。")]
    IdentityRequired(String),
    #[error("您今天已取过{limit}次“{service}”的号，不能再取。如有疑问请咨询服务台。")]
    PersonLimit { service: String, limit: u32 },
    #[error("没有{0}号窗口。")]
    UnknownWindow(u32),
    #[error("窗口已暂停（{0}），请先恢复。")]
    WindowPaused(String),
    #[error("窗口没有暂停。")]
    WindowNotPaused,
    #[error("当前没有等候的号。")]
    NothingWaiting,
    #[error("窗口当前没有正在叫的号。")]
    NoCurrentTicket,
    #[error("请先办结或转办当前的号 {0}。")]
    CurrentInProgress(String),
    #[error("{0} 已重呼 {1} 次，达到上限，可标记为过号。")]
    RecallLimit(String, u32),
    #[error("刚刚呼叫过，请 {0} 秒后再重呼。")]
    RecallTooSoon(u32),
    #[error("请填写原因。")]
    ReasonRequired,
    #[error("今天没有这张票：{0}。")]
    UnknownTicket(String),
    #[error("{0} 不在等候中，不能呼叫。")]
    TicketNotWaiting(String),
    #[error("{0} 已办结或作废，不能补打。")]
    NotReprintable(String),
    #[error("{ticket} 属于{queue}队列，本窗口（{window}号）不办理。")]
    NotServedHere { ticket: String, queue: String, window: u32 },
    #[error("{0} 过号已超过 {1} 分钟，不能再重新排队，请重新取号。")]
    RequeueExpired(String, u32),
    #[error("{0} 不是过号状态。")]
    NotNoShow(String),
    #[error("转办的事项与当前事项相同。")]
    SameService,
    #[error("{0} 已经评价过了。")]
    AlreadyRated(String),
    #[error("{0} 还没有办理，办理后才能评价。")]
    NotServed(String),
    #[error("{0} 不是在 {1} 号窗口请求的评价，本评价器不能评价。")]
    NotRatedHere(String, u32),
    #[error("{0} 的评价码无效或已用过，请让窗口重新发起评价。")]
    BadRatingNonce(String),
    #[error("没有找到预约码 {0}，请核对后重新输入，或到服务台咨询。")]
    UnknownAppointment(String),
    #[error("预约码 {0} 已被另一项预约使用。")]
    DuplicateAppointment(String),
    #[error("预约码应为 4 到 16 位字母或数字。")]
    BadAppointmentCode,
    #[error("您预约的是 {0}，请在预约当天前来签到。")]
    AppointmentNotToday(NaiveDate),
    #[error("签到时间未到，请于 {0} 后签到。")]
    CheckInTooEarly(NaiveTime),
    #[error("预约时段（{0}）已过，请现场取号。")]
    AppointmentMissed(NaiveTime),
    #[error("此预约不是本人的预约，请核对证件或预约码。")]
    AppointmentNotYours,
    #[error("没有这个队列：{0}。")]
    UnknownQueue(String),
    #[error("本厅未开启离线取号（[kiosk] offline_block = 0）。")]
    OfflineIssuingOff,
    #[error("本机在{0}队列已有未用完的离线号段，用完并上传后才能再领。")]
    LeaseLimit(String),
    #[error("{0}队列今天已无可预留的离线号段。")]
    NoNumbersToLease(String),
    #[error("号码 {0} 不在本机今天领取的离线号段内。")]
    NotLeased(String),
    #[error("号码 {0} 已被使用。")]
    NumberTaken(String),
    #[error("离线票 {0} 的取号时间晚于叫号系统的时钟，请检查自助机时钟。")]
    IssuedInFuture(String),
}

impl Rejection {
    /// The stable code clients match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Rejection::UnknownService(_) => ErrorCode::UnknownService,
            Rejection::ClosedToday => ErrorCode::HallClosedToday,
            Rejection::BeforeHours(_) => ErrorCode::BeforeHours,
            Rejection::LunchBreak(_) => ErrorCode::LunchBreak,
            Rejection::AfterCutoff(_) => ErrorCode::AfterCutoff,
            Rejection::QueueFull(_) => ErrorCode::QueueFull,
            Rejection::ServiceFull(_) => ErrorCode::ServiceFull,
            Rejection::IdentityRequired(_) => ErrorCode::IdentityRequired,
            Rejection::PersonLimit { .. } => ErrorCode::PersonDailyLimit,
            Rejection::UnknownWindow(_) => ErrorCode::UnknownWindow,
            Rejection::WindowPaused(_) => ErrorCode::WindowPaused,
            Rejection::WindowNotPaused => ErrorCode::WindowNotPaused,
            Rejection::NothingWaiting => ErrorCode::NothingWaiting,
            Rejection::NoCurrentTicket => ErrorCode::NoCurrentTicket,
            Rejection::CurrentInProgress(_) => ErrorCode::CurrentInProgress,
            Rejection::RecallLimit(..) => ErrorCode::RecallLimit,
            Rejection::RecallTooSoon(_) => ErrorCode::RecallTooSoon,
            Rejection::ReasonRequired => ErrorCode::ReasonRequired,
            Rejection::UnknownTicket(_) => ErrorCode::UnknownTicket,
            Rejection::TicketNotWaiting(_) => ErrorCode::TicketNotWaiting,
            Rejection::NotReprintable(_) => ErrorCode::NotReprintable,
            Rejection::NotServedHere { .. } => ErrorCode::NotServedHere,
            Rejection::RequeueExpired(..) => ErrorCode::RequeueExpired,
            Rejection::NotNoShow(_) => ErrorCode::NotNoShow,
            Rejection::SameService => ErrorCode::SameService,
            Rejection::AlreadyRated(_) => ErrorCode::AlreadyRated,
            Rejection::NotServed(_) => ErrorCode::NotServed,
            Rejection::NotRatedHere(..) => ErrorCode::ForbiddenWindow,
            Rejection::BadRatingNonce(_) => ErrorCode::BadRatingNonce,
            Rejection::UnknownAppointment(_) => ErrorCode::UnknownAppointment,
            Rejection::DuplicateAppointment(_) => ErrorCode::DuplicateAppointment,
            Rejection::BadAppointmentCode => ErrorCode::BadAppointmentCode,
            Rejection::AppointmentNotToday(_) => ErrorCode::AppointmentNotToday,
            Rejection::CheckInTooEarly(_) => ErrorCode::CheckInTooEarly,
            Rejection::AppointmentMissed(_) => ErrorCode::AppointmentMissed,
            Rejection::AppointmentNotYours => ErrorCode::AppointmentNotYours,
            Rejection::UnknownQueue(_) => ErrorCode::UnknownQueue,
            Rejection::OfflineIssuingOff => ErrorCode::OfflineIssuingOff,
            Rejection::LeaseLimit(_) => ErrorCode::LeaseLimit,
            Rejection::NoNumbersToLease(_) => ErrorCode::NoNumbersToLease,
            Rejection::NotLeased(_) => ErrorCode::NotLeased,
            Rejection::NumberTaken(_) => ErrorCode::NumberTaken,
            Rejection::IssuedInFuture(_) => ErrorCode::IssuedInFuture,
        }
    }
}

/// The answer to a command that was accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A ticket was issued now, or this request_id had already been answered with it.
    Ticket { id: String, repeated: bool },
    /// The command changed a window or ticket; the events say how.
    Done,
}

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
        Command::Reprint { ticket, desk, actor } => {
            let t = state.tickets.get(ticket).ok_or_else(|| Rejection::UnknownTicket(ticket.clone()))?;
            if !matches!(t.status, Status::Waiting | Status::Called | Status::NoShow) {
                return Err(Rejection::NotReprintable(t.number.clone()));
            }
            Ok((vec![Event::TicketReprinted { ticket: ticket.clone(), desk: desk.clone(), actor: actor.clone() }], Outcome::Done))
        }
        Command::StaffSignedIn { actor, role } => Ok((vec![Event::StaffSignedIn { actor: actor.clone(), role: *role }], Outcome::Done)),
        Command::StaffSignedOut { actor } => Ok((vec![Event::StaffSignedOut { actor: actor.clone() }], Outcome::Done)),
        Command::AttachmentRead { attachment, ticket, actor } => Ok((
            vec![Event::AttachmentRead { attachment: attachment.clone(), ticket: ticket.clone(), actor: actor.clone() }],
            Outcome::Done,
        )),
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

fn decide_issue(state: &State, config: &Config, req: &IssueRequest, now: Ts) -> Result<(Vec<Event>, Outcome), Rejection> {
    if let Some(id) = state.requests.get(&req.request_id) {
        return Ok((vec![], Outcome::Ticket { id: id.clone(), repeated: true }));
    }
    let service = config.service(&req.service).ok_or_else(|| Rejection::UnknownService(req.service.clone()))?;
    check_issue_hours(config, now)?;
    let queue = config.queue(&service.queue).expect("validated config: service queue exists");
    let qstate = state.queues.get(&queue.id).cloned().unwrap_or_default();
    if qstate.issued_today >= queue.daily_cap {
        return Err(Rejection::QueueFull(queue.name.clone()));
    }
    if state.service_issued.get(&service.id).copied().unwrap_or(0) >= service.daily_cap {
        return Err(Rejection::ServiceFull(service.name.clone()));
    }
    if service.identity == IdentityRule::Required && req.holder.is_none() {
        return Err(Rejection::IdentityRequired(service.name.clone()));
    }
    if let Some(h) = &req.holder {
        let taken = state.person_issued.get(&person_key(&h.id_hash, &service.id)).copied().unwrap_or(0);
        if config.rules.per_person_daily_limit > 0 && taken >= config.rules.per_person_daily_limit {
            return Err(Rejection::PersonLimit { service: service.name.clone(), limit: config.rules.per_person_daily_limit });
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
        return Err(Rejection::QueueFull(queue.name.clone()));
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
        history: vec![HistoryEntry { at: now, what: "issued".into(), window: None, note: None, by: None }],
        offline: None,
    };
    let ahead = people_ahead(state, config, &ticket, now);
    ticket.people_ahead_at_issue = ahead;
    ticket.estimate_minutes_at_issue = estimate_minutes(state, config, &queue.id, ahead);
    Ok((vec![Event::TicketIssued { ticket: Box::new(ticket) }], Outcome::Ticket { id, repeated: false }))
}

fn decide_check_in(state: &State, config: &Config, code: &str, req: &IssueRequest, now: Ts) -> Result<(Vec<Event>, Outcome), Rejection> {
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

fn check_issue_hours(config: &Config, now: Ts) -> Result<(), Rejection> {
    let here = local(config, now);
    if !config.open_days().contains(&here.weekday()) {
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

fn person_key(id_hash: &str, service: &str) -> String {
    format!("{id_hash}/{service}")
}

/// Which line a waiting ticket stands in when a window chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Green channel, and appointments whose slot is due.
    Priority,
    Normal,
    /// Appointments not yet due: called only when nobody else waits.
    Early,
}

fn class_of(config: &Config, t: &Ticket, now: Ts) -> Class {
    class_of_key(config, &WaitKey::of(t), now)
}

fn class_of_key(config: &Config, t: &WaitKey, now: Ts) -> Class {
    match t.priority {
        Priority::Green => Class::Priority,
        Priority::Appointment => match t.slot {
            Some(slot) if now < slot - chrono::Duration::minutes(config.rules.appointment_early_minutes as i64) => Class::Early,
            _ => Class::Priority,
        },
        Priority::Normal => Class::Normal,
    }
}

/// The key a ticket is ordered by within its class: appointments by slot, others by wait.
fn order_key(t: &Ticket) -> (Ts, &str) {
    order_of_key(&WaitKey::of(t), &t.id)
}

fn order_of_key<'a>(k: &WaitKey, id: &'a str) -> (Ts, &'a str) {
    match (k.priority, k.slot) {
        (Priority::Appointment, Some(slot)) => (slot, id),
        _ => (k.wait_since, id),
    }
}

/// People who will be called before `t` in its queue (now, as things stand).
pub fn people_ahead(state: &State, config: &Config, t: &Ticket, now: Ts) -> u32 {
    let key = WaitKey::of(t);
    let class = class_of_key(config, &key, now);
    // `t` itself (when waiting) has its own key and id, so it is never before itself.
    let ahead = |(id, k): (&str, &WaitKey)| {
        let oc = class_of_key(config, k, now);
        oc < class || (oc == class && order_of_key(k, id) < order_of_key(&key, &t.id))
    };
    let line = state.waiting.get(&t.queue).map_or(0, |w| w.len());
    match state.wait_index.0.get(&t.queue) {
        // The index agrees with the line: scan it.
        Some(keys) if keys.len() == line => keys.iter().map(|(id, k)| (id.as_str(), k)).filter(|e| ahead(*e)).count() as u32,
        // A state read without its caches: look each ticket up.
        _ => state.waiting_in(&t.queue).map(|o| (o.id.as_str(), WaitKey::of(o))).filter(|(id, k)| ahead((id, k))).count() as u32,
    }
}

/// Minutes until `ahead` people have been served in `queue`, from measured service times
/// and the windows open for it (or all windows that serve it, before any opened).
pub fn estimate_minutes(state: &State, config: &Config, queue: &str, ahead: u32) -> u32 {
    if ahead == 0 {
        return 0;
    }
    let mean_secs = state
        .queues
        .get(queue)
        .map(|q| q.mean_service_secs)
        .filter(|s| *s > 0.0)
        .unwrap_or_else(|| config.queue(queue).map(|q| q.service_minutes as f64 * 60.0).unwrap_or(600.0));
    let serving: Vec<&crate::config::Window> = config.windows.iter().filter(|w| config.window_serves(w, queue)).collect();
    let open = serving.iter().filter(|w| state.windows.get(&w.number).is_some_and(|s| s.open && s.paused.is_none())).count();
    let windows = if open > 0 { open } else { serving.len().max(1) };
    ((ahead as f64 * mean_secs / windows as f64) / 60.0).ceil() as u32
}

fn window_state(state: &State, number: u32) -> WindowState {
    state.windows.get(&number).cloned().unwrap_or(WindowState { number, ..Default::default() })
}

fn current_ticket<'a>(state: &'a State, w: &WindowState) -> Option<&'a Ticket> {
    w.current.as_ref().and_then(|id| state.tickets.get(id))
}

fn require_reason(reason: &str) -> Result<String, Rejection> {
    let r = reason.trim();
    if r.is_empty() {
        Err(Rejection::ReasonRequired)
    } else {
        Ok(r.to_string())
    }
}

fn decide_window(
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
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn find_ticket<'a>(state: &'a State, key: &str) -> Result<&'a Ticket, Rejection> {
    // Staff type the number ("A001"); clients may send the full id.
    state
        .tickets
        .get(key)
        .or_else(|| state.tickets.values().find(|t| t.number.eq_ignore_ascii_case(key)))
        .ok_or_else(|| Rejection::UnknownTicket(key.to_string()))
}

/// The ticket window `w` calls next: the priority ratio between classes, longest wait
/// first within a class across all the queues the window serves.
fn choose_next<'a>(state: &'a State, config: &Config, w: &WindowState, now: Ts) -> Option<&'a Ticket> {
    let wconf = config.window(w.number)?;
    let mut best: [Option<&Ticket>; 3] = [None, None, None];
    let queues = config.queues.iter().filter(|q| config.window_serves(wconf, &q.id));
    for t in queues.flat_map(|q| state.waiting_in(&q.id)) {
        let slot = &mut best[class_of(config, t, now) as usize];
        if slot.is_none_or(|b| order_key(t) < order_key(b)) {
            *slot = Some(t);
        }
    }
    let [priority, normal, early] = best;
    let ratio = config.rules.call_ratio;
    match (priority, normal) {
        (Some(p), Some(n)) => {
            if ratio.priority > 0 && w.normal_streak >= ratio.normal {
                Some(p)
            } else {
                Some(n)
            }
        }
        (Some(p), None) => Some(p),
        (None, Some(n)) => Some(n),
        (None, None) => early,
    }
}

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
        // Records in the chain that change no queue state.
        Event::ResultCollected { .. } | Event::StaffSignedIn { .. } | Event::StaffSignedOut { .. } | Event::AttachmentRead { .. } => {}
        Event::AppointmentBooked { appointment } => {
            state.appointments.insert(appointment.code.clone(), (**appointment).clone());
        }
        Event::TicketReprinted { ticket, desk, .. } => {
            if let Some(t) = state.tickets.get_mut(ticket) {
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

fn release(state: &mut State, window: u32, ticket: &str, served: bool) {
    if let Some(w) = state.windows.get_mut(&window) {
        if w.current.as_deref() == Some(ticket) {
            w.current = None;
        }
        if served {
            w.served_today += 1;
        }
    }
}

/// Waiting count and estimated wait for the last in line, per queue.
pub fn queue_summary(state: &State, config: &Config) -> Vec<(String, u32, u32)> {
    config
        .queues
        .iter()
        .map(|q| {
            let waiting = state.waiting.get(&q.id).map_or(0, |w| w.len()) as u32;
            (q.id.clone(), waiting, estimate_minutes(state, config, &q.id, waiting))
        })
        .collect()
}
