//! Property tests of the core rules: what must hold for every input, not just the
//! table rows beside each module. Each property names the rule it guards.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::password::{PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, PasswordProblem, check_password};
use crate::rate::{
    LOGIN_FREE_FAILURES, LOGIN_LOCKOUT_MAX, RateLimiter, Throttle, TokenBucket, login_lockout,
};
use crate::unread::advance_cursor;
use crate::{
    BODY_MAX_CHARS, BodyError, CLIENT_ID_MAX, ClientIdError, ClientMessageId, MessageBody,
    MessageId, Timestamp, USERNAME_MAX, USERNAME_MIN, UserId, UserPair, Username, UsernameError,
};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Any text, biased towards what the parsers care about: whitespace, `\r`,
/// control characters, the username alphabet and multi-byte characters.
fn text() -> impl Strategy<Value = String> {
    let interesting = prop_oneof![
        Just(' '),
        Just('\t'),
        Just('\n'),
        Just('\r'),
        Just('\u{0}'),
        Just('\u{7}'),
        Just('\u{7f}'),
        Just('\u{85}'),
        Just('\u{a0}'),
        Just('\u{2028}'),
        Just('\u{3000}'),
        Just('é'),
        Just('😀'),
        prop::char::range('a', 'z'),
        prop::char::range('A', 'Z'),
        prop::char::range('0', '9'),
        prop::sample::select(vec!['_', '.', '-', '@', '/', '<', '"', '~']),
        any::<char>(),
    ];
    prop::collection::vec(interesting, 0..48).prop_map(|chars| chars.into_iter().collect())
}

/// Strings of the username alphabet, of lengths around both bounds.
fn username_like() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(['_', '.', '-'])
        .collect();
    prop::collection::vec(prop::sample::select(alphabet), 0..=USERNAME_MAX + 3)
        .prop_map(|chars| chars.into_iter().collect())
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Flips the ASCII case of the characters selected by `mask` (cycled).
fn flip_case(s: &str, mask: &[bool]) -> String {
    s.chars()
        .zip(mask.iter().cycle())
        .map(|(c, flip)| match (flip, c.is_ascii_lowercase()) {
            (false, _) => c,
            (true, true) => c.to_ascii_uppercase(),
            (true, false) => c.to_ascii_lowercase(),
        })
        .collect()
}

fn nanos(d: Duration) -> u128 {
    d.as_nanos()
}

