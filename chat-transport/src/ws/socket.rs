//! [`Socket`]: the handle the hub and the app use to reach one WebSocket session.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use chat_core::{MessageId, UserId};
use futures_util::task::AtomicWaker;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::WsConfig;
use crate::hub::{Scope, SocketId};
use crate::shutdown;
use crate::wire::{ServerFrame, WireMessage};

/// Close code sent when a socket's outbound queue overflows (RFC 6455 "try again later").
pub(crate) const CLOSE_TRY_AGAIN_LATER: u16 = 1013;
/// Longest close reason RFC 6455 allows in a control frame (125 bytes minus the code).
const CLOSE_REASON_MAX: usize = 123;

/// A cheap, cloneable handle to one WebSocket session.
///
/// Every send is a `try_send` into the session's bounded queue: it never blocks.
/// When the queue is full (by frame count or by bytes) the socket is closed with
/// 1013 and the client is expected to reconnect and resume.
#[derive(Clone)]
pub struct Socket {
    shared: Arc<Shared>,
}

/// What the writer of a session is asked to do, in queue order.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A frame fanned out by the hub; message frames carry their id for the ordering filter.
    Live {
        text: Utf8Bytes,
        message_id: Option<MessageId>,
    },
    /// A direct reply from the app: written as is, never filtered.
    Direct(Utf8Bytes),
    /// The `hello` frame; sets the ordering baseline.
    Hello { text: Utf8Bytes, last_id: MessageId },
    /// The answer to a `resume`.
    Replay {
        messages: Vec<WireMessage>,
        truncated: bool,
    },
    /// `on_open` has returned (lets frames through when the app sent no hello).
    OpenDone,
}

/// A close the session has been asked to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloseRequest {
    pub(crate) code: u16,
    pub(crate) reason: String,
}

struct Shared {
    id: SocketId,
    user: UserId,
    scope: Scope,
    queue: mpsc::Sender<Outbound>,
    queued_bytes: AtomicUsize,
    max_queued_bytes: usize,
    closing: AtomicBool,
    close_request: Mutex<Option<CloseRequest>>,
    /// The session writer, waiting in [`Socket::close_requested`].
    close_waker: AtomicWaker,
}

impl Socket {
    /// A new handle and the receiving end of its queue (owned by the session's writer).
    pub(crate) fn new(
        id: SocketId,
        user: UserId,
        scope: Scope,
        config: &WsConfig,
    ) -> (Socket, mpsc::Receiver<Outbound>) {
        let (queue, receiver) = mpsc::channel(config.queue_frames.max(1));
        let shared = Shared {
            id,
            user,
            scope,
            queue,
            queued_bytes: AtomicUsize::new(0),
            max_queued_bytes: config.queue_bytes,
            closing: AtomicBool::new(false),
            close_request: Mutex::new(None),
            close_waker: AtomicWaker::new(),
        };
        (
            Socket {
                shared: Arc::new(shared),
            },
            receiver,
        )
    }

    pub fn id(&self) -> SocketId {
        self.shared.id
    }

    /// The authenticated user this socket belongs to.
    pub fn user(&self) -> UserId {
        self.shared.user
    }

    pub fn scope(&self) -> Scope {
        self.shared.scope
    }

    /// Queues a direct reply (an error, the answer to a duplicate send...). Message
    /// frames sent this way bypass the ordering filter. Returns false when the
    /// socket is closing or its queue is full (then it is closed with 1013).
    pub fn send(&self, frame: &ServerFrame) -> bool {
        self.enqueue(Outbound::Direct(frame.encode_text()))
    }

    /// Queues the `hello` frame and sets the socket's delivery baseline to `last_id`:
    /// live messages with an id up to `last_id` are not written (the client
    /// resumes for them). Frames queued before the hello are held back until it.
    pub fn send_hello(&self, frame: &ServerFrame, last_id: MessageId) {
        self.enqueue(Outbound::Hello {
            text: frame.encode_text(),
            last_id,
        });
    }

