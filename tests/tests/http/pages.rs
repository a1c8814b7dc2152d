//! The HTML pages: redirects for anonymous users, threads, posting, escaping.

use http::StatusCode;

use crate::support::{Client, TestServer, user};
use crate::{assert_client_error, check_api_message};

#[tokio::test]
async fn anonymous_pages_redirect_to_login_with_next() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    for (path, location) in [
        ("/", "/login?next=%2F"),
        ("/threads/1", "/login?next=%2Fthreads%2F1"),
        ("/chat/bob", "/login?next=%2Fchat%2Fbob"),
    ] {
        let response = client.get(path).await;
        assert_eq!(response.expect_see_other(), location, "GET {path}");
    }
}

#[tokio::test]
async fn chat_with_username_gets_or_creates_one_thread() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    assert_eq!(alice.open_thread("bob").await, thread, "second visit");
    assert_eq!(bob.open_thread("alice").await, thread, "other direction");
    assert_eq!(
        alice.open_thread("BOB").await,
        thread,
        "usernames are case-insensitive"
    );
    for (path, status) in [
        ("/chat/nobody", StatusCode::NOT_FOUND),
        ("/chat/alice", StatusCode::BAD_REQUEST),
        ("/chat/ALICE", StatusCode::BAD_REQUEST),
    ] {
        let response = alice.get(path).await;
        assert_eq!(response.status, status, "GET {path}: {}", response.body);
    }
}

#[tokio::test]
async fn thread_of_others_is_404_like_an_unknown_one() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let mut carol = user(&server, "carol").await;
    let thread = alice.open_thread("bob").await;
    alice
        .post_message(thread, "private")
        .await
        .expect_see_other();
    let unknown = thread + 1000;
    let foreign = carol.get(&format!("/threads/{thread}")).await;
    let missing = carol.get(&format!("/threads/{unknown}")).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        foreign.body, missing.body,
        "the 404s differ, revealing the thread"
    );
    assert!(!foreign.body.contains("private"));
    assert_eq!(
        carol.get("/threads/abc").await.status,
        StatusCode::NOT_FOUND
    );
    for id in [thread, unknown] {
        let api = carol.get(&format!("/api/threads/{id}/messages")).await;
        assert_eq!(
            api.status,
            StatusCode::NOT_FOUND,
            "API for thread {id}: {}",
            api.body
        );
    }
    // Posting into it is refused the same way and stores nothing.
    let csrf = carol.csrf("/").await;
    let post = carol
        .post_form(
            &format!("/threads/{thread}/messages"),
            &[("body", "intrusion"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND, "{}", post.body);
    assert_eq!(alice.all_bodies(thread).await, ["private"]);
}

#[tokio::test]
async fn post_message_stores_and_redirects_back() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let response = alice
        .post_message(thread, "  hello bob\r\nsecond line  ")
        .await;
    assert_eq!(response.expect_see_other(), format!("/threads/{thread}"));
    let messages = bob.all_messages(thread).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (_, sender, body) = check_api_message(&messages[0], thread);
    assert_eq!(sender, "alice");
    assert_eq!(
        body, "hello bob\nsecond line",
        "trimmed, newlines normalised"
    );
    let page = bob.get(&format!("/threads/{thread}")).await;
    assert!(page.body.contains("hello bob"), "{}", page.body);
}

#[tokio::test]
async fn post_invalid_message_is_rejected_and_stores_nothing() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let too_long = "x".repeat(4001);
    for body in ["", "   \n\t ", too_long.as_str()] {
        let response = alice.post_message(thread, body).await;
        assert_client_error(&response, &format!("body of {} chars", body.len()));
    }
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn message_body_is_html_escaped() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let script = "<script>alert(1)</script>";
    alice.post_message(thread, script).await.expect_see_other();
    for client in [&mut alice, &mut bob] {
        let page = client.get(&format!("/threads/{thread}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains(script),
            "raw script tag on the page: {}",
            page.body
        );
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "escaped body missing: {}",
            page.body
        );
    }
    assert_eq!(
        bob.all_bodies(thread).await,
        [script],
        "the API returns the text as sent"
    );
}

/// Opening a thread reads it: the page that opens it already counts its
/// messages as read (title and sidebar badge), without JavaScript.
#[tokio::test]
async fn opening_a_thread_page_shows_it_read() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    for text in ["one", "two"] {
        alice.post_message(thread, text).await.expect_see_other();
    }
    let contacts = bob.get("/").await;
    assert!(
        contacts.body.contains("<title>(2) "),
        "two unread before opening: {}",
        contacts.body
    );
    let page = bob.get(&format!("/threads/{thread}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<title>alice · "),
        "the opened thread still counts as unread: {}",
        page.body
    );
    assert!(
        !page.body.contains("data-unread=\"2\""),
        "an unread badge on the page that read it: {}",
        page.body
    );
}
