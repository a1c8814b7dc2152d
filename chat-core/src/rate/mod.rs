//! Rate limits as plain state machines driven by a `now` argument: a token bucket,
//! a keyed limiter of buckets, a once-per-interval throttle, and the login lockout rule.
//!
//! `now` is a [`std::time::Instant`] (monotonic, in memory) for the limiters and a
//! [`crate::Timestamp`] (wall clock, storable) for login lockouts, whose failure
//! counts live in the store.

mod bucket;
mod keyed;
mod lockout;

pub use bucket::{RetryAfter, TokenBucket};
pub use keyed::{RateLimiter, TYPING_INTERVAL, Throttle};
pub use lockout::{LOGIN_FREE_FAILURES, LOGIN_LOCKOUT_BASE, LOGIN_LOCKOUT_MAX, login_lockout};

#[cfg(test)]
mod tests;
