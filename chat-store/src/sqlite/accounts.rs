//! Users and sessions: the SQL behind the account half of the `Store` trait.

use chat_core::{Timestamp, UserId, Username};
use rusqlite::{Connection, OptionalExtension, params};

use super::{revocations, rows};
use crate::{Credentials, Session, TokenHash, User};

/// Inserts a user; `None` when the canonical name is taken.
pub(super) fn insert_user(
    conn: &Connection,
    username: &Username,
    password_hash: &str,
    now: Timestamp,
) -> rusqlite::Result<Option<User>> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (username, username_canonical, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (username_canonical) DO NOTHING",
        )?
        .execute(params![
            username.as_str(),
            username.canonical(),
            password_hash,
            now.as_millis()
        ])?;
    Ok((inserted == 1).then(|| User {
        id: UserId(conn.last_insert_rowid()),
        username: username.clone(),
        created_at: now,
    }))
}

pub(super) fn credentials(
    conn: &Connection,
    username: &Username,
) -> rusqlite::Result<Option<Credentials>> {
    conn.prepare_cached(
        "SELECT id, username, created_at, password_hash FROM users
         WHERE username_canonical = ?1",
    )?
    .query_row([username.canonical()], |row| {
        Ok(Credentials {
            user: rows::user(row)?,
            password_hash: row.get(3)?,
        })
    })
    .optional()
}

pub(super) fn user(conn: &Connection, id: UserId) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached("SELECT id, username, created_at FROM users WHERE id = ?1")?
        .query_row([id.get()], rows::user)
        .optional()
}

pub(super) fn list_users(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    conn.prepare_cached("SELECT id, username, created_at FROM users ORDER BY username_canonical")?
        .query_map([], rows::user)?
        .collect()
}

/// Returns how many users were updated (0 or 1).
pub(super) fn set_password_hash(
    conn: &Connection,
    user: UserId,
    password_hash: &str,
) -> rusqlite::Result<usize> {
    conn.prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
        .execute(params![user.get(), password_hash])
}

pub(super) fn insert_session(
    conn: &Connection,
    token: &TokenHash,
    session: &Session,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        token.0,
        session.user.get(),
        session.created_at.as_millis(),
        session.last_seen.as_millis(),
        session.expires_at.as_millis(),
    ])?;
    Ok(())
}

pub(super) fn session(conn: &Connection, token: &TokenHash) -> rusqlite::Result<Option<Session>> {
    conn.prepare_cached(
        "SELECT user_id, created_at, last_seen, expires_at FROM sessions WHERE token_hash = ?1",
    )?
    .query_row([token.0], |row| {
        Ok(Session {
            user: UserId(row.get(0)?),
            created_at: Timestamp(row.get(1)?),
            last_seen: Timestamp(row.get(2)?),
            expires_at: Timestamp(row.get(3)?),
        })
    })
    .optional()
}

pub(super) fn touch_session(
    conn: &Connection,
    token: &TokenHash,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sessions SET last_seen = max(last_seen, ?2) WHERE token_hash = ?1",
    )?
    .execute(params![token.0, now.as_millis()])?;
    Ok(())
}

/// Deletes a session and, when it existed, records its revocation (the caller's
/// transaction holds both).
pub(super) fn delete_session(conn: &Connection, token: &TokenHash) -> rusqlite::Result<bool> {
    let owner: Option<i64> = conn
        .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1 RETURNING user_id")?
        .query_row([token.0], |row| row.get(0))
        .optional()?;
    let Some(owner) = owner else {
        return Ok(false);
    };
    revocations::record(conn, UserId(owner), Some(token))?;
    Ok(true)
}

/// Deletes every session of `user` and records one revocation of them all,
/// even when there was none (the caller's transaction holds both).
pub(super) fn delete_user_sessions(conn: &Connection, user: UserId) -> rusqlite::Result<u64> {
    let deleted = conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user.get()])?;
    revocations::record(conn, user, None)?;
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}
