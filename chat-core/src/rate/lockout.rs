//! The login lockout rule: after [`LOGIN_FREE_FAILURES`] failed logins, wait before
//! the next attempt, doubling each failure up to [`LOGIN_LOCKOUT_MAX`].

use std::time::Duration;

use crate::Timestamp;

/// Failed logins allowed before any wait.
pub const LOGIN_FREE_FAILURES: u32 = 5;
/// The wait after the [`LOGIN_FREE_FAILURES`]-th failure; each further failure doubles it.
pub const LOGIN_LOCKOUT_BASE: Duration = Duration::from_secs(30);
/// The longest wait.
pub const LOGIN_LOCKOUT_MAX: Duration = Duration::from_mins(15);

/// How much longer a login (for one account or from one address, as the caller
/// counts them) must wait at `now`, or `None` if it may be attempted.
///
/// `failures_in_window` is the number of failed logins the caller has counted (e.g.
/// since the last success, within a window longer than [`LOGIN_LOCKOUT_MAX`]), and
/// `last_failure` the time of the latest one. With 5 failures the wait is 30 s after
/// the last one, with 6 it is 1 min, then 2, 4, 8 and from 10 failures on 15 min.
/// A `now` before `last_failure` (a clock step back) waits the full lockout.
pub fn login_lockout(
    failures_in_window: u32,
    last_failure: Timestamp,
    now: Timestamp,
) -> Option<Duration> {
    if failures_in_window < LOGIN_FREE_FAILURES {
        return None;
    }
    let doublings = failures_in_window - LOGIN_FREE_FAILURES;
    let factor = 1_u32.checked_shl(doublings).unwrap_or(u32::MAX);
    let lockout = LOGIN_LOCKOUT_BASE
        .saturating_mul(factor)
        .min(LOGIN_LOCKOUT_MAX);
    let elapsed_ms = now.as_millis().saturating_sub(last_failure.as_millis());
    let elapsed = Duration::from_millis(u64::try_from(elapsed_ms).unwrap_or(0));
    let remaining = lockout.saturating_sub(elapsed);
    (!remaining.is_zero()).then_some(remaining)
}
