//! The maps behind `MemoryStore` and the rules over them, mirroring the `SQLite` schema.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use chat_core::{
    ChatMessage, ClientMessageId, MessageId, Thread, ThreadId, Timestamp, UserId, UserPair,
    Username,
};

use super::revocations::Revocations;
use super::throttle::Throttle;
use crate::{
    Appended, Contact, Credentials, HistoryPage, NewMessage, ResumeBatch, Session, StoreError,
    ThreadSummary, TokenHash, User,
};

/// Everything the store holds. Each method checks before it mutates, so a
/// failed call leaves no trace.
#[derive(Default)]
pub(super) struct State {
    users: BTreeMap<UserId, Credentials>,
    user_ids_by_name: HashMap<String, UserId>,
    pub(super) sessions: HashMap<TokenHash, Session>,
    /// Under the same lock as `sessions`, so a delete and its record are one step.
    pub(super) revocations: Revocations,
    pub(super) throttle: Throttle,
    threads: BTreeMap<ThreadId, ThreadRow>,
    direct_threads: HashMap<UserPair, ThreadId>,
    /// (member, thread), for "threads of a user".
    memberships: BTreeSet<(UserId, ThreadId)>,
    /// By id: ascending iteration is the global feed (`messages_since`).
    messages: BTreeMap<MessageId, ChatMessage>,
    client_ids: HashMap<(ThreadId, UserId, ClientMessageId), MessageId>,
    cursors: HashMap<(UserId, ThreadId), MessageId>,
    last_user: i64,
    last_thread: i64,
    last_message: i64,
    tickets: u64,
}

struct ThreadRow {
    members: Vec<UserId>,
    created_at: Timestamp,
    /// Ascending: ids only grow, so appends push at the end.
    message_ids: Vec<MessageId>,
}

impl State {
    pub(super) fn create_user(
        &mut self,
        username: &Username,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let canonical = username.canonical();
        if self.user_ids_by_name.contains_key(&canonical) {
            return Err(StoreError::UsernameTaken);
        }
        self.last_user += 1;
        let user = User {
            id: UserId(self.last_user),
            username: username.clone(),
            created_at: now,
        };
        self.user_ids_by_name.insert(canonical, user.id);
        let credentials = Credentials {
            user: user.clone(),
            password_hash: password_hash.to_owned(),
        };
        self.users.insert(user.id, credentials);
        Ok(user)
    }

    pub(super) fn credentials(&self, username: &Username) -> Option<Credentials> {
        let id = self.user_ids_by_name.get(&username.canonical())?;
        self.users.get(id).cloned()
    }

    pub(super) fn has_user(&self, id: UserId) -> bool {
        self.users.contains_key(&id)
    }

    pub(super) fn user(&self, id: UserId) -> Option<User> {
        self.users.get(&id).map(|c| c.user.clone())
    }

    pub(super) fn list_users(&self) -> Vec<User> {
        let mut users: Vec<User> = self.users.values().map(|c| c.user.clone()).collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        users
    }

    pub(super) fn set_password_hash(
        &mut self,
        user: UserId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let credentials = self.users.get_mut(&user).ok_or(StoreError::NotFound)?;
        password_hash.clone_into(&mut credentials.password_hash);
        Ok(())
    }

    pub(super) fn create_session(
        &mut self,
        token: &TokenHash,
        session: &Session,
    ) -> Result<(), StoreError> {
        if !self.users.contains_key(&session.user) {
            return Err(StoreError::NotFound);
        }
        if self.sessions.contains_key(token) {
            return Err(StoreError::Backend(
                "session token hash already stored".into(),
            ));
        }
        self.sessions.insert(*token, session.clone());
        Ok(())
    }

    pub(super) fn get_or_create_direct_thread(
        &mut self,
        pair: UserPair,
        now: Timestamp,
    ) -> Result<Thread, StoreError> {
        if let Some(id) = self.direct_threads.get(&pair) {
            return Ok(Thread::direct(*id, pair));
        }
        if !self.users.contains_key(&pair.low()) || !self.users.contains_key(&pair.high()) {
            return Err(StoreError::NotFound);
        }
        self.last_thread += 1;
        let thread = Thread::direct(ThreadId(self.last_thread), pair);
        for member in &thread.members {
            self.memberships.insert((*member, thread.id));
        }
        let row = ThreadRow {
            members: thread.members.clone(),
            created_at: now,
            message_ids: Vec::new(),
        };
        self.threads.insert(thread.id, row);
        self.direct_threads.insert(pair, thread.id);
        Ok(thread)
    }

