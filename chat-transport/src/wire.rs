//! The JSON frames spoken over the WebSocket: the external contract with the
//! browser. Every frame is one text message holding one JSON object whose
//! `"type"` field names the variant.

use bytes::Bytes;
use chat_core::{MessageId, ThreadId};
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Longest error text echoed back to a client for a frame it sent.
const ERROR_MESSAGE_MAX: usize = 200;

/// A frame sent by the browser.
///
/// Unknown fields are ignored, so a client-supplied `"sender"` has no effect:
/// the sender is always the authenticated user of the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Post a message. `thread` may be omitted on a thread-scoped socket.
    Send {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<ThreadId>,
        body: String,
        /// The client's idempotency key, echoed on the sender's copy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// The user is typing.
    Typing {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<ThreadId>,
    },
    /// The user has read the thread up to a message.
    Read {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<ThreadId>,
        up_to: MessageId,
    },
    /// Send me every message after `after` (answered by a replay and `resumed`).
    Resume { after: MessageId },
}

/// Why a text frame is not a [`ClientFrame`]; the message is fit to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FrameError {
    message: String,
}

/// A chat message as the browser sees it (WebSocket frames and the JSON API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMessage {
    pub id: MessageId,
    pub thread: ThreadId,
    /// The sender's username.
    pub sender: String,
    pub body: String,
    /// When the server stored it, pre-formatted by the app (RFC 3339).
    pub sent_at: String,
    /// Only on the sender's own copy, so the sending tab can match its pending entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A frame sent by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on every socket: who you are and the newest message id at connect time.
    Hello {
        user: String,
        last_id: MessageId,
    },
    /// A message, its fields flattened next to `"type": "message"`.
    Message(WireMessage),
    Typing {
        thread: ThreadId,
        user: String,
    },
    Read {
        thread: ThreadId,
        user: String,
        up_to: MessageId,
    },
    /// Ends a replay: the socket is now live from `last_id` on.
    Resumed {
        last_id: MessageId,
        /// Present (and true) only when the replay was cut short.
        #[serde(default, skip_serializing_if = "is_false")]
        truncated: bool,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// The `client_id` of the send this error answers, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
}

/// Machine-readable reason of an [`ServerFrame::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not JSON or not a known frame type.
    BadFrame,
    /// The user is not a member of the thread.
    NotMember,
    /// The message body was empty or too long.
    InvalidBody,
    /// Too many frames; slow down.
    RateLimited,
}

/// Parses one text frame from the browser.
pub fn decode_client_frame(text: &str) -> Result<ClientFrame, FrameError> {
    // Objects only: a derived struct would also read a JSON array, field by field.
    let object = text.trim_start().starts_with('{');
    match object
        .then(|| serde_json::from_str::<FlatFrame>(text).ok())
        .flatten()
        .and_then(FlatFrame::into_frame)
    {
        Some(frame) => Ok(frame),
        None => decode_tagged(text),
    }
}

/// Every field a client frame may carry, read in one pass: serde reads an
/// internally tagged enum by first copying the whole object into a buffer.
/// [`decode_client_frame`] falls back to that ([`decode_tagged`]) whenever this
/// does not give a frame, so results and errors are the enum's own, with one
/// leniency: the value of an unknown field is skipped without being checked
/// (a number out of range or a lone surrogate escape there is ignored along
/// with the field, where the buffering enum rejects the frame).
#[derive(Deserialize)]
struct FlatFrame {
    #[serde(rename = "type")]
    kind: FrameKind,
    thread: Option<ThreadId>,
    body: Option<String>,
    client_id: Option<String>,
    up_to: Option<MessageId>,
    after: Option<MessageId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FrameKind {
    Send,
    Typing,
    Read,
    Resume,
}

impl FlatFrame {
    /// The frame, or `None` when a field its type requires is missing.
    fn into_frame(self) -> Option<ClientFrame> {
        let FlatFrame {
            kind,
            thread,
            body,
            client_id,
            up_to,
            after,
        } = self;
        Some(match kind {
            FrameKind::Send => ClientFrame::Send {
                thread,
                body: body?,
                client_id,
            },
            FrameKind::Typing => ClientFrame::Typing { thread },
            FrameKind::Read => ClientFrame::Read {
                thread,
                up_to: up_to?,
            },
            FrameKind::Resume => ClientFrame::Resume { after: after? },
        })
    }
}

/// [`decode_client_frame`] through the derived enum: the reference result,
/// and the error a client sees.
fn decode_tagged(text: &str) -> Result<ClientFrame, FrameError> {
    serde_json::from_str(text).map_err(|error| {
        let message = match error.classify() {
            serde_json::error::Category::Data => format!("invalid frame: {error}"),
            _ => "frame is not a JSON object".to_owned(),
        };
        FrameError {
            message: truncate(message, ERROR_MESSAGE_MAX),
        }
    })
}

impl FrameError {
    /// A short, human explanation (safe to send back to the client).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl ServerFrame {
    /// The frame as JSON bytes. Encode once and share the bytes between sockets.
    pub fn encode(&self) -> Bytes {
        Bytes::from(self.encode_text())
    }

    /// The frame as a ready-to-send WebSocket text payload (cheap to clone).
    pub(crate) fn encode_text(&self) -> Utf8Bytes {
        match serde_json::to_string(self) {
            Ok(json) => Utf8Bytes::from(json),
            Err(error) => {
                // Unreachable with these types (no maps, no fallible Serialize impls).
                tracing::error!(%error, "failed to encode a server frame");
                Utf8Bytes::from_static("{}")
            }
        }
    }
}

impl WireMessage {
    /// The `message` frame of this message for its recipients (without a
    /// `client_id`), and the sender's copy (with `client_id`, when given), as
    /// [`ServerFrame::Message`] encodes them. One JSON encode from borrowed
    /// fields: the sender's copy is the other with the field appended.
    pub(crate) fn encode_frames(&self, client_id: Option<&str>) -> (Utf8Bytes, Utf8Bytes) {
        let frame = MessageFrame {
            id: self.id,
            thread: self.thread,
            sender: &self.sender,
            body: &self.body,
            sent_at: &self.sent_at,
        };
        let (Ok(plain), Ok(client_id)) = (
            serde_json::to_string(&frame),
            client_id.map(serde_json::to_string).transpose(),
        ) else {
            // Unreachable: strings and integers always encode.
            tracing::error!("failed to encode a message frame");
            return (Utf8Bytes::from_static("{}"), Utf8Bytes::from_static("{}"));
        };
        let Some(client_id) = client_id else {
            let plain = Utf8Bytes::from(plain);
            return (plain.clone(), plain);
        };
        // `plain` is a JSON object: insert the last field before its `}`.
        let mut own = String::with_capacity(plain.len() + client_id.len() + 13);
        own.push_str(&plain[..plain.len() - 1]);
        own.push_str(",\"client_id\":");
        own.push_str(&client_id);
        own.push('}');
        (Utf8Bytes::from(plain), Utf8Bytes::from(own))
    }
}

/// [`ServerFrame::Message`] without a `client_id`, over borrowed fields.
#[derive(Serialize)]
#[serde(tag = "type", rename = "message")]
struct MessageFrame<'a> {
    id: MessageId,
    thread: ThreadId,
    sender: &'a str,
    body: &'a str,
    sent_at: &'a str,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(value: &bool) -> bool {
    !*value
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests;
