//! `SqliteStore`: the conformance suite on a temp-dir file, plus what only a
//! file database has (group commit, reopen, schema versions, query plans).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::{MessageBody, MessageId, ThreadId, Timestamp, UserPair, Username};
use rusqlite::Connection;

use super::{SqliteConfig, SqliteStore, messages, schema, writer};
use crate::{NewMessage, Session, Store, StoreError, TokenHash, User};

mod auth;
mod batching;
mod schema_v3;

mod conformance {
    use super::SqliteStore;
    use crate::Store;

    fn run(case: fn(&dyn Store)) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("chat.db")).unwrap();
        case(&store);
    }

    crate::store_conformance_tests!(run);
}

#[test]
fn run_all_passes_with_one_file_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    crate::conformance::run_all(|| {
        let name = format!("case-{}.db", n.fetch_add(1, Ordering::Relaxed));
        SqliteStore::open(&dir.path().join(name)).unwrap()
    });
}

/// Two users and their thread; returns (alice, bob, thread).
fn seed(store: &SqliteStore) -> (User, User, ThreadId) {
    let now = Timestamp::from_millis(1);
    let a = store
        .create_user(&Username::parse("alice").unwrap(), "h", now)
        .unwrap();
    let b = store
        .create_user(&Username::parse("bob").unwrap(), "h", now)
        .unwrap();
    let thread = store
        .get_or_create_direct_thread(UserPair::new(a.id, b.id).unwrap(), now)
        .unwrap();
    (a, b, thread.id)
}

/// A seeded store in a temp dir, plus a second configured connection to its
/// file for driving `writer::write_batch` directly; returns alice and the thread.
fn seeded_with_connection() -> (tempfile::TempDir, SqliteStore, Connection, User, ThreadId) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (alice, _, thread) = seed(&store);
    let conn = Connection::open(&path).unwrap();
    schema::configure(&conn, Duration::from_secs(5)).unwrap();
    (dir, store, conn, alice, thread)
}

/// A file as a build at schema `version` left it: the first `version`
/// migrations, that `user_version`, then `rows`.
fn file_at_version(path: &Path, version: usize, rows: &str) {
    let conn = Connection::open(path).unwrap();
    for step in &schema::MIGRATIONS[..version] {
        conn.execute_batch(step).unwrap();
    }
    let version_number = i64::try_from(version).unwrap();
    conn.pragma_update(None, "user_version", version_number)
        .unwrap();
    conn.execute_batch(rows).unwrap();
}

fn message(thread: ThreadId, sender: &User, text: &str) -> NewMessage {
    NewMessage {
        thread,
        sender: sender.id,
        body: MessageBody::parse(text).unwrap(),
        client_id: None,
        sent_at: Timestamp::from_millis(2),
    }
}

#[test]
fn a_thousand_concurrent_appends_get_distinct_ids_and_survive_reopen() {
    const THREADS: usize = 50;
    const EACH: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (a, b, thread) = seed(&store);
    let calls = Arc::new(AtomicUsize::new(0));
    let called = Arc::new(Mutex::new(Vec::new()));

    let returned: Vec<Vec<MessageId>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, calls, called) = (&store, Arc::clone(&calls), Arc::clone(&called));
                let sender = if t % 2 == 0 { &a } else { &b };
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..EACH {
                        let m = message(thread, sender, &format!("{t}/{i}"));
                        if t % 2 == 0 {
                            mine.push(store.append_message(m).unwrap().message.id);
                        } else {
                            let (calls, called) = (Arc::clone(&calls), Arc::clone(&called));
                            let done = move |outcome: Result<crate::Appended, StoreError>| {
                                calls.fetch_add(1, Ordering::SeqCst);
                                called.lock().unwrap().push(outcome.unwrap().message.id);
                            };
                            store.append_message_then(m, Box::new(done));
                        }
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    drop(store); // waits for the writer: every queued callback has run after this

    let called = called.lock().unwrap().clone();
    assert_eq!(calls.load(Ordering::SeqCst), THREADS / 2 * EACH);
    assert!(
        called.windows(2).all(|w| w[0] < w[1]),
        "callbacks out of order"
    );
    for mine in &returned {
        assert!(mine.windows(2).all(|w| w[0] < w[1]));
    }
    let mut all: BTreeSet<MessageId> = returned.into_iter().flatten().collect();
    all.extend(called);
    assert_eq!(all.len(), THREADS * EACH);

    let reopened = SqliteStore::open(&path).unwrap();
    let stored = reopened.history(thread, None, THREADS * EACH + 1).unwrap();
    let stored: BTreeSet<MessageId> = stored.messages.iter().map(|m| m.id).collect();
    assert_eq!(stored, all);
}