    pub(super) fn thread(&self, id: ThreadId) -> Option<Thread> {
        self.threads.get(&id).map(|row| Thread {
            id,
            members: row.members.clone(),
        })
    }

    pub(super) fn threads_of(&self, user: UserId) -> Vec<ThreadSummary> {
        let mut rows: Vec<(ThreadId, &ThreadRow)> = self
            .thread_ids_of(user)
            .filter_map(|id| self.threads.get(&id).map(|row| (id, row)))
            .collect();
        // Threads with messages first, newest message first; then the empty
        // ones, newest first (the same order as the SQL).
        rows.sort_by_key(|(id, row)| {
            let last = row.message_ids.last().copied();
            (
                last.is_none(),
                Reverse(last),
                Reverse(row.created_at),
                Reverse(*id),
            )
        });
        rows.into_iter()
            .map(|(id, row)| ThreadSummary {
                thread: Thread {
                    id,
                    members: row.members.clone(),
                },
                last_message: self.last_message_of(row),
                unread: self.unread(user, id, row),
            })
            .collect()
    }

    pub(super) fn append(&mut self, new: NewMessage) -> Result<Appended, StoreError> {
        if !self.users.contains_key(&new.sender) || !self.threads.contains_key(&new.thread) {
            return Err(StoreError::NotFound);
        }
        let key = new.client_id.clone().map(|c| (new.thread, new.sender, c));
        if let Some(existing) = key.as_ref().and_then(|k| self.client_ids.get(k)) {
            return Ok(Appended {
                message: self.messages[existing].clone(),
                created: false,
            });
        }
        self.last_message += 1;
        let id = MessageId(self.last_message);
        if let Some(row) = self.threads.get_mut(&new.thread) {
            row.message_ids.push(id);
        }
        if let Some(key) = key {
            self.client_ids.insert(key, id);
        }
        let message = ChatMessage {
            id,
            thread: new.thread,
            sender: new.sender,
            body: new.body,
            sent_at: new.sent_at,
            client_id: new.client_id,
        };
        self.messages.insert(id, message.clone());
        Ok(Appended {
            message,
            created: true,
        })
    }

    /// (users, messages) held, for `Debug`.
    pub(super) fn counts(&self) -> (usize, usize) {
        (self.users.len(), self.messages.len())
    }

    /// The next delivery ticket for `append_message_then`.
    pub(super) fn take_ticket(&mut self) -> u64 {
        let ticket = self.tickets;
        self.tickets += 1;
        ticket
    }

    pub(super) fn history(
        &self,
        thread: ThreadId,
        before: Option<MessageId>,
        limit: usize,
    ) -> HistoryPage {
        let Some(row) = self.threads.get(&thread) else {
            return HistoryPage::default();
        };
        let ids = &row.message_ids;
        let end = before.map_or(ids.len(), |b| ids.partition_point(|id| *id < b));
        let start = end.saturating_sub(limit);
        HistoryPage {
            messages: ids[start..end]
                .iter()
                .map(|id| self.messages[id].clone())
                .collect(),
            has_more: start > 0,
        }
    }

    pub(super) fn messages_after(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
        after: MessageId,
        limit: usize,
    ) -> ResumeBatch {
        let mut ids: Vec<MessageId> = Vec::new();
        for thread_id in self.visible_threads(user, thread) {
            let row_ids = &self.threads[&thread_id].message_ids;
            let start = row_ids.partition_point(|id| *id <= after);
            // The newest limit + 1 of each thread hold the newest limit + 1 overall.
            let start = start.max(row_ids.len().saturating_sub(limit.saturating_add(1)));
            ids.extend_from_slice(&row_ids[start..]);
        }
        ids.sort_unstable();
        let truncated = ids.len() > limit;
        let messages = ids[ids.len().saturating_sub(limit)..]
            .iter()
            .map(|id| self.messages[id].clone())
            .collect();
        ResumeBatch {
            messages,
            truncated,
        }
    }

