//! The checkpointer: one thread that copies the WAL back into the database file
//! with `PRAGMA wal_checkpoint(PASSIVE)`, off the commit path.
//!
//! Every connection of the store runs with `wal_autocheckpoint = 0` (see
//! `schema::configure`), so no commit pays for a checkpoint (the writer's
//! once-a-second `finish_checkpoint` runs between batches, not in a commit). `PASSIVE` never
//! waits for, nor blocks, readers and writers of any process: it copies the
//! frames no reader still needs and returns; a page rewritten by many commits
//! between two checkpoints is copied (and fsynced) once.
//!
//! `SQLite` starts the WAL file over only in a write transaction that began
//! with the whole WAL copied. Under steady load a commit always lands while a
//! checkpoint copies, so that never happens and the file would grow for as
//! long as the load lasts (each commit then extends it: a costlier fsync).
//! So every `wal_restart_interval` the checkpointer, once caught up, raises a
//! flag, and the writer runs one short checkpoint between two batches (see
//! `writer::finish_checkpoint`): the next batch starts the WAL over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// Most checkpoints run back to back to catch up with the commits.
const MAX_ROUNDS: usize = 8;

/// A batch this large means the writer is saturated: commits already wait in
/// a queue, so a checkpoint's burst of writes barely moves their latency, and
/// the checkpointer waits [`SATURATED_WAIT`] between rounds (a page rewritten
/// by many commits is then copied once, not many times).
const SATURATED_BATCH: usize = 64;
const SATURATED_WAIT: Duration = Duration::from_millis(100);

/// The wait while the writer committed no message since the last round.
/// Rounds still run: other connections write too (sessions, read cursors,
/// signups), and a round with nothing to copy costs no write and no fsync.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// What the writer and the checkpointer tell each other.
#[derive(Debug, Default)]
pub(super) struct WalSignals {
    /// Raised by the checkpointer: the writer should finish a checkpoint
    /// between two batches (see `writer::finish_checkpoint`).
    pub(super) restart_due: AtomicBool,
    /// The largest batch the writer committed since the checkpointer last looked.
    pub(super) largest_batch: AtomicUsize,
}

impl WalSignals {
    /// Called by the writer after each commit.
    pub(super) fn committed(&self, batch: usize) {
        self.largest_batch.fetch_max(batch, Ordering::Relaxed);
    }
}

/// Handle to the checkpointer thread; dropping it stops and joins the thread.
pub(super) struct Checkpointer {
    stop: Option<SyncSender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on `conn` (configured); it checkpoints every
    /// `interval` (longer while the writer is saturated), and every
    /// `restart_every` raises `restart_due` once it has caught up, for the
    /// writer to finish the job (see `writer::finish_checkpoint`).
    pub(super) fn spawn(
        conn: Connection,
        interval: Duration,
        restart_every: Duration,
        signals: Arc<WalSignals>,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = sync_channel(1);
        let handle = thread::Builder::new()
            .name("chat-store-checkpointer".into())
            .spawn(move || {
                let timing = (interval, restart_every);
                run(&conn, &stopped, timing, &signals);
            })?;
        Ok(Self {
            stop: Some(stop),
            handle: Some(handle),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn run(
    conn: &Connection,
    stopped: &Receiver<()>,
    (interval, restart_every): (Duration, Duration),
    signals: &WalSignals,
) {
    let mut last_restart = Instant::now();
    let mut wait = interval;
    loop {
        match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let committed = signals.largest_batch.swap(0, Ordering::Relaxed);
        catch_up(conn);
        if last_restart.elapsed() >= restart_every {
            signals.restart_due.store(true, Ordering::Release);
            last_restart = Instant::now();
        }
        wait = next_wait(interval, committed);
    }
}

/// How long to wait before the next round, given the largest batch the
/// writer committed since the last one (0: none).
fn next_wait(interval: Duration, largest_batch: usize) -> Duration {
    match largest_batch {
        0 => IDLE_WAIT.max(interval),
        n if n >= SATURATED_BATCH => SATURATED_WAIT.max(interval),
        _ => interval,
    }
}

/// Runs PASSIVE checkpoints until one has copied the whole WAL (or
/// [`MAX_ROUNDS`] ran). Commits keep arriving while a checkpoint copies, so a
/// single checkpoint almost never ends with the WAL fully copied; without
/// that, the next commit cannot start the WAL over and the file grows for as
/// long as the load lasts. Each further round copies only what was committed
/// during the previous one, so the rounds get shorter.
fn catch_up(conn: &Connection) {
    for _ in 0..MAX_ROUNDS {
        // Fails with SQLITE_BUSY while another process checkpoints the same
        // file; that checkpoint does the work, and the next tick tries again.
        let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        });
        match outcome {
            Ok((in_wal, copied)) if copied < in_wal => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{IDLE_WAIT, SATURATED_BATCH, SATURATED_WAIT, WalSignals, next_wait};

    #[test]
    fn rounds_are_frequent_under_light_load_only() {
        let base = Duration::from_millis(2);
        let cases = [
            (0, IDLE_WAIT),
            (1, base),
            (SATURATED_BATCH - 1, base),
            (SATURATED_BATCH, SATURATED_WAIT),
            (1024, SATURATED_WAIT),
        ];
        for (largest_batch, expected) in cases {
            assert_eq!(next_wait(base, largest_batch), expected, "{largest_batch}");
        }
        // A configured interval longer than those is never shortened.
        let long = Duration::from_secs(1);
        for largest_batch in [0, 1, 1024] {
            assert_eq!(next_wait(long, largest_batch), long, "{largest_batch}");
        }
    }

    #[test]
    fn the_largest_batch_since_the_last_look_is_kept() {
        let signals = WalSignals::default();
        for batch in [3, 70, 5] {
            signals.committed(batch);
        }
        let seen = signals
            .largest_batch
            .swap(0, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(seen, 70);
        assert_eq!(signals.largest_batch.into_inner(), 0);
    }
}
