//! `MemoryStore` runs the conformance suite, plus its callback guarantees.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::Duration;

use chat_core::{MessageBody, Timestamp, UserPair, Username};

use super::MemoryStore;
use crate::{NewMessage, REVOCATIONS_KEPT, Store};

mod conformance {
    use super::MemoryStore;
    use crate::Store;

    fn run(case: fn(&dyn Store)) {
        case(&MemoryStore::new());
    }

    crate::store_conformance_tests!(run);
}

#[test]
fn run_all_passes() {
    crate::conformance::run_all(MemoryStore::new);
}

fn store_with_thread() -> (Arc<MemoryStore>, NewMessage) {
    let store = Arc::new(MemoryStore::new());
    let now = Timestamp::from_millis(0);
    let a = store
        .create_user(&Username::parse("alice").unwrap(), "h", now)
        .unwrap();
    let b = store
        .create_user(&Username::parse("bob").unwrap(), "h", now)
        .unwrap();
    let pair = UserPair::new(a.id, b.id).unwrap();
    let thread = store.get_or_create_direct_thread(pair, now).unwrap();
    let message = NewMessage {
        thread: thread.id,
        sender: a.id,
        body: MessageBody::parse("hi").unwrap(),
        client_id: None,
        sent_at: now,
    };
    (store, message)
}

#[test]
fn callback_may_read_and_append_through_the_store() {
    let (store, message) = store_with_thread();
    let (tx, rx) = channel();
    let inner = Arc::clone(&store);
    let again = message.clone();
    store.append_message_then(
        message,
        Box::new(move |outcome| {
            let first = outcome.unwrap().message;
            let page = inner.history(first.thread, None, 10).unwrap();
            let second = inner.append_message(again).unwrap().message;
            tx.send((first.id, page.messages.len(), second.id)).unwrap();
        }),
    );
    let (first, seen, second) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(seen, 1);
    assert!(second > first);
}

#[test]
fn a_panicking_callback_passes_the_turn_on() {
    let (store, message) = store_with_thread();
    let panicking = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.append_message_then(message.clone(), Box::new(|_| panic!("callback failed")));
    }));
    assert!(panicking.is_err());
    let (tx, rx) = channel();
    store.append_message_then(
        message,
        Box::new(move |outcome| tx.send(outcome.unwrap().message.id).unwrap()),
    );
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap().get(), 2);
}

#[test]
fn debug_output_leaves_password_hashes_out() {
    let store = MemoryStore::new();
    let name = Username::parse("alice").unwrap();
    store
        .create_user(&name, "$argon2id$secret", Timestamp::from_millis(0))
        .unwrap();
    let shown = format!("{store:?}");
    assert_eq!(shown, "MemoryStore { users: 1, messages: 0, .. }");
}

#[test]
fn revocations_are_pruned_to_the_newest_kept() {
    let store = MemoryStore::new();
    let user = store
        .create_user(
            &Username::parse("alice").unwrap(),
            "h",
            Timestamp::from_millis(0),
        )
        .unwrap();
    for _ in 0..REVOCATIONS_KEPT {
        store.delete_user_sessions(user.id).unwrap();
    }
    assert_eq!(store.revocations_after(0, 1).unwrap()[0].id, 1);
    for newest in [REVOCATIONS_KEPT + 1, REVOCATIONS_KEPT + 2] {
        store.delete_user_sessions(user.id).unwrap();
        let kept = store.revocations_after(0, usize::MAX).unwrap();
        assert_eq!(kept.len(), usize::try_from(REVOCATIONS_KEPT).unwrap());
        assert_eq!(kept[0].id, newest - REVOCATIONS_KEPT + 1);
        assert_eq!(kept.last().unwrap().id, newest);
        assert_eq!(store.latest_revocation_id().unwrap(), newest);
    }
}
