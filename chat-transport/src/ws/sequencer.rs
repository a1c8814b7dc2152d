//! The writer's ordering rules, without I/O: which queued items become which
//! frames, so every socket sees each message once, in id order, with no gap
//! from its `hello` (or `resumed`) on.
//!
//! Rules (ids are server-wide and strictly increasing):
//! - Until the `hello` (or the end of `on_open` when the app sends none), items
//!   are held back in order (bounded), then processed as if they came after it.
//! - `hello(last_id)`: `high_water = last_id`, nothing written live yet.
//! - A live message with `id <= high_water` is dropped: it was committed before
//!   the hello (the client resumes for it) or was already replayed. Otherwise it
//!   is written, `high_water = id`, and the first one since the hello is
//!   remembered as `live_floor`.
//! - A replay writes each message below `live_floor` (all of them when nothing
//!   went live yet) or above `high_water` (raising it), skips those in
//!   `[live_floor, high_water]` (already written live), then writes
//!   `resumed { last_id: high_water }`.
//! - Direct replies and non-message frames are written as they come.

use std::collections::VecDeque;

use chat_core::MessageId;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::socket::Outbound;
use crate::wire::ServerFrame;

/// Orders one socket's outbound frames.
#[derive(Debug)]
pub(crate) struct Sequencer {
    state: State,
    held: VecDeque<Outbound>,
    held_limit: usize,
}

/// More items arrived before the hello than the socket may hold back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

#[derive(Debug)]
enum State {
    AwaitingHello,
    Live(Filter),
}

/// The message-id bookkeeping of a live socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Filter {
    /// The highest message id written (or covered by the hello).
    high_water: Option<MessageId>,
    /// The first message id written live since the hello.
    live_floor: Option<MessageId>,
}

impl Sequencer {
    /// `held_limit` bounds the items held back before the hello.
    pub(crate) fn new(held_limit: usize) -> Self {
        Sequencer {
            state: State::AwaitingHello,
            held: VecDeque::new(),
            held_limit,
        }
    }

    /// Turns one queued item into zero or more frames appended to `out`.
    pub(crate) fn push(
        &mut self,
        item: Outbound,
        out: &mut Vec<Utf8Bytes>,
    ) -> Result<(), Overflow> {
        match &mut self.state {
            State::Live(filter) => filter.apply(item, out),
            State::AwaitingHello => match item {
                Outbound::Hello { text, last_id } => {
                    out.push(text);
                    self.go_live(Filter::after_hello(last_id), out);
                }
                Outbound::OpenDone => self.go_live(Filter::default(), out),
                item => {
                    if self.held.len() >= self.held_limit {
                        return Err(Overflow);
                    }
                    self.held.push_back(item);
                }
            },
        }
        Ok(())
    }

    fn go_live(&mut self, mut filter: Filter, out: &mut Vec<Utf8Bytes>) {
        for item in std::mem::take(&mut self.held) {
            filter.apply(item, out);
        }
        self.state = State::Live(filter);
    }
}

impl Filter {
    fn after_hello(last_id: MessageId) -> Self {
        Filter {
            high_water: Some(last_id),
            live_floor: None,
        }
    }

    fn apply(&mut self, item: Outbound, out: &mut Vec<Utf8Bytes>) {
        match item {
            Outbound::Live {
                text,
                message_id: Some(id),
            } => {
                if self.accept_live(id) {
                    out.push(text);
                }
            }
            Outbound::Live {
                text,
                message_id: None,
            }
            | Outbound::Direct(text) => out.push(text),
            Outbound::Hello { text, last_id } => {
                out.push(text);
                *self = Filter::after_hello(last_id);
            }
            Outbound::Replay {
                messages,
                truncated,
            } => {
                for message in messages {
                    if self.accept_replayed(message.id) {
                        out.push(ServerFrame::Message(message).encode_text());
                    }
                }
                let resumed = ServerFrame::Resumed {
                    last_id: self.high_water.unwrap_or_default(),
                    truncated,
                };
                out.push(resumed.encode_text());
            }
            Outbound::OpenDone => {}
        }
    }

    fn accept_live(&mut self, id: MessageId) -> bool {
        if self.high_water.is_some_and(|high| id <= high) {
            return false;
        }
        self.high_water = Some(id);
        self.live_floor.get_or_insert(id);
        true
    }

    fn accept_replayed(&mut self, id: MessageId) -> bool {
        let written_live = self.live_floor.is_some_and(|floor| floor <= id)
            && self.high_water.is_some_and(|high| id <= high);
        if written_live {
            return false;
        }
        if self.high_water.is_none_or(|high| id > high) {
            self.high_water = Some(id);
        }
        true
    }
}

#[cfg(test)]
mod tests;
