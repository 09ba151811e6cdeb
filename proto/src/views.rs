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
    /// Always "ok" when the service answers at all (the load balancer's liveness check).
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
    /// "ready" when the service takes commands (a refusal is `not_ready`, HTTP 503).
    #[schema(example = "ready")]
    pub status: String,
}

/// The hall's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HallName {
    /// The hall's name in Chinese, as on tickets and displays.
    pub name: String,
    /// The hall's name in English (English screens and tickets).
    pub name_en: String,
    /// Such as "+08:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
}

/// A window a ticket can be served at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowRef {
    /// The window's number, as called out and shown above the counter.
    pub number: WindowNo,
    /// The window's name in the configuration (such as "综合受理5号窗").
    pub name: String,
    /// The floor the window is on (1 is the ground floor), so a visitor knows where to go.
    pub floor: i32,
}

/// An id with its names in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Named {
    /// The id as in the configuration (a service id or a queue id).
    pub id: String,
    /// The Chinese name; `None` when the id is no longer in the configuration in force.
    pub name: Option<String>,
    /// The English name; `None` when the id is no longer in the configuration in force.
    pub name_en: Option<String>,
}

/// Business hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hours {
    /// Weekdays such as "mon".
    pub open_days: Vec<String>,
    /// The opening sessions of each open day, in order (such as morning and afternoon, around the
    /// lunch break).
    pub sessions: Vec<Session>,
    /// "HH:MM": no tickets after this.
    pub issue_cutoff: String,
}

/// One opening session of a day: tickets are issued and called between `start` and `end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// Hall-local start, "HH:MM".
    pub start: String,
    /// Hall-local end, "HH:MM".
    pub end: String,
}

/// A department of the hall (the office behind a group of items), for grouping the kiosk's tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Department {
    /// The department's id, as `CatalogService::department` refers to it.
    pub id: String,
    /// The department's name in Chinese.
    pub name: String,
    /// The department's name in English.
    pub name_en: String,
}

/// A queue and how long it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueFigures {
    /// The queue's id, as items and windows refer to it.
    pub id: QueueId,
    /// The queue's name in Chinese.
    pub name: String,
    /// The queue's name in English.
    pub name_en: String,
    /// The letter(s) its ticket numbers start with ("A" gives A001…).
    pub prefix: String,
    /// Tickets of the queue waiting to be called now.
    pub waiting: u32,
    /// Minutes a ticket issued now would wait, from the open windows serving the queue and its
    /// service minutes.
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
    /// The item's id, sent back in `IssueTicket::service`.
    pub id: ServiceId,
    /// The item's name in Chinese.
    pub name: String,
    /// The item's name in English.
    pub name_en: String,
    /// The department that handles the item.
    pub department: Named,
    /// The queue its tickets join (items share queues).
    pub queue: QueueId,
    /// How the item is handled (on the spot, online with collection, by courier…).
    pub mode: Mode,
    /// The mode in Chinese, such as 即来即办.
    pub mode_label: String,
    /// The mode in English.
    #[serde(default)]
    pub mode_label_en: String,
    /// Whether the item is for a person or a business (the kiosk's first choice).
    pub category: Category,
    /// The statutory time limit (法定时限) in working days.
    pub time_limit_days: u32,
    /// The time the hall promises (承诺时限) in working days.
    pub promised_days: u32,
    /// Whether the kiosk asks for the visitor's ID card before issuing.
    pub identity: IdentityRule,
    /// Shown among the kiosk's popular items (热门事项).
    pub hot: bool,
    /// The documents the visitor must bring, one line each, as the kiosk lists them.
    pub materials: Vec<String>,
    /// The materials in English, one for each of `materials` (Chinese where the hall gave none).
    #[serde(default)]
    pub materials_en: Vec<String>,
    /// Offered on the kiosks (false: at the service desk only).
    pub kiosk: bool,
    /// Tickets issued for this item today.
    pub issued_today: u32,
    /// Tickets the item may issue a day; past it the hall refuses more (`service_full`).
    pub daily_cap: u32,
    /// Tickets of the item's queue waiting now.
    pub waiting: u32,
    /// Minutes a ticket of this item issued now would wait (as its queue's estimate).
    pub estimate_minutes: u32,
    /// The windows that serve the item's queue, so the kiosk can say where to go.
    pub windows: Vec<WindowRef>,
    /// Where its visitors wait (请在…等候), such as "1楼等候区".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub waiting_area: String,
    /// The waiting area in English, such as "Waiting area, floor 1".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub waiting_area_en: String,
}

