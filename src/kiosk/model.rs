//! What goes into the kiosk controller and what comes out: the catalogue as the kiosk
//! shows it, the visitor's card, the hall's answers ([`Input`]) and the IO the controller
//! asks for ([`Effect`]), in the order it asks.

use hallq_proto::{Category, IdentityRule};
use hallq_ui::view::{DeviceKind, Thumb, UiAction};

pub use super::text::Said;

/// One service item as the kiosk shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogItem {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub department: String,
    pub department_en: String,
    pub mode: String,
    /// The handling mode in English.
    pub mode_en: String,
    /// The queue its tickets join (the figures the hall sends are per queue).
    pub queue: String,
    pub category: Category,
    pub hot: bool,
    pub materials: Vec<String>,
    /// The materials in English, one for each of `materials`.
    pub materials_en: Vec<String>,
    /// Where its visitors wait, such as "1楼等候区", and in English.
    pub waiting_area: String,
    pub waiting_area_en: String,
    /// (window number, floor).
    pub windows: Vec<(u32, i32)>,
    pub waiting: u32,
    pub estimate_minutes: u32,
    pub identity: IdentityRule,
    pub time_limit_days: u32,
    pub promised_days: u32,
}

/// What the hall's configuration says about kiosks (`[kiosk]`, `[ticket]`), live.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskSettings {
    pub tiles: Vec<String>,
    pub welcome: String,
    pub welcome_en: String,
    /// Argon2 hash (PHC string) of the manager PIN, or the old SHA-256 (hex) form; empty:
    /// no manager menu. See [`crate::kiosk::pin`].
    pub manager_pin: String,
    pub idle_secs: u32,
    pub idle_secs_elderly: u32,
    pub ticket_header: Vec<String>,
    pub ticket_footer: Vec<String>,
    pub ticket_qr: bool,
    /// The hall's public base URL for the ticket QR; empty: the kiosk's `--server`.
    pub public_url: String,
}

impl Default for KioskSettings {
    fn default() -> KioskSettings {
        KioskSettings {
            tiles: crate::config::KIOSK_TILES.iter().map(|t| t.to_string()).collect(),
            welcome: String::new(),
            welcome_en: String::new(),
            manager_pin: String::new(),
            idle_secs: 60,
            idle_secs_elderly: 120,
            ticket_header: vec!["{hall}".into()],
            ticket_footer: Vec::new(),
            ticket_qr: true,
            public_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    pub hall_name: String,
    pub hall_name_en: String,
    /// The items offered on kiosks.
    pub items: Vec<CatalogItem>,
    pub kiosk: KioskSettings,
    /// The service desks (导引台), where visitors are sent for what the kiosk cannot do.
    pub desks: Vec<Desk>,
    /// The hall's 过号 rule as printed, in Chinese and English.
    pub no_show: (String, String),
}

/// A service desk (导引台) as the kiosk names it to visitors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desk {
    pub name: String,
    pub name_en: String,
    pub floor: i32,
}

/// One of the visitor's appointments, as the hall service lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentRow {
    pub code: String,
    pub service: String,
    /// "2026-11-27 10:00".
    pub slot: String,
    pub checked_in: bool,
}

/// A result waiting for the visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub id: String,
    pub title: String,
    pub department: String,
    /// The nonce the hall gave this kiosk for it: fetching and collecting need it.
    pub nonce: Option<String>,
}

/// A card the reader read, already reduced to what the kiosk needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub id_number: String,
    pub name: String,
    pub masked: String,
    /// "2026-01-04" when the card has expired, else empty.
    pub expired_on: String,
}

/// A ticket the hall service issued.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Issued {
    pub id: String,
    pub number: String,
    pub service: String,
    pub holder: String,
    pub windows: Vec<(u32, i32)>,
    /// Where to wait ("1楼等候区"), and in English; empty: just listen for the number.
    pub waiting_area: String,
    pub waiting_area_en: String,
    pub ahead: u32,
    pub estimate_minutes: u32,
    pub token: String,
    pub status_url: String,
    /// What the ticket printer prints, made from the hall's answer by `tickets::model`.
    pub printable: hallq_drivers::printer::ticket::TicketModel,
    /// Issued from the kiosk's number lease while the hall was unreachable.
    pub offline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IssueFailure {
    /// The hall service said no (limit, cap, hours…): its message is for the visitor.
    Refused(Said),
    /// No answer: the request may be retried with the same request_id (why, for the log).
    Unreachable(String),
    /// The hall issues no tickets during its lunch break: its message, and the hall-local
    /// "HH:MM" issuing resumes.
    LunchBreak { said: Said, until: Option<String> },
}

