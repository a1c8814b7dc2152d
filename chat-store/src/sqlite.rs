//! `SqliteStore`: the durable store, one `SQLite` file in WAL mode.
//!
//! Reads and the small writes (users, sessions, threads, read cursors) run on
//! an r2d2 pool of connections; writes there use `BEGIN IMMEDIATE` and rely on
//! `busy_timeout` for contention. Message appends go through one writer thread
//! that commits them in groups (see `writer`). Every connection runs with
//! `foreign_keys=ON`, `synchronous=FULL`, a prepared-statement cache and
//! `wal_autocheckpoint=0`: checkpoints run on their own thread (see
//! `checkpointer`), never inside a commit.
//!
//! Schema version 2 adds `revocations`, `login_failures` and `signup_attempts`
//! (see `schema`). A revocation is inserted by the pool transaction that
//! deletes the session(s), which also prunes the log to the newest
//! `REVOCATIONS_KEPT` (see `revocations::record`). `record_signup_attempt`
//! prunes every client's attempts older than its window, through an index on
//! `at`. Other processes see all three tables as soon as the writing
//! transaction commits.

mod accounts;
mod checkpointer;
mod messages;
mod revocations;
mod rows;
mod schema;
#[cfg(test)]
mod tests;
mod threads;
mod throttle;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use chat_core::{ChatMessage, MessageId, Thread, ThreadId, Timestamp, UserId, UserPair, Username};
use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, TransactionBehavior};

use crate::{
    AppendCallback, Appended, Contact, Credentials, HistoryPage, LoginFailures, NewMessage,
    ResumeBatch, Revocation, Session, Store, StoreError, ThreadPage, ThreadSummary, TokenHash,
    User,
};
use checkpointer::{Checkpointer, WalSignals};
use rows::{backend, store_error};
use writer::{Batching, Writer};

/// Tuning for [`SqliteStore::open_with`]. `SqliteConfig::default()` suits a
/// small server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// Pooled connections for reads and non-message writes (default 4).
    pub pool_size: u32,
    /// How long a statement waits for a lock held by another connection or
    /// process before failing with `StoreError::Backend` (default 5 s).
    pub busy_timeout: Duration,
    /// Appends that may wait for the writer before `append_message` blocks
    /// (default 4096).
    pub queue_capacity: usize,
    /// Most appends committed in one transaction (default 1024).
    pub max_batch: usize,
    /// Group commit under load: after committing a batch of at least
    /// `linger_min_batch` appends (so the queue was backing up), the writer
    /// waits `linger` before it takes the next batch, which then carries more
    /// appends (defaults 2 ms and 32; `Duration::ZERO` turns it off). Every
    /// commit writes each page its appends touched (about one per busy
    /// thread) and fsyncs once, so bigger batches cost fewer pages and fsyncs
    /// per message; the sockets use the pause to read the next sends. Light
    /// load never lingers (its batches stay small), so its latency is
    /// unchanged; a burst of `linger_min_batch` sends at once does pause once.
    /// BENCHMARKS.md ("Third round") has the measurements.
    pub linger: Duration,
    /// See [`SqliteConfig::linger`]. `0` or `1` lingers after every batch;
    /// above `max_batch`, never.
    pub linger_min_batch: usize,
    /// How often a background thread copies the WAL into the database file
    /// (`PRAGMA wal_checkpoint(PASSIVE)`) while commits come in (default
    /// 2 ms; commits never checkpoint themselves). Each round copies the pages
    /// changed since the last one and fsyncs the database file, and a commit
    /// whose fsync is issued meanwhile queues behind those writes: short
    /// intervals keep each burst small (at 5,000 messages/s, p99 send to
    /// receipt ~1.6 ms at 2 ms, ~2.5 ms at 10 ms, ~7 ms at 100 ms). While the
    /// writer is saturated (commits queue anyway) rounds come every 100 ms, so
    /// a page rewritten by many commits is copied once; with no messages
    /// appended, every 100 ms (other writes still reach the WAL).
    pub checkpoint_interval: Duration,
    /// How often the writer, between two batches, finishes a checkpoint so
    /// that the next commit starts the WAL file over (default 1 s). Under
    /// steady load that never happens by itself, and the WAL grows for as long
    /// as the load lasts.
    pub wal_restart_interval: Duration,
}

