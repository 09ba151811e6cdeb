//! The event stream, `GET /events?since=SEQ` (WebSocket, one JSON text message each).
//! The first message is a [`Hello`]; then every event after `since` the caller's role may
//! see, in order of `seq`, each once. Events a role may not see are left out, so `seq` can
//! jump. What a role receives of each event is decided by the service (`api::views`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enums::{Actor, Channel, Priority, Rating, Role};
use crate::ids::{QueueId, ServiceId, TicketId, TicketNumber, WindowNo};
use crate::views::HolderView;

/// The stream's first message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hello {
    /// Always "hello".
    #[serde(rename = "type")]
    pub kind: HelloKind,
    /// The newest event in the log when the stream started.
    pub last_seq: u64,
    /// Events after this one follow.
    pub since: u64,
}

/// The `type` tag of the first message; only "hello" exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HelloKind {
    /// The stream's greeting (`"type": "hello"`).
    Hello,
}

/// One logged event, as the caller's role may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StreamEvent {
    /// The event's sequence number in the log: resume with `since=seq`.
    pub seq: u64,
    /// When the event was logged (UTC).
    pub at: DateTime<Utc>,
    /// What happened, tagged by `type`.
    #[serde(flatten)]
    pub event: EventView,
}

/// A ticket as the stream announces it: no token, no request_id, the holder masked and
/// only for staff who may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssuedTicket {
    /// The ticket's id.
    pub id: TicketId,
    /// The number printed and called.
    pub number: TicketNumber,
    /// The item it was issued for.
    pub service: ServiceId,
    /// The queue it joined.
    pub queue: QueueId,
    /// Its priority.
    pub priority: Priority,
    /// Where it was issued.
    pub channel: Channel,
    /// The holder, masked: for managers, and counters serving its queue; `None` for everyone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<HolderView>,
    /// Issued by a kiosk from its lease while the hall was unreachable (uploaded since).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
}

