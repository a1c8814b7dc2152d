//! `Ws`: a WebSocket client for `/ws` and `/ws/threads/{id}` with bounded waits.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::client::Client;
use super::server::TestServer;

/// How long `next_*` waits for a frame before failing the test.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// How a WebSocket ended, as seen by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// A Close frame with this code (`None`: a Close frame without a code).
    Close(Option<u16>),
    /// The TCP connection ended without a Close frame (EOF, reset, …).
    Dropped(String),
}

/// Options for [`Ws::open`].
#[derive(Debug, Default, Clone)]
pub struct WsOptions<'a> {
    /// The `Cookie` header; `None` sends none.
    pub cookie: Option<String>,
    /// The `Origin` header; `None` sends none.
    pub origin: Option<&'a str>,
    /// Shrinks the client's kernel receive buffer (for a socket that never reads).
    pub recv_buffer: Option<u32>,
}

/// An open WebSocket.
pub struct Ws {
    stream: WebSocketStream<TcpStream>,
}

impl Ws {
    /// Connects as `client` (its cookies) with the server's own Origin; panics on failure.
    pub async fn connect(server: &TestServer, client: &Client, path: &str) -> Self {
        let origin = server.origin();
        let options = WsOptions {
            cookie: Some(client.cookie_header()),
            origin: Some(&origin),
            recv_buffer: None,
        };
        Self::open(server, path, options)
            .await
            .unwrap_or_else(|e| panic!("WebSocket upgrade of {path} failed: {}", describe(&e)))
    }

    /// Connects and reads the `hello` frame, asserting its type and user.
    pub async fn connect_hello(
        server: &TestServer,
        client: &Client,
        path: &str,
        user: &str,
    ) -> (Self, Value) {
        let mut ws = Self::connect(server, client, path).await;
        let hello = ws.next_json().await;
        assert_eq!(hello["type"], "hello", "first frame on {path}: {hello}");
        assert_eq!(hello["user"], user, "hello on {path}: {hello}");
        assert!(hello["last_id"].is_i64(), "hello without last_id: {hello}");
        (ws, hello)
    }

    /// Tries an upgrade with the given headers.
    pub async fn open(
        server: &TestServer,
        path: &str,
        options: WsOptions<'_>,
    ) -> Result<Self, WsError> {
        let url = format!("ws://{}{path}", server.addr());
        let mut request = url.as_str().into_client_request()?;
        if let Some(cookie) = options.cookie.filter(|c| !c.is_empty()) {
            request.headers_mut().insert(
                "Cookie",
                HeaderValue::from_str(&cookie).expect("cookie header"),
            );
        }
        if let Some(origin) = options.origin {
            request.headers_mut().insert(
                "Origin",
                HeaderValue::from_str(origin).expect("origin header"),
            );
        }
        let socket = TcpSocket::new_v4()?;
        if let Some(size) = options.recv_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        let tcp = socket.connect(server.addr()).await?;
        let handshake = tokio_tungstenite::client_async(request, tcp);
        match tokio::time::timeout(FRAME_TIMEOUT, handshake).await {
            Ok(result) => result.map(|(stream, _)| Self { stream }),
            Err(elapsed) => panic!("WebSocket handshake on {path}: {elapsed}"),
        }
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        tokio::time::timeout(FRAME_TIMEOUT, self.stream.send(Message::text(text)))
            .await
            .expect("send timed out")
            .expect("send text frame");
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(value.to_string()).await;
    }

    /// Sends `{"type":"send","thread":T,"body":B,"client_id":C}`.
    pub async fn send_message(&mut self, thread: i64, body: &str, client_id: &str) {
        self.send_json(
            &json!({"type": "send", "thread": thread, "body": body, "client_id": client_id}),
        )
        .await;
    }

    /// Sends `bodies` to `thread` with client ids `{tag}-{i}`, keeping at most 32 unanswered,
    /// and returns the acknowledging message frames in order. Other users' frames arriving
    /// meanwhile are skipped; an error frame fails the test.
    pub async fn send_all(&mut self, thread: i64, bodies: &[String], tag: &str) -> Vec<Value> {
        const WINDOW: usize = 32;
        let mut acks: Vec<Value> = Vec::with_capacity(bodies.len());
        let mut sent = 0;
        while acks.len() < bodies.len() {
            if sent < bodies.len() && sent - acks.len() < WINDOW {
                self.send_message(thread, &bodies[sent], &format!("{tag}-{sent}"))
                    .await;
                sent += 1;
                continue;
            }
            let frame = self.next_json().await;
            assert_ne!(frame["type"], "error", "send {tag} answered with {frame}");
            let ours = frame["client_id"]
                .as_str()
                .is_some_and(|c| c.starts_with(&format!("{tag}-")));
            if frame["type"] == "message" && ours {
                let expected = format!("{tag}-{}", acks.len());
                assert_eq!(
                    frame["client_id"],
                    expected.as_str(),
                    "acks out of order: {frame}"
                );
                acks.push(frame);
            }
        }
        acks
    }

