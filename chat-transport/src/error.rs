//! [`TransportError`]: what can go wrong at the network edge.

use std::error::Error as StdError;

/// Errors of the transport layer. Per-connection failures are logged where they
/// happen and never reach the caller of [`crate::http::serve`]; only a broken
/// listener does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The listening socket failed in a way that retrying will not fix.
    #[error("listener failed")]
    Listener(#[source] std::io::Error),
    /// An HTTP connection failed (hyper).
    #[error("http connection failed")]
    Http(#[source] Box<dyn StdError + Send + Sync>),
    /// A WebSocket connection failed (tungstenite).
    #[error("websocket connection failed")]
    WebSocket(#[source] Box<dyn StdError + Send + Sync>),
    /// Redis could not be reached (or refused us) when the Redis layer connected.
    #[error("cannot connect to redis at {url}")]
    Redis {
        /// The URL, with any password masked.
        url: String,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}
