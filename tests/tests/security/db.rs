//! Direct access to the server's `SQLite` file: reads counters and moves stored
//! timestamps (the server reads them again on every request).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

fn open(db: &Path) -> Connection {
    let conn = Connection::open(db).expect("open the server's database");
    conn.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    conn
}

fn user_id(conn: &Connection, name: &str) -> i64 {
    conn.query_row(
        "SELECT id FROM users WHERE username_canonical = lower(?1)",
        [name],
        |row| row.get(0),
    )
    .unwrap_or_else(|e| panic!("no user {name}: {e}"))
}

/// `(count, last_at)` of `name`'s failed logins, if any are counted.
pub fn login_failures(db: &Path, name: &str) -> Option<(i64, i64)> {
    let conn = open(db);
    let id = user_id(&conn, name);
    conn.query_row(
        "SELECT count, last_at FROM login_failures WHERE user_id = ?1",
        [id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
    .expect("read login_failures")
}

/// Sets `name`'s failed-login tally as if `count` failures had happened, the last at `last_at`.
pub fn set_login_failures(db: &Path, name: &str, count: i64, last_at: i64) {
    let conn = open(db);
    let id = user_id(&conn, name);
    conn.execute(
        "INSERT INTO login_failures (user_id, count, last_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET count = ?2, last_at = ?3",
        params![id, count, last_at],
    )
    .expect("write login_failures");
}

/// Sets `last_seen` (and `expires_at`, when given) of every session of `name`.
pub fn set_sessions(db: &Path, name: &str, last_seen: i64, expires_at: Option<i64>) {
    let conn = open(db);
    let id = user_id(&conn, name);
    conn.execute(
        "UPDATE sessions SET last_seen = ?2, expires_at = coalesce(?3, expires_at) WHERE user_id = ?1",
        params![id, last_seen, expires_at],
    )
    .expect("update sessions");
}

/// `last_seen` of each of `name`'s sessions.
pub fn sessions_last_seen(db: &Path, name: &str) -> Vec<i64> {
    let conn = open(db);
    let id = user_id(&conn, name);
    let mut stmt = conn
        .prepare("SELECT last_seen FROM sessions WHERE user_id = ?1 ORDER BY last_seen")
        .expect("prepare");
    stmt.query_map([id], |row| row.get(0))
        .expect("query sessions")
        .collect::<Result<_, _>>()
        .expect("read sessions")
}
