//! Micro-benchmarks of `SqliteStore`'s hot paths: one append through the
//! group-commit writer (a lone writer: one commit and one fsync per append, the
//! latency floor), a batch of 64 concurrent appends sharing commits, and the
//! newest history page (50) of a 10,000-message thread.
//!
//! Run with `cargo bench -p chat-store --bench store`; the database lives in a
//! temp dir, so the figures depend on that disk's fsync.

// A benchmark has nothing better to do with a failed call than stop.
#![allow(clippy::expect_used)]

use std::sync::mpsc::sync_channel;

use chat_core::{MessageBody, ThreadId, Timestamp, UserPair, Username};
use chat_store::{NewMessage, SqliteStore, Store, User};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PAGE: usize = 50;
const HISTORY_MESSAGES: usize = 10_000;
const CONCURRENT: usize = 64;

fn seed(store: &SqliteStore) -> (User, ThreadId) {
    let now = Timestamp::from_millis(0);
    let a = store
        .create_user(&Username::parse("alice").expect("name"), "h", now)
        .expect("alice");
    let b = store
        .create_user(&Username::parse("bob").expect("name"), "h", now)
        .expect("bob");
    let pair = UserPair::new(a.id, b.id).expect("pair");
    let thread = store
        .get_or_create_direct_thread(pair, now)
        .expect("thread");
    (a, thread.id)
}

fn new_message(thread: ThreadId, sender: &User, body: &MessageBody) -> NewMessage {
    NewMessage {
        thread,
        sender: sender.id,
        body: body.clone(),
        client_id: None,
        sent_at: Timestamp::from_millis(1),
    }
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("appends.db")).expect("open");
    let (alice, thread) = seed(&store);
    let body =
        MessageBody::parse("a message of ordinary length, say forty-odd chars").expect("body");
    let mut group = c.benchmark_group("append");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("one append, lone writer (FULL)", |b| {
        b.iter(|| {
            store
                .append_message(new_message(thread, &alice, &body))
                .expect("append")
        });
    });
    group.throughput(Throughput::Elements(CONCURRENT as u64));
    group.bench_function("64 queued appends, group commit (FULL)", |b| {
        b.iter(|| {
            let (done, finished) = sync_channel(CONCURRENT);
            for _ in 0..CONCURRENT {
                let done = done.clone();
                store.append_message_then(
                    new_message(thread, &alice, &body),
                    Box::new(move |outcome| {
                        let _ = done.send(outcome.is_ok());
                    }),
                );
            }
            (0..CONCURRENT).all(|_| finished.recv().unwrap_or(false))
        });
    });
    group.finish();
}

fn history(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("history.db")).expect("open");
    let (alice, thread) = seed(&store);
    let body =
        MessageBody::parse("a message of ordinary length, say forty-odd chars").expect("body");
    let (done, finished) = sync_channel(HISTORY_MESSAGES);
    for _ in 0..HISTORY_MESSAGES {
        let done = done.clone();
        store.append_message_then(
            new_message(thread, &alice, &body),
            Box::new(move |outcome| {
                let _ = done.send(outcome.is_ok());
            }),
        );
    }
    assert!((0..HISTORY_MESSAGES).all(|_| finished.recv().unwrap_or(false)));
    c.bench_function("history newest page (50 of 10,000)", |b| {
        b.iter(|| {
            let page = store.history(thread, None, PAGE).expect("history");
            assert_eq!(page.messages.len(), PAGE);
        });
    });
}

criterion_group!(benches, appends, history);
criterion_main!(benches);
