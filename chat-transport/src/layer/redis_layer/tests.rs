//! The Redis layer: the pure rules (envelopes, coalescing, redaction) as tables,
//! then two layers over a real `redis-server` (started here on a free port;
//! the test fails, never skips, when it cannot be started).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chat_core::{MessageId, ThreadId, UserId};
use tokio::sync::Notify;

use super::{Envelope, Incoming, RedisConfig, RedisLayer, classify, encode, payloads, redact};
use crate::TransportError;
use crate::hub::{Hub, Scope};
use crate::layer::{ChannelLayer, Event};
use crate::wire::ServerFrame;
use crate::ws::WsConfig;
use crate::ws::socket::{Outbound, Receiver, Socket};

const STEP: Duration = Duration::from_secs(5);

fn typing(user: i64, to: i64) -> Event {
    Event::Typing {
        thread: ThreadId(7),
        user: UserId(user),
        username: format!("user{user}"),
        recipients: vec![UserId(to)],
    }
}

fn committed(up_to: i64) -> Event {
    Event::Committed {
        up_to: MessageId(up_to),
    }
}

fn read(up_to: i64) -> Event {
    Event::Read {
        thread: ThreadId(7),
        user: UserId(1),
        username: "user1".to_owned(),
        up_to: MessageId(up_to),
        recipients: vec![UserId(1), UserId(2)],
    }
}

fn message(id: i64) -> Event {
    Event::Message {
        message: crate::testing::wire_message(id, 7),
        client_id: None,
        sender: UserId(1),
        recipients: vec![UserId(2)],
    }
}

#[test]
fn payloads_are_classified_by_origin_and_kind() {
    let from = |origin: u64, event: &Event| encode(origin, event).unwrap();
    let cases: [(Vec<u8>, Incoming); 6] = [
        (from(1, &typing(1, 2)), Incoming::Own),
        (from(1, &committed(9)), Incoming::Own),
        (from(2, &committed(9)), Incoming::Wake(MessageId(9))),
        (from(2, &typing(1, 2)), Incoming::Deliver(typing(1, 2))),
        (from(2, &message(5)), Incoming::Ignore),
        (b"not json".to_vec(), Incoming::Ignore),
    ];
    for (payload, expected) in cases {
        assert_eq!(
            classify(1, &payload),
            expected,
            "{}",
            String::from_utf8_lossy(&payload)
        );
    }
}

#[test]
fn a_batch_keeps_order_and_folds_wake_ups_into_the_highest() {
    let events = [
        committed(3),
        typing(1, 2),
        committed(7),
        message(6),
        committed(5),
        read(4),
    ];
    let decoded: Vec<(u64, Event)> = payloads(42, &events)
        .iter()
        .map(|p| {
            let envelope: Envelope<Event> = serde_json::from_slice(p).unwrap();
            (envelope.origin, envelope.event)
        })
        .collect();
    assert_eq!(
        decoded,
        [(42, typing(1, 2)), (42, read(4)), (42, committed(7))]
    );
    assert!(payloads(42, &[message(1)]).is_empty());
}

#[test]
fn credentials_never_reach_logs() {
    let cases = [
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
        ("redis://:secret@host:6379/2", "redis://***@host:6379/2"),
        ("redis://user:p@ss@host", "redis://***@host"),
        ("redis://host/0?x=a@b", "redis://host/0?x=a@b"),
        ("not a url", "not a url"),
    ];
    for (url, shown) in cases {
        assert_eq!(redact(url), shown, "{url}");
    }
}

#[tokio::test]
async fn an_unreachable_redis_fails_connect_with_the_masked_url() {
    let port = free_port();
    let config = RedisConfig::new(format!("redis://:hunter2@127.0.0.1:{port}"), "chat:test");
    let result = RedisLayer::connect(config, Hub::new(), Arc::new(Notify::new())).await;
    match result {
        Err(TransportError::Redis { url, .. }) => {
            assert_eq!(url, format!("redis://***@127.0.0.1:{port}"));
        }
        other => panic!("expected TransportError::Redis, got {other:?}"),
    }
}

