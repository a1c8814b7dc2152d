//! A raw WebSocket client: the HTTP upgrade by hand, then frames built and parsed
//! byte by byte, so a test can send what no well-behaved library would (reserved
//! bits, unknown opcodes, unmasked frames, oversize control frames, bad close codes).

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Client, TestServer};

pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// How long any single read may wait.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The RFC 6455 example key and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A frame as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// What to put on the wire: every header field is settable.
#[derive(Debug, Clone)]
pub struct Out<'a> {
    pub fin: bool,
    /// RSV1..3 as the bits 0b100, 0b010, 0b001.
    pub rsv: u8,
    pub opcode: u8,
    /// `None` sends the frame unmasked (a protocol error from a client).
    pub mask: Option<[u8; 4]>,
    pub payload: &'a [u8],
}

/// How the server ended the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A Close frame; `None` when it had no payload.
    Close(Option<u16>),
    /// EOF or a reset without a Close frame.
    Dropped,
}

/// An upgraded connection.
pub struct RawWs {
    stream: TcpStream,
    buffer: Vec<u8>,
    next_mask: u32,
}

impl<'a> Out<'a> {
    /// A final, masked frame.
    pub fn new(opcode: u8, payload: &'a [u8]) -> Self {
        Out {
            fin: true,
            rsv: 0,
            opcode,
            mask: Some([0x37, 0xfa, 0x21, 0x3d]),
            payload,
        }
    }

    #[must_use]
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    #[must_use]
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    #[must_use]
    pub fn unmasked(mut self) -> Self {
        self.mask = None;
        self
    }

    /// The frame's bytes (minimal length encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + 14);
        out.push(u8::from(self.fin) << 7 | (self.rsv & 0b111) << 4 | (self.opcode & 0x0f));
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let len = self.payload.len();
        if len < 126 {
            out.push(mask_bit | u8::try_from(len).expect("< 126"));
        } else if let Ok(len) = u16::try_from(len) {
            out.push(mask_bit | 0x7e);
            out.extend_from_slice(&len.to_be_bytes());
        } else {
            out.push(mask_bit | 0x7f);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        match self.mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(
                    self.payload
                        .iter()
                        .zip(key.iter().cycle())
                        .map(|(b, k)| b ^ k),
                );
            }
            None => out.extend_from_slice(self.payload),
        }
        out
    }
}

impl RawWs {
    /// Upgrades `/ws` as `client` (its cookies, the server's own Origin), checks the
    /// 101 answer, and returns the connection with its `hello` frame.
    pub async fn connect(server: &TestServer, client: &Client) -> (Self, Value) {
        let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\
             Origin: {origin}\r\nCookie: {cookie}\r\n\r\n",
            addr = server.addr(),
            origin = server.origin(),
            cookie = client.cookie_header(),
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write upgrade");
        let mut ws = RawWs {
            stream,
            buffer: Vec::new(),
            next_mask: 0x1234_5678,
        };
        let head = ws.read_head().await;
        assert!(
            head.starts_with("HTTP/1.1 101"),
            "upgrade answered {head:?}"
        );
        let accept = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-accept"))
            .map(|(_, value)| value.trim());
        assert_eq!(accept, Some(ACCEPT), "101 head: {head:?}");
        let hello = ws.next_text_json().await;
        assert_eq!(hello["type"], "hello", "first frame: {hello}");
        (ws, hello)
    }

    /// Writes `frame` (with a fresh mask key when masked).
    pub async fn send(&mut self, frame: Out<'_>) {
        let frame = match frame.mask {
            Some(_) => {
                self.next_mask = self
                    .next_mask
                    .wrapping_mul(0x0100_0193)
                    .wrapping_add(0x9e37);
                Out {
                    mask: Some(self.next_mask.to_be_bytes()),
                    ..frame
                }
            }
            None => frame,
        };
        self.send_bytes(&frame.encode()).await;
    }

