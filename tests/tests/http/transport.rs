//! The HTTP layer itself: health, routing errors, body limits, static files, timeouts.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Client, TestServer, user};

#[tokio::test]
async fn healthz_is_ok() {
    let server = TestServer::start().await;
    let response = Client::new(&server).get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, "ok");
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    for path in ["/nope", "/threads/1/nope", "/static/nope.css"] {
        assert_eq!(
            client.get(path).await.status,
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for (method, path) in [
        (Method::DELETE, "/login"),
        (Method::GET, "/logout"),
        (Method::POST, "/healthz"),
        (Method::PUT, "/signup"),
    ] {
        let response = client.request(method.clone(), path, &[], Vec::new()).await;
        assert_eq!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn body_over_64k_is_413() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    let big = "a".repeat(70 * 1024);
    let response = alice
        .post_form(
            &format!("/threads/{thread}/messages"),
            &[("body", &big), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.body
    );
    let login = alice
        .post_form("/login", &[("username", &big), ("password", "x")])
        .await;
    assert_eq!(
        login.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        login.body
    );
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn chunked_body_over_64k_is_413() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let head = format!(
        "POST /threads/{thread}/messages HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr(),
        alice.cookie_header()
    );
    let mut body = format!("csrf={csrf}&body=").into_bytes();
    body.resize(80 * 1024, b'a');
    let send = async {
        stream.write_all(head.as_bytes()).await?;
        for chunk in body.chunks(8 * 1024) {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await?;
        }
        stream.write_all(b"0\r\n\r\n").await
    };
    // The server may answer and close before the whole body is sent.
    let _ = send.await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "expected 413, got {answer:?}"
    );
    assert!(alice.all_messages(thread).await.is_empty());
}

/// The `/static/…` URLs a page links to (`href` or `src`).
fn static_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (start, _) in html.match_indices(attr) {
            let rest = &html[start + attr.len()..];
            if let Some(url) = rest.split('"').next().filter(|u| u.starts_with("/static/")) {
                urls.push(url.to_owned());
            }
        }
    }
    urls
}

#[tokio::test]
async fn static_assets_are_cacheable_with_etag() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    let page = client.get("/login").await;
    let urls = static_urls(&page.body);
    assert!(
        !urls.is_empty(),
        "the login page links no /static/ asset: {}",
        page.body
    );
    for url in urls {
        let asset = client.get(&url).await;
        assert_eq!(asset.status, StatusCode::OK, "GET {url}");
        let etag = asset
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{url} has no ETag"))
            .to_owned();
        let cache = asset
            .headers
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let max_age = cache
            .split(',')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        assert!(max_age >= 86_400 * 30, "{url}: Cache-Control {cache:?}");
        let again = client
            .request(Method::GET, &url, &[("if-none-match", &etag)], Vec::new())
            .await;
        assert_eq!(
            again.status,
            StatusCode::NOT_MODIFIED,
            "{url} with If-None-Match"
        );
    }
}

#[tokio::test]
async fn trickled_headers_are_dropped_after_10_s() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .expect("write");
    // One header byte a second: never a complete request.
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if stream.write_all(b"X").await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(14), trickle).await;
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
    let closed = matches!(read, Ok(Ok(0) | Err(_)))
        || matches!(read, Ok(Ok(n)) if String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"));
    let elapsed = started.elapsed();
    assert!(closed, "connection still open after {elapsed:?}: {read:?}");
    assert!(
        elapsed >= Duration::from_secs(9),
        "dropped too early: {elapsed:?}"
    );
}
