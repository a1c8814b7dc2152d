//! Bad frames, oversize frames, rate limits and slow readers.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Ended, TestServer, Ws, WsOptions, id_of};
use crate::{check_error, check_message, pair};

#[tokio::test]
async fn oversize_frame_closes_1009() {
    let server = TestServer::start().await;
    let (mut alice, _, thread) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let body = "a".repeat(70 * 1024);
    let frame = json!({"type": "send", "thread": thread, "body": body, "client_id": "big"});
    // The server may close while the frame is still being written.
    let _ = ws.try_send(Message::text(frame.to_string())).await;
    ws.expect_close(1009, Duration::from_secs(5)).await;
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn binary_frame_closes_1003() {
    let server = TestServer::start().await;
    let (alice, _, _) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let _ = ws
        .try_send(Message::binary(b"{\"type\":\"typing\"}".to_vec()))
        .await;
    ws.expect_close(1003, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn malformed_frame_is_bad_frame_and_socket_survives() {
    let server = TestServer::start().await;
    let (mut alice, _, thread) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    for text in [
        "not json".to_owned(),
        "{\"type\":\"send\"".to_owned(),
        "[1,2,3]".to_owned(),
        "{\"type\":\"shout\",\"thread\":1}".to_owned(),
        "{\"body\":\"no type\"}".to_owned(),
        format!("{{\"type\":\"send\",\"thread\":\"{thread}x\",\"body\":\"bad thread\"}}"),
        format!("{{\"type\":\"read\",\"thread\":{thread},\"up_to\":\"soon\"}}"),
    ] {
        ws.send_text(text.clone()).await;
        let frame = ws.next_json().await;
        assert_eq!(frame["code"], "bad_frame", "answer to {text:?}: {frame}");
        check_error(&frame, "bad_frame", None);
    }
    ws.send_message(thread, "still works", "ok1").await;
    check_message(
        &ws.next_message().await,
        thread,
        "alice",
        "still works",
        Some("ok1"),
    );
    assert_eq!(alice.all_bodies(thread).await, ["still works"]);
}

#[tokio::test]
async fn invalid_body_is_an_error_and_stores_nothing() {
    let server = TestServer::start().await;
    let (mut alice, _, thread) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let too_long = "x".repeat(4001);
    for (body, client_id) in [
        ("", "e0"),
        (" \n\t ", "e1"),
        (too_long.as_str(), "e2"),
        ("bell\u{7}", "e3"),
    ] {
        ws.send_message(thread, body, client_id).await;
        check_error(&ws.next_json().await, "invalid_body", Some(client_id));
    }
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn burst_of_25_messages_exceeds_the_bucket() {
    // --msg-rate 10 gives 10/s with a burst of 20, so 25 sent at once store 20 (plus the
    // tokens refilled while they are handled, 10/s) and the rest get `rate_limited`. (The
    // default, 20/s burst 40, would let all 25 through.)
    let server = TestServer::start_with(&["--msg-rate", "10"]).await;
    let (mut alice, _, thread) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let started = Instant::now();
    for i in 0..25 {
        ws.send_message(thread, &format!("burst {i}"), &format!("r{i}"))
            .await;
    }
    let (mut stored, mut limited) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        let frame = ws.next_json().await;
        let client_id = frame["client_id"].as_str().expect("client_id").to_owned();
        if frame["type"] == "message" {
            stored.push(client_id);
        } else {
            check_error(&frame, "rate_limited", Some(&client_id));
            limited.push(client_id);
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        (20..=21).contains(&stored.len()),
        "stored {stored:?}, limited {limited:?}"
    );
    assert_eq!(stored.len() + limited.len(), 25);
    assert_eq!(alice.all_messages(thread).await.len(), stored.len());
}

/// How many ~4 KB messages overflow a socket that never reads: the server's queue (1 MiB)
/// plus the most the kernel may buffer for it (`tcp_wmem` max, 4 MiB by default), with slack.
fn messages_to_overflow() -> usize {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<usize>().ok())
        .unwrap_or(4 << 20);
    ((wmem_max + (2 << 20)) / 3900 + 200).max(1000)
}

#[tokio::test]
async fn socket_that_never_reads_is_closed_and_others_keep_receiving() {
    let n = messages_to_overflow();
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (alice, bob, thread) = pair(&server).await;
    let origin = server.origin();
    // Never read: a tiny kernel receive buffer so the server-side queue fills quickly.
    let stuck_options = WsOptions {
        cookie: Some(bob.cookie_header()),
        origin: Some(&origin),
        recv_buffer: Some(4096),
    };
    let mut stuck = Ws::open(&server, "/ws", stuck_options)
        .await
        .expect("stuck socket");
    let (mut reader, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;

    let reading = tokio::spawn(async move {
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            ids.push(id_of(&reader.next_message().await));
        }
        ids
    });
    let started = Instant::now();
    let big: Vec<String> = (0..n)
        .map(|i| format!("{i:04} {}", "x".repeat(3900)))
        .collect();
    let acks = alices.send_all(thread, &big, "big").await;
    let read = reading.await.expect("reader task");
    let ack_ids: Vec<i64> = acks.iter().map(id_of).collect();
    assert_eq!(
        read, ack_ids,
        "the reading socket missed or reordered messages"
    );
    let blast = started.elapsed();

    // Now drain the stuck socket: a prefix of the messages, then the end.
    let (ended, frames) = stuck.read_until_end(Duration::from_secs(15)).await;
    let got: Vec<i64> = frames
        .iter()
        .filter(|f| f["type"] == "message")
        .map(id_of)
        .collect();
    assert!(
        got.len() < n,
        "the stuck socket got all {n} messages and was never closed ({ended:?})"
    );
    assert_eq!(
        got,
        ack_ids[..got.len()],
        "the stuck socket's messages are not a prefix"
    );
    eprintln!(
        "stuck socket: {} of {n} messages, then {ended:?}; blast took {blast:?}",
        got.len()
    );
    assert!(
        matches!(ended, Ended::Close(Some(1013)) | Ended::Dropped(_)),
        "stuck socket ended with {ended:?}"
    );
}
