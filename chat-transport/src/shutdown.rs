//! Small signalling helpers shared by the HTTP server and WebSocket sessions.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, watch};

/// Resolves once the server-wide shutdown signal is raised (or its sender is
/// gone, which only happens once `serve` has returned).
pub(crate) async fn signalled(signal: &mut watch::Receiver<bool>) {
    // An error means the sender was dropped: treat it as shutdown too.
    let _ = signal.wait_for(|raised| *raised).await;
}

/// A one-shot, level-triggered stop flag for two futures of the same task.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    stopped: AtomicBool,
    notify: Notify,
}

impl Stop {
    /// Raises the flag and wakes every waiter.
    pub(crate) fn trigger(&self) {
        self.stopped.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Resolves once [`Stop::trigger`] has been called (immediately if it was).
    pub(crate) async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.stopped.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}
