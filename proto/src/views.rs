//! Answers of `/api/v1`. Times are RFC 3339 in the hall's own offset. Each view is what
//! one role may see: fields a role must not receive are `None` and left out of the JSON
//! (the service decides in one place, `api::views`, which role gets what).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enums::{Category, Channel, IdentityRule, Mode, Priority, Rating, Role, Status, WindowKind};
use crate::events::StreamEvent;
use crate::ids::{QueueId, ServiceId, TicketId, TicketNumber, WindowNo};

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    /// The newest event's sequence number.
    pub seq: u64,
    /// The hall's business day (none before the first day opened).
    pub date: Option<NaiveDate>,
    /// The hall's clock (simulated in the demo).
    pub now: String,
}

/// `GET /ready`: the service can take commands (the event log is open and its writer
/// runs). Nothing about the hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
}

/// The hall's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HallName {
    pub name: String,
    pub name_en: String,
    /// Such as "+08:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
}

/// A window a ticket can be served at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowRef {
    pub number: WindowNo,
    pub name: String,
    pub floor: i32,
}

/// An id with its names in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Named {
    pub id: String,
    pub name: Option<String>,
    pub name_en: Option<String>,
}

/// Business hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hours {
    /// Weekdays such as "mon".
    pub open_days: Vec<String>,
    pub sessions: Vec<Session>,
    /// "HH:MM": no tickets after this.
    pub issue_cutoff: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub name_en: String,
}

/// A queue and how long it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueFigures {
    pub id: QueueId,
    pub name: String,
    pub name_en: String,
    pub prefix: String,
    pub waiting: u32,
    pub estimate_minutes: u32,
    /// Tickets issued today (in `/state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_today: Option<u32>,
    /// Minutes the longest-waiting ticket has waited (in `/state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_wait_minutes: Option<u32>,
    /// The windows serving it (in `/catalog`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<Vec<WindowRef>>,
}

/// A service item as the kiosk offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CatalogService {
    pub id: ServiceId,
    pub name: String,
    pub name_en: String,
    pub department: Named,
    pub queue: QueueId,
    pub mode: Mode,
    /// The mode in Chinese, such as 即来即办.
    pub mode_label: String,
    pub category: Category,
    pub time_limit_days: u32,
    pub promised_days: u32,
    pub identity: IdentityRule,
    pub hot: bool,
    pub materials: Vec<String>,
    /// Offered on the kiosks (false: at the service desk only).
    pub kiosk: bool,
    pub issued_today: u32,
    pub daily_cap: u32,
    pub waiting: u32,
    pub estimate_minutes: u32,
    pub windows: Vec<WindowRef>,
}

/// A window as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowInfo {
    pub number: WindowNo,
    pub name: String,
    pub kind: WindowKind,
    pub floor: i32,
    /// Queues served; empty on a comprehensive window means every queue.
    pub queues: Vec<QueueId>,
}

/// What the kiosks offer and say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KioskSettings {
    /// Home tiles in order.
    pub tiles: Vec<String>,
    pub welcome: String,
    pub welcome_en: String,
    /// Argon2id hash (PHC string) of the PIN of the kiosk's manager menu: only in a kiosk's
    /// own catalogue. (A hall still on the old configuration sends its SHA-256, 64 hex digits.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_pin: Option<String>,
    pub idle_seconds: u32,
    pub idle_seconds_elderly: u32,
    /// Numbers per queue a kiosk leases for issuing while the hall is unreachable (0: off).
    #[serde(default)]
    pub offline_block: u32,
}

/// The printed ticket's texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketSettings {
    /// Lines above the number; `{hall}` is the hall's name.
    pub header: Vec<String>,
    pub footer: Vec<String>,
    /// Print the QR code that opens the visitor's status page.
    pub qr: bool,
    /// The hall's public base URL (`[hall] public_url`, such as "https://hall.example.cn"):
    /// the QR opens `{public_url}/t/{id}`, so visitors' phones never reach the staff
    /// listener. Absent: the QR points to the address the kiosk reaches the service at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// `GET /catalog`: what a kiosk needs to offer the hall's items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Catalog {
    pub hall: HallName,
    pub hours: Hours,
    pub departments: Vec<Department>,
    pub queues: Vec<QueueFigures>,
    pub services: Vec<CatalogService>,
    pub windows: Vec<WindowInfo>,
    pub kiosk: KioskSettings,
    pub ticket: TicketSettings,
    pub config_version: u64,
    /// The service desks (导引台): where visitors are sent for what the kiosk cannot do.
    #[serde(default)]
    pub desks: Vec<DeskInfo>,
}

