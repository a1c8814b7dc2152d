//! Token bucket, keyed limiter, throttle and lockout, all on a fake clock: one real
//! `Instant` as the base plus exact offsets.

use std::time::{Duration, Instant};

use super::{
    LOGIN_LOCKOUT_MAX, RateLimiter, RetryAfter, TYPING_INTERVAL, Throttle, TokenBucket,
    login_lockout,
};
use crate::Timestamp;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn bucket_bursts_then_refills_at_rate() {
    let t0 = Instant::now();
    // 2 per second, burst 3: one token every 500 ms.
    let mut bucket = TokenBucket::new(2, 3, t0);
    // (offset, expected)
    let steps = [
        (ms(0), Ok(())),
        (ms(0), Ok(())),
        (ms(0), Ok(())),
        (ms(0), Err(RetryAfter(ms(500)))),
        (ms(100), Err(RetryAfter(ms(400)))),
        (ms(499), Err(RetryAfter(ms(1)))),
        (
            Duration::from_nanos(499_999_999),
            Err(RetryAfter(Duration::from_nanos(1))),
        ),
        (ms(500), Ok(())), // exactly one token later
        (ms(500), Err(RetryAfter(ms(500)))),
        (ms(999), Err(RetryAfter(ms(1)))),
        (ms(1000), Ok(())),
        // Idle for long: refills to the burst, not beyond.
        (ms(60_000), Ok(())),
        (ms(60_000), Ok(())),
        (ms(60_000), Ok(())),
        (ms(60_000), Err(RetryAfter(ms(500)))),
    ];
    for (i, (offset, expected)) in steps.into_iter().enumerate() {
        assert_eq!(
            bucket.try_take(t0 + offset),
            expected,
            "step {i} at {offset:?}"
        );
    }
}

#[test]
fn bucket_is_exact_at_rates_that_do_not_divide_a_second() {
    let t0 = Instant::now();
    // 3 per second: the n-th token after draining is due at ceil(n / 3 s), to the
    // nanosecond, however many have come before (no drift from rounding).
    let mut bucket = TokenBucket::new(3, 100, t0);
    assert!((0..100).all(|_| bucket.try_take(t0).is_ok()));
    let one_ns = Duration::from_nanos(1);
    for n in 1..=30_u64 {
        let due = t0 + Duration::from_nanos((n * 1_000_000_000).div_ceil(3));
        assert_eq!(
            bucket.try_take(due.checked_sub(one_ns).unwrap()),
            Err(RetryAfter(one_ns)),
            "token {n}"
        );
        assert_eq!(bucket.try_take(due), Ok(()), "token {n}");
    }
}

#[test]
fn bucket_edge_settings() {
    let t0 = Instant::now();
    let mut unlimited = TokenBucket::new(0, 1, t0);
    assert!((0..10_000).all(|_| unlimited.try_take(t0).is_ok()));
    assert!(unlimited.is_full(t0));

    // Burst 0 is taken as 1.
    let mut bucket = TokenBucket::new(1, 0, t0);
    assert_eq!(bucket.available(t0), 1);
    assert_eq!(bucket.try_take(t0), Ok(()));
    assert_eq!(bucket.try_take(t0), Err(RetryAfter(Duration::from_secs(1))));

    // Huge rate and burst do not overflow.
    let mut big = TokenBucket::new(u32::MAX, u32::MAX, t0);
    assert_eq!(big.available(t0), u32::MAX);
    assert_eq!(
        big.try_take(t0 + Duration::from_secs(1_000_000_000)),
        Ok(())
    );
}

#[test]
fn bucket_ignores_time_going_backward() {
    let t0 = Instant::now();
    let later = t0 + Duration::from_secs(10);
    let mut bucket = TokenBucket::new(1, 1, later);
    assert_eq!(bucket.try_take(later), Ok(()));
    // An older `now` is the same as `later`: still a full second to wait.
    assert_eq!(bucket.try_take(t0), Err(RetryAfter(Duration::from_secs(1))));
    assert!(!bucket.is_full(t0));
    assert_eq!(bucket.try_take(later + Duration::from_secs(1)), Ok(()));
}

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    let cases = [
        (ms(0), 0),
        (ms(1), 1),
        (ms(999), 1),
        (ms(1000), 1),
        (ms(1001), 2),
    ];
    for (wait, secs) in cases {
        assert_eq!(RetryAfter(wait).as_secs_ceil(), secs, "{wait:?}");
    }
    assert_eq!(
        RetryAfter(ms(250)).to_string(),
        "rate limited, retry after 250 ms"
    );
}