/// One logged event, by its `type`, with only what the receiving role may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventView {
    /// A new business day; tickets still open from the day before expired.
    DayOpened {
        /// The hall day that opened.
        date: NaiveDate,
        /// Tickets of the day before that were still open and are now void.
        expired: Vec<TicketId>,
    },
    /// A ticket was issued (also an offline ticket uploaded).
    TicketIssued {
        /// The ticket, without its token.
        ticket: IssuedTicket,
    },
    /// A window was opened (staffed).
    WindowOpened {
        /// The window.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A window was closed.
    WindowClosed {
        /// The window.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A ticket was called to a window (displays show and speak it).
    TicketCalled {
        /// The ticket called.
        ticket: TicketId,
        /// Its number, as shown and spoken.
        number: TicketNumber,
        /// The window to go to.
        window: WindowNo,
        /// Why a ticket was called out of turn (staff and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A called ticket was called again (displays mark it 重呼).
    TicketRecalled {
        /// The ticket recalled.
        ticket: TicketId,
        /// Its number.
        number: TicketNumber,
        /// The window calling it.
        window: WindowNo,
        /// Recalls of this call so far, this one included.
        recalls: u32,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// The visitor arrived and the window started serving them.
    ServiceStarted {
        /// The ticket served.
        ticket: TicketId,
        /// The window serving it.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// The window finished serving a ticket.
    TicketFinished {
        /// The ticket finished.
        ticket: TicketId,
        /// The window that served it.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A called ticket was marked a no-show (过号).
    TicketNoShow {
        /// The ticket.
        ticket: TicketId,
        /// The window that called it.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A no-show ticket was put back in its queue.
    TicketRequeued {
        /// The ticket.
        ticket: TicketId,
        /// The window that put it back.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A ticket was sent to another item's queue (it waits there in its turn).
    TicketTransferred {
        /// The ticket.
        ticket: TicketId,
        /// The window that transferred it.
        window: WindowNo,
        /// The item it was transferred to.
        service: ServiceId,
        /// The queue it now waits in.
        queue: QueueId,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A window paused (a break); it calls nothing until it resumes.
    WindowPaused {
        /// The window.
        window: WindowNo,
        /// Why, as shown on the window display.
        reason: String,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A paused window resumed.
    WindowResumed {
        /// The window.
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A visitor rated a ticket's service.
    TicketRated {
        /// The ticket rated.
        ticket: TicketId,
        /// The window that served it, if known.
        window: Option<WindowNo>,
        /// The rating.
        rating: Rating,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A window asked its visitor to rate the service (the rating tablet lights up).
    RatingRequested {
        /// The ticket to rate.
        ticket: TicketId,
        /// The window asking.
        window: WindowNo,
        /// The one-time nonce a rating tablet sends with the rating: only the tablet bound to
        /// this window receives it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A kiosk reported one of its devices failing or working again (managers only).
    DeviceStatusChanged {
        /// The kiosk's token name.
        kiosk: String,
        /// The device, such as `ticket-printer`.
        device: String,
        /// The fault for staff; `None` when the device works again.
        fault: Option<String>,
    },
    /// The booking system booked an appointment (managers only).
    AppointmentBooked {
        /// The booking code the visitor checks in with.
        code: String,
        /// The item booked.
        service: ServiceId,
        /// Start of the booked slot (UTC).
        slot: DateTime<Utc>,
        /// The person, masked.
        holder: Option<HolderView>,
    },
    /// An appointment was checked in at a kiosk and its ticket issued.
    AppointmentCheckedIn {
        /// The booking code.
        code: String,
        /// The ticket issued for it.
        ticket: TicketId,
    },
    /// Configuration `version` is in force from here on: fetch `/catalog` or `/state` again.
    /// `by` (the token or person that made it) is empty except for counters and managers.
    ConfigChanged {
        /// The version now in force.
        version: u64,
        /// SHA-256 of its TOML (hex).
        digest: String,
        /// The token or person that made the change (empty for other roles).
        by: String,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A result was printed and marked collected, by this kiosk (or manager). Managers only.
    ResultCollected {
        /// The result document's id.
        result: String,
        /// The kiosk's token name (or the manager's) that printed it.
        kiosk: String,
        /// Who did it (managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A member of staff signed in, given a session as `role`. Managers only.
    StaffSignedIn {
        /// Who signed in.
        actor: Actor,
        /// The role the session has (counter or manager).
        role: Role,
    },
    /// A member of staff signed out. Managers only.
    StaffSignedOut {
        /// Who signed out.
        actor: Actor,
    },
    /// `ticket` was printed again at service desk `desk` (a lost ticket). Staff only.
    TicketReprinted {
        /// The ticket reprinted.
        ticket: TicketId,
        /// The desk's id.
        desk: String,
        /// Who did it (staff only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// The scanned materials `attachment` of `ticket` were read. Managers only.
    AttachmentRead {
        /// The attachment's id.
        attachment: String,
        /// The ticket it belongs to.
        ticket: TicketId,
        /// Who read it.
        actor: Actor,
    },
    /// Numbers `from..=to` of a queue leased to a kiosk for issuing offline today. Managers only.
    NumbersLeased {
        /// The kiosk's token name.
        kiosk: String,
        /// The queue the numbers are of.
        queue: QueueId,
        /// The hall day the numbers are for.
        date: NaiveDate,
        /// The lowest number of the block.
        from: u32,
        /// The highest number of the block.
        to: u32,
    },
    /// A visitor at a kiosk asked for staff (帮办). Staff and managers only.
    HelpRequested {
        /// The kiosk's token name.
        kiosk: String,
        /// Where the kiosk stands, as configured (such as "1楼大厅东侧").
        #[serde(default, skip_serializing_if = "String::is_empty")]
        place: String,
    },
    /// A member of staff is on the way to a kiosk's visitor. Staff and managers only.
    HelpAnswered {
        /// The kiosk's token name.
        kiosk: String,
        /// Who answered.
        actor: Actor,
    },
    /// An event this client does not know (a newer hall service).
    #[serde(other)]
    Unknown,
}

impl EventView {
    /// The event's type as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            EventView::DayOpened { .. } => "day_opened",
            EventView::TicketIssued { .. } => "ticket_issued",
            EventView::WindowOpened { .. } => "window_opened",
            EventView::WindowClosed { .. } => "window_closed",
            EventView::TicketCalled { .. } => "ticket_called",
            EventView::TicketRecalled { .. } => "ticket_recalled",
            EventView::ServiceStarted { .. } => "service_started",
            EventView::TicketFinished { .. } => "ticket_finished",
            EventView::TicketNoShow { .. } => "ticket_no_show",
            EventView::TicketRequeued { .. } => "ticket_requeued",
            EventView::TicketTransferred { .. } => "ticket_transferred",
            EventView::WindowPaused { .. } => "window_paused",
            EventView::WindowResumed { .. } => "window_resumed",
            EventView::TicketRated { .. } => "ticket_rated",
            EventView::RatingRequested { .. } => "rating_requested",
            EventView::DeviceStatusChanged { .. } => "device_status_changed",
            EventView::AppointmentBooked { .. } => "appointment_booked",
            EventView::AppointmentCheckedIn { .. } => "appointment_checked_in",
            EventView::ConfigChanged { .. } => "config_changed",
            EventView::ResultCollected { .. } => "result_collected",
            EventView::NumbersLeased { .. } => "numbers_leased",
            EventView::StaffSignedIn { .. } => "staff_signed_in",
            EventView::StaffSignedOut { .. } => "staff_signed_out",
            EventView::AttachmentRead { .. } => "attachment_read",
            EventView::TicketReprinted { .. } => "ticket_reprinted",
            EventView::HelpRequested { .. } => "help_requested",
            EventView::HelpAnswered { .. } => "help_answered",
            EventView::Unknown => "unknown",
        }
    }

    /// Who did it, where the viewer may see it.
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            EventView::WindowOpened { actor, .. }
            | EventView::WindowClosed { actor, .. }
            | EventView::TicketCalled { actor, .. }
            | EventView::TicketRecalled { actor, .. }
            | EventView::ServiceStarted { actor, .. }
            | EventView::TicketFinished { actor, .. }
            | EventView::TicketNoShow { actor, .. }
            | EventView::TicketRequeued { actor, .. }
            | EventView::TicketTransferred { actor, .. }
            | EventView::WindowPaused { actor, .. }
            | EventView::WindowResumed { actor, .. }
            | EventView::TicketRated { actor, .. }
            | EventView::RatingRequested { actor, .. }
            | EventView::ConfigChanged { actor, .. }
            | EventView::ResultCollected { actor, .. }
            | EventView::TicketReprinted { actor, .. } => actor.as_ref(),
            EventView::StaffSignedIn { actor, .. }
            | EventView::StaffSignedOut { actor }
            | EventView::AttachmentRead { actor, .. }
            | EventView::HelpAnswered { actor, .. } => Some(actor),
            _ => None,
        }
    }

    /// A call or recall shown on the displays: (ticket, number, window).
    pub fn call(&self) -> Option<(&TicketId, &TicketNumber, WindowNo)> {
        match self {
            EventView::TicketCalled { ticket, number, window, .. } | EventView::TicketRecalled { ticket, number, window, .. } => {
                Some((ticket, number, *window))
            }
            _ => None,
        }
    }
}

/// A message of the stream as a client reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StreamMessage {
    /// The stream's first message.
    Hello(Hello),
    /// An event.
    Event(StreamEvent),
}