/// A service desk as the hall configures it (its printer's address is not shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeskInfo {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub floor: i32,
}

/// How printing at a service desk went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeskPrint {
    pub printed: bool,
    /// The printer, as the hall service reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printer: Option<String>,
    #[serde(default)]
    pub paper_near_end: bool,
    /// For the desk's staff: why nothing was printed, or a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /desks/{desk}/tickets` and `POST /desks/{desk}/reprint`: the ticket and its print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeskTicket {
    pub ticket: TicketView,
    pub print: DeskPrint,
}

/// The holder of a ticket, masked: the name always ("张*"); the masked ID number
/// ("4301**********123X") only for the kiosk that issued it and for managers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HolderView {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    pub at: String,
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who did it (staff and managers see the history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<crate::enums::Actor>,
}

/// A ticket: `POST /tickets`, check-in, and `GET /tickets/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    /// The hall's configured name (printed on the ticket).
    pub hall: String,
    pub id: TicketId,
    pub number: TicketNumber,
    pub date: NaiveDate,
    pub service: Named,
    pub queue: Named,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub issued_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<HolderView>,
    pub appointment_slot: Option<String>,
    /// The window that called or serves it.
    pub window: Option<WindowRef>,
    /// The windows that serve its queue.
    pub windows: Vec<WindowRef>,
    /// While waiting: people ahead now and the estimate in minutes (in the answer that
    /// issued the ticket: as counted at issue, which is what was printed).
    pub people_ahead: Option<u32>,
    pub estimate_minutes: Option<u32>,
    pub people_ahead_at_issue: u32,
    pub estimate_minutes_at_issue: u32,
    pub recalls: u32,
    pub rating: Option<Rating>,
    /// What happened to it (staff and managers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryView>>,
    /// The status-page token: only in the answer that issued the ticket (printed as QR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Issued by a kiosk from its lease while the hall was unreachable (uploaded since).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
}

/// The ticket a window is calling or serving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CurrentTicket {
    pub id: TicketId,
    pub number: TicketNumber,
    pub status: Status,
    pub service: String,
    pub service_en: String,
    /// Masked name, for the counter serving it and managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    pub recalls: u32,
    /// Hall-local time of the (first) call, and of the start of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// A window and what it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowView {
    pub number: WindowNo,
    pub name: Option<String>,
    pub floor: Option<i32>,
    /// The area of its floor (`zone` in the configuration), for hall displays of one zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    pub kind: Option<WindowKind>,
    pub queues: Option<Vec<QueueId>>,
    pub open: bool,
    pub paused: bool,
    pub pause_reason: Option<String>,
    pub current: Option<CurrentTicket>,
    pub served_today: u32,
    /// Hall-local time the current pause began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<String>,
    /// The staff number (工号) of whoever is serving at the window (managers, and the
    /// counter for its own windows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

/// A call or recall, for the hall display's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CallView {
    pub seq: u64,
    pub at: String,
    pub ticket: TicketId,
    pub number: TicketNumber,
    pub window: WindowNo,
    pub recall: bool,
}

/// A kiosk's device and its fault (managers only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    pub kiosk: String,
    pub device: String,
    pub ok: bool,
    pub fault: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DisplaySettings {
    /// The notice ticker of the hall display.
    pub notice: String,
    /// How many recent calls the hall display lists.
    pub recent_calls: u32,
    /// Seconds each page of the hall display stays up when it takes more than one page.
    #[serde(default = "default_page_seconds")]
    pub page_seconds: u32,
}

