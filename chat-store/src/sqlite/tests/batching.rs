//! Group commit under load: the writer lingers after a large batch only.

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};

use super::{message, seed};
use crate::Store;
use crate::sqlite::writer::Batching;
use crate::sqlite::{SqliteConfig, SqliteStore};

#[test]
fn only_a_batch_that_shows_a_backlog_lingers() {
    let batching = Batching {
        max_batch: 1024,
        linger: Duration::from_millis(2),
        linger_min_batch: 32,
    };
    let cases = [(1, None), (31, None), (32, Some(2)), (1024, Some(2))];
    for (committed, expected) in cases {
        let pause = batching.linger_after(committed).map(|d| d.as_millis());
        assert_eq!(pause, expected, "{committed}");
    }
    let off = Batching {
        linger: Duration::ZERO,
        ..batching
    };
    assert_eq!(off.linger_after(1024), None);
}

/// With a long linger after batches of two or more: lone appends commit at
/// once, and an append queued right after a batch of two waits for the pause.
#[test]
fn the_writer_pauses_after_a_backlog_and_not_otherwise() {
    const LINGER: Duration = Duration::from_millis(400);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let config = SqliteConfig {
        linger: LINGER,
        linger_min_batch: 2,
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open_with(&path, &config).unwrap();
    let (alice, _, thread) = seed(&store);

    let started = Instant::now();
    for i in 0..3 {
        store
            .append_message(message(thread, &alice, &format!("lone {i}")))
            .unwrap();
    }
    let lone = started.elapsed();
    // Lingering after each would take 3 × LINGER.
    assert!(lone < LINGER, "three lone appends took {lone:?}");

    // Hold the write lock: the writer takes a first append alone and waits
    // for the lock with it; two more queue up behind it, the backlog.
    let mut other = Connection::open(&path).unwrap();
    let lock = other
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    let (done, committed) = channel();
    let queue = |text: &str| {
        let done = done.clone();
        store.append_message_then(
            message(thread, &alice, text),
            Box::new(move |outcome| done.send((outcome.is_ok(), Instant::now())).unwrap()),
        );
    };
    queue("blocked");
    std::thread::sleep(Duration::from_millis(50));
    queue("queued 1");
    queue("queued 2");
    std::thread::sleep(Duration::from_millis(10));
    lock.commit().unwrap();
    // Commits: the first append alone (no pause after it), then the two
    // (a pause after them).
    let outcomes: Vec<(bool, Instant)> = (0..3).map(|_| committed.recv().unwrap()).collect();
    assert!(outcomes.iter().all(|(ok, _)| *ok));
    let between = outcomes[2].1 - outcomes[0].1;
    assert!(
        between < LINGER / 2,
        "paused after a lone append: {between:?}"
    );
    let after_backlog = Instant::now();
    store
        .append_message(message(thread, &alice, "after the backlog"))
        .unwrap();
    let waited = after_backlog.elapsed();
    assert!(waited >= LINGER / 2, "committed after only {waited:?}");
    assert!(waited < LINGER * 4, "waited {waited:?}");
}
