use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use chat_core::{MessageId, ThreadId, UserId};
use futures_util::{SinkExt, StreamExt};
use http::{Method, StatusCode, header};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use super::{WsConfig, upgrade};
use crate::http::{Request, ServerConfig};
use crate::hub::{Hub, Scope};
use crate::layer::Event;
use crate::testing::{
    HELLO_LAST_ID, STEP, TestHandler, TestServer, close_code, eventually, next_frame, wire_message,
};
use crate::wire::{ErrorCode, ServerFrame, WireMessage};

fn upgrade_request() -> Request {
    Request::for_test(Method::GET, "/ws")
        .with_header(header::HOST, "127.0.0.1:8080")
        .with_header(header::UPGRADE, "websocket")
        .with_header(header::CONNECTION, "keep-alive, Upgrade")
        .with_header(header::SEC_WEBSOCKET_VERSION, "13")
        .with_header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
}

fn try_upgrade(mut req: Request) -> crate::http::Response {
    let handler = Arc::new(TestHandler::default());
    upgrade(
        &mut req,
        Hub::new(),
        UserId(1),
        Scope::All,
        handler,
        WsConfig::default(),
    )
}

#[test]
fn a_valid_upgrade_gets_101_with_the_accept_key() {
    let response = try_upgrade(upgrade_request());
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    // The example from RFC 6455 §1.3.
    assert_eq!(
        response.headers()[header::SEC_WEBSOCKET_ACCEPT],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(response.headers()[header::UPGRADE], "websocket");
    // A test request has no connection to take over.
    assert!(!response.has_upgrade());
}

#[test]
fn invalid_upgrades_get_400() {
    let replace = |name: header::HeaderName, value: Option<&str>| {
        let mut req = upgrade_request();
        req.headers.remove(&name);
        if let Some(value) = value {
            req = req.with_header(name, value);
        }
        req
    };
    let mut post = upgrade_request();
    post.method = Method::POST;
    let cases = [
        post,
        replace(header::UPGRADE, None),
        replace(header::UPGRADE, Some("h2c")),
        replace(header::CONNECTION, Some("keep-alive")),
        replace(header::SEC_WEBSOCKET_VERSION, None),
        replace(header::SEC_WEBSOCKET_VERSION, Some("8")),
        replace(header::SEC_WEBSOCKET_KEY, None),
        replace(header::SEC_WEBSOCKET_KEY, Some("short")),
        replace(header::SEC_WEBSOCKET_KEY, Some("dGhlIHNhbXBsZSBub25jZQ=!")),
        replace(header::SEC_WEBSOCKET_KEY, Some("dGhlIHNhbXBsZSBub25j*Q==")),
    ];
    for req in cases {
        let headers = format!("{:?}", req.headers);
        let response = try_upgrade(req);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{headers}");
        assert!(!response.has_upgrade());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_both_sides_and_only_the_sender_sees_its_client_id() {
    let server = TestServer::with_defaults().await;
    let mut alice = server.ws("/ws?user=1").await;
    let mut bob = server.ws("/ws?user=2").await;
    let mut bob_other_thread = server.ws("/ws?user=2&thread=9").await;
    server.wait_for_sockets(3).await;

    let send = r#"{"type":"send","thread":1,"body":"2","client_id":"c-1","sender":"mallory"}"#;
    alice.send(Message::text(send)).await.unwrap();

    let expected = wire_message(HELLO_LAST_ID + 1, 1);
    let with_client_id = WireMessage {
        client_id: Some("c-1".to_owned()),
        ..expected.clone()
    };
    assert_eq!(
        next_frame(&mut alice).await,
        ServerFrame::Message(with_client_id)
    );
    assert_eq!(next_frame(&mut bob).await, ServerFrame::Message(expected));
    // The handler saw the frame without any "sender".
    assert_eq!(server.handler.frames.lock().unwrap().len(), 1);

    // The thread-9 socket got nothing: the next thing it sees is its own close.
    bob_other_thread
        .send(Message::text(r#"{"type":"read","up_to":4000}"#))
        .await
        .unwrap();
    assert_eq!(close_code(&mut bob_other_thread).await, 4000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_get_bad_frame_and_the_socket_stays_open() {
    let server = TestServer::with_defaults().await;
    let mut client = server.ws("/ws?user=1").await;
    for text in ["not json", r#"{"type":"shout"}"#, r#"{"type":"send"}"#] {
        client.send(Message::text(text)).await.unwrap();
        match next_frame(&mut client).await {
            ServerFrame::Error {
                code, client_id, ..
            } => {
                assert_eq!((code, client_id), (ErrorCode::BadFrame, None), "{text}");
            }
            other => panic!("expected an error frame, got {other:?}"),
        }
    }
    // Still open and served.
    client
        .send(Message::text(r#"{"type":"send","body":"x"}"#))
        .await
        .unwrap();
    assert!(matches!(
        next_frame(&mut client).await,
        ServerFrame::Message(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_at_the_limit_is_accepted_and_one_byte_more_closes_1009() {
    let server = TestServer::with_defaults().await;
    let mut client = server.ws("/ws?user=1").await;
    let frame = |len: usize| {
        let prefix = r#"{"type":"typing","pad":""#;
        let padding = "x".repeat(len - prefix.len() - 2);
        format!("{prefix}{padding}\"}}")
    };
    let at_limit = frame(64 * 1024);
    assert_eq!(at_limit.len(), 64 * 1024);
    client.send(Message::text(at_limit)).await.unwrap();
    let handler = Arc::clone(&server.handler);
    eventually(move || handler.frames.lock().unwrap().len() == 1).await;

    client
        .send(Message::text(frame(64 * 1024 + 1)))
        .await
        .unwrap();
    assert_eq!(close_code(&mut client).await, 1009);
    server.wait_for_sockets(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_frames_close_1003() {
    let server = TestServer::with_defaults().await;
    let mut client = server.ws("/ws?user=1").await;
    client
        .send(Message::Binary(Bytes::from_static(b"\x00\x01")))
        .await
        .unwrap();
    assert_eq!(close_code(&mut client).await, 1003);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_closes_1007() {
    let server = TestServer::with_defaults().await;
    let mut client = server.ws("/ws?user=1").await;
    let frame = Frame::message(
        Bytes::from_static(b"{\"a\":\"\xff\xfe\"}"),
        OpCode::Data(Data::Text),
        true,
    );
    client.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(close_code(&mut client).await, 1007);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_user_closes_every_socket_of_the_user_with_1008() {
    let server = TestServer::with_defaults().await;
    let mut first = server.ws("/ws?user=1").await;
    let mut second = server.ws("/ws?user=1&thread=3").await;
    let mut other = server.ws("/ws?user=2").await;
    server.wait_for_sockets(3).await;

    server.hub.deliver(&Event::CloseUser {
        user: UserId(1),
        code: 1008,
        reason: "logged out".to_owned(),
    });

    assert_eq!(close_code(&mut first).await, 1008);
    assert_eq!(close_code(&mut second).await, 1008);
    server.wait_for_sockets(1).await;
    assert_eq!(server.hub.user_socket_count(UserId(2)), 1);
    other
        .send(Message::text(r#"{"type":"send","body":"x"}"#))
        .await
        .unwrap();
    assert!(matches!(
        next_frame(&mut other).await,
        ServerFrame::Message(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_close_unregisters_the_socket_and_calls_on_close() {
    let server = TestServer::with_defaults().await;
    let mut client = server.ws("/ws?user=1").await;
    server.wait_for_sockets(1).await;
    client.close(None).await.unwrap();
    // The server answers the close handshake, then the stream ends.
    let rest = tokio::time::timeout(STEP, async {
        let mut frames = Vec::new();
        while let Some(Ok(message)) = client.next().await {
            frames.push(message);
        }
        frames
    });
    let frames = rest.await.unwrap();
    assert!(
        frames.iter().all(|m| matches!(m, Message::Close(_))),
        "{frames:?}"
    );
    server.wait_for_sockets(0).await;
    let handler = Arc::clone(&server.handler);
    eventually(move || handler.closed.load(Ordering::SeqCst) == 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_messages_are_filtered_against_hello_and_merged_with_a_replay() {
    let server = TestServer::with_defaults().await;
    let mut client = server.ws("/ws?user=1").await;
    server.wait_for_sockets(1).await;
    let deliver = |id: i64| {
        server.hub.deliver(&Event::Message {
            message: wire_message(id, 1),
            client_id: None,
            sender: UserId(2),
            recipients: vec![UserId(1)],
        });
    };
    deliver(HELLO_LAST_ID); // committed before the hello: the client resumes for it
    deliver(HELLO_LAST_ID + 1);
    let ids = |frame: ServerFrame| match frame {
        ServerFrame::Message(message) => format!("m{}", message.id),
        ServerFrame::Resumed { last_id, truncated } => format!("resumed {last_id} {truncated}"),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(ids(next_frame(&mut client).await), "m101");

    // Replays 100, 101, 102: 101 was already written live.
    let resume = format!(r#"{{"type":"resume","after":{}}}"#, HELLO_LAST_ID - 1);
    client.send(Message::text(resume)).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(ids(next_frame(&mut client).await));
    }
    assert_eq!(seen, ["m100", "m102", "resumed 102 false"]);

    deliver(HELLO_LAST_ID + 2); // already replayed
    deliver(HELLO_LAST_ID + 3);
    assert_eq!(ids(next_frame(&mut client).await), "m103");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_is_closed_1013_while_others_keep_receiving() {
    let ws = WsConfig {
        queue_bytes: 256 * 1024,
        ..WsConfig::default()
    };
    let server = TestServer::start(ServerConfig::default(), ws).await;
    let mut stalled = server.ws("/ws?user=1").await;
    let mut reader = server.ws("/ws?user=2").await;
    server.wait_for_sockets(2).await;
    let stalled_socket = server.handler.sockets.lock().unwrap()[0].clone();
    assert_eq!(stalled_socket.user(), UserId(1));

    let body = "b".repeat(60 * 1024);
    let mut delivered = 0;
    while !stalled_socket.is_closed() {
        delivered += 1;
        assert!(delivered < 2_000, "the stalled socket was never closed");
        server.hub.deliver(&Event::Message {
            message: WireMessage {
                body: body.clone(),
                ..wire_message(1_000 + delivered, 1)
            },
            client_id: None,
            sender: UserId(3),
            recipients: vec![UserId(1), UserId(2)],
        });
        match next_frame(&mut reader).await {
            ServerFrame::Message(message) => assert_eq!(message.id, MessageId(1_000 + delivered)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(close_code(&mut stalled).await, 1013);
    // The other socket is unaffected.
    assert!(!server.handler.sockets.lock().unwrap()[1].is_closed());
    server.hub.deliver(&Event::Typing {
        thread: ThreadId(1),
        user: UserId(3),
        username: "carol".to_owned(),
        recipients: vec![UserId(2)],
    });
    assert!(matches!(
        next_frame(&mut reader).await,
        ServerFrame::Typing { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unresponsive_client_is_closed_after_two_missed_pongs() {
    let ws = WsConfig {
        ping_interval: Duration::from_millis(200),
        ..WsConfig::default()
    };
    let server = TestServer::start(ServerConfig::default(), ws).await;
    let mut silent = server.ws("/ws?user=1").await;
    let mut lively = server.ws("/ws?user=2").await;
    // `lively` keeps reading (tungstenite answers pings while reading); `silent` does not.
    let lively_reader = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(1_200);
        loop {
            match tokio::time::timeout_at(deadline, lively.next()).await {
                Err(_) => break,
                Ok(Some(Ok(Message::Ping(_)))) => {}
                Ok(other) => panic!("lively got {other:?}"),
            }
        }
        lively
    });
    // Pings at 200 and 400 ms go unanswered; the tick at 600 ms closes. Reading
    // `silent` any earlier would answer the pings.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(close_code(&mut silent).await, 1001);
    let mut lively = lively_reader.await.unwrap();
    lively
        .send(Message::text(r#"{"type":"send","body":"x"}"#))
        .await
        .unwrap();
    assert!(matches!(
        next_frame(&mut lively).await,
        ServerFrame::Message(_)
    ));
}
