//! The network edge of the chat server: a small hyper HTTP/1 server, WebSocket
//! sessions (tokio-tungstenite), the JSON wire frames, the per-process fan-out
//! hub and the channel layer that feeds it.
//!
//! Only this crate knows hyper, tungstenite and JSON-on-the-wire. The app
//! (chat-server) implements [`http::App`] and [`ws::SessionHandler`]; everything
//! else here is mechanism: limits, backpressure, ordering and shutdown.
//!
//! Invariants kept here:
//! - every queue is bounded; fan-out never blocks (a full socket queue closes
//!   that socket with 1013, the client reconnects and resumes);
//! - each socket receives message frames in id order, exactly once, from its
//!   `hello`/`resumed` on (see [`ws::Socket::send_hello`]);
//! - when the shutdown future resolves, every connection (HTTP and WebSocket) is
//!   told to finish and `serve` waits for them, up to a grace period.

pub mod http;
pub mod hub;
pub mod layer;
pub mod wire;
pub mod ws;

mod error;
mod shutdown;
#[cfg(test)]
mod testing;

pub use error::TransportError;
