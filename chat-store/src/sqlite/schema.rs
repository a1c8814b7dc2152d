//! Connection settings and schema migrations keyed by `PRAGMA user_version`.

use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};

use super::rows::{backend, store_error};
use crate::StoreError;

/// Schema steps, oldest first: the database is at version N once the first N ran.
/// Append new steps; never edit a released one.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// Page size of new database files. Appends spread over many busy threads
/// dirty one leaf page per thread in the `thread_id`-first index, so a group
/// commit writes about one page per busy thread to the WAL whatever its size:
/// 1 KiB pages write a quarter of the bytes 4 KiB pages do.
const PAGE_SIZE: i64 = 1024;

/// The newest schema version this build knows.
#[allow(clippy::cast_possible_wrap)] // a handful of migrations
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
#[error("sqlite could not switch the database to WAL mode (journal_mode is {0:?})")]
struct WalUnavailable(String);

#[derive(Debug, thiserror::Error)]
#[error("invalid schema version {0} in the database file")]
struct BadVersion(i64);

/// Per-connection settings, run on the writer's connection and on every pooled one.
/// `synchronous=FULL`: a commit is on disk (WAL fsynced) before it returns, so an
/// acknowledged message survives power loss, not just a process crash.
///
/// `wal_autocheckpoint = 0`: no commit of this process runs a checkpoint (copy
/// the WAL into the database file, fsync it) inside itself; the store's
/// checkpointer thread does that instead (see `checkpointer`). Other processes
/// sharing the file may still auto-checkpoint; every checkpoint is safe with
/// concurrent writers. `journal_size_limit` truncates the WAL back to 64 MiB
/// once it has been reset, so a burst does not pin disk space.
pub(super) fn configure(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;
         PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;",
    )?;
    // Query planner stability: without it a statement with `LIMIT ?` (every
    // page query) is prepared again on each run, since a new bound limit
    // "might" change its plan; cached statements would be parsed every time.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Extra settings of the group-commit writer's connection: an 8 MiB page cache
/// (hot index pages of busy threads stay in memory instead of being re-read with
/// `pread` on each commit; it fills within the first minute under load). No
/// memory map: mapped database pages count as the process's resident memory and
/// grow with the file, which a long-running server must not do (the soak run
/// checks RSS drift: with a 16 MiB cache RSS still rose 7.7% between minutes 1
/// and 2, then stayed flat). Pooled readers keep the defaults.
pub(super) fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA cache_size = -8192;")
}

/// Refuses a newer schema, switches the file to WAL (a property of the file,
/// kept across opens) and runs the missing migrations in one transaction.
///
/// A new file gets [`PAGE_SIZE`]-byte pages; the page size of an existing file
/// never changes (in WAL mode `SQLite` ignores the pragma).
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "page_size", PAGE_SIZE)
        .map_err(store_error)?;
    let found = user_version(conn)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(store_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(backend(WalUnavailable(mode)));
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // IMMEDIATE: two processes opening a fresh file at once migrate one after
    // the other, and the second re-reads the version the first wrote.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(store_error)?;
    let found = user_version(&tx)?;
    let done = usize::try_from(found).map_err(|_| backend(BadVersion(found)))?;
    for step in &MIGRATIONS[done..] {
        tx.execute_batch(step).map_err(store_error)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(store_error)?;
    tx.commit().map_err(store_error)
}

/// Reads `user_version`; `SchemaTooNew` when it is past [`SCHEMA_VERSION`].
fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(store_error)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Version 1. Times are Unix milliseconds. Ids come from `SQLite` rowids;
/// `messages` uses AUTOINCREMENT so an id is never handed out twice, even after
/// deletes, and ids grow strictly across every process writing the file.
/// Members live in `thread_members` for direct threads and (later) group rooms alike.
/// `messages_thread_id` carries `sender_id` so unread counts ("after my cursor,
/// not mine") read the index alone; `messages.sender_id` has no index of its
/// own because users are never deleted.
const V1: &str = "
CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    username           TEXT    NOT NULL,
    username_canonical TEXT    NOT NULL UNIQUE,
    password_hash      TEXT    NOT NULL,
    created_at         INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash BLOB    NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE threads (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('direct', 'group')),
    pair_low        INTEGER REFERENCES users (id),
    pair_high       INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    last_message_id INTEGER,
    CHECK ((kind = 'direct') = (pair_low IS NOT NULL AND pair_high IS NOT NULL
                                AND pair_low < pair_high)),
    UNIQUE (pair_low, pair_high)
) STRICT;

