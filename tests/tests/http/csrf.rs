//! A POST with a missing or wrong CSRF token gets 403 and changes nothing.

use http::StatusCode;

use crate::assert_cannot_login;
use crate::support::{self, Client, GOOD_PASSWORD, TestServer, user};

/// The three ways a CSRF token can be bad: absent, wrong, or right but without its cookie.
#[derive(Debug, Clone, Copy)]
enum BadCsrf {
    Missing,
    Wrong,
    NoCookie,
}

const BAD_CSRF: [BadCsrf; 3] = [BadCsrf::Missing, BadCsrf::Wrong, BadCsrf::NoCookie];

/// POSTs `fields` plus a bad CSRF token (the good one is `good`).
async fn post_with_bad_csrf(
    client: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    good: &str,
    bad: BadCsrf,
) -> support::Response {
    let mut fields = fields.to_vec();
    let saved = client.cookie("chat_csrf").map(str::to_owned);
    match bad {
        BadCsrf::Missing => {}
        BadCsrf::Wrong => fields.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
        BadCsrf::NoCookie => {
            fields.push(("csrf", good));
            client.remove_cookie("chat_csrf");
        }
    }
    let response = client.post_form(path, &fields).await;
    if let (BadCsrf::NoCookie, Some(saved)) = (bad, saved) {
        client.set_cookie("chat_csrf", &saved);
    }
    response
}

#[tokio::test]
async fn signup_with_bad_csrf_is_403_and_creates_nothing() {
    let server = TestServer::start().await;
    for bad in BAD_CSRF {
        let mut client = Client::new(&server);
        let good = client.csrf("/signup").await;
        let fields = [
            ("username", "mallory"),
            ("password", GOOD_PASSWORD),
            ("password2", GOOD_PASSWORD),
        ];
        let response = post_with_bad_csrf(&mut client, "/signup", &fields, &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
        assert!(
            client.cookie("chat_session").is_none(),
            "{bad:?}: got a session"
        );
        assert_cannot_login(&server, "mallory", GOOD_PASSWORD).await;
    }
    // Nothing was created: the name is still free.
    Client::new(&server).signup("mallory", GOOD_PASSWORD).await;
}

#[tokio::test]
async fn login_with_bad_csrf_is_403_and_logs_nobody_in() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    for bad in BAD_CSRF {
        let mut client = Client::new(&server);
        let good = client.csrf("/login").await;
        let fields = [("username", "alice"), ("password", GOOD_PASSWORD)];
        let response = post_with_bad_csrf(&mut client, "/login", &fields, &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
        assert!(
            client.cookie("chat_session").is_none(),
            "{bad:?}: got a session"
        );
        assert_eq!(
            client.get("/api/threads").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn logout_with_bad_csrf_is_403_and_keeps_the_session() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let good = alice.csrf("/").await;
    for bad in [BadCsrf::Missing, BadCsrf::Wrong] {
        let response = post_with_bad_csrf(&mut alice, "/logout", &[], &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
        assert_eq!(
            alice.get("/api/threads").await.status,
            StatusCode::OK,
            "{bad:?}"
        );
    }
    // Logged-in tokens are tied to the session: bob's token does not work for alice.
    let bobs = bob.csrf("/").await;
    assert_ne!(bobs, good, "two sessions share a CSRF token");
    let response = alice.post_form("/logout", &[("csrf", &bobs)]).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert_eq!(alice.get("/api/threads").await.status, StatusCode::OK);
}

#[tokio::test]
async fn post_message_with_bad_csrf_is_403_and_stores_nothing() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let good = alice.csrf(&format!("/threads/{thread}")).await;
    let path = format!("/threads/{thread}/messages");
    for bad in [BadCsrf::Missing, BadCsrf::Wrong] {
        let fields = [("body", "forged")];
        let response = post_with_bad_csrf(&mut alice, &path, &fields, &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
    }
    assert!(alice.all_messages(thread).await.is_empty());
}
