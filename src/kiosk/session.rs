//! The visitor now at the kiosk: everything the kiosk knows about them (the screen they
//! are on, their errand and its state, the item, the card, the request being issued, the
//! ticket), forgotten as a whole when they leave. The view is drawn from it.

use hallq_ui::view::{Errand, Screen, TicketShown};

use super::appointment::CheckIn;
use super::model::{Card, CatalogItem};
use super::results::Collect;
use super::scanning::Scanning;

/// The visitor's errand and its state: one small state machine each.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ErrandState {
    /// Browse the items and take a number (see [`super::browse`]).
    #[default]
    Ticket,
    Appointment(CheckIn),
    Results(Collect),
    Scan(Scanning),
}

impl ErrandState {
    pub fn kind(&self) -> Errand {
        match self {
            ErrandState::Ticket => Errand::Ticket,
            ErrandState::Appointment(_) => Errand::Appointment,
            ErrandState::Results(_) => Errand::Results,
            ErrandState::Scan(_) => Errand::Scan,
        }
    }
}

/// A list of items on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum List {
    /// Personal or business items.
    Category(hallq_proto::Category),
    Hot,
    Departments,
    /// One department's items (its Chinese name); Back goes to the departments.
    Department(String),
    Floor(i32),
    /// The items with materials to scan for pre-review.
    ScanItems,
    /// Search results for the initials typed.
    Search,
}

/// The request being issued (a ticket or a check-in): its request_id, kept for retries,
/// and the tries so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: String,
    pub tries: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    pub screen: Screen,
    pub errand: ErrandState,
    /// The list on screen, or the one the item on screen was chosen from (Back goes there).
    pub list: Option<List>,
    /// The pinyin initials typed on the search screen.
    pub search: String,
    pub item: Option<CatalogItem>,
    pub card: Option<Card>,
    pub request: Option<Request>,
    /// The ticket the hall issued for this visitor.
    pub ticket: Option<TicketShown>,
    /// The message screen's title and text.
    pub message: (String, String),
    /// A line on what is happening now (looking up, printing, scanning; a wrong PIN).
    pub status: String,
    /// The visitor pressed 帮办: where that call is.
    pub help: Option<Help>,
    /// The next step the message on screen offers (see [`super::next`]).
    pub next: Option<super::next::Next>,
}

/// A call for staff (帮办) from this visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Help {
    /// Sent, no answer yet.
    Calling,
    /// The hall has it: staff are coming.
    Called,
    /// The hall could not be told: the visitor is sent to the service desk.
    Unreachable,
}

impl Session {
    /// The visitor's pages were scanned: the runtime is to forget them when they leave.
    pub fn has_scans(&self) -> bool {
        matches!(&self.errand, ErrandState::Scan(s) if !s.pages.is_empty())
    }
}