CREATE TABLE thread_members (
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (thread_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX thread_members_user_id ON thread_members (user_id, thread_id);

CREATE TABLE messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    sender_id INTEGER NOT NULL REFERENCES users (id),
    body      TEXT    NOT NULL,
    sent_at   INTEGER NOT NULL,
    client_id TEXT,
    UNIQUE (thread_id, sender_id, client_id)
) STRICT;
CREATE INDEX messages_thread_id ON messages (thread_id, id, sender_id);

CREATE TABLE read_cursors (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    up_to     INTEGER NOT NULL,
    PRIMARY KEY (user_id, thread_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX read_cursors_thread_id ON read_cursors (thread_id);
";

/// Version 2: session revocations and throttling counters.
/// `revocations` uses AUTOINCREMENT so ids grow strictly across processes and
/// are never reused after pruning; `at` is `SQLite`'s clock (Unix ms), for
/// operators only: no rule reads it. `user_id` has no foreign key: a
/// revocation is a log entry, not a reference. `signup_attempts` is a plain log: `(client, at)`
/// serves the per-client count, `(at)` the pruning of every client's old rows.
const V2: &str = "
CREATE TABLE revocations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    token_hash BLOB CHECK (token_hash IS NULL OR length(token_hash) = 32),
    at         INTEGER NOT NULL
) STRICT;

CREATE TABLE login_failures (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    count   INTEGER NOT NULL,
    last_at INTEGER NOT NULL
) STRICT;

CREATE TABLE signup_attempts (
    client TEXT    NOT NULL,
    at     INTEGER NOT NULL
) STRICT;
CREATE INDEX signup_attempts_client_at ON signup_attempts (client, at);
CREATE INDEX signup_attempts_at ON signup_attempts (at);
";

/// Version 3: an append writes one random page (its thread's leaf of
/// `messages_thread_id`) instead of three.
///
/// The idempotency key's uniqueness index is keyed client id first.
/// Version 1 declared `UNIQUE (thread_id, sender_id, client_id)`: keyed thread
/// first, it put every append into a random leaf (one per busy thread), like
/// `messages_thread_id`, so each message dirtied two such pages per group
/// commit. Clients that make time-ordered ids (ours send `UUIDv7`) now append at
/// the index's right edge, where a whole batch shares a few leaves; random ids
/// still work, at version 1's cost. A table constraint cannot be dropped, so
/// the table is rebuilt: same columns, rows, ids and AUTOINCREMENT counter
/// (carried over even when it is past the largest id left). No table
/// references `messages`, so the drop cascades nowhere.
///
/// `threads.last_message_id` is gone: every group commit updated the row of
/// each thread it touched, which spread over most pages of `threads`; the
/// newest id is now read from `messages_thread_id` (see `threads::last_in_t`).
const V3: &str = "
CREATE TABLE messages_v3 (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    sender_id INTEGER NOT NULL REFERENCES users (id),
    body      TEXT    NOT NULL,
    sent_at   INTEGER NOT NULL,
    client_id TEXT
) STRICT;
INSERT INTO messages_v3 (id, thread_id, sender_id, body, sent_at, client_id)
    SELECT id, thread_id, sender_id, body, sent_at, client_id FROM messages ORDER BY id;
DELETE FROM sqlite_sequence WHERE name = 'messages_v3';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'messages_v3', seq FROM sqlite_sequence WHERE name = 'messages';
DROP TABLE messages;
ALTER TABLE messages_v3 RENAME TO messages;
CREATE INDEX messages_thread_id ON messages (thread_id, id, sender_id);
CREATE UNIQUE INDEX messages_client_id ON messages (client_id, thread_id, sender_id);
ALTER TABLE threads DROP COLUMN last_message_id;
";
