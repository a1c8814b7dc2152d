//! Session lifetime, enforced by the server: idle expiry (`--session-idle-hours`,
//! default 48), absolute expiry (14 days), and an open socket of an expired
//! session closed with 1008 within one re-check period (30 s).
//!
//! The smallest idle unit the CLI accepts is an hour, so these tests age the
//! stored `last_seen` / `expires_at` instead of waiting.

use std::time::Duration;

use crate::support::{TestServer, Ws, user};
use crate::{HOUR_MS, db, logged_in, now_ms};

/// The server re-checks open sockets' sessions this often (chat-server `watch.rs`).
const SESSION_RECHECK: Duration = Duration::from_secs(30);

#[tokio::test]
async fn idle_session_expires_after_48_hours_by_default() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    db::set_sessions(
        &server.db(),
        "alice",
        now_ms() - 48 * HOUR_MS - 60_000,
        None,
    );
    assert!(
        !logged_in(&mut alice).await,
        "a session idle for 48 h still works"
    );
    assert!(
        db::sessions_last_seen(&server.db(), "alice").is_empty(),
        "row not deleted"
    );
}

#[tokio::test]
async fn use_within_the_idle_lifetime_keeps_the_session_and_touches_it() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    db::set_sessions(&server.db(), "alice", now_ms() - 47 * HOUR_MS, None);
    assert!(logged_in(&mut alice).await);
    let touched = db::sessions_last_seen(&server.db(), "alice");
    assert_eq!(touched.len(), 1);
    assert!(
        touched[0] > now_ms() - 60_000,
        "last_seen not refreshed: {touched:?}"
    );
}

#[tokio::test]
async fn session_idle_hours_sets_the_idle_lifetime() {
    let server = TestServer::start_with(&["--session-idle-hours", "1"]).await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    db::set_sessions(&server.db(), "alice", now_ms() - HOUR_MS - 60_000, None);
    db::set_sessions(&server.db(), "bob", now_ms() - HOUR_MS + 120_000, None);
    assert!(
        !logged_in(&mut alice).await,
        "idle 61 min with --session-idle-hours 1"
    );
    assert!(
        logged_in(&mut bob).await,
        "idle 58 min with --session-idle-hours 1"
    );
}

#[tokio::test]
async fn absolute_lifetime_ends_even_an_active_session() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    // Used a second ago, but past its absolute end.
    db::set_sessions(
        &server.db(),
        "alice",
        now_ms() - 1000,
        Some(now_ms() - 1000),
    );
    assert!(!logged_in(&mut alice).await);
}

#[tokio::test]
async fn open_socket_of_an_expired_session_is_closed_1008() {
    let server = TestServer::start().await;
    let alice = user(&server, "alice").await;
    let (mut ws, _) = Ws::connect_hello(&server, &alice, "/ws", "alice").await;
    db::set_sessions(&server.db(), "alice", now_ms() - 49 * HOUR_MS, None);
    // Within one re-check period, with a margin for a loaded machine.
    ws.expect_close(1008, SESSION_RECHECK + Duration::from_secs(10))
        .await;
}
