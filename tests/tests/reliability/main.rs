//! Issue 8's reliability promises, proved against the real binary under faults
//! and load: crash durability (SIGKILL), no loss across reconnects, a slow
//! consumer, overload, and graceful shutdown under load.
//!
//! The tests run one at a time (they measure time and memory, and share two
//! cores), each bounded in time. Random choices come from a seeded generator;
//! the seed is printed, and `CHAT_RELIABILITY_SEED=N` replays a run.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod conn;
mod crash;
mod load;
mod overload;
mod peer;
mod reconnect;
mod senders;
mod shutdown;
mod slow;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Mutex, MutexGuard};

use support::{Client, TestServer, user};

/// One test at a time: they measure latency, throughput and memory.
static SERIAL: Mutex<()> = Mutex::const_new(());

async fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// A seeded xorshift64* generator; the seed is printed for replay.
pub struct Rng(u64);

impl Rng {
    /// From `CHAT_RELIABILITY_SEED`, else from the clock; prints it with `test`.
    pub fn seeded(test: &str) -> Self {
        let seed = std::env::var("CHAT_RELIABILITY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or(1)
            });
        eprintln!("{test}: seed {seed} (CHAT_RELIABILITY_SEED={seed} replays it)");
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low).max(1)
    }

    pub fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(self.range(low, high))
    }
}

/// `n` pairs of users (`{prefix}a{i}`, `{prefix}b{i}`) with their thread.
async fn pairs(server: &TestServer, prefix: &str, n: usize) -> Vec<(Client, Client, i64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (a, b) = pair_names(prefix, i);
        let mut first = user(server, &a).await;
        let second = user(server, &b).await;
        let thread = first.open_thread(&b).await;
        out.push((first, second, thread));
    }
    out
}

/// The user names of the `i`-th pair of [`pairs`]: `{prefix}a{i}` and `{prefix}b{i}`.
fn pair_names(prefix: &str, i: usize) -> (String, String) {
    (format!("{prefix}a{i}"), format!("{prefix}b{i}"))
}

/// A stored message, read straight from the database file.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub thread: i64,
    pub sender: String,
    pub client_id: Option<String>,
}

/// Every stored message, in id order.
fn stored_messages(db: &Path) -> Vec<Row> {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    conn.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    let mut stmt = conn
        .prepare(
            "SELECT m.id, m.thread_id, u.username, m.client_id FROM messages m
             JOIN users u ON u.id = m.sender_id ORDER BY m.id",
        )
        .expect("prepare");
    stmt.query_map([], |row| {
        Ok(Row {
            id: row.get(0)?,
            thread: row.get(1)?,
            sender: row.get(2)?,
            client_id: row.get(3)?,
        })
    })
    .expect("query messages")
    .collect::<Result<_, _>>()
    .expect("read messages")
}

/// Stored rows by client id; panics if a client id was stored twice.
fn rows_by_client_id(rows: &[Row]) -> BTreeMap<String, Row> {
    let mut by_id = BTreeMap::new();
    for row in rows {
        if let Some(client_id) = &row.client_id
            && let Some(first) = by_id.insert(client_id.clone(), row.clone())
        {
            panic!("client id {client_id} stored twice: {first:?} and {row:?}");
        }
    }
    by_id
}

/// The server's resident set size in KiB, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// The `p`-th percentile (0–100) of `samples` (sorted in place).
fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}