    /// Queues the answer to a `resume`: the messages (in id order) minus those
    /// already written live, then a `resumed` frame carrying the socket's high
    /// water mark. Replays are bounded by the app's page size, not by `queue_bytes`.
    pub fn send_replay(&self, messages: Vec<WireMessage>, truncated: bool) {
        self.enqueue(Outbound::Replay {
            messages,
            truncated,
        });
    }

    /// Asks the session to send a Close frame with this code and end. The first
    /// close wins; later calls are ignored. Never blocks.
    pub fn close(&self, code: u16, reason: &str) {
        {
            let mut request = self
                .shared
                .close_request
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if request.is_some() {
                return;
            }
            *request = Some(CloseRequest {
                code,
                reason: truncate_reason(reason),
            });
        }
        self.shared.closing.store(true, Ordering::Release);
        self.shared.close_waker.wake();
    }

    /// True once a close was requested or the session has ended.
    pub fn is_closed(&self) -> bool {
        self.shared.closing.load(Ordering::Acquire) || self.shared.queue.is_closed()
    }

    /// Hub fan-out: queue a shared, pre-encoded frame.
    pub(crate) fn deliver(&self, text: Utf8Bytes, message_id: Option<MessageId>) -> bool {
        self.enqueue(Outbound::Live { text, message_id })
    }

    /// Marks the end of `on_open` in the queue.
    pub(crate) fn open_done(&self) {
        self.enqueue(Outbound::OpenDone);
    }

    /// The writer took `item` off the queue: release its bytes.
    pub(crate) fn dequeued(&self, item: &Outbound) {
        let cost = item.cost();
        if cost > 0 {
            self.shared.queued_bytes.fetch_sub(cost, Ordering::AcqRel);
        }
    }

    /// The pending close, if any.
    pub(crate) fn close_request(&self) -> Option<CloseRequest> {
        self.shared
            .close_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Resolves with the close request once [`Socket::close`] has been
    /// called. One waiter at a time: the session's writer. A poll before the
    /// close costs an atomic load and a waker comparison (`closing` is raised
    /// only after the request is stored; see [`shutdown::register`]).
    pub(crate) fn close_requested(&self) -> impl Future<Output = CloseRequest> + '_ {
        let mut registered = None;
        std::future::poll_fn(move |cx| {
            if let Some(request) = self.requested_close() {
                return Poll::Ready(request);
            }
            if !shutdown::register(&self.shared.close_waker, &mut registered, cx) {
                return Poll::Pending;
            }
            // A close between the check and the registration woke nobody.
            match self.requested_close() {
                Some(request) => Poll::Ready(request),
                None => Poll::Pending,
            }
        })
    }

    fn requested_close(&self) -> Option<CloseRequest> {
        if self.shared.closing.load(Ordering::Acquire) {
            self.close_request()
        } else {
            None
        }
    }

    fn enqueue(&self, item: Outbound) -> bool {
        if self.shared.closing.load(Ordering::Acquire) {
            return false;
        }
        let cost = item.cost();
        if cost > 0 {
            let before = self.shared.queued_bytes.fetch_add(cost, Ordering::AcqRel);
            if before + cost > self.shared.max_queued_bytes {
                self.shared.queued_bytes.fetch_sub(cost, Ordering::AcqRel);
                self.overflowed("queued bytes");
                return false;
            }
        }
        match self.shared.queue.try_send(item) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.queued_bytes.fetch_sub(cost, Ordering::AcqRel);
                self.overflowed("queued frames");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.shared.queued_bytes.fetch_sub(cost, Ordering::AcqRel);
                false
            }
        }
    }

    fn overflowed(&self, what: &str) {
        tracing::debug!(socket = %self.id(), user = %self.user(), what, "socket queue full, closing");
        self.close(CLOSE_TRY_AGAIN_LATER, "too slow, reconnect");
    }
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.shared.id)
            .field("user", &self.shared.user)
            .field("scope", &self.shared.scope)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// Bytes counted against `queue_bytes` while the item waits in the queue.
    fn cost(&self) -> usize {
        match self {
            Outbound::Live { text, .. } | Outbound::Direct(text) | Outbound::Hello { text, .. } => {
                text.len()
            }
            Outbound::Replay { .. } | Outbound::OpenDone => 0,
        }
    }
}

fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(CLOSE_REASON_MAX);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}
