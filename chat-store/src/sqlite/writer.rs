//! The group-commit writer: one thread, one connection, one transaction per batch.
//!
//! Appends queue on a bounded channel. The writer takes everything queued (up to
//! `max_batch`), inserts each message with one statement (a failing item fails
//! alone), commits once with `synchronous=FULL`, and only then runs the
//! callbacks, in queue order. Ids are handed out in queue order inside the
//! transaction, so created messages reach their callbacks in ascending id order.
//! After a large batch (the queue was backing up) it pauses briefly before
//! taking the next one, so that commit carries more appends (see
//! `SqliteConfig::linger`).
//!
//! When the write lock is held elsewhere, the writer (like every connection of
//! the store) retries every [`BUSY_POLL`] (see [`busy_retry`]) rather than
//! with `SQLite`'s own backoff.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chat_core::{ChatMessage, MessageId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::checkpointer::WalSignals;
use super::rows::{self, store_error};
use crate::{AppendCallback, Appended, NewMessage, StoreError};

/// How long the writer sleeps between tries for a write lock held elsewhere.
pub(super) const BUSY_POLL: Duration = Duration::from_micros(100);

thread_local! {
    /// The writer's `busy_timeout`, and when the current wait for the lock began.
    static BUSY: Cell<(Duration, Instant)> = Cell::new((Duration::ZERO, Instant::now()));
}

/// How the writer groups appends into commits.
#[derive(Debug, Clone, Copy)]
pub(super) struct Batching {
    /// Most appends in one transaction.
    pub(super) max_batch: usize,
    /// The pause after a batch of at least `linger_min_batch` appends
    /// (`Duration::ZERO`: none); see `SqliteConfig::linger`.
    pub(super) linger: Duration,
    pub(super) linger_min_batch: usize,
}

impl Batching {
    /// How long to wait before taking the next batch, after committing
    /// `committed` appends: only a batch that shows the queue backing up
    /// lingers, so light load commits each append at once.
    pub(super) fn linger_after(&self, committed: usize) -> Option<Duration> {
        (committed >= self.linger_min_batch && !self.linger.is_zero()).then_some(self.linger)
    }
}

/// Handle to the writer thread. Dropping it lets the writer finish what is
/// queued, then joins it.
pub(super) struct Writer {
    sender: Option<SyncSender<Request>>,
    handle: Option<JoinHandle<()>>,
}

/// One queued append.
struct Request {
    message: NewMessage,
    done: AppendCallback,
}

/// `append_message` was called from an append callback, on the writer thread:
/// waiting there for the writer would never end.
#[derive(Debug, thiserror::Error)]
#[error("append_message called from an append callback (use append_message_then)")]
pub(super) struct CalledFromCallback;

