//! Small signalling helpers shared by the HTTP server and WebSocket sessions.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use futures_util::task::AtomicWaker;
use tokio::sync::watch;

/// Resolves once the server-wide shutdown signal is raised (or its sender is
/// gone, which only happens once `serve` has returned).
pub(crate) async fn signalled(signal: &mut watch::Receiver<bool>) {
    let probe = signal.clone();
    // An error means the sender was dropped: treat it as shutdown too.
    let mut wait = std::pin::pin!(signal.wait_for(|raised| *raised));
    let mut polled_by: Option<Waker> = None;
    std::future::poll_fn(|cx| {
        // A pending wait stays registered, with the waker of the poll that
        // registered it, until the sender changes the value; every poll of it
        // takes the channel's mutex (shared by every connection). So it is
        // polled again only when the value changed or another task polls.
        let same_task = polled_by.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
        if same_task && matches!(probe.has_changed(), Ok(false)) {
            return Poll::Pending;
        }
        polled_by = Some(cx.waker().clone());
        // `probe` is never marked as seen: the wait notices a change only
        // once its notification fires, which may come after a poll that saw
        // the new version, so marking it there could skip the poll that
        // completes the wait (a socket left open at shutdown). After the one
        // change this watch makes (to raised) every poll goes through.
        wait.as_mut().poll(cx).map(drop)
    })
    .await;
}

/// A one-shot, level-triggered stop flag for two futures of the same task;
/// one waiter at a time (each half of a session waits on the other's flag).
/// A flag and an atomic waker, registered once per waiting task ([`register`]),
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
        let mut registered = None;
        std::future::poll_fn(move |cx| {
            if self.stopped.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            // A trigger between the check and the registration woke nobody.
            if register(&self.waker, &mut registered, cx) && self.stopped.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            Poll::Pending
        })
    }
}

/// Registers `cx`'s waker in `slot`, unless `registered` (the waker this wait
/// last put there) wakes the same task. A session polls its waits on every
/// wake-up of its task, with that task's waker each time; `slot` keeps the
/// waker until the one wake it exists for, so registering once is enough and
/// later polls cost a comparison instead of two atomic operations. Returns
/// whether it registered (the caller then checks its flag again).
pub(crate) fn register(
    slot: &AtomicWaker,
    registered: &mut Option<Waker>,
    cx: &Context<'_>,
) -> bool {
    if registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        return false;
    }
    slot.register(cx.waker());
    *registered = Some(cx.waker().clone());
    true
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};
    use std::time::Duration;

    use tokio::sync::watch;

    use super::{Stop, signalled};

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

    /// Polls `future` once with `waker`.
    fn poll_with<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(waker))
    }

    /// Counts the wakes of the waker made from it.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wait_polled_by_another_waker_registers_that_one() {
        let stop = Stop::default();
        let mut wait = std::pin::pin!(stop.wait());
        let (first, second) = (Arc::new(Wakes::default()), Arc::new(Wakes::default()));
        for wakes in [&first, &first, &second] {
            let waker = Waker::from(Arc::clone(wakes));
            assert!(poll_with(wait.as_mut(), &waker).is_pending());
        }
        stop.trigger();
        let counts = (
            first.0.load(Ordering::SeqCst),
            second.0.load(Ordering::SeqCst),
        );
        assert_eq!(counts, (0, 1), "the latest waker is the one woken");
        let waker = Waker::from(second);
        assert!(poll_with(wait.as_mut(), &waker).is_ready());
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

    #[test]
    fn a_pending_signal_wait_is_woken_by_the_raise_and_by_a_dropped_sender() {
        for drop_sender in [false, true] {
            let (sender, mut receiver) = watch::channel(false);
            let mut wait = std::pin::pin!(signalled(&mut receiver));
            let (first, second) = (Arc::new(Wakes::default()), Arc::new(Wakes::default()));
            // Polled again and again by one task, then by another.
            for wakes in [&first, &first, &first, &second] {
                let waker = Waker::from(Arc::clone(wakes));
                assert!(poll_with(wait.as_mut(), &waker).is_pending());
            }
            sender.send_replace(false); // a change that does not raise it
            let waker = Waker::from(Arc::clone(&second));
            assert!(poll_with(wait.as_mut(), &waker).is_pending());
            if drop_sender {
                drop(sender);
            } else {
                sender.send_replace(true);
            }
            assert!(
                second.0.load(Ordering::SeqCst) >= 1,
                "the latest task was not woken"
            );
            assert!(poll_with(wait.as_mut(), &waker).is_ready());
        }
    }
}
