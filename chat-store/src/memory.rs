//! `MemoryStore`: the whole store in process memory, with the same semantics as
//! `SqliteStore` (both pass `chat_store::conformance`). For tests, demos and
//! embedders who do not need durability.

mod revocations;
mod state;
#[cfg(test)]
mod tests;
mod throttle;

use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chat_core::{ChatMessage, MessageId, Thread, ThreadId, Timestamp, UserId, UserPair, Username};

use crate::{
    AppendCallback, Appended, Contact, Credentials, HistoryPage, LoginFailures, NewMessage,
    ResumeBatch, Revocation, Session, Store, StoreError, ThreadSummary, TokenHash, User,
};
use state::State;

/// A [`Store`] kept in maps behind one mutex. Nothing survives a drop.
///
/// Callbacks of [`Store::append_message_then`] run on the appending thread,
/// one at a time and in id order: each append draws a ticket under the state
/// lock and its callback waits for its turn. They run without any lock held, so
/// they may read the store and call `append_message`, but must not call
/// `append_message_then` (that would wait for a turn behind their own). A
/// panicking callback unwinds into its caller; the turn still passes on.
///
/// ```
/// use chat_store::{MemoryStore, Store};
/// let store = MemoryStore::new();
/// assert!(store.list_users()?.is_empty());
/// # Ok::<(), chat_store::StoreError>(())
/// ```
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// The ticket whose callback may run next.
    next_turn: Mutex<u64>,
    turn_changed: Condvar,
}

/// Passes the turn on when a callback returns or panics.
struct Turn<'a>(&'a MemoryStore);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing in `State` is left half-updated by a panic (every method checks
        // before it mutates), so a poisoned lock still guards consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    /// Counts only: the state holds password hashes, which must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (users, messages) = self.state().counts();
        f.debug_struct("MemoryStore")
            .field("users", &users)
            .field("messages", &messages)
            .finish_non_exhaustive()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut next = self
            .0
            .next_turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        self.0.turn_changed.notify_all();
    }
}

impl Store for MemoryStore {
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        self.state().create_user(username, password_hash, now)
    }

    fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        Ok(self.state().credentials(username))
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.state().user(id))
    }

    fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self.state().credentials(username).map(|c| c.user))
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        Ok(self.state().list_users())
    }

    fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        self.state().set_password_hash(user, password_hash)
    }

    fn create_session(&self, token: &TokenHash, session: &Session) -> Result<(), StoreError> {
        self.state().create_session(token, session)
    }

    fn session(&self, token: &TokenHash) -> Result<Option<Session>, StoreError> {
        Ok(self.state().sessions.get(token).cloned())
    }

    fn touch_session(&self, token: &TokenHash, now: Timestamp) -> Result<(), StoreError> {
        if let Some(session) = self.state().sessions.get_mut(token) {
            session.last_seen = session.last_seen.max(now);
        }
        Ok(())
    }

    fn delete_session(&self, token: &TokenHash) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(session) = state.sessions.remove(token) else {
            return Ok(false);
        };
        state.revocations.record(session.user, Some(*token));
        Ok(true)
    }

    fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        let mut state = self.state();
        let before = state.sessions.len();
        state.sessions.retain(|_, s| s.user != user);
        state.revocations.record(user, None);
        Ok(u64::try_from(before - state.sessions.len()).unwrap_or(u64::MAX))
    }

    fn revocations_after(&self, after: i64, limit: usize) -> Result<Vec<Revocation>, StoreError> {
        Ok(self.state().revocations.after(after, limit))
    }

    fn latest_revocation_id(&self) -> Result<i64, StoreError> {
        Ok(self.state().revocations.latest_id())
    }

    fn record_login_failure(
        &self,
        user: UserId,
        now: Timestamp,
        window: Duration,
    ) -> Result<LoginFailures, StoreError> {
        let mut state = self.state();
        if !state.has_user(user) {
            return Err(StoreError::NotFound);
        }
        Ok(state.throttle.record_login_failure(user, now, window))
    }

    fn login_failures(&self, user: UserId) -> Result<LoginFailures, StoreError> {
        let state = self.state();
        Ok(state
            .throttle
            .login_failures
            .get(&user)
            .copied()
            .unwrap_or_default())
    }

    fn clear_login_failures(&self, user: UserId) -> Result<(), StoreError> {
        self.state().throttle.login_failures.remove(&user);
        Ok(())
    }

    fn record_signup_attempt(
        &self,
        client: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        Ok(self
            .state()
            .throttle
            .record_signup_attempt(client, now, window))
    }

    fn get_or_create_direct_thread(
        &self,
        pair: UserPair,
        now: Timestamp,
    ) -> Result<Thread, StoreError> {
        self.state().get_or_create_direct_thread(pair, now)
    }

    fn thread(&self, id: ThreadId) -> Result<Option<Thread>, StoreError> {
        Ok(self.state().thread(id))
    }

    fn threads_of(&self, user: UserId) -> Result<Vec<ThreadSummary>, StoreError> {
        Ok(self.state().threads_of(user))
    }

    fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError> {
        self.state().append(message)
    }

    fn append_message_then(&self, message: NewMessage, done: AppendCallback) {
        let (outcome, ticket) = {
            let mut state = self.state();
            let outcome = state.append(message);
            (outcome, state.take_ticket())
        };
        let mut next = self
            .next_turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *next != ticket {
            next = self
                .turn_changed
                .wait(next)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(next);
        let _turn = Turn(self);
        done(outcome);
    }

    fn history(
        &self,
        thread: ThreadId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<HistoryPage, StoreError> {
        Ok(self.state().history(thread, before, limit))
    }

    fn messages_after(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
        after: MessageId,
        limit: usize,
    ) -> Result<ResumeBatch, StoreError> {
        Ok(self.state().messages_after(user, thread, after, limit))
    }

    fn latest_message_id(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
    ) -> Result<MessageId, StoreError> {
        Ok(self.state().latest_message_id(user, thread))
    }

    fn messages_since(
        &self,
        after: MessageId,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        Ok(self.state().messages_since(after, limit))
    }

    fn newest_message_id(&self) -> Result<MessageId, StoreError> {
        Ok(self.state().newest_message_id())
    }

    fn mark_read(
        &self,
        user: UserId,
        thread: ThreadId,
        up_to: MessageId,
    ) -> Result<MessageId, StoreError> {
        self.state().mark_read(user, thread, up_to)
    }

    fn read_cursors(&self, thread: ThreadId) -> Result<Vec<(UserId, MessageId)>, StoreError> {
        Ok(self.state().read_cursors(thread))
    }

    fn contacts(&self, user: UserId) -> Result<Vec<Contact>, StoreError> {
        Ok(self.state().contacts(user))
    }
}
