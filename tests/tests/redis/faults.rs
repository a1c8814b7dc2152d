//! Faults: Redis dies and returns while both sides keep sending; a process is
//! killed (SIGKILL) and restarted; Redis is unreachable at start.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::redis_server::closed_port;
use crate::support::{Ended, TestServer, Ws, id_of};
use crate::{
    Cluster, alice_and_bob, assert_exactly_once_in_order, await_log, converse, expected, observe,
};

const LOST: &str = "redis connection lost";
const RESTORED: &str = "redis connection restored";

/// Alice (two sockets on A) and bob (on B) keep sending, one message every
/// 5 ms each, while Redis is killed (SIGKILL) and later started again. Every socket
/// ends with every message exactly once, in order; alice's second socket kept
/// getting A's messages at the sending pace throughout; each process logged
/// the loss once and the recovery once, and typing crosses again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_loses_nothing_and_local_delivery_never_stops() {
    const EACH: usize = 500;
    let mut cluster = Cluster::start().await;
    let (alice, bob, thread) = alice_and_bob(&cluster).await;
    let (mut alice_1, _) = Ws::connect_hello(&cluster.a, &alice, "/ws", "alice").await;
    let (mut alice_2, _) = Ws::connect_hello(&cluster.a, &alice, "/ws", "alice").await;
    let (mut on_b, _) = Ws::connect_hello(&cluster.b, &bob, "/ws", "bob").await;

    let Cluster { redis, a, b } = &mut cluster;
    let outage = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        redis.kill();
        let killed = Instant::now();
        await_log(a, LOST, 1).await;
        await_log(b, LOST, 1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        redis.start_again();
        (killed, Instant::now())
    };
    let pace = (EACH, Duration::from_millis(5));
    let (at_alice_1, at_bob, at_alice_2, (killed, restarted)) = tokio::join!(
        converse(&mut alice_1, thread, "alice", pace, 2 * EACH),
        converse(&mut on_b, thread, "bob", pace, 2 * EACH),
        observe(&mut alice_2, 2 * EACH),
        outage,
    );

    let all = expected(&[("alice", EACH), ("bob", EACH)]);
    assert_exactly_once_in_order("alice", &at_alice_1, &all);
    assert_exactly_once_in_order("bob", &at_bob, &all);
    let frames: Vec<Value> = at_alice_2.iter().map(|(_, f)| f.clone()).collect();
    assert_exactly_once_in_order("alice", &frames, &all);
    assert_local_delivery_kept_pace(&at_alice_2, killed, restarted);

    await_log(a, RESTORED, 1).await;
    await_log(b, RESTORED, 1).await;
    for server in [&*a, &*b] {
        assert_eq!(
            server.stderr().matches(LOST).count(),
            1,
            "{}",
            server.stderr()
        );
    }
    alice_1
        .send_json(&json!({"type": "typing", "thread": thread}))
        .await;
    assert_eq!(
        on_b.next_json().await,
        json!({"type": "typing", "thread": thread, "user": "alice"}),
        "typing crosses again once Redis is back"
    );
}

/// Alice's messages reached her other socket on A without a pause while Redis
/// was down: many arrived during the outage, none more than 600 ms after the
/// one before (the database poll that stands in for Redis between processes
/// runs once a second).
#[track_caller]
fn assert_local_delivery_kept_pace(frames: &[(Instant, Value)], killed: Instant, back: Instant) {
    let own: Vec<Instant> = frames
        .iter()
        .filter(|(_, f)| f["sender"] == "alice")
        .map(|(at, _)| *at)
        .collect();
    let during = own.iter().filter(|at| (killed..back).contains(*at)).count();
    assert!(
        during >= 50,
        "only {during} of alice's messages arrived on A during the outage"
    );
    let longest = own
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    assert!(
        longest < Duration::from_millis(600),
        "local delivery paused for {longest:?}"
    );
}

/// B is killed (SIGKILL); alice sends 300 messages meanwhile; B starts again and bob's
/// reconnecting client resumes with exactly those, then live delivery works
/// both ways again.
#[tokio::test]
async fn a_killed_process_restarts_and_its_client_resumes_with_nothing_missing() {
    let mut cluster = Cluster::start().await;
    let (alice, bob, thread) = alice_and_bob(&cluster).await;
    let (mut on_a, _) = Ws::connect_hello(&cluster.a, &alice, "/ws", "alice").await;
    let (mut on_b, _) = Ws::connect_hello(&cluster.b, &bob, "/ws", "bob").await;
    let no_gap = Duration::ZERO;
    let (_, before) = tokio::join!(
        converse(&mut on_a, thread, "warm-a", (20, no_gap), 40),
        converse(&mut on_b, thread, "warm-b", (20, no_gap), 40),
    );
    let bob_has = id_of(before.last().expect("bob got messages"));

    cluster.b.kill();
    let (ended, _) = on_b.read_until_end(Duration::from_secs(5)).await;
    assert!(matches!(ended, Ended::Dropped(_)), "{ended:?}");
    let while_down = converse(&mut on_a, thread, "down", (300, no_gap), 300).await;

    cluster.b.start_again().await;
    let (mut on_b, hello) = Ws::connect_hello(&cluster.b, &bob, "/ws", "bob").await;
    let newest = id_of(while_down.last().expect("acks"));
    assert_eq!(hello["last_id"], newest);
    on_b.send_json(&json!({"type": "resume", "after": bob_has}))
        .await;
    let (replayed, resumed) = read_replay(&mut on_b).await;
    assert_exactly_once_in_order("bob", &replayed, &expected(&[("down", 300)]));
    assert_eq!(resumed, json!({"type": "resumed", "last_id": newest}));

    let (at_alice, at_bob) = tokio::join!(
        converse(&mut on_a, thread, "again-a", (50, no_gap), 100),
        converse(&mut on_b, thread, "again-b", (50, no_gap), 100),
    );
    let again = expected(&[("again-a", 50), ("again-b", 50)]);
    assert_exactly_once_in_order("alice", &at_alice, &again);
    assert_exactly_once_in_order("bob", &at_bob, &again);
}

/// The message frames of a replay and the `resumed` frame that ends it.
async fn read_replay(ws: &mut Ws) -> (Vec<Value>, Value) {
    let mut messages = Vec::new();
    loop {
        let frame = ws.next_json().await;
        match frame["type"].as_str() {
            Some("message") => messages.push(frame),
            Some("resumed") => return (messages, frame),
            _ => panic!("unexpected frame during replay: {frame}"),
        }
    }
}

#[tokio::test]
async fn an_unreachable_redis_stops_the_server_at_start_with_a_clear_error() {
    let server = TestServer::start().await;
    let port = closed_port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}");
    let out = server
        .cli(&["serve", "--addr", "127.0.0.1:0", "--redis", &url], "")
        .await;
    assert!(!out.status.success(), "exit {}: {}", out.status, out.stderr);
    let shown = format!("cannot connect to redis at redis://***@127.0.0.1:{port}");
    assert!(out.stderr.contains(&shown), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("--redis"), "stderr: {}", out.stderr);
    assert!(
        !out.stderr.contains("hunter2"),
        "password leaked: {}",
        out.stderr
    );
    assert!(!out.stdout.contains("listening"), "stdout: {}", out.stdout);
}
