//! Conformance cases for appending and reading messages.

use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chat_core::{MessageId, ThreadId, UserId};

use super::{assert_strictly_increasing, direct, ids, new_message, send, send_keyed, signup};
use crate::{Store, StoreError, User};

/// Ids grow strictly across threads; the stored row is what was sent; a
/// missing thread or sender is `NotFound`.
pub fn appended_ids_strictly_increase(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ac = direct(store, &a, &c);
    let mut seen = Vec::new();
    for i in 0..20 {
        let (thread, sender) = if i % 2 == 0 { (ab, &a) } else { (ac, &c) };
        let sent = new_message(
            thread,
            sender,
            &format!("message {i}"),
            Some(&format!("k{i}")),
        );
        let appended = store.append_message(sent.clone()).unwrap();
        assert!(appended.created);
        let m = appended.message;
        assert_eq!(
            (m.thread, m.sender, &m.body, m.sent_at, &m.client_id),
            (
                sent.thread,
                sent.sender,
                &sent.body,
                sent.sent_at,
                &sent.client_id
            )
        );
        seen.push(m.id);
    }
    assert_strictly_increasing(&seen);
    assert!(seen[0] > MessageId(0));

    let no_thread = store.append_message(new_message(ThreadId(999_999), &a, "x", None));
    assert!(
        matches!(no_thread, Err(StoreError::NotFound)),
        "{no_thread:?}"
    );
    let ghost = User {
        id: UserId(999_999),
        ..a.clone()
    };
    let no_sender = store.append_message(new_message(ab, &ghost, "x", None));
    assert!(
        matches!(no_sender, Err(StoreError::NotFound)),
        "{no_sender:?}"
    );
    let after = send(store, ab, &a, "after the failures").id;
    assert!(after > seen[19]);
}

/// A repeated (thread, sender, client id) stores nothing and returns the first
/// row; another sender or thread with the same key is a new message.
pub fn client_id_makes_appends_idempotent(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ac = direct(store, &a, &c);

    let first = send_keyed(store, ab, &a, "hello", Some("key-1"));
    assert!(first.created);
    let again = send_keyed(store, ab, &a, "hello, edited", Some("key-1"));
    assert!(!again.created);
    assert_eq!(again.message, first.message);

    let other_sender = send_keyed(store, ab, &b, "hello", Some("key-1"));
    assert!(other_sender.created);
    assert!(other_sender.message.id > first.message.id);
    let other_thread = send_keyed(store, ac, &a, "hello", Some("key-1"));
    assert!(other_thread.created);
    let plain_1 = send(store, ab, &a, "no key");
    let plain_2 = send(store, ab, &a, "no key");
    assert_ne!(plain_1.id, plain_2.id);

    let page = store.history(ab, None, 50).unwrap();
    assert_eq!(
        ids(&page.messages),
        [
            first.message.id,
            other_sender.message.id,
            plain_1.id,
            plain_2.id
        ]
    );
    assert_eq!(
        store.history(ac, None, 50).unwrap().messages,
        [other_thread.message]
    );
}

/// 120 messages read in pages of 50: oldest first, no gaps, no duplicates.
pub fn history_pages_oldest_first_without_gaps(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let ac = direct(store, &a, &c);
    let empty = store.history(ab, None, 50).unwrap();
    assert!(empty.messages.is_empty() && !empty.has_more);

    let mut sent = Vec::new();
    for i in 0..120 {
        let sender = if i % 3 == 0 { &b } else { &a };
        sent.push(send(store, ab, sender, &format!("m{i}")));
        if i % 12 == 0 {
            send(store, ac, &c, "noise");
        }
    }

    let newest = store.history(ab, None, 50).unwrap();
    assert!(newest.has_more);
    assert_eq!(newest.messages, sent[70..]);
    let middle = store.history(ab, Some(newest.messages[0].id), 50).unwrap();
    assert!(middle.has_more);
    assert_eq!(middle.messages, sent[20..70]);
    let oldest = store.history(ab, Some(middle.messages[0].id), 50).unwrap();
    assert!(!oldest.has_more);
    assert_eq!(oldest.messages, sent[..20]);

    let past_start = store.history(ab, Some(sent[0].id), 50).unwrap();
    assert!(past_start.messages.is_empty() && !past_start.has_more);
    let exact = store.history(ab, Some(sent[50].id), 50).unwrap();
    assert_eq!(
        (exact.messages.as_slice(), exact.has_more),
        (&sent[..50], false)
    );
    let zero = store.history(ab, None, 0).unwrap();
    assert!(zero.messages.is_empty() && zero.has_more);
    let unknown = store.history(ThreadId(999_999), None, 50).unwrap();
    assert!(unknown.messages.is_empty() && !unknown.has_more);
}

