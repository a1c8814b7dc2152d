//! Sign-up rules and login failures.

use std::time::Instant;

use http::StatusCode;

use crate::support::{self, Client, GOOD_PASSWORD, TestServer, user};
use crate::{assert_cannot_login, assert_client_error};

#[tokio::test]
async fn signup_logs_in_and_lists_other_users() {
    let server = TestServer::start().await;
    user(&server, "bob").await;
    let mut alice = Client::new(&server);
    let response = alice.signup("alice", GOOD_PASSWORD).await;
    assert!(response.set_cookie("chat_session").is_some());
    let contacts = alice.get("/").await;
    assert_eq!(contacts.status, StatusCode::OK, "{}", contacts.body);
    assert!(
        contacts.body.contains("bob"),
        "contacts page lacks bob: {}",
        contacts.body
    );
    assert!(
        contacts.body.contains("/chat/bob"),
        "no link to chat with bob: {}",
        contacts.body
    );
}

#[tokio::test]
async fn signup_rejects_username_taken_in_other_case() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut other = Client::new(&server);
    let response = other
        .try_signup("Alice", "Another-Good-Pass-93", "Another-Good-Pass-93")
        .await;
    assert_client_error(&response, "signup Alice after alice");
    assert!(
        support::client::csrf_from(&response.body).is_some(),
        "no form: {}",
        response.body
    );
    assert!(other.cookie("chat_session").is_none());
    assert_cannot_login(&server, "Alice", "Another-Good-Pass-93").await;
    let list = server.cli(&["user", "list"], "").await;
    assert!(list.status.success(), "{list:?}");
    let n_alices = list
        .stdout
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("alice"))
        .count();
    assert_eq!(n_alices, 1, "user list: {:?}", list.stdout);
}

#[tokio::test]
async fn signup_rejects_each_weak_password_rule() {
    let server = TestServer::start().await;
    // Each case breaks exactly one rule.
    let cases = [
        (
            "shorty_user",
            "xK9#q2w",
            "xK9#q2w",
            "fewer than 8 characters",
        ),
        (
            "numeric_user",
            "48203917465",
            "48203917465",
            "entirely numeric",
        ),
        (
            "zephyrine",
            "zephyrine42",
            "zephyrine42",
            "too similar to the username",
        ),
        ("common_user", "password", "password", "a common password"),
        (
            "common_user2",
            "qwertyuiop",
            "qwertyuiop",
            "a common password",
        ),
        (
            "mismatch_user",
            GOOD_PASSWORD,
            "Tangerine-Otter-4712",
            "password2 differs",
        ),
    ];
    for (name, password, password2, rule) in cases {
        let mut client = Client::new(&server);
        let response = client.try_signup(name, password, password2).await;
        assert_client_error(&response, rule);
        assert!(
            client.cookie("chat_session").is_none(),
            "{rule}: got a session"
        );
        assert_cannot_login(&server, name, password).await;
        // Nothing was created: the name is still free.
        Client::new(&server).signup(name, GOOD_PASSWORD).await;
    }
}

#[tokio::test]
async fn login_failure_is_generic() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut client = Client::new(&server);
    let wrong_password = client.try_login("alice", "Not-The-Password-1", None).await;
    let unknown_user = client.try_login("nobody", GOOD_PASSWORD, None).await;
    for response in [&wrong_password, &unknown_user] {
        assert!(
            response
                .body
                .to_lowercase()
                .contains("invalid username or password"),
            "{} {}",
            response.status,
            response.body
        );
        assert_ne!(response.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(wrong_password.status, unknown_user.status);
    assert!(client.cookie("chat_session").is_none());
}

#[tokio::test]
async fn login_unknown_user_takes_similar_time() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut client = Client::new(&server);
    let mut csrf = client.csrf("/login").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        for (name, times) in [("alice", &mut known), ("nobody", &mut unknown)] {
            let fields = [
                ("username", name),
                ("password", "Not-The-Password-1"),
                ("csrf", csrf.as_str()),
            ];
            let start = Instant::now();
            let response = client.post_form("/login", &fields).await;
            times.push(start.elapsed());
            assert!(
                response
                    .body
                    .to_lowercase()
                    .contains("invalid username or password")
            );
            csrf = support::client::csrf_from(&response.body).unwrap_or(csrf);
        }
    }
    known.sort_unstable();
    unknown.sort_unstable();
    // Verifying against a dummy hash costs about as much as a real verify; skipping it
    // would make unknown users 10-100x faster.
    assert!(
        unknown[2] * 10 >= known[2] * 3,
        "unknown user median {:?} vs wrong password median {:?}",
        unknown[2],
        known[2]
    );
}
