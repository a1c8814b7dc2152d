//! Newtype ids, so a thread id can never be passed where a user id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer, as stored.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse::<i64>().map($name)
            }
        }
    };
}

id_type!(
    /// A registered user.
    UserId
);
id_type!(
    /// A conversation (today always between exactly two users).
    ThreadId
);
id_type!(
    /// A stored message. Ids strictly increase across the whole server, so a
    /// message id doubles as a resume position: "everything after M".
    MessageId
);

#[cfg(test)]
mod tests;
