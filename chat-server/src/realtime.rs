//! What each WebSocket frame does, and the one path every message takes:
//! check → rate limit → durable append → publish (in commit order; with
//! `--redis`, through the store tailer).

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use chat_core::{ChatMessage, ClientMessageId, MessageBody, MessageId, Thread, ThreadId, UserId};
use chat_store::{Appended, NewMessage};
use chat_transport::hub::Scope;
use chat_transport::layer::Event;
use chat_transport::wire::{ClientFrame, ErrorCode, ServerFrame, WireMessage};
use chat_transport::ws::{SessionHandler, Socket};

use crate::app::{AppState, AuthUser, now};
use crate::error::AppError;
use crate::views;

/// Most messages replayed for one `resume`; older ones are paged over HTTP.
pub const RESUME_LIMIT: usize = 1000;
/// Close code for "your session ended" (policy violation).
pub const CLOSE_POLICY: u16 = 1008;

/// Why a message was not stored.
#[derive(Debug)]
pub enum PostError {
    /// The user is not a member of the thread (or it does not exist).
    NotMember,
    /// The user exceeded the message rate.
    RateLimited,
    /// Anything else.
    App(AppError),
}

/// What became of a posted message.
#[derive(Debug)]
pub enum Posted {
    /// Stored now (and published).
    Created,
    /// A retry of an earlier send (same client id): this is the stored row;
    /// nothing new was stored or published.
    Existing(ChatMessage),
}

impl From<AppError> for PostError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

