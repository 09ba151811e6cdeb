//! The small closed sets of the contract. The engine and the configuration use these same
//! types, so the wire cannot drift from what the hall decides.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Normal,
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
    #[default]
    Kiosk,
    Counter,
    Appointment,
    Api,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Waiting,
    Called,
    Serving,
    Finished,
    NoShow,
    /// Still waiting when the day closed.
    Expired,
}

/// The five levels of GB/T 39734 / 39735 service evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    VerySatisfied,
    Satisfied,
    Neutral,
    Dissatisfied,
    VeryDissatisfied,
}

impl Rating {
    pub const ALL: [Rating; 5] =
        [Rating::VerySatisfied, Rating::Satisfied, Rating::Neutral, Rating::Dissatisfied, Rating::VeryDissatisfied];

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
    OnTheSpot,
    OnlineCollect,
    OnlineCourier,
    PrereviewWindow,
    WindowCourier,
    Other,
}

impl Mode {
    pub const ALL: [Mode; 6] =
        [Mode::OnTheSpot, Mode::OnlineCollect, Mode::OnlineCourier, Mode::PrereviewWindow, Mode::WindowCourier, Mode::Other];

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Personal,
    Business,
}

/// Whether the kiosk asks for the visitor's ID card for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityRule {
    Required,
    Optional,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Comprehensive,
    Instant,
    Special,
}

/// Who a token belongs to; each role sees only what its job needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Kiosk,
    Counter,
    Display,
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
    /// A member of staff signed in with their own account: their staff number (工号).
    Staff { number: String },
    /// A device or a shared token of the configuration, by its name (such as "counter-5").
    Token { name: String },
    /// The visitor, with their ticket's own token.
    Visitor,
    /// The hall service itself: the clock, the configuration file at start.
    System,
    /// Logged before actors were recorded.
    #[default]
    Unrecorded,
}

impl Actor {
    pub fn staff(number: impl Into<String>) -> Actor {
        Actor::Staff { number: number.into() }
    }

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
