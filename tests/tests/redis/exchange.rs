//! Two processes, one conversation: messages, typing and read events cross,
//! and a process started later joins in.

use std::time::Duration;

use serde_json::json;

use crate::support::{Ws, id_of};
use crate::{Cluster, alice_and_bob, assert_exactly_once_in_order, converse, expected};

#[tokio::test]
async fn a_thousand_messages_each_way_cross_processes_once_and_in_order() {
    const EACH: usize = 1000;
    let cluster = Cluster::start().await;
    let (alice, bob, thread) = alice_and_bob(&cluster).await;
    let (mut on_a, _) = Ws::connect_hello(&cluster.a, &alice, "/ws", "alice").await;
    let (mut on_b, _) = Ws::connect_hello(&cluster.b, &bob, "/ws", "bob").await;

    let no_gap = Duration::ZERO;
    let (at_alice, at_bob) = tokio::join!(
        converse(&mut on_a, thread, "alice", (EACH, no_gap), 2 * EACH),
        converse(&mut on_b, thread, "bob", (EACH, no_gap), 2 * EACH),
    );
    let all = expected(&[("alice", EACH), ("bob", EACH)]);
    assert_exactly_once_in_order("alice", &at_alice, &all);
    assert_exactly_once_in_order("bob", &at_bob, &all);
    on_a.expect_no_frame(Duration::from_millis(300)).await;
    on_b.expect_no_frame(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn typing_and_read_events_cross_processes() {
    let cluster = Cluster::start().await;
    let (alice, bob, thread) = alice_and_bob(&cluster).await;
    let (mut on_a, _) = Ws::connect_hello(&cluster.a, &alice, "/ws", "alice").await;
    let (mut on_b, _) = Ws::connect_hello(&cluster.b, &bob, "/ws", "bob").await;

    on_a.send_json(&json!({"type": "typing", "thread": thread}))
        .await;
    assert_eq!(
        on_b.next_json().await,
        json!({"type": "typing", "thread": thread, "user": "alice"})
    );
    on_a.send_message(thread, "read me", "c1").await;
    let message = on_b.next_message().await;
    assert_eq!(on_a.next_message().await["id"], message["id"]);

    on_b.send_json(&json!({"type": "read", "thread": thread, "up_to": id_of(&message)}))
        .await;
    let read = json!({"type": "read", "thread": thread, "user": "bob", "up_to": id_of(&message)});
    assert_eq!(on_a.next_json().await, read, "the read event crossed to A");
    assert_eq!(
        on_b.next_json().await,
        read,
        "and reached the reader's own socket once"
    );
    on_a.expect_no_frame(Duration::from_millis(300)).await;
    on_b.expect_no_frame(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_process_started_later_gets_new_messages() {
    let cluster = Cluster::start().await;
    let (alice, bob, thread) = alice_and_bob(&cluster).await;
    let (mut on_a, _) = Ws::connect_hello(&cluster.a, &alice, "/ws", "alice").await;
    on_a.send_message(thread, "before C", "c0").await;
    let before = on_a.next_message().await;

    let args = cluster.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let c = cluster.a.start_sibling(&args).await;
    let (mut on_c, hello) = Ws::connect_hello(&c, &bob, "/ws", "bob").await;
    assert_eq!(hello["last_id"], before["id"]);

    on_a.send_message(thread, "after C", "c1").await;
    let after = on_c.next_message().await;
    assert_eq!(
        (after["body"].as_str(), after["sender"].as_str()),
        (Some("after C"), Some("alice"))
    );
    on_c.send_message(thread, "from C", "c2").await;
    assert_eq!(on_c.next_message().await["client_id"], "c2");
    let acked = on_a.next_message().await;
    assert_eq!(acked["body"], "after C");
    let from_c = on_a.next_message().await;
    assert_eq!(
        (from_c["body"].as_str(), from_c["sender"].as_str()),
        (Some("from C"), Some("bob"))
    );
    assert!(id_of(&from_c) > id_of(&after));
}