#[test]
fn a_failing_item_fails_alone_within_its_batch() {
    let (_dir, store, mut conn, a, thread) = seeded_with_connection();

    let batch = [
        message(thread, &a, "before"),
        message(ThreadId(999), &a, "lost"),
        message(thread, &a, "after"),
    ];
    let outcomes = writer::write_batch(&mut conn, batch.into());
    assert!(
        matches!(outcomes[1], Err(StoreError::NotFound)),
        "{:?}",
        outcomes[1]
    );
    let first = outcomes[0].as_ref().unwrap().message.id;
    let last = outcomes[2].as_ref().unwrap().message.id;
    assert!(last > first);
    let page = store.history(thread, None, 10).unwrap();
    let ids: Vec<MessageId> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [first, last]);
    assert_eq!(store.latest_message_id(a.id, None).unwrap(), last);
}

/// When the disk fills up in the middle of a batch, what the writer reports
/// is exactly what is stored: every message reported appended is there, and
/// nothing reported failed is (however much of the transaction `SQLite` kept).
#[test]
fn a_full_disk_mid_batch_reports_exactly_what_was_stored() {
    let (_dir, store, mut conn, a, thread) = seeded_with_connection();
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .unwrap();
    // Room for a few 3,000-character messages (1 KiB pages), not for 40.
    conn.pragma_update(None, "max_page_count", pages + 12)
        .unwrap();
    let text = "x".repeat(3000);
    let batch: Vec<NewMessage> = (0..40).map(|_| message(thread, &a, &text)).collect();
    let outcomes = writer::write_batch(&mut conn, batch);
    assert!(
        outcomes.iter().any(Result::is_err),
        "the disk never filled up"
    );
    let reported: BTreeSet<MessageId> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|a| a.message.id)
        .collect();
    let stored: BTreeSet<MessageId> = store
        .history(thread, None, 100)
        .unwrap()
        .messages
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(reported, stored);
    let newest = stored.last().copied().unwrap_or(MessageId(0));
    assert_eq!(store.latest_message_id(a.id, None).unwrap(), newest);
}

