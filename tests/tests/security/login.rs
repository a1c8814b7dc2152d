//! Login throttling per account: 5 failures → 429 with `Retry-After`, even for the
//! right password and from any client; stored, so it survives a restart; capped
//! at 15 minutes; attempts during a lockout do not extend it.

use http::StatusCode;

use crate::support::{Client, GOOD_PASSWORD, TestServer, user};
use crate::{HOUR_MS, db, logged_in, now_ms, retry_after};

const WRONG: &str = "Wrong-Password-123";
/// The longest lockout, in seconds (15 minutes).
const LOCKOUT_MAX_SECS: u64 = 15 * 60;

/// Five wrong passwords for `name`, each answered with the generic 401.
async fn fail_five_times(client: &mut Client, name: &str) {
    for i in 1..=5 {
        let response = client.try_login(name, WRONG, None).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "failure {i}: {}",
            response.body
        );
    }
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    user(&server, "bob").await;
    let mut attacker = Client::new(&server);
    fail_five_times(&mut attacker, "alice").await;

    // The owner, from a fresh client with the right password, is refused too.
    let mut owner = Client::new(&server);
    let locked = owner.try_login("alice", GOOD_PASSWORD, None).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    let wait = retry_after(&locked);
    assert!(
        (1..=30).contains(&wait),
        "first lockout is 30 s, Retry-After {wait}"
    );
    assert!(
        owner.cookie("chat_session").is_none(),
        "a locked login got a session"
    );
    assert!(
        locked.body.contains("Too many failed attempts"),
        "{}",
        locked.body
    );

    // Per account: bob is not affected by alice's lockout.
    let mut bob = Client::new(&server);
    bob.login("bob", GOOD_PASSWORD).await;
    assert!(logged_in(&mut bob).await);
}

#[tokio::test]
async fn lockout_survives_a_restart() {
    let mut server = TestServer::start().await;
    user(&server, "alice").await;
    let mut attacker = Client::new(&server);
    fail_five_times(&mut attacker, "alice").await;
    server.restart().await;
    let mut owner = Client::new(&server);
    let locked = owner.try_login("alice", GOOD_PASSWORD, None).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert!((1..=30).contains(&retry_after(&locked)));
}

#[tokio::test]
async fn attempts_during_a_lockout_do_not_extend_it() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut attacker = Client::new(&server);
    fail_five_times(&mut attacker, "alice").await;
    let before = db::login_failures(&server.db(), "alice").expect("failures counted");
    assert_eq!(before.0, 5);
    for _ in 0..10 {
        let response = attacker.try_login("alice", WRONG, None).await;
        assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(db::login_failures(&server.db(), "alice"), Some(before));
}

#[tokio::test]
async fn lockout_is_capped_at_15_minutes() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    // However many failures were counted, the wait never exceeds 15 minutes.
    for count in [10, 40, 1_000_000] {
        db::set_login_failures(&server.db(), "alice", count, now_ms());
        let mut owner = Client::new(&server);
        let locked = owner.try_login("alice", GOOD_PASSWORD, None).await;
        assert_eq!(
            locked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{count} failures"
        );
        let wait = retry_after(&locked);
        assert!(
            (LOCKOUT_MAX_SECS - 60..=LOCKOUT_MAX_SECS).contains(&wait),
            "{count} failures: Retry-After {wait}"
        );
    }
}

#[tokio::test]
async fn a_lockout_ends_and_success_clears_the_count() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    // Fifteen minutes and a second after the last of many failures.
    let long_ago = now_ms() - 15 * 60 * 1000 - 1000;
    db::set_login_failures(&server.db(), "alice", 1_000, long_ago);
    let mut owner = Client::new(&server);
    owner.login("alice", GOOD_PASSWORD).await;
    assert!(logged_in(&mut owner).await);
    assert_eq!(
        db::login_failures(&server.db(), "alice"),
        None,
        "count cleared"
    );

    // Failures more than an hour apart start a new count (no slow lockout build-up).
    db::set_login_failures(&server.db(), "alice", 4, now_ms() - 2 * HOUR_MS);
    let mut attacker = Client::new(&server);
    let response = attacker.try_login("alice", WRONG, None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let (count, _) = db::login_failures(&server.db(), "alice").expect("counted");
    assert_eq!(count, 1, "a failure after an hour starts over");
}
