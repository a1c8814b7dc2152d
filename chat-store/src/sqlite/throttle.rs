//! Login-failure tallies and signup attempts: small counters, one statement each.

use std::time::Duration;

use chat_core::{Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::LoginFailures;
use crate::store::millis;

/// `LoginFailures::after_failure` as one upsert: a failure more than `window`
/// after the last starts over at 1; `last_at` never moves backwards.
const RECORD_LOGIN_FAILURE_SQL: &str = "
    INSERT INTO login_failures (user_id, count, last_at) VALUES (?1, 1, ?2)
    ON CONFLICT (user_id) DO UPDATE SET
        count = CASE WHEN excluded.last_at - last_at > ?3 THEN 1
                     ELSE min(count + 1, 4294967295) END,
        last_at = max(last_at, excluded.last_at)
    RETURNING count, last_at";

/// Counts `client`'s attempts in (?2, ?3]; searches `signup_attempts_client_at`.
pub(super) const COUNT_SIGNUPS_SQL: &str =
    "SELECT count(*) FROM signup_attempts WHERE client = ?1 AND at > ?2 AND at <= ?3";

/// Drops every client's attempts at or before ?1; searches `signup_attempts_at`.
pub(super) const PRUNE_SIGNUPS_SQL: &str = "DELETE FROM signup_attempts WHERE at <= ?1";

/// Fails with a foreign-key violation (`NotFound`) for an unknown user.
pub(super) fn record_login_failure(
    conn: &Connection,
    user: UserId,
    now: Timestamp,
    window: Duration,
) -> rusqlite::Result<LoginFailures> {
    conn.prepare_cached(RECORD_LOGIN_FAILURE_SQL)?
        .query_row(params![user.get(), now.as_millis(), millis(window)], tally)
}

pub(super) fn login_failures(conn: &Connection, user: UserId) -> rusqlite::Result<LoginFailures> {
    let found = conn
        .prepare_cached("SELECT count, last_at FROM login_failures WHERE user_id = ?1")?
        .query_row([user.get()], tally)
        .optional()?;
    Ok(found.unwrap_or_default())
}

pub(super) fn clear_login_failures(conn: &Connection, user: UserId) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM login_failures WHERE user_id = ?1")?
        .execute([user.get()])?;
    Ok(())
}

/// Prunes every attempt at or before `now - window` (each row is deleted once,
/// through an index, so this stays cheap), stores this one and counts.
pub(super) fn record_signup_attempt(
    conn: &Connection,
    client: &str,
    now: Timestamp,
    window: Duration,
) -> rusqlite::Result<u32> {
    let cutoff = now.as_millis().saturating_sub(millis(window));
    conn.prepare_cached(PRUNE_SIGNUPS_SQL)?.execute([cutoff])?;
    conn.prepare_cached("INSERT INTO signup_attempts (client, at) VALUES (?1, ?2)")?
        .execute(params![client, now.as_millis()])?;
    let n: i64 = conn
        .prepare_cached(COUNT_SIGNUPS_SQL)?
        .query_row(params![client, cutoff, now.as_millis()], |row| row.get(0))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Reads `count, last_at` from columns 0..2.
fn tally(row: &rusqlite::Row<'_>) -> rusqlite::Result<LoginFailures> {
    let count: i64 = row.get(0)?;
    Ok(LoginFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last: Some(Timestamp(row.get(1)?)),
    })
}