#[test]
fn two_stores_on_one_file_keep_ids_strictly_increasing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    let (a, b, thread) = seed(&first);
    let ids: Vec<Vec<MessageId>> = thread::scope(|scope| {
        let workers: Vec<_> = [(&first, &a), (&second, &b)]
            .into_iter()
            .map(|(store, sender)| {
                scope.spawn(move || {
                    (0..100)
                        .map(|i| {
                            let m = message(thread, sender, &format!("{i}"));
                            store.append_message(m).unwrap().message.id
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for mine in &ids {
        assert!(mine.windows(2).all(|w| w[0] < w[1]));
    }
    let page = second.history(thread, None, 500).unwrap();
    let mut all: Vec<MessageId> = ids.concat();
    all.sort_unstable();
    assert_eq!(page.messages.iter().map(|m| m.id).collect::<Vec<_>>(), all);
    assert_eq!(
        first.latest_message_id(a.id, Some(thread)).unwrap(),
        all[199]
    );
}

/// The tailer's premise: ids are assigned under the write lock, so a follower
/// of `messages_since` on another connection never sees id M before every id
/// below M. Two writers (two stores, as two processes would) append while a
/// third store follows; it must end with every message once, in id order.
#[test]
fn a_follower_of_messages_since_misses_nothing_while_two_stores_write() {
    const EACH: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let stores = [0, 1, 2].map(|_| SqliteStore::open(&path).unwrap());
    let (a, b, thread) = seed(&stores[0]);
    let start = stores[2].newest_message_id().unwrap();
    let followed = thread::scope(|scope| {
        for (store, sender) in [(&stores[0], &a), (&stores[1], &b)] {
            scope.spawn(move || {
                for i in 0..EACH {
                    let m = message(thread, sender, &format!("{i}"));
                    store.append_message(m).unwrap();
                }
            });
        }
        let follower = scope.spawn(|| {
            let (mut cursor, mut seen) = (start, Vec::new());
            let deadline = std::time::Instant::now() + Duration::from_mins(1);
            while seen.len() < 2 * EACH && std::time::Instant::now() < deadline {
                let page = stores[2].messages_since(cursor, 7).unwrap();
                if let Some(last) = page.last() {
                    cursor = last.id;
                }
                seen.extend(page.iter().map(|m| m.id));
            }
            seen
        });
        follower.join().unwrap()
    });
    let page = stores[2].history(thread, None, 2 * EACH + 1).unwrap();
    let all: Vec<MessageId> = page.messages.iter().map(|m| m.id).collect();
    assert_eq!(all.len(), 2 * EACH);
    assert_eq!(followed, all);
}

/// Another process holds the write lock for 60 ms; the writer's append must
/// commit within a few ms of the release (`SQLite`'s own backoff would be
/// asleep until ~78 ms, its next try).
#[test]
fn the_writer_takes_a_released_lock_within_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (a, _, thread) = seed(&store);
    let mut other = Connection::open(&path).unwrap();
    let delays: Vec<Duration> = (0..3)
        .map(|i| {
            let lock = other
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .unwrap();
            thread::scope(|scope| {
                let append = scope.spawn(|| {
                    store
                        .append_message(message(thread, &a, &format!("{i}")))
                        .unwrap();
                    std::time::Instant::now()
                });
                thread::sleep(Duration::from_millis(60));
                lock.commit().unwrap();
                let released = std::time::Instant::now();
                append.join().unwrap().saturating_duration_since(released)
            })
        })
        .collect();
    let fastest = delays.iter().min().unwrap();
    assert!(*fastest < Duration::from_millis(8), "{delays:?}");
}

/// Under steady load (the writer never idle: appends are queued faster than
/// they commit) the WAL file still starts over from its beginning, about every
/// `wal_restart_interval`, instead of growing for as long as the load lasts.
#[test]
fn the_wal_starts_over_while_appends_never_pause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let config = SqliteConfig {
        checkpoint_interval: Duration::from_millis(5),
        wal_restart_interval: Duration::from_millis(100),
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open_with(&path, &config).unwrap();
    let (alice, _, thread) = seed(&store);
    let wal = dir.path().join("chat.db-wal");
    let before = wal_restarts(&wal);
    let committed = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < deadline {
        // Blocks while the queue is full, so the writer always has a batch waiting.
        let committed = Arc::clone(&committed);
        store.append_message_then(
            message(thread, &alice, "steady"),
            Box::new(move |outcome| {
                assert!(outcome.is_ok());
                committed.fetch_add(1, Ordering::Relaxed);
            }),
        );
    }
    let restarts = wal_restarts(&wal) - before;
    drop(store);
    assert!(committed.load(Ordering::Relaxed) > 1000);
    assert!(
        restarts >= 3,
        "the WAL started over {restarts} times in 1.5 s"
    );
}

/// The WAL header's checkpoint sequence number: `SQLite` adds one each time
/// the file starts over.
fn wal_restarts(wal: &Path) -> u32 {
    let header = std::fs::read(wal).unwrap();
    u32::from_be_bytes(header[12..16].try_into().unwrap())
}

#[test]
fn drop_commits_what_is_queued_and_runs_its_callbacks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (a, _, thread) = seed(&store);
    let (tx, rx) = channel();
    for i in 0..200 {
        let tx = tx.clone();
        store.append_message_then(
            message(thread, &a, &format!("{i}")),
            Box::new(move |outcome| tx.send(outcome.unwrap().message.id).unwrap()),
        );
    }
    drop(store);
    drop(tx);
    assert_eq!(rx.iter().count(), 200);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(
        reopened.history(thread, None, 500).unwrap().messages.len(),
        200
    );
}

#[test]
fn reopening_keeps_every_kind_of_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let token = TokenHash([7; 32]);
    let (a, b, thread, sent, session) = {
        let store = SqliteStore::open(&path).unwrap();
        let (a, b, thread) = seed(&store);
        let session = Session {
            user: a.id,
            created_at: Timestamp::from_millis(10),
            last_seen: Timestamp::from_millis(20),
            expires_at: Timestamp::from_millis(30),
        };
        store.create_session(&token, &session).unwrap();
        let mut m = message(thread, &b, "kept");
        m.client_id = Some(chat_core::ClientMessageId::parse("c-1").unwrap());
        let sent = store.append_message(m).unwrap().message;
        store.mark_read(a.id, thread, sent.id).unwrap();
        (a, b, thread, sent, session)
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.list_users().unwrap(), [a.clone(), b]);
    assert_eq!(store.session(&token).unwrap(), Some(session));
    assert_eq!(store.thread(thread).unwrap().unwrap().members.len(), 2);
    assert_eq!(
        store.history(thread, None, 10).unwrap().messages,
        std::slice::from_ref(&sent)
    );
    assert_eq!(store.read_cursors(thread).unwrap()[0], (a.id, sent.id));
    let next = store
        .append_message(message(thread, &a, "new"))
        .unwrap()
        .message;
    assert!(next.id > sent.id);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SqliteStore::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, known }) => {
            let known_now = SqliteStore::SCHEMA_VERSION;
            assert_eq!((found, known), (known_now + 1, known_now));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn every_pooled_connection_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("chat.db")).unwrap();
    let conns: Vec<_> = (0..4).map(|_| store.conn().unwrap()).collect();
    for conn in &conns {
        let pragma = |name: &str| -> String {
            conn.query_row(&format!("SELECT * FROM pragma_{name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| format!("{v:?}"))
            .unwrap()
        };
        assert_eq!(pragma("journal_mode"), r#"Text("wal")"#);
        assert_eq!(pragma("synchronous"), "Integer(2)"); // FULL
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
    }
}

/// A pooled write waits for a lock held elsewhere (polling, see
/// `writer::busy_retry`) and gives up after the configured `busy_timeout`.
#[test]
fn pooled_writes_wait_for_a_held_lock_up_to_the_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let config = SqliteConfig {
        busy_timeout: Duration::from_millis(100),
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open_with(&path, &config).unwrap();
    let now = Timestamp::from_millis(1);
    for (hold, succeeds) in [
        (Duration::from_millis(30), true),
        (Duration::from_millis(600), false),
    ] {
        let (locked, is_locked) = channel();
        let path = path.clone();
        let holder = thread::spawn(move || {
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .unwrap();
            locked.send(()).unwrap();
            thread::sleep(hold);
            tx.commit().unwrap();
        });
        is_locked.recv().unwrap();
        let started = Instant::now();
        let name = Username::parse(&format!("u{}", hold.as_millis())).unwrap();
        let outcome = store.create_user(&name, "h", now);
        let waited = started.elapsed();
        holder.join().unwrap();
        assert_eq!(outcome.is_ok(), succeeds, "{hold:?}: {outcome:?}");
        if succeeds {
            assert!(waited + Duration::from_millis(5) >= hold, "{waited:?}");
        } else {
            assert!(
                waited >= Duration::from_millis(100),
                "gave up early: {waited:?}"
            );
            assert!(
                waited < Duration::from_millis(500),
                "waited past the budget: {waited:?}"
            );
        }
    }
}

/// Every step of `sql`'s plan, as `SQLite` describes it.
fn query_plan(path: &Path, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    stmt.query_map(params, |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn page_queries_search_the_thread_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (a, _, thread) = seed(&store);
    for i in 0..50 {
        store
            .append_message(message(thread, &a, &format!("{i}")))
            .unwrap();
    }
    for sql in [messages::HISTORY_SQL, messages::RESUME_SQL] {
        let plan = query_plan(&path, sql, (thread.get(), 25, 10));
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH messages USING INDEX messages_thread_id (thread_id=? AND"),
            "{plan:?}"
        );
    }
    let visible = query_plan(
        &path,
        messages::VISIBLE_THREADS_SQL,
        (a.id.get(), thread.get()),
    );
    assert_eq!(
        visible,
        ["SEARCH thread_members USING COVERING INDEX thread_members_user_id (user_id=?)"]
    );
    let since = query_plan(&path, messages::SINCE_SQL, (25, 10));
    assert_eq!(
        since,
        ["SEARCH messages USING INTEGER PRIMARY KEY (rowid>?)"]
    );
    let by_id = query_plan(&path, "SELECT body FROM messages WHERE id = ?1", [1]);
    assert_eq!(
        by_id,
        ["SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)"]
    );
}

#[test]
fn a_callback_may_read_and_queue_but_not_block_on_appends() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("chat.db")).unwrap());
    let (a, _, thread) = seed(&store);
    let (tx, rx) = channel();
    let inner = Arc::clone(&store);
    let next = message(thread, &a, "queued from a callback");
    let blocked = message(thread, &a, "would deadlock");
    store.append_message_then(
        message(thread, &a, "first"),
        Box::new(move |outcome| {
            let first = outcome.unwrap().message.id;
            let seen = inner.history(thread, None, 10).unwrap().messages.len();
            let refused = inner.append_message(blocked);
            let tx2 = tx.clone();
            inner.append_message_then(
                next,
                Box::new(move |o| tx2.send(Err(o.unwrap().message.id)).unwrap()),
            );
            tx.send(Ok((first, seen, refused.is_err()))).unwrap();
        }),
    );
    let (first, seen, refused) = rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!((seen, refused), (1, true));
    let queued = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap_err();
    assert!(queued > first);
}
