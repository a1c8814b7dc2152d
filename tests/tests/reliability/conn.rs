//! A WebSocket chat client for load and fault tests: connects by address (the
//! server's port changes across restarts), parses server frames into [`Event`]s,
//! and keeps a sender's [`Outbox`] of unacknowledged sends.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

pub type Stream = WebSocketStream<TcpStream>;

/// How long a connect (TCP, upgrade, `hello`) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A server frame, as far as these tests care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Message(Msg),
    Resumed {
        last_id: i64,
        truncated: bool,
    },
    Error(String),
    /// A Close frame (its code), or the end of the connection (`None`).
    Closed(Option<u16>),
    /// Typing, read or anything else.
    Other,
}

/// A `message` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub id: i64,
    pub thread: i64,
    pub sender: String,
    pub body: String,
    pub client_id: Option<String>,
}

/// Opens `/ws` with `cookie` and the server's own Origin; returns the stream and
/// the `hello` frame's `last_id`.
pub async fn open(addr: SocketAddr, cookie: &str) -> Result<(Stream, i64), String> {
    let connect = async {
        let mut request = format!("ws://{addr}/ws")
            .into_client_request()
            .map_err(|e| e.to_string())?;
        let headers = request.headers_mut();
        headers.insert(
            "Cookie",
            HeaderValue::from_str(cookie).map_err(|e| e.to_string())?,
        );
        let origin = HeaderValue::from_str(&format!("http://{addr}")).map_err(|e| e.to_string())?;
        headers.insert("Origin", origin);
        let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut stream, _) = tokio_tungstenite::client_async(request, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let hello = loop {
            match stream.next().await {
                Some(Ok(Message::Text(text))) => break parse_json(&text)?,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => return Err(format!("expected hello, got {other:?}")),
            }
        };
        if hello["type"] != "hello" {
            return Err(format!("expected hello, got {hello}"));
        }
        let last_id = hello["last_id"].as_i64().ok_or("hello without last_id")?;
        Ok((stream, last_id))
    };
    tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| format!("connect to {addr} timed out"))?
}

/// Turns one received item into an [`Event`].
pub fn event(item: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Event {
    match item {
        Some(Ok(Message::Text(text))) => match parse_json(&text) {
            Ok(frame) => frame_event(&frame),
            Err(e) => Event::Error(e),
        },
        Some(Ok(Message::Close(frame))) => Event::Closed(frame.map(|f| u16::from(f.code))),
        Some(Ok(_)) => Event::Other,
        Some(Err(_)) | None => Event::Closed(None),
    }
}

fn frame_event(frame: &Value) -> Event {
    match frame["type"].as_str() {
        Some("message") => Event::Message(Msg {
            id: frame["id"].as_i64().unwrap_or(-1),
            thread: frame["thread"].as_i64().unwrap_or(-1),
            sender: frame["sender"].as_str().unwrap_or("").to_owned(),
            body: frame["body"].as_str().unwrap_or("").to_owned(),
            client_id: frame["client_id"].as_str().map(str::to_owned),
        }),
        Some("resumed") => Event::Resumed {
            last_id: frame["last_id"].as_i64().unwrap_or(-1),
            truncated: frame["truncated"].as_bool().unwrap_or(false),
        },
        Some("error") => Event::Error(frame.to_string()),
        _ => Event::Other,
    }
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("non-JSON text ({e}): {text:?}"))
}

/// `{"type":"send",…}` as a ready text message.
pub fn send_frame(thread: i64, body: &str, client_id: &str) -> Message {
    let text = json!({"type": "send", "thread": thread, "body": body, "client_id": client_id});
    Message::Text(Utf8Bytes::from(text.to_string()))
}

/// `{"type":"resume","after":after}`.
pub fn resume_frame(after: i64) -> Message {
    Message::Text(Utf8Bytes::from(
        json!({"type": "resume", "after": after}).to_string(),
    ))
}

