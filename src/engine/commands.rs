//! What is asked of the engine (commands) and what an accepted command answers.

use super::*;

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
    /// Who issued it: the kiosk's or the system's token, or the member of staff at a
    /// counter or the service desk (older commands: unrecorded).
    #[serde(default)]
    pub actor: Actor,
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
        /// The ticket's new status-page token: the lost paper's QR stops working.
        token: String,
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
    /// A visitor at `kiosk` pressed 帮办 (call staff). A call already open adds nothing.
    HelpCall {
        kiosk: String,
        /// Where the kiosk stands, as configured.
        place: String,
    },
    /// A member of staff is on the way to `kiosk`'s visitor (closes its open call).
    HelpAnswer {
        kiosk: String,
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

/// The answer to a command that was accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A ticket was issued now, or this request_id had already been answered with it.
    Ticket { id: String, repeated: bool },
    /// The command changed a window or ticket; the events say how.
    Done,
}
