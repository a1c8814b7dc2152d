use std::sync::Arc;

use chat_core::{MessageId, ThreadId, UserId};

use super::{Hub, Scope, Unique};
use crate::layer::{ChannelLayer, Event, MemoryLayer};
use crate::wire::{ServerFrame, WireMessage};
use crate::ws::WsConfig;
use crate::ws::socket::{Outbound, Receiver, Socket};

struct Fixture {
    hub: Arc<Hub>,
}

/// A socket registered in the hub, with the receiving end a session writer would own.
struct Probe {
    socket: Socket,
    queue: Receiver,
}

impl Fixture {
    fn new() -> Self {
        Fixture { hub: Hub::new() }
    }

    fn socket(&self, user: i64, scope: Scope) -> Probe {
        self.socket_with(user, scope, &WsConfig::default())
    }

    fn socket_with(&self, user: i64, scope: Scope, config: &WsConfig) -> Probe {
        let (socket, queue) = Socket::new(self.hub.next_socket_id(), UserId(user), scope, config);
        self.hub.register(socket.clone());
        Probe { socket, queue }
    }
}

impl Probe {
    /// Everything queued so far, as (decoded frame, message id) pairs.
    fn drain(&mut self) -> Vec<(ServerFrame, Option<MessageId>)> {
        let mut frames = Vec::new();
        while let Some(item) = self.queue.try_recv() {
            self.socket.dequeued(&item);
            match item {
                Outbound::Live { text, message_id } => {
                    frames.push((serde_json::from_str(text.as_str()).unwrap(), message_id));
                }
                other => panic!("unexpected queue item {other:?}"),
            }
        }
        frames
    }

    fn drain_raw(&mut self) -> Vec<tokio_tungstenite::tungstenite::Utf8Bytes> {
        let mut texts = Vec::new();
        while let Some(item) = self.queue.try_recv() {
            self.socket.dequeued(&item);
            if let Outbound::Live { text, .. } = item {
                texts.push(text);
            }
        }
        texts
    }
}

fn wire(id: i64, thread: i64) -> WireMessage {
    WireMessage {
        id: MessageId(id),
        thread: ThreadId(thread),
        sender: "alice".to_owned(),
        body: format!("message {id}"),
        sent_at: "2025-01-01T00:00:00Z".to_owned(),
        client_id: None,
    }
}

fn message_event(
    id: i64,
    thread: i64,
    sender: i64,
    recipients: &[i64],
    client_id: Option<&str>,
) -> Event {
    Event::Message {
        message: wire(id, thread),
        client_id: client_id.map(str::to_owned),
        sender: UserId(sender),
        recipients: recipients.iter().copied().map(UserId).collect(),
    }
}

fn message_ids(frames: &[(ServerFrame, Option<MessageId>)]) -> Vec<i64> {
    frames
        .iter()
        .map(|(frame, id)| match frame {
            ServerFrame::Message(message) => {
                assert_eq!(Some(message.id), *id, "queue item carries the message id");
                message.id.get()
            }
            other => panic!("not a message: {other:?}"),
        })
        .collect()
}

#[test]
fn thread_scoped_sockets_only_get_their_thread() {
    let fixture = Fixture::new();
    let mut all = fixture.socket(2, Scope::All);
    let mut seven = fixture.socket(2, Scope::Thread(ThreadId(7)));
    let mut eight = fixture.socket(2, Scope::Thread(ThreadId(8)));

    fixture.hub.deliver(&message_event(1, 7, 1, &[1, 2], None));
    fixture.hub.deliver(&message_event(2, 8, 1, &[1, 2], None));

    assert_eq!(message_ids(&all.drain()), [1, 2]);
    assert_eq!(message_ids(&seven.drain()), [1]);
    assert_eq!(message_ids(&eight.drain()), [2]);
}

#[test]
fn only_the_senders_copies_carry_the_client_id() {
    let fixture = Fixture::new();
    let mut sender_a = fixture.socket(1, Scope::All);
    let mut sender_b = fixture.socket(1, Scope::Thread(ThreadId(7)));
    let mut other_a = fixture.socket(2, Scope::All);
    let mut other_b = fixture.socket(2, Scope::All);

    fixture
        .hub
        .deliver(&message_event(5, 7, 1, &[1, 2], Some("c-1")));

    let expected_sender = ServerFrame::Message(WireMessage {
        client_id: Some("c-1".to_owned()),
        ..wire(5, 7)
    });
    let expected_other = ServerFrame::Message(wire(5, 7));
    for probe in [&mut sender_a, &mut sender_b] {
        assert_eq!(
            probe.drain(),
            [(expected_sender.clone(), Some(MessageId(5)))]
        );
    }
    // Encoded once for everyone else: both sockets share the same bytes.
    let a = other_a.drain_raw();
    let b = other_b.drain_raw();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].as_str().as_ptr(), b[0].as_str().as_ptr());
    assert_eq!(
        serde_json::from_str::<ServerFrame>(a[0].as_str()).unwrap(),
        expected_other
    );
}