/// One sender's sends: client ids `{tag}-{seq}`, at most `window` unacknowledged,
/// resent with the same client id after a reconnect until acknowledged.
#[derive(Debug)]
pub struct Outbox {
    pub tag: String,
    pub thread: i64,
    window: usize,
    next_seq: u64,
    /// Sent, not yet acknowledged: seq → when first sent.
    unacked: BTreeMap<u64, Instant>,
    /// Acknowledged: seq → the stored message id.
    pub acked: BTreeMap<u64, i64>,
    /// Resent on the current connection (their answers may bypass id order).
    resent: BTreeSet<u64>,
    /// Sends repeated after a reconnect, over all connections.
    pub resends: usize,
}

impl Outbox {
    pub fn new(tag: &str, thread: i64, window: usize) -> Self {
        Outbox {
            tag: tag.to_owned(),
            thread,
            window,
            next_seq: 0,
            unacked: BTreeMap::new(),
            acked: BTreeMap::new(),
            resent: BTreeSet::new(),
            resends: 0,
        }
    }

    pub fn client_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.tag)
    }

    pub fn body(&self, seq: u64) -> String {
        format!("{} {seq}", self.tag)
    }

    /// Messages created so far (acknowledged or not).
    pub fn created(&self) -> u64 {
        self.next_seq
    }

    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }

    /// The frames to resend on a new connection: every unacknowledged send, in order.
    pub fn resend(&mut self) -> Vec<Message> {
        self.resent = self.unacked.keys().copied().collect();
        self.resends += self.resent.len();
        self.resent
            .iter()
            .map(|seq| send_frame(self.thread, &self.body(*seq), &self.client_id(*seq)))
            .collect()
    }

    /// New sends while the window has room and fewer than `limit` were created.
    pub fn fill(&mut self, limit: u64) -> Vec<Message> {
        let mut frames = Vec::new();
        while self.unacked.len() < self.window && self.next_seq < limit {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.unacked.insert(seq, Instant::now());
            frames.push(send_frame(
                self.thread,
                &self.body(seq),
                &self.client_id(seq),
            ));
        }
        frames
    }

    /// Books a message frame. Returns `Ok(true)` for an acknowledgement of ours that
    /// arrived in id order (not an answer to a resend), `Ok(false)` for anything else,
    /// `Err` when one client id got two different ids (stored twice).
    pub fn on_message(&mut self, msg: &Msg) -> Result<bool, String> {
        let Some(seq) = msg
            .client_id
            .as_deref()
            .and_then(|c| c.strip_prefix(&self.tag))
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return Ok(false);
        };
        if let Some(previous) = self.acked.insert(seq, msg.id)
            && previous != msg.id
        {
            return Err(format!(
                "{}: acknowledged as {previous} and as {}",
                self.client_id(seq),
                msg.id
            ));
        }
        self.unacked.remove(&seq);
        Ok(!self.resent.contains(&seq))
    }

    /// Whether every created message is acknowledged.
    pub fn settled(&self) -> bool {
        self.unacked.is_empty()
    }
}

/// Checks one connection's message order against the contract: frames newer than
/// the `hello` (live) arrive in id order; older ones (the replay after `resume`)
/// arrive in id order too, oldest first, possibly after some live ones.
#[derive(Debug)]
pub struct OrderCheck {
    hello_last_id: i64,
    last_history: i64,
    last_live: i64,
    pub violations: Vec<(i64, i64)>,
}

impl OrderCheck {
    pub fn new(hello_last_id: i64, resumed_after: i64) -> Self {
        OrderCheck {
            hello_last_id,
            last_history: resumed_after,
            last_live: hello_last_id,
            violations: Vec::new(),
        }
    }

    pub fn saw(&mut self, id: i64) {
        let last = if id <= self.hello_last_id {
            &mut self.last_history
        } else {
            &mut self.last_live
        };
        if id <= *last {
            self.violations.push((*last, id));
        }
        *last = (*last).max(id);
    }
}
