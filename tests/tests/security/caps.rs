//! Caps: at most 16 open sockets per user (the 17th closes the oldest with 1008),
//! and a global connection cap beyond which new connections get 503.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::eventually;
use crate::support::{TestServer, Ws, user};

const SOCKETS_PER_USER: usize = 16;

#[tokio::test]
async fn seventeenth_socket_closes_the_oldest_with_1008() {
    let server = TestServer::start().await;
    let alice = user(&server, "alice").await;
    let mut sockets = Vec::new();
    for _ in 0..SOCKETS_PER_USER {
        sockets.push(Ws::connect_hello(&server, &alice, "/ws", "alice").await.0);
    }
    let (mut newest, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    sockets[0].expect_close(1008, Duration::from_secs(3)).await;
    // The others, and the new one, stay open.
    for ws in &mut sockets[1..] {
        ws.expect_no_frame(Duration::from_millis(20)).await;
    }
    newest.send_text(r#"{"type":"resume","after":0}"#).await;
    assert_eq!(newest.next_json().await["type"], "resumed");
}

#[tokio::test]
async fn connections_beyond_the_cap_get_503() {
    let server = TestServer::start_with(&["--max-connections", "4"]).await;
    let alice = user(&server, "alice").await;
    // Earlier requests' connections may take a moment to be released.
    eventually(Duration::from_secs(5), "server idle", || async {
        raw_get(&server, "/healthz")
            .await
            .starts_with("HTTP/1.1 200 ")
    })
    .await;
    let mut sockets = Vec::new();
    for _ in 0..4 {
        sockets.push(Ws::connect_hello(&server, &alice, "/ws", "alice").await.0);
    }
    let refused = raw_get(&server, "/healthz").await;
    assert!(refused.starts_with("HTTP/1.1 503 "), "{refused:?}");
    assert!(
        refused.to_ascii_lowercase().contains("\r\nretry-after: "),
        "{refused:?}"
    );
    // The open sockets are unaffected, and a freed slot is usable again.
    sockets[1].send_text(r#"{"type":"resume","after":0}"#).await;
    assert_eq!(sockets[1].next_json().await["type"], "resumed");
    drop(sockets.pop());
    eventually(Duration::from_secs(5), "a slot freed", || async {
        raw_get(&server, "/healthz")
            .await
            .starts_with("HTTP/1.1 200 ")
    })
    .await;
}

/// `GET path` on a fresh connection, written and read by hand: the whole answer.
///
/// Not the harness's hyper client: the server answers 503 as soon as it accepts,
/// before reading the request, and hyper's client may then fail with "operation
/// was canceled" (a response before its request was sent) instead of a 503.
async fn raw_get(server: &TestServer, path: &str) -> String {
    let exchange = async {
        let mut stream = TcpStream::connect(server.addr()).await?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&answer).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .expect("no answer within 5 s")
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}
