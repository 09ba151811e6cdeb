//! Newtypes for the strings and numbers of the contract that have a meaning: a ticket id is
//! not a ticket number, and neither is a service id.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize, ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, example = $example)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a string as this id, without checking it (the service checks what it
            /// receives).
            pub fn new(s: impl Into<String>) -> $name {
                $name(s.into())
            }
            /// The id as text, as it is on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The id's text, taking it out of the newtype.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name(s.to_string())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// The client's id of one creating request (one tap on a kiosk): a retry with the same
    /// id returns the first answer. 1 to 128 characters.
    RequestId,
    "kiosk-1-7f3a2c"
);
string_id!(
    /// A ticket's id, unique in the hall: issue date and number.
    TicketId,
    "20261127-A001"
);
string_id!(
    /// What is printed and called: queue prefix and three digits, per queue per day.
    TicketNumber,
    "A001"
);
string_id!(
    /// A service item of the catalogue.
    ServiceId,
    "hukou-move"
);
string_id!(
    /// A queue of the hall.
    QueueId,
    "A"
);

/// A counter window's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = u32, example = 5)]
pub struct WindowNo(pub u32);

impl WindowNo {
    /// The window's number as a plain integer.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for WindowNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u32> for WindowNo {
    fn from(n: u32) -> WindowNo {
        WindowNo(n)
    }
}

impl PartialEq<u32> for WindowNo {
    fn eq(&self, other: &u32) -> bool {
        self.0 == *other
    }
}
