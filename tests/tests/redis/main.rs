//! Issue 7 over real processes: several `chat-server` processes on one database,
//! linked by a real `redis-server` that each test starts on a free port (and
//! fails, never skips, when it cannot).
//!
//! Every socket's message frames are checked the same way: each expected
//! message exactly once, ids strictly ascending, each sender's messages in the
//! order they were sent, `client_id` on the sender's own copies only.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod exchange;
mod faults;
mod redis_server;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::Value;

use redis_server::RedisServer;
use support::{Client, TestServer, Ws, id_of, user};

/// Most sends a client keeps unanswered.
const WINDOW: usize = 64;

/// A Redis server and two processes (A and B) on one database.
struct Cluster {
    redis: RedisServer,
    a: TestServer,
    b: TestServer,
}

impl Cluster {
    async fn start() -> Self {
        let redis = RedisServer::start();
        let url = redis.url();
        let args = ["--msg-rate", "0", "--redis", url.as_str()];
        let a = TestServer::start_with(&args).await;
        let b = a.start_sibling(&args).await;
        Cluster { redis, a, b }
    }

    /// `serve` arguments for one more process of this cluster.
    fn args(&self) -> Vec<String> {
        ["--msg-rate", "0", "--redis", &self.redis.url()]
            .map(str::to_owned)
            .to_vec()
    }
}

/// Alice signed up on A, bob on B, and their thread.
async fn alice_and_bob(cluster: &Cluster) -> (Client, Client, i64) {
    let mut alice = user(&cluster.a, "alice").await;
    let bob = user(&cluster.b, "bob").await;
    let thread = alice.open_thread("bob").await;
    (alice, bob, thread)
}

/// The body of message `i` sent under `tag`.
fn body(tag: &str, i: usize) -> String {
    format!("{tag} {i}")
}

/// The bodies `{tag} 0..n` of every tag.
fn expected(tags: &[(&str, usize)]) -> BTreeSet<String> {
    tags.iter()
        .flat_map(|(tag, n)| (0..*n).map(move |i| body(tag, i)))
        .collect()
}

/// One side of a conversation: sends `n` messages under `tag` (client ids
/// `{tag}-{i}`, at most [`WINDOW`] unanswered, `gap` before each send) while
/// reading, until `total` message frames have arrived. Returns those frames.
async fn converse(
    ws: &mut Ws,
    thread: i64,
    tag: &str,
    (n, gap): (usize, Duration),
    total: usize,
) -> Vec<Value> {
    let own = format!("{tag}-");
    let (mut sent, mut acked) = (0, 0);
    let mut received = Vec::with_capacity(total);
    while received.len() < total {
        if sent < n && sent - acked < WINDOW {
            tokio::time::sleep(gap).await;
            ws.send_message(thread, &body(tag, sent), &format!("{tag}-{sent}"))
                .await;
            sent += 1;
            continue;
        }
        let frame = ws.next_json().await;
        assert_ne!(frame["type"], "error", "{tag}: {frame}");
        if frame["type"] == "message" {
            if frame["client_id"]
                .as_str()
                .is_some_and(|c| c.starts_with(&own))
            {
                acked += 1;
            }
            received.push(frame);
        }
    }
    received
}

/// Reads until `total` message frames arrived (other frames are skipped);
/// returns each with the time it was read.
async fn observe(ws: &mut Ws, total: usize) -> Vec<(tokio::time::Instant, Value)> {
    let mut received = Vec::with_capacity(total);
    while received.len() < total {
        let frame = ws.next_json().await;
        if frame["type"] == "message" {
            received.push((tokio::time::Instant::now(), frame));
        }
    }
    received
}

/// Asserts that `frames` (what `user`'s socket received) are exactly `expected`,
/// each once, ids strictly ascending, every sender's in the order sent, with
/// `client_id` only on `user`'s own messages.
#[track_caller]
fn assert_exactly_once_in_order(user: &str, frames: &[Value], expected: &BTreeSet<String>) {
    let ids: Vec<i64> = frames.iter().map(id_of).collect();
    if let Some(pair) = ids.windows(2).find(|w| w[0] >= w[1]) {
        panic!("{user}: ids not strictly ascending: {pair:?}");
    }
    let bodies: Vec<&str> = frames
        .iter()
        .map(|f| f["body"].as_str().expect("body"))
        .collect();
    let got: BTreeSet<String> = bodies.iter().map(|b| (*b).to_owned()).collect();
    let missing: Vec<&String> = expected.difference(&got).take(5).collect();
    let extra: Vec<&String> = got.difference(expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && got.len() == frames.len(),
        "{user}: got {} frames ({} distinct) for {} expected; missing e.g. {missing:?}, \
         unexpected e.g. {extra:?}",
        frames.len(),
        got.len(),
        expected.len()
    );
    let mut last_index: HashMap<&str, usize> = HashMap::new();
    for (frame, text) in frames.iter().zip(&bodies) {
        let (tag, index) = text.rsplit_once(' ').expect("tag and index");
        let index: usize = index.parse().expect("index");
        if let Some(before) = last_index.insert(tag, index) {
            assert!(before < index, "{user}: {tag} {index} after {tag} {before}");
        }
        let own = frame["sender"] == user;
        assert_eq!(
            frame["client_id"].is_string(),
            own,
            "{user}: client_id only on own copies: {frame}"
        );
    }
}

/// Waits until `server`'s log contains `needle` `times` times.
async fn await_log(server: &TestServer, needle: &str, times: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while server.stderr().matches(needle).count() < times {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {needle:?} (x{times}) in the log within 15 s:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
