//! Request bodies of `/api/v1`. Unknown fields are refused, so a typo is an error and not a
//! silently ignored wish.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enums::{Priority, Rating};
use crate::ids::{RequestId, ServiceId, TicketId};

/// A person as an ID-card reader (or the booking and approval systems) read them. The
/// clear number goes to the hall service and no further: the service keeps a masked copy
/// and a keyed hash. Its `Debug` shows only the masked form.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The 18-character resident ID number (GB 11643).
    #[schema(example = "110101199003071234")]
    pub id_number: String,
    /// The name as on the card.
    #[schema(example = "张三")]
    pub name: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n: Vec<char> = self.id_number.chars().collect();
        let masked: String = n.iter().enumerate().map(|(i, c)| if i < 4 || i + 4 >= n.len() { *c } else { '*' }).collect();
        let name: String = self.name.chars().take(1).chain(self.name.chars().skip(1).map(|_| '*')).collect();
        f.debug_struct("Identity").field("id_number", &masked).field("name", &name).finish()
    }
}

/// `POST /tickets`: take a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueTicket {
    /// The client's id of this tap: a retry with the same id returns the first ticket.
    pub request_id: RequestId,
    /// The item the visitor chose (`CatalogService::id`).
    pub service: ServiceId,
    /// The card read, for items that need one: the service keeps only a masked copy and a keyed
    /// hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The ticket's priority, normal when left out. A kiosk asking for one only staff or the
    /// age rule give is refused (`forbidden_priority`); `appointment` needs `appointment_slot`.
    #[serde(default)]
    pub priority: Priority,
    /// Start of the booked slot, for `priority: appointment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_slot: Option<DateTime<FixedOffset>>,
}

/// `POST /tickets/{id}/evaluation`: the visitor's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluate {
    /// The visitor's rating.
    pub rating: Rating,
    /// The ticket's own token, when the visitor rates on their phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// From a rating tablet: the one-time nonce of the `rating_requested` event it received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// The body of `POST /windows/{window}/{action}` (empty for most actions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowCommand {
    /// For `call` and `requeue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketId>,
    /// For `call` (out of turn) and `pause`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `transfer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
}

/// `POST /login`: a member of staff signs in. `Debug` hides the password.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The staff number (工号).
    pub staff_id: String,
    /// The password, checked against the Argon2 hash of the configuration; never logged.
    pub password: String,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("staff_id", &self.staff_id).field("password", &"…").finish()
    }
}

/// `POST /devices/status`: a kiosk reports one of its devices working or failing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceStatus {
    /// The device, one of a fixed list: `ticket-printer`, `idcard-reader`, `a4-printer`, `scanner`.
    #[schema(example = "ticket-printer")]
    pub device: String,
    /// None: working.
    pub fault: Option<String>,
}

/// `POST /appointments`: the booking system books an appointment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookAppointment {
    /// The booking system's code for the appointment, which the visitor checks in with at a kiosk.
    pub code: String,
    /// The item booked.
    pub service: ServiceId,
    /// Start of the booked slot, with its offset.
    pub slot: DateTime<FixedOffset>,
    /// The person who booked, when known: check-in by card then matches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
}

/// `POST /appointments/find` and `POST /results/find`: what is waiting for this person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindFor {
    /// The person as the card reader read them (number and name must both match).
    pub identity: Identity,
}

/// `POST /appointments/{code}/check-in`: issues the appointment's ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The client's id of this tap: a retry returns the first ticket.
    pub request_id: RequestId,
    /// The card on the reader, when the visitor checks in by card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
}

/// `POST /results`: the approval system delivers a result document for self-printing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverResult {
    /// The approval system's id of the document: delivering it again changes nothing.
    pub external_id: String,
    /// The person the result is for: the kiosk finds it by their ID number and name together.
    pub identity: Identity,
    /// What the document is, as the kiosk shows it.
    pub title: String,
    /// The issuing department, as the kiosk shows it.
    #[serde(default)]
    pub department: String,
    /// The PDF, base64-encoded (it must be a PDF: `not_pdf`).
    pub pdf_base64: String,
    /// Days to keep it uncollected, 1 to 365 (default: the hall's `result_keep_days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<u32>,
}

