//! `typing` and `read` frames.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Client, TestServer, Ws, id_of};
use crate::{QUIET, bodies, check_error, expect_copies, pair};

#[tokio::test]
async fn typing_is_relayed_to_the_peer_and_throttled() {
    let server = TestServer::start().await;
    let (mut alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let typing = json!({"type": "typing", "thread": thread});
    let relayed = json!({"type": "typing", "thread": thread, "user": "alice"});
    let started = Instant::now();
    alices.send_json(&typing).await;
    assert_eq!(bobs.next_json().await, relayed);
    alices.expect_no_frame(QUIET).await;
    alices.send_json(&typing).await;
    bobs.expect_no_frame(Duration::from_millis(600)).await;
    // After the 2 s window it is relayed again.
    tokio::time::sleep(Duration::from_millis(2300).saturating_sub(started.elapsed())).await;
    alices.send_json(&typing).await;
    assert_eq!(bobs.next_json().await, relayed);
    alices.expect_no_frame(QUIET).await;
    assert!(
        alice.all_messages(thread).await.is_empty(),
        "typing was stored"
    );
}

/// Bob's unread count for `thread` from `/api/threads`.
async fn unread(client: &mut Client, thread: i64) -> i64 {
    let threads = client.api_threads().await;
    threads["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .find(|t| t["id"] == thread)
        .and_then(|t| t["unread"].as_i64())
        .unwrap_or_else(|| panic!("thread {thread} missing: {threads}"))
}

#[tokio::test]
async fn read_cursor_is_relayed_and_only_moves_forward() {
    let server = TestServer::start().await;
    let (mut alice, mut bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let acks = alices.send_all(thread, &bodies("unread ", 3), "u").await;
    expect_copies(&mut bobs, &acks, thread, "alice").await;
    let ids: Vec<i64> = acks.iter().map(id_of).collect();
    assert_eq!(unread(&mut bob, thread).await, 3);

    bobs.send_json(&json!({"type": "read", "thread": thread, "up_to": ids[1]}))
        .await;
    let relayed = json!({"type": "read", "thread": thread, "user": "bob", "up_to": ids[1]});
    assert_eq!(alices.next_json().await, relayed);
    assert_eq!(
        bobs.next_json().await,
        relayed,
        "bob's own sockets learn it too"
    );
    assert_eq!(unread(&mut bob, thread).await, 1);

    // Backwards: ignored. A malformed frame afterwards is a barrier: once its error is
    // back, the read frame has been handled.
    bobs.send_json(&json!({"type": "read", "thread": thread, "up_to": ids[0]}))
        .await;
    bobs.send_text("barrier").await;
    check_error(&bobs.next_message_or_error().await, "bad_frame", None);
    assert_eq!(
        unread(&mut bob, thread).await,
        1,
        "the read cursor moved backwards"
    );
    for frame in alices.frames_within(QUIET).await {
        assert!(
            frame["type"] == "read" && frame["up_to"].as_i64() >= Some(ids[1]),
            "after a backwards read alice got {frame}"
        );
    }

    bobs.send_json(&json!({"type": "read", "thread": thread, "up_to": ids[2]}))
        .await;
    let relayed = json!({"type": "read", "thread": thread, "user": "bob", "up_to": ids[2]});
    assert_eq!(alices.next_json().await, relayed);
    assert_eq!(unread(&mut bob, thread).await, 0);
    assert_eq!(unread(&mut alice, thread).await, 0);
}
