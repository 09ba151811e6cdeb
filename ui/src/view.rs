//! What a kiosk screen shows, as plain data, and what a visitor can do on it. The kiosk
//! controller (in the application, without Slint) produces [`KioskView`]s and consumes
//! [`UiAction`]s; the Slint layer only draws the one and reports the other.

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    #[default]
    Home,
    /// A list of items (a category, a floor, a department, or search results).
    Items,
    /// Pinyin-initials search with an on-screen keyboard.
    Search,
    /// One item: handling mode, materials, windows, waiting.
    Item,
    /// Swipe the ID card (or skip where allowed).
    Identity,
    Confirm,
    Printing,
    /// The ticket just issued: number, where to go, how to follow it.
    Ticket,
    /// A message for the visitor (a refusal, a card problem).
    Message,
    /// The kiosk cannot serve: printer, reader or hall service fault.
    OutOfService,
    /// Appointment check-in: swipe the ID card or type (or scan) the appointment code.
    Appointment,
    /// A list to choose from: the visitor's appointments or results.
    Choices,
    /// A4 printing of results, with progress.
    Documents,
    /// Scanning materials for pre-review: pages, thumbnails, retake, submit.
    Scan,
    /// The hidden manager menu's PIN pad.
    ManagerPin,
    /// The manager menu: device self-test, exit.
    Manager,
}

impl Screen {
    pub fn name(self) -> &'static str {
        match self {
            Screen::Home => "home",
            Screen::Items => "items",
            Screen::Search => "search",
            Screen::Item => "item",
            Screen::Identity => "identity",
            Screen::Confirm => "confirm",
            Screen::Printing => "printing",
            Screen::Ticket => "ticket",
            Screen::Message => "message",
            Screen::OutOfService => "out-of-service",
            Screen::Appointment => "appointment",
            Screen::Choices => "choices",
            Screen::Documents => "documents",
            Screen::Scan => "scan",
            Screen::ManagerPin => "manager-pin",
            Screen::Manager => "manager",
        }
    }
}

/// What a home-screen tile opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileId {
    Personal,
    Business,
    Hot,
    Departments,
    Search,
    Appointment,
    Results,
    Scan,
    /// The items served on one floor (the `floors` tile setting gives one per floor).
    Floor(i32),
    /// 找人帮忙 (长者模式): the same as the 帮办 button.
    Help,
}

impl TileId {
    /// A tile named in the hall's `[kiosk] tiles` (`floors` is not one tile but one per
    /// floor, and so not here).
    pub fn from_setting(name: &str) -> Option<TileId> {
        Some(match name {
            "personal" => TileId::Personal,
            "business" => TileId::Business,
            "hot" => TileId::Hot,
            "departments" => TileId::Departments,
            "search" => TileId::Search,
            "appointment" => TileId::Appointment,
            "results" => TileId::Results,
            "scan" => TileId::Scan,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub id: TileId,
    pub label: String,
    pub sub: String,
}

/// What a line of a list opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowTarget {
    /// A service item, by its id.
    Item(String),
    /// A department's items, by the department's (Chinese) name.
    Department(String),
}

impl Default for RowTarget {
    fn default() -> RowTarget {
        RowTarget::Item(String::new())
    }
}

/// A device of the kiosk, as the manager's self-test and the hall's device list name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    TicketPrinter,
    IdcardReader,
    A4Printer,
    Scanner,
    /// The connection to the hall service (self-test only).
    HallService,
}

impl DeviceKind {
    /// In the order of the self-test screen.
    pub const ALL: [DeviceKind; 5] =
        [DeviceKind::TicketPrinter, DeviceKind::IdcardReader, DeviceKind::A4Printer, DeviceKind::Scanner, DeviceKind::HallService];

