//! [`Socket`]: the handle the hub and the app use to reach one WebSocket session.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use chat_core::{MessageId, UserId};
use futures_util::task::AtomicWaker;
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
/// Every send goes into the session's bounded queue without waiting: it never blocks.
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
    queue: Queue,
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
    ) -> (Socket, Receiver) {
        let shared = Arc::new(Shared {
            id,
            user,
            scope,
            queue: Queue {
                items: Mutex::new(VecDeque::new()),
                waker: AtomicWaker::new(),
                closed: AtomicBool::new(false),
                max_items: config.queue_frames.max(1),
            },
            queued_bytes: AtomicUsize::new(0),
            max_queued_bytes: config.queue_bytes,
            closing: AtomicBool::new(false),
            close_request: Mutex::new(None),
            close_waker: AtomicWaker::new(),
        });
        let receiver = Receiver {
            shared: Arc::clone(&shared),
        };
        (Socket { shared }, receiver)
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
        self.shared.closing.load(Ordering::Acquire)
            || self.shared.queue.closed.load(Ordering::Acquire)
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
        // A dropped receiver leaves its bytes counted: checked first, so a
        // send to a finished session is refused quietly, not as an overflow.
        if self.is_closed() {
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
        let refused = {
            let queue = &self.shared.queue;
            let mut items = queue.lock();
            if queue.closed.load(Ordering::Acquire) {
                Some(None)
            } else if items.len() >= queue.max_items {
                Some(Some("queued frames"))
            } else {
                items.push_back(item);
                None
            }
        };
        match refused {
            None => {
                self.shared.queue.waker.wake();
                true
            }
            Some(overflow) => {
                self.shared.queued_bytes.fetch_sub(cost, Ordering::AcqRel);
                if let Some(what) = overflow {
                    self.overflowed(what);
                }
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

/// A session's outbound queue: a deque under a mutex that is only ever held to
/// push or pop one item (by the hub on the store's writer thread, by the session
/// on a runtime thread), bounded here by items and by [`Socket`] by bytes. It
/// allocates nothing while empty, so an idle socket does not pay for it.
struct Queue {
    items: Mutex<VecDeque<Outbound>>,
    /// The session's writer, waiting in [`Receiver::recv`].
    waker: AtomicWaker,
    /// The receiver is gone: nothing more is accepted.
    closed: AtomicBool,
    max_items: usize,
}

/// Capacity an emptied queue keeps (beyond it, the buffer is freed).
const IDLE_QUEUE_CAPACITY: usize = 8;

impl Queue {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Outbound>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The receiving end of a socket's queue, owned by its session's writer.
/// Dropping it closes the queue: later sends fail and [`Socket::is_closed`] is true.
pub(crate) struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    /// The next item, if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<Outbound> {
        let mut items = self.shared.queue.lock();
        let item = items.pop_front();
        if items.is_empty() && items.capacity() > IDLE_QUEUE_CAPACITY {
            *items = VecDeque::new(); // a burst should not pin memory
        }
        item
    }

    /// Waits for the next item.
    pub(crate) fn recv(&mut self) -> impl Future<Output = Outbound> + '_ {
        std::future::poll_fn(|cx| self.poll_recv(cx))
    }

    fn poll_recv(&mut self, cx: &Context<'_>) -> Poll<Outbound> {
        if let Some(item) = self.try_recv() {
            return Poll::Ready(item);
        }
        // Registered on every wait: a wake takes the waker out of the slot.
        self.shared.queue.waker.register(cx.waker());
        // An item pushed between the check and the registration woke nobody.
        match self.try_recv() {
            Some(item) => Poll::Ready(item),
            None => Poll::Pending,
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let queue = &self.shared.queue;
        let mut items = queue.lock();
        queue.closed.store(true, Ordering::Release);
        *items = VecDeque::new();
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("socket", &self.shared.id)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::hub::Hub;

    fn socket(queue_frames: usize, queue_bytes: usize) -> (Socket, Receiver) {
        let config = WsConfig {
            queue_frames,
            queue_bytes,
            ..WsConfig::default()
        };
        Socket::new(
            Hub::default().next_socket_id(),
            UserId(1),
            Scope::All,
            &config,
        )
    }

    fn text(item: &Outbound) -> &str {
        match item {
            Outbound::Direct(text) => text.as_str(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn direct(n: usize) -> ServerFrame {
        ServerFrame::Resumed {
            last_id: MessageId(i64::try_from(n).unwrap()),
            truncated: false,
        }
    }

    #[test]
    fn items_come_out_in_order_and_a_drained_burst_frees_its_buffer() {
        let (socket, mut queue) = socket(64, 1 << 20);
        for n in 0..40 {
            assert!(socket.send(&direct(n)));
        }
        for n in 0..40 {
            let item = queue.try_recv().unwrap();
            assert_eq!(text(&item), direct(n).encode_text().as_str());
            socket.dequeued(&item);
        }
        assert!(queue.try_recv().is_none());
        assert_eq!(queue.shared.queue.lock().capacity(), 0);
        assert_eq!(socket.shared.queued_bytes.load(Ordering::Acquire), 0);
    }

    #[test]
    fn one_item_over_the_bound_is_refused_and_closes_the_socket_1013() {
        let (socket, mut queue) = socket(3, 1 << 20);
        for n in 0..3 {
            assert!(socket.send(&direct(n)));
        }
        assert!(!socket.send(&direct(3)));
        let request = socket.close_request().expect("no close requested");
        assert_eq!(request.code, CLOSE_TRY_AGAIN_LATER);
        assert!(socket.is_closed());
        // What was queued before the overflow is still there, nothing after it.
        let queued = std::iter::from_fn(|| queue.try_recv()).count();
        assert_eq!(queued, 3);
    }

    /// A socket whose queue holds two frames and is full by bytes.
    fn full_by_bytes() -> (Socket, Receiver) {
        let one = direct(0).encode_text().len();
        let (socket, queue) = socket(64, 2 * one);
        assert!(socket.send(&direct(0)));
        assert!(socket.send(&direct(1)));
        (socket, queue)
    }

    #[test]
    fn the_byte_bound_refuses_too() {
        let (socket, _queue) = full_by_bytes();
        assert!(!socket.send(&direct(2)));
        assert_eq!(socket.close_request().unwrap().code, CLOSE_TRY_AGAIN_LATER);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_send_from_another_thread() {
        let (socket, mut queue) = socket(64, 1 << 20);
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            for n in 0..2 {
                assert!(socket.send(&direct(n)));
            }
        });
        for n in 0..2 {
            let item = tokio::time::timeout(Duration::from_secs(5), queue.recv())
                .await
                .expect("not woken");
            assert_eq!(text(&item), direct(n).encode_text().as_str());
        }
        sender.join().unwrap();
    }

    #[test]
    fn dropping_the_receiver_closes_the_queue() {
        // Full by bytes when the session ends.
        let (socket, queue) = full_by_bytes();
        assert!(!socket.is_closed());
        drop(queue);
        assert!(socket.is_closed());
        assert!(!socket.send(&direct(2)));
        assert!(
            socket.close_request().is_none(),
            "a closed queue is not an overflow"
        );
    }
}