fn default_page_seconds() -> u32 {
    8
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VoiceSettings {
    pub enabled: bool,
    pub volume: f32,
}

/// `GET /state`: the hall now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HallState {
    pub seq: u64,
    pub date: Option<NaiveDate>,
    pub now: String,
    pub hall: HallName,
    /// Kiosk devices (managers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<DeviceView>>,
    /// Each kiosk's link to the hall and its offline number leases (managers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiosks: Option<Vec<KioskLink>>,
    /// Each display token's event-stream connections (managers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub displays: Option<Vec<DisplayLink>>,
    pub display: DisplaySettings,
    pub voice: VoiceSettings,
    pub windows: Vec<WindowView>,
    pub queues: Vec<QueueFigures>,
    /// Newest first.
    pub recent_calls: Vec<CallView>,
}

/// `GET /me`: who the token belongs to and the windows it may operate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub role: Role,
    pub name: String,
    pub windows: Vec<WindowView>,
}

/// `POST /stream-ticket`: a one-time ticket for `GET /events?ws_ticket=…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_in_secs: u32,
}

/// `POST /login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoginAnswer {
    /// A session token ("staff.…"), used as a bearer token.
    pub token: String,
    pub staff_id: String,
    pub name: String,
    pub windows: Vec<WindowNo>,
    pub expires_at: String,
}

/// `POST /tickets/{id}/evaluation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvaluationAnswer {
    pub ticket: TicketId,
    pub rating: Rating,
    pub label: String,
    pub seq: Option<u64>,
}

/// `POST /windows/{window}/{action}`: the window after the action and the events it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowActionAnswer {
    pub window: WindowView,
    pub events: Vec<StreamEvent>,
}

/// `POST /devices/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceStatusAnswer {
    pub kiosk: String,
    pub device: String,
    pub fault: Option<String>,
}

/// A ticket in a window's waiting line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WaitingTicket {
    pub id: TicketId,
    pub number: TicketNumber,
    pub service: String,
    pub queue: QueueId,
    pub priority: Priority,
    pub holder: Option<String>,
    pub waited_minutes: i64,
    pub appointment_slot: Option<String>,
}

/// `GET /windows/{window}/waiting`: in the order the window would call them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WaitingLine {
    pub window: WindowNo,
    pub tickets: Vec<WaitingTicket>,
}

/// An appointment as the booking system, the visitor's kiosk and managers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentView {
    pub code: String,
    pub service: Named,
    pub slot: String,
    pub holder: Option<HolderView>,
    /// The ticket issued at check-in.
    pub ticket: Option<TicketId>,
}

/// `POST /appointments/find`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentList {
    pub appointments: Vec<AppointmentView>,
}

/// A result document waiting to be printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultMeta {
    pub id: String,
    pub title: String,
    pub department: String,
    pub received_at: String,
    pub expires_at: String,
    pub size: u64,
    /// For a kiosk: the short-lived nonce (10 minutes) that `GET /results/{id}/pdf` and
    /// `POST /results/{id}/collected` need from this same kiosk (`?nonce=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// `POST /results/find`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultList {
    pub results: Vec<ResultMeta>,
}

/// `POST /results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivered {
    pub id: String,
    pub expires_at: String,
}

/// `POST /results/{id}/collected`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Collected {
    pub id: String,
    pub collected_at: String,
    pub collected_by: String,
}

/// Scanned materials attached to a ticket for pre-review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentMeta {
    pub id: String,
    pub ticket: TicketId,
    pub title: String,
    pub pages: u32,
    pub size: u64,
    pub added_at: String,
    pub kiosk: String,
}

/// `GET /tickets/{id}/attachments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<AttachmentMeta>,
}

/// `GET /config`: the configuration version in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigVersion {
    pub version: u64,
    /// SHA-256 of the TOML (none for the configuration the service started with).
    pub digest: Option<String>,
    pub toml: Option<String>,
}

/// A saved configuration version, who put it in force and when (from the chain's
/// `config_changed` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigVersionInfo {
    pub version: u64,
    /// SHA-256 of the TOML.
    pub digest: String,
    /// Hall-local time it was put in force (none when the chain has no record of it).
    pub at: Option<String>,
    /// Who put it in force, as logged (the staff member or token, "(reload)" for the file).
    pub by: Option<String>,
    pub actor: Option<crate::enums::Actor>,
    pub in_force: bool,
}

/// `GET /config/versions`: every saved version, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigVersionList {
    pub in_force: u64,
    pub versions: Vec<ConfigVersionInfo>,
}

