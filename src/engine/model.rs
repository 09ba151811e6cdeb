//! What the engine knows: tickets, windows, queues, appointments and the day's state,
//! with the index of waiting tickets that keeps calls fast.

use super::*;

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
    /// Who issued it, in the hash-chained `ticket_issued` event (older logs: unrecorded).
    /// Counters and managers may see it; no view for a visitor or a display carries it.
    #[serde(default, skip_serializing_if = "Actor::is_unrecorded")]
    pub issued_by: Actor,
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
    /// Kiosks whose visitor asked for staff (帮办) and nobody has answered yet: when, and
    /// the kiosk's place.
    #[serde(default)]
    pub help: BTreeMap<String, (Ts, String)>,
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
    pub(super) wait_index: WaitIndex,
}

/// The fields of a waiting ticket that decide its place in line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WaitKey {
    pub(super) priority: Priority,
    pub(super) slot: Option<Ts>,
    pub(super) wait_since: Ts,
}

impl WaitKey {
    pub(super) fn of(t: &Ticket) -> WaitKey {
        WaitKey { priority: t.priority, slot: t.appointment_slot, wait_since: t.wait_since }
    }
}

/// Queue id -> ticket id -> its key. A cache: equal whatever it holds.
#[derive(Debug, Clone, Default)]
pub(super) struct WaitIndex(pub(super) HashMap<String, HashMap<String, WaitKey>>);

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

    pub(super) fn set_waiting(&mut self, queue: &str, id: &str, waiting: bool) {
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