/// Resume across every thread of the user (never others'), or one thread.
pub fn messages_after_spans_the_users_threads(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let (ab, ac, bc) = (
        direct(store, &a, &b),
        direct(store, &a, &c),
        direct(store, &b, &c),
    );
    let mut visible = Vec::new();
    let mut in_ab = Vec::new();
    for i in 0..10 {
        let m = send(store, ab, &b, &format!("ab{i}"));
        in_ab.push(m.clone());
        visible.push(m);
        send(store, bc, &c, &format!("bc{i}"));
        visible.push(send(store, ac, &a, &format!("ac{i}")));
    }

    let all = store.messages_after(a.id, None, MessageId(0), 100).unwrap();
    assert!(!all.truncated);
    assert_eq!(all.messages, visible);
    let since = visible[5].id;
    let rest = store.messages_after(a.id, None, since, 100).unwrap();
    assert_eq!(rest.messages, visible[6..]);
    let only_ab = store
        .messages_after(a.id, Some(ab), in_ab[3].id, 100)
        .unwrap();
    assert_eq!(only_ab.messages, in_ab[4..]);
    assert!(!only_ab.truncated);
    let not_member = store
        .messages_after(a.id, Some(bc), MessageId(0), 100)
        .unwrap();
    assert!(not_member.messages.is_empty() && !not_member.truncated);
    let last = visible.last().unwrap().id;
    let nothing = store.messages_after(a.id, None, last, 10).unwrap();
    assert!(nothing.messages.is_empty() && !nothing.truncated);
}

/// More missing than `limit`: the newest `limit`, oldest first, `truncated`.
pub fn messages_after_keeps_the_newest_when_truncated(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let (ab, ac) = (direct(store, &a, &b), direct(store, &a, &c));
    let mut sent = Vec::new();
    for i in 0..30 {
        let (thread, sender) = if i % 4 == 0 { (ac, &c) } else { (ab, &b) };
        sent.push(send(store, thread, sender, &format!("m{i}")));
    }

    let batch = store.messages_after(a.id, None, MessageId(0), 10).unwrap();
    assert!(batch.truncated);
    assert_eq!(batch.messages, sent[20..]);
    let exact = store.messages_after(a.id, None, sent[19].id, 10).unwrap();
    assert!(!exact.truncated);
    assert_eq!(exact.messages, sent[20..]);

    let in_ab: Vec<_> = sent.iter().filter(|m| m.thread == ab).cloned().collect();
    let single = store
        .messages_after(a.id, Some(ab), MessageId(0), 5)
        .unwrap();
    assert!(single.truncated);
    assert_eq!(single.messages, in_ab[in_ab.len() - 5..]);
}

/// The newest id the user can see, overall or in one thread; 0 when none.
pub fn latest_message_id_is_per_user_and_thread(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let (ab, ac, bc) = (
        direct(store, &a, &b),
        direct(store, &a, &c),
        direct(store, &b, &c),
    );
    assert_eq!(store.latest_message_id(a.id, None).unwrap(), MessageId(0));

    let first = send(store, ab, &b, "1").id;
    let second = send(store, ac, &a, "2").id;
    let third = send(store, bc, &c, "3").id;
    assert_eq!(store.latest_message_id(a.id, None).unwrap(), second);
    assert_eq!(store.latest_message_id(a.id, Some(ab)).unwrap(), first);
    assert_eq!(
        store.latest_message_id(a.id, Some(bc)).unwrap(),
        MessageId(0)
    );
    assert_eq!(store.latest_message_id(b.id, None).unwrap(), third);
    assert_eq!(store.latest_message_id(c.id, Some(ac)).unwrap(), second);
}