/// Two layers (two "processes") on one channel: events cross once, wake-ups
/// wake only the other side, and after Redis dies and returns everything works
/// again, with a wake-up on reconnection.
#[tokio::test]
async fn two_layers_share_events_and_survive_a_redis_restart() {
    let mut redis = RedisServer::start(free_port());
    let a = Side::connect(&redis).await;
    let b = Side::connect(&redis).await;

    a.layer.publish(typing(1, 2));
    assert_eq!(a.probe.typing_from().await, 1, "local delivery");
    assert_eq!(b.probe.typing_from().await, 1, "delivery through redis");
    a.layer.publish(committed(10));
    tokio::time::timeout(STEP, b.wake.notified()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.probe.expect_nothing();
    b.probe.expect_nothing();
    assert!(wake_pending(&a.wake).await.is_none(), "own wake-up echoed");

    redis.kill();
    wait_for(|| !a.layer.is_connected() && !b.layer.is_connected()).await;
    a.layer.publish(typing(1, 2));
    assert_eq!(
        a.probe.typing_from().await,
        1,
        "local delivery without redis"
    );

    redis.restart();
    wait_for(|| a.layer.is_connected() && b.layer.is_connected()).await;
    tokio::time::timeout(STEP, b.wake.notified()).await.unwrap();
    b.layer.publish(typing(3, 2));
    assert_eq!(
        a.probe.typing_from().await,
        3,
        "delivery after reconnecting"
    );
    assert_eq!(b.probe.typing_from().await, 3);
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.probe.expect_nothing();
    b.probe.expect_nothing();
}

/// One "process": a hub with one socket of user 2, and its layer.
struct Side {
    layer: RedisLayer,
    wake: Arc<Notify>,
    probe: Probe,
}

struct Probe {
    socket: Socket,
    queue: tokio::sync::Mutex<Receiver>,
}

impl Side {
    async fn connect(redis: &RedisServer) -> Self {
        let hub = Hub::new();
        let (socket, queue) = Socket::new(
            hub.next_socket_id(),
            UserId(2),
            Scope::All,
            &WsConfig::default(),
        );
        hub.register(socket.clone());
        let wake = Arc::new(Notify::new());
        let config = RedisConfig::new(redis.url(), "chat:test");
        let layer = RedisLayer::connect(config, hub, Arc::clone(&wake))
            .await
            .unwrap();
        Side {
            layer,
            wake,
            probe: Probe {
                socket,
                queue: tokio::sync::Mutex::new(queue),
            },
        }
    }
}

impl Probe {
    /// The next queued frame, which must be a typing frame; returns the typer's number.
    async fn typing_from(&self) -> i64 {
        let mut queue = self.queue.lock().await;
        let item = tokio::time::timeout(STEP, queue.recv())
            .await
            .expect("no frame within 5 s");
        self.socket.dequeued(&item);
        let Outbound::Live { text, .. } = item else {
            panic!("unexpected {item:?}");
        };
        match serde_json::from_str(text.as_str()).unwrap() {
            ServerFrame::Typing { user, .. } => user.trim_start_matches("user").parse().unwrap(),
            other => panic!("expected typing, got {other:?}"),
        }
    }

    fn expect_nothing(&self) {
        let mut queue = self.queue.try_lock().unwrap();
        if let Some(item) = queue.try_recv() {
            panic!("unexpected frame {item:?}");
        }
    }
}

/// `Some(())` if a permit is stored in `notify` (consumes it).
async fn wake_pending(notify: &Notify) -> Option<()> {
    tokio::time::timeout(Duration::from_millis(50), notify.notified())
        .await
        .ok()
}

async fn wait_for(condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A throwaway `redis-server` (no persistence) on 127.0.0.1; killed on drop.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn start(port: u16) -> Self {
        let mut server = RedisServer { port, child: None };
        server.restart();
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on the same port and waits until it answers.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}); install it (apt-get install redis-server)")
            });
        self.child = Some(child);
        let deadline = std::time::Instant::now() + STEP;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen on port {} within 5 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
