//! The error body of every refusal: `{"error":{"code":…,"message":…}}`. The code is stable
//! and machine-readable; the message is for a person (Chinese, saying what to do).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal => $status:literal ),+ $(,)?) => {
        /// Every error code the API answers with, and the HTTP status that goes with it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
            /// A code this client does not know yet (a newer hall service).
            #[serde(other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every known code (not `Unknown`), for tests and the OpenAPI document.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as it is on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $code, )+
                    ErrorCode::Unknown => "unknown",
                }
            }

            /// The HTTP status an answer with this code has.
            pub fn http_status(self) -> u16 {
                match self {
                    $( ErrorCode::$variant => $status, )+
                    ErrorCode::Unknown => 500,
                }
            }
        }
    };
}

error_codes! {
    // Who is calling.
    /// No token, or a token the hall does not know.
    Unauthorized = "unauthorized" => 401,
    /// A staff session that expired or whose person was removed.
    SessionExpired = "session_expired" => 401,
    /// Staff sign-in with a staff number or password that does not match (the same answer for both).
    WrongPassword = "wrong_password" => 401,
    /// Too many failed sign-ins for this staff number or client address: wait and try again.
    SigninLocked = "signin_locked" => 429,
    /// The token's role may not do this.
    ForbiddenRole = "forbidden_role" => 403,
    /// A counter acting on a window it is not bound to.
    ForbiddenWindow = "forbidden_window" => 403,
    /// A kiosk asking for a priority only staff or the age rule give.
    ForbiddenPriority = "forbidden_priority" => 403,
    /// A kiosk issuing faster than any visitor could take numbers.
    TooManyTickets = "too_many_tickets" => 429,
    /// More event streams open with one token than its role needs.
    TooManyStreams = "too_many_streams" => 429,
    /// A kiosk's device changing its state faster than any real device does (each change
    /// is logged and may raise an alert).
    TooManyDeviceChanges = "too_many_device_changes" => 429,
    // The request itself.
    /// No such route (see `/api/v1/openapi.json`).
    NotFound = "not_found" => 404,
    /// The route exists, but not with this HTTP method.
    MethodNotAllowed = "method_not_allowed" => 405,
    /// The request body is over the route's size limit.
    BodyTooLarge = "body_too_large" => 413,
    /// The body could not be read, or holds a value out of range (an appointment slot beyond a year).
    BadBody = "bad_body" => 400,
    /// The body is not the JSON the route expects (syntax, a wrong type or an unknown field).
    BadJson = "bad_json" => 400,
    /// A query parameter is missing or malformed.
    BadQuery = "bad_query" => 400,
    /// `since` of the event stream is not a sequence number.
    BadSince = "bad_since" => 400,
    /// A configuration upload that is not UTF-8 text.
    BadEncoding = "bad_encoding" => 400,
    /// An `If-Match` header that is not a quoted configuration version.
    BadIfMatch = "bad_if_match" => 400,
    /// A field the action needs is empty or absent (such as the ticket of a call out of turn).
    MissingField = "missing_field" => 422,
    /// A text longer than its field allows (such as a pause reason).
    FieldTooLong = "field_too_long" => 422,
    /// A request_id that is empty or longer than the API allows.
    BadRequestId = "bad_request_id" => 422,
    /// An identity the hall cannot take: the ID number's form or GB 11643 check digit is wrong, or the name is unusable.
    InvalidIdentity = "invalid_identity" => 422,
    /// `priority: appointment` without `appointment_slot`.
    AppointmentSlotRequired = "appointment_slot_required" => 422,
    /// A device status for a device name not in the fixed list, or a fault over 200 characters.
    BadDeviceStatus = "bad_device_status" => 422,
    /// A base64 field (a result's PDF) that does not decode.
    BadBase64 = "bad_base64" => 422,
    /// A document that is not a PDF.
    NotPdf = "not_pdf" => 415,
    /// `GET /events` without a WebSocket upgrade.
    WebsocketRequired = "websocket_required" => 426,
    /// A window action not in `WindowAction`.
    UnknownAction = "unknown_action" => 404,
    // Configuration.
    /// A configuration that does not parse or validate; `field` and `line` say where.
    InvalidConfig = "invalid_config" => 422,
    /// The configuration changed since the version the manager edited (`If-Match`, `expected`).
    VersionConflict = "version_conflict" => 409,
    /// A reload asked of a service started without a configuration file (the demo).
    NoConfigFile = "no_config_file" => 409,
    // Documents.
    /// No such result or attachment.
    UnknownDocument = "unknown_document" => 404,
    /// The result was printed and collected before.
    AlreadyCollected = "already_collected" => 409,
    /// The result was kept its days uncollected and removed.
    ResultExpired = "result_expired" => 410,
    /// A kiosk fetching or collecting a result without the nonce its `find` answered with.
    ResultNonceRequired = "result_nonce_required" => 403,
    /// A result nonce that is unknown, expired, for another result or from another kiosk.
    BadResultNonce = "bad_result_nonce" => 403,
    // Voice.
    /// Voice calling is off in the configuration (`[voice] enabled`).
    VoiceDisabled = "voice_disabled" => 404,
    /// The spoken call could not be made now (the voice synthesis failed or was cut off).
    VoiceUnavailable = "voice_unavailable" => 503,
    // The service.
    /// The event log could not be read or written: nothing was done; try again.
    StoreUnavailable = "store_unavailable" => 503,
    /// The service is shutting down and takes no more commands.
    ServiceStopping = "service_stopping" => 503,
    /// The service cannot take this now (too many sign-ins being checked, too many streams): try again shortly.
    ServiceBusy = "service_busy" => 503,
    /// `GET /ready`: the event log does not open or its writer is not running.
    NotReady = "not_ready" => 503,
    // The queue engine's refusals.
    /// No such item in the configuration in force.
    UnknownService = "unknown_service" => 404,
    /// The hall is closed today (not an open day, or a public holiday).
    HallClosedToday = "hall_closed_today" => 409,
    /// Before the first session of the day: no tickets yet.
    BeforeHours = "before_hours" => 409,
    /// Between two sessions (the lunch break): no tickets now.
    LunchBreak = "lunch_break" => 409,
    /// After the day's issue cut-off: no more tickets today.
    AfterCutoff = "after_cutoff" => 409,
    /// The queue issued its daily cap of numbers.
    QueueFull = "queue_full" => 409,
    /// The item issued its daily cap of tickets.
    ServiceFull = "service_full" => 409,
    /// The item needs the visitor's ID card and none was read.
    IdentityRequired = "identity_required" => 409,
    /// This person has taken as many tickets today as the hall allows.
    PersonDailyLimit = "person_daily_limit" => 409,
    /// No such window in the configuration in force.
    UnknownWindow = "unknown_window" => 404,
    /// The window is paused: resume it first.
    WindowPaused = "window_paused" => 409,
    /// Resume asked of a window that is not paused.
    WindowNotPaused = "window_not_paused" => 409,
    /// Call-next with no ticket waiting that the window serves.
    NothingWaiting = "nothing_waiting" => 409,
    /// The action needs the window's current ticket and it has none.
    NoCurrentTicket = "no_current_ticket" => 409,
    /// The window still has a ticket called or in service: finish it first.
    CurrentInProgress = "current_in_progress" => 409,
    /// The call was recalled as often as `[rules]` allows.
    RecallLimit = "recall_limit" => 409,
    /// A recall sooner after the last than `[rules]` allows.
    RecallTooSoon = "recall_too_soon" => 409,
    /// A call out of turn or a pause without a reason.
    ReasonRequired = "reason_required" => 422,
    /// No such ticket.
    UnknownTicket = "unknown_ticket" => 404,
    /// The ticket is not waiting (called, served or gone), so it cannot be called.
    TicketNotWaiting = "ticket_not_waiting" => 409,
    /// A finished or expired ticket is not printed again.
    NotReprintable = "not_reprintable" => 409,
    /// No such service desk in the configuration.
    UnknownDesk = "unknown_desk" => 404,
    /// The window does not serve the ticket's queue.
    NotServedHere = "not_served_here" => 409,
    /// The no-show is too old to put back in its queue (`[rules]`).
    RequeueExpired = "requeue_expired" => 409,
    /// Requeue asked of a ticket that is not a no-show.
    NotNoShow = "not_no_show" => 409,
    /// No open 帮办 call at that kiosk (answered already, or never made).
    NoHelpCall = "no_help_call" => 404,
    /// 过号 before the configured recalls or minutes since the call (`[rules]`).
    NoShowTooSoon = "no_show_too_soon" => 409,
    /// A transfer to the item the ticket is already for.
    SameService = "same_service" => 409,
    /// The ticket was rated before: one rating per ticket.
    AlreadyRated = "already_rated" => 409,
    /// A rating tablet's nonce that is wrong, stale or already used.
    BadRatingNonce = "bad_rating_nonce" => 403,
    /// A rating of a ticket not yet served.
    NotServed = "not_served" => 409,
    /// No such appointment code.
    UnknownAppointment = "unknown_appointment" => 404,
    /// An appointment with this code is already booked.
    DuplicateAppointment = "duplicate_appointment" => 409,
    /// An appointment code that is empty or not of the allowed characters and length.
    BadAppointmentCode = "bad_appointment_code" => 422,
    /// The appointment is for another day.
    AppointmentNotToday = "appointment_not_today" => 409,
    /// Check-in before the window the hall allows before the slot.
    CheckInTooEarly = "check_in_too_early" => 409,
    /// The slot is past by more than the hall allows: take an ordinary number.
    AppointmentMissed = "appointment_missed" => 409,
    /// The card read is not the person the appointment was booked for.
    AppointmentNotYours = "appointment_not_yours" => 409,
    // Offline issuing.
    /// No such queue in the configuration in force.
    UnknownQueue = "unknown_queue" => 404,
    /// The hall gives no number leases (`[kiosk] offline_block = 0`).
    OfflineIssuingOff = "offline_issuing_off" => 409,
    /// The kiosk holds as many unused leases of the queue as it may.
    LeaseLimit = "lease_limit" => 409,
    /// The queue has no numbers left to lease today.
    NoNumbersToLease = "no_numbers_to_lease" => 409,
    /// An offline ticket whose number is not in the uploading kiosk's lease.
    NotLeased = "not_leased" => 409,
    /// An offline ticket whose number another ticket already has.
    NumberTaken = "number_taken" => 409,
    /// An offline ticket printed later than the hall's clock says it is now.
    IssuedInFuture = "issued_in_future" => 422,
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What was refused and why.
    pub error: ErrorDetail,
}

/// The refusal itself: a stable code, a message for a person, and where in a submitted
/// document the fault is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// The stable code (its HTTP status is `ErrorCode::http_status`).
    pub code: ErrorCode,
    /// For a person: what went wrong and what to do (Chinese).
    pub message: String,
    /// The same in English, when the hall has it (every refusal of the queue engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_en: Option<String>,
    /// Hall-local "HH:MM" at which the refusal no longer holds, when it is a matter of time
    /// (before hours, the lunch break, checking in too early): a kiosk offers to come back then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Where in a submitted document the fault is (a configuration: the field's path, such
    /// as `queues[2].prefix`, and the line of the TOML text when known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The line of the submitted text the fault is on (1-based), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl ErrorBody {
    /// A body with `code` and a message for a person, no field or line.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code, message: message.into(), message_en: None, until: None, field: None, line: None } }
    }
}
