//! A token bucket with exact integer arithmetic.

use std::time::{Duration, Instant};

/// Each token is this many units; every elapsed nanosecond adds `rate_per_sec`
/// units, so refilling is exact integer arithmetic (no drift, no float rounding).
const UNITS_PER_TOKEN: u128 = 1_000_000_000;

/// Refused: the earliest time from now at which the same request can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
#[error("rate limited, retry after {} ms", .0.as_millis())]
pub struct RetryAfter(pub Duration);

/// Up to `burst` requests at once, then `rate_per_sec` per second on average.
///
/// Starts full. A `rate_per_sec` of 0 means unlimited; a `burst` of 0 is taken as 1.
/// Calls with a `now` earlier than one seen before are treated as happening at
/// that later time (time never runs backward for the bucket).
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_per_sec: u32,
    /// Capacity in units.
    capacity: u128,
    /// Current content in units.
    units: u128,
    /// When `units` was last brought up to date.
    updated: Instant,
}

impl RetryAfter {
    /// Whole seconds, rounded up: the value for an HTTP `Retry-After` header.
    pub fn as_secs_ceil(self) -> u64 {
        let secs = self.0.as_secs();
        if self.0.subsec_nanos() == 0 {
            secs
        } else {
            secs.saturating_add(1)
        }
    }
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_sec: u32, burst: u32, now: Instant) -> Self {
        let capacity = u128::from(burst.max(1)) * UNITS_PER_TOKEN;
        Self {
            rate_per_sec,
            capacity,
            units: capacity,
            updated: now,
        }
    }

    /// Takes one token, or says how long until one is available.
    pub fn try_take(&mut self, now: Instant) -> Result<(), RetryAfter> {
        if self.rate_per_sec == 0 {
            return Ok(());
        }
        self.refill(now);
        if self.units >= UNITS_PER_TOKEN {
            self.units -= UNITS_PER_TOKEN;
            return Ok(());
        }
        let missing = UNITS_PER_TOKEN - self.units;
        let nanos = missing.div_ceil(u128::from(self.rate_per_sec));
        // At most 1e9 ns: always fits.
        Err(RetryAfter(Duration::from_nanos(
            u64::try_from(nanos).unwrap_or(u64::MAX),
        )))
    }

    /// Whole tokens available at `now`.
    pub fn available(&self, now: Instant) -> u32 {
        let tokens = self.units_at(now) / UNITS_PER_TOKEN;
        u32::try_from(tokens).unwrap_or(u32::MAX)
    }

    /// Whether the bucket is full at `now`. A full bucket behaves exactly like a new
    /// one, so a keyed limiter may forget it. An unlimited bucket is always full.
    pub fn is_full(&self, now: Instant) -> bool {
        self.rate_per_sec == 0 || self.units_at(now) >= self.capacity
    }

    fn refill(&mut self, now: Instant) {
        self.units = self.units_at(now);
        self.updated = self.updated.max(now);
    }

    fn units_at(&self, now: Instant) -> u128 {
        let elapsed = now.saturating_duration_since(self.updated).as_nanos();
        let added = elapsed.saturating_mul(u128::from(self.rate_per_sec));
        self.units.saturating_add(added).min(self.capacity)
    }
}
