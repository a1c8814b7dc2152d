//! Conformance cases for users and sessions.

use chat_core::UserId;

use super::{at, signup, username};
use crate::{Session, Store, StoreError, TokenHash};

/// Usernames are unique ignoring ASCII case, and keep the chosen spelling.
pub fn usernames_are_unique_in_any_case(store: &dyn Store) {
    let alice = store
        .create_user(&username("Alice"), "hash-1", at(5))
        .unwrap();
    assert_eq!(alice.username.as_str(), "Alice");
    assert_eq!(alice.created_at, at(5));
    for taken in ["alice", "ALICE", "aLiCe"] {
        let result = store.create_user(&username(taken), "hash-2", at(6));
        assert!(
            matches!(result, Err(StoreError::UsernameTaken)),
            "{taken}: {result:?}"
        );
    }
    let bob = signup(store, "bob");
    assert_ne!(alice.id, bob.id);
    assert_eq!(store.list_users().unwrap(), vec![alice, bob]);
}

/// Lookups by name ignore case; credentials carry the hash; the list is sorted
/// by name ignoring case; password hashes can be replaced.
pub fn users_are_found_by_name_in_any_case(store: &dyn Store) {
    let carol = signup(store, "carol");
    let bob = signup(store, "Bob");
    let alice = signup(store, "alice");

    let found = store.credentials(&username("ALICE")).unwrap().unwrap();
    assert_eq!(found.user, alice);
    assert_eq!(found.password_hash, "hash-of-alice");
    assert_eq!(
        store.user_by_name(&username("bOB")).unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.user(carol.id).unwrap(), Some(carol.clone()));
    assert_eq!(store.user(UserId(999_999)).unwrap(), None);
    assert_eq!(store.credentials(&username("nobody")).unwrap(), None);
    assert_eq!(store.user_by_name(&username("nobody")).unwrap(), None);

    let names: Vec<String> = store
        .list_users()
        .unwrap()
        .into_iter()
        .map(|u| u.username.as_str().to_owned())
        .collect();
    assert_eq!(names, ["alice", "Bob", "carol"]);

    store.set_password_hash(bob.id, "new-hash").unwrap();
    let found = store.credentials(&username("bob")).unwrap().unwrap();
    assert_eq!(found.password_hash, "new-hash");
    assert_eq!(found.user, bob);
    let missing = store.set_password_hash(UserId(999_999), "x");
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

/// Sessions: create, look up, touch (forward only), delete one, delete all of a user.
pub fn sessions_are_created_found_touched_and_deleted(store: &dyn Store) {
    let alice = signup(store, "alice");
    let bob = signup(store, "bob");
    let session = |user: UserId, t: i64| Session {
        user,
        created_at: at(t),
        last_seen: at(t),
        expires_at: at(t + 1_000_000),
    };
    let (t1, t2, t3) = (TokenHash([1; 32]), TokenHash([2; 32]), TokenHash([3; 32]));
    store.create_session(&t1, &session(alice.id, 10)).unwrap();
    store.create_session(&t2, &session(alice.id, 20)).unwrap();
    store.create_session(&t3, &session(bob.id, 30)).unwrap();
    assert_eq!(store.session(&t1).unwrap(), Some(session(alice.id, 10)));
    assert_eq!(store.session(&t3).unwrap(), Some(session(bob.id, 30)));
    assert_eq!(store.session(&TokenHash([9; 32])).unwrap(), None);
    let orphan = store.create_session(&TokenHash([4; 32]), &session(UserId(999_999), 0));
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");

    store.touch_session(&t1, at(500)).unwrap();
    let touched = store.session(&t1).unwrap().unwrap();
    assert_eq!(touched.last_seen, at(500));
    assert_eq!(touched.created_at, at(10));
    assert_eq!(touched.expires_at, at(1_000_010));
    store.touch_session(&t1, at(100)).unwrap();
    assert_eq!(store.session(&t1).unwrap().unwrap().last_seen, at(500));
    store.touch_session(&TokenHash([9; 32]), at(100)).unwrap();

    assert!(store.delete_session(&t1).unwrap());
    assert!(!store.delete_session(&t1).unwrap());
    assert_eq!(store.session(&t1).unwrap(), None);

    store.create_session(&t1, &session(alice.id, 40)).unwrap();
    assert_eq!(store.delete_user_sessions(alice.id).unwrap(), 2);
    assert_eq!(store.delete_user_sessions(alice.id).unwrap(), 0);
    assert_eq!(store.session(&t2).unwrap(), None);
    assert_eq!(store.session(&t3).unwrap(), Some(session(bob.id, 30)));
}
