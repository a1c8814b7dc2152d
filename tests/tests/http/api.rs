//! The JSON API: `/api/threads` and message history paging.

use http::StatusCode;
use serde_json::Value;

use crate::check_api_message;
use crate::support::{self, Client, TestServer, user};

#[tokio::test]
async fn api_threads_lists_members_last_message_and_unread() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    user(&server, "carol").await;
    let with_bob = alice.open_thread("bob").await;
    let with_carol = alice.open_thread("carol").await;
    alice
        .post_message(with_bob, "hi bob")
        .await
        .expect_see_other();

    let threads = alice.api_threads().await;
    let list = threads["threads"].as_array().expect("threads array");
    assert_eq!(list.len(), 2, "{threads}");
    for entry in list {
        let mut keys: Vec<&str> = entry
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "last_message", "members", "unread"], "{entry}");
        let mut members: Vec<&str> = entry["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m.as_str().expect("username"))
            .collect();
        members.sort_unstable();
        assert_eq!(entry["unread"], 0, "own messages are not unread: {entry}");
        if entry["id"] == with_bob {
            assert_eq!(members, ["alice", "bob"]);
            let (_, sender, body) = check_api_message(&entry["last_message"], with_bob);
            assert_eq!((sender.as_str(), body.as_str()), ("alice", "hi bob"));
        } else {
            assert_eq!(entry["id"], with_carol, "{entry}");
            assert_eq!(members, ["alice", "carol"]);
            assert!(entry["last_message"].is_null(), "{entry}");
        }
    }
    let bobs = bob.api_threads().await;
    let list = bobs["threads"].as_array().expect("threads array");
    assert_eq!(list.len(), 1, "{bobs}");
    assert_eq!(list[0]["id"], with_bob);
    assert_eq!(list[0]["unread"], 1, "{bobs}");
}

/// Bodies `m000`, `m001`, … of API messages, checking shape and sender.
fn bodies(page: &Value, thread: i64) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages array: {page}"))
        .iter()
        .map(|m| {
            let (_, sender, body) = check_api_message(m, thread);
            assert_eq!(sender, "alice");
            body
        })
        .collect()
}

fn expected_bodies(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("m{i:03}")).collect()
}

#[tokio::test]
async fn api_messages_pages_through_120_in_order() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    let path = format!("/threads/{thread}/messages");
    for i in 0..120 {
        let body = format!("m{i:03}");
        let response = alice
            .post_form(&path, &[("body", &body), ("csrf", &csrf)])
            .await;
        response.expect_see_other();
    }
    // Newest 50 by default, oldest first; then older pages with `before`.
    let mut pages = Vec::new();
    let mut query = String::new();
    loop {
        let page = bob.api_messages(thread, &query).await;
        let ids: Vec<i64> = page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(support::id_of)
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not oldest first: {ids:?}"
        );
        let has_more = page["has_more"].as_bool().expect("has_more bool");
        pages.push((bodies(&page, thread), has_more));
        if !has_more {
            break;
        }
        assert!(pages.len() < 5, "has_more never became false");
        query = format!("?before={}", ids[0]);
    }
    let expected = [
        (expected_bodies(70..120), true),
        (expected_bodies(20..70), true),
        (expected_bodies(0..20), false),
    ];
    assert_eq!(pages, expected);

    let ten = bob.api_messages(thread, "?limit=10").await;
    assert_eq!(bodies(&ten, thread), expected_bodies(110..120));
    assert_eq!(ten["has_more"], true);
    let hundred = bob.api_messages(thread, "?limit=100").await;
    assert_eq!(bodies(&hundred, thread), expected_bodies(20..120));
    assert_eq!(hundred["has_more"], true);
    let before_first = bob
        .api_messages(
            thread,
            &format!("?before={}", support::id_of(&hundred["messages"][0])),
        )
        .await;
    assert_eq!(bodies(&before_first, thread), expected_bodies(0..20));
}

#[tokio::test]
async fn api_messages_limit_is_capped_at_100() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    for i in 0..102 {
        let body = format!("m{i:03}");
        let path = format!("/threads/{thread}/messages");
        alice
            .post_form(&path, &[("body", &body), ("csrf", &csrf)])
            .await
            .expect_see_other();
    }
    for limit in [101, 1000] {
        let response = alice
            .get(&format!("/api/threads/{thread}/messages?limit={limit}"))
            .await;
        // Either refused or clamped; never more than 100.
        if response.status == StatusCode::BAD_REQUEST {
            continue;
        }
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let page = response.json();
        let n = page["messages"].as_array().expect("messages").len();
        assert_eq!(n, 100, "limit={limit} returned {n}");
        assert_eq!(page["has_more"], true);
    }
}

#[tokio::test]
async fn anonymous_api_is_401_json() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    for path in ["/api/threads", "/api/threads/1/messages"] {
        let response = client.get(path).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            response.content_type().starts_with("application/json"),
            "{path}: {response:?}"
        );
        assert!(response.json().is_object(), "{path}: {}", response.body);
    }
}
