//! One WebSocket session: a reader and a writer polled by the same task over
//! one stream, then a bounded close handshake.
//!
//! The reader decodes frames (tungstenite) and awaits the app's `on_frame` (one
//! at a time, so a flooding client is slowed by TCP). The writer drains the
//! bounded queue in batches, applies the [`Sequencer`] ordering rules, frames
//! the batch straight into the connection's output buffer ([`WsIo`]) and writes
//! it with one flush; it also pings, and watches the close request and the
//! shutdown signal. When either side ends, the other is stopped between
//! frames: an `on_frame` that has started always runs to completion. Then
//! [`finish`] performs the close handshake.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use chat_core::UserId;
use futures_util::StreamExt;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWrite;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::close::{CLOSE_GOING_AWAY, CLOSE_UNSUPPORTED_DATA, End, finish};
use super::io::WsIo;
use super::sequencer::{Overflow, Sequencer};
use super::socket::{CLOSE_TRY_AGAIN_LATER, Outbound, Receiver, Socket};
use super::{SessionHandler, WsConfig};
use crate::TransportError;
use crate::http::PendingUpgrade;
use crate::hub::{Hub, Scope};
use crate::shutdown::{self, Stop};
use crate::wire::{ErrorCode, ServerFrame, decode_client_frame};

/// Pings sent without a pong before the socket is considered dead.
const MAX_MISSED_PONGS: u32 = 2;
/// Most queue items written per flush.
const MAX_BATCH: usize = 64;
/// Batch buffer capacity kept between batches (beyond it, the buffer is freed).
const IDLE_FRAMES_CAPACITY: usize = 16;

pub(super) type WsStream = WebSocketStream<WsIo<TokioIo<Upgraded>>>;

/// The stream, shared by the session's two halves. Both are polled by the same
/// task and the lock is only held inside one poll, so it is never contended.
type Shared = Mutex<WsStream>;

fn lock(stream: &Shared) -> MutexGuard<'_, WsStream> {
    stream.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Who the session is for and how it behaves.
pub(crate) struct Params<H> {
    pub(crate) hub: Arc<Hub>,
    pub(crate) user: UserId,
    pub(crate) scope: Scope,
    pub(crate) handler: Arc<H>,
    pub(crate) config: WsConfig,
}

/// Waits for hyper to hand over the connection, then runs the session to its end.
pub(crate) async fn run<H: SessionHandler>(pending: PendingUpgrade, params: Params<H>) {
    let PendingUpgrade { on_upgrade, conn } = pending;
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::debug!(%error, "websocket upgrade did not complete");
            return;
        }
    };
    let (config, write_limit) = tungstenite_config(&params.config);
    let io = WsIo::new(
        TokioIo::new(upgraded),
        params.config.write_buffer,
        write_limit,
    );
    let stream = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let (socket, queue) = Socket::new(
        params.hub.next_socket_id(),
        params.user,
        params.scope,
        &params.config,
    );
    let registration = Registration::new(&params.hub, &socket);
    let end = drive(
        stream,
        &socket,
        queue,
        &*params.handler,
        &params.config,
        conn.shutdown(),
    )
    .await;
    drop(registration);
    params.handler.on_close(&socket);
    let (socket_id, user) = (socket.id(), socket.user());
    match &end {
        End::Broken(error) => {
            let cause = std::error::Error::source(error).map(ToString::to_string);
            tracing::debug!(socket = %socket_id, %user, %error, ?cause, "websocket connection lost");
        }
        end => tracing::debug!(socket = %socket_id, %user, ?end, "websocket session ended"),
    }
    // `conn` (the connection permit) is released here, after the socket is gone.
    drop(conn);
}

/// Keeps the socket in the hub for as long as it lives (even if a handler panics).
struct Registration<'a> {
    hub: &'a Hub,
    socket: Socket,
}

impl<'a> Registration<'a> {
    fn new(hub: &'a Hub, socket: &Socket) -> Self {
        hub.register(socket.clone());
        Registration {
            hub,
            socket: socket.clone(),
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.hub.unregister(&self.socket);
    }
}

async fn drive<H: SessionHandler>(
    stream: WsStream,
    socket: &Socket,
    queue: Receiver,
    handler: &H,
    config: &WsConfig,
    shutdown: watch::Receiver<bool>,
) -> End {
    let stream = Mutex::new(stream);
    let missed_pongs = AtomicU32::new(0);
    let (reader_done, writer_done) = (Stop::default(), Stop::default());
    let reader = async {
        handler.on_open(socket).await;
        socket.open_done();
        let end = read_loop(&stream, socket, handler, &missed_pongs, &writer_done).await;
        reader_done.trigger();
        end
    };
    let writer = async {
        let writer = Writer {
            socket,
            queue,
            sequencer: Sequencer::new(config.queue_frames),
            missed_pongs: &missed_pongs,
            ping_interval: config.ping_interval,
            frames: Vec::new(),
        };
        let end = writer.run(&stream, &reader_done, shutdown).await;
        writer_done.trigger();
        end
    };
    let (read_end, write_end) = tokio::join!(reader, writer);
    let end = match read_end {
        End::Stopped => write_end,
        read_end => read_end,
    };
    finish(
        stream.into_inner().unwrap_or_else(PoisonError::into_inner),
        &end,
    )
    .await;
    end
}

async fn read_loop<H: SessionHandler>(
    stream: &Shared,
    socket: &Socket,
    handler: &H,
    missed_pongs: &AtomicU32,
    writer_done: &Stop,
) -> End {
    // Created once: a `Notified` registered anew for every frame costs more
    // than the frame's decoding.
    let mut writer_stopped = std::pin::pin!(writer_done.wait());
    loop {
        let message = tokio::select! {
            biased;
            () = &mut writer_stopped => return End::Stopped,
            message = poll_fn(|cx| lock(stream).poll_next_unpin(cx)) => message,
        };
        let Some(message) = message else {
            return End::Broken(TransportError::WebSocket("connection closed".into()));
        };
        match message {
            Ok(Message::Text(text)) => match decode_client_frame(&text) {
                Ok(frame) => handler.on_frame(socket, frame).await,
                Err(error) => {
                    socket.send(&ServerFrame::Error {
                        code: ErrorCode::BadFrame,
                        message: error.message().to_owned(),
                        client_id: None,
                    });
                }
            },
            Ok(Message::Binary(_)) => {
                return End::close(CLOSE_UNSUPPORTED_DATA, "binary frames are not supported");
            }
            Ok(Message::Pong(_)) => missed_pongs.store(0, Ordering::Release),
            Ok(Message::Close(_)) => return End::PeerClosed,
            Ok(Message::Ping(_) | Message::Frame(_)) => {}
            Err(error) => return End::after_read_error(error),
        }
    }
}

/// The writing half: queue → ordering filter → batched writes; pings; close signals.
struct Writer<'a> {
    socket: &'a Socket,
    queue: Receiver,
    sequencer: Sequencer,
    missed_pongs: &'a AtomicU32,
    ping_interval: Duration,
    /// Frames of the current batch (empty between batches).
    frames: Vec<Utf8Bytes>,
}

