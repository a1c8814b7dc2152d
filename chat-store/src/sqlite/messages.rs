//! Reading messages: history pages, resume batches, the global feed, the newest id.
//!
//! Both page queries walk the `messages_thread_id (thread_id, id, sender_id)` index
//! backwards from a bound and stop after `limit + 1` rows, so their cost does
//! not grow with the size of the thread (see the query-plan test).

use chat_core::{ChatMessage, MessageId, ThreadId, UserId};
use rusqlite::{Connection, params};

use super::rows;
use super::threads::last_in_t;
use crate::{HistoryPage, ResumeBatch};

/// `?1` thread, `?2` exclusive upper id bound, `?3` row limit; newest first.
pub(super) const HISTORY_SQL: &str = "
    SELECT id, thread_id, sender_id, body, sent_at, client_id FROM messages
     WHERE thread_id = ?1 AND id < ?2
     ORDER BY id DESC LIMIT ?3";

/// `?1` thread, `?2` exclusive lower id bound, `?3` row limit; newest first.
pub(super) const RESUME_SQL: &str = "
    SELECT id, thread_id, sender_id, body, sent_at, client_id FROM messages
     WHERE thread_id = ?1 AND id > ?2
     ORDER BY id DESC LIMIT ?3";

/// `?1` exclusive lower id bound, `?2` row limit; oldest first, every thread.
/// Walks the primary key (see the query-plan test).
pub(super) const SINCE_SQL: &str = "
    SELECT id, thread_id, sender_id, body, sent_at, client_id FROM messages
     WHERE id > ?1
     ORDER BY id LIMIT ?2";

/// `?1` user, `?2` one thread or NULL for all: the threads `user` may read.
pub(super) const VISIBLE_THREADS_SQL: &str = "
    SELECT thread_id FROM thread_members
     WHERE user_id = ?1 AND (?2 IS NULL OR thread_id = ?2)";

pub(super) fn history(
    conn: &Connection,
    thread: ThreadId,
    before: Option<MessageId>,
    limit: usize,
) -> rusqlite::Result<HistoryPage> {
    let before = before.map_or(i64::MAX, MessageId::get);
    let mut messages = newest_first(conn, HISTORY_SQL, thread, before, limit)?;
    let has_more = messages.len() > limit;
    messages.truncate(limit);
    messages.reverse();
    Ok(HistoryPage { messages, has_more })
}

/// Call inside a read transaction: it runs one query per visible thread.
pub(super) fn messages_after(
    conn: &Connection,
    user: UserId,
    thread: Option<ThreadId>,
    after: MessageId,
    limit: usize,
) -> rusqlite::Result<ResumeBatch> {
    let mut messages = Vec::new();
    for thread in visible_threads(conn, user, thread)? {
        // The newest limit + 1 of each thread hold the newest limit + 1 overall.
        messages.extend(newest_first(conn, RESUME_SQL, thread, after.get(), limit)?);
    }
    messages.sort_unstable_by_key(|m| m.id);
    let truncated = messages.len() > limit;
    let messages = messages.split_off(messages.len().saturating_sub(limit));
    Ok(ResumeBatch {
        messages,
        truncated,
    })
}

pub(super) fn latest_message_id(
    conn: &Connection,
    user: UserId,
    thread: Option<ThreadId>,
) -> rusqlite::Result<MessageId> {
    conn.prepare_cached(concat!(
        "SELECT coalesce(max(",
        last_in_t!(),
        "), 0)
           FROM thread_members tm JOIN threads t ON t.id = tm.thread_id
          WHERE tm.user_id = ?1 AND (?2 IS NULL OR tm.thread_id = ?2)",
    ))?
    .query_row(params![user.get(), thread.map(ThreadId::get)], |row| {
        Ok(MessageId(row.get(0)?))
    })
}

pub(super) fn messages_since(
    conn: &Connection,
    after: MessageId,
    limit: usize,
) -> rusqlite::Result<Vec<ChatMessage>> {
    conn.prepare_cached(SINCE_SQL)?
        .query_map(
            params![after.get(), rows::sql_limit(limit, 0)],
            rows::message,
        )?
        .collect()
}

pub(super) fn newest_message_id(conn: &Connection) -> rusqlite::Result<MessageId> {
    conn.prepare_cached("SELECT coalesce(max(id), 0) FROM messages")?
        .query_row([], |row| Ok(MessageId(row.get(0)?)))
}

/// Runs a page query for up to `limit + 1` rows, newest first.
fn newest_first(
    conn: &Connection,
    sql: &str,
    thread: ThreadId,
    bound: i64,
    limit: usize,
) -> rusqlite::Result<Vec<ChatMessage>> {
    conn.prepare_cached(sql)?
        .query_map(
            params![thread.get(), bound, rows::sql_limit(limit, 1)],
            rows::message,
        )?
        .collect()
}

fn visible_threads(
    conn: &Connection,
    user: UserId,
    thread: Option<ThreadId>,
) -> rusqlite::Result<Vec<ThreadId>> {
    conn.prepare_cached(VISIBLE_THREADS_SQL)?
        .query_map(params![user.get(), thread.map(ThreadId::get)], |row| {
            Ok(ThreadId(row.get(0)?))
        })?
        .collect()
}