/// `GET /config/diff?from=A&to=B`: a unified diff of two versions (tokens redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigDiff {
    pub from: u64,
    pub to: u64,
    /// Lines changed, added and removed.
    pub changed: u32,
    pub added: u32,
    pub removed: u32,
    /// The unified diff (three lines of context), empty when they are the same.
    pub diff: String,
}

/// `PUT /config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigSaved {
    pub version: u64,
    pub digest: String,
}

/// `POST /config/reload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigReloaded {
    pub version: u64,
    pub changed: bool,
}

/// Numbers of a queue leased to a kiosk for issuing while the hall is unreachable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeaseView {
    pub kiosk: String,
    pub queue: QueueId,
    /// The queue's ticket prefix: the numbers are printed as prefix + three digits.
    pub prefix: String,
    pub date: NaiveDate,
    pub from: u32,
    pub to: u32,
    /// Numbers not yet used by an uploaded ticket.
    pub left: u32,
}

/// A kiosk as managers see it: when the hall last heard from it and its leases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KioskLink {
    pub kiosk: String,
    /// Hall-local time of its last request (none since the service started).
    pub last_seen: Option<String>,
    /// Silent for more than 30 s: offline (issuing from its leases, if it has any).
    pub offline: bool,
    pub leases: Vec<LeaseView>,
    /// Offline tickets it uploaded today.
    pub uploaded_today: u32,
    /// The configuration version of the catalogue it last fetched (none since the service
    /// started): behind the version in force while it has not caught up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_version: Option<u64>,
}

/// What a report is broken down by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportBy {
    /// Per item (事项).
    #[default]
    Item,
    Queue,
    Window,
    Department,
    /// Per member of staff who served (staff number; tickets served with a shared token
    /// under the token).
    Staff,
    Day,
}

impl ReportBy {
    pub const ALL: [ReportBy; 6] =
        [ReportBy::Item, ReportBy::Queue, ReportBy::Window, ReportBy::Department, ReportBy::Staff, ReportBy::Day];

    /// As in `?by=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportBy::Item => "item",
            ReportBy::Queue => "queue",
            ReportBy::Window => "window",
            ReportBy::Department => "department",
            ReportBy::Staff => "staff",
            ReportBy::Day => "day",
        }
    }
}

/// `GET /reports`: the tickets of the hall days `from..=to`, broken down `by`, from the
/// reports read model as of event `as_of_seq`. Managers only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: ReportBy,
    pub as_of_seq: u64,
    pub rows: Vec<ReportRow>,
    /// Tickets rated 不满意 or 非常不满意 in the period.
    pub dissatisfied: Vec<DissatisfiedTicket>,
}

/// One line of a report. Waits run from issue to the first call; service from the start
/// (or the call) to the finish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportRow {
    /// The item, queue, window, department, staff number (or token name) or day.
    pub key: String,
    pub tickets: u64,
    /// Served to the end (finished).
    pub served: u64,
    pub wait_mean_secs: f64,
    pub wait_p90_secs: i64,
    pub service_mean_secs: f64,
    pub service_p90_secs: i64,
    pub no_shows: u64,
    pub transfers: u64,
    /// Chosen tickets called (with a reason) past tickets ahead of them in their queue.
    pub out_of_order: u64,
    /// Ratings by the five GB/T 39734 levels, from very satisfied to very dissatisfied.
    pub ratings: Vec<u64>,
}

/// A ticket rated dissatisfied or very dissatisfied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DissatisfiedTicket {
    pub ticket: TicketId,
    pub number: TicketNumber,
    pub date: NaiveDate,
    pub service: ServiceId,
    pub window: Option<WindowNo>,
    /// The staff number (or token) that served it.
    pub staff: Option<String>,
    pub rating: Rating,
}

