//! Issue 8's security promises, each proved against the real binary: login and
//! signup throttling, security headers, session lifetime, the password change
//! page, and the socket and connection caps. `SECURITY.md` maps each promise to
//! its test here.
//!
//! Where a rule is measured in minutes or hours (lockouts, idle expiry), the test
//! moves the stored timestamps in the server's database instead of waiting: the
//! server reads them on every request, so this is the state it would reach by
//! waiting.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod caps;
mod db;
mod headers;
mod login;
mod password;
mod sessions;
mod signup;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;

use support::{Client, Response};

/// The exact Content-Security-Policy issue 8 asks for.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Now, in Unix milliseconds (the store's clock).
fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("ms fit in i64")
}

const HOUR_MS: i64 = 3_600_000;

/// The `Retry-After` header in whole seconds; panics when absent.
#[track_caller]
fn retry_after(response: &Response) -> u64 {
    response
        .headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no numeric Retry-After on {}: {:?}",
                response.status, response.headers
            )
        })
}

/// Whether `client`'s session is logged in (`GET /` is the contacts page).
async fn logged_in(client: &mut Client) -> bool {
    let response = client.get("/").await;
    match response.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => false,
        other => panic!("GET / answered {other}: {}", response.body),
    }
}

/// Waits up to `limit` for `check` to hold, polling every 50 ms.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
