//! Pure domain types and rules of the chat server.
//!
//! No I/O, no clock, no randomness of its own: time (`now`) and random bytes
//! (salts) come in as parameters, so every rule is testable with plain values.
//!
//! - Values are parsed once at the edge and trusted after: [`Username`],
//!   [`MessageBody`], [`ClientMessageId`], the id newtypes.
//! - Threads: [`UserPair`] names a 1:1 thread the same way from either side;
//!   [`Thread::may_access`] is the membership rule.
//! - [`password`]: the signup policy ([`password::check_password`]) and argon2id
//!   hashing ([`password::hash_password`], [`password::verify_password`]).
//! - [`unread`]: read cursors ([`unread::advance_cursor`]), what counts as unread,
//!   badge and title text.
//! - [`rate`]: [`rate::TokenBucket`], [`rate::RateLimiter`], [`rate::Throttle`] and
//!   the login lockout rule [`rate::login_lockout`].
//!
//! The value types sit at the crate root; the three rule sets are modules.
//!
//! ```
//! use chat_core::password::{PasswordProblem, check_password};
//! use chat_core::{BodyError, MessageBody, UserId, UserPair, Username};
//!
//! // Usernames compare case-insensitively but keep their spelling.
//! let alice = Username::parse("Alice")?;
//! assert_eq!(alice, Username::parse("alice")?);
//! assert_eq!(alice.as_str(), "Alice");
//! assert!(Username::parse("al").is_err());
//!
//! // Bodies are trimmed and their line endings normalised; blank ones are refused.
//! let body = MessageBody::parse("  hello\r\nworld \n")?;
//! assert_eq!(body.as_str(), "hello\nworld");
//! assert_eq!(MessageBody::parse(" \t\n"), Err(BodyError::Empty));
//!
//! // A 1:1 thread is the same pair from either side, and never with oneself.
//! let (a, b) = (UserId(7), UserId(3));
//! assert_eq!(UserPair::new(a, b)?, UserPair::new(b, a)?);
//! assert_eq!(UserPair::new(a, b)?.low(), b);
//! assert!(UserPair::new(a, a).is_err());
//!
//! // Passwords: every problem is reported, for the form to show.
//! assert_eq!(check_password("correct horse battery", "alice"), Ok(()));
//! assert_eq!(
//!     check_password("alice1234", "alice"),
//!     Err(vec![PasswordProblem::TooSimilarToUsername])
//! );
//! assert_eq!(
//!     check_password("1234567", "alice"),
//!     Err(vec![
//!         PasswordProblem::TooShort { min: 8 },
//!         PasswordProblem::EntirelyNumeric,
//!         PasswordProblem::TooCommon,
//!     ])
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod password;
pub mod rate;
pub mod unread;

mod body;
mod client_id;
mod ids;
mod message;
mod thread;
mod time;
mod username;

#[cfg(test)]
mod proptests;

pub use body::{BODY_MAX_CHARS, BodyError, MessageBody};
pub use client_id::{CLIENT_ID_MAX, ClientIdError, ClientMessageId};
pub use ids::{MessageId, ThreadId, UserId};
pub use message::ChatMessage;
pub use thread::{Thread, ThreadError, UserPair};
pub use time::Timestamp;
pub use username::{USERNAME_MAX, USERNAME_MIN, Username, UsernameError};
