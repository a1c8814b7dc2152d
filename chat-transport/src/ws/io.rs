//! The connection under a session's tungstenite stream: one ordered output
//! buffer shared by tungstenite and the session's writer.
//!
//! tungstenite reads through [`WsIo`] unchanged. Its own writes (pongs, the
//! Close frame) are appended to the output buffer, whole frames at a time; the
//! session's writer appends its text frames there too, already framed
//! ([`WsIo::push_text`]), so a batch of frames costs one copy each and one
//! `write` for the lot instead of a pass through tungstenite's sink per frame.
//! Everything leaves in the order it was appended, and a frame is never
//! interleaved with another, whoever wrote it. [`WsIo`]'s `poll_flush` writes
//! the buffer out.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// FIN + text opcode; FIN + ping opcode. Server frames are not masked.
const TEXT_FIN: u8 = 0x81;
const PING_FIN: u8 = 0x89;

/// A connection plus the bytes framed for it and not yet written.
#[derive(Debug)]
pub(crate) struct WsIo<T> {
    io: T,
    out: Vec<u8>,
    /// How much of `out` has been written.
    written: usize,
    /// Capacity `out` keeps once empty (beyond it, the buffer is freed).
    keep: usize,
    /// Bytes tungstenite appended since `out` was last written out whole.
    tungstenite_bytes: usize,
    /// Most of those it may append (a peer that pings but never reads).
    limit: usize,
}

impl<T> WsIo<T> {
    /// Wraps `io`. The output buffer keeps at most `keep` bytes of capacity
    /// while empty, so idle sockets stay small. tungstenite's own writes
    /// (pongs, the Close) fail once they would leave more than `limit` of its
    /// bytes waiting (a peer that pings but never reads); the session's frames
    /// do not count: their batches are bounded by the queue and the replay
    /// limits, and a large replay must not cost the next pong or Close.
    pub(crate) fn new(io: T, keep: usize, limit: usize) -> Self {
        WsIo {
            io,
            out: Vec::new(),
            written: 0,
            keep,
            tungstenite_bytes: 0,
            limit,
        }
    }

    /// Appends one unfragmented text frame carrying `payload`.
    pub(crate) fn push_text(&mut self, payload: &[u8]) {
        push_header(&mut self.out, TEXT_FIN, payload.len());
        self.out.extend_from_slice(payload);
    }

    /// Appends an empty ping frame.
    pub(crate) fn push_ping(&mut self) {
        push_header(&mut self.out, PING_FIN, 0);
    }

    /// Bytes appended and not yet written.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.out.len() - self.written
    }
}

