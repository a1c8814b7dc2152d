//! Conformance cases for the revocation log.

use chat_core::UserId;

use super::{at, signup};
use crate::{Revocation, Session, Store, TokenHash};

/// `delete_session` records a revocation only when the session existed;
/// `delete_user_sessions` always records one for the whole user.
pub fn session_deletes_record_revocations(store: &dyn Store) {
    let alice = signup(store, "alice");
    let bob = signup(store, "bob");
    let carol = signup(store, "carol");
    assert_eq!(store.latest_revocation_id().unwrap(), 0);
    assert_eq!(store.revocations_after(0, 10).unwrap(), []);

    let session = |user: UserId| Session {
        user,
        created_at: at(0),
        last_seen: at(0),
        expires_at: at(1_000_000),
    };
    let (t1, t2, t3) = (TokenHash([1; 32]), TokenHash([2; 32]), TokenHash([3; 32]));
    store.create_session(&t1, &session(alice.id)).unwrap();
    store.create_session(&t2, &session(alice.id)).unwrap();
    store.create_session(&t3, &session(bob.id)).unwrap();
    assert_eq!(
        store.latest_revocation_id().unwrap(),
        0,
        "creating revokes nothing"
    );

    assert!(store.delete_session(&t1).unwrap());
    assert!(!store.delete_session(&t1).unwrap());
    assert!(!store.delete_session(&TokenHash([9; 32])).unwrap());
    assert_eq!(store.delete_user_sessions(bob.id).unwrap(), 1);
    assert_eq!(store.delete_user_sessions(carol.id).unwrap(), 0);

    let all = store.revocations_after(0, 10).unwrap();
    let shape: Vec<(UserId, Option<TokenHash>)> = all.iter().map(|r| (r.user, r.token)).collect();
    assert_eq!(
        shape,
        [(alice.id, Some(t1)), (bob.id, None), (carol.id, None)]
    );
    let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
    assert!(ids[0] > 0, "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(store.latest_revocation_id().unwrap(), ids[2]);
    // The untouched session is still there.
    assert!(store.session(&t2).unwrap().is_some());
}

/// Polling: strictly after `after`, ascending, the oldest `limit` first.
pub fn revocations_are_polled_in_id_order(store: &dyn Store) {
    let users: Vec<_> = ["user1", "user2", "user3", "user4", "user5"]
        .into_iter()
        .map(|name| signup(store, name))
        .collect();
    for user in &users {
        store.delete_user_sessions(user.id).unwrap();
    }
    let all = store.revocations_after(0, 100).unwrap();
    let revoked: Vec<UserId> = all.iter().map(|r| r.user).collect();
    let expected: Vec<UserId> = users.iter().map(|u| u.id).collect();
    assert_eq!(revoked, expected);

    let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
    assert_eq!(store.revocations_after(0, 2).unwrap(), all[..2]);
    assert_eq!(store.revocations_after(ids[1], 2).unwrap(), all[2..4]);
    assert_eq!(store.revocations_after(ids[3], 2).unwrap(), all[4..]);
    assert_eq!(store.revocations_after(ids[4], 2).unwrap(), []);
    assert_eq!(store.revocations_after(0, 0).unwrap(), []);
    assert_eq!(store.revocations_after(-5, 100).unwrap(), all);

    // A poller that started at the latest id sees only what comes next.
    let start = store.latest_revocation_id().unwrap();
    assert_eq!(start, ids[4]);
    store.delete_user_sessions(users[0].id).unwrap();
    let next: Vec<Revocation> = store.revocations_after(start, 100).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!((next[0].user, next[0].token), (users[0].id, None));
    assert!(next[0].id > start);
    assert_eq!(store.latest_revocation_id().unwrap(), next[0].id);
}
