//! The queue engine: a pure state machine. Commands go in with the time they happen,
//! events come out; `apply` folds events into the state. It never does IO, never reads a
//! clock and never draws random numbers, so everything it decides can be tested and replayed.
//!
//! The service calls [`execute`], persists the events it returns, and only then answers.
//! On restart the state is rebuilt by applying the logged events in order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, IdentityRule};

mod apply;
mod commands;
mod decide;
mod events;
mod model;
pub mod offline;
mod order;
mod rejections;
#[cfg(test)]
mod tests;
mod window;

pub use apply::*;
pub use commands::*;
pub use decide::*;
pub use events::*;
pub use model::*;
pub use order::*;
pub use rejections::*;
#[allow(unused_imports)]
use window::*;

pub use offline::{Lease, OfflineMark, OfflineTicket};

pub type Ts = DateTime<Utc>;

use hallq_proto::ErrorCode;
pub use hallq_proto::{Actor, Channel, Priority, Rating, Role, Status};