/// The global feed: every thread's messages after a bound, ascending, at most
/// `limit`; following it from the newest id never skips or repeats one.
pub fn messages_since_is_the_global_feed_in_id_order(store: &dyn Store) {
    let [a, b, c] = ["alice", "bob", "carol"].map(|n| signup(store, n));
    let (ab, bc) = (direct(store, &a, &b), direct(store, &b, &c));
    assert_eq!(store.newest_message_id().unwrap(), MessageId(0));
    assert!(store.messages_since(MessageId(0), 10).unwrap().is_empty());

    let mut sent = Vec::new();
    for i in 0..12 {
        let (thread, sender) = if i % 3 == 0 { (bc, &c) } else { (ab, &a) };
        sent.push(send(store, thread, sender, &format!("m{i}")));
    }
    assert_eq!(store.newest_message_id().unwrap(), sent[11].id);
    assert_eq!(store.messages_since(MessageId(0), 100).unwrap(), sent);
    assert_eq!(store.messages_since(sent[3].id, 4).unwrap(), sent[4..8]);
    assert!(store.messages_since(sent[11].id, 10).unwrap().is_empty());
    assert!(store.messages_since(MessageId(0), 0).unwrap().is_empty());

    // A follower in pages of 5 sees each message once, in order.
    let (mut cursor, mut followed) = (MessageId(0), Vec::new());
    loop {
        let page = store.messages_since(cursor, 5).unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.id;
        followed.extend(page);
    }
    assert_eq!(followed, sent);
    let later = send(store, ab, &b, "later");
    assert_eq!(
        store.messages_since(cursor, 5).unwrap(),
        std::slice::from_ref(&later)
    );
    assert_eq!(store.newest_message_id().unwrap(), later.id);
}

/// `append_message_then` from many threads: every callback runs exactly once,
/// one at a time, in ascending id order, after the message is readable.
pub fn callbacks_run_once_in_id_order_under_concurrency(store: &dyn Store) {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    let [a, b] = ["alice", "bob"].map(|n| signup(store, n));
    let ab = direct(store, &a, &b);
    let order = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, done_rx) = channel();

    thread::scope(|scope| {
        for t in 0..THREADS {
            let (order, done_tx) = (Arc::clone(&order), done_tx.clone());
            let sender = if t % 2 == 0 { a.clone() } else { b.clone() };
            scope.spawn(move || {
                for i in 0..EACH {
                    let (order, done_tx) = (Arc::clone(&order), done_tx.clone());
                    let message = new_message(ab, &sender, &format!("{t}/{i}"), None);
                    store.append_message_then(
                        message,
                        Box::new(move |outcome| {
                            // Widen the window in which a later append could overtake.
                            thread::sleep(Duration::from_micros(50));
                            order.lock().unwrap().push(outcome.map(|m| m.message.id));
                            done_tx.send(()).unwrap();
                        }),
                    );
                }
            });
        }
    });
    for _ in 0..THREADS * EACH {
        done_rx.recv_timeout(Duration::from_mins(1)).unwrap();
    }
    let order: Vec<MessageId> = order
        .lock()
        .unwrap()
        .drain(..)
        .map(Result::unwrap)
        .collect();
    assert_eq!(order.len(), THREADS * EACH);
    assert_strictly_increasing(&order);
    let stored = store.history(ab, None, THREADS * EACH + 1).unwrap();
    assert_eq!(ids(&stored.messages), order);

    let (failed_tx, failed_rx) = channel();
    store.append_message_then(
        new_message(ThreadId(999_999), &a, "lost", None),
        Box::new(move |outcome| failed_tx.send(outcome).unwrap()),
    );
    let outcome = failed_rx.recv_timeout(Duration::from_mins(1)).unwrap();
    assert!(matches!(outcome, Err(StoreError::NotFound)), "{outcome:?}");
}
