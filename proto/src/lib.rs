//! hallq's wire contract: every request, answer, stream event and error of the hall
//! service's `/api/v1`, as serde types with OpenAPI schemas (utoipa), and [`HallClient`],
//! the one Rust client the kiosk, the displays, the demo and the tests use.
//!
//! The service answers with these types and generates its OpenAPI document from them, so
//! the two sides cannot drift apart silently.

#![warn(missing_docs)]

pub mod enums;
pub mod error;
pub mod events;
pub mod ids;
pub mod requests;
pub mod views;

#[cfg(feature = "client")]
pub mod client;

pub use enums::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use events::{EventView, Hello, HelloKind, IssuedTicket, StreamEvent, StreamMessage};
pub use ids::{QueueId, RequestId, ServiceId, TicketId, TicketNumber, WindowNo};
pub use requests::*;
pub use views::*;

#[cfg(feature = "client")]
pub use client::{ClientError, EventFeed, FeedItem, HallClient, Issued};