#[test]
fn the_sender_gets_its_copy_even_when_not_listed_and_duplicates_collapse() {
    let fixture = Fixture::new();
    let mut sender = fixture.socket(1, Scope::All);
    let mut other = fixture.socket(2, Scope::All);
    let mut stranger = fixture.socket(3, Scope::All);

    fixture.hub.deliver(&message_event(9, 7, 1, &[2, 2], None));

    assert_eq!(message_ids(&sender.drain()), [9]);
    assert_eq!(message_ids(&other.drain()), [9]);
    assert!(stranger.drain().is_empty());
}

#[test]
fn typing_skips_the_typers_own_sockets() {
    let fixture = Fixture::new();
    let mut typer = fixture.socket(1, Scope::All);
    let mut other = fixture.socket(2, Scope::Thread(ThreadId(7)));
    let mut other_elsewhere = fixture.socket(2, Scope::Thread(ThreadId(8)));

    fixture.hub.deliver(&Event::Typing {
        thread: ThreadId(7),
        user: UserId(1),
        username: "alice".to_owned(),
        recipients: vec![UserId(1), UserId(2)],
    });

    assert!(typer.drain().is_empty());
    assert!(other_elsewhere.drain().is_empty());
    assert_eq!(
        other.drain(),
        [(
            ServerFrame::Typing {
                thread: ThreadId(7),
                user: "alice".to_owned()
            },
            None
        )]
    );
}

#[test]
fn read_receipts_reach_every_recipient_including_the_readers_other_tabs() {
    let fixture = Fixture::new();
    let mut reader = fixture.socket(1, Scope::All);
    let mut other = fixture.socket(2, Scope::All);

    fixture.hub.deliver(&Event::Read {
        thread: ThreadId(7),
        user: UserId(1),
        username: "alice".to_owned(),
        up_to: MessageId(40),
        recipients: vec![UserId(1), UserId(2)],
    });

    let expected = ServerFrame::Read {
        thread: ThreadId(7),
        user: "alice".to_owned(),
        up_to: MessageId(40),
    };
    assert_eq!(reader.drain(), [(expected.clone(), None)]);
    assert_eq!(other.drain(), [(expected, None)]);
}

#[test]
fn close_user_closes_all_and_only_that_users_sockets() {
    let fixture = Fixture::new();
    let a = fixture.socket(1, Scope::All);
    let b = fixture.socket(1, Scope::Thread(ThreadId(3)));
    let c = fixture.socket(2, Scope::All);

    let layer = MemoryLayer::new(Arc::clone(&fixture.hub));
    layer.publish(Event::CloseUser {
        user: UserId(1),
        code: 1008,
        reason: "logged out".to_owned(),
    });

    for probe in [&a, &b] {
        let request = probe.socket.close_request().unwrap();
        assert_eq!(
            (request.code, request.reason.as_str()),
            (1008, "logged out")
        );
        assert!(probe.socket.is_closed());
    }
    assert!(c.socket.close_request().is_none());
    // A closing socket accepts nothing more.
    assert!(!a.socket.send(&ServerFrame::Resumed {
        last_id: MessageId(1),
        truncated: false
    }));
}

#[test]
fn counts_follow_register_and_unregister() {
    let fixture = Fixture::new();
    let a = fixture.socket(1, Scope::All);
    let b = fixture.socket(1, Scope::All);
    let _c = fixture.socket(2, Scope::All);
    assert_eq!(fixture.hub.socket_count(), 3);
    assert_eq!(fixture.hub.user_socket_count(UserId(1)), 2);

    fixture.hub.unregister(&a.socket);
    fixture.hub.unregister(&a.socket); // idempotent
    assert_eq!(fixture.hub.socket_count(), 2);
    assert_eq!(fixture.hub.user_socket_count(UserId(1)), 1);
    fixture.hub.unregister(&b.socket);
    assert_eq!(fixture.hub.user_socket_count(UserId(1)), 0);
    assert_eq!(fixture.hub.user_socket_count(UserId(9)), 0);
}

