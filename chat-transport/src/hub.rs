//! [`Hub`]: this process's registry of open sockets and the fan-out of events to them.

use foldhash::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use chat_core::{MessageId, ThreadId, UserId};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::layer::Event;
use crate::wire::{ServerFrame, WireMessage};
use crate::ws::Socket;

/// Which events a socket receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every thread of the user (`/ws`).
    All,
    /// One thread only (`/ws/threads/{id}`).
    Thread(ThreadId),
}

/// Identifies one socket for the lifetime of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(u64);

/// The open sockets of this process, by user.
///
/// Delivery never blocks: each socket gets a `try_send` of bytes encoded once
/// per event (twice for a message: with and without the sender's `client_id`).
#[derive(Default)]
pub struct Hub {
    sockets: RwLock<HashMap<UserId, Vec<Socket>>>,
    next_id: AtomicU64,
    n_sockets: AtomicUsize,
}

impl Scope {
    /// Whether a socket with this scope receives events of `thread`.
    pub fn includes(self, thread: ThreadId) -> bool {
        match self {
            Scope::All => true,
            Scope::Thread(scoped) => scoped == thread,
        }
    }
}

impl SocketId {
    /// The raw number (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub::default())
    }

    /// Routes an event to the sockets of its recipients, respecting each socket's scope.
    ///
    /// - `Message`: the sender's sockets always get it (even if the sender is not
    ///   listed in `recipients`) carrying `client_id`; everyone else without.
    /// - `Typing`: never to the typer's own sockets.
    /// - `Read`: to every recipient, the reader's other tabs included.
    /// - `CloseUser`: [`Hub::close_user`].
    /// - `Committed`: nothing (it wakes store tailers, not sockets).
    pub fn deliver(&self, event: &Event) {
        match event {
            Event::Message {
                message,
                client_id,
                sender,
                recipients,
            } => self.deliver_message(message, client_id.as_deref(), *sender, recipients),
            Event::Typing {
                thread,
                user,
                username,
                recipients,
            } => {
                let frame = ServerFrame::Typing {
                    thread: *thread,
                    user: username.clone(),
                };
                let recipients = recipients.iter().copied().filter(|id| id != user);
                self.fan_out(recipients, *thread, frame.encode_text());
            }
            Event::Read {
                thread,
                user: _,
                username,
                up_to,
                recipients,
            } => {
                let frame = ServerFrame::Read {
                    thread: *thread,
                    user: username.clone(),
                    up_to: *up_to,
                };
                self.fan_out(recipients.iter().copied(), *thread, frame.encode_text());
            }
            Event::CloseUser { user, code, reason } => self.close_user(*user, *code, reason),
            Event::Committed { .. } => {}
        }
    }

    /// Closes every socket of `user` with this code (1008 on logout).
    pub fn close_user(&self, user: UserId, code: u16, reason: &str) {
        let sockets = self.sockets.read().unwrap_or_else(PoisonError::into_inner);
        for socket in sockets.get(&user).into_iter().flatten() {
            socket.close(code, reason);
        }
    }

    /// Open sockets in this process.
    pub fn socket_count(&self) -> usize {
        self.n_sockets.load(Ordering::Relaxed)
    }

    /// Open sockets of one user.
    pub fn user_socket_count(&self, user: UserId) -> usize {
        let sockets = self.sockets.read().unwrap_or_else(PoisonError::into_inner);
        sockets.get(&user).map_or(0, Vec::len)
    }

    /// A fresh socket id.
    pub(crate) fn next_socket_id(&self) -> SocketId {
        SocketId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn register(&self, socket: Socket) {
        let mut sockets = self.sockets.write().unwrap_or_else(PoisonError::into_inner);
        sockets.entry(socket.user()).or_default().push(socket);
        self.n_sockets.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unregister(&self, socket: &Socket) {
        let mut sockets = self.sockets.write().unwrap_or_else(PoisonError::into_inner);
        let Some(user_sockets) = sockets.get_mut(&socket.user()) else {
            return;
        };
        if let Some(index) = user_sockets.iter().position(|s| s.id() == socket.id()) {
            user_sockets.swap_remove(index);
            self.n_sockets.fetch_sub(1, Ordering::Relaxed);
        }
        if user_sockets.is_empty() {
            sockets.remove(&socket.user());
        }
    }

    fn deliver_message(
        &self,
        message: &WireMessage,
        client_id: Option<&str>,
        sender: UserId,
        recipients: &[UserId],
    ) {
        let (plain, for_sender) = message.encode_frames(client_id);
        let sockets = self.sockets.read().unwrap_or_else(PoisonError::into_inner);
        let sockets_of = |user: &UserId| sockets.get(user).into_iter().flatten();
        let (thread, id) = (message.thread, Some(message.id));
        hand_out(sockets_of(&sender), thread, for_sender, id);
        let others = Unique::new(recipients.iter().copied().filter(|&user| user != sender));
        hand_out(others.flat_map(|user| sockets_of(&user)), thread, plain, id);
    }

    fn fan_out(&self, users: impl Iterator<Item = UserId>, thread: ThreadId, text: Utf8Bytes) {
        let sockets = self.sockets.read().unwrap_or_else(PoisonError::into_inner);
        let targets = Unique::new(users).flat_map(|user| sockets.get(&user).into_iter().flatten());
        hand_out(targets, thread, text, None);
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("sockets", &self.socket_count())
            .finish_non_exhaustive()
    }
}

/// Gives `text` to each of `sockets` whose scope includes `thread`: a clone
/// to each but the last, which takes it. A frame for a single socket (each
/// copy of a message in a direct thread, usually) is then never turned into
/// shared, reference-counted storage: no allocation and no atomic count.
fn hand_out<'a>(
    sockets: impl Iterator<Item = &'a Socket>,
    thread: ThreadId,
    text: Utf8Bytes,
    message_id: Option<MessageId>,
) {
    let mut sockets = sockets.filter(|s| s.scope().includes(thread)).peekable();
    while let Some(socket) = sockets.next() {
        if sockets.peek().is_none() {
            socket.deliver(text, message_id);
            return;
        }
        socket.deliver(text.clone(), message_id);
    }
}

/// The distinct users of `inner`, in first-seen order (recipient lists are
/// tiny: a linear scan is fine). The first users seen are kept on the stack: a
/// direct thread's fan-out allocates nothing.
struct Unique<I> {
    inner: I,
    inline: [UserId; INLINE_USERS],
    n_inline: usize,
    more: Vec<UserId>,
}

/// Distinct users [`Unique`] keeps on the stack.
const INLINE_USERS: usize = 8;

impl<I: Iterator<Item = UserId>> Unique<I> {
    fn new(inner: I) -> Self {
        Unique {
            inner,
            inline: [UserId(0); INLINE_USERS],
            n_inline: 0,
            more: Vec::new(),
        }
    }
}

impl<I: Iterator<Item = UserId>> Iterator for Unique<I> {
    type Item = UserId;

    fn next(&mut self) -> Option<UserId> {
        loop {
            let user = self.inner.next()?;
            if self.inline[..self.n_inline].contains(&user) || self.more.contains(&user) {
                continue;
            }
            if self.n_inline < self.inline.len() {
                self.inline[self.n_inline] = user;
                self.n_inline += 1;
            } else {
                self.more.push(user);
            }
            return Some(user);
        }
    }
}

#[cfg(test)]
mod tests;
