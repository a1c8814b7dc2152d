use std::time::Duration;

use http::{Method, StatusCode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::http::ServerConfig;
use crate::http::server::overloaded_response;
use crate::testing::{STEP, TestServer, close_code, raw_exchange, read_to_close, request};
use crate::ws::WsConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_reuse_a_keep_alive_connection() {
    let server = TestServer::with_defaults().await;
    let mut client = server.http().await;
    let (status, first) = request(&mut client, Method::GET, "/hello", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.starts_with("hello 127.0.0.1:"), "{first}");
    let (status, second) = request(&mut client, Method::GET, "/hello", "").await;
    assert_eq!(status, StatusCode::OK);
    // Same peer port: the second request came over the same TCP connection.
    assert_eq!(first, second);
    let (status, echoed) = request(&mut client, Method::POST, "/echo", "a=1&b=2").await;
    assert_eq!((status, echoed.as_str()), (StatusCode::OK, "a=1&b=2"));
    let (status, _) = request(&mut client, Method::GET, "/nope", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_up_to_the_limit_are_accepted() {
    let server = TestServer::with_defaults().await;
    let mut client = server.http().await;
    let body = "x".repeat(64 * 1024);
    let (status, echoed) = request(&mut client, Method::POST, "/echo", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(echoed.len(), body.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_responses_and_large_heads() {
    let server = TestServer::with_defaults().await;
    let mut client = server.http().await;
    let (status, body) = request(&mut client, Method::GET, "/big", "").await;
    assert_eq!((status, body.len()), (StatusCode::OK, 1024 * 1024));

    let head = format!(
        "GET /hello HTTP/1.1\r\nhost: x\r\nx-huge: {}\r\n\r\n",
        "h".repeat(40_000)
    );
    let answer = raw_exchange(server.addr, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_with_content_length() {
    let server = TestServer::with_defaults().await;
    let body = "x".repeat(64 * 1024 + 1);
    let mut client = server.http().await;
    let (status, _) = request(&mut client, Method::POST, "/echo", &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Declared too large: refused before the body is even sent.
    let head = "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000\r\n\r\n";
    let answer = raw_exchange(server.addr, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_chunked_bodies_get_413() {
    let server = TestServer::with_defaults().await;
    let mut input =
        b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    let chunk = vec![b'y'; 8 * 1024];
    for _ in 0..9 {
        input.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        input.extend_from_slice(&chunk);
        input.extend_from_slice(b"\r\n");
    }
    input.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(server.addr, &input).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Under the limit, chunked works.
    let small = b"POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let answer = raw_exchange(server.addr, small).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("abc"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_headers_is_dropped() {
    let config = ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = TestServer::start(config, WsConfig::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let trickle = async {
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream
                .write_all(format!("x-slow-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    tokio::time::timeout(STEP, trickle).await.unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // The server gave up long before the 5 s the client wanted to trickle for.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let config = ServerConfig {
        header_read_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = TestServer::start(config, WsConfig::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_get_503() {
    let config = ServerConfig {
        max_connections: 1,
        ..ServerConfig::default()
    };
    let server = TestServer::start(config, WsConfig::default()).await;
    let mut first = server.http().await;
    let (status, _) = request(&mut first, Method::GET, "/hello", "").await;
    assert_eq!(status, StatusCode::OK);

    let answer = raw_exchange(server.addr, b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("server is busy\n"), "{answer}");

    // The held connection still works, and once it is gone a new one is served.
    let (status, _) = request(&mut first, Method::GET, "/hello", "").await;
    assert_eq!(status, StatusCode::OK);
    drop(first);
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let answer = raw_exchange(
            server.addr,
            b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "permit never released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn the_503_is_well_formed() {
    let text = std::str::from_utf8(overloaded_response()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.contains(&format!("content-length: {}", body.len())),
        "{head}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_and_closes_websockets_with_1001() {
    let mut server = TestServer::with_defaults().await;
    let mut ws = server.ws("/ws?user=1").await;
    let mut client = server.http().await;
    let slow = tokio::spawn(async move { request(&mut client, Method::GET, "/slow", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.shutdown();

    assert_eq!(close_code(&mut ws).await, 1001);
    let (status, body) = slow.await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "slow done"));
    let handler = std::sync::Arc::clone(&server.handler);
    let hub = std::sync::Arc::clone(&server.hub);
    let addr = server.addr;
    server.join().await.unwrap();
    // serve returned only after the session ended, and nothing listens any more.
    assert_eq!(hub.socket_count(), 0);
    assert_eq!(handler.closed.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(TcpStream::connect(addr).await.is_err());
}