impl Writer<'_> {
    async fn run(
        mut self,
        stream: &Shared,
        reader_done: &Stop,
        mut shutdown: watch::Receiver<bool>,
    ) -> End {
        let mut ping =
            tokio::time::interval_at(Instant::now() + self.ping_interval, self.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The three ways the session is told to end, each created (and its
        // waker registered) once rather than on every batch.
        let socket = self.socket;
        let mut close_requested = std::pin::pin!(socket.close_requested());
        let mut going_away = std::pin::pin!(shutdown::signalled(&mut shutdown));
        let mut reader_stopped = std::pin::pin!(reader_done.wait());
        loop {
            let mut send_ping = false;
            tokio::select! {
                biased;
                request = &mut close_requested => return End::Close(request),
                () = &mut going_away => return End::going_away(),
                () = &mut reader_stopped => return End::Stopped,
                _ = ping.tick() => {
                    if self.missed_pongs.fetch_add(1, Ordering::AcqRel) >= MAX_MISSED_PONGS {
                        return End::close(CLOSE_GOING_AWAY, "ping timeout");
                    }
                    send_ping = true;
                }
                item = self.queue.recv() => {
                    if self.collect(item).is_err() {
                        return End::close(CLOSE_TRY_AGAIN_LATER, "too slow, reconnect");
                    }
                }
            }
            frame_batch(&mut lock(stream), &mut self.frames, send_ping);
            let mut write = std::pin::pin!(poll_fn(|cx| {
                Pin::new(lock(stream).get_mut()).poll_flush(cx)
            }));
            // Most writes complete at once: only one that has to wait for the
            // peer gets its timeout (a clock read and a timer) and the watch
            // on the session's end signals, checked again before the next batch.
            let written = match poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await {
                Poll::Ready(result) => result,
                Poll::Pending => tokio::select! {
                    biased;
                    request = &mut close_requested => return End::Close(request),
                    () = &mut going_away => return End::going_away(),
                    () = &mut reader_stopped => return End::Stopped,
                    result = &mut write => result,
                    () = tokio::time::sleep(self.ping_interval * 2) => {
                        return End::Broken(TransportError::WebSocket("write timed out".into()));
                    }
                },
            };
            if let Err(error) = written {
                return End::Broken(TransportError::WebSocket(error.into()));
            }
            if self.frames.capacity() > IDLE_FRAMES_CAPACITY {
                self.frames = Vec::new(); // a burst or a replay should not pin memory
            }
        }
    }

    /// Takes `first` and whatever else is queued (up to a batch) through the sequencer.
    fn collect(&mut self, first: Outbound) -> Result<(), Overflow> {
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(item) = next {
            self.socket.dequeued(&item);
            self.sequencer.push(item, &mut self.frames)?;
            taken += 1;
            next = if taken < MAX_BATCH {
                self.queue.try_recv()
            } else {
                None
            };
        }
        Ok(())
    }
}

/// Frames the batch (and a ping) into the connection's output buffer.
fn frame_batch(stream: &mut WsStream, frames: &mut Vec<Utf8Bytes>, ping: bool) {
    let io = stream.get_mut();
    if ping {
        io.push_ping();
    }
    for text in frames.drain(..) {
        io.push_text(text.as_bytes());
    }
}

/// tungstenite's settings, and the most bytes tungstenite may leave unwritten
/// in the output buffer (its pongs to a peer that pings but does not read).
fn tungstenite_config(config: &WsConfig) -> (WebSocketConfig, usize) {
    // tungstenite's own bytes waiting in the output buffer (pongs, the
    // Close); the writer's batches are bounded apart from it, by the queue
    // limits and, for a replay, by the app's replay size.
    let max_write_buffer =
        config.write_buffer + config.queue_bytes.max(config.max_message_bytes) + 1024;
    let tungstenite = WebSocketConfig::default()
        .read_buffer_size(config.read_buffer)
        .write_buffer_size(0)
        .max_write_buffer_size(max_write_buffer)
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes));
    (tungstenite, max_write_buffer)
}
