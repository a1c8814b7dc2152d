//! WebSocket client side of the contract: the authenticated upgrade (session
//! cookie + same-origin `Origin`), small buffers, and the frames we read and send.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use http::{HeaderValue, header};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::BenchError;

/// A client WebSocket over plain TCP.
pub type Ws = WebSocketStream<TcpStream>;

/// Connect plus handshake may take at most this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and as whom to connect.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub addr: SocketAddr,
    pub path: &'a str,
    /// The `chat_session` cookie value.
    pub session: &'a str,
    /// Local address to bind before connecting (spreads ports over 127.0.0.x).
    pub source: Option<IpAddr>,
}

/// A server frame, borrowing from the text where it can. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct ServerFrame<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    pub id: Option<i64>,
    pub thread: Option<i64>,
    #[serde(borrow)]
    pub sender: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub body: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub client_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub code: Option<Cow<'a, str>>,
    pub last_id: Option<i64>,
}

#[derive(Serialize)]
struct SendFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    thread: i64,
    body: &'a str,
    client_id: &'a str,
}

/// Small per-socket buffers: thousands of sockets share one generator process.
pub fn client_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(Some(1024 * 1024))
        .max_frame_size(Some(1024 * 1024))
}

/// Connects and upgrades; returns the socket and the time from starting the
/// TCP connect to reading the 101.
pub async fn connect(target: Target<'_>) -> Result<(Ws, Duration), BenchError> {
    let started = Instant::now();
    let upgrade = async {
        let stream = match target.source {
            Some(ip) => {
                let socket = if ip.is_ipv4() {
                    TcpSocket::new_v4()?
                } else {
                    TcpSocket::new_v6()?
                };
                socket.bind(SocketAddr::new(ip, 0))?;
                socket.connect(target.addr).await?
            }
            None => TcpStream::connect(target.addr).await?,
        };
        stream.set_nodelay(true)?;
        let mut request = format!("ws://{}{}", target.addr, target.path).into_client_request()?;
        let headers = request.headers_mut();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("chat_session={}", target.session))
                .map_err(http::Error::from)?,
        );
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_str(&format!("http://{}", target.addr)).map_err(http::Error::from)?,
        );
        let (ws, _response) =
            client_async_with_config(request, stream, Some(client_config())).await?;
        Ok::<_, BenchError>(ws)
    };
    let ws = tokio::time::timeout(HANDSHAKE_TIMEOUT, upgrade)
        .await
        .map_err(|_| BenchError::Timeout("websocket handshake"))??;
    Ok((ws, started.elapsed()))
}

/// Reads frames until the first text frame, which must be `hello`; returns its `last_id`.
pub async fn expect_hello(ws: &mut Ws) -> Result<i64, BenchError> {
    let read = async {
        while let Some(msg) = ws.next().await {
            if let Message::Text(text) = msg? {
                let frame: ServerFrame<'_> = serde_json::from_str(text.as_str())?;
                if frame.kind != "hello" {
                    return Err(BenchError::Protocol(format!(
                        "first frame is {:?}, not hello",
                        frame.kind
                    )));
                }
                return Ok(frame.last_id.unwrap_or(0));
            }
        }
        Err(BenchError::Protocol("closed before hello".to_owned()))
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, read)
        .await
        .map_err(|_| BenchError::Timeout("hello frame"))?
}

/// The text of a `send` frame.
pub fn send_frame(thread: i64, body: &str, client_id: &str) -> Result<Message, BenchError> {
    let text = serde_json::to_string(&SendFrame {
        kind: "send",
        thread,
        body,
        client_id,
    })?;
    Ok(Message::Text(Utf8Bytes::from(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_frame_follows_the_contract() {
        let Message::Text(text) = send_frame(7, "bench r 1 2 3", "r-1-2").unwrap() else {
            panic!("not a text frame");
        };
        let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"send","thread":7,"body":"bench r 1 2 3","client_id":"r-1-2"})
        );
    }

    #[test]
    fn message_frames_parse_with_and_without_client_id() {
        let echo = r#"{"type":"message","id":9,"thread":7,"sender":"u1","body":"b","sent_at":"2026-01-01T00:00:00.000Z","client_id":"c"}"#;
        let f: ServerFrame<'_> = serde_json::from_str(echo).unwrap();
        assert_eq!(
            (f.kind.as_ref(), f.id, f.thread, f.client_id.as_deref()),
            ("message", Some(9), Some(7), Some("c"))
        );
        let escaped = r#"{"type":"message","id":10,"thread":7,"sender":"u1","body":"a\"b"}"#;
        let f: ServerFrame<'_> = serde_json::from_str(escaped).unwrap();
        assert_eq!((f.body.as_deref(), f.client_id), (Some("a\"b"), None));
    }
}
