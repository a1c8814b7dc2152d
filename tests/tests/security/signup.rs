//! Signup throttling per client address (`--signup-limit`), and which address
//! counts: the TCP peer, or with `--trust-proxy` the last `X-Forwarded-For` hop.

use http::{Method, StatusCode, header};

use crate::retry_after;
use crate::support::client::encode_form;
use crate::support::{Client, GOOD_PASSWORD, Response, TestServer};

/// Signs `name` up from a fresh client, with an `X-Forwarded-For` header if given.
async fn signup(server: &TestServer, name: &str, forwarded_for: Option<&str>) -> Response {
    let mut client = Client::new(server);
    let csrf = client.csrf("/signup").await;
    let body = encode_form(&[
        ("username", name),
        ("password", GOOD_PASSWORD),
        ("password2", GOOD_PASSWORD),
        ("csrf", &csrf),
    ]);
    let mut headers = vec![(
        header::CONTENT_TYPE.as_str(),
        "application/x-www-form-urlencoded",
    )];
    if let Some(value) = forwarded_for {
        headers.push(("x-forwarded-for", value));
    }
    client
        .request(Method::POST, "/signup", &headers, body.into_bytes())
        .await
}

#[track_caller]
fn assert_created(response: &Response, what: &str) {
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{what}: {}",
        response.body
    );
}

#[track_caller]
fn assert_throttled(response: &Response, what: &str) {
    assert_eq!(
        response.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{what}: {}",
        response.body
    );
    assert!(retry_after(response) > 0, "{what}");
}

#[tokio::test]
async fn fourth_signup_from_one_address_is_429_and_creates_nothing() {
    let server = TestServer::start_with(&["--signup-limit", "3"]).await;
    for name in ["ann", "ben", "cat"] {
        assert_created(&signup(&server, name, None).await, name);
    }
    assert_throttled(&signup(&server, "dan", None).await, "4th signup");
    let list = server.cli(&["user", "list"], "").await;
    assert!(list.status.success(), "{}", list.stderr);
    assert!(
        !list.stdout.contains("dan"),
        "dan was created: {}",
        list.stdout
    );
    assert_eq!(list.stdout.lines().count(), 3, "{}", list.stdout);
}

#[tokio::test]
async fn with_trust_proxy_the_last_forwarded_hop_is_the_address() {
    let server = TestServer::start_with(&["--signup-limit", "3", "--trust-proxy"]).await;
    // The client may write anything in front; the proxy appends the real address.
    for (name, xff) in [
        ("ann", "203.0.113.7"),
        ("ben", "10.9.9.9, 203.0.113.7"),
        ("cat", "198.51.100.1,203.0.113.7"),
    ] {
        assert_created(&signup(&server, name, Some(xff)).await, name);
    }
    assert_throttled(
        &signup(&server, "dan", Some("1.2.3.4, 203.0.113.7")).await,
        "4th from .7",
    );
    // Another last hop is another client, whatever came before it.
    assert_created(
        &signup(&server, "eve", Some("203.0.113.7, 203.0.113.8")).await,
        "from .8",
    );
    // So is the proxy's own address when it sends no header (the peer, 127.0.0.1).
    assert_created(&signup(&server, "fay", None).await, "no header");
}

#[tokio::test]
async fn without_trust_proxy_forwarded_for_is_ignored() {
    let server = TestServer::start_with(&["--signup-limit", "3"]).await;
    for (name, xff) in [
        ("ann", "203.0.113.1"),
        ("ben", "203.0.113.2"),
        ("cat", "203.0.113.3"),
    ] {
        assert_created(&signup(&server, name, Some(xff)).await, name);
    }
    assert_throttled(
        &signup(&server, "dan", Some("203.0.113.4")).await,
        "spoofed header",
    );
}

#[tokio::test]
async fn signup_limit_zero_turns_the_throttle_off() {
    let server = TestServer::start_with(&["--signup-limit", "0"]).await;
    for i in 0..5 {
        assert_created(
            &signup(&server, &format!("user{i}"), None).await,
            "unlimited",
        );
    }
}
