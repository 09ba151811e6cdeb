//! The small closed sets of the contract. The engine and the configuration use these same
//! types, so the wire cannot drift from what the hall decides.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A ticket's priority: decides its place in the call order (green channel tickets, and
/// appointments whose slot is due, before normal ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// An ordinary ticket, called in its turn.
    #[default]
    Normal,
    /// From an appointment check-in: called ahead once its slot is due, before that only
    /// when nobody else waits.
    Appointment,
    /// 绿色通道: the elderly, the disabled, expectant mothers, veterans.
    Green,
}

impl Priority {
    /// The label printed on a ticket ("" for a normal one).
    pub fn label_zh(self) -> &'static str {
        match self {
            Priority::Normal => "",
            Priority::Green => "绿色通道",
            Priority::Appointment => "预约",
        }
    }
}

/// Where a ticket came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Taken by the visitor at a self-service kiosk.
    #[default]
    Kiosk,
    /// Issued by staff at a counter or service desk.
    Counter,
    /// Issued at an appointment's check-in.
    Appointment,
    /// Issued by another of the hall's systems through the API.
    Api,
}

/// Where a ticket is in its life: waiting → called → serving → finished, or a no-show, or expired
/// at the day's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In its queue, not yet called.
    Waiting,
    /// Called to a window; the visitor is on the way.
    Called,
    /// The window started serving the visitor.
    Serving,
    /// Served to the end.
    Finished,
    /// Not there after the calls the 过号 rule asks for (过号); a window may put it back in its queue
    /// for a while.
    NoShow,
    /// Still waiting when the day closed.
    Expired,
}

/// The five levels of GB/T 39734 / 39735 service evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 非常满意.
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    Neutral,
    /// 不满意.
    Dissatisfied,
    /// 非常不满意.
    VeryDissatisfied,
}

impl Rating {
    /// The five levels from very satisfied to very dissatisfied, the order reports count them in.
    pub const ALL: [Rating; 5] =
        [Rating::VerySatisfied, Rating::Satisfied, Rating::Neutral, Rating::Dissatisfied, Rating::VeryDissatisfied];

    /// The level in Chinese as the rating tablet and reports show it, such as "满意".
    pub fn label_zh(self) -> &'static str {
        match self {
            Rating::VerySatisfied => "非常满意",
            Rating::Satisfied => "满意",
            Rating::Neutral => "基本满意",
            Rating::Dissatisfied => "不满意",
            Rating::VeryDissatisfied => "非常不满意",
        }
    }
}

/// How an item is handled, the six modes of the hall's catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// 即来即办: handled at the window while the visitor waits.
    OnTheSpot,
    /// 网上申报、在线取件: applied for online, the result collected online.
    OnlineCollect,
    /// 网上申报、快递送达: applied for online, the result sent by courier.
    OnlineCourier,
    /// 网上预审、窗口核准取件: reviewed online first, approved and collected at a window.
    PrereviewWindow,
    /// 窗口申报、快递送达: applied for at a window, the result sent by courier.
    WindowCourier,
    /// Any other way (其他).
    Other,
}

impl Mode {
    /// The six modes in the order the catalogue lists them.
    pub const ALL: [Mode; 6] =
        [Mode::OnTheSpot, Mode::OnlineCollect, Mode::OnlineCourier, Mode::PrereviewWindow, Mode::WindowCourier, Mode::Other];

    /// The mode in Chinese as the kiosk shows it, such as "即来即办".
    pub fn label_zh(self) -> &'static str {
        match self {
            Mode::OnTheSpot => "即来即办",
            Mode::OnlineCollect => "网上申报、在线取件",
            Mode::OnlineCourier => "网上申报、快递送达",
            Mode::PrereviewWindow => "网上预审、窗口核准取件",
            Mode::WindowCourier => "窗口申报、快递送达",
            Mode::Other => "其他",
        }
    }

    /// The mode in English, such as "Handled on the spot".
    pub fn label_en(self) -> &'static str {
        match self {
            Mode::OnTheSpot => "Handled on the spot",
            Mode::OnlineCollect => "Apply online, collect online",
            Mode::OnlineCourier => "Apply online, delivered by courier",
            Mode::PrereviewWindow => "Pre-reviewed online, approved and collected at a window",
            Mode::WindowCourier => "Apply at a window, delivered by courier",
            Mode::Other => "Other",
        }
    }
}