/// The hall's 过号 (no-show) rule: when a window may mark the ticket it called a no-show,
/// and the sentence printed on tickets.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct NoShowRule {
    /// Recalls after which the window may mark it (0: not by recalls).
    pub after_recalls: u32,
    /// Minutes after the call after which the window may mark it (0: not by time). Both 0:
    /// at once.
    pub after_minutes: u32,
    /// Recalls a window may make of one call.
    pub max_recalls: u32,
    /// Least seconds between two recalls.
    pub recall_min_gap_secs: u32,
    /// Minutes after a no-show within which a window may put it back in its queue.
    pub requeue_within_minutes: u32,
    /// The rule as visitors read it, such as "过号：叫号后重呼2次或3分钟仍未到即为过号；…".
    pub text: String,
    /// The rule in English, as English tickets print it.
    pub text_en: String,
}

/// A window as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowInfo {
    /// The window's number.
    pub number: WindowNo,
    /// The window's name in the configuration.
    pub name: String,
    /// What the window serves: every queue (comprehensive), on-the-spot items, or special cases.
    pub kind: WindowKind,
    /// The floor the window is on.
    pub floor: i32,
    /// Queues served; empty on a comprehensive window means every queue.
    pub queues: Vec<QueueId>,
}

/// What the kiosks offer and say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KioskSettings {
    /// Home tiles in order.
    pub tiles: Vec<String>,
    /// The home screen's greeting in Chinese.
    pub welcome: String,
    /// The home screen's greeting in English.
    pub welcome_en: String,
    /// Argon2id hash (PHC string) of the PIN of the kiosk's manager menu: only in a kiosk's
    /// own catalogue. (A hall still on the old configuration sends its SHA-256, 64 hex digits.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_pin: Option<String>,
    /// Seconds without a tap after which the kiosk drops the visitor's session and returns home.
    pub idle_seconds: u32,
    /// The same for the elderly-friendly (larger text) mode, which gives more time.
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
    /// Lines below the ticket's figures (such as the hall's telephone number).
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
    /// The hall's names and UTC offset.
    pub hall: HallName,
    /// When the hall is open and issues tickets.
    pub hours: Hours,
    /// The departments, in the configuration's order.
    pub departments: Vec<Department>,
    /// Every queue with its figures now and the windows serving it.
    pub queues: Vec<QueueFigures>,
    /// Every item with its figures now, in the configuration's order (the kiosk shows those with
    /// `kiosk` set).
    pub services: Vec<CatalogService>,
    /// Every window as configured.
    pub windows: Vec<WindowInfo>,
    /// What the kiosk shows and how it behaves.
    pub kiosk: KioskSettings,
    /// The printed ticket's texts.
    pub ticket: TicketSettings,
    /// The configuration version this catalogue was built from: a kiosk refetches when the stream
    /// announces a newer one.
    pub config_version: u64,
    /// The 过号 rule (the counter enables 过号 by it; tickets print its text).
    #[serde(default)]
    pub no_show: NoShowRule,
    /// The service desks (导引台): where visitors are sent for what the kiosk cannot do.
    #[serde(default)]
    pub desks: Vec<DeskInfo>,
}

/// `GET /catalog/figures`: what changes in the catalogue while the hall runs (the waits),
/// small enough to fetch at every event; the catalogue itself only when `config_version`
/// changes (or its ETag does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CatalogFigures {
    /// The configuration the hall runs now: a kiosk holding an older catalogue fetches it again.
    pub config_version: u64,
    /// The newest event these figures include.
    pub seq: u64,
    /// Each queue's waiting tickets and estimate.
    pub queues: Vec<QueueWait>,
}

