//! `ChatMessage`: one stored message.

use crate::{ClientMessageId, MessageBody, MessageId, ThreadId, Timestamp, UserId};

/// A message as stored: its id orders it against every other message on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Strictly increasing, server-wide.
    pub id: MessageId,
    /// The thread it belongs to.
    pub thread: ThreadId,
    /// Who sent it: always the authenticated user, never a client-supplied field.
    pub sender: UserId,
    /// The text.
    pub body: MessageBody,
    /// When the server stored it.
    pub sent_at: Timestamp,
    /// The sender's idempotency key, if the client gave one.
    pub client_id: Option<ClientMessageId>,
}
