//! Threads: a 1:1 thread joins exactly two distinct users, named by a canonical pair.

use crate::{ThreadId, UserId};

/// Two distinct users, lower id first, so (A, B) and (B, A) are the same pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserPair {
    low: UserId,
    high: UserId,
}

/// Why a thread cannot be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ThreadError {
    /// Both sides are the same user.
    #[error("a thread needs two different users")]
    SelfThread,
}

impl UserPair {
    /// The canonical pair of `a` and `b`, in either order.
    pub fn new(a: UserId, b: UserId) -> Result<Self, ThreadError> {
        match a.cmp(&b) {
            std::cmp::Ordering::Less => Ok(Self { low: a, high: b }),
            std::cmp::Ordering::Greater => Ok(Self { low: b, high: a }),
            std::cmp::Ordering::Equal => Err(ThreadError::SelfThread),
        }
    }

    /// The member with the lower id.
    pub const fn low(self) -> UserId {
        self.low
    }

    /// The member with the higher id.
    pub const fn high(self) -> UserId {
        self.high
    }

    /// Whether `user` is one of the two.
    pub fn contains(self, user: UserId) -> bool {
        self.low == user || self.high == user
    }

    /// The member that is not `user`, if `user` is a member.
    pub fn other(self, user: UserId) -> Option<UserId> {
        if user == self.low {
            Some(self.high)
        } else if user == self.high {
            Some(self.low)
        } else {
            None
        }
    }
}

/// A conversation and its members. Members are kept as a list so group rooms
/// (more than two members) fit the same type later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// The thread's id.
    pub id: ThreadId,
    /// Members, ascending by id.
    pub members: Vec<UserId>,
}

impl Thread {
    /// A 1:1 thread for `pair`.
    pub fn direct(id: ThreadId, pair: UserPair) -> Self {
        Self {
            id,
            members: vec![pair.low, pair.high],
        }
    }

    /// The access rule: only members may read or post in a thread.
    pub fn may_access(&self, user: UserId) -> bool {
        self.members.contains(&user)
    }

    /// Everyone but `user`.
    pub fn others(&self, user: UserId) -> impl Iterator<Item = UserId> + '_ {
        self.members.iter().copied().filter(move |m| *m != user)
    }
}

#[cfg(test)]
mod tests;
