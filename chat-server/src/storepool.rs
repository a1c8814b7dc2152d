//! Store calls off the async workers, on a fixed set of threads fed by one
//! queue. Under load a store thread takes the next call as soon as it finishes
//! one, without parking and being woken again; with `spawn_blocking` each call
//! handed a thread over (two context switches per call), which on a one-core
//! server cost more than a page's queries.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use chat_store::{Store, StoreError};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Calls that may be queued or running at once; more wait (as tasks) for room.
const QUEUE: usize = 1024;

type Job = Box<dyn FnOnce(&dyn Store) + Send>;

/// The store threads and their queue. Dropping it lets the threads finish
/// what is queued and joins them, so the store they share is dropped (its
/// writer commits what is queued) before the process goes on to exit.
pub struct StorePool {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
    room: Semaphore,
}

impl StorePool {
    /// Starts `threads` threads over `store` (they end when the pool is dropped).
    pub fn new(store: &Arc<dyn Store>, threads: usize) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(threads);
        for n in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let store = Arc::clone(store);
            let spawned = std::thread::Builder::new()
                .name(format!("chat-store-{n}"))
                .spawn(move || work(&rx, store.as_ref()));
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => tracing::error!(error = %e, "cannot start a store thread"),
            }
        }
        Self {
            jobs: Some(jobs),
            threads: handles,
            room: Semaphore::new(QUEUE),
        }
    }

    /// Runs `f` on a store thread and waits for its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        // Never closed; if it were, queue anyway rather than fail.
        let _room = self.room.acquire().await.ok();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _ = tx.send(f(store));
        });
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job));
        if !matches!(sent, Some(Ok(()))) {
            return Err(AppError::Internal("store threads stopped".into()));
        }
        // A call that panicked dropped its sender: the panic hook reported it.
        Ok(rx
            .await
            .map_err(|_| AppError::Internal("a store call panicked".into()))??)
    }
}

impl Drop for StorePool {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

fn work(rx: &Mutex<Receiver<Job>>, store: &dyn Store) {
    loop {
        let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A panicking call fails alone; the thread goes on with the next.
        let _ = catch_unwind(AssertUnwindSafe(|| job(store)));
    }
}

#[cfg(test)]
mod tests;
