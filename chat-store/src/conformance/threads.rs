//! Conformance cases for threads, read cursors and contacts.

use chat_core::{MessageId, ThreadId, UserId, UserPair};

use super::{at, direct, send, signup};
use crate::{Store, StoreError};

/// (A, B) and (B, A) name the same thread; members are listed ascending.
pub fn direct_thread_is_the_same_from_both_sides(store: &dyn Store) {
    let alice = signup(store, "alice");
    let bob = signup(store, "bob");
    let carol = signup(store, "carol");

    let ab = store
        .get_or_create_direct_thread(UserPair::new(alice.id, bob.id).unwrap(), at(1))
        .unwrap();
    let ba = store
        .get_or_create_direct_thread(UserPair::new(bob.id, alice.id).unwrap(), at(2))
        .unwrap();
    assert_eq!(ab, ba);
    assert_eq!(ab.members, vec![alice.id, bob.id]);
    assert_eq!(store.thread(ab.id).unwrap(), Some(ab.clone()));

    let cb = direct(store, &carol, &bob);
    assert_ne!(cb, ab.id);
    let cb = store.thread(cb).unwrap().unwrap();
    assert_eq!(cb.members, vec![bob.id, carol.id]);
    assert_eq!(store.thread(ThreadId(999_999)).unwrap(), None);

    let ghost = UserPair::new(alice.id, UserId(999_999)).unwrap();
    let result = store.get_or_create_direct_thread(ghost, at(3));
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
}

/// Threads with messages come first (newest message first), then empty ones
/// (newest first); unread counts exclude the reader's own messages.
pub fn threads_of_orders_by_activity(store: &dyn Store) {
    let [a, b, c, d] = ["alice", "bob", "carol", "dave"].map(|n| signup(store, n));
    let pair = |x: &crate::User, y: &crate::User| UserPair::new(x.id, y.id).unwrap();
    let ab = store
        .get_or_create_direct_thread(pair(&a, &b), at(1))
        .unwrap()
        .id;
    let ac = store
        .get_or_create_direct_thread(pair(&a, &c), at(2))
        .unwrap()
        .id;
    let ad = store
        .get_or_create_direct_thread(pair(&a, &d), at(3))
        .unwrap()
        .id;
    let bd = store
        .get_or_create_direct_thread(pair(&b, &d), at(4))
        .unwrap()
        .id;
    let bc = store
        .get_or_create_direct_thread(pair(&b, &c), at(5))
        .unwrap()
        .id;

    send(store, ab, &b, "one");
    let two = send(store, ac, &c, "two");
    let three = send(store, ab, &a, "three");

    let mine = store.threads_of(a.id).unwrap();
    let order: Vec<ThreadId> = mine.iter().map(|s| s.thread.id).collect();
    assert_eq!(order, [ab, ac, ad]);
    assert_eq!(mine[0].thread.members, vec![a.id, b.id]);
    assert_eq!(mine[0].last_message.as_ref(), Some(&three));
    assert_eq!(mine[1].last_message.as_ref(), Some(&two));
    assert_eq!(mine[2].last_message, None);
    let unread: Vec<u64> = mine.iter().map(|s| s.unread).collect();
    assert_eq!(unread, [1, 1, 0]);

    let theirs = store.threads_of(b.id).unwrap();
    let order: Vec<ThreadId> = theirs.iter().map(|s| s.thread.id).collect();
    assert_eq!(order, [ab, bc, bd]);
    assert_eq!(theirs[0].unread, 1);

    store.mark_read(a.id, ab, three.id).unwrap();
    assert_eq!(store.threads_of(a.id).unwrap()[0].unread, 0);
    assert!(store.threads_of(UserId(999_999)).unwrap().is_empty());
}

