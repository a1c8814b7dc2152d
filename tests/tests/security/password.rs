//! The password change page (`/account/password`): current password, new twice,
//! CSRF; a change ends every other session of the user and keeps this one.

use std::time::Duration;

use http::StatusCode;

use crate::logged_in;
use crate::support::{Client, GOOD_PASSWORD, Response, TestServer, Ws, user};

const NEW_PASSWORD: &str = "Marmalade-Heron-2718";

async fn change(client: &mut Client, current: &str, new: &str, new2: &str) -> Response {
    let csrf = client.csrf("/account/password").await;
    client
        .post_form(
            "/account/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("new_password2", new2),
                ("csrf", &csrf),
            ],
        )
        .await
}

/// Whether `password` logs alice in from a fresh client.
async fn can_login(server: &TestServer, password: &str) -> bool {
    let response = Client::new(server).try_login("alice", password, None).await;
    match response.status {
        StatusCode::SEE_OTHER => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("login answered {other}: {}", response.body),
    }
}

#[tokio::test]
async fn wrong_current_password_or_bad_new_ones_change_nothing() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let wrong = change(&mut alice, "Not-The-Password-9", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("Your current password is wrong"),
        "{}",
        wrong.body
    );
    let mismatch = change(&mut alice, GOOD_PASSWORD, NEW_PASSWORD, "Something-Else-77").await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let weak = change(&mut alice, GOOD_PASSWORD, "12345678", "12345678").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_csrf = alice
        .post_form(
            "/account/password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("new_password2", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(logged_in(&mut alice).await);
    assert!(can_login(&server, GOOD_PASSWORD).await);
    assert!(!can_login(&server, NEW_PASSWORD).await);
}

#[tokio::test]
async fn change_ends_other_sessions_and_keeps_this_one() {
    let server = TestServer::start().await;
    let mut here = user(&server, "alice").await;
    let mut elsewhere = Client::new(&server);
    elsewhere.login("alice", GOOD_PASSWORD).await;
    let (mut other_socket, _) = Ws::connect_hello(&server, &elsewhere, "/ws", "alice").await;

    let done = change(&mut here, GOOD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("Your password has been changed"),
        "{}",
        done.body
    );

    other_socket
        .expect_close(1008, Duration::from_secs(3))
        .await;
    assert!(
        !logged_in(&mut elsewhere).await,
        "the other session survived"
    );
    assert!(
        logged_in(&mut here).await,
        "the session that made the change ended"
    );
    Ws::connect_hello(&server, &here, "/ws", "alice").await;
    assert!(can_login(&server, NEW_PASSWORD).await);
    assert!(!can_login(&server, GOOD_PASSWORD).await);
}