/// One queue's waiting tickets and the estimate for a ticket taken now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueWait {
    /// The queue.
    pub id: QueueId,
    /// Tickets waiting in it.
    pub waiting: u32,
    /// Minutes a ticket taken now would wait, estimated.
    pub estimate_minutes: u32,
}

/// A kiosk whose visitor asked for staff (帮办) and has not been answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HelpCall {
    /// The kiosk's token name.
    pub kiosk: String,
    /// Where it stands, as configured (such as "1楼大厅东侧"); empty when not configured.
    pub place: String,
    /// Hall-local time of the call.
    pub since: String,
    /// Minutes since the call.
    pub minutes: u32,
}

/// `GET /help`: the open calls for staff, oldest first. `POST /help` answers the kiosk with
/// its own call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HelpCalls {
    /// The calls not answered yet.
    pub calls: Vec<HelpCall>,
}

/// A service desk as the hall configures it (its printer's address is not shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeskInfo {
    /// The desk's id, as in `POST /desks/{desk}/tickets`.
    pub id: String,
    /// The desk's name in Chinese, as the kiosk names it to visitors.
    pub name: String,
    /// The desk's name in English.
    pub name_en: String,
    /// The floor the desk is on.
    pub floor: i32,
}

/// How printing at a service desk went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeskPrint {
    /// Whether the ticket came out of the desk's printer (the ticket is issued either way).
    pub printed: bool,
    /// The printer, as the hall service reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printer: Option<String>,
    /// The printer reported its paper running low after this ticket: refill soon.
    #[serde(default)]
    pub paper_near_end: bool,
    /// For the desk's staff: why nothing was printed, or a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /desks/{desk}/tickets` and `POST /desks/{desk}/reprint`: the ticket and its print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeskTicket {
    /// The ticket as issued or reprinted.
    pub ticket: TicketView,
    /// How its printing went.
    pub print: DeskPrint,
}

/// The holder of a ticket, masked: the name always ("张*"); the masked ID number
/// ("4301**********123X") only for the kiosk that issued it and for managers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HolderView {
    /// The masked name, such as "张*".
    pub name: String,
    /// The masked ID number: in the issuing kiosk's answer and for managers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
}

/// One step of a ticket's history, for staff and managers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    /// Hall-local time of the step (RFC 3339).
    pub at: String,
    /// What happened, in words for staff (such as issued, called, finished).
    pub what: String,
    /// The window involved, for calls and service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowNo>,
    /// A detail of the step, such as a call's reason or the item a ticket was transferred to.
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
    /// The ticket's id (`GET /tickets/{id}`).
    pub id: TicketId,
    /// The number printed and called, such as "A001".
    pub number: TicketNumber,
    /// The hall day the ticket was issued on (a ticket is void after its day).
    pub date: NaiveDate,
    /// The item the visitor came for.
    pub service: Named,
    /// The queue the ticket waits in.
    pub queue: Named,
    /// Where the ticket is now (waiting, called, serving, finished…).
    pub status: Status,
    /// Normal, appointment or green channel (绿色通道); decides the call order.
    pub priority: Priority,
    /// Where the ticket was issued (kiosk, counter, appointment check-in, another system).
    pub channel: Channel,
    /// Hall-local time of issue (RFC 3339), as printed.
    pub issued_at: String,
    /// The holder, masked; `None` for a ticket without one or a role that may not see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<HolderView>,
    /// Hall-local start of the appointment's slot, for a ticket from an appointment check-in.
    pub appointment_slot: Option<String>,
    /// The window that called or serves it.
    pub window: Option<WindowRef>,
    /// The windows that serve its queue.
    pub windows: Vec<WindowRef>,
    /// While waiting: people ahead now and the estimate in minutes (in the answer that
    /// issued the ticket: as counted at issue, which is what was printed).
    pub people_ahead: Option<u32>,
    /// While waiting: the estimated wait in minutes now (see `people_ahead`).
    pub estimate_minutes: Option<u32>,
    /// People ahead when the ticket was issued (what was printed).
    pub people_ahead_at_issue: u32,
    /// The estimated wait in minutes when the ticket was issued (what was printed).
    pub estimate_minutes_at_issue: u32,
    /// How many times its window has recalled it.
    pub recalls: u32,
    /// The visitor's rating once given.
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
    /// Where to wait (请在…等候), such as "1楼等候区".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub waiting_area: String,
    /// The waiting area in English.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub waiting_area_en: String,
    /// The hall's 过号 rule as printed on the ticket.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_show_rule: String,
    /// The 过号 rule in English.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_show_rule_en: String,
}

