//! The revocation log: recorded beside session deletes, polled by every process.

use chat_core::UserId;
use rusqlite::{Connection, params};

use super::rows;
use crate::{REVOCATIONS_KEPT, Revocation, TokenHash};

/// One poll: a rowid range search.
pub(super) const AFTER_SQL: &str =
    "SELECT id, user_id, token_hash FROM revocations WHERE id > ?1 ORDER BY id LIMIT ?2";

/// Records a revocation and prunes those more than `REVOCATIONS_KEPT` ids below
/// it: a rowid range delete, usually of one row, so pruning costs next to
/// nothing and the table never grows past `REVOCATIONS_KEPT` rows. Runs inside
/// the caller's transaction (the one deleting the sessions).
pub(super) fn record(
    conn: &Connection,
    user: UserId,
    token: Option<&TokenHash>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO revocations (user_id, token_hash, at)
         VALUES (?1, ?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
    )?
    .execute(params![user.get(), token.map(|t| t.0)])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM revocations WHERE id <= ?1")?
        .execute([id.saturating_sub(REVOCATIONS_KEPT)])?;
    Ok(())
}

pub(super) fn after(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Revocation>> {
    conn.prepare_cached(AFTER_SQL)?
        .query_map(params![after, rows::sql_limit(limit, 0)], |row| {
            Ok(Revocation {
                id: row.get(0)?,
                user: UserId(row.get(1)?),
                token: row.get::<_, Option<[u8; 32]>>(2)?.map(TokenHash),
            })
        })?
        .collect()
}

pub(super) fn latest_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(id), 0) FROM revocations")?
        .query_row([], |row| row.get(0))
}
