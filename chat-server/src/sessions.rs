//! A small in-process cache of sessions, so an authenticated request needs no
//! store round trip. Entries are dropped on revocation (this process's logout
//! at once; other processes' through the revocation poll within 250 ms) and
//! re-read from the store after a short time, so staleness is bounded.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chat_core::UserId;
use chat_store::{Session, TokenHash};

/// How long a cached session is trusted before it is read again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(5);
/// Most cached sessions; the cache is emptied when it would grow past this.
const MAX_ENTRIES: usize = 100_000;

/// Sessions by token hash, each with when it was read.
#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<TokenHash, (Session, Instant)>>,
}

impl SessionCache {
    /// A session read less than [`SESSION_CACHE_TTL`] ago.
    pub fn get(&self, token: &TokenHash, now: Instant) -> Option<Session> {
        let entries = self.lock();
        let (session, read_at) = entries.get(token)?;
        (now.duration_since(*read_at) < SESSION_CACHE_TTL).then(|| session.clone())
    }

    /// Remembers a session just read from (or written to) the store.
    pub fn put(&self, token: TokenHash, session: Session, now: Instant) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token, (session, now));
    }

    /// Forgets one session.
    pub fn remove(&self, token: &TokenHash) {
        self.lock().remove(token);
    }

    /// Forgets every session of a user.
    pub fn remove_user(&self, user: UserId) {
        self.lock().retain(|_, (s, _)| s.user != user);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, (Session, Instant)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chat_core::Timestamp;

    use super::*;

    fn session(user: i64) -> Session {
        let t = Timestamp::from_millis(0);
        Session {
            user: UserId(user),
            created_at: t,
            last_seen: t,
            expires_at: t,
        }
    }

    #[test]
    fn entries_expire_and_are_removed() {
        let cache = SessionCache::default();
        let now = Instant::now();
        let (a, b) = (TokenHash([1; 32]), TokenHash([2; 32]));
        cache.put(a, session(1), now);
        cache.put(b, session(2), now);
        assert_eq!(cache.get(&a, now).map(|s| s.user), Some(UserId(1)));
        assert_eq!(cache.get(&a, now + SESSION_CACHE_TTL), None);
        cache.remove_user(UserId(1));
        assert_eq!(cache.get(&a, now), None);
        assert_eq!(cache.get(&b, now).map(|s| s.user), Some(UserId(2)));
        cache.remove(&b);
        assert_eq!(cache.get(&b, now), None);
    }
}
