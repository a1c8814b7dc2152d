//! `Username`: 3–32 characters of `A–Z a–z 0–9 _ . -`, compared case-insensitively.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Serialize, Serializer};

/// Fewest characters a username may have.
pub const USERNAME_MIN: usize = 3;
/// Most characters a username may have.
pub const USERNAME_MAX: usize = 32;

/// A valid username. Keeps the spelling the user chose for display;
/// equality, ordering and hashing ignore ASCII case.
#[derive(Debug, Clone)]
pub struct Username(String);

/// Why a string is not a username.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsernameError {
    /// Fewer than [`USERNAME_MIN`] characters.
    #[error("username must be at least {USERNAME_MIN} characters")]
    TooShort,
    /// More than [`USERNAME_MAX`] characters.
    #[error("username must be at most {USERNAME_MAX} characters")]
    TooLong,
    /// A character outside `A–Z a–z 0–9 _ . -`.
    #[error("username may only contain letters, digits, '_', '.' and '-' (found {0:?})")]
    InvalidChar(char),
}

impl Username {
    /// Parses a username. Surrounding whitespace is not trimmed: it is an error.
    pub fn parse(s: &str) -> Result<Self, UsernameError> {
        if let Some(c) = s.chars().find(|c| !is_username_char(*c)) {
            return Err(UsernameError::InvalidChar(c));
        }
        // Only ASCII passes the check above, so bytes == characters here.
        if s.len() < USERNAME_MIN {
            return Err(UsernameError::TooShort);
        }
        if s.len() > USERNAME_MAX {
            return Err(UsernameError::TooLong);
        }
        Ok(Self(s.to_owned()))
    }

    /// The spelling the user chose.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercase form used for uniqueness and lookups.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl From<Username> for String {
    /// The spelling the user chose, without a copy.
    fn from(name: Username) -> String {
        name.0
    }
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

impl PartialEq for Username {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Username {}

impl Hash for Username {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl PartialOrd for Username {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Username {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Username {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
