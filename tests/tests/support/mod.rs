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
