//! The pair and membership rules.

use super::{Thread, ThreadError, UserPair};
use crate::{ThreadId, UserId};

#[test]
fn pair_is_the_same_from_either_side() {
    // (a, b, low, high)
    let cases = [
        (1, 2, 1, 2),
        (2, 1, 1, 2),
        (-5, 3, -5, 3),
        (i64::MAX, i64::MIN, i64::MIN, i64::MAX),
    ];
    for (a, b, low, high) in cases {
        let ab = UserPair::new(UserId(a), UserId(b)).unwrap();
        let ba = UserPair::new(UserId(b), UserId(a)).unwrap();
        assert_eq!(ab, ba, "({a}, {b})");
        assert_eq!((ab.low(), ab.high()), (UserId(low), UserId(high)));
    }
}

#[test]
fn self_thread_is_refused() {
    for id in [0, 1, -1, i64::MAX] {
        assert_eq!(
            UserPair::new(UserId(id), UserId(id)),
            Err(ThreadError::SelfThread)
        );
    }
}

#[test]
fn pair_members() {
    let pair = UserPair::new(UserId(9), UserId(4)).unwrap();
    // (user, contains, other)
    let cases = [(4, true, Some(9)), (9, true, Some(4)), (5, false, None)];
    for (user, contains, other) in cases {
        assert_eq!(pair.contains(UserId(user)), contains, "{user}");
        assert_eq!(pair.other(UserId(user)), other.map(UserId), "{user}");
    }
}

#[test]
fn only_members_may_access() {
    let pair = UserPair::new(UserId(9), UserId(4)).unwrap();
    let thread = Thread::direct(ThreadId(1), pair);
    assert_eq!(thread.members, [UserId(4), UserId(9)], "ascending");
    // (user, may access)
    let cases = [(4, true), (9, true), (5, false), (0, false), (-4, false)];
    for (user, allowed) in cases {
        assert_eq!(thread.may_access(UserId(user)), allowed, "{user}");
    }
    assert_eq!(thread.others(UserId(4)).collect::<Vec<_>>(), [UserId(9)]);
    assert_eq!(
        thread.others(UserId(5)).count(),
        2,
        "a non-member sees both"
    );
}
