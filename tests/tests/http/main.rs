//! Issue 3 over real HTTP: accounts, sessions, CSRF, pages, the JSON API and the CLI.
//!
//! Every test starts its own server (`127.0.0.1:0`, temp-dir database) and drives it like a
//! browser: GET the form, POST it back with the CSRF token and cookies, never follow redirects.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod accounts;
mod api;
mod cli;
mod csrf;
mod pages;
mod sessions;
mod transport;

use http::StatusCode;
use serde_json::Value;

use support::{Client, TestServer, is_rfc3339_utc_millis};

/// Asserts a status in 400..=499.
#[track_caller]
fn assert_client_error(response: &support::Response, what: &str) {
    assert!(
        response.status.is_client_error(),
        "{what}: expected 4xx, got {} {}",
        response.status,
        response.body
    );
}

/// Asserts that `name` cannot log in with `password` (generic failure, no session).
async fn assert_cannot_login(server: &TestServer, name: &str, password: &str) {
    let mut client = Client::new(server);
    let response = client.try_login(name, password, None).await;
    assert_ne!(
        response.status,
        StatusCode::SEE_OTHER,
        "{name} logged in: {response:?}"
    );
    assert!(
        client.cookie("chat_session").is_none(),
        "{name} got a session"
    );
}

/// Asserts the exact API message shape and returns `(id, sender, body)`.
#[track_caller]
fn check_api_message(message: &Value, thread: i64) -> (i64, String, String) {
    let mut keys: Vec<&str> = message
        .as_object()
        .unwrap_or_else(|| panic!("message is not an object: {message}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["body", "id", "sender", "sent_at", "thread"],
        "{message}"
    );
    assert_eq!(message["thread"], thread, "{message}");
    let sent_at = message["sent_at"].as_str().expect("sent_at string");
    assert!(
        is_rfc3339_utc_millis(sent_at),
        "sent_at {sent_at:?} is not RFC 3339 UTC millis"
    );
    (
        support::id_of(message),
        message["sender"].as_str().expect("sender").to_owned(),
        message["body"].as_str().expect("body").to_owned(),
    )
}
