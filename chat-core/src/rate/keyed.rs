//! Per-key limits: [`RateLimiter`] (a token bucket per key) and [`Throttle`]
//! (at most once per interval per key), both with bounded memory.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::time::{Duration, Instant};

use super::{RetryAfter, TokenBucket};

/// How often a client's typing indicator may be relayed per (user, thread).
pub const TYPING_INTERVAL: Duration = Duration::from_secs(2);

/// Below this many entries a map is never pruned automatically.
const AUTO_PRUNE_MIN: usize = 1024;

/// A token bucket per key (a user, an address), all with the same rate and burst.
///
/// Memory: entries whose bucket has refilled are forgotten by [`RateLimiter::prune`],
/// which [`RateLimiter::check`] also runs by itself whenever the map has doubled
/// since the last prune (and holds at least 1,024 entries), so the map stays within
/// about twice the number of keys active in the last `burst / rate` seconds.
#[derive(Debug, Clone)]
pub struct RateLimiter<K> {
    rate_per_sec: u32,
    burst: u32,
    buckets: HashMap<K, TokenBucket>,
    prune_at: usize,
}

/// Lets a key through at most once per `interval` (e.g. typing frames, once per
/// [`TYPING_INTERVAL`] per (user, thread)). Memory is bounded like [`RateLimiter`]'s.
#[derive(Debug, Clone)]
pub struct Throttle<K> {
    interval: Duration,
    /// When each key was last let through.
    last_allowed: HashMap<K, Instant>,
    prune_at: usize,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// A limiter giving each key `burst` requests at once and `rate_per_sec` per
    /// second after that. A `rate_per_sec` of 0 turns limiting off.
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        Self {
            rate_per_sec,
            burst,
            buckets: HashMap::new(),
            prune_at: AUTO_PRUNE_MIN,
        }
    }

    /// Counts one request for `key` at `now`.
    pub fn check(&mut self, key: K, now: Instant) -> Result<(), RetryAfter> {
        if self.rate_per_sec == 0 {
            return Ok(());
        }
        if self.buckets.len() >= self.prune_at {
            self.prune(now);
        }
        let (rate_per_sec, burst) = (self.rate_per_sec, self.burst);
        self.buckets
            .entry(key)
            .or_insert_with(|| TokenBucket::new(rate_per_sec, burst, now))
            .try_take(now)
    }

    /// Forgets every key whose bucket is full again at `now`.
    pub fn prune(&mut self, now: Instant) {
        self.buckets.retain(|_, bucket| !bucket.is_full(now));
        self.prune_at = next_prune_at(self.buckets.len());
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

impl<K: Hash + Eq> Throttle<K> {
    /// A throttle letting each key through at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_allowed: HashMap::new(),
            prune_at: AUTO_PRUNE_MIN,
        }
    }

    /// Whether `key` may go through at `now`: the first time, or at least
    /// `interval` after it last went through. Refused calls do not reset the clock.
    pub fn allow(&mut self, key: K, now: Instant) -> bool {
        if self.last_allowed.len() >= self.prune_at {
            self.prune(now);
        }
        match self.last_allowed.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(now);
                true
            }
            Entry::Occupied(mut entry) => {
                let allowed = now.saturating_duration_since(*entry.get()) >= self.interval;
                if allowed {
                    entry.insert(now);
                }
                allowed
            }
        }
    }

    /// Forgets every key that would be let through at `now` anyway.
    pub fn prune(&mut self, now: Instant) {
        let interval = self.interval;
        self.last_allowed
            .retain(|_, last| now.saturating_duration_since(*last) < interval);
        self.prune_at = next_prune_at(self.last_allowed.len());
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.last_allowed.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.last_allowed.is_empty()
    }
}

/// Prune again once the map has doubled, amortising the cost of a prune over the
/// insertions that made it necessary.
fn next_prune_at(len_after_prune: usize) -> usize {
    len_after_prune.saturating_mul(2).max(AUTO_PRUNE_MIN)
}
