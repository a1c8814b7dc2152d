//! Benchmark of `SqliteStore`: append throughput through the group-commit
//! writer (`synchronous=FULL`) and read latency on a 1,000,000-message thread.
//!
//! Run with `cargo run --release -p chat-store --example bench_store [DIR]`.
//! DIR (default: a temp dir) decides which disk is measured: fsync speed is
//! what bounds a single writer.

// A benchmark has nothing better to do with a failed call than stop.
#![allow(clippy::expect_used)]

use std::error::Error;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::{MessageBody, MessageId, ThreadId, Timestamp, UserPair, Username};
use chat_store::{NewMessage, SqliteStore, Store, User};

const WRITERS: [usize; 3] = [1, 16, 256];
const APPEND_SECONDS: u64 = 4;
const BIG_THREAD: i64 = 1_000_000;
const PAGE: usize = 50;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => tempfile::tempdir_in(dir)?,
        None => tempfile::tempdir()?,
    };
    println!("database directory: {}", dir.path().display());
    println!("\n== appends through the group-commit writer (synchronous=FULL) ==");
    for writers in WRITERS {
        bench_appends(&dir.path().join(format!("appends-{writers}.db")), writers)?;
    }
    println!("\n== reads on a {BIG_THREAD}-message thread ==");
    bench_reads(&dir.path().join("big.db"))?;
    Ok(())
}

fn seed(store: &SqliteStore) -> Result<(User, User, ThreadId), Box<dyn Error>> {
    let now = Timestamp::from_millis(0);
    let a = store.create_user(&Username::parse("alice")?, "h", now)?;
    let b = store.create_user(&Username::parse("bob")?, "h", now)?;
    let thread = store.get_or_create_direct_thread(UserPair::new(a.id, b.id)?, now)?;
    Ok((a, b, thread.id))
}

/// `writers` threads, each calling the blocking `append_message` in a loop.
fn bench_appends(path: &Path, writers: usize) -> Result<(), Box<dyn Error>> {
    let store = SqliteStore::open(path)?;
    let (a, _, thread) = seed(&store)?;
    let body = MessageBody::parse("a message of ordinary length, say forty-odd chars")?;
    let stop = AtomicBool::new(false);
    let appended = AtomicU64::new(0);
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..writers {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let message = NewMessage {
                        thread,
                        sender: a.id,
                        body: body.clone(),
                        client_id: None,
                        sent_at: Timestamp::from_millis(1),
                    };
                    store.append_message(message).expect("append");
                    appended.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        thread::sleep(Duration::from_secs(APPEND_SECONDS));
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = started.elapsed().as_secs_f64();
    let n = appended.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss)]
    let per_second = n as f64 / elapsed;
    #[allow(clippy::cast_precision_loss)]
    let latency_ms = 1000.0 * elapsed * writers as f64 / n.max(1) as f64;
    println!(
        "{writers:>4} writers: {n:>8} appends in {elapsed:.1} s = {per_second:>9.0} appends/s \
         (mean {latency_ms:.2} ms per append)"
    );
    Ok(())
}

fn bench_reads(path: &Path) -> Result<(), Box<dyn Error>> {
    let (a, b, thread) = {
        let store = SqliteStore::open(path)?;
        seed(&store)?
    };
    let started = Instant::now();
    bulk_load(path, thread, &a, &b)?;
    println!("bulk load: {:.1} s", started.elapsed().as_secs_f64());

    let store = SqliteStore::open(path)?;
    let newest = store.latest_message_id(a.id, Some(thread))?;
    let deep = MessageId(newest.get() - BIG_THREAD + 1000);
    time("history newest page (50)", 2000, || {
        let page = store.history(thread, None, PAGE).expect("history");
        assert_eq!(page.messages.len(), PAGE);
    });
    time("history deep page (50, before ~1000th)", 2000, || {
        let page = store.history(thread, Some(deep), PAGE).expect("history");
        assert_eq!(page.messages.len(), PAGE);
    });
    time("messages_after, 40 missing", 2000, || {
        let batch = store
            .messages_after(a.id, None, MessageId(newest.get() - 40), 200)
            .expect("resume");
        assert_eq!(batch.messages.len(), 40);
    });
    time("messages_after, all missing (limit 200)", 2000, || {
        let batch = store
            .messages_after(a.id, None, MessageId(0), 200)
            .expect("resume");
        assert!(batch.truncated);
    });
    store.mark_read(a.id, thread, MessageId(newest.get() - 10))?;
    time("threads_of, 5 unread", 200, || {
        assert_eq!(store.threads_of(a.id).expect("threads")[0].unread, 5);
    });
    time("threads_of, ~500,000 unread (bob)", 10, || {
        assert!(store.threads_of(b.id).expect("threads")[0].unread > 400_000);
    });
    Ok(())
}

/// Writes `BIG_THREAD` messages in one transaction, straight through `SQLite`.
fn bulk_load(path: &Path, thread: ThreadId, a: &User, b: &User) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO messages (thread_id, sender_id, body, sent_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for i in 0..BIG_THREAD {
            let sender = if i % 2 == 0 { a.id } else { b.id };
            let body = format!("message number {i} of the big thread");
            insert.execute((thread.get(), sender.get(), body, i))?;
        }
    }
    tx.commit()
}

/// Runs `f` `n` times and prints mean, median and 99th percentile.
fn time(label: &str, n: usize, mut f: impl FnMut()) {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / u32::try_from(n).unwrap_or(u32::MAX);
    let p50 = samples[n / 2];
    let p99 = samples[(n * 99 / 100).min(n - 1)];
    println!("{label:<42} mean {mean:>10.1?}  p50 {p50:>10.1?}  p99 {p99:>10.1?}");
}
