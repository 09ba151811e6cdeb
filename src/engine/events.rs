//! What happened: the events the engine decides, logged and replayed in order.

use super::*;

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
        /// The new status-page token printed on the new paper (the lost one's stops working).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        token: String,
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
    /// A visitor at `kiosk` asked for staff (帮办).
    HelpRequested {
        kiosk: String,
        /// Where the kiosk stands (its configured place, or empty).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        place: String,
    },
    /// A member of staff answered `kiosk`'s call for help.
    HelpAnswered {
        kiosk: String,
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
            Event::HelpRequested { .. } => "help_requested",
            Event::HelpAnswered { .. } => "help_answered",
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
            | Event::AttachmentRead { actor, .. }
            | Event::HelpAnswered { actor, .. } => Some(actor.clone()),
            Event::TicketRated { source: RatingSource::Visitor, .. } => Some(Actor::Visitor),
            Event::TicketRated { source: RatingSource::Device { name }, .. } => Some(Actor::token(name)),
            // Who issued it (a kiosk's or a system's token, a member of staff at the desk or
            // a counter); logs from before this was recorded: none.
            Event::TicketIssued { ticket } => (!ticket.issued_by.is_unrecorded()).then(|| ticket.issued_by.clone()),
            Event::DayOpened { .. }
            | Event::DeviceStatusChanged { .. }
            | Event::AppointmentBooked { .. }
            | Event::AppointmentCheckedIn { .. }
            | Event::NumbersLeased { .. } => None,
            // The visitor at the kiosk asked.
            Event::HelpRequested { .. } => Some(Actor::Visitor),
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
            )
            // The person, when a member of staff issued it (a kiosk's is the kiosk's).
            .and_then(|()| match &t.issued_by {
                by @ Actor::Staff { .. } => write!(f, " by {by}"),
                _ => Ok(()),
            }),
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
            Event::HelpRequested { kiosk, .. } => write!(f, "{kiosk} asks for help"),
            Event::HelpAnswered { kiosk, actor } => write!(f, "{kiosk} help answered by {actor}"),
            Event::NumbersLeased { lease: l } => write!(f, "{} leased {} {}-{}", l.kiosk, l.queue, l.from, l.to),
        }
    }
}