proptest! {
    /// A 1:1 thread is the same pair from either side; never with oneself.
    #[test]
    fn pair_is_symmetric_and_refuses_self(a in any::<i64>(), b in any::<i64>()) {
        let (a, b) = (UserId(a), UserId(b));
        match (UserPair::new(a, b), UserPair::new(b, a)) {
            (Ok(ab), Ok(ba)) => {
                prop_assert_ne!(a, b);
                prop_assert_eq!(ab, ba);
                prop_assert_eq!(ab.low(), a.min(b));
                prop_assert_eq!(ab.high(), a.max(b));
                prop_assert!(ab.contains(a) && ab.contains(b));
                prop_assert_eq!(ab.other(a), Some(b));
                prop_assert_eq!(ab.other(b), Some(a));
            }
            (Err(_), Err(_)) => prop_assert_eq!(a, b),
            (ab, ba) => prop_assert!(false, "asymmetric: {:?} vs {:?}", ab, ba),
        }
    }

    /// Only the two members are members.
    #[test]
    fn pair_contains_only_its_members(a in -50_i64..50, b in -50_i64..50, c in -50_i64..50) {
        if let Ok(pair) = UserPair::new(UserId(a), UserId(b)) {
            let c = UserId(c);
            let member = c == UserId(a) || c == UserId(b);
            prop_assert_eq!(pair.contains(c), member);
            prop_assert_eq!(pair.other(c).is_some(), member);
        }
    }

    /// Parsing a parsed body changes nothing, and a body is trimmed, normalised and
    /// within bounds; a refusal says why.
    #[test]
    fn body_parse_is_idempotent_and_normalised(input in text()) {
        match MessageBody::parse(&input) {
            Ok(body) => {
                let s = body.as_str();
                prop_assert_eq!(MessageBody::parse(s), Ok(body.clone()));
                prop_assert_eq!(s, s.trim());
                prop_assert!(!s.is_empty());
                prop_assert!(!s.contains('\r'));
                prop_assert!(s.chars().count() <= BODY_MAX_CHARS);
                prop_assert!(s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
            }
            Err(BodyError::Empty) => prop_assert!(input.trim().is_empty()),
            Err(BodyError::ControlChar(c)) => {
                prop_assert!(c.is_control() && c != '\n' && c != '\t');
                prop_assert!(input.contains(c));
            }
            Err(other) => prop_assert!(false, "unexpected {:?} for {:?}", other, input),
        }
    }

    /// Parsing an owned string gives exactly what parsing a borrowed one does.
    #[test]
    fn body_parse_owned_is_parse(input in text()) {
        prop_assert_eq!(MessageBody::parse_owned(input.clone()), MessageBody::parse(&input));
    }

    /// A body of n visible characters (after trimming) is accepted iff n ≤ 4000.
    #[test]
    fn body_length_bounds(
        n in (BODY_MAX_CHARS - 3)..=(BODY_MAX_CHARS + 3),
        fill in prop::sample::select(vec!['x', 'é', '😀']),
        pad in "[ \t\n\r]{0,4}",
    ) {
        let input = format!("{pad}{}{pad}", fill.to_string().repeat(n));
        let parsed = MessageBody::parse(&input);
        if n <= BODY_MAX_CHARS {
            prop_assert_eq!(parsed.map(|b| b.as_str().chars().count()), Ok(n));
        } else {
            prop_assert_eq!(parsed, Err(BodyError::TooLong { chars: n }));
        }
    }

    /// Usernames: equal, hashed and ordered ignoring ASCII case; spelling is kept.
    #[test]
    fn username_case_insensitive_eq_hash_and_order(
        s in username_like(),
        mask in prop::collection::vec(any::<bool>(), 1..8),
        other in username_like(),
    ) {
        let (Ok(a), Ok(b)) = (Username::parse(&s), Username::parse(&flip_case(&s, &mask))) else {
            return Ok(());
        };
        prop_assert_eq!(a.as_str(), s.as_str());
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(hash_of(&a), hash_of(&b));
        prop_assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
        prop_assert_eq!(a.canonical(), b.canonical());
        if let Ok(c) = Username::parse(&other) {
            // Eq, Ord and Hash agree with the canonical form.
            prop_assert_eq!(a == c, a.canonical() == c.canonical());
            prop_assert_eq!(a.cmp(&c), a.canonical().cmp(&c.canonical()));
            if a == c {
                prop_assert_eq!(hash_of(&a), hash_of(&c));
            }
            let set: HashSet<Username> = [a.clone(), b, c.clone()].into_iter().collect();
            prop_assert_eq!(set.len(), if a == c { 1 } else { 2 });
        }
    }

    /// Username length bounds hold for every string of allowed characters.
    #[test]
    fn username_length_bounds(s in username_like()) {
        let expected = if s.len() < USERNAME_MIN {
            Err(UsernameError::TooShort)
        } else if s.len() > USERNAME_MAX {
            Err(UsernameError::TooLong)
        } else {
            Ok(s.clone())
        };
        prop_assert_eq!(Username::parse(&s).map(|u| u.as_str().to_owned()), expected);
    }

    /// Any other text: accepted only when it is made of the allowed characters.
    #[test]
    fn username_refuses_foreign_characters(s in text()) {
        let allowed = s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        match Username::parse(&s) {
            Ok(name) => {
                prop_assert!(allowed);
                prop_assert!((USERNAME_MIN..=USERNAME_MAX).contains(&name.as_str().len()));
            }
            Err(UsernameError::InvalidChar(c)) => {
                prop_assert!(!allowed);
                prop_assert_eq!(s.chars().find(|c| !c.is_ascii_alphanumeric() && !"_.-".contains(*c)), Some(c));
            }
            Err(_) => prop_assert!(allowed),
        }
    }

    /// Client ids: 1..=64 bytes of printable ASCII, kept exactly.
    #[test]
    fn client_id_bounds(s in prop_oneof![text(), "[ -~]{0,70}"]) {
        let printable = s.bytes().all(|b| (0x20..=0x7e).contains(&b));
        let expected = if s.is_empty() {
            Err(ClientIdError::Empty)
        } else if !printable {
            Err(ClientIdError::InvalidChar)
        } else if s.len() > CLIENT_ID_MAX {
            Err(ClientIdError::TooLong)
        } else {
            Ok(s.clone())
        };
        prop_assert_eq!(ClientMessageId::parse(&s).map(|c| c.as_str().to_owned()), expected);
    }

    /// The password policy: a verdict for every input, consistent with its rules.
    #[test]
    fn password_policy_is_consistent(
        password in text(),
        username in username_like(),
        mask in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let verdict = check_password(&password, &username);
        prop_assert_eq!(&verdict, &check_password(&password, &username));
        let problems = verdict.err().unwrap_or_default();
        let (too_short, too_long) = (
            PasswordProblem::TooShort { min: PASSWORD_MIN_CHARS },
            PasswordProblem::TooLong { max_bytes: PASSWORD_MAX_BYTES },
        );
        let short = password.chars().count() < PASSWORD_MIN_CHARS;
        prop_assert_eq!(problems.contains(&too_short), short);
        let numeric = !password.is_empty() && password.chars().all(char::is_numeric);
        prop_assert_eq!(problems.contains(&PasswordProblem::EntirelyNumeric), numeric);
        prop_assert!(!problems.contains(&too_long));
        // The username itself, in any case, is always too similar (names longer than
        // a username are not compared).
        if (1..=USERNAME_MAX).contains(&username.len()) {
            let same = check_password(&flip_case(&username, &mask), &username).err();
            prop_assert!(same.unwrap_or_default().contains(&PasswordProblem::TooSimilarToUsername));
        }
    }

    /// A token bucket never holds more than its burst, and over any stretch of time
    /// lets through at most `burst + rate × elapsed` requests.
    #[test]
    fn bucket_never_exceeds_burst(
        rate in 1_u32..50,
        burst in 1_u32..50,
        steps in prop::collection::vec((0_u64..400_000_000, 0_u32..6), 1..60),
    ) {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(rate, burst, t0);
        let mut now = t0;
        let mut taken: u128 = 0;
        for (advance_ns, attempts) in steps {
            now += Duration::from_nanos(advance_ns);
            prop_assert!(bucket.available(now) <= burst);
            for _ in 0..attempts {
                if bucket.try_take(now).is_ok() {
                    taken += 1;
                }
            }
            let allowed = u128::from(burst)
                + nanos(now - t0) * u128::from(rate) / NANOS_PER_SEC;
            prop_assert!(taken <= allowed, "{} taken, at most {} allowed", taken, allowed);
        }
    }

    /// A drained bucket refills at its rate: after `d` it holds min(burst, ⌊d × rate⌋)
    /// tokens, and a refusal's `RetryAfter` is exact to the nanosecond.
    #[test]
    fn bucket_refills_at_rate(
        rate in 1_u32..1000,
        burst in 1_u32..40,
        wait_ns in 0_u64..5_000_000_000,
    ) {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(rate, burst, t0);
        for _ in 0..burst {
            prop_assert!(bucket.try_take(t0).is_ok());
        }
        let later = t0 + Duration::from_nanos(wait_ns);
        let refilled = (u128::from(wait_ns) * u128::from(rate) / NANOS_PER_SEC)
            .min(u128::from(burst));
        prop_assert_eq!(u128::from(bucket.available(later)), refilled);
        // Drain what came back, then the refusal names the exact moment of the next token.
        for _ in 0..refilled {
            prop_assert!(bucket.try_take(later).is_ok());
        }
        let retry = bucket.try_take(later).err();
        prop_assert!(retry.is_some());
        let retry = retry.map_or(Duration::ZERO, |r| r.0);
        prop_assert!(retry > Duration::ZERO && retry <= Duration::from_secs(1));
        let just_before = later + retry.saturating_sub(Duration::from_nanos(1));
        let mut probe = bucket.clone();
        prop_assert!(probe.try_take(just_before).is_err());
        prop_assert!(bucket.try_take(later + retry).is_ok());
    }

    /// The keyed limiter behaves exactly like one independent bucket per key.
    #[test]
    fn rate_limiter_matches_one_bucket_per_key(
        rate in 1_u32..20,
        burst in 1_u32..10,
        events in prop::collection::vec((0_u8..4, 0_u64..300_000_000), 1..120),
    ) {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(rate, burst);
        let mut model: HashMap<u8, TokenBucket> = HashMap::new();
        let mut now = t0;
        for (key, advance_ns) in events {
            now += Duration::from_nanos(advance_ns);
            let expected = model
                .entry(key)
                .or_insert_with(|| TokenBucket::new(rate, burst, now))
                .try_take(now);
            prop_assert_eq!(limiter.check(key, now), expected);
            prop_assert!(limiter.len() <= 4);
        }
    }

    /// A throttle lets a key through the first time and then only once `interval`
    /// has passed since it last let it through; keys do not affect each other.
    #[test]
    fn throttle_lets_through_at_most_once_per_interval(
        interval_ms in 1_u64..3000,
        events in prop::collection::vec((0_u8..3, 0_u64..1500), 1..150),
    ) {
        let t0 = Instant::now();
        let interval = Duration::from_millis(interval_ms);
        let mut throttle = Throttle::new(interval);
        let mut last: HashMap<u8, Instant> = HashMap::new();
        let mut now = t0;
        for (key, advance_ms) in events {
            now += Duration::from_millis(advance_ms);
            let expected = last.get(&key).is_none_or(|at| now - *at >= interval);
            prop_assert_eq!(throttle.allow(key, now), expected);
            if expected {
                last.insert(key, now);
            }
        }
    }

    /// Login lockout: nothing before 5 failures, never more than 15 minutes, more
    /// failures never wait less, and the wait only shrinks as time passes.
    #[test]
    fn login_lockout_is_bounded_and_monotone(
        failures in 0_u32..100,
        since_ms in 0_i64..2_000_000,
        later_ms in 0_i64..2_000_000,
    ) {
        let last = Timestamp::from_millis(1_800_000_000_000);
        let now = last.plus_millis(since_ms);
        let wait = login_lockout(failures, last, now);
        if failures < LOGIN_FREE_FAILURES {
            prop_assert_eq!(wait, None);
        }
        let wait = wait.unwrap_or(Duration::ZERO);
        prop_assert!(wait <= LOGIN_LOCKOUT_MAX);
        let more = login_lockout(failures.saturating_add(1), last, now).unwrap_or(Duration::ZERO);
        prop_assert!(more >= wait);
        let after = login_lockout(failures, last, now.plus_millis(later_ms)).unwrap_or(Duration::ZERO);
        prop_assert!(after <= wait);
        prop_assert_eq!(after, wait.saturating_sub(Duration::from_millis(later_ms.unsigned_abs())));
    }

    /// Read cursors only move forward and never past the newest message.
    #[test]
    fn cursor_only_moves_forward(current in 0_i64..1000, requested in -10_i64..1100, newest in 0_i64..1000) {
        let next = advance_cursor(MessageId(current), MessageId(requested), MessageId(newest));
        prop_assert!(next >= MessageId(current));
        prop_assert!(next == MessageId(current) || next <= MessageId(newest));
        prop_assert_eq!(advance_cursor(next, MessageId(requested), MessageId(newest)), next);
    }
}
