//! The HTTP/1 side: the accept loop and connection handling ([`serve`]), the
//! buffered [`Request`] / [`Response`] the app works with, and the Origin check.

use std::time::Duration;

mod origin;
mod request;
mod response;
mod server;
#[cfg(test)]
mod tests;

pub use origin::{OriginCheck, check_origin};
pub use request::{Form, Request};
pub use response::Response;
pub use server::serve;

pub(crate) use request::{PendingUpgrade, header_has_token};

/// Limits and timings of the HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Open connections (HTTP and WebSocket) at most; beyond, new ones get 503
    /// and are closed (default 18 000).
    pub max_connections: usize,
    /// Time allowed to receive a request head (default 10 s). It also bounds an
    /// idle keep-alive connection's wait for the next request, and the reading
    /// of a request body.
    pub header_read_timeout: Duration,
    /// Largest request body (default 64 KiB); larger → 413.
    pub max_body_bytes: usize,
    /// HTTP/1.1 keep-alive (default true).
    pub keep_alive: bool,
    /// After shutdown is signalled, how long `serve` waits for connections and
    /// sessions to finish (default 5 s).
    pub shutdown_grace: Duration,
}

/// The application: turns a buffered request into a response.
pub trait App: Send + Sync + 'static {
    fn handle(&self, req: Request) -> impl Future<Output = Response> + Send;
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 18_000,
            header_read_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            keep_alive: true,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}