/// The ticket a window is calling or serving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CurrentTicket {
    /// The ticket's id.
    pub id: TicketId,
    /// The number being called or served.
    pub number: TicketNumber,
    /// Called (the visitor is on the way) or serving.
    pub status: Status,
    /// The item's name in Chinese.
    pub service: String,
    /// The item's name in English.
    pub service_en: String,
    /// Masked name, for the counter serving it and managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// How many times the window recalled it.
    pub recalls: u32,
    /// Hall-local time of the (first) call, and of the start of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_at: Option<String>,
    /// Hall-local time service started (after the visitor arrived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

/// A window and what it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowView {
    /// The window's number.
    pub number: WindowNo,
    /// The window's name; `None` for a window no longer in the configuration in force.
    pub name: Option<String>,
    /// The floor; `None` as for `name`.
    pub floor: Option<i32>,
    /// The area of its floor (`zone` in the configuration), for hall displays of one zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The window's kind; `None` as for `name`.
    pub kind: Option<WindowKind>,
    /// The queues it serves (empty: every queue); `None` as for `name`.
    pub queues: Option<Vec<QueueId>>,
    /// Staffed and taking tickets (a closed window calls nothing and counts for no estimate).
    pub open: bool,
    /// Open but paused (a break); a paused window calls nothing.
    pub paused: bool,
    /// Why it is paused, as the counter gave it (shown on displays).
    pub pause_reason: Option<String>,
    /// The ticket it is calling or serving, if any.
    pub current: Option<CurrentTicket>,
    /// Tickets it finished today.
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
    /// The call's event sequence number (orders calls; a display resumes after it).
    pub seq: u64,
    /// Hall-local time of the call (RFC 3339).
    pub at: String,
    /// The ticket called.
    pub ticket: TicketId,
    /// The number called, as displayed and spoken.
    pub number: TicketNumber,
    /// The window the visitor should go to.
    pub window: WindowNo,
    /// A recall of a ticket already called (a display marks it 重呼).
    pub recall: bool,
}

/// A kiosk's device and its fault (managers only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    /// The kiosk's token name.
    pub kiosk: String,
    /// The device, such as `ticket-printer`, `idcard-reader`, `a4-printer` or `scanner`.
    pub device: String,
    /// Whether the device last reported no fault.
    pub ok: bool,
    /// The fault the kiosk last reported, for staff (such as "缺纸"); `None` when ok.
    pub fault: Option<String>,
}

/// How the hall displays behave, from `[display]`.
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

/// Voice calling on the hall displays (`[voice]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VoiceSettings {
    /// Whether displays speak calls ("请A001号到5号窗口办理").
    pub enabled: bool,
    /// Playback volume, 0.0 (silent) to 1.0 (full).
    pub volume: f32,
}

/// `GET /state`: the hall now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HallState {
    /// The newest event's sequence number this view includes: follow the stream with `since=seq`.
    pub seq: u64,
    /// The hall day in force (none before the first day opened).
    pub date: Option<NaiveDate>,
    /// The hall's clock, hall-local RFC 3339 (simulated in the demo).
    pub now: String,
    /// The hall's names and UTC offset.
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
    /// How the hall displays behave.
    pub display: DisplaySettings,
    /// Voice calling settings for the displays.
    pub voice: VoiceSettings,
    /// Every window in number order with what it is doing.
    pub windows: Vec<WindowView>,
    /// Every queue with its figures now.
    pub queues: Vec<QueueFigures>,
    /// Newest first.
    pub recent_calls: Vec<CallView>,
}

/// `GET /me`: who the token belongs to and the windows it may operate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The role of the token or session.
    pub role: Role,
    /// The token's name in the configuration (a staff session: the person's).
    pub name: String,
    /// The windows it may operate (a counter's or staff member's), with their state now.
    pub windows: Vec<WindowView>,
}