    pub(super) fn latest_message_id(&self, user: UserId, thread: Option<ThreadId>) -> MessageId {
        self.visible_threads(user, thread)
            .filter_map(|id| self.threads[&id].message_ids.last().copied())
            .max()
            .unwrap_or_default()
    }

    pub(super) fn messages_since(&self, after: MessageId, limit: usize) -> Vec<ChatMessage> {
        self.messages
            .range((Bound::Excluded(after), Bound::Unbounded))
            .take(limit)
            .map(|(_, m)| m.clone())
            .collect()
    }

    pub(super) fn newest_message_id(&self) -> MessageId {
        self.messages
            .keys()
            .next_back()
            .copied()
            .unwrap_or_default()
    }

    pub(super) fn mark_read(
        &mut self,
        user: UserId,
        thread: ThreadId,
        up_to: MessageId,
    ) -> Result<MessageId, StoreError> {
        let row = self.threads.get(&thread).ok_or(StoreError::NotFound)?;
        if !self.users.contains_key(&user) {
            return Err(StoreError::NotFound);
        }
        let newest = row.message_ids.last().copied().unwrap_or_default();
        let cursor = self.cursors.entry((user, thread)).or_default();
        *cursor = (*cursor).max(up_to.min(newest));
        Ok(*cursor)
    }

    pub(super) fn read_cursors(&self, thread: ThreadId) -> Vec<(UserId, MessageId)> {
        let Some(row) = self.threads.get(&thread) else {
            return Vec::new();
        };
        row.members
            .iter()
            .map(|m| (*m, self.cursor(*m, thread)))
            .collect()
    }

    pub(super) fn contacts(&self, user: UserId) -> Vec<Contact> {
        let mut contacts: Vec<Contact> = self
            .users
            .values()
            .filter(|c| c.user.id != user)
            .map(|c| {
                let thread = UserPair::new(user, c.user.id)
                    .ok()
                    .and_then(|pair| self.direct_threads.get(&pair).copied());
                let row = thread.and_then(|id| self.threads.get(&id).map(|row| (id, row)));
                Contact {
                    user: c.user.clone(),
                    thread,
                    last_message: row.and_then(|(_, row)| self.last_message_of(row)),
                    unread: row.map_or(0, |(id, row)| self.unread(user, id, row)),
                }
            })
            .collect();
        contacts.sort_by(|a, b| {
            let key = |c: &Contact| {
                let last = c.last_message.as_ref().map(|m| m.id);
                (last.is_none(), Reverse(last))
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.user.username.cmp(&b.user.username))
        });
        contacts
    }

    fn thread_ids_of(&self, user: UserId) -> impl Iterator<Item = ThreadId> + '_ {
        self.memberships
            .range((user, ThreadId(i64::MIN))..=(user, ThreadId(i64::MAX)))
            .map(|(_, thread)| *thread)
    }

    /// `thread` if given and `user` is a member of it, else every thread of `user`.
    fn visible_threads(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
    ) -> Box<dyn Iterator<Item = ThreadId> + '_> {
        match thread {
            Some(id) if self.memberships.contains(&(user, id)) => Box::new(std::iter::once(id)),
            Some(_) => Box::new(std::iter::empty()),
            None => Box::new(self.thread_ids_of(user)),
        }
    }

    fn cursor(&self, user: UserId, thread: ThreadId) -> MessageId {
        self.cursors
            .get(&(user, thread))
            .copied()
            .unwrap_or_default()
    }

    fn last_message_of(&self, row: &ThreadRow) -> Option<ChatMessage> {
        row.message_ids.last().map(|id| self.messages[id].clone())
    }

    fn unread(&self, user: UserId, thread: ThreadId, row: &ThreadRow) -> u64 {
        let cursor = self.cursor(user, thread);
        let start = row.message_ids.partition_point(|id| *id <= cursor);
        let n = row.message_ids[start..]
            .iter()
            .filter(|id| self.messages[*id].sender != user)
            .count();
        u64::try_from(n).unwrap_or(u64::MAX)
    }
}
