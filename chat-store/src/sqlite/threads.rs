//! Threads, memberships, read cursors and the per-user lists (threads, contacts).

use std::cmp::Reverse;

use chat_core::{ChatMessage, MessageId, Thread, ThreadId, Timestamp, UserId, UserPair};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows;
use crate::{Contact, ThreadSummary};

/// My unread count in thread `t`, with `rc` my read cursor there and `?1` me:
/// messages after the cursor not sent by me. One rule for every list.
macro_rules! unread_in_t {
    () => {
        "(SELECT count(*) FROM messages m
           WHERE m.thread_id = t.id AND m.id > coalesce(rc.up_to, 0)
             AND m.sender_id <> ?1)"
    };
}

/// The newest message id of thread `t` (NULL when it has none): one seek at
/// the end of the thread's range of `messages_thread_id`. Computed, not
/// stored, so appends write no `threads` row.
macro_rules! last_in_t {
    () => {
        "(SELECT max(m.id) FROM messages m WHERE m.thread_id = t.id)"
    };
}
pub(super) use last_in_t;

/// The id of the direct thread of `pair`, if it exists.
pub(super) fn direct_thread_id(
    conn: &Connection,
    pair: UserPair,
) -> rusqlite::Result<Option<ThreadId>> {
    conn.prepare_cached(
        "SELECT id FROM threads WHERE pair_low = ?1 AND pair_high = ?2 AND kind = 'direct'",
    )?
    .query_row(params![pair.low().get(), pair.high().get()], |row| {
        Ok(ThreadId(row.get(0)?))
    })
    .optional()
}

/// Inside a write transaction: the direct thread of `pair`, created with both
/// memberships if missing. A missing user fails the foreign key (`NotFound`).
pub(super) fn get_or_insert_direct_thread(
    conn: &Connection,
    pair: UserPair,
    now: Timestamp,
) -> rusqlite::Result<ThreadId> {
    if let Some(id) = direct_thread_id(conn, pair)? {
        return Ok(id);
    }
    conn.prepare_cached(
        "INSERT INTO threads (kind, pair_low, pair_high, created_at) VALUES ('direct', ?1, ?2, ?3)",
    )?
    .execute(params![
        pair.low().get(),
        pair.high().get(),
        now.as_millis()
    ])?;
    let id = conn.last_insert_rowid();
    let mut add_member =
        conn.prepare_cached("INSERT INTO thread_members (thread_id, user_id) VALUES (?1, ?2)")?;
    add_member.execute(params![id, pair.low().get()])?;
    add_member.execute(params![id, pair.high().get()])?;
    Ok(ThreadId(id))
}

pub(super) fn thread(conn: &Connection, id: ThreadId) -> rusqlite::Result<Option<Thread>> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM threads WHERE id = ?1")?
        .query_row([id.get()], |_| Ok(()))
        .optional()?;
    match exists {
        Some(()) => Ok(Some(Thread {
            id,
            members: members(conn, id)?,
        })),
        None => Ok(None),
    }
}

