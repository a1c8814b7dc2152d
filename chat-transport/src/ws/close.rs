//! How a session ends: [`End`], the close codes, and the bounded close handshake.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::session::WsStream;
use super::socket::CloseRequest;
use crate::TransportError;

pub(super) const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_PROTOCOL_ERROR: u16 = 1002;
pub(super) const CLOSE_UNSUPPORTED_DATA: u16 = 1003;
const CLOSE_INVALID_PAYLOAD: u16 = 1007;
const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;
/// Bound on the whole close handshake (our Close, the peer's reply, the drain).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Most bytes read and discarded after an unclean close before the connection is dropped.
const LINGER_MAX_BYTES: usize = 256 * 1024;
/// A peer silent this long after an unclean close has nothing more in flight.
const LINGER_IDLE: Duration = Duration::from_millis(250);

/// Why a session (or one half of it) ended.
#[derive(Debug)]
pub(super) enum End {
    /// The other half ended first.
    Stopped,
    /// The peer sent a Close frame.
    PeerClosed,
    /// The connection is unusable; nothing more is sent.
    Broken(TransportError),
    /// Send this Close frame, then end.
    Close(CloseRequest),
}

/// The close handshake, bounded in time: send our Close (or flush the echo of
/// the peer's) and wait for the reply. When the peer may still have unread data
/// in flight (we closed after a read error), half-close and drain it first, so
/// the Close frame is not lost to a TCP reset.
pub(super) async fn finish(mut stream: WsStream, end: &End) {
    let handshake = async {
        let clean = match end {
            End::Close(request) => {
                let frame = CloseFrame {
                    code: CloseCode::from(request.code),
                    reason: Utf8Bytes::from(request.reason.as_str()),
                };
                if stream.close(Some(frame)).await.is_ok() {
                    // tungstenite yields the peer's Close reply, then ends the stream
                    // (at once if reading had already failed).
                    let mut replied = false;
                    while let Some(Ok(message)) = stream.next().await {
                        replied |= matches!(message, Message::Close(_));
                    }
                    Some(replied)
                } else {
                    None
                }
            }
            End::PeerClosed => {
                let _ = SinkExt::close(&mut stream).await;
                Some(true)
            }
            End::Stopped | End::Broken(_) => return,
        };
        // When tungstenite ends a server connection it leaves its last frame
        // (the reply to the peer's Close) in the output buffer, unflushed.
        if stream.get_mut().flush().await.is_err() {
            return;
        }
        if clean == Some(false) {
            linger(stream.get_mut()).await;
        }
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, handshake).await;
}

/// Half-closes, then reads and discards until the peer goes quiet or closes.
async fn linger(io: &mut (impl AsyncRead + AsyncWrite + Unpin)) {
    let _ = io.shutdown().await;
    let mut buffer = vec![0; 4096];
    let mut drained = 0;
    while drained < LINGER_MAX_BYTES {
        match tokio::time::timeout(LINGER_IDLE, io.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
}

impl End {
    pub(super) fn close(code: u16, reason: &str) -> Self {
        End::Close(CloseRequest {
            code,
            reason: reason.to_owned(),
        })
    }

    pub(super) fn going_away() -> Self {
        End::close(CLOSE_GOING_AWAY, "server shutting down")
    }

    /// Maps a tungstenite read error to the close code the peer deserves.
    pub(super) fn after_read_error(error: WsError) -> Self {
        match error {
            WsError::Capacity(_) => End::close(CLOSE_MESSAGE_TOO_BIG, "message too big"),
            WsError::Utf8(_) => End::close(CLOSE_INVALID_PAYLOAD, "invalid utf-8"),
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                End::Broken(TransportError::WebSocket(error.into()))
            }
            WsError::Protocol(_) => End::close(CLOSE_PROTOCOL_ERROR, "protocol error"),
            error => End::Broken(TransportError::WebSocket(error.into())),
        }
    }
}
