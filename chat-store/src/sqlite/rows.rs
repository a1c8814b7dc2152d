//! Rows to domain values and rusqlite errors to `StoreError`: the only place the two meet.

use chat_core::{
    ChatMessage, ClientMessageId, MessageBody, MessageId, ThreadId, Timestamp, UserId, Username,
};
use rusqlite::types::Type;
use rusqlite::{Row, ffi};

use crate::{StoreError, User};

/// Maps a backend failure: a foreign-key violation means a referenced row is
/// missing (`NotFound`); anything else is `Backend`.
pub(super) fn store_error(error: rusqlite::Error) -> StoreError {
    if error.sqlite_extended_error_code() == Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) {
        StoreError::NotFound
    } else {
        StoreError::Backend(Box::new(error))
    }
}

/// Wraps any other backend error (pool, thread spawn) as `Backend`.
pub(super) fn backend(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(error))
}

/// Reads `id, thread_id, sender_id, body, sent_at, client_id` starting at column 0.
pub(super) fn message(row: &Row<'_>) -> rusqlite::Result<ChatMessage> {
    let body: String = row.get(3)?;
    let client_id: Option<String> = row.get(5)?;
    Ok(ChatMessage {
        id: MessageId(row.get(0)?),
        thread: ThreadId(row.get(1)?),
        sender: UserId(row.get(2)?),
        body: MessageBody::parse(&body).map_err(|e| conversion(3, e))?,
        sent_at: Timestamp(row.get(4)?),
        client_id: client_id
            .map(|c| ClientMessageId::parse(&c).map_err(|e| conversion(5, e)))
            .transpose()?,
    })
}

/// Reads `id, username, created_at` starting at column `first`.
pub(super) fn user_at(row: &Row<'_>, first: usize) -> rusqlite::Result<User> {
    let username: String = row.get(first + 1)?;
    Ok(User {
        id: UserId(row.get(first)?),
        username: Username::parse(&username).map_err(|e| conversion(first + 1, e))?,
        created_at: Timestamp(row.get(first + 2)?),
    })
}

/// Reads `id, username, created_at` from columns 0..3.
pub(super) fn user(row: &Row<'_>) -> rusqlite::Result<User> {
    user_at(row, 0)
}

/// A limit as an SQL integer; `extra` more rows are fetched to learn whether more exist.
pub(super) fn sql_limit(limit: usize, extra: usize) -> i64 {
    i64::try_from(limit.saturating_add(extra)).unwrap_or(i64::MAX)
}

/// A `COUNT(*)` as the trait's `u64`.
pub(super) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn conversion(
    column: usize,
    error: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(error))
}