/// A [`Store`] over one `SQLite` file (bundled `SQLite`, WAL mode).
///
/// Durability: an append is acknowledged (`append_message` returns, the
/// callback of `append_message_then` runs) only after the transaction holding
/// it committed with `synchronous=FULL`, i.e. the WAL was fsynced. Concurrent
/// appends share one commit, so throughput grows with the number of writers.
///
/// Several processes may open the same file: `SQLite`'s write lock serialises
/// them and message ids (AUTOINCREMENT) stay strictly increasing across all.
/// Ids are assigned under that lock, so commit order is id order and
/// [`Store::messages_since`] is a gap-free feed of every process's appends.
/// The writer waits for a lock held by another process by retrying every
/// 100 µs (up to `busy_timeout`), not with `SQLite`'s millisecond backoff.
///
/// Callbacks of `append_message_then` run on the writer thread, one at a time
/// in id order, after the commit. Keep them short and non-blocking (e.g.
/// `try_send` to subscribers): while one runs, nothing commits. They may read
/// the store and queue more appends with `append_message_then`; a blocking
/// `append_message` from a callback fails at once instead of deadlocking.
/// `append_message_then` itself returns at once unless the queue is full
/// (`SqliteConfig::queue_capacity`), in which case it waits for room.
///
/// Dropping the store lets the writer commit what is queued, run those
/// callbacks, and stop; the drop waits for that.
pub struct SqliteStore {
    pool: Pool<SqliteConnectionManager>,
    writer: Writer,
    /// Declared after `writer`: dropped once the writer has committed what was queued.
    _checkpointer: Checkpointer,
    path: PathBuf,
    /// How long a pooled connection waits for a lock (see `writer::busy_retry`).
    busy_timeout: Duration,
}

impl SqliteConfig {
    /// Pooled connections unless configured otherwise.
    pub const DEFAULT_POOL_SIZE: u32 = 4;
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            pool_size: Self::DEFAULT_POOL_SIZE,
            busy_timeout: Duration::from_secs(5),
            queue_capacity: 4096,
            max_batch: 1024,
            linger: Duration::from_millis(2),
            linger_min_batch: 32,
            checkpoint_interval: Duration::from_millis(2),
            wal_restart_interval: Duration::from_secs(1),
        }
    }
}

impl SqliteStore {
    /// The schema version this build writes and understands.
    pub const SCHEMA_VERSION: i64 = schema::SCHEMA_VERSION;

    /// The schema version of the file at `path` without migrating it: 0 when
    /// the file is missing or empty. A server can tell from it that opening
    /// will migrate (and may take a while on a large file).
    pub fn file_schema_version(path: &Path) -> Result<i64, StoreError> {
        if !path.try_exists().map_err(backend)? {
            return Ok(0);
        }
        let conn = Connection::open(path).map_err(store_error)?;
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(store_error)
    }

