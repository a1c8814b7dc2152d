//! Issue 4 over real sockets: the WebSocket protocol, delivery, resume, limits and closes.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use support::{Client, Ended, TestServer, Ws, WsOptions, id_of, refusal_status, user};

const QUIET: Duration = Duration::from_millis(300);

/// Signs up alice and bob and opens their thread.
async fn pair(server: &TestServer) -> (Client, Client, i64) {
    let mut alice = user(server, "alice").await;
    let bob = user(server, "bob").await;
    let thread = alice.open_thread("bob").await;
    (alice, bob, thread)
}

/// Asserts the exact shape of a `message` frame; `client_id` must be absent (or null) when
/// `None`.
#[track_caller]
fn check_message(frame: &Value, thread: i64, sender: &str, body: &str, client_id: Option<&str>) {
    let object = frame
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {frame}"));
    let mut keys: Vec<&str> = object
        .iter()
        .filter(|(k, v)| !(k.as_str() == "client_id" && client_id.is_none() && v.is_null()))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.sort_unstable();
    let mut expected = vec!["body", "id", "sent_at", "sender", "thread", "type"];
    if client_id.is_some() {
        expected.insert(0, "client_id");
    }
    assert_eq!(keys, expected, "{frame}");
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["thread"], thread, "{frame}");
    assert_eq!(frame["sender"], sender, "{frame}");
    assert_eq!(frame["body"], body, "{frame}");
    if let Some(client_id) = client_id {
        assert_eq!(frame["client_id"], client_id, "{frame}");
    }
    let sent_at = frame["sent_at"].as_str().expect("sent_at");
    assert!(
        sent_at.len() == 24 && sent_at.ends_with('Z') && sent_at.as_bytes()[19] == b'.',
        "sent_at {sent_at:?} is not RFC 3339 UTC with milliseconds"
    );
    assert!(id_of(frame) > 0);
}

/// Asserts an `error` frame with `code` (and `client_id` when given).
#[track_caller]
fn check_error(frame: &Value, code: &str, client_id: Option<&str>) {
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["code"], code, "{frame}");
    assert!(
        frame["message"].is_string(),
        "error without message: {frame}"
    );
    match client_id {
        Some(client_id) => assert_eq!(frame["client_id"], client_id, "{frame}"),
        None => assert!(frame["client_id"].is_null(), "{frame}"),
    }
}

fn bodies(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test]
async fn ws_hello_is_first_with_the_newest_visible_id() {
    let server = TestServer::start().await;
    let (mut alice, mut bob, with_bob) = pair(&server).await;
    let mut carol = user(&server, "carol").await;
    let (_, hello) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    assert_eq!(
        hello,
        json!({"type": "hello", "user": "alice", "last_id": 0})
    );

    alice
        .post_message(with_bob, "first")
        .await
        .expect_see_other();
    let with_carol = carol.open_thread("alice").await;
    carol
        .post_message(with_carol, "second")
        .await
        .expect_see_other();
    let first = id_of(&bob.all_messages(with_bob).await[0]);
    let second = id_of(&carol.all_messages(with_carol).await[0]);
    assert!(second > first);

    for (client, name, path, last_id) in [
        (&alice, "alice", "/ws".to_owned(), second),
        (&alice, "alice", format!("/ws/threads/{with_bob}"), first),
        (&bob, "bob", "/ws".to_owned(), first),
        (&carol, "carol", format!("/ws/threads/{with_carol}"), second),
    ] {
        let (_, hello) = Ws::connect_hello(&server, client, &path, name).await;
        assert_eq!(
            hello,
            json!({"type": "hello", "user": name, "last_id": last_id}),
            "{name} on {path}"
        );
    }
}