/// Whom an item is for: the kiosk's first choice between personal and business matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 个人办事: for a person.
    Personal,
    /// 法人办事: for a company or organisation.
    Business,
}

/// Whether the kiosk asks for the visitor's ID card for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityRule {
    /// The kiosk reads the ID card before issuing; no card, no ticket (`identity_required`).
    Required,
    /// The kiosk offers the card reader; the visitor may skip it.
    Optional,
    /// No ID card is asked for.
    None,
}

/// What kind of window it is, which decides the queues it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// 综合窗口: serves every queue (or those listed).
    Comprehensive,
    /// 即办窗口: for items handled on the spot.
    Instant,
    /// 专门窗口: for particular items or visitors.
    Special,
}

impl WindowKind {
    /// The kind in Chinese, such as "综合窗口".
    pub fn label_zh(self) -> &'static str {
        match self {
            WindowKind::Comprehensive => "综合窗口",
            WindowKind::Instant => "即办窗口",
            WindowKind::Special => "专门窗口",
        }
    }

    /// The kind in English, such as "General window".
    pub fn label_en(self) -> &'static str {
        match self {
            WindowKind::Comprehensive => "General window",
            WindowKind::Instant => "Instant-service window",
            WindowKind::Special => "Dedicated window",
        }
    }
}

/// Who a token belongs to; each role sees only what its job needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A self-service kiosk: issues tickets, reads ID cards, prints results.
    Kiosk,
    /// A counter terminal bound to its windows (or a staff member signed in there).
    Counter,
    /// A hall or window display: calls, window states and queue figures only.
    Display,
    /// A hall manager: everything, including devices, reports and the configuration.
    Manager,
    /// Another of the hall's systems: the booking system books appointments, the approval
    /// system delivers result documents.
    System,
    /// A rating tablet beside one window: it receives that window's rating requests (with
    /// their one-time nonce) and sends the visitor's rating.
    Rating,
    /// The hall's monitoring (Prometheus): reads `/metrics` and nothing else.
    Metrics,
}

/// Who did something the hall logged: each window action, sign-in and sign-out,
/// configuration change, rating, result print and attachment read carries one in its
/// hash-chained event. Counters and managers see it; displays, visitors, kiosks and the
/// hall's other systems never receive a staff number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A member of staff signed in with their own account.
    Staff {
        /// Their staff number (工号).
        number: String,
    },
    /// A device or a shared token of the configuration.
    Token {
        /// The token's name, such as "counter-5".
        name: String,
    },
    /// The visitor, with their ticket's own token.
    Visitor,
    /// The hall service itself: the clock, the configuration file at start.
    System,
    /// Logged before actors were recorded.
    #[default]
    Unrecorded,
}

impl Actor {
    /// A signed-in staff member, by staff number (工号).
    pub fn staff(number: impl Into<String>) -> Actor {
        Actor::Staff { number: number.into() }
    }

    /// A device or shared token of the configuration, by its name.
    pub fn token(name: impl Into<String>) -> Actor {
        Actor::Token { name: name.into() }
    }

    /// Whether nothing was recorded (an event from before actors).
    pub fn is_unrecorded(&self) -> bool {
        *self == Actor::Unrecorded
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Staff { number } => write!(f, "staff {number}"),
            Actor::Token { name } => write!(f, "token {name}"),
            Actor::Visitor => f.write_str("visitor"),
            Actor::System => f.write_str("system"),
            Actor::Unrecorded => f.write_str("unrecorded"),
        }
    }
}
