//! Who may open a socket and send on it, and when the server closes it (1008).

use std::time::Duration;

use crate::support::{TestServer, Ws, WsOptions, refusal_status, user};
use crate::{QUIET, check_error, pair};

#[tokio::test]
async fn thread_socket_of_a_non_member_is_404_before_upgrade() {
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
async fn anonymous_upgrade_is_401() {
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
async fn foreign_origins_are_403() {
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
async fn allowed_origin_is_accepted_exactly() {
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
async fn non_member_send_is_refused_and_stores_nothing() {
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
async fn logout_closes_that_users_sockets_with_1008() {
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
async fn user_passwd_closes_that_users_sockets_with_1008() {
    let server = TestServer::start().await;
    let (alice, _, _) = pair(&server).await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    let changed = server
        .cli(&["user", "passwd", "alice"], "Brand-New-Pass-2024\n")
        .await;
    assert!(changed.status.success(), "user passwd: {changed:?}");
    // The CLI is another process; the contract still says within 1 s of the change.
    ws.expect_close(1008, Duration::from_secs(1)).await;
}