#[test]
fn a_full_queue_closes_that_socket_only() {
    let fixture = Fixture::new();
    let config = WsConfig {
        queue_frames: 2,
        ..WsConfig::default()
    };
    let mut stalled = fixture.socket_with(1, Scope::All, &config);
    let mut reading = fixture.socket_with(2, Scope::All, &config);

    let mut received = Vec::new();
    for id in 1..=5 {
        fixture.hub.deliver(&message_event(id, 7, 3, &[1, 2], None));
        received.extend(message_ids(&reading.drain()));
    }

    assert_eq!(received, [1, 2, 3, 4, 5]);
    assert!(reading.socket.close_request().is_none());
    let request = stalled.socket.close_request().unwrap();
    assert_eq!(request.code, 1013);
    assert_eq!(message_ids(&stalled.drain()), [1, 2]);
}

#[test]
fn queued_bytes_are_bounded_too() {
    let fixture = Fixture::new();
    // Room for four and a half frames: the fifth would exceed it.
    let frame_len = ServerFrame::Message(wire(1, 7)).encode().len();
    let config = WsConfig {
        queue_bytes: frame_len * 4 + frame_len / 2,
        ..WsConfig::default()
    };
    let mut stalled = fixture.socket_with(1, Scope::All, &config);
    for id in 1..=5 {
        fixture.hub.deliver(&message_event(id, 7, 3, &[1], None));
    }
    assert_eq!(stalled.socket.close_request().unwrap().code, 1013);
    assert_eq!(message_ids(&stalled.drain()), [1, 2, 3, 4]);

    // Draining releases the bytes.
    let mut fresh = fixture.socket_with(2, Scope::All, &config);
    for id in 1..=20 {
        fixture.hub.deliver(&message_event(id, 7, 3, &[2], None));
        assert_eq!(message_ids(&fresh.drain()), [id]);
    }
    assert!(fresh.socket.close_request().is_none());
}

#[test]
fn events_round_trip_through_json() {
    let events = [
        message_event(1, 7, 1, &[1, 2], Some("c")),
        Event::Typing {
            thread: ThreadId(7),
            user: UserId(1),
            username: "alice".to_owned(),
            recipients: vec![UserId(2)],
        },
        Event::Read {
            thread: ThreadId(7),
            user: UserId(1),
            username: "alice".to_owned(),
            up_to: MessageId(3),
            recipients: vec![UserId(2)],
        },
        Event::CloseUser {
            user: UserId(1),
            code: 1008,
            reason: "bye".to_owned(),
        },
    ];
    for event in events {
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
    }
}

#[test]
fn each_user_is_visited_once_in_first_seen_order_however_long_the_list() {
    let cases: Vec<(Vec<i64>, Vec<i64>)> = vec![
        (vec![], vec![]),
        (vec![1, 2, 1, 2], vec![1, 2]),
        ((1..=8).chain(1..=8).collect(), (1..=8).collect()),
        (
            (1..=20).chain([3, 12, 20, 9]).chain(15..=25).collect(),
            (1..=25).collect(),
        ),
    ];
    for (users, expected) in cases {
        let seen: Vec<i64> = Unique::new(users.iter().copied().map(UserId))
            .map(UserId::get)
            .collect();
        assert_eq!(seen, expected, "{users:?}");
    }
}

#[test]
fn every_tab_of_a_user_gets_the_same_encoded_frame() {
    let fixture = Fixture::new();
    let mut alice = fixture.socket(1, Scope::All);
    let mut bob_tabs = [fixture.socket(2, Scope::All), fixture.socket(2, Scope::All)];
    fixture
        .hub
        .deliver(&message_event(1, 7, 1, &[1, 2], Some("c-1")));
    let [own] = <[_; 1]>::try_from(alice.drain_raw()).unwrap();
    assert!(own.as_str().contains(r#""client_id":"c-1""#), "{own}");
    let [first, second] = bob_tabs.each_mut().map(|tab| {
        let [text] = <[_; 1]>::try_from(tab.drain_raw()).unwrap();
        text
    });
    assert!(!first.as_str().contains("client_id"), "{first}");
    // One encoding, shared: not a copy per socket.
    assert_eq!(first.as_str().as_ptr(), second.as_str().as_ptr());
}
