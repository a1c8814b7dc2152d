//! `chat-server user add|list|passwd` against the database of a running server.

use http::StatusCode;

use crate::assert_cannot_login;
use crate::support::{Client, GOOD_PASSWORD, TestServer, user};

#[tokio::test]
async fn cli_user_add_then_login_and_list() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let added = server
        .cli(&["user", "add", "dave"], "Dave-Strong-Pass-77\n")
        .await;
    assert!(added.status.success(), "user add: {added:?}");
    Client::new(&server)
        .login("dave", "Dave-Strong-Pass-77")
        .await;

    let duplicate = server
        .cli(&["user", "add", "DAVE"], "Other-Strong-Pass-78\n")
        .await;
    assert!(
        !duplicate.status.success(),
        "duplicate user add succeeded: {duplicate:?}"
    );
    assert!(
        !duplicate.stderr.trim().is_empty(),
        "no message: {duplicate:?}"
    );
    let weak = server.cli(&["user", "add", "erin"], "password\n").await;
    assert!(!weak.status.success(), "weak password accepted: {weak:?}");
    assert_cannot_login(&server, "erin", "password").await;

    let list = server.cli(&["user", "list"], "").await;
    assert!(list.status.success(), "user list: {list:?}");
    // One user a line; the name is one of its whitespace-separated fields.
    let names: Vec<&str> = list.stdout.split_whitespace().collect();
    assert!(
        names.contains(&"alice") && names.contains(&"dave"),
        "{:?}",
        list.stdout
    );
    assert!(!list.stdout.contains("erin"), "{:?}", list.stdout);
}

#[tokio::test]
async fn cli_user_passwd_changes_password_and_ends_sessions() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let changed = server
        .cli(&["user", "passwd", "alice"], "Brand-New-Pass-2024\n")
        .await;
    assert!(changed.status.success(), "user passwd: {changed:?}");
    let api = alice.get("/api/threads").await;
    assert_eq!(
        api.status,
        StatusCode::UNAUTHORIZED,
        "old session still works: {}",
        api.body
    );
    assert_cannot_login(&server, "alice", GOOD_PASSWORD).await;
    Client::new(&server)
        .login("alice", "Brand-New-Pass-2024")
        .await;
    let unknown = server
        .cli(&["user", "passwd", "nobody"], "Brand-New-Pass-2024\n")
        .await;
    assert!(
        !unknown.status.success(),
        "passwd of an unknown user: {unknown:?}"
    );
}