/// `POST /stream-ticket`: a one-time ticket for `GET /events?ws_ticket=…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StreamTicket {
    /// The one-time ticket, valid once for `expires_in_secs`.
    pub ticket: String,
    /// Seconds the ticket stays valid.
    pub expires_in_secs: u32,
}

/// `POST /login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoginAnswer {
    /// A session token ("staff.…"), used as a bearer token.
    pub token: String,
    /// The staff number (工号) signed in.
    pub staff_id: String,
    /// The person's name, as the counter shows it.
    pub name: String,
    /// The windows the person may operate.
    pub windows: Vec<WindowNo>,
    /// Hall-local time the session ends (RFC 3339; 12 hours after sign-in).
    pub expires_at: String,
}

/// `POST /tickets/{id}/evaluation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvaluationAnswer {
    /// The ticket rated.
    pub ticket: TicketId,
    /// The rating as given.
    pub rating: Rating,
    /// The rating in Chinese, such as "满意", to show back to the visitor.
    pub label: String,
    /// The sequence number of the `ticket_rated` event logged; `None` when the answer logged no
    /// event.
    pub seq: Option<u64>,
}

/// `POST /windows/{window}/{action}`: the window after the action and the events it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WindowActionAnswer {
    /// The window after the action.
    pub window: WindowView,
    /// The events the action produced, as the caller's role may see them (none for a refusal).
    pub events: Vec<StreamEvent>,
}

/// `POST /devices/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceStatusAnswer {
    /// The reporting kiosk's token name.
    pub kiosk: String,
    /// The device the status is about.
    pub device: String,
    /// The fault now recorded, `None` when the device is ok again.
    pub fault: Option<String>,
}

/// A ticket in a window's waiting line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WaitingTicket {
    /// The ticket's id.
    pub id: TicketId,
    /// The ticket's number.
    pub number: TicketNumber,
    /// The item's name.
    pub service: String,
    /// The queue it waits in.
    pub queue: QueueId,
    /// Its priority, which decides its place in the line.
    pub priority: Priority,
    /// The holder's masked name, for a counter serving its queue.
    pub holder: Option<String>,
    /// Minutes since it was issued.
    pub waited_minutes: i64,
    /// Hall-local start of its appointment slot, for an appointment ticket.
    pub appointment_slot: Option<String>,
}

/// `GET /windows/{window}/waiting`: in the order the window would call them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WaitingLine {
    /// The window the line is for.
    pub window: WindowNo,
    /// The tickets, first to be called first.
    pub tickets: Vec<WaitingTicket>,
}

/// An appointment as the booking system, the visitor's kiosk and managers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentView {
    /// The booking code the visitor checks in with at a kiosk.
    pub code: String,
    /// The item booked.
    pub service: Named,
    /// Hall-local start of the booked slot (RFC 3339).
    pub slot: String,
    /// The person who booked, masked (as the viewer's role allows).
    pub holder: Option<HolderView>,
    /// The ticket issued at check-in.
    pub ticket: Option<TicketId>,
}

/// `POST /appointments/find`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentList {
    /// The appointments found for the person.
    pub appointments: Vec<AppointmentView>,
}

/// A result document waiting to be printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultMeta {
    /// The result's id, for `GET /results/{id}/pdf` and `POST /results/{id}/collected`.
    pub id: String,
    /// What the document is, such as the licence's title, shown to the visitor.
    pub title: String,
    /// The department that issued it.
    pub department: String,
    /// Hall-local time the approval system delivered it (RFC 3339).
    pub received_at: String,
    /// Hall-local time after which it is removed uncollected (RFC 3339).
    pub expires_at: String,
    /// The PDF's size in bytes.
    pub size: u64,
    /// For a kiosk: the short-lived nonce (10 minutes) that `GET /results/{id}/pdf` and
    /// `POST /results/{id}/collected` need from this same kiosk (`?nonce=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// `POST /results/find`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResultList {
    /// The results waiting for the person (found by ID number and name together), oldest first.
    pub results: Vec<ResultMeta>,
}

/// `POST /results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivered {
    /// The delivered result's id.
    pub id: String,
    /// Hall-local time after which it is removed if nobody collects it (RFC 3339).
    pub expires_at: String,
}