/// The actions of `POST /windows/{window}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WindowAction {
    /// Staff the window: it takes part in calls and estimates.
    Open,
    /// Close the window (stops calling).
    Close,
    /// Call the next ticket in the window's order.
    CallNext,
    /// Call the current ticket again (within the recall limits).
    Recall,
    /// Call a given ticket out of turn (`ticket`, `reason`).
    Call,
    /// The visitor arrived: start serving the current ticket.
    Start,
    /// Finish serving the current ticket.
    Finish,
    /// Mark the current ticket a no-show (过号), as the hall's rule allows.
    NoShow,
    /// Put a no-show ticket back in line (`ticket`).
    Requeue,
    /// Send the current ticket to another item's queue (`service`).
    Transfer,
    /// `reason` is shown on the window display.
    Pause,
    /// End a pause.
    Resume,
    /// Ask the visitor to rate the service on the window's rating tablet.
    RequestRating,
}

impl WindowAction {
    /// Every action, in the order the counter's buttons are listed.
    pub const ALL: [WindowAction; 13] = [
        WindowAction::Open,
        WindowAction::Close,
        WindowAction::CallNext,
        WindowAction::Recall,
        WindowAction::Call,
        WindowAction::Start,
        WindowAction::Finish,
        WindowAction::NoShow,
        WindowAction::Requeue,
        WindowAction::Transfer,
        WindowAction::Pause,
        WindowAction::Resume,
        WindowAction::RequestRating,
    ];

    /// The action as in the path.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowAction::Open => "open",
            WindowAction::Close => "close",
            WindowAction::CallNext => "call-next",
            WindowAction::Recall => "recall",
            WindowAction::Call => "call",
            WindowAction::Start => "start",
            WindowAction::Finish => "finish",
            WindowAction::NoShow => "no-show",
            WindowAction::Requeue => "requeue",
            WindowAction::Transfer => "transfer",
            WindowAction::Pause => "pause",
            WindowAction::Resume => "resume",
            WindowAction::RequestRating => "request-rating",
        }
    }
}

impl std::str::FromStr for WindowAction {
    type Err = ();
    fn from_str(s: &str) -> Result<WindowAction, ()> {
        WindowAction::ALL.into_iter().find(|a| a.as_str() == s).ok_or(())
    }
}

/// `POST /leases`: a kiosk asks for a block of numbers of a queue to issue from while the
/// hall is unreachable. The block's size is the hall's (`[kiosk] offline_block`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaseNumbers {
    /// The queue to lease numbers of.
    pub queue: crate::ids::QueueId,
}

/// `POST /desks/{desk}/reprint`: print a ticket of today again (the visitor lost it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskReprint {
    /// The ticket to print again.
    pub ticket: crate::ids::TicketId,
}

/// `POST /config/rollback`: put an earlier version in force again, as a new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigRollback {
    /// The saved version to go back to.
    pub version: u64,
    /// The version in force the manager saw (refused with `version_conflict` if it changed).
    #[serde(default)]
    pub expected: Option<u64>,
}

/// `POST /tickets/offline`: a ticket the kiosk issued from its lease while the hall was
/// unreachable, uploaded in the order it was printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadOffline {
    /// The request_id the kiosk first tried online with (the same tap).
    pub request_id: RequestId,
    /// The item the ticket was issued for.
    pub service: ServiceId,
    /// As printed, such as `A995`.
    pub number: crate::ids::TicketNumber,
    /// When it was printed: its place in line.
    pub issued_at: DateTime<FixedOffset>,
    /// The card read, when the item needed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The status-page token the kiosk drew and printed in the QR (32 hex digits).
    pub token: String,
}
