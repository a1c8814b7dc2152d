//! Channel layers: how events reach the [`Hub`]s. One process uses the
//! [`MemoryLayer`]; several processes on one database use the [`RedisLayer`]
//! (see `redis_layer` for how messages then travel).

use std::sync::Arc;

use chat_core::{MessageId, ThreadId, UserId};
use serde::{Deserialize, Serialize};

use crate::hub::Hub;
use crate::wire::WireMessage;

mod redis_layer;

pub use redis_layer::{RedisConfig, RedisLayer};

/// Something that happened and must reach open sockets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A stored message. `message.client_id` is ignored: `client_id` goes to the
    /// sender's sockets only.
    Message {
        message: WireMessage,
        client_id: Option<String>,
        sender: UserId,
        recipients: Vec<UserId>,
    },
    Typing {
        thread: ThreadId,
        user: UserId,
        username: String,
        recipients: Vec<UserId>,
    },
    Read {
        thread: ThreadId,
        user: UserId,
        username: String,
        up_to: MessageId,
        recipients: Vec<UserId>,
    },
    /// Close every socket of a user (logout: 1008).
    CloseUser {
        user: UserId,
        code: u16,
        reason: String,
    },
    /// Messages up to this id are durably stored (several processes): wakes
    /// the other processes' store tailers. Carries no frame; hubs ignore it.
    Committed { up_to: MessageId },
}

/// Publishes events to every hub that may hold a recipient's socket.
///
/// `publish` never blocks, and events from one publisher are delivered in
/// publish order. The app must publish messages in id order (publish while the
/// id is assigned, or under one lock): a socket drops a live message whose id is
/// not above the highest it has already written.
///
/// [`RedisLayer`] does not carry `Message` events: with several processes each
/// one delivers messages from its store tailer, and publishes `Committed`.
pub trait ChannelLayer: Send + Sync + 'static {
    fn publish(&self, event: Event);
}

/// The single-process layer: `publish` is `hub.deliver`, synchronously.
#[derive(Debug, Clone)]
pub struct MemoryLayer {
    hub: Arc<Hub>,
}

impl MemoryLayer {
    pub fn new(hub: Arc<Hub>) -> Self {
        MemoryLayer { hub }
    }

    /// The hub this layer delivers to.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

impl ChannelLayer for MemoryLayer {
    fn publish(&self, event: Event) {
        self.hub.deliver(&event);
    }
}