/// `POST /results/{id}/collected`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Collected {
    /// The result's id.
    pub id: String,
    /// Hall-local time it was marked collected (RFC 3339).
    pub collected_at: String,
    /// The token name of the kiosk (or the manager) that collected it.
    pub collected_by: String,
}

/// Scanned materials attached to a ticket for pre-review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentMeta {
    /// The attachment's id.
    pub id: String,
    /// The ticket the pages belong to.
    pub ticket: TicketId,
    /// What the pages are, as the visitor chose it on the kiosk.
    pub title: String,
    /// Pages scanned.
    pub pages: u32,
    /// The PDF's size in bytes.
    pub size: u64,
    /// Hall-local time it was attached (RFC 3339).
    pub added_at: String,
    /// The token name of the kiosk that scanned it.
    pub kiosk: String,
}

/// `GET /tickets/{id}/attachments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    /// The ticket's attachments, oldest first.
    pub attachments: Vec<AttachmentMeta>,
}

/// `GET /config`: the configuration version in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigVersion {
    /// The version number in force.
    pub version: u64,
    /// SHA-256 of the TOML (none for the configuration the service started with).
    pub digest: Option<String>,
    /// The TOML text of the version; `None` for the configuration the service started with.
    pub toml: Option<String>,
}

/// A saved configuration version, who put it in force and when (from the chain's
/// `config_changed` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigVersionInfo {
    /// The version number.
    pub version: u64,
    /// SHA-256 of the TOML.
    pub digest: String,
    /// Hall-local time it was put in force (none when the chain has no record of it).
    pub at: Option<String>,
    /// Who put it in force, as logged (the staff member or token, "(reload)" for the file).
    pub by: Option<String>,
    /// Who put it in force, as the hash-chained event records them.
    pub actor: Option<crate::enums::Actor>,
    /// Whether this is the version in force now.
    pub in_force: bool,
}

/// `GET /config/versions`: every saved version, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigVersionList {
    /// The version in force.
    pub in_force: u64,
    /// Every saved version, newest first.
    pub versions: Vec<ConfigVersionInfo>,
}

/// `GET /config/diff?from=A&to=B`: a unified diff of two versions (tokens redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigDiff {
    /// The version compared from (`?from=`).
    pub from: u64,
    /// The version compared to (`?to=`).
    pub to: u64,
    /// Lines changed, added and removed.
    pub changed: u32,
    /// Lines added going from `from` to `to`.
    pub added: u32,
    /// Lines removed going from `from` to `to`.
    pub removed: u32,
    /// The unified diff (three lines of context), empty when they are the same.
    pub diff: String,
}

/// `PUT /config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigSaved {
    /// The new version's number, now in force.
    pub version: u64,
    /// SHA-256 of its TOML (hex).
    pub digest: String,
}

/// `POST /config/reload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConfigReloaded {
    /// The version in force after the reload.
    pub version: u64,
    /// Whether the file differed from the version in force and was put in force as a new version
    /// (false: nothing changed).
    pub changed: bool,
}

/// Numbers of a queue leased to a kiosk for issuing while the hall is unreachable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeaseView {
    /// The kiosk's token name.
    pub kiosk: String,
    /// The queue the numbers are of.
    pub queue: QueueId,
    /// The queue's ticket prefix: the numbers are printed as prefix + three digits.
    pub prefix: String,
    /// The hall day the lease is for; it is void on any other day.
    pub date: NaiveDate,
    /// The lowest number of the block.
    pub from: u32,
    /// The highest number of the block (leases are cut from 999 downwards).
    pub to: u32,
    /// Numbers not yet used by an uploaded ticket.
    pub left: u32,
}

/// A kiosk as managers see it: when the hall last heard from it and its leases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KioskLink {
    /// The kiosk's token name.
    pub kiosk: String,
    /// Hall-local time of its last request (none since the service started).
    pub last_seen: Option<String>,
    /// Silent for more than 30 s: offline (issuing from its leases, if it has any).
    pub offline: bool,
    /// Its number leases for today.
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
    /// Per queue.
    Queue,
    /// Per window (the window that called a ticket last).
    Window,
    /// Per department.
    Department,
    /// Per member of staff who served (staff number; tickets served with a shared token
    /// under the token).
    Staff,
    /// Per hall day.
    Day,
}