#[tokio::test]
async fn ws_message_reaches_three_sockets_once_in_order() {
    let server = TestServer::start().await;
    let (alice, bob, thread) = pair(&server).await;
    let (mut tab1, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut tab2, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;

    let sent = bodies("hello ", 5);
    for (i, body) in sent.iter().enumerate() {
        tab1.send_message(thread, body, &format!("c{i}")).await;
    }
    let mut ids: Vec<Vec<i64>> = Vec::new();
    for (socket, is_sender) in [(&mut tab1, true), (&mut tab2, true), (&mut bobs, false)] {
        let mut seen = Vec::new();
        for (i, body) in sent.iter().enumerate() {
            let frame = socket.next_message().await;
            let client_id = format!("c{i}");
            check_message(
                &frame,
                thread,
                "alice",
                body,
                is_sender.then_some(client_id.as_str()),
            );
            seen.push(id_of(&frame));
        }
        socket.expect_no_frame(QUIET).await;
        ids.push(seen);
    }
    assert!(
        ids[0].windows(2).all(|w| w[0] < w[1]),
        "ids not increasing: {:?}",
        ids[0]
    );
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);

    // And the other way round: only bob's copy carries bob's client_id.
    bobs.send_message(thread, "hi alice", "b0").await;
    check_message(
        &bobs.next_message().await,
        thread,
        "bob",
        "hi alice",
        Some("b0"),
    );
    check_message(&tab1.next_message().await, thread, "bob", "hi alice", None);
    check_message(&tab2.next_message().await, thread, "bob", "hi alice", None);
}

#[tokio::test]
async fn ws_thread_socket_only_gets_its_thread() {
    let server = TestServer::start().await;
    let (mut alice, bob, with_bob) = pair(&server).await;
    let carol = user(&server, "carol").await;
    let with_carol = alice.open_thread("carol").await;
    let (mut only_bob, _) =
        Ws::connect_hello(&server, &alice, &format!("/ws/threads/{with_bob}"), "alice").await;
    let (mut all, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut carols, _) = Ws::connect_hello(&server, &carol, "/ws", "carol").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;

    carols.send_message(with_carol, "from carol", "k0").await;
    check_message(
        &all.next_message().await,
        with_carol,
        "carol",
        "from carol",
        None,
    );
    bobs.send_message(with_bob, "from bob", "k1").await;
    check_message(&all.next_message().await, with_bob, "bob", "from bob", None);
    check_message(
        &only_bob.next_message().await,
        with_bob,
        "bob",
        "from bob",
        None,
    );
    only_bob.expect_no_frame(QUIET).await;

    // On a thread socket the thread may be left out.
    only_bob
        .send_json(&json!({"type": "send", "body": "implicit thread", "client_id": "k2"}))
        .await;
    let ack = only_bob.next_message().await;
    check_message(&ack, with_bob, "alice", "implicit thread", Some("k2"));
    check_message(
        &bobs.next_message().await,
        with_bob,
        "alice",
        "implicit thread",
        None,
    );
}

#[tokio::test]
async fn ws_thread_socket_of_a_non_member_is_404_before_upgrade() {
    let server = TestServer::start().await;
    let (_, _, thread) = pair(&server).await;
    let carol = user(&server, "carol").await;
    let origin = server.origin();
    for path in [
        format!("/ws/threads/{thread}"),
        format!("/ws/threads/{}", thread + 1000),
    ] {
        let options = WsOptions {
            cookie: Some(carol.cookie_header()),
            origin: Some(&origin),
            recv_buffer: None,
        };
        assert_eq!(
            refusal_status(Ws::open(&server, &path, options).await),
            404,
            "{path}"
        );
    }
}

