//! Pure domain types and rules of the chat server.
//!
//! No I/O, no clock, no randomness of its own: time (`now`) and random bytes
//! (salts) come in as parameters, so every rule is testable with plain values.

mod body;
mod client_id;
mod ids;
mod message;
mod thread;
mod time;
mod username;

pub use body::{BODY_MAX_CHARS, BodyError, MessageBody};
pub use client_id::{CLIENT_ID_MAX, ClientIdError, ClientMessageId};
pub use ids::{MessageId, ThreadId, UserId};
pub use message::ChatMessage;
pub use thread::{Thread, ThreadError, UserPair};
pub use time::Timestamp;
pub use username::{USERNAME_MAX, USERNAME_MIN, Username, UsernameError};
