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
    WrongPassword = "wrong_password" => 401,
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
    // The request itself.
    NotFound = "not_found" => 404,
    MethodNotAllowed = "method_not_allowed" => 405,
    BodyTooLarge = "body_too_large" => 413,
    BadBody = "bad_body" => 400,
    BadJson = "bad_json" => 400,
    BadQuery = "bad_query" => 400,
    BadSince = "bad_since" => 400,
    BadEncoding = "bad_encoding" => 400,
    BadIfMatch = "bad_if_match" => 400,
    MissingField = "missing_field" => 422,
    /// A text longer than its field allows (such as a pause reason).
    FieldTooLong = "field_too_long" => 422,
    BadRequestId = "bad_request_id" => 422,
    InvalidIdentity = "invalid_identity" => 422,
    AppointmentSlotRequired = "appointment_slot_required" => 422,
    BadDeviceStatus = "bad_device_status" => 422,
    BadBase64 = "bad_base64" => 422,
    NotPdf = "not_pdf" => 415,
    WebsocketRequired = "websocket_required" => 426,
    UnknownAction = "unknown_action" => 404,
    // Configuration.
    InvalidConfig = "invalid_config" => 422,
    VersionConflict = "version_conflict" => 409,
    NoConfigFile = "no_config_file" => 409,
    // Documents.
    UnknownDocument = "unknown_document" => 404,
    AlreadyCollected = "already_collected" => 409,
    ResultExpired = "result_expired" => 410,
    /// A kiosk fetching or collecting a result without the nonce its `find` answered with.
    ResultNonceRequired = "result_nonce_required" => 403,
    /// A result nonce that is unknown, expired, for another result or from another kiosk.
    BadResultNonce = "bad_result_nonce" => 403,
    // Voice.
    VoiceDisabled = "voice_disabled" => 404,
    VoiceUnavailable = "voice_unavailable" => 503,
    // The service.
    StoreUnavailable = "store_unavailable" => 503,
    ServiceStopping = "service_stopping" => 503,
    ServiceBusy = "service_busy" => 503,
    /// `GET /ready`: the event log does not open or its writer is not running.
    NotReady = "not_ready" => 503,
    // The queue engine's refusals.
    UnknownService = "unknown_service" => 404,
    HallClosedToday = "hall_closed_today" => 409,
    BeforeHours = "before_hours" => 409,
    LunchBreak = "lunch_break" => 409,
    AfterCutoff = "after_cutoff" => 409,
    QueueFull = "queue_full" => 409,
    ServiceFull = "service_full" => 409,
    IdentityRequired = "identity_required" => 409,
    PersonDailyLimit = "person_daily_limit" => 409,
    UnknownWindow = "unknown_window" => 404,
    WindowPaused = "window_paused" => 409,
    WindowNotPaused = "window_not_paused" => 409,
    NothingWaiting = "nothing_waiting" => 409,
    NoCurrentTicket = "no_current_ticket" => 409,
    CurrentInProgress = "current_in_progress" => 409,
    RecallLimit = "recall_limit" => 409,
    RecallTooSoon = "recall_too_soon" => 409,
    ReasonRequired = "reason_required" => 422,
    UnknownTicket = "unknown_ticket" => 404,
    TicketNotWaiting = "ticket_not_waiting" => 409,
    /// A finished or expired ticket is not printed again.
    NotReprintable = "not_reprintable" => 409,
    /// No such service desk in the configuration.
    UnknownDesk = "unknown_desk" => 404,
    NotServedHere = "not_served_here" => 409,
    RequeueExpired = "requeue_expired" => 409,
    NotNoShow = "not_no_show" => 409,
    SameService = "same_service" => 409,
    AlreadyRated = "already_rated" => 409,
    /// A rating tablet's nonce that is wrong, stale or already used.
    BadRatingNonce = "bad_rating_nonce" => 403,
    NotServed = "not_served" => 409,
    UnknownAppointment = "unknown_appointment" => 404,
    DuplicateAppointment = "duplicate_appointment" => 409,
    BadAppointmentCode = "bad_appointment_code" => 422,
    AppointmentNotToday = "appointment_not_today" => 409,
    CheckInTooEarly = "check_in_too_early" => 409,
    AppointmentMissed = "appointment_missed" => 409,
    AppointmentNotYours = "appointment_not_yours" => 409,
    // Offline issuing.
    UnknownQueue = "unknown_queue" => 404,
    /// The hall gives no number leases (`[kiosk] offline_block = 0`).
    OfflineIssuingOff = "offline_issuing_off" => 409,
    /// The kiosk holds as many unused leases of the queue as it may.
    LeaseLimit = "lease_limit" => 409,
    NoNumbersToLease = "no_numbers_to_lease" => 409,
    /// An offline ticket whose number is not in the uploading kiosk's lease.
    NotLeased = "not_leased" => 409,
    NumberTaken = "number_taken" => 409,
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
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For a person: what went wrong and what to do (Chinese).
    pub message: String,
    /// Where in a submitted document the fault is (a configuration: the field's path, such
    /// as `queues[2].prefix`, and the line of the TOML text when known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code, message: message.into(), field: None, line: None } }
    }
}