/// Why a whole batch failed (every item of it gets one of these).
#[derive(Debug, thiserror::Error)]
#[error("the batch holding this message was not committed")]
struct BatchFailed(#[source] Arc<rusqlite::Error>);

impl Writer {
    /// Starts the writer thread on `conn` (already configured and migrated);
    /// it waits up to `busy_timeout` for a write lock held by another process.
    pub(super) fn spawn(
        conn: Connection,
        queue_capacity: usize,
        batching: Batching,
        busy_timeout: Duration,
        signals: Arc<WalSignals>,
    ) -> std::io::Result<Self> {
        let (sender, receiver) = sync_channel(queue_capacity.max(1));
        let handle = thread::Builder::new()
            .name("chat-store-writer".into())
            .spawn(move || {
                arm_busy_budget(busy_timeout);
                // Cannot fail on an idle connection; if it did, `busy_timeout` still applies.
                let _ = conn.busy_handler(Some(busy_retry));
                run(conn, &receiver, batching, &signals);
            })?;
        Ok(Self {
            sender: Some(sender),
            handle: Some(handle),
        })
    }

    /// Whether the caller is running on the writer thread (inside a callback).
    pub(super) fn is_current_thread(&self) -> bool {
        self.handle
            .as_ref()
            .is_some_and(|h| h.thread().id() == thread::current().id())
    }

    /// Queues an append; blocks while the queue is full (backpressure). If the
    /// writer has stopped, `done` gets `StoreError::Closed` at once.
    pub(super) fn submit(&self, message: NewMessage, done: AppendCallback) {
        let Some(sender) = &self.sender else {
            return done(Err(StoreError::Closed));
        };
        let request = Request { message, done };
        let request = match sender.try_send(request) {
            Ok(()) => return,
            Err(TrySendError::Full(request)) => match sender.send(request) {
                Ok(()) => return,
                Err(error) => error.0,
            },
            Err(TrySendError::Disconnected(request)) => request,
        };
        (request.done)(Err(StoreError::Closed));
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(handle) = self.handle.take() {
            // The last handle to the store may be dropped by a callback, that is
            // on the writer thread itself: it exits on its own once the queue is empty.
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// The busy handler of every connection of the store: `SQLite`'s own
/// (`busy_timeout`) sleeps 1, 2, 5, 10, 15… ms between tries, so a write
/// waiting behind a commit (this process's writer, or another process's)
/// would mostly wait ~10 ms, and a pooled write stuck that way holds a store
/// thread every page needs. Retrying every [`BUSY_POLL`] keeps the wait close
/// to the other commit's length; it gives up (`SQLITE_BUSY`) after the
/// thread's budget ([`arm_busy_budget`], the configured `busy_timeout`).
/// `tries` counts the calls for the current wait.
pub(super) fn busy_retry(tries: i32) -> bool {
    let (budget, mut started) = BUSY.get();
    let now = Instant::now();
    if tries == 0 {
        started = now;
        BUSY.set((budget, started));
    }
    if now.duration_since(started) >= budget {
        return false;
    }
    thread::sleep(BUSY_POLL);
    true
}

/// Sets how long [`busy_retry`] waits on this thread before giving up.
pub(super) fn arm_busy_budget(budget: Duration) {
    BUSY.set((budget, Instant::now()));
}

/// Inserts `messages` in one IMMEDIATE transaction and commits. Returns one
/// outcome per message, in order; if the transaction cannot begin or commit,
/// every outcome is that error.
///
/// Each item is one `INSERT` statement, so an item that fails (an unknown
/// thread, say) is undone alone by `SQLite`'s statement-level atomicity: no
/// savepoint per item. The errors after which `SQLite` may roll the whole
/// transaction back (I/O, disk full, out of memory) fail the whole batch:
/// later statements would otherwise run, and commit, outside it.
pub(super) fn write_batch(
    conn: &mut Connection,
    messages: Vec<NewMessage>,
) -> Vec<Result<Appended, StoreError>> {
    let n = messages.len();
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(error) => return all_failed(error, n),
    };
    let mut outcomes = Vec::with_capacity(n);
    for message in messages {
        match insert_message(&tx, message) {
            Ok(appended) => outcomes.push(Ok(appended)),
            // SQLite rolled the transaction back: nothing of it is stored.
            Err(error) if tx.is_autocommit() => return all_failed(error, n),
            Err(error) => outcomes.push(Err(store_error(error))),
        }
    }
    match tx.commit() {
        Ok(()) => outcomes,
        Err(error) => all_failed(error, n),
    }
}

fn run(
    mut conn: Connection,
    receiver: &Receiver<Request>,
    batching: Batching,
    signals: &WalSignals,
) {
    let max_batch = batching.max_batch.max(1);
    let mut batch = Vec::with_capacity(max_batch);
    while let Ok(first) = receiver.recv() {
        if signals.restart_due.swap(false, Ordering::Acquire) && !finish_checkpoint(&conn) {
            // Busy (the checkpointer, or another process, is checkpointing):
            // try again before the next batch rather than a second later.
            signals.restart_due.store(true, Ordering::Release);
        }
        batch.push(first);
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let (messages, callbacks): (Vec<NewMessage>, Vec<AppendCallback>) =
            batch.drain(..).map(|r| (r.message, r.done)).unzip();
        let committed = messages.len();
        let outcomes = write_batch(&mut conn, messages);
        signals.committed(committed);
        for (done, outcome) in callbacks.into_iter().zip(outcomes) {
            // A panicking callback must not take the writer (and every later
            // append) down with it; the panic hook has already reported it.
            let _ = catch_unwind(AssertUnwindSafe(move || done(outcome)));
        }
        if let Some(pause) = batching.linger_after(committed) {
            thread::sleep(pause);
        }
    }
}

/// Copies the frames committed since the checkpointer's last round, between
/// two batches, so the checkpoint ends with the whole WAL copied and the next
/// transaction starts the WAL over from its beginning. The checkpointer cannot
/// do this alone under steady load: a commit always lands while it copies, and
/// `SQLite` restarts the WAL only in a transaction that began with nothing left
/// to copy. Without the restart the WAL file grows for as long as the load
/// lasts, and every commit extends it (a costlier fsync). This round is short:
/// the checkpointer has just copied everything older. Returns whether it ran.
fn finish_checkpoint(conn: &Connection) -> bool {
    // Column 0 is 1 when the checkpoint could not run (SQLITE_BUSY).
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        row.get::<_, i64>(0)
    })
    .is_ok_and(|busy| busy == 0)
}

/// The stored message with a (thread, sender, client id), through
/// `messages_client_id`.
pub(super) const EARLIER_SQL: &str = "
    SELECT id, thread_id, sender_id, body, sent_at, client_id FROM messages
     WHERE thread_id = ?1 AND sender_id = ?2 AND client_id = ?3";

/// Inserts one message (one statement), or finds the earlier one with the
/// same (thread, sender, client id).
fn insert_message(conn: &Connection, message: NewMessage) -> rusqlite::Result<Appended> {
    let client_id = message
        .client_id
        .as_ref()
        .map(chat_core::ClientMessageId::as_str);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO messages (thread_id, sender_id, body, sent_at, client_id)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (thread_id, sender_id, client_id) DO NOTHING",
        )?
        .execute(params![
            message.thread.get(),
            message.sender.get(),
            message.body.as_str(),
            message.sent_at.as_millis(),
            client_id,
        ])?;
    if inserted == 0 {
        let earlier = conn
            .prepare_cached(EARLIER_SQL)?
            .query_row(
                params![message.thread.get(), message.sender.get(), client_id],
                rows::message,
            )
            .optional()?;
        if let Some(earlier) = earlier {
            return Ok(Appended {
                message: earlier,
                created: false,
            });
        }
        return Err(rusqlite::Error::QueryReturnedNoRows);
    }
    let id = conn.last_insert_rowid();
    Ok(Appended {
        message: ChatMessage {
            id: MessageId(id),
            thread: message.thread,
            sender: message.sender,
            body: message.body,
            sent_at: message.sent_at,
            client_id: message.client_id,
        },
        created: true,
    })
}

fn all_failed(error: rusqlite::Error, n: usize) -> Vec<Result<Appended, StoreError>> {
    let shared = Arc::new(error);
    (0..n)
        .map(|_| Err(rows::backend(BatchFailed(Arc::clone(&shared)))))
        .collect()
}
