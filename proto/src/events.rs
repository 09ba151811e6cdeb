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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HelloKind {
    Hello,
}

/// One logged event, as the caller's role may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StreamEvent {
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: EventView,
}

/// A ticket as the stream announces it: no token, no request_id, the holder masked and
/// only for staff who may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssuedTicket {
    pub id: TicketId,
    pub number: TicketNumber,
    pub service: ServiceId,
    pub queue: QueueId,
    pub priority: Priority,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<HolderView>,
    /// Issued by a kiosk from its lease while the hall was unreachable (uploaded since).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventView {
    /// A new business day; tickets still open from the day before expired.
    DayOpened {
        date: NaiveDate,
        expired: Vec<TicketId>,
    },
    TicketIssued {
        ticket: IssuedTicket,
    },
    WindowOpened {
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    WindowClosed {
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketCalled {
        ticket: TicketId,
        number: TicketNumber,
        window: WindowNo,
        /// Why a ticket was called out of turn (staff and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketRecalled {
        ticket: TicketId,
        number: TicketNumber,
        window: WindowNo,
        recalls: u32,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    ServiceStarted {
        ticket: TicketId,
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketFinished {
        ticket: TicketId,
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketNoShow {
        ticket: TicketId,
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketRequeued {
        ticket: TicketId,
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketTransferred {
        ticket: TicketId,
        window: WindowNo,
        service: ServiceId,
        queue: QueueId,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    WindowPaused {
        window: WindowNo,
        reason: String,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    WindowResumed {
        window: WindowNo,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    TicketRated {
        ticket: TicketId,
        window: Option<WindowNo>,
        rating: Rating,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    RatingRequested {
        ticket: TicketId,
        window: WindowNo,
        /// The one-time nonce a rating tablet sends with the rating: only the tablet bound to
        /// this window receives it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    DeviceStatusChanged {
        kiosk: String,
        device: String,
        fault: Option<String>,
    },
    AppointmentBooked {
        code: String,
        service: ServiceId,
        slot: DateTime<Utc>,
        holder: Option<HolderView>,
    },
    AppointmentCheckedIn {
        code: String,
        ticket: TicketId,
    },
    /// Configuration `version` is in force from here on: fetch `/catalog` or `/state` again.
    /// `by` (the token or person that made it) is empty except for counters and managers.
    ConfigChanged {
        version: u64,
        digest: String,
        by: String,
        /// Who did it (counters and managers only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A result was printed and marked collected, by this kiosk (or manager). Managers only.
    ResultCollected {
        result: String,
        kiosk: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// A member of staff signed in, given a session as `role`. Managers only.
    StaffSignedIn {
        actor: Actor,
        role: Role,
    },
    /// A member of staff signed out. Managers only.
    StaffSignedOut {
        actor: Actor,
    },
    /// `ticket` was printed again at service desk `desk` (a lost ticket). Staff only.
    TicketReprinted {
        ticket: TicketId,
        desk: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor: Option<Actor>,
    },
    /// The scanned materials `attachment` of `ticket` were read. Managers only.
    AttachmentRead {
        attachment: String,
        ticket: TicketId,
        actor: Actor,
    },
    /// Numbers `from..=to` of a queue leased to a kiosk for issuing offline today. Managers only.
    NumbersLeased {
        kiosk: String,
        queue: QueueId,
        date: NaiveDate,
        from: u32,
        to: u32,
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
            EventView::StaffSignedIn { actor, .. } | EventView::StaffSignedOut { actor } | EventView::AttachmentRead { actor, .. } => {
                Some(actor)
            }
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
    Hello(Hello),
    Event(StreamEvent),
}
