//! `resume` after a disconnect, a restart, and during live traffic; shutdown.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestServer, Ws, id_of};
use crate::{QUIET, bodies, expect_copies, pair};

/// Sends `resume` and asserts the missed `acks` then `resumed` (with `truncated` iff given).
async fn expect_resume(ws: &mut Ws, after: i64, acks: &[Value], thread: i64, truncated: bool) {
    ws.send_json(&json!({"type": "resume", "after": after}))
        .await;
    expect_copies(ws, acks, thread, "alice").await;
    let resumed = ws.next_json().await;
    let last_id = acks.last().map_or(after, id_of);
    let mut expected = json!({"type": "resumed", "last_id": last_id});
    if truncated {
        expected["truncated"] = json!(true);
    }
    assert_eq!(resumed, expected);
    ws.expect_no_frame(QUIET).await;
}

#[tokio::test]
async fn resume_delivers_exactly_the_500_missed_messages() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    alices.send_message(thread, "before", "b").await;
    let seen = bobs.next_message().await;
    drop(bobs);

    let acks = alices.send_all(thread, &bodies("missed ", 500), "m").await;
    let (mut bobs, hello) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    assert_eq!(hello["last_id"], acks[499]["id"]);
    expect_resume(&mut bobs, id_of(&seen), &acks, thread, false).await;
}

#[tokio::test]
async fn resume_sends_the_newest_1000_and_truncated() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let acks = alices.send_all(thread, &bodies("old ", 1005), "m").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    expect_resume(&mut bobs, 0, &acks[5..], thread, true).await;
}

#[tokio::test]
async fn resume_after_restart_misses_nothing() {
    let mut server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (mut alice, mut bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let seen = alices.send_all(thread, &bodies("seen ", 5), "s").await;
    expect_copies(&mut bobs, &seen, thread, "alice").await;
    drop(bobs);
    let missed = alices.send_all(thread, &bodies("missed ", 20), "m").await;
    drop(alices);

    server.restart().await;
    alice.retarget(&server);
    bob.retarget(&server);
    let (mut bobs, hello) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    assert_eq!(hello["last_id"], missed[19]["id"], "hello after restart");
    expect_resume(&mut bobs, id_of(&seen[4]), &missed, thread, false).await;

    // Ids keep increasing after the restart.
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let after = alices.send_all(thread, &bodies("after ", 1), "a").await;
    assert!(id_of(&after[0]) > id_of(&missed[19]));
    expect_copies(&mut bobs, &after, thread, "alice").await;
    assert_eq!(bob.all_messages(thread).await.len(), 26);
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let mut server = TestServer::start().await;
    let (alice, _, _) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (status, ()) = tokio::join!(server.stop(), ws.expect_close(1001, Duration::from_secs(5)));
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// Reads frames until a message with `last_body`; returns every frame read.
async fn frames_until(ws: &mut Ws, last_body: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = ws.next_json().await;
        let done = frame["type"] == "message" && frame["body"] == last_body;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

/// A short trace of frames: `14` for a message, `resumed:13` for the end of a replay.
fn trace(frames: &[Value]) -> String {
    let entries: Vec<String> = frames
        .iter()
        .map(|f| match f["type"].as_str() {
            Some("message") => id_of(f).to_string(),
            Some(other) => format!("{other}:{}", f["last_id"]),
            None => f.to_string(),
        })
        .collect();
    let at = entries
        .iter()
        .position(|t| t.starts_with("resumed"))
        .unwrap_or(0);
    format!(
        "{} … {}",
        entries[..entries.len().min(12)].join(" "),
        entries[at.saturating_sub(3)..(at + 4).min(entries.len())].join(" ")
    )
}

/// Message ids before and after the single `resumed` frame, checking its `last_id`.
fn split_at_resumed(frames: &[Value], trace: &str) -> (Vec<i64>, Vec<i64>) {
    let at = frames
        .iter()
        .position(|f| f["type"] == "resumed")
        .unwrap_or_else(|| panic!("no resumed frame: {trace}"));
    let ids = |frames: &[Value]| -> Vec<i64> {
        frames
            .iter()
            .filter(|f| f["type"] == "message")
            .map(id_of)
            .collect()
    };
    let (before, after) = (ids(&frames[..at]), ids(&frames[at + 1..]));
    assert_eq!(
        frames[at]["last_id"].as_i64(),
        before.iter().max().copied(),
        "resumed.last_id is not the newest id before it: {trace}"
    );
    assert!(
        frames[at].get("truncated").is_none_or(|t| t == false),
        "{trace}"
    );
    assert_eq!(
        frames.iter().filter(|f| f["type"] != "message").count(),
        1,
        "{trace}"
    );
    (before, after)
}

fn increasing(ids: &[i64]) -> bool {
    ids.windows(2).all(|w| w[0] < w[1])
}

#[tokio::test]
async fn resume_during_live_traffic_has_no_gaps_or_reordering() {
    const LIVE: usize = 600;
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    alices.send_message(thread, "before", "x").await;
    let before = id_of(&alices.next_message().await);
    let live = bodies("live ", LIVE);
    let last_body = live[LIVE - 1].clone();
    let sending = tokio::spawn(async move { alices.send_all(thread, &live, "l").await });
    // Reconnect while alice is still sending.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (mut bobs, hello) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    bobs.send_json(&json!({"type": "resume", "after": before}))
        .await;
    let frames = frames_until(&mut bobs, &last_body).await;
    let acks = sending.await.expect("sender task");
    let hello_id = hello["last_id"].as_i64().expect("last_id");
    let expected: Vec<i64> = acks.iter().map(id_of).collect();
    assert!(
        hello_id < expected[LIVE - 1],
        "alice finished before bob reconnected; the race was not exercised"
    );
    let trace = trace(&frames);
    let (before_resumed, after_resumed) = split_at_resumed(&frames, &trace);
    // Exactly once: every missed or live message, no duplicates.
    let mut all: Vec<i64> = before_resumed
        .iter()
        .chain(&after_resumed)
        .copied()
        .collect();
    all.sort_unstable();
    assert_eq!(all, expected, "gaps or duplicates: {trace}");
    // In id order from the hello point: live messages newer than `hello` may come first
    // (they were queued before `resume` arrived), then the replay oldest first; after
    // `resumed`, live messages in order.
    let n_live_first = before_resumed
        .iter()
        .position(|id| *id <= hello_id)
        .unwrap_or(before_resumed.len());
    let (live_first, replay) = before_resumed.split_at(n_live_first);
    assert!(increasing(live_first), "live frames out of order: {trace}");
    assert!(increasing(replay), "replay not oldest first: {trace}");
    assert!(
        increasing(&after_resumed),
        "live frames out of order: {trace}"
    );
    let resumed_id = before_resumed.iter().max().copied().unwrap_or(before);
    assert!(
        after_resumed
            .first()
            .is_none_or(|first| *first > resumed_id),
        "a live frame after `resumed` is older than the replay: {trace}"
    );
    eprintln!("resume during live traffic: hello:{hello_id}, {trace}");
}