#[tokio::test]
async fn ws_anonymous_upgrade_is_401() {
    let server = TestServer::start().await;
    let (_, _, thread) = pair(&server).await;
    let origin = server.origin();
    for path in ["/ws".to_owned(), format!("/ws/threads/{thread}")] {
        for cookie in [
            None,
            Some("chat_session=forged-token-AAAAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        ] {
            let options = WsOptions {
                cookie,
                origin: Some(&origin),
                recv_buffer: None,
            };
            assert_eq!(
                refusal_status(Ws::open(&server, &path, options).await),
                401,
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn ws_foreign_origins_are_403() {
    let server = TestServer::start().await;
    let alice = user(&server, "alice").await;
    let port = server.addr().port();
    let origins = [
        "http://evil.example".to_owned(),
        "null".to_owned(),
        format!("http://127.0.0.1:{port}.evil.example"),
        format!("https://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        "http://127.0.0.1".to_owned(),
    ];
    for origin in &origins {
        let options = WsOptions {
            cookie: Some(alice.cookie_header()),
            origin: Some(origin),
            recv_buffer: None,
        };
        assert_eq!(
            refusal_status(Ws::open(&server, "/ws", options).await),
            403,
            "Origin {origin}"
        );
    }
    // The server's own origin works.
    Ws::connect_hello(&server, &alice, "/ws", "alice").await;
}

#[tokio::test]
async fn ws_allowed_origin_is_accepted_exactly() {
    let server = TestServer::start_with(&["--allowed-origin", "http://chat.example"]).await;
    let alice = user(&server, "alice").await;
    let own = server.origin();
    for (origin, accepted) in [
        ("http://chat.example", true),
        (own.as_str(), true),
        ("http://chat.example.evil", false),
        ("https://chat.example", false),
        ("http://evil.chat.example", false),
    ] {
        let options = WsOptions {
            cookie: Some(alice.cookie_header()),
            origin: Some(origin),
            recv_buffer: None,
        };
        let result = Ws::open(&server, "/ws", options).await;
        if accepted {
            let mut ws = result.unwrap_or_else(|e| panic!("Origin {origin} refused: {e}"));
            assert_eq!(ws.next_json().await["type"], "hello");
        } else {
            assert_eq!(refusal_status(result), 403, "Origin {origin}");
        }
    }
}

#[tokio::test]
async fn ws_non_member_send_is_refused_and_stores_nothing() {
    let server = TestServer::start().await;
    let (mut alice, bob, thread) = pair(&server).await;
    let carol = user(&server, "carol").await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let (mut carols, _) = Ws::connect_hello(&server, &carol, "/ws", "carol").await;
    carols.send_message(thread, "intrusion", "x1").await;
    check_error(&carols.next_json().await, "not_member", Some("x1"));
    carols.send_message(thread + 1000, "nowhere", "x2").await;
    check_error(&carols.next_json().await, "not_member", Some("x2"));
    alices.expect_no_frame(QUIET).await;
    bobs.expect_no_frame(QUIET).await;
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn ws_client_supplied_sender_is_ignored() {
    let server = TestServer::start().await;
    let (alice, mut bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    alices
        .send_json(&json!({
            "type": "send", "thread": thread, "body": "who am i", "client_id": "s1",
            "sender": "bob", "id": 999_999, "sent_at": "1999-01-01T00:00:00.000Z",
        }))
        .await;
    let ack = alices.next_message().await;
    check_message(&ack, thread, "alice", "who am i", Some("s1"));
    assert_ne!(id_of(&ack), 999_999);
    check_message(
        &bobs.next_message().await,
        thread,
        "alice",
        "who am i",
        None,
    );
    let stored = bob.all_messages(thread).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["sender"], "alice");
    assert_eq!(stored[0]["id"], ack["id"]);
    assert_eq!(stored[0]["sent_at"], ack["sent_at"]);
}

#[tokio::test]
async fn ws_oversize_frame_closes_1009() {
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
async fn ws_binary_frame_closes_1003() {
    let server = TestServer::start().await;
    let (alice, _, _) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let _ = ws
        .try_send(Message::binary(b"{\"type\":\"typing\"}".to_vec()))
        .await;
    ws.expect_close(1003, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn ws_malformed_frame_is_bad_frame_and_socket_survives() {
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
async fn ws_invalid_body_is_an_error_and_stores_nothing() {
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
async fn ws_repeated_client_id_stores_one_row() {
    let server = TestServer::start().await;
    let (mut alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    alices.send_message(thread, "once", "dup-1").await;
    let first = alices.next_message().await;
    check_message(&bobs.next_message().await, thread, "alice", "once", None);
    // A retry (e.g. after a reconnect) with the same client_id.
    alices.send_message(thread, "once", "dup-1").await;
    let second = alices.next_message().await;
    check_message(&second, thread, "alice", "once", Some("dup-1"));
    assert_eq!(second["id"], first["id"], "the retry got a new id");
    assert_eq!(second["sent_at"], first["sent_at"]);
    bobs.expect_no_frame(QUIET).await;
    // The key is (sender, thread, client_id): bob may use the same client_id.
    bobs.send_message(thread, "mine", "dup-1").await;
    let bobs_ack = bobs.next_message().await;
    assert!(id_of(&bobs_ack) > id_of(&first));
    assert_eq!(alice.all_bodies(thread).await, ["once", "mine"]);
}

/// Reads `acks.len()` message frames and asserts they are exactly `acks` (as seen by a
/// non-sender: no `client_id`), in order.
async fn expect_copies(ws: &mut Ws, acks: &[Value], thread: i64, sender: &str) {
    for ack in acks {
        let frame = ws.next_message().await;
        let body = ack["body"].as_str().expect("body");
        check_message(&frame, thread, sender, body, None);
        assert_eq!(
            frame["id"], ack["id"],
            "out of order or missing: got {frame}, expected {ack}"
        );
    }
}

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
async fn ws_resume_delivers_exactly_the_500_missed_messages() {
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
async fn ws_resume_sends_the_newest_1000_and_truncated() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let acks = alices.send_all(thread, &bodies("old ", 1005), "m").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    expect_resume(&mut bobs, 0, &acks[5..], thread, true).await;
}

#[tokio::test]
async fn ws_resume_after_restart_misses_nothing() {
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
async fn ws_shutdown_closes_sockets_with_1001() {
    let mut server = TestServer::start().await;
    let (alice, _, _) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (status, ()) = tokio::join!(server.stop(), ws.expect_close(1001, Duration::from_secs(5)));
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

#[tokio::test]
async fn ws_socket_that_never_reads_is_closed_and_others_keep_receiving() {
    const N: usize = 1000;
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
        let mut ids = Vec::with_capacity(N);
        for _ in 0..N {
            ids.push(id_of(&reader.next_message().await));
        }
        ids
    });
    let started = Instant::now();
    let big: Vec<String> = (0..N)
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
        got.len() < N,
        "the stuck socket got all {N} messages and was never closed ({ended:?})"
    );
    assert_eq!(
        got,
        ack_ids[..got.len()],
        "the stuck socket's messages are not a prefix"
    );
    eprintln!(
        "stuck socket: {} of {N} messages, then {ended:?}; blast took {blast:?}",
        got.len()
    );
    assert!(
        matches!(ended, Ended::Close(Some(1013)) | Ended::Dropped(_)),
        "stuck socket ended with {ended:?}"
    );
}

#[tokio::test]
async fn ws_logout_closes_that_users_sockets_with_1008() {
    let server = TestServer::start().await;
    let (mut alice, bob, _) = pair(&server).await;
    let (mut tab1, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut tab2, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let cookie = alice.cookie_header();
    let response = alice.logout().await;
    assert_eq!(response.expect_see_other(), "/login");
    tokio::join!(
        tab1.expect_close(1008, Duration::from_secs(1)),
        tab2.expect_close(1008, Duration::from_secs(1)),
    );
    bobs.expect_no_frame(QUIET).await;
    let origin = server.origin();
    let options = WsOptions {
        cookie: Some(cookie),
        origin: Some(&origin),
        recv_buffer: None,
    };
    assert_eq!(refusal_status(Ws::open(&server, "/ws", options).await), 401);
}

#[tokio::test]
async fn ws_user_passwd_closes_that_users_sockets_with_1008() {
    let server = TestServer::start().await;
    let (alice, _, _) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let changed = server
        .cli(&["user", "passwd", "alice"], "Brand-New-Pass-2024\n")
        .await;
    assert!(changed.status.success(), "user passwd: {changed:?}");
    // The CLI is another process: the server notices within about a second.
    ws.expect_close(1008, Duration::from_secs(2)).await;
}

#[tokio::test]
async fn ws_25_messages_at_once_exceed_the_bucket() {
    // --msg-rate 10 gives 10/s with a burst of 20, so 25 sent at once store 20 (21 if a
    // token refills meanwhile) and the rest get `rate_limited`. (The default, 20/s burst 40,
    // would let all 25 through.)
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

#[tokio::test]
async fn ws_typing_is_relayed_to_the_peer_and_throttled() {
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
    tokio::time::sleep(Duration::from_millis(2100).saturating_sub(started.elapsed())).await;
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
async fn ws_read_cursor_is_relayed_and_only_moves_forward() {
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
