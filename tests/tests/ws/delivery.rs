//! Who gets a message, how often and in which order.

use serde_json::json;

use crate::support::{TestServer, Ws, id_of, user};
use crate::{QUIET, bodies, check_message, pair};

#[tokio::test]
async fn hello_is_first_with_the_newest_visible_id() {
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
async fn message_reaches_three_sockets_once_in_order() {
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
async fn concurrent_senders_are_delivered_in_id_order() {
    const EACH: usize = 200;
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let (alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let (alice_watch, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (bob_watch, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    let (from_alice, from_bob) = (bodies("a", EACH), bodies("b", EACH));
    let watch = |mut ws: Ws| {
        tokio::spawn(async move {
            let mut ids = Vec::new();
            while ids.len() < 2 * EACH {
                ids.push(id_of(&ws.next_message().await));
            }
            ids
        })
    };
    let (alice_seen, bob_seen) = (watch(alice_watch), watch(bob_watch));
    let (alice_acks, bob_acks) = tokio::join!(
        alices.send_all(thread, &from_alice, "a"),
        bobs.send_all(thread, &from_bob, "b"),
    );
    let mut all: Vec<i64> = alice_acks.iter().chain(&bob_acks).map(id_of).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 2 * EACH, "ids were reused");
    for seen in [alice_seen, bob_seen] {
        let seen = seen.await.expect("watcher");
        assert_eq!(
            seen, all,
            "a socket got messages out of id order (or missed some)"
        );
    }
}

#[tokio::test]
async fn thread_socket_only_gets_its_thread() {
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
    check_message(
        &bobs.next_message().await,
        with_bob,
        "bob",
        "from bob",
        Some("k1"),
    );
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
async fn client_supplied_sender_is_ignored() {
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
async fn repeated_client_id_stores_one_row() {
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

#[tokio::test]
async fn form_post_reaches_open_sockets() {
    let server = TestServer::start().await;
    let (mut alice, bob, thread) = pair(&server).await;
    let (mut alices, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let (mut bobs, _) = Ws::connect_hello(&server, &bob, "/ws", "bob").await;
    alice
        .post_message(thread, "sent without JavaScript")
        .await
        .expect_see_other();
    // No client_id was given, so no copy carries one.
    for ws in [&mut alices, &mut bobs] {
        let frame = ws.next_message().await;
        check_message(&frame, thread, "alice", "sent without JavaScript", None);
        ws.expect_no_frame(QUIET).await;
    }
}
