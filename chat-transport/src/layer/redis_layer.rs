//! [`RedisLayer`]: the channel layer of several server processes that share
//! one database, over Redis pub/sub.
//!
//! Stored messages do not travel through Redis. Every process follows the
//! store's global message feed (ids ascending and gap-free: the app's tailer)
//! and delivers from it, so each process delivers a message exactly once and in
//! id order whatever Redis does. Pub/sub carries only what may be lost:
//!
//! - [`Event::Committed`] wake-ups ("stored up to id M"), so the other
//!   processes' tailers read at once instead of at their next poll;
//! - typing, read and close events, which are ephemeral (read cursors and
//!   session ends are stored, and the revocation poll closes sockets anyway).
//!
//! `publish` hands typing/read/close to this process's hub at once, then queues
//! the event for Redis (bounded, `try_send`: a full queue drops it). One task
//! owns the connections: it publishes queued events in pipelines, coalescing
//! wake-ups into one for the highest id, and hands events from other processes
//! to the hub (its own come back tagged with its origin id and are skipped).
//! When Redis goes away the task logs once, discards what is queued meanwhile,
//! reconnects with exponential backoff and, once back, notifies `wake` so the
//! tailer catches up at once.

use std::error::Error as StdError;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_core::MessageId;
use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncConnectionConfig, Client};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::{ChannelLayer, Event};
use crate::TransportError;
use crate::hub::Hub;

/// Events waiting for the Redis task; beyond this `publish` drops them.
const OUTBOX_CAPACITY: usize = 4096;
/// Most events published in one pipeline (one round trip).
const MAX_BATCH: usize = 256;
/// How often both connections are pinged, so a silently dead peer is noticed.
const PING_EVERY: Duration = Duration::from_secs(5);
/// The first wait between reconnection attempts; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between reconnection attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

type BoxError = Box<dyn StdError + Send + Sync>;

/// Where and how to reach Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://[[user]:password@]host:port[/db]` (no TLS).
    pub url: String,
    /// The pub/sub channel shared by every process of one deployment. Channels
    /// are global to a Redis server (the db number does not separate them).
    pub channel: String,
    /// Longest a connection attempt or a command may take.
    pub timeout: Duration,
}

/// A channel layer over Redis pub/sub (see the module docs). Cheap to share
/// behind an `Arc`; dropping it stops its task.
pub struct RedisLayer {
    hub: Arc<Hub>,
    origin: u64,
    outbox: mpsc::Sender<Event>,
    connected: Arc<AtomicBool>,
}

/// What crosses the wire: an event tagged with the process that published it.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<E> {
    origin: u64,
    event: E,
}

/// What to do with a payload read from the channel.
#[derive(Debug, PartialEq, Eq)]
enum Incoming {
    /// Published by this process, which delivered it already.
    Own,
    /// Another process stored messages up to this id: wake the tailer.
    Wake(MessageId),
    /// Hand to this process's hub.
    Deliver(Event),
    /// Not ours to act on (a stored message, or not an envelope at all).
    Ignore,
}

/// The background task: owns the connections and the receiving end of the outbox.
struct Task {
    client: Client,
    config: RedisConfig,
    hub: Arc<Hub>,
    wake: Arc<Notify>,
    origin: u64,
    inbox: mpsc::Receiver<Event>,
    connected: Arc<AtomicBool>,
}

/// Live connections: a multiplexed one for PUBLISH and PING, one subscribed.
struct Link {
    publisher: MultiplexedConnection,
    subscriber: PubSubSink,
    messages: PubSubStream,
}

/// Why serving a link ended.
enum Stopped {
    /// The layer was dropped: the task ends.
    LayerDropped,
    /// A connection failed.
    Lost(BoxError),
}

impl RedisConfig {
    /// A config with a 2 s timeout.
    pub fn new(url: impl Into<String>, channel: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            channel: channel.into(),
            timeout: Duration::from_secs(2),
        }
    }

    /// The URL with any credentials masked, for logs.
    pub fn url_for_logs(&self) -> String {
        redact(&self.url)
    }
}