    /// Writes raw bytes; a write error is ignored (the server may already have closed).
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// A final masked text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send(Out::new(TEXT, text.as_bytes())).await;
    }

    /// The next frame, or `None` at EOF/reset; panics after the read timeout. Checks
    /// the server side of the protocol: frames unmasked, reserved bits clear.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.parse_frame() {
                return Some(frame);
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next text frame as JSON, answering nothing and skipping server pings.
    pub async fn next_text_json(&mut self) -> Value {
        loop {
            let frame = self
                .next_frame()
                .await
                .expect("connection ended, expected text");
            match frame.opcode {
                PING => {}
                TEXT => {
                    assert!(frame.fin, "server fragmented a text frame");
                    return serde_json::from_slice(&frame.payload).unwrap_or_else(|e| {
                        panic!(
                            "non-JSON text ({e}): {:?}",
                            String::from_utf8_lossy(&frame.payload)
                        )
                    });
                }
                other => panic!("expected a text frame, got opcode {other:#x}: {frame:?}"),
            }
        }
    }

    /// Reads until the server ends the connection; returns how, and the data frames
    /// seen before. After a Close frame it echoes the code when `reply` (completing a
    /// handshake the server started) and checks the server then closes TCP.
    pub async fn ending(&mut self, reply: bool) -> (Ending, Vec<Frame>) {
        let mut before = Vec::new();
        loop {
            let Some(frame) = self.next_frame().await else {
                return (Ending::Dropped, before);
            };
            if frame.opcode != CLOSE {
                if frame.opcode != PING && frame.opcode != PONG {
                    before.push(frame);
                }
                continue;
            }
            let code = close_code(&frame.payload);
            if reply {
                let echo = code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default();
                self.send(Out::new(CLOSE, &echo)).await;
            }
            assert!(
                self.next_frame().await.is_none(),
                "server sent more after its Close frame"
            );
            return (Ending::Close(code), before);
        }
    }

    /// Asserts the server closes with `code` and sends no data frame before it.
    pub async fn expect_close(&mut self, code: u16, what: &str) {
        let (ending, before) = self.ending(true).await;
        assert_eq!(
            ending,
            Ending::Close(Some(code)),
            "{what}: frames before: {before:?}"
        );
        assert!(
            before.is_empty(),
            "{what}: data frames before the close: {before:?}"
        );
    }

    async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buffer.drain(..end + 4).collect();
                return String::from_utf8_lossy(&head).into_owned();
            }
            assert!(self.fill().await, "connection closed during the upgrade");
        }
    }

    /// Reads more bytes; false at EOF or on a reset.
    async fn fill(&mut self) -> bool {
        self.buffer.reserve(16 * 1024);
        let read = tokio::time::timeout(READ_TIMEOUT, self.stream.read_buf(&mut self.buffer))
            .await
            .unwrap_or_else(|elapsed| panic!("no data from the server ({elapsed})"));
        matches!(read, Ok(n) if n > 0)
    }

    /// Takes one complete frame off the buffer, if there is one.
    fn parse_frame(&mut self) -> Option<Frame> {
        let b = &self.buffer;
        if b.len() < 2 {
            return None;
        }
        assert_eq!(b[0] & 0x70, 0, "server set reserved bits: {:#04x}", b[0]);
        assert_eq!(b[1] & 0x80, 0, "server masked a frame");
        let (len, header) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (usize::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 if b.len() >= 10 => {
                let len = u64::from_be_bytes(b[2..10].try_into().expect("8 bytes"));
                (usize::try_from(len).expect("frame length fits"), 10)
            }
            126 | 127 => return None,
            len => (usize::from(len), 2),
        };
        if b.len() < header + len {
            return None;
        }
        let frame = Frame {
            fin: b[0] & 0x80 != 0,
            opcode: b[0] & 0x0f,
            payload: b[header..header + len].to_vec(),
        };
        self.buffer.drain(..header + len);
        Some(frame)
    }
}

/// The status code of a Close payload (`None` if empty).
pub fn close_code(payload: &[u8]) -> Option<u16> {
    payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

/// A Close payload: the code, then the reason bytes.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    payload
}
