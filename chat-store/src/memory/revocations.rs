//! The revocation log behind `MemoryStore`: the newest `REVOCATIONS_KEPT`, by id.

use std::collections::VecDeque;

use chat_core::UserId;

use crate::{REVOCATIONS_KEPT, Revocation, TokenHash};

/// Revocations in ascending id order; ids start at 1 and are never reused.
#[derive(Default)]
pub(super) struct Revocations {
    log: VecDeque<Revocation>,
    last_id: i64,
}

impl Revocations {
    /// Appends one and prunes those more than `REVOCATIONS_KEPT` ids below it.
    pub(super) fn record(&mut self, user: UserId, token: Option<TokenHash>) {
        self.last_id += 1;
        self.log.push_back(Revocation {
            id: self.last_id,
            user,
            token,
        });
        while self
            .log
            .front()
            .is_some_and(|r| r.id <= self.last_id - REVOCATIONS_KEPT)
        {
            self.log.pop_front();
        }
    }

    pub(super) fn after(&self, after: i64, limit: usize) -> Vec<Revocation> {
        let start = self.log.partition_point(|r| r.id <= after);
        self.log.range(start..).take(limit).cloned().collect()
    }

    pub(super) fn latest_id(&self) -> i64 {
        self.log.back().map_or(0, |r| r.id)
    }
}
