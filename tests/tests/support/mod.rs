//! Shared harness for the integration tests: the server process, an HTTP client with a
//! cookie jar, and a WebSocket client. Every wait is bounded; everything is on 127.0.0.1.

// Each test binary uses a different subset of the helpers. The helpers panic on purpose:
// in a test a panic with a clear message is the failure report.
#![allow(dead_code, unused_imports, clippy::expect_used, clippy::unwrap_used)]

pub mod client;
pub mod server;
pub mod ws;

pub use client::{Client, GOOD_PASSWORD, Response, SetCookie, user};
pub use server::TestServer;
pub use ws::{Ended, Ws, WsOptions, id_of, refusal_status};

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn is_rfc3339_utc_millis(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}