impl RedisLayer {
    /// Connects (publisher and subscriber) and starts the layer's task on the
    /// current tokio runtime. Fails if Redis cannot be reached now: a server
    /// should refuse to start rather than run half-connected from the outset.
    ///
    /// `wake` is notified (`notify_one`) whenever another process reports a
    /// commit, and after every reconnection.
    pub async fn connect(
        config: RedisConfig,
        hub: Arc<Hub>,
        wake: Arc<Notify>,
    ) -> Result<Self, TransportError> {
        let failed = |source: BoxError| TransportError::Redis {
            url: redact(&config.url),
            source,
        };
        let client = Client::open(config.url.as_str()).map_err(|e| failed(e.into()))?;
        let link = Link::open(&client, &config).await.map_err(failed)?;
        let (outbox, inbox) = mpsc::channel(OUTBOX_CAPACITY);
        let origin = new_origin();
        let connected = Arc::new(AtomicBool::new(true));
        let task = Task {
            client,
            config,
            hub: Arc::clone(&hub),
            wake,
            origin,
            inbox,
            connected: Arc::clone(&connected),
        };
        tokio::spawn(task.run(link));
        Ok(Self {
            hub,
            origin,
            outbox,
            connected,
        })
    }

    /// Whether the connections to Redis are up right now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }
}

impl ChannelLayer for RedisLayer {
    /// Typing, read and close events reach this process's sockets at once and
    /// are queued for the others. `Committed` is only queued. A `Message` is
    /// refused: with this layer messages reach sockets through the tailer only,
    /// and one delivered from here could overtake an older one still in the feed.
    fn publish(&self, event: Event) {
        match &event {
            Event::Message { message, .. } => {
                tracing::error!(id = %message.id, "a message was published on the redis layer; the tailer delivers messages");
                return;
            }
            Event::Committed { .. } => {}
            Event::Typing { .. } | Event::Read { .. } | Event::CloseUser { .. } => {
                self.hub.deliver(&event);
            }
        }
        if self.outbox.try_send(event).is_err() {
            tracing::debug!("redis queue full or closed: event not shared with other processes");
        }
    }
}

impl std::fmt::Debug for RedisLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLayer")
            .field("origin", &self.origin)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl Task {
    async fn run(mut self, mut link: Link) {
        loop {
            match self.serve(&mut link).await {
                Stopped::LayerDropped => return,
                Stopped::Lost(error) => {
                    self.connected.store(false, Ordering::Relaxed);
                    tracing::warn!(
                        %error,
                        "redis connection lost; reconnecting with backoff. Meanwhile typing and \
                         read events stay within each process, and messages from other \
                         processes arrive by polling the database (about once a second)"
                    );
                }
            }
            let Some(next) = self.reconnect().await else {
                return;
            };
            link = next;
            self.connected.store(true, Ordering::Relaxed);
            tracing::info!("redis connection restored");
            // Wake-ups published while we were away are lost: catch up now.
            self.wake.notify_one();
        }
    }

    /// Publishes, receives and pings until a connection fails or the layer is dropped.
    async fn serve(&mut self, link: &mut Link) -> Stopped {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        loop {
            let step = tokio::select! {
                message = link.messages.next() => match message {
                    Some(message) => {
                        self.receive(message.get_payload_bytes());
                        Ok(())
                    }
                    None => Err("the subscription connection closed".into()),
                },
                event = self.inbox.recv() => match event {
                    Some(first) => self.publish_batch(link, first).await,
                    None => return Stopped::LayerDropped,
                },
                _ = ping.tick() => link.ping(self.config.timeout).await,
            };
            if let Err(error) = step {
                return Stopped::Lost(error);
            }
        }
    }

    fn receive(&self, payload: &[u8]) {
        match classify(self.origin, payload) {
            Incoming::Wake(_) => self.wake.notify_one(),
            Incoming::Deliver(event) => self.hub.deliver(&event),
            Incoming::Own => {}
            Incoming::Ignore => tracing::debug!("ignored a payload on the redis channel"),
        }
    }

    /// Publishes `first` and whatever else is queued (up to [`MAX_BATCH`]) in one pipeline.
    async fn publish_batch(&mut self, link: &mut Link, first: Event) -> Result<(), BoxError> {
        let mut events = vec![first];
        while events.len() < MAX_BATCH
            && let Ok(event) = self.inbox.try_recv()
        {
            events.push(event);
        }
        let payloads = payloads(self.origin, &events);
        if payloads.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for payload in payloads {
            pipe.cmd("PUBLISH")
                .arg(&self.config.channel)
                .arg(payload)
                .ignore();
        }
        pipe.exec_async(&mut link.publisher).await?;
        Ok(())
    }

    /// Retries with exponential backoff until a link is up; `None` once the layer is dropped.
    async fn reconnect(&mut self) -> Option<Link> {
        let mut delay = BACKOFF_FIRST;
        loop {
            if !self.discard_until(Instant::now() + delay).await {
                return None;
            }
            match Link::open(&self.client, &self.config).await {
                Ok(link) => return Some(link),
                Err(error) => tracing::debug!(%error, ?delay, "redis still unreachable"),
            }
            delay = (delay * 2).min(BACKOFF_MAX);
        }
    }

    /// Drops queued events until `deadline` (nobody can receive them); false once
    /// the layer is dropped.
    async fn discard_until(&mut self, deadline: Instant) -> bool {
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return true,
                event = self.inbox.recv() => if event.is_none() {
                    return false;
                },
            }
        }
    }
}

