//! `MessageBody`: what a user may post. Trimmed, 1..=4000 characters, newlines kept.

use std::fmt;

use serde::{Serialize, Serializer};

/// Most characters (Unicode scalar values, as counted by `str::chars`) a body may have
/// after trimming. A letter followed by a combining accent counts as two.
pub const BODY_MAX_CHARS: usize = 4000;

/// A valid message body: trimmed of surrounding whitespace, `\r\n` and lone `\r`
/// normalised to `\n`, no control characters other than newline and tab.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageBody(String);

/// Why a string is not a message body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Nothing left after trimming whitespace.
    #[error("message is empty")]
    Empty,
    /// More than [`BODY_MAX_CHARS`] characters after trimming.
    #[error("message is too long ({chars} characters, at most {BODY_MAX_CHARS})")]
    TooLong {
        /// Characters found after trimming.
        chars: usize,
    },
    /// A control character other than newline or tab.
    #[error("message contains a control character (U+{:04X})", *.0 as u32)]
    ControlChar(char),
}

impl MessageBody {
    /// Parses user input into a body.
    pub fn parse(s: &str) -> Result<Self, BodyError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(BodyError::Empty);
        }
        let normalised = if trimmed.contains('\r') {
            trimmed.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            trimmed.to_owned()
        };
        check(&normalised)?;
        Ok(Self(normalised))
    }

    /// Like [`MessageBody::parse`], keeping `s` itself (no copy) when it is
    /// already trimmed and has no `\r`, as nearly every sent message is.
    pub fn parse_owned(s: String) -> Result<Self, BodyError> {
        if s.is_empty() || s.trim().len() != s.len() || s.contains('\r') {
            return Self::parse(&s);
        }
        check(&s)?;
        Ok(Self(s))
    }

    /// The body text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the text out.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for MessageBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MessageBody {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for MessageBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The rules a trimmed, normalised body must pass: no control character but
/// newline and tab, at most [`BODY_MAX_CHARS`] characters.
fn check(normalised: &str) -> Result<(), BodyError> {
    if let Some(c) = normalised
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(BodyError::ControlChar(c));
    }
    let chars = normalised.chars().count();
    if chars > BODY_MAX_CHARS {
        return Err(BodyError::TooLong { chars });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