#[test]
fn limiter_keeps_a_bucket_per_key() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(1, 2);
    assert_eq!(limiter.check("alice", t0), Ok(()));
    assert_eq!(limiter.check("alice", t0), Ok(()));
    assert_eq!(limiter.check("alice", t0), Err(RetryAfter(ms(1000))));
    assert_eq!(limiter.check("bob", t0), Ok(()), "bob has his own bucket");
    assert_eq!(limiter.check("alice", t0 + ms(1000)), Ok(()));
    assert_eq!(limiter.len(), 2);
}

#[test]
fn limiter_rate_zero_is_unlimited_and_remembers_nothing() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(0, 0);
    assert!((0..1000).all(|i| limiter.check(i, t0).is_ok()));
    assert!(limiter.is_empty());
}

#[test]
fn limiter_prune_forgets_only_full_buckets() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(1, 3);
    limiter.check("a", t0).unwrap(); // 2 of 3 left, full again at t0 + 1 s
    limiter.check("b", t0 + ms(500)).unwrap(); // full again at t0 + 1.5 s
    limiter.prune(t0 + ms(999));
    assert_eq!(limiter.len(), 2);
    limiter.prune(t0 + ms(1000));
    assert_eq!(limiter.len(), 1);
    limiter.prune(t0 + ms(1500));
    assert!(limiter.is_empty());
}

#[test]
fn limiter_prunes_itself_when_keys_pile_up() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(1, 1);
    // 10,000 one-off keys, one per millisecond: each bucket is full a second later.
    for i in 0..10_000_u64 {
        limiter.check(i, t0 + ms(i)).unwrap();
    }
    assert!(limiter.len() <= 2048, "{} entries kept", limiter.len());
}

#[test]
fn throttle_lets_through_once_per_interval() {
    let t0 = Instant::now();
    let mut throttle = Throttle::new(TYPING_INTERVAL);
    let (alice_t1, alice_t2, bob_t1) = ((1, 1), (1, 2), (2, 1));
    // (offset, key, allowed)
    let steps = [
        (ms(0), alice_t1, true),
        (ms(0), alice_t1, false),
        (ms(0), alice_t2, true), // another thread
        (ms(0), bob_t1, true),   // another user
        (ms(1999), alice_t1, false),
        (ms(2000), alice_t1, true), // exactly the interval later
        (ms(2001), alice_t1, false),
        (ms(3999), alice_t1, false), // refusals did not reset the clock
        (ms(4000), alice_t1, true),
    ];
    for (i, (offset, key, allowed)) in steps.into_iter().enumerate() {
        assert_eq!(
            throttle.allow(key, t0 + offset),
            allowed,
            "step {i}: {key:?} at {offset:?}"
        );
    }
}

#[test]
fn throttle_prune_and_bounds() {
    let t0 = Instant::now();
    let mut throttle = Throttle::new(ms(100));
    assert!(throttle.allow("a", t0));
    assert!(throttle.allow("b", t0 + ms(50)));
    throttle.prune(t0 + ms(100));
    assert_eq!(throttle.len(), 1);
    assert!(!throttle.allow("b", t0 + ms(120)), "b is still remembered");
    throttle.prune(t0 + ms(150));
    assert!(throttle.is_empty());

    let mut throttle = Throttle::new(ms(1));
    for i in 0..10_000_u64 {
        assert!(throttle.allow(i, t0 + ms(i)));
    }
    assert!(throttle.len() <= 2048, "{} entries kept", throttle.len());

    let mut unthrottled = Throttle::new(Duration::ZERO);
    assert!((0..10).all(|_| unthrottled.allow("a", t0)));
}

#[test]
fn login_lockout_backs_off_exponentially_up_to_fifteen_minutes() {
    let secs = Duration::from_secs;
    let last = Timestamp::from_millis(1_795_428_000_123);
    // (failures, ms since the last failure, remaining wait)
    let cases = [
        (0, 0, None),
        (4, 0, None),
        (5, 0, Some(secs(30))),
        (5, 10_000, Some(secs(20))),
        (5, 29_999, Some(ms(1))),
        (5, 30_000, None),
        (6, 0, Some(secs(60))),
        (7, 0, Some(secs(120))),
        (8, 0, Some(secs(240))),
        (9, 0, Some(secs(480))),
        (10, 0, Some(LOGIN_LOCKOUT_MAX)),
        (11, 0, Some(LOGIN_LOCKOUT_MAX)),
        (40, 0, Some(LOGIN_LOCKOUT_MAX)),
        (u32::MAX, 0, Some(LOGIN_LOCKOUT_MAX)),
        (u32::MAX, 900_000, None),
        (9, -5_000, Some(secs(480))), // clock stepped back: full wait
    ];
    for (failures, since, expected) in cases {
        assert_eq!(
            login_lockout(failures, last, last.plus_millis(since)),
            expected,
            "{failures} failures, {since} ms later"
        );
    }
}