    /// Sends any frame, returning the error instead of panicking (the server may have closed).
    pub async fn try_send(&mut self, message: Message) -> Result<(), WsError> {
        match tokio::time::timeout(FRAME_TIMEOUT, self.stream.send(message)).await {
            Ok(result) => result,
            Err(elapsed) => panic!("send: {elapsed}"),
        }
    }

    /// The next data or close frame (pings and pongs are skipped); `None` when the stream
    /// ends; panics after `timeout`.
    pub async fn next_frame_within(
        &mut self,
        timeout: Duration,
    ) -> Option<Result<Message, WsError>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(elapsed) => panic!("no WebSocket frame within {timeout:?} ({elapsed})"),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(other) => return other,
            }
        }
    }

    /// The next frame as JSON; panics on a timeout, a close or a non-text frame.
    pub async fn next_json(&mut self) -> Value {
        match self.next_frame_within(FRAME_TIMEOUT).await {
            Some(Ok(Message::Text(text))) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("server sent non-JSON text ({e}): {text:?}")),
            other => panic!("expected a JSON text frame, got {other:?}"),
        }
    }

    /// The next frame that is not a `typing` or `read` event.
    pub async fn next_message_or_error(&mut self) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["type"] != "typing" && frame["type"] != "read" {
                return frame;
            }
        }
    }

    /// The next frame, asserting it is a `message`.
    pub async fn next_message(&mut self) -> Value {
        let frame = self.next_json().await;
        assert_eq!(
            frame["type"], "message",
            "expected a message frame, got {frame}"
        );
        frame
    }

    /// Asserts that no data frame arrives within `duration` (and the socket stays open).
    pub async fn expect_no_frame(&mut self, duration: Duration) {
        let deadline = tokio::time::Instant::now() + duration;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(other) => panic!("expected no frame for {duration:?}, got {other:?}"),
            }
        }
    }

    /// Every JSON frame that arrives within `duration`; panics if the socket ends.
    pub async fn frames_within(&mut self, duration: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + duration;
        let mut frames = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return frames,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(Some(Ok(Message::Text(text)))) => frames.push(
                    serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("non-JSON text ({e}): {text:?}")),
                ),
                Ok(other) => panic!("expected only text frames, got {other:?}"),
            }
        }
    }

    /// Reads (and discards data frames) until the socket ends; panics after `timeout`.
    /// Returns how it ended and the JSON frames read on the way.
    pub async fn read_until_end(&mut self, timeout: Duration) -> (Ended, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let next = tokio::time::timeout(left, self.stream.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "socket still open after {timeout:?} ({} frames read)",
                        frames.len()
                    )
                });
            match next {
                Some(Ok(Message::Text(text))) => {
                    frames.push(
                        serde_json::from_str(&text).unwrap_or(Value::String(text.to_string())),
                    );
                }
                Some(Ok(Message::Close(frame))) => {
                    return (Ended::Close(frame.map(|f| u16::from(f.code))), frames);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return (Ended::Dropped(describe(&e)), frames),
                None => return (Ended::Dropped("end of stream".to_owned()), frames),
            }
        }
    }

    /// Asserts the next thing on the socket is a Close frame with `code`.
    pub async fn expect_close(&mut self, code: u16, timeout: Duration) {
        let (ended, frames) = self.read_until_end(timeout).await;
        assert_eq!(
            ended,
            Ended::Close(Some(code)),
            "expected close {code} ({:?}); frames before it: {frames:?}",
            CloseCode::from(code)
        );
        assert!(frames.is_empty(), "frames before close {code}: {frames:?}");
    }
}

/// A readable form of a handshake or stream error (with the HTTP status for a refusal).
pub fn describe(error: &WsError) -> String {
    match error {
        WsError::Http(response) => format!(
            "HTTP {} {:?}",
            response.status(),
            response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

/// The HTTP status of a refused upgrade; panics if the upgrade succeeded or failed otherwise.
pub fn refusal_status(result: Result<Ws, WsError>) -> u16 {
    match result {
        Ok(_) => panic!("upgrade succeeded (101), expected a refusal"),
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("upgrade failed without an HTTP answer: {other}"),
    }
}

/// The `id` of a message frame or API message.
pub fn id_of(message: &Value) -> i64 {
    message["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no integer id in {message}"))
}