impl ReportBy {
    /// Every breakdown, in the order the console lists them.
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
    /// The first hall day of the period.
    pub from: NaiveDate,
    /// The last hall day of the period (included).
    pub to: NaiveDate,
    /// What each row is.
    pub by: ReportBy,
    /// The newest event the reports read model had taken in.
    pub as_of_seq: u64,
    /// One row per key, in key order.
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
    /// Tickets issued.
    pub tickets: u64,
    /// Served to the end (finished).
    pub served: u64,
    /// Mean wait in seconds, from issue to first call.
    pub wait_mean_secs: f64,
    /// 90th percentile of the waits, in seconds.
    pub wait_p90_secs: i64,
    /// Mean service time in seconds.
    pub service_mean_secs: f64,
    /// 90th percentile of the service times, in seconds.
    pub service_p90_secs: i64,
    /// Tickets marked no-show (过号).
    pub no_shows: u64,
    /// Tickets transferred to another item.
    pub transfers: u64,
    /// Chosen tickets called (with a reason) past tickets ahead of them in their queue.
    pub out_of_order: u64,
    /// Ratings by the five GB/T 39734 levels, from very satisfied to very dissatisfied.
    pub ratings: Vec<u64>,
}

/// A ticket rated dissatisfied or very dissatisfied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DissatisfiedTicket {
    /// The ticket's id.
    pub ticket: TicketId,
    /// The ticket's number.
    pub number: TicketNumber,
    /// The hall day it was issued.
    pub date: NaiveDate,
    /// The item it was for.
    pub service: ServiceId,
    /// The window that served it.
    pub window: Option<WindowNo>,
    /// The staff number (or token) that served it.
    pub staff: Option<String>,
    /// Which of the two levels.
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
    /// A visitor at a kiosk asked for staff (帮办) and nobody has answered yet.
    HelpRequested,
}

impl AlertKind {
    /// The kind as on the wire and in alert ids, such as "queue_wait".
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::QueueWait => "queue_wait",
            AlertKind::WindowPaused => "window_paused",
            AlertKind::DeviceFault => "device_fault",
            AlertKind::KioskSilent => "kiosk_silent",
            AlertKind::DisplaySilent => "display_silent",
            AlertKind::HelpRequested => "help_requested",
        }
    }
}

/// How bad: a warning, or critical (visitors are affected now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    /// Something needs attention soon.
    Warning,
    /// Visitors are affected now.
    Critical,
}

impl AlertSeverity {
    /// The severity as on the wire and in alert ids.
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
    /// A queue, by id.
    Queue,
    /// A counter window, by number.
    Window,
    /// A kiosk, by token name.
    Kiosk,
    /// A display token, by name.
    Display,
}

/// The queue, window, kiosk or display an alert is about. No personal data: a window's
/// staff number at most.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct AlertSubject {
    /// What kind of thing the alert is about.
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
    /// What the alert is about.
    pub kind: AlertKind,
    /// How bad it is.
    pub severity: AlertSeverity,
    /// The queue, window, kiosk or display concerned.
    pub subject: AlertSubject,
    /// For the manager, in Chinese.
    pub message: String,
    /// For the manager, in English.
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
    /// The condition began to hold.
    Raised,
    /// The condition no longer holds.
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
    /// Whether the alert was raised or cleared.
    pub change: AlertChange,
    /// 1 for the first try.
    pub attempt: u32,
    /// Hall-local time the attempt ended.
    pub at: String,
    /// The webhook's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong, when it did not answer 2xx (timeout, refused, …).
    pub error: Option<String>,
    /// How the attempt ended.
    pub outcome: DeliveryOutcome,
    /// Seconds until the next attempt, when retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_in_secs: Option<f64>,
}

