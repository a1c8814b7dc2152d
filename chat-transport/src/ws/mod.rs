//! WebSocket sessions: the upgrade handshake ([`upgrade`]), the per-socket
//! session (bounded queue, one writer, ordering filter, limits, pings, close
//! codes) and the [`Socket`] handle the hub and the app use to reach it.
//!
//! Close codes sent by the session: 1001 on server shutdown or ping timeout,
//! 1003 for a binary frame, 1007 for invalid UTF-8, 1009 for a message over
//! `max_message_bytes`, 1013 when the socket's queue overflows, and whatever
//! the app passes to [`Socket::close`] (1008 on logout).

use std::sync::Arc;
use std::time::Duration;

use chat_core::UserId;
use http::{StatusCode, header};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::http::{Request, Response, header_has_token};
use crate::hub::{Hub, Scope};
use crate::wire::ClientFrame;

mod close;
mod io;
mod sequencer;
mod session;
pub(crate) mod socket;
#[cfg(test)]
mod tests;

pub use socket::Socket;

/// Limits and timings of WebSocket sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsConfig {
    /// Largest incoming message, and frame (default 64 KiB); larger → close 1009.
    pub max_message_bytes: usize,
    /// How often the server pings (default 30 s); two unanswered pings close the
    /// socket, and a batch that cannot be written within two intervals drops it.
    pub ping_interval: Duration,
    /// Outbound queue capacity in frames (default 256).
    pub queue_frames: usize,
    /// Outbound queue capacity in bytes (default 1 MiB).
    pub queue_bytes: usize,
    /// tungstenite read buffer (default 1 KiB: idle sockets stay cheap; chat
    /// frames are a few hundred bytes, and a larger message grows it while it
    /// is read, up to `max_message_bytes`).
    pub read_buffer: usize,
    /// tungstenite write buffer target (default 4 KiB).
    pub write_buffer: usize,
}

/// What the app does with a session. The transport calls these from the
/// session's task: `on_open` once (before any frame is read), `on_frame` for each
/// client frame in order (the next frame is not read until it returns), and
/// `on_close` once after the socket has left the hub.
pub trait SessionHandler: Send + Sync + 'static {
    /// The socket is registered in the hub; send the hello here
    /// ([`Socket::send_hello`]). Frames delivered meanwhile are held until it.
    fn on_open(&self, socket: &Socket) -> impl Future<Output = ()> + Send;

    /// One decoded client frame. Malformed frames never get here: the session
    /// answers them with a `bad_frame` error and keeps the socket open.
    fn on_frame(&self, socket: &Socket, frame: ClientFrame) -> impl Future<Output = ()> + Send;

    /// The session has ended (any reason).
    fn on_close(&self, socket: &Socket) {
        let _ = socket;
    }
}

/// Validates a WebSocket upgrade request and returns the 101 response; once
/// hyper has switched protocols, the session runs on its own task: the socket
/// is registered in `hub` before `on_open`, serves until closed, then leaves the
/// hub and `on_close` is called.
///
/// The app checks the session cookie, the Origin ([`crate::http::check_origin`])
/// and membership first. A request that is not a valid version-13 upgrade
/// (GET, `Upgrade: websocket`, `Connection: upgrade`, `Sec-WebSocket-Key`) gets 400.
pub fn upgrade<H: SessionHandler>(
    req: &mut Request,
    hub: Arc<Hub>,
    user: UserId,
    scope: Scope,
    handler: Arc<H>,
    config: WsConfig,
) -> Response {
    let key = match handshake_key(req) {
        Ok(key) => key,
        Err(reason) => {
            tracing::debug!(reason, path = %req.path, "rejected websocket upgrade");
            return Response::text(StatusCode::BAD_REQUEST, reason)
                .with_header(header::SEC_WEBSOCKET_VERSION, "13");
        }
    };
    let response = Response::empty(StatusCode::SWITCHING_PROTOCOLS)
        .with_header(header::UPGRADE, "websocket")
        .with_header(header::CONNECTION, "Upgrade")
        .with_header(
            header::SEC_WEBSOCKET_ACCEPT,
            &derive_accept_key(key.as_bytes()),
        );
    match req.take_upgrade() {
        Some(pending) => {
            let params = session::Params {
                hub,
                user,
                scope,
                handler,
                config,
            };
            response.with_upgrade(Box::pin(session::run(pending, params)))
        }
        // A request built by `Request::for_test`: there is no connection to take over.
        None => response,
    }
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            max_message_bytes: 64 * 1024,
            ping_interval: Duration::from_secs(30),
            queue_frames: 256,
            queue_bytes: 1024 * 1024,
            read_buffer: 1024,
            write_buffer: 4 * 1024,
        }
    }
}

/// The `Sec-WebSocket-Key` of a valid upgrade request, or why it is not one.
fn handshake_key(req: &Request) -> Result<String, &'static str> {
    if req.method != http::Method::GET {
        return Err("websocket upgrade must be a GET");
    }
    if !header_has_token(&req.headers, header::UPGRADE, "websocket") {
        return Err("missing Upgrade: websocket");
    }
    if !header_has_token(&req.headers, header::CONNECTION, "upgrade") {
        return Err("missing Connection: upgrade");
    }
    if req.header("sec-websocket-version").map(str::trim) != Some("13") {
        return Err("unsupported Sec-WebSocket-Version");
    }
    let key = req.header("sec-websocket-key").map_or("", str::trim);
    // Base64 of 16 random bytes: 22 characters and "==".
    let well_formed = key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    if !well_formed {
        return Err("missing or malformed Sec-WebSocket-Key");
    }
    Ok(key.to_owned())
}
