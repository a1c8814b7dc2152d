//! `ClientMessageId`: the client's idempotency key for a send (1..=64 printable ASCII).

use std::fmt;

use serde::{Serialize, Serializer};

/// Most bytes a client message id may have.
pub const CLIENT_ID_MAX: usize = 64;

/// A client-chosen id that makes a retried send idempotent: the store keeps at most
/// one message per (thread, sender, client id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientMessageId(String);

/// Why a string is not a client message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientIdError {
    /// The empty string.
    #[error("client id is empty")]
    Empty,
    /// Longer than [`CLIENT_ID_MAX`].
    #[error("client id is longer than {CLIENT_ID_MAX} characters")]
    TooLong,
    /// A character outside printable ASCII (space through `~`).
    #[error("client id may only contain printable ASCII")]
    InvalidChar,
}

impl ClientMessageId {
    /// Parses a client message id.
    pub fn parse(s: &str) -> Result<Self, ClientIdError> {
        if s.is_empty() {
            return Err(ClientIdError::Empty);
        }
        if !s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(ClientIdError::InvalidChar);
        }
        if s.len() > CLIENT_ID_MAX {
            return Err(ClientIdError::TooLong);
        }
        Ok(Self(s.to_owned()))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ClientMessageId> for String {
    /// The id text, without a copy.
    fn from(id: ClientMessageId) -> String {
        id.0
    }
}

impl fmt::Display for ClientMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ClientMessageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