    /// Opens (creating if missing) the database at `path` with default settings.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, &SqliteConfig::default())
    }

    /// Opens (creating if missing) the database at `path`, switches it to WAL,
    /// migrates it to [`Self::SCHEMA_VERSION`] and starts the writer thread.
    /// `StoreError::SchemaTooNew` if a newer build wrote the file.
    pub fn open_with(path: &Path, config: &SqliteConfig) -> Result<Self, StoreError> {
        let busy_timeout = config.busy_timeout;
        let mut conn = Connection::open(path).map_err(store_error)?;
        schema::configure(&conn, busy_timeout).map_err(store_error)?;
        schema::migrate(&mut conn)?;
        schema::configure_writer(&conn).map_err(store_error)?;
        let checkpoint_conn = Connection::open(path).map_err(store_error)?;
        schema::configure(&checkpoint_conn, busy_timeout).map_err(store_error)?;
        let signals = Arc::new(WalSignals::default());
        let checkpointer = Checkpointer::spawn(
            checkpoint_conn,
            config.checkpoint_interval,
            config.wal_restart_interval,
            Arc::clone(&signals),
        )
        .map_err(backend)?;
        let manager = SqliteConnectionManager::file(path).with_init(move |c| {
            schema::configure(c, busy_timeout)?;
            c.busy_handler(Some(writer::busy_retry))
        });
        let pool = Pool::builder()
            .max_size(config.pool_size.max(1))
            .test_on_check_out(false)
            .build(manager)
            .map_err(backend)?;
        let writer = Writer::spawn(
            conn,
            config.queue_capacity,
            Batching {
                max_batch: config.max_batch,
                linger: config.linger,
                linger_min_batch: config.linger_min_batch,
            },
            config.busy_timeout,
            signals,
        )
        .map_err(backend)?;
        Ok(Self {
            pool,
            writer,
            _checkpointer: checkpointer,
            path: path.to_owned(),
            busy_timeout,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<PooledConnection<SqliteConnectionManager>, StoreError> {
        writer::arm_busy_budget(self.busy_timeout);
        self.pool.get().map_err(backend)
    }

    /// Runs `f` on a pooled connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.conn()?;
        f(&conn).map_err(store_error)
    }

    /// Runs `f` in a read transaction, so its several queries see one snapshot.
    fn snapshot<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(store_error)?;
        let value = f(&tx).map_err(store_error)?;
        tx.commit().map_err(store_error)?;
        Ok(value)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits.
    fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(store_error)?;
        let value = f(&tx).map_err(store_error)?;
        tx.commit().map_err(store_error)?;
        Ok(value)
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        self.write(|c| accounts::insert_user(c, username, password_hash, now))?
            .ok_or(StoreError::UsernameTaken)
    }

    fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        self.read(|c| accounts::credentials(c, username))
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(|c| accounts::user(c, id))
    }

    fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self.credentials(username)?.map(|c| c.user))
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.read(accounts::list_users)
    }

    fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        match self.write(|c| accounts::set_password_hash(c, user, password_hash))? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    fn create_session(&self, token: &TokenHash, session: &Session) -> Result<(), StoreError> {
        self.write(|c| accounts::insert_session(c, token, session))
    }

    fn session(&self, token: &TokenHash) -> Result<Option<Session>, StoreError> {
        self.read(|c| accounts::session(c, token))
    }

    fn touch_session(&self, token: &TokenHash, now: Timestamp) -> Result<(), StoreError> {
        self.write(|c| accounts::touch_session(c, token, now))
    }

    fn delete_session(&self, token: &TokenHash) -> Result<bool, StoreError> {
        self.write(|c| accounts::delete_session(c, token))
    }

    fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        self.write(|c| accounts::delete_user_sessions(c, user))
    }

    fn revocations_after(&self, after: i64, limit: usize) -> Result<Vec<Revocation>, StoreError> {
        self.read(|c| revocations::after(c, after, limit))
    }

    fn latest_revocation_id(&self) -> Result<i64, StoreError> {
        self.read(revocations::latest_id)
    }

    fn record_login_failure(
        &self,
        user: UserId,
        now: Timestamp,
        window: Duration,
    ) -> Result<LoginFailures, StoreError> {
        self.write(|c| throttle::record_login_failure(c, user, now, window))
    }

    fn login_failures(&self, user: UserId) -> Result<LoginFailures, StoreError> {
        self.read(|c| throttle::login_failures(c, user))
    }

    fn clear_login_failures(&self, user: UserId) -> Result<(), StoreError> {
        self.write(|c| throttle::clear_login_failures(c, user))
    }

    fn record_signup_attempt(
        &self,
        client: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        self.write(|c| throttle::record_signup_attempt(c, client, now, window))
    }

    fn get_or_create_direct_thread(
        &self,
        pair: UserPair,
        now: Timestamp,
    ) -> Result<Thread, StoreError> {
        // Most calls find the thread: look without taking the write lock first.
        if let Some(id) = self.read(|c| threads::direct_thread_id(c, pair))? {
            return Ok(Thread::direct(id, pair));
        }
        let id = self.write(|c| threads::get_or_insert_direct_thread(c, pair, now))?;
        Ok(Thread::direct(id, pair))
    }

    fn thread(&self, id: ThreadId) -> Result<Option<Thread>, StoreError> {
        self.snapshot(|c| threads::thread(c, id))
    }

    fn threads_of(&self, user: UserId) -> Result<Vec<ThreadSummary>, StoreError> {
        self.snapshot(|c| threads::threads_of(c, user))
    }

    fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        if self.writer.is_current_thread() {
            return Err(backend(writer::CalledFromCallback));
        }
        let (sender, receiver) = sync_channel(1);
        self.writer.submit(
            message,
            Box::new(move |outcome| {
                let _ = sender.send(outcome);
            }),
        );
        receiver.recv().unwrap_or(Err(StoreError::Closed))
    }

    fn append_message_then(&self, message: NewMessage, done: AppendCallback) {
        self.writer.submit(message, done);
    }

    fn history(
        &self,
        thread: ThreadId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<HistoryPage, StoreError> {
        self.read(|c| messages::history(c, thread, before, limit))
    }

    fn messages_after(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
        after: MessageId,
        limit: usize,
    ) -> Result<ResumeBatch, StoreError> {
        self.snapshot(|c| messages::messages_after(c, user, thread, after, limit))
    }

    fn latest_message_id(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
    ) -> Result<MessageId, StoreError> {
        self.read(|c| messages::latest_message_id(c, user, thread))
    }

    fn messages_since(
        &self,
        after: MessageId,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        self.read(|c| messages::messages_since(c, after, limit))
    }

    fn newest_message_id(&self) -> Result<MessageId, StoreError> {
        self.read(messages::newest_message_id)
    }

    fn mark_read(
        &self,
        user: UserId,
        thread: ThreadId,
        up_to: MessageId,
    ) -> Result<MessageId, StoreError> {
        self.write(|c| threads::mark_read(c, user, thread, up_to))?
            .ok_or(StoreError::NotFound)
    }

    fn read_cursors(&self, thread: ThreadId) -> Result<Vec<(UserId, MessageId)>, StoreError> {
        self.read(|c| threads::read_cursors(c, thread))
    }

    fn contacts(&self, user: UserId) -> Result<Vec<Contact>, StoreError> {
        self.snapshot(|c| threads::contacts(c, user))
    }

    fn sidebar_contacts(
        &self,
        user: UserId,
        others: usize,
    ) -> Result<(Vec<Contact>, usize), StoreError> {
        self.snapshot(|c| threads::sidebar_contacts(c, user, others))
    }

    fn thread_page(
        &self,
        user: UserId,
        thread: ThreadId,
        before: Option<MessageId>,
        limit: usize,
        others: usize,
    ) -> Result<ThreadPage, StoreError> {
        self.snapshot(|c| {
            let (sidebar, more_contacts) = threads::sidebar_contacts(c, user, others)?;
            Ok(ThreadPage {
                last_id: messages::latest_message_id(c, user, None)?,
                history: messages::history(c, thread, before, limit)?,
                cursors: threads::read_cursors(c, thread)?,
                sidebar,
                more_contacts,
            })
        })
    }
}
