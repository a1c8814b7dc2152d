//! Issue 4 over real sockets: the WebSocket protocol, delivery, resume, limits and closes.
//!
//! Every test starts its own server and speaks the wire protocol with tokio-tungstenite,
//! sending the session cookie and the server's own `Origin`. Every wait is bounded.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod access;
mod delivery;
mod events;
mod limits;
mod resume;

use std::time::Duration;

use serde_json::Value;

use support::{Client, TestServer, Ws, id_of, is_rfc3339_utc_millis, user};

/// How long "no frame arrives" is watched for.
const QUIET: Duration = Duration::from_millis(300);

/// Signs up alice and bob and opens their thread.
async fn pair(server: &TestServer) -> (Client, Client, i64) {
    let mut alice = user(server, "alice").await;
    let bob = user(server, "bob").await;
    let thread = alice.open_thread("bob").await;
    (alice, bob, thread)
}

/// Asserts the exact shape of a `message` frame; `client_id` must be absent (or null) when
/// `None`.
#[track_caller]
fn check_message(frame: &Value, thread: i64, sender: &str, body: &str, client_id: Option<&str>) {
    let object = frame
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {frame}"));
    let mut keys: Vec<&str> = object
        .iter()
        .filter(|(k, v)| !(k.as_str() == "client_id" && client_id.is_none() && v.is_null()))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.sort_unstable();
    let mut expected = vec!["body", "id", "sender", "sent_at", "thread", "type"];
    if client_id.is_some() {
        expected.push("client_id");
        expected.sort_unstable();
    }
    assert_eq!(keys, expected, "{frame}");
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["thread"], thread, "{frame}");
    assert_eq!(frame["sender"], sender, "{frame}");
    assert_eq!(frame["body"], body, "{frame}");
    if let Some(client_id) = client_id {
        assert_eq!(frame["client_id"], client_id, "{frame}");
    }
    let sent_at = frame["sent_at"].as_str().expect("sent_at");
    assert!(
        is_rfc3339_utc_millis(sent_at),
        "sent_at {sent_at:?} is not RFC 3339 UTC with milliseconds"
    );
    assert!(id_of(frame) > 0);
}

/// Asserts an `error` frame with `code` (and `client_id` when given).
#[track_caller]
fn check_error(frame: &Value, code: &str, client_id: Option<&str>) {
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["code"], code, "{frame}");
    assert!(
        frame["message"].is_string(),
        "error without message: {frame}"
    );
    match client_id {
        Some(client_id) => assert_eq!(frame["client_id"], client_id, "{frame}"),
        None => assert!(frame["client_id"].is_null(), "{frame}"),
    }
}

fn bodies(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// Reads `acks.len()` message frames and asserts they are exactly `acks` (as seen by a
/// non-sender: no `client_id`), in order.
async fn expect_copies(ws: &mut Ws, acks: &[Value], thread: i64, sender: &str) {
    for ack in acks {
        let frame = ws.next_message().await;
        let body = ack["body"].as_str().expect("body");
        check_message(&frame, thread, sender, body, None);
        assert_eq!(
            frame["id"], ack["id"],
            "out of order or missing: got {frame}, expected {ack}"
        );
    }
}