/// Threads of `user`: with messages first (newest message first), then empty
/// ones (newest first).
pub(super) fn threads_of(conn: &Connection, user: UserId) -> rusqlite::Result<Vec<ThreadSummary>> {
    let rows: Vec<(ThreadId, Option<i64>, i64)> = conn
        .prepare_cached(concat!(
            "SELECT t.id, ",
            last_in_t!(),
            " AS last_id, ",
            unread_in_t!(),
            "
               FROM thread_members tm
               JOIN threads t ON t.id = tm.thread_id
               LEFT JOIN read_cursors rc ON rc.user_id = ?1 AND rc.thread_id = t.id
              WHERE tm.user_id = ?1
              ORDER BY last_id IS NULL, last_id DESC,
                       t.created_at DESC, t.id DESC"
        ))?
        .query_map([user.get()], |row| {
            Ok((ThreadId(row.get(0)?), row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, last, unread)| {
            Ok(ThreadSummary {
                thread: Thread {
                    id,
                    members: members(conn, id)?,
                },
                last_message: message_by_id(conn, last)?,
                unread: rows::count(unread),
            })
        })
        .collect()
}

/// Inside a write transaction: moves the cursor forward to `up_to` clamped to
/// the thread's newest message. `None` when the thread does not exist.
pub(super) fn mark_read(
    conn: &Connection,
    user: UserId,
    thread: ThreadId,
    up_to: MessageId,
) -> rusqlite::Result<Option<MessageId>> {
    let newest: Option<Option<i64>> = conn
        .prepare_cached(concat!(
            "SELECT ",
            last_in_t!(),
            " FROM threads t WHERE t.id = ?1"
        ))?
        .query_row([thread.get()], |row| row.get(0))
        .optional()?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    let target = up_to.get().min(newest.unwrap_or(0)).max(0);
    let cursor = conn
        .prepare_cached(
            "INSERT INTO read_cursors (user_id, thread_id, up_to) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id, thread_id) DO UPDATE SET up_to = max(up_to, excluded.up_to)
             RETURNING up_to",
        )?
        .query_row(params![user.get(), thread.get(), target], |row| row.get(0))?;
    Ok(Some(MessageId(cursor)))
}

pub(super) fn read_cursors(
    conn: &Connection,
    thread: ThreadId,
) -> rusqlite::Result<Vec<(UserId, MessageId)>> {
    conn.prepare_cached(
        "SELECT tm.user_id, coalesce(rc.up_to, 0)
           FROM thread_members tm
           LEFT JOIN read_cursors rc ON rc.user_id = tm.user_id AND rc.thread_id = tm.thread_id
          WHERE tm.thread_id = ?1
          ORDER BY tm.user_id",
    )?
    .query_map([thread.get()], |row| {
        Ok((UserId(row.get(0)?), MessageId(row.get(1)?)))
    })?
    .collect()
}

/// Every user but `user`, with their direct thread: active threads first
/// (newest message first), then the rest by name.
pub(super) fn contacts(conn: &Connection, user: UserId) -> rusqlite::Result<Vec<Contact>> {
    let rows = conn
        .prepare_cached(concat!(
            "SELECT u.id, u.username, u.created_at, t.id, ",
            last_in_t!(),
            " AS last_id, ",
            unread_in_t!(),
            "
               FROM users u
               LEFT JOIN threads t ON t.kind = 'direct'
                    AND t.pair_low = min(u.id, ?1) AND t.pair_high = max(u.id, ?1)
               LEFT JOIN read_cursors rc ON rc.user_id = ?1 AND rc.thread_id = t.id
              WHERE u.id <> ?1
              ORDER BY last_id IS NULL, last_id DESC,
                       u.username_canonical"
        ))?
        .query_map([user.get()], |row| {
            let thread: Option<i64> = row.get(3)?;
            let last: Option<i64> = row.get(4)?;
            let unread: i64 = row.get(5)?;
            Ok((rows::user(row)?, thread.map(ThreadId), last, unread))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    into_contacts(conn, rows)
}

/// [`Store::contacts`] bounded for a sidebar (see `Store::sidebar_contacts`):
/// the users I share a direct thread with (through `thread_members_user_id`),
/// then the first `others` of the rest by name (through the unique index on
/// `username_canonical`), merged in `contacts` order.
pub(super) fn sidebar_contacts(
    conn: &Connection,
    user: UserId,
    others: usize,
) -> rusqlite::Result<(Vec<Contact>, usize)> {
    let peers = conn
        .prepare_cached(concat!(
            "SELECT u.id, u.username, u.created_at, t.id, ",
            last_in_t!(),
            ", ",
            unread_in_t!(),
            "
               FROM thread_members tm
               JOIN threads t ON t.id = tm.thread_id AND t.kind = 'direct'
               JOIN users u ON u.id = iif(t.pair_low = ?1, t.pair_high, t.pair_low)
               LEFT JOIN read_cursors rc ON rc.user_id = ?1 AND rc.thread_id = t.id
              WHERE tm.user_id = ?1"
        ))?
        .query_map([user.get()], |row| {
            let unread: i64 = row.get(5)?;
            Ok((
                rows::user(row)?,
                Some(ThreadId(row.get(3)?)),
                row.get::<_, Option<i64>>(4)?,
                unread,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let limit = i64::try_from(others).unwrap_or(i64::MAX);
    let rest = conn
        .prepare_cached(
            "SELECT u.id, u.username, u.created_at FROM users u
              WHERE u.id <> ?1 AND NOT EXISTS (
                    SELECT 1 FROM threads t WHERE t.kind = 'direct'
                       AND t.pair_low = min(u.id, ?1) AND t.pair_high = max(u.id, ?1))
              ORDER BY u.username_canonical LIMIT ?2",
        )?
        .query_map(params![user.get(), limit], |row| {
            Ok((rows::user(row)?, None, None, 0))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Everyone, `user` included: a bare count(*) reads the smallest index
    // (usernames), where `WHERE id <> ?` would read every row of the table.
    let n_users: i64 = conn
        .prepare_cached("SELECT count(*) FROM users")?
        .query_row([], |row| row.get(0))?;
    let shown = 1 + peers.len() + rest.len();
    let left_out = usize::try_from(n_users).unwrap_or(0).saturating_sub(shown);
    let mut merged: Vec<_> = peers.into_iter().chain(rest).collect();
    merged.sort_by_cached_key(|(other, _, last, _)| {
        (last.is_none(), Reverse(*last), other.username.canonical())
    });
    let contacts = into_contacts(conn, merged)?;
    Ok((contacts, left_out))
}

/// A contact row: the other user, our direct thread, its last message id,
/// my unread count in it.
type ContactRow = (crate::User, Option<ThreadId>, Option<i64>, i64);

/// Contact rows to contacts, each with its last message read by id.
fn into_contacts(conn: &Connection, rows: Vec<ContactRow>) -> rusqlite::Result<Vec<Contact>> {
    rows.into_iter()
        .map(|(user, thread, last, unread)| {
            Ok(Contact {
                user,
                thread,
                last_message: message_by_id(conn, last)?,
                unread: rows::count(unread),
            })
        })
        .collect()
}

fn members(conn: &Connection, thread: ThreadId) -> rusqlite::Result<Vec<UserId>> {
    conn.prepare_cached("SELECT user_id FROM thread_members WHERE thread_id = ?1 ORDER BY user_id")?
        .query_map([thread.get()], |row| Ok(UserId(row.get(0)?)))?
        .collect()
}

fn message_by_id(conn: &Connection, id: Option<i64>) -> rusqlite::Result<Option<ChatMessage>> {
    let Some(id) = id else {
        return Ok(None);
    };
    conn.prepare_cached(
        "SELECT id, thread_id, sender_id, body, sent_at, client_id FROM messages WHERE id = ?1",
    )?
    .query_row([id], rows::message)
    .optional()
}
