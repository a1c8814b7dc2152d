//! Small signalling helpers shared by the HTTP server and WebSocket sessions.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use futures_util::task::AtomicWaker;
use tokio::sync::watch;

/// Resolves once the server-wide shutdown signal is raised (or its sender is
/// gone, which only happens once `serve` has returned).
pub(crate) async fn signalled(signal: &mut watch::Receiver<bool>) {
    // An error means the sender was dropped: treat it as shutdown too.
    let _ = signal.wait_for(|raised| *raised).await;
}

/// A one-shot, level-triggered stop flag for two futures of the same task;
/// one waiter at a time (each half of a session waits on the other's flag).
/// A flag and an atomic waker: polling registers with two atomic operations,
/// where a `Notify` takes a mutex on every poll of every wake-up.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    stopped: AtomicBool,
    waker: AtomicWaker,
}

impl Stop {
    /// Raises the flag and wakes the waiter.
    pub(crate) fn trigger(&self) {
        self.stopped.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Resolves once [`Stop::trigger`] has been called (immediately if it was).
    pub(crate) fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            if self.stopped.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            // A trigger between the check and the registration woke nobody.
            if self.stopped.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use std::task::Poll;

    use super::Stop;

    #[tokio::test]
    async fn a_stop_releases_its_waiter_before_or_after_the_trigger() {
        let early = Stop::default();
        early.trigger();
        early.wait().await;
        early.wait().await; // level-triggered: stays raised

        let late = Arc::new(Stop::default());
        let waiter = tokio::spawn({
            let late = Arc::clone(&late);
            async move { late.wait().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "resolved before the trigger");
        late.trigger();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter was not woken")
            .unwrap();
    }

    #[tokio::test]
    async fn a_pinned_wait_polled_many_times_is_woken_once_triggered() {
        let stop = Stop::default();
        let mut wait = std::pin::pin!(stop.wait());
        for _ in 0..3 {
            let polled = std::future::poll_fn(|cx| Poll::Ready(wait.as_mut().poll(cx))).await;
            assert!(polled.is_pending());
        }
        stop.trigger();
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("not resolved after the trigger");
    }
}