/// Stores a message from `sender` and, once it is durable, publishes it to every
/// member's sockets (with `--redis`: wakes the tailer, which delivers it, and
/// tells the other processes). A repeated client id stores nothing and returns
/// the earlier row.
pub async fn post_message(
    state: &AppState,
    sender: UserId,
    thread_id: ThreadId,
    body: MessageBody,
    client_id: Option<ClientMessageId>,
) -> Result<Posted, PostError> {
    let thread = state
        .member_thread(sender, thread_id)
        .await?
        .ok_or(PostError::NotMember)?;
    let allowed = state
        .msg_limiter
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .check(sender, Instant::now());
    if allowed.is_err() {
        return Err(PostError::RateLimited);
    }
    let sender_name = state.username(sender).await?;
    let new = NewMessage {
        thread: thread_id,
        sender,
        body,
        client_id,
        sent_at: now(),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let layer = Arc::clone(&state.layer);
    let recipients = thread.members.clone();
    let tailer = state.tailer.clone();
    // Runs on the store's writer in commit order, so every socket sees ids ascending.
    let done = Box::new(move |result: Result<Appended, chat_store::StoreError>| {
        let posted = match result {
            Ok(Appended {
                mut message,
                created: true,
            }) => {
                if let Some(tailer) = tailer {
                    // Several processes: every message reaches sockets through the
                    // tailers, in id order; this one reads now, the others when told.
                    tailer.notify_one();
                    layer.publish(Event::Committed { up_to: message.id });
                } else {
                    layer.publish(Event::Message {
                        client_id: message.client_id.take().map(String::from),
                        message: views::into_wire_message(message, sender_name.into()),
                        sender,
                        recipients,
                    });
                }
                Ok(Posted::Created)
            }
            Ok(Appended {
                message,
                created: false,
            }) => Ok(Posted::Existing(message)),
            Err(error) => Err(error),
        };
        let _ = tx.send(posted);
    });
    state.store.append_message_then(new, done);
    let result = rx
        .await
        .map_err(|_| AppError::Internal("store dropped an append".to_owned()))?;
    result.map_err(|e| PostError::App(AppError::Store(e)))
}

/// Tells every member's sockets how far `user` has read.
pub fn publish_read(state: &AppState, user: &AuthUser, thread: &Thread, up_to: MessageId) {
    state.layer.publish(Event::Read {
        thread: thread.id,
        user: user.id,
        username: user.name.to_string(),
        up_to,
        recipients: thread.members.clone(),
    });
}

/// Closes every socket of `user` on every process (logout, password change).
pub fn close_user_sockets(state: &AppState, user: UserId, reason: &str) {
    state.layer.publish(Event::CloseUser {
        user,
        code: CLOSE_POLICY,
        reason: reason.to_owned(),
    });
}

/// The per-socket frame handler.
pub struct WsSession {
    /// The app.
    pub state: Arc<AppState>,
    /// The session the socket was opened under.
    pub token: chat_store::TokenHash,
}

impl SessionHandler for WsSession {
    async fn on_open(&self, socket: &Socket) {
        let state = &self.state;
        for old in state.sockets.add(self.token, socket) {
            old.close(CLOSE_POLICY, "too many open connections");
        }
        let user = socket.user();
        let scope = scope_thread(socket);
        let hello = async {
            let name = state.username(user).await?;
            let last_id = state.db(move |s| s.latest_message_id(user, scope)).await?;
            Ok::<_, AppError>((name, last_id))
        };
        match hello.await {
            Ok((name, last_id)) => {
                let frame = ServerFrame::Hello {
                    user: name.to_string(),
                    last_id,
                };
                socket.send_hello(&frame, last_id);
            }
            Err(e) => {
                tracing::error!(error = %e, "could not greet socket");
                socket.close(1011, "server error");
            }
        }
    }

    async fn on_frame(&self, socket: &Socket, frame: ClientFrame) {
        let state = &self.state;
        match frame {
            ClientFrame::Send {
                thread,
                body,
                client_id,
            } => on_send(state, socket, thread, body, client_id).await,
            ClientFrame::Typing { thread } => on_typing(state, socket, thread).await,
            ClientFrame::Read { thread, up_to } => on_read(state, socket, thread, up_to).await,
            ClientFrame::Resume { after } => on_resume(state, socket, after).await,
        }
    }

    fn on_close(&self, socket: &Socket) {
        self.state.sockets.remove(socket);
    }
}

async fn on_send(
    state: &AppState,
    socket: &Socket,
    thread: Option<ThreadId>,
    body: String,
    client_id: Option<String>,
) {
    let reply_error = |code, message: &str| {
        socket.send(&ServerFrame::Error {
            code,
            message: message.to_owned(),
            client_id: client_id.clone(),
        });
    };
    let thread_id = match frame_thread(socket, thread) {
        Ok(t) => t,
        Err((code, message)) => return reply_error(code, message),
    };
    let parsed_id = match client_id.as_deref().map(ClientMessageId::parse).transpose() {
        Ok(id) => id,
        Err(e) => return reply_error(ErrorCode::BadFrame, &e.to_string()),
    };
    let body = match MessageBody::parse_owned(body) {
        Ok(b) => b,
        Err(e) => return reply_error(ErrorCode::InvalidBody, &e.to_string()),
    };
    match post_message(state, socket.user(), thread_id, body, parsed_id).await {
        Ok(Posted::Existing(stored)) => {
            // A retry: answer with the stored message; nothing new is broadcast.
            let name = state.username(socket.user()).await.map(String::from);
            let mut message = views::into_wire_message(stored, name.unwrap_or_default());
            message.client_id.clone_from(&client_id);
            socket.send(&ServerFrame::Message(message));
        }
        Ok(Posted::Created) => {}
        Err(PostError::NotMember) => {
            reply_error(ErrorCode::NotMember, "not a member of this thread");
        }
        Err(PostError::RateLimited) => {
            reply_error(ErrorCode::RateLimited, "too many messages; slow down");
        }
        Err(PostError::App(e)) => {
            tracing::error!(error = %e, "send failed");
            // The client keeps the message in its outbox and resends after reconnecting.
            socket.close(1011, "server error");
        }
    }
}

async fn on_typing(state: &AppState, socket: &Socket, thread: Option<ThreadId>) {
    let user = socket.user();
    let Some(thread) = checked_thread(state, socket, thread).await else {
        return;
    };
    let allowed = state
        .typing_throttle
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .allow((user, thread.id), Instant::now());
    if !allowed {
        return;
    }
    let Ok(name) = state.username(user).await else {
        return;
    };
    state.layer.publish(Event::Typing {
        thread: thread.id,
        user,
        username: name.to_string(),
        recipients: thread.others(user).collect(),
    });
}

async fn on_read(state: &AppState, socket: &Socket, thread: Option<ThreadId>, up_to: MessageId) {
    let user = socket.user();
    let Some(thread) = checked_thread(state, socket, thread).await else {
        return;
    };
    let thread_id = thread.id;
    let cursor = state.db(move |s| s.mark_read(user, thread_id, up_to)).await;
    let name = state.username(user).await;
    match (cursor, name) {
        (Ok(cursor), Ok(name)) => {
            let auth = AuthUser {
                id: user,
                name,
                token: String::new(),
            };
            publish_read(state, &auth, &thread, cursor);
        }
        (Err(e), _) | (_, Err(e)) => tracing::error!(error = %e, "read failed"),
    }
}

async fn on_resume(state: &AppState, socket: &Socket, after: MessageId) {
    let user = socket.user();
    let scope = scope_thread(socket);
    let batch = match state
        .db(move |s| s.messages_after(user, scope, after, RESUME_LIMIT))
        .await
    {
        Ok(batch) => batch,
        Err(e) => {
            tracing::error!(error = %e, "resume failed");
            socket.close(1011, "server error");
            return;
        }
    };
    let mut messages: Vec<WireMessage> = Vec::with_capacity(batch.messages.len());
    for m in &batch.messages {
        let Ok(name) = state.username(m.sender).await else {
            continue;
        };
        let mut message = views::wire_message(m, name.as_str());
        // The sender's own copies carry its client id, replayed ones too: another
        // tab may still show that message as "sending".
        if m.sender == user {
            message.client_id = m.client_id.as_ref().map(ToString::to_string);
        }
        messages.push(message);
    }
    socket.send_replay(messages, batch.truncated);
}

/// The thread a frame is about, checked against membership; answers the error itself.
async fn checked_thread(
    state: &AppState,
    socket: &Socket,
    thread: Option<ThreadId>,
) -> Option<Arc<Thread>> {
    let reply = |code, message: &str| {
        socket.send(&ServerFrame::Error {
            code,
            message: message.to_owned(),
            client_id: None,
        });
    };
    let id = match frame_thread(socket, thread) {
        Ok(id) => id,
        Err((code, message)) => {
            reply(code, message);
            return None;
        }
    };
    match state.member_thread(socket.user(), id).await {
        Ok(Some(thread)) => Some(thread),
        Ok(None) => {
            reply(ErrorCode::NotMember, "not a member of this thread");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "thread lookup failed");
            None
        }
    }
}

/// The thread named by a frame: required on `/ws`, implied on `/ws/threads/{id}`.
fn frame_thread(
    socket: &Socket,
    thread: Option<ThreadId>,
) -> Result<ThreadId, (ErrorCode, &'static str)> {
    match (socket.scope(), thread) {
        (Scope::Thread(own), None) => Ok(own),
        (Scope::Thread(own), Some(t)) if t == own => Ok(own),
        (Scope::Thread(_), Some(_)) => {
            Err((ErrorCode::NotMember, "this socket is for another thread"))
        }
        (Scope::All, Some(t)) => Ok(t),
        (Scope::All, None) => Err((ErrorCode::BadFrame, "the frame needs a thread")),
    }
}

fn scope_thread(socket: &Socket) -> Option<ThreadId> {
    match socket.scope() {
        Scope::Thread(t) => Some(t),
        Scope::All => None,
    }
}
