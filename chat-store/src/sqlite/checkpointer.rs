//! The checkpointer: one thread that copies the WAL back into the database file
//! with `PRAGMA wal_checkpoint(PASSIVE)`, off the commit path.
//!
//! Every connection of the store runs with `wal_autocheckpoint = 0` (see
//! `schema::configure`), so no commit pays for a checkpoint. `PASSIVE` never
//! waits for, nor blocks, readers and writers of any process: it copies the
//! frames no reader still needs and returns; a page rewritten by many commits
//! between two checkpoints is copied (and fsynced) once. When a checkpoint has
//! copied the whole WAL, the next commit starts the WAL over from its
//! beginning, so the file stays bounded by what is written per interval.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::Connection;

/// Handle to the checkpointer thread; dropping it stops and joins the thread.
pub(super) struct Checkpointer {
    stop: Option<SyncSender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on `conn` (configured); it checkpoints every `interval`.
    pub(super) fn spawn(conn: Connection, interval: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = sync_channel(1);
        let handle = thread::Builder::new()
            .name("chat-store-checkpointer".into())
            .spawn(move || run(&conn, &stopped, interval))?;
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

fn run(conn: &Connection, stopped: &Receiver<()>, interval: Duration) {
    loop {
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        // Fails with SQLITE_BUSY while another process checkpoints the same
        // file; that checkpoint does the work, and the next tick tries again.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}