/// A server frame header: first byte, then the payload length in the shortest form.
fn push_header(out: &mut Vec<u8>, first: u8, len: usize) {
    out.push(first);
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(short), _) if short <= 125 => out.push(short),
        (_, Ok(medium)) => {
            out.push(126);
            out.extend_from_slice(&medium.to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WsIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WsIo<T> {
    /// Takes all of `buf` (tungstenite writes whole frames), which
    /// [`poll_flush`](AsyncWrite::poll_flush) then writes out in order; fails
    /// when tungstenite's waiting bytes would pass the limit.
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.tungstenite_bytes + buf.len() > this.limit {
            return Poll::Ready(Err(io::Error::other("websocket output buffer full")));
        }
        this.tungstenite_bytes += buf.len();
        this.out.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.written < this.out.len() {
            let n = ready!(Pin::new(&mut this.io).poll_write(cx, &this.out[this.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        this.written = 0;
        this.tungstenite_bytes = 0;
        if this.out.capacity() > this.keep {
            this.out = Vec::new(); // a burst or a replay should not pin memory
        } else {
            this.out.clear();
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    /// Lengths on both sides of each header form's bounds.
    const LENGTHS: [usize; 8] = [0, 1, 125, 126, 127, 0xFFFF, 0x1_0000, 0x1_0001];

    #[tokio::test]
    async fn framed_texts_and_pings_read_back_through_tungstenite_in_order() {
        // A pipe smaller than one frame: every flush takes several partial writes.
        let (server, client) = tokio::io::duplex(1000);
        let mut io = WsIo::new(server, 4096, 1 << 20);
        let payloads: Vec<String> = LENGTHS
            .iter()
            .map(|&n| {
                "abcdefghijklmnopqrstuvwxyz"
                    .chars()
                    .cycle()
                    .take(n)
                    .collect()
            })
            .collect();
        for payload in &payloads {
            io.push_text(payload.as_bytes());
            io.push_ping();
        }
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let writer = tokio::spawn(async move {
            io.flush().await.unwrap();
            assert_eq!(io.pending(), 0);
            assert_eq!(io.out.capacity(), 0, "a large batch's buffer is freed");
        });
        for payload in &payloads {
            match client.next().await.unwrap().unwrap() {
                Message::Text(text) => assert_eq!(text.as_str(), payload.as_str()),
                other => panic!("expected a text frame, got {other:?}"),
            }
            assert_eq!(
                client.next().await.unwrap().unwrap(),
                Message::Ping(bytes::Bytes::new())
            );
        }
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn tungstenite_writes_and_pushed_frames_leave_in_append_order() {
        let (server, mut client) = tokio::io::duplex(64 * 1024);
        let mut ws =
            WebSocketStream::from_raw_socket(WsIo::new(server, 4096, 1 << 20), Role::Server, None)
                .await;
        ws.get_mut().push_text(b"one");
        // tungstenite's own frame goes behind the pushed one, and its flush writes both.
        ws.send(Message::text("two")).await.unwrap();
        ws.get_mut().push_text(b"three");
        ws.flush().await.unwrap();
        assert_eq!(ws.get_mut().pending(), 0);
        assert!(
            ws.get_mut().out.capacity() <= 4096,
            "a small buffer is kept for the next batch"
        );
        let mut bytes = vec![0; 17];
        client.read_exact(&mut bytes).await.unwrap();
        assert_eq!(bytes, b"\x81\x03one\x81\x03two\x81\x05three");
        // Nothing else was written.
        drop(ws);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{rest:?}");
    }

    #[tokio::test]
    async fn tungstenite_writes_fail_once_its_own_bytes_pass_the_limit() {
        let (server, _client) = tokio::io::duplex(64);
        let mut io = WsIo::new(server, 0, 100);
        // A large batch of the session's frames waits (the peer reads nothing):
        // it does not count against tungstenite's limit.
        io.push_text(&vec![b'x'; 2 << 20]);
        let batch = io.pending();
        assert_eq!(io.write(&[0; 60]).await.unwrap(), 60);
        assert_eq!(io.write(&[0; 40]).await.unwrap(), 40, "100 bytes fit");
        let error = io.write(&[0; 1]).await.unwrap_err();
        assert_eq!(error.to_string(), "websocket output buffer full");
        assert_eq!(
            io.pending(),
            batch + 100,
            "the refused write left nothing behind"
        );
    }

    #[tokio::test]
    async fn a_flushed_buffer_gives_tungstenite_its_limit_back() {
        let (server, mut client) = tokio::io::duplex(1024);
        let mut io = WsIo::new(server, 0, 100);
        assert_eq!(io.write(&[1; 100]).await.unwrap(), 100);
        io.flush().await.unwrap();
        assert_eq!(io.write(&[2; 100]).await.unwrap(), 100);
        io.flush().await.unwrap();
        let mut bytes = vec![0; 200];
        client.read_exact(&mut bytes).await.unwrap();
        assert_eq!((bytes[0], bytes[199]), (1, 2));
    }

    #[tokio::test]
    async fn shutdown_writes_what_is_pending_first() {
        let (server, mut client) = tokio::io::duplex(64);
        let mut io = WsIo::new(server, 0, 1 << 20);
        io.push_text(&[b'x'; 200]);
        let shut = tokio::spawn(async move { io.shutdown().await });
        let mut bytes = Vec::new();
        client.read_to_end(&mut bytes).await.unwrap();
        shut.await.unwrap().unwrap();
        assert_eq!(bytes.len(), 4 + 200);
        assert_eq!(&bytes[..4], &[0x81, 126, 0, 200]);
    }
}