impl Link {
    async fn open(client: &Client, config: &RedisConfig) -> Result<Self, BoxError> {
        let options = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout));
        let publisher = client
            .get_multiplexed_async_connection_with_config(&options)
            .await?;
        let pubsub = within(config.timeout, client.get_async_pubsub()).await?;
        let (mut subscriber, messages) = pubsub.split();
        within(config.timeout, subscriber.subscribe(&config.channel)).await?;
        Ok(Self {
            publisher,
            subscriber,
            messages,
        })
    }

    /// Pings both connections; an error (or no answer within `timeout`) means the link is dead.
    async fn ping(&mut self, timeout: Duration) -> Result<(), BoxError> {
        redis::cmd("PING")
            .query_async::<redis::Value>(&mut self.publisher)
            .await?;
        within(timeout, self.subscriber.ping::<redis::Value>()).await?;
        Ok(())
    }
}

/// Decides what a payload read from the channel means to process `own_origin`.
fn classify(own_origin: u64, payload: &[u8]) -> Incoming {
    let Ok(Envelope { origin, event }) = serde_json::from_slice::<Envelope<Event>>(payload) else {
        return Incoming::Ignore;
    };
    if origin == own_origin {
        return Incoming::Own;
    }
    match event {
        Event::Committed { up_to } => Incoming::Wake(up_to),
        // Only the tailer delivers messages (see `RedisLayer::publish`).
        Event::Message { .. } => Incoming::Ignore,
        event => Incoming::Deliver(event),
    }
}

/// The payloads of one pipeline: events in publish order, with every
/// `Committed` folded into one for the highest id, last. Messages are skipped.
fn payloads(origin: u64, events: &[Event]) -> Vec<Vec<u8>> {
    let mut committed: Option<MessageId> = None;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        match event {
            Event::Committed { up_to } => committed = committed.max(Some(*up_to)),
            Event::Message { .. } => {}
            event => out.extend(encode(origin, event)),
        }
    }
    if let Some(up_to) = committed {
        out.extend(encode(origin, &Event::Committed { up_to }));
    }
    out
}

fn encode(origin: u64, event: &Event) -> Option<Vec<u8>> {
    serde_json::to_vec(&Envelope { origin, event }).ok()
}

/// A random id for this process's publications (std's randomly keyed hasher,
/// fed the pid and the time: no extra dependency).
fn new_origin() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.finish()
}

/// The URL with any credentials replaced by `***`, for logs and errors.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Runs `future` for at most `timeout`.
async fn within<T, E: Into<BoxError>>(
    timeout: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, BoxError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(format!("no answer from redis within {timeout:?}").into()),
    }
}

#[cfg(test)]
mod tests;
