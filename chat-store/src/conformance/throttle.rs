//! Conformance cases for login-failure tallies and signup attempts.

use std::time::Duration;

use chat_core::UserId;

use super::{at, signup};
use crate::{LoginFailures, Store, StoreError};

const WINDOW: Duration = Duration::from_mins(1);
const WINDOW_MS: i64 = 60_000;

fn tally(count: u32, last_ms: i64) -> LoginFailures {
    LoginFailures {
        count,
        last: Some(at(last_ms)),
    }
}

/// Failures within `window` of the previous one add up; a longer gap starts
/// over at 1; `last` never moves backwards; clearing forgets; users are apart.
pub fn login_failures_count_within_the_window(store: &dyn Store) {
    let alice = signup(store, "alice");
    let bob = signup(store, "bob");
    assert_eq!(
        store.login_failures(alice.id).unwrap(),
        LoginFailures::default()
    );
    let fail = |user: UserId, ms: i64| store.record_login_failure(user, at(ms), WINDOW).unwrap();

    assert_eq!(fail(alice.id, 0), tally(1, 0));
    assert_eq!(fail(alice.id, 1_000), tally(2, 1_000));
    // Exactly `window` after the previous one still counts.
    assert_eq!(
        fail(alice.id, 1_000 + WINDOW_MS),
        tally(3, 1_000 + WINDOW_MS)
    );
    // A failure stamped before the last one (another process's clock) counts
    // and leaves `last` where it was.
    assert_eq!(fail(alice.id, 500), tally(4, 1_000 + WINDOW_MS));
    assert_eq!(
        store.login_failures(alice.id).unwrap(),
        tally(4, 1_000 + WINDOW_MS)
    );
    // More than `window` after the last one starts over.
    assert_eq!(
        fail(alice.id, 2_001 + 2 * WINDOW_MS),
        tally(1, 2_001 + 2 * WINDOW_MS)
    );

    assert_eq!(
        store.login_failures(bob.id).unwrap(),
        LoginFailures::default()
    );
    assert_eq!(fail(bob.id, 10), tally(1, 10));
    store.clear_login_failures(alice.id).unwrap();
    assert_eq!(
        store.login_failures(alice.id).unwrap(),
        LoginFailures::default()
    );
    store.clear_login_failures(alice.id).unwrap();
    assert_eq!(store.login_failures(bob.id).unwrap(), tally(1, 10));
    assert_eq!(fail(alice.id, 20), tally(1, 20));

    let unknown = store.record_login_failure(UserId(999_999), at(0), WINDOW);
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    assert_eq!(
        store.login_failures(UserId(999_999)).unwrap(),
        LoginFailures::default()
    );
}

/// Attempts count per client over (now - window, now], this one included.
pub fn signup_attempts_count_per_client_in_the_window(store: &dyn Store) {
    let (v4, v6) = ("203.0.113.7", "2001:db8::1");
    let attempt =
        |client: &str, ms: i64| store.record_signup_attempt(client, at(ms), WINDOW).unwrap();
    assert_eq!(attempt(v4, 0), 1);
    assert_eq!(attempt(v4, 10), 2);
    assert_eq!(attempt(v4, 10), 3, "equal instants are separate attempts");
    assert_eq!(attempt(v6, 20), 1);
    // `window` after the first attempt, (0, 60_000] leaves that one out.
    assert_eq!(attempt(v4, WINDOW_MS), 3);
    // Both attempts at 10 fall out at 10 + window.
    assert_eq!(attempt(v4, 10 + WINDOW_MS), 2);
    assert_eq!(attempt(v6, 30 + WINDOW_MS), 1);
    // Long after, every client starts from 1 again.
    assert_eq!(attempt(v4, 10 * WINDOW_MS), 1);
    assert_eq!(attempt(v6, 10 * WINDOW_MS), 1);
    // A zero-length window holds nothing.
    let zero = store
        .record_signup_attempt(v4, at(10 * WINDOW_MS), Duration::ZERO)
        .unwrap();
    assert_eq!(zero, 0);
}