/// A display client of the event stream, per display token (managers only, in `/state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DisplayLink {
    /// The display token's name in the configuration.
    pub display: String,
    /// Event streams open with this token now (a shared token may serve many screens).
    pub connections: u32,
    /// Hall-local time the newest of them connected (none since the service started).
    pub connected_at: Option<String>,
    /// Hall-local time the hall last heard from one (a message or a pong).
    pub last_heard: Option<String>,
    /// Hall-local time the last stream closed, while none is open.
    pub disconnected_at: Option<String>,
    /// No stream open for longer than `[alerts] display_silent_seconds`.
    pub silent: bool,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A queue's longest wait past its warning or critical threshold.
    QueueWait,
    /// A window paused longer than `window_paused_minutes`.
    WindowPaused,
    /// A kiosk's device reports a fault (paper out, cover open, reader, scanner, A4 printer…).
    DeviceFault,
    /// A kiosk not heard from for `kiosk_silent_seconds`.
    KioskSilent,
    /// A display token with no event stream open for `display_silent_seconds`.
    DisplaySilent,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::QueueWait => "queue_wait",
            AlertKind::WindowPaused => "window_paused",
            AlertKind::DeviceFault => "device_fault",
            AlertKind::KioskSilent => "kiosk_silent",
            AlertKind::DisplaySilent => "display_silent",
        }
    }
}

/// How bad: a warning, or critical (visitors are affected now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Warning => "warning",
            AlertSeverity::Critical => "critical",
        }
    }
}

/// What an alert's subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Queue,
    Window,
    Kiosk,
    Display,
}

/// The queue, window, kiosk or display an alert is about. No personal data: a window's
/// staff number at most.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct AlertSubject {
    pub kind: SubjectKind,
    /// The queue id, window number, kiosk token name or display token name.
    pub id: String,
    /// The kiosk's device (`ticket-printer`, `idcard-reader`, `a4-printer`, `scanner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The staff number signed in at the window, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

/// An alert, raised once while its condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// Stable for as long as the alert is raised: kind, subject, severity and when it was
    /// raised, such as `queue_wait:A:critical:1795745700`.
    pub id: String,
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    pub subject: AlertSubject,
    /// For the manager, in Chinese.
    pub message: String,
    pub message_en: String,
    /// Hall-local time the condition began (a wait crossed the threshold, a pause began, a
    /// fault was first seen, the last heartbeat).
    pub since: String,
    /// Hall-local time it was raised.
    pub raised_at: String,
}

/// A raise or a clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertChange {
    Raised,
    Cleared,
}

/// How one webhook attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The webhook answered 2xx.
    Delivered,
    /// It failed; another attempt follows after a delay.
    Retrying,
    /// It failed and was the last attempt (or the queue was full): not delivered.
    GivenUp,
}

/// One webhook attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertDelivery {
    /// The alert's id.
    pub alert: String,
    pub change: AlertChange,
    /// 1 for the first try.
    pub attempt: u32,
    /// Hall-local time the attempt ended.
    pub at: String,
    /// The webhook's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong, when it did not answer 2xx (timeout, refused, …).
    pub error: Option<String>,
    pub outcome: DeliveryOutcome,
    /// Seconds until the next attempt, when retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_in_secs: Option<f64>,
}

/// `GET /alerts` (managers): the alerts raised now and the recent webhook deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertsView {
    pub now: String,
    /// Most severe first, then newest first.
    pub active: Vec<Alert>,
    /// Whether a webhook is configured (`[alerts] webhook_url`).
    pub webhook: bool,
    /// The newest attempts first (at most 100).
    pub deliveries: Vec<AlertDelivery>,
}

/// The JSON body POSTed to `[alerts] webhook_url` on each raise and clear. With a
/// `webhook_secret`, the request carries `X-Hallq-Signature: sha256=HEX`, the HMAC-SHA256
/// of the exact body bytes under the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertWebhook {
    /// `hallq-alert/1`.
    pub schema: String,
    pub change: AlertChange,
    /// The hall's name.
    pub hall: String,
    /// Hall-local time of the raise or clear.
    pub at: String,
    pub alert: Alert,
}

/// `GET /reports/charts`: chart figures of the hall days `from..=to` from the reports read
/// model as of event `as_of_seq`, for the whole hall, per department and per window.
/// Managers only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChartData {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of_seq: u64,
    /// The wait buckets' lower edges in minutes (`[0, 5, 10, …, 60]`): bucket `i` holds the
    /// waits from edge `i` up to edge `i + 1`, the last every wait of 60 minutes or more.
    pub wait_buckets_min: Vec<u32>,
    pub total: ChartSeries,
    /// Per department, in id order.
    pub departments: Vec<ChartGroup>,
    /// Per window (the window that called a ticket last), in number order.
    pub windows: Vec<ChartGroup>,
}