/// `GET /alerts` (managers): the alerts raised now and the recent webhook deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertsView {
    /// The hall's clock when the view was built (hall-local RFC 3339).
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
    /// Whether the alert was raised or cleared.
    pub change: AlertChange,
    /// The hall's name.
    pub hall: String,
    /// Hall-local time of the raise or clear.
    pub at: String,
    /// The alert itself.
    pub alert: Alert,
}

/// `GET /reports/charts`: chart figures of the hall days `from..=to` from the reports read
/// model as of event `as_of_seq`, for the whole hall, per department and per window.
/// Managers only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChartData {
    /// The first hall day of the period.
    pub from: NaiveDate,
    /// The last hall day of the period (included).
    pub to: NaiveDate,
    /// The newest event the reports read model had taken in.
    pub as_of_seq: u64,
    /// The wait buckets' lower edges in minutes (`[0, 5, 10, …, 60]`): bucket `i` holds the
    /// waits from edge `i` up to edge `i + 1`, the last every wait of 60 minutes or more.
    pub wait_buckets_min: Vec<u32>,
    /// The whole hall's figures.
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
    /// Its figures.
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
    /// A ticket moved to another item.
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
    /// The first hall day of the period.
    pub from: NaiveDate,
    /// The last hall day of the period (included).
    pub to: NaiveDate,
    /// Only this window's actions, when asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowNo>,
    /// Only this staff number's actions, when asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// The newest event the reports read model had taken in.
    pub as_of_seq: u64,
    /// In log order; at most the first 10,000 (`truncated` then says so; the counts cover all).
    pub actions: Vec<SupervisedAction>,
    /// More actions than listed were found.
    pub truncated: bool,
    /// Counts per window, in number order.
    pub by_window: Vec<SupervisionCount>,
    /// Per staff number (a shared token's actions under "token NAME").
    pub by_staff: Vec<SupervisionCount>,
    /// The event log's hash chain and the digests filed of it.
    pub chain: ChainState,
}

/// One supervised action. `ticket` links to the ticket's full history (`GET /tickets/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SupervisedAction {
    /// The event's sequence number in the log.
    pub seq: u64,
    /// Hall-local time (RFC 3339 in the hall's offset).
    pub at: String,
    /// What the action was.
    pub kind: SupervisedKind,
    /// The window that acted.
    pub window: WindowNo,
    /// Who did it, as the hash-chained event records.
    pub actor: crate::enums::Actor,
    /// The staff number (a shared token: "token NAME"), as reports by staff member key it.
    pub staff: Option<String>,
    /// The ticket acted on (none for a pause).
    pub ticket: Option<TicketId>,
    /// The ticket's number.
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
    /// A transfer: the item it was moved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_service: Option<ServiceId>,
    /// A pause: when the window resumed (hall-local), and the minutes it was paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<String>,
    /// Minutes the window was paused (when it resumed).
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
    /// Calls that passed over tickets ahead of them in their queue.
    pub out_of_order: u64,
    /// Tickets transferred to another item.
    pub transfers: u64,
    /// No-shows put back in their queue.
    pub requeues: u64,
    /// Pauses begun.
    pub pauses: u64,
    /// Minutes paused, of the pauses that ended.
    pub paused_minutes: f64,
}

/// The hash chain of the event log now, and its digests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChainState {
    /// The newest event's sequence number and hash (hex): the head of the chain.
    pub last_seq: u64,
    /// SHA-256 of the newest event (hex), chaining every event before it.
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
    /// The hall day.
    pub date: NaiveDate,
    /// Whether the day is over (a later day opened), so its figures are final.
    pub closed: bool,
    /// Sequence number of the day's first event.
    pub first_seq: u64,
    /// Sequence number of the day's last event.
    pub last_seq: u64,
    /// Hash of the day's last event (hex): filed elsewhere, it pins the day.
    pub last_hash: String,
    /// Events logged that day.
    pub events: u64,
    /// Tickets issued.
    pub tickets_issued: u64,
    /// Calls made that day.
    pub calls: u64,
    /// Transfers.
    pub transfers: u64,
    /// Ratings given.
    pub ratings: u64,
}

/// The newest digest filed in the data directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FiledDigest {
    /// The digest as it was filed.
    pub digest: DigestView,
    /// `None` when the log still matches it, else what changed.
    pub problem: Option<String>,
}
