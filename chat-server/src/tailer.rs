//! The store tailer: with `--redis` (several processes on one database), the
//! one way stored messages reach this process's sockets.
//!
//! `SQLite` assigns a message id inside the write transaction and writers are
//! serialised, so across every process sharing the file commit order is id
//! order, and `messages_since(cursor)` is a global, gap-free, ordered feed.
//! The tailer follows it from the newest id at startup and hands each message
//! to the hub, encoded once for this process, with the sender's `client_id` on
//! the sender's copies (it is in the row). Its cursor only moves forward, and
//! only past a message that was handed over: a process never delivers a
//! message twice and never skips one, whatever Redis does.
//!
//! It reads when woken — by a local commit (the append callback), by another
//! process's `Committed` wake-up through Redis, by a Redis reconnection; many
//! wake-ups coalesce into one read — and at least every [`POLL`], which keeps
//! messages flowing between processes while Redis is down.

use std::sync::Arc;
use std::time::Duration;

use chat_core::{ChatMessage, MessageId};
use chat_transport::layer::Event;
use tokio::sync::Notify;

use crate::app::AppState;
use crate::error::AppError;
use crate::views;

/// Most messages read per query.
pub const BATCH: usize = 1000;
/// The longest the tailer sleeps without a wake-up: the delay of messages from
/// other processes while Redis is down.
pub const POLL: Duration = Duration::from_secs(1);

/// Follows the feed from `cursor` until the runtime stops.
pub async fn run(state: Arc<AppState>, wake: Arc<Notify>, mut cursor: MessageId) {
    loop {
        // A wake-up or the poll period: either way, read.
        let _ = tokio::time::timeout(POLL, wake.notified()).await;
        cursor = catch_up(&state, cursor).await;
    }
}

/// Delivers every message after `cursor`, in batches, and returns the new
/// cursor. On a failure it stops at the last message delivered (logged); the
/// next round retries from there.
pub async fn catch_up(state: &AppState, mut cursor: MessageId) -> MessageId {
    loop {
        let after = cursor;
        let batch = match state.db(move |s| s.messages_since(after, BATCH)).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, %cursor, "tailer: reading new messages failed; retrying");
                return cursor;
            }
        };
        for message in &batch {
            if let Err(e) = deliver(state, message).await {
                tracing::warn!(error = %e, id = %message.id, "tailer: delivery failed; retrying");
                return cursor;
            }
            cursor = message.id;
        }
        if batch.len() < BATCH {
            return cursor;
        }
    }
}

/// Hands one message to the hub, unless nobody it concerns has a socket here.
///
/// Skipping is safe: a socket registers in the hub before its `hello` reads
/// `last_id`, so a socket that registers after this check says hello with an
/// id at least this message's, and resumes for it if it needs it.
async fn deliver(state: &AppState, message: &ChatMessage) -> Result<(), AppError> {
    let Some(thread) = state.thread(message.thread).await? else {
        // Foreign keys make this impossible; nobody could receive it anyway.
        tracing::error!(id = %message.id, "tailer: message of an unknown thread skipped");
        return Ok(());
    };
    let concerned = std::iter::once(message.sender).chain(thread.members.iter().copied());
    if !concerned
        .into_iter()
        .any(|user| state.hub.user_socket_count(user) > 0)
    {
        return Ok(());
    }
    let sender = state.username(message.sender).await?;
    state.hub.deliver(&Event::Message {
        message: views::wire_message(message, sender.as_str()),
        client_id: message.client_id.as_ref().map(ToString::to_string),
        sender: message.sender,
        recipients: thread.members.clone(),
    });
    Ok(())
}