// One input at a time, never stored in bulk: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Ui(UiAction),
    Card(Card),
    CardUnreadable(Said),
    Issued(Result<Issued, IssueFailure>),
    /// Err(visitor message, whether the ticket may be incomplete).
    Printed(Result<(), (Said, bool)>),
    /// The hall is unreachable but the kiosk issues from its number leases (true), or the
    /// hall answers again (false): a line on the home screen says so.
    Offline(bool),
    /// Faults that stop issuing: the ticket printer's and the hall connection's; None when
    /// all is well. The kiosk shows its out-of-service screen (after the visitor now at it).
    Health(Option<Said>),
    Catalog(Catalog),
    /// The hall's waits now, per queue: (queue, waiting, estimate in minutes).
    Figures(Vec<(String, u32, u32)>),
    /// Once a second, with the hall-local time to show.
    Tick(String),
    /// The visitor's appointments (or why they could not be looked up).
    Appointments(Result<Vec<AppointmentRow>, Said>),
    /// The results waiting for the visitor.
    Results(Result<Vec<ResultRow>, Said>),
    /// How the A4 printing goes: a line for the visitor and a percentage.
    DocProgress(Said, u32),
    /// The A4 printing ended: the results printed and marked collected, or why it stopped.
    DocsPrinted(Result<u32, Said>),
    /// Pages scanned (thumbnails), or why scanning failed.
    Scanned(Result<Vec<Thumb>, Said>),
    /// Faults of the devices only some errands need: the ID-card reader, the A4 printer or
    /// the scanner (None: working again). Only the errands that need the device stop: items
    /// that require the ID card send the visitor to the service desk, items where it is
    /// optional skip the card step.
    OptionalDevice(DeviceKind, Option<Said>),
    /// A self-test finished: device, passed, what it found.
    SelfTested(DeviceKind, bool, String),
    /// The scanned pages did not reach the hall service (the ticket is fine).
    AttachFailed,
    /// The call for staff (帮办) reached the hall (true), or did not (false).
    HelpCalled(bool),
}

// A handful of effects per tap, never stored in bulk: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Issue {
        request_id: String,
        service: String,
        identity: Option<(String, String)>,
    },
    Print(Issued),
    FindAppointments {
        identity: (String, String),
    },
    CheckIn {
        request_id: String,
        code: String,
        identity: Option<(String, String)>,
    },
    FindResults {
        identity: (String, String),
    },
    /// Print these results on the A4 printer one after another, marking each collected
    /// once it printed.
    PrintResults(Vec<ResultRow>),
    /// Scan pages: on the flatbed (one) or from the feeder (all); `replace` retakes a page.
    Scan {
        feeder: bool,
        replace: Option<usize>,
    },
    DeletePage(usize),
    /// Attach the scanned pages to the ticket just issued.
    Attach {
        ticket: String,
        title: String,
    },
    /// The visitor left: forget scanned pages.
    ForgetScans,
    /// Say this aloud (elderly mode).
    Speak(String),
    /// 帮办: ask the hall to send staff to this kiosk (`POST /help`); answered with
    /// [`Input::HelpCalled`].
    CallForHelp,
    SelfTest(DeviceKind),
    Exit,
}

pub struct Settings {
    pub kiosk_id: String,
    /// An A4 printer for results, a scanner and an ID-card reader are attached. Without a
    /// reader the kiosk behaves as with a faulty one (see [`Input::OptionalDevice`]).
    pub has_a4: bool,
    pub has_scanner: bool,
    pub has_reader: bool,
    /// Seconds without a touch before going home.
    pub idle_secs: u32,
    pub idle_secs_elderly: u32,
    /// Tries of one issue request before giving up.
    pub issue_attempts: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            kiosk_id: "kiosk".into(),
            has_a4: true,
            has_scanner: true,
            has_reader: true,
            idle_secs: 60,
            idle_secs_elderly: 120,
            issue_attempts: 3,
        }
    }
}