    /// The device's name on the wire (`POST /devices/status`) and in logs.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::TicketPrinter => "ticket-printer",
            DeviceKind::IdcardReader => "idcard-reader",
            DeviceKind::A4Printer => "a4-printer",
            DeviceKind::Scanner => "scanner",
            DeviceKind::HallService => "hall-service",
        }
    }

    pub fn from_name(name: &str) -> Option<DeviceKind> {
        DeviceKind::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// The visitor's errand under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Errand {
    /// Browse the items and take a number.
    #[default]
    Ticket,
    /// Check in for an appointment.
    Appointment,
    /// Print results on the A4 printer.
    Results,
    /// Scan papers for pre-review, then take a number.
    Scan,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemRow {
    pub target: RowTarget,
    pub name: String,
    pub department: String,
    pub mode: String,
    pub waiting: u32,
    pub estimate_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemDetail {
    pub name: String,
    pub department: String,
    pub mode: String,
    pub materials: Vec<String>,
    /// "1楼 1、2、7号窗口".
    pub windows: String,
    pub waiting: u32,
    pub estimate_minutes: u32,
    pub time_limit: String,
    /// The item needs the ID card: the card screen offers no way on without it.
    pub card_required: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketShown {
    pub number: String,
    pub service: String,
    pub holder: String,
    pub windows: String,
    /// Where to wait: "请在1楼等候区等候，留意叫号".
    pub wait: String,
    pub ahead: u32,
    pub estimate_minutes: u32,
    pub status_url: String,
    /// Set when the ticket exists but did not print completely.
    pub print_problem: String,
    /// The status page's QR, on screen when the ticket did not print (empty otherwise).
    pub qr: Thumb,
    /// Issued from the kiosk's number lease while the hall was unreachable.
    pub offline: bool,
}

/// A line of a list: an appointment, a result, a self-test.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChoiceRow {
    pub id: String,
    pub title: String,
    pub sub: String,
    /// A self-test line's state (other lines: `None`).
    pub state: RowState,
}

/// How a self-test line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowState {
    /// Not a self-test line, or not tested yet.
    #[default]
    None,
    Ok,
    Fault,
    Busy,
}

/// A scanned page as a small picture.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thumb {
    pub width: u32,
    pub height: u32,
    /// RGB, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct KioskView {
    pub screen: Screen,
    pub english: bool,
    pub elderly: bool,
    pub hall_name: String,
    pub clock: String,
    pub title: String,
    pub tiles: Vec<Tile>,
    pub items: Vec<ItemRow>,
    pub detail: ItemDetail,
    pub search: String,
    pub holder: String,
    pub message_title: String,
    pub message_body: String,
    pub ticket: TicketShown,
    pub out_of_service: String,
    /// Out of service: where to go instead (the service desk, another kiosk).
    pub elsewhere: String,
    /// Seconds before the kiosk returns home, when it is counting down.
    pub idle_left: u32,
    /// A line under the header on the home screen.
    pub welcome: String,
    /// The errand under way.
    pub flow: Errand,
    /// The appointment code typed so far.
    pub code: String,
    pub choices: Vec<ChoiceRow>,
    /// What is happening now (printing a result, scanning a page), and how far (0-100).
    pub progress: String,
    pub progress_percent: u32,
    /// Scanned pages, and the one selected for a retake.
    pub pages: Vec<Thumb>,
    pub selected_page: Option<usize>,
    /// Digits of the manager PIN typed so far.
    pub pin_len: u32,
    /// Self-test lines on the manager screen.
    pub tests: Vec<ChoiceRow>,
    /// After the visitor pressed 帮办: whether staff were told, or where to go for help.
    pub help: String,
    /// The label of the message screen's next step (empty: none).
    pub next: String,
}

/// What the visitor did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiAction {
    Tile(TileId),
    Item(String),
    /// A department of the department list: its items.
    Department(String),
    /// Take a number for the item on screen (or scan papers for it).
    TakeNumber,
    SearchKey(char),
    SearchBackspace,
    Back,
    Home,
    SkipIdentity,
    Confirm,
    ToggleElderly,
    SetEnglish(bool),
    /// Any touch, which keeps the kiosk from going back home.
    Touch,
    /// 帮办: call staff to the visitor at this kiosk.
    CallStaff,
    /// The next step the message on screen offers.
    Next,
    /// A character of the appointment code (on-screen keys, or a QR scanner in keyboard mode).
    CodeKey(char),
    CodeBackspace,
    /// Enter after the code (the QR scanner sends it at the end).
    CodeEnter,
    /// An appointment or result chosen from a list ("all" prints every result).
    Choose(String),
    /// Scan a page on the flatbed, or every page in the feeder.
    ScanFlatbed,
    ScanFeeder,
    SelectPage(usize),
    DeletePage,
    /// Done scanning: take the number with these pages attached.
    Submit,
    /// A tap on the hidden top-left corner; five in a row open the manager PIN pad.
    Corner,
    PinKey(char),
    PinBackspace,
    PinEnter,
    /// Run a device self-test.
    SelfTest(DeviceKind),
    /// Leave the kiosk program (manager only).
    Exit,
}

/// What a window display (over one counter) or the hall display (综合屏) shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DisplayView {
    /// "window" or "hall".
    pub mode: String,
    pub english: bool,
    pub hall_name: String,
    pub clock: String,
    /// False while the display has lost the hall service and is reconnecting.
    pub connected: bool,
    /// A problem for whoever looks after the screen (bad token, unknown window).
    pub problem: String,
    pub window: WindowShown,
    /// The part of the hall this display shows ("2 楼", "报建区"), empty for the whole hall.
    pub place: String,
    /// Newest first, one line per ticket (a recall replaces the ticket's earlier line).
    /// The first is the newest call, shown large; the rest are as many as fit the strip.
    pub calls: Vec<CallShown>,
    /// The windows and queues of the page on screen (all of them before paging).
    pub windows: Vec<WindowTile>,
    pub queues: Vec<QueueShown>,
    /// "windows" or "queues": what the page on screen lists.
    pub page_kind: String,
    /// The page on screen, from 1, and how many there are (1: no page number shown).
    pub page: u32,
    pub pages: u32,
    /// Seconds a page stays up.
    pub page_seconds: u32,
    pub notice: String,
    /// Set for a few seconds after a new call.
    pub flash: bool,
}

/// The screen over one window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WindowShown {
    pub number: u32,
    pub name: String,
    pub open: bool,
    /// The ticket being called or served, or empty.
    pub current: String,
    /// "请A001号到5号窗口办理", or the paused / closed line.
    pub line: String,
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallShown {
    pub number: String,
    pub window: u32,
    pub recall: bool,
    /// The whole sentence: "请 A001 号到 2 楼 25 号窗口" (the floor when the hall has
    /// more than one).
    pub line: String,
    /// The short form for the strip of earlier calls: "A001 → 2楼 25号".
    pub short: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WindowTile {
    pub number: u32,
    pub name: String,
    pub current: String,
    pub paused: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueShown {
    pub name: String,
    pub waiting: u32,
    pub estimate_minutes: u32,
}