/// One department's or window's chart figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChartGroup {
    /// The department's id or the window's number.
    pub key: String,
    /// The department's or window's name in the configuration in force ("" if gone).
    pub name: String,
    pub series: ChartSeries,
}

/// The figures one set of charts draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChartSeries {
    /// Tickets issued in each hour of the hall's day, 24 values from 00:00.
    pub issued_by_hour: Vec<u64>,
    /// Tickets called, by their wait (issue to first call) in the buckets of `wait_buckets_min`.
    pub waits: Vec<u64>,
    /// Ratings by the five GB/T 39734 levels, from very satisfied to very dissatisfied.
    pub ratings: Vec<u64>,
}

/// What a supervised action was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupervisedKind {
    /// A chosen ticket called instead of the next, with the reason given (out of order when
    /// it passed over tickets ahead of it in its queue).
    Call,
    Transfer,
    /// A no-show put back in its queue.
    Requeue,
    /// A window paused, with the reason given.
    Pause,
}

/// `GET /supervision`: every specific call, transfer, requeue and pause of the period
/// (电子监察), with counts per window and per member of staff, and the state of the
/// hash chain. Managers only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Supervision {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    pub as_of_seq: u64,
    /// In log order; at most the first 10,000 (`truncated` then says so; the counts cover all).
    pub actions: Vec<SupervisedAction>,
    pub truncated: bool,
    pub by_window: Vec<SupervisionCount>,
    /// Per staff number (a shared token's actions under "token NAME").
    pub by_staff: Vec<SupervisionCount>,
    pub chain: ChainState,
}

/// One supervised action. `ticket` links to the ticket's full history (`GET /tickets/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupervisedAction {
    /// The event's sequence number in the log.
    pub seq: u64,
    /// Hall-local time (RFC 3339 in the hall's offset).
    pub at: String,
    pub kind: SupervisedKind,
    pub window: WindowNo,
    /// Who did it, as the hash-chained event records.
    pub actor: crate::enums::Actor,
    /// The staff number (a shared token: "token NAME"), as reports by staff member key it.
    pub staff: Option<String>,
    pub ticket: Option<TicketId>,
    pub number: Option<TicketNumber>,
    /// The reason given (calls and pauses).
    pub reason: Option<String>,
    /// A call that passed over tickets ahead of it in its queue, still waiting.
    pub out_of_order: bool,
    /// How many it passed over.
    pub skipped: u64,
    /// A transfer: from which item to which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_service: Option<ServiceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_service: Option<ServiceId>,
    /// A pause: when the window resumed (hall-local), and the minutes it was paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_minutes: Option<f64>,
}

/// Supervised actions of one window or member of staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupervisionCount {
    /// The window's number, or the staff number ("token NAME" for a shared token).
    pub key: String,
    /// Specific calls, and of those the out-of-order ones.
    pub calls: u64,
    pub out_of_order: u64,
    pub transfers: u64,
    pub requeues: u64,
    pub pauses: u64,
    /// Minutes paused, of the pauses that ended.
    pub paused_minutes: f64,
}

/// The hash chain of the event log now, and its digests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChainState {
    /// The newest event's sequence number and hash (hex): the head of the chain.
    pub last_seq: u64,
    pub head_hash: String,
    /// The digest of the newest closed day as the log holds it now (what `hallq log digest
    /// --date` prints for it).
    pub last_day: Option<DigestView>,
    /// The newest digest filed in the data directory (`hallq log digest --keep` appends to
    /// `DATA/digests.jsonl`), and whether the log still matches it.
    pub filed: Option<FiledDigest>,
}

/// A day's digest (`hallq-digest/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DigestView {
    pub date: NaiveDate,
    pub closed: bool,
    pub first_seq: u64,
    pub last_seq: u64,
    pub last_hash: String,
    pub events: u64,
    pub tickets_issued: u64,
    pub calls: u64,
    pub transfers: u64,
    pub ratings: u64,
}

/// The newest digest filed in the data directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FiledDigest {
    pub digest: DigestView,
    /// `None` when the log still matches it, else what changed.
    pub problem: Option<String>,
}