/// Cursors start at 0, only move forward, and are clamped to the thread's
/// newest message.
pub fn read_cursors_move_forward_and_are_clamped(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ac = direct(store, &a, &c);
    assert_eq!(
        store.read_cursors(ab).unwrap(),
        [(a.id, MessageId(0)), (b.id, MessageId(0))]
    );
    assert_eq!(
        store.mark_read(a.id, ab, MessageId(10)).unwrap(),
        MessageId(0)
    );

    let m1 = send(store, ab, &b, "1").id;
    let m2 = send(store, ab, &b, "2").id;
    let m3 = send(store, ab, &a, "3").id;
    let elsewhere = send(store, ac, &c, "4").id;

    assert_eq!(store.mark_read(a.id, ab, m2).unwrap(), m2);
    assert_eq!(store.mark_read(a.id, ab, m1).unwrap(), m2);
    assert_eq!(store.mark_read(a.id, ab, elsewhere).unwrap(), m3);
    assert_eq!(store.mark_read(a.id, ab, MessageId(i64::MAX)).unwrap(), m3);
    assert_eq!(
        store.mark_read(b.id, ab, MessageId(-5)).unwrap(),
        MessageId(0)
    );
    assert_eq!(store.mark_read(b.id, ab, m1).unwrap(), m1);
    assert_eq!(store.read_cursors(ab).unwrap(), [(a.id, m3), (b.id, m1)]);
    assert_eq!(
        store.read_cursors(ac).unwrap(),
        [(a.id, MessageId(0)), (c.id, MessageId(0))]
    );
    assert!(store.read_cursors(ThreadId(999_999)).unwrap().is_empty());

    let missing = store.mark_read(a.id, ThreadId(999_999), m1);
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

/// Every other user: active threads first (newest message first), then the
/// rest by name ignoring case; unread counts exclude my own messages.
pub fn contacts_list_every_other_user(store: &dyn Store) {
    let [a, b, c, d, eve] = ["alice", "bob", "carol", "dave", "Eve"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ac = direct(store, &a, &c);
    let ad = direct(store, &a, &d);
    send(store, ab, &b, "hi");
    send(store, ab, &a, "hello");
    let bobs_last = send(store, ab, &b, "how are you");
    let carols = send(store, ac, &c, "ping");

    let contacts = store.contacts(a.id).unwrap();
    let names: Vec<&str> = contacts.iter().map(|c| c.user.username.as_str()).collect();
    assert_eq!(names, ["carol", "bob", "dave", "Eve"]);
    assert_eq!(contacts[0].user, c);
    assert_eq!(contacts[0].thread, Some(ac));
    assert_eq!(contacts[0].last_message.as_ref(), Some(&carols));
    assert_eq!(contacts[1].thread, Some(ab));
    assert_eq!(contacts[1].last_message.as_ref(), Some(&bobs_last));
    assert_eq!(contacts[2].thread, Some(ad));
    assert_eq!(contacts[2].last_message, None);
    assert_eq!(contacts[3].user, eve);
    assert_eq!(contacts[3].thread, None);
    let unread: Vec<u64> = contacts.iter().map(|c| c.unread).collect();
    assert_eq!(unread, [1, 2, 0, 0]);

    let of_bob = store.contacts(b.id).unwrap();
    let names: Vec<&str> = of_bob.iter().map(|c| c.user.username.as_str()).collect();
    assert_eq!(names, ["alice", "carol", "dave", "Eve"]);
    assert_eq!(of_bob[0].unread, 1);
    assert_eq!(of_bob[0].thread, Some(ab));

    store.mark_read(a.id, ab, bobs_last.id).unwrap();
    assert_eq!(store.contacts(a.id).unwrap()[1].unread, 0);
}

/// The sidebar is `contacts` with every thread kept and at most `others` of
/// the users without one, in the same order, and counts those left out.
pub fn sidebar_contacts_are_contacts_capped(store: &dyn Store) {
    let [a, b, c, d, eve, frank] =
        ["alice", "bob", "carol", "dave", "Eve", "frank"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ad = direct(store, &a, &d);
    direct(store, &c, &eve);
    send(store, ab, &b, "hi");
    send(store, ad, &a, "yo");
    send(store, ab, &a, "hello");
    for user in [&a, &b, &c, &d, &eve, &frank] {
        let all = store.contacts(user.id).unwrap();
        for others in [0, 1, 2, 3, 10] {
            let mut n_others = 0;
            let expected: Vec<_> = all
                .iter()
                .filter(|c| {
                    c.thread.is_some() || {
                        n_others += 1;
                        n_others <= others
                    }
                })
                .cloned()
                .collect();
            let (sidebar, left_out) = store.sidebar_contacts(user.id, others).unwrap();
            assert_eq!(sidebar, expected, "{} with {others} others", user.username);
            assert_eq!(left_out, all.len() - expected.len());
        }
    }
}

/// A thread page is the four reads it stands for, whatever the page.
pub fn thread_page_is_its_four_reads(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ac = direct(store, &a, &c);
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(send(store, ab, if n % 2 == 0 { &a } else { &b }, "hi").id);
    }
    send(store, ac, &c, "elsewhere");
    store.mark_read(b.id, ab, ids[3]).unwrap();
    for (user, thread) in [(&a, ab), (&b, ab), (&a, ac), (&c, ac)] {
        for before in [None, Some(ids[5]), Some(ids[1])] {
            for (limit, others) in [(3, 0), (50, 10)] {
                let page = store
                    .thread_page(user.id, thread, before, limit, others)
                    .unwrap();
                let (sidebar, more_contacts) = store.sidebar_contacts(user.id, others).unwrap();
                assert_eq!(
                    page,
                    crate::ThreadPage {
                        last_id: store.latest_message_id(user.id, None).unwrap(),
                        history: store.history(thread, before, limit).unwrap(),
                        cursors: store.read_cursors(thread).unwrap(),
                        sidebar,
                        more_contacts,
                    },
                    "{} in {thread} before {before:?}",
                    user.username
                );
            }
        }
    }
    let page = store.thread_page(b.id, ab, None, 3, 0).unwrap();
    assert_eq!(page.history.messages.len(), 3);
    assert!(page.history.has_more);
    assert_eq!(page.cursors, vec![(a.id, MessageId(0)), (b.id, ids[3])]);
}
