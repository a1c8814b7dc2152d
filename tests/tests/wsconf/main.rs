//! WebSocket conformance of `/ws`, ported from the relevant Autobahn test suite
//! categories (numbers in each test's comment) and run against the real server
//! with a logged-in session. Frames are written byte by byte over a plain TCP
//! stream after an upgrade done by hand, so malformed frames reach the server
//! exactly as sent.
//!
//! Expected answers follow RFC 6455 and the server's contract (issue 4): protocol
//! errors close with 1002, invalid UTF-8 with 1007, a message over 64 KiB with
//! 1009, binary data with 1003 (the chat speaks JSON text only).

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod close;
mod control;
mod errors;
mod framing;
mod raw;

use serde_json::{Value, json};

use raw::RawWs;
use support::{Client, TestServer, user};

/// A server, alice logged in, and her thread with bob.
async fn alice_and_thread() -> (TestServer, Client, i64) {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let _bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    (server, alice, thread)
}

/// A server and alice logged in (no thread).
async fn alice_alone() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let alice = user(&server, "alice").await;
    (server, alice)
}

/// A `send` frame's JSON text.
fn send_frame(thread: i64, body: &str, client_id: &str) -> String {
    json!({"type": "send", "thread": thread, "body": body, "client_id": client_id}).to_string()
}

/// Reads frames until the acknowledgement of `client_id`; returns its body.
async fn ack_body(ws: &mut RawWs, client_id: &str) -> String {
    loop {
        let frame = ws.next_text_json().await;
        assert_ne!(frame["type"], "error", "send {client_id} refused: {frame}");
        if frame["type"] == "message" && frame["client_id"] == client_id {
            return frame["body"].as_str().expect("body").to_owned();
        }
    }
}

/// Sends `resume` and waits for `resumed`: proves the socket still works.
async fn still_works(ws: &mut RawWs) {
    ws.send_text(r#"{"type":"resume","after":0}"#).await;
    loop {
        let frame: Value = ws.next_text_json().await;
        if frame["type"] == "resumed" {
            return;
        }
        assert_eq!(frame["type"], "message", "unexpected frame: {frame}");
    }
}
