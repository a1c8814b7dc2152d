//! The `Store` trait: one synchronous method per use case, over chat-core types.

use chat_core::{
    ChatMessage, ClientMessageId, MessageBody, MessageId, Thread, ThreadId, Timestamp, UserId,
    UserPair, Username,
};

use crate::StoreError;

/// How many revocations a store keeps: recording one deletes those more than
/// this many ids below it. At one poll every few hundred milliseconds, a
/// process misses revocations only if this many happen between two polls.
pub const REVOCATIONS_KEPT: i64 = 10_000;

/// A registered user (without secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The spelling chosen at signup.
    pub username: Username,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A user together with the stored password hash (PHC string), for login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The PHC string of the password hash.
    pub password_hash: String,
}

/// SHA-256 of a session token. Only this is stored, never the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

/// A login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose session it is.
    pub user: UserId,
    /// When it was created (login time).
    pub created_at: Timestamp,
    /// When it was last used (moved by `touch_session`).
    pub last_seen: Timestamp,
    /// Absolute expiry.
    pub expires_at: Timestamp,
}

/// A session ended server-side (logout, password change). Every server process
/// polls these ([`Store::revocations_after`]) to close that session's (or
/// user's) open `WebSocket`s quickly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Strictly increasing across every process writing the store; never reused.
    pub id: i64,
    /// Whose session(s) ended.
    pub user: UserId,
    /// The ended session; `None` = every session of the user.
    pub token: Option<TokenHash>,
}

/// Failed logins of one account, for throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Failures in the current run (each within `window` of the one before).
    pub count: u32,
    /// The newest failure; `None` when there is no tally.
    pub last: Option<Timestamp>,
}

/// A message to append. The sender is the authenticated user, set by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Target thread (the caller has checked membership).
    pub thread: ThreadId,
    /// Authenticated sender.
    pub sender: UserId,
    /// Validated body.
    pub body: MessageBody,
    /// Idempotency key, if any.
    pub client_id: Option<ClientMessageId>,
    /// The server's `now`.
    pub sent_at: Timestamp,
}

/// The outcome of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The stored row (the earlier one when `created` is false).
    pub message: ChatMessage,
    /// False when (thread, sender, client id) already existed: nothing new was stored.
    pub created: bool,
}

/// Runs once an append's outcome is durable. Stores call these in commit order
/// (ascending message id), one at a time, so a caller can broadcast from it and
/// every listener sees messages in id order. (Outcomes that created nothing, a
/// duplicate or an error, carry no new id; they run in submission order among the rest.)
pub type AppendCallback = Box<dyn FnOnce(Result<Appended, StoreError>) + Send + 'static>;

/// A page of history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryPage {
    /// Messages in ascending id order.
    pub messages: Vec<ChatMessage>,
    /// Whether older messages exist before the first one returned.
    pub has_more: bool,
}

/// What a thread page shows, read at one point in time ([`Store::thread_page`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadPage {
    /// The newest message id the user can read in any thread: the page's
    /// resume point, so anything committed later reaches it live or by resume.
    pub last_id: MessageId,
    /// The page of the thread's messages.
    pub history: HistoryPage,
    /// The thread members' read cursors, by user id.
    pub cursors: Vec<(UserId, MessageId)>,
    /// The sidebar ([`Store::sidebar_contacts`]).
    pub sidebar: Vec<Contact>,
    /// How many users the sidebar left out.
    pub more_contacts: usize,
}

/// Messages a user missed, for resume, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResumeBatch {
    /// Ascending id order; when truncated, the newest `limit` ones.
    pub messages: Vec<ChatMessage>,
    /// More than `limit` messages were missing; older ones must be paged over HTTP.
    pub truncated: bool,
}

/// One row of the contact list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The other user.
    pub user: User,
    /// The 1:1 thread with them, if one exists.
    pub thread: Option<ThreadId>,
    /// The newest message in that thread.
    pub last_message: Option<ChatMessage>,
    /// Messages from others in that thread after my read cursor.
    pub unread: u64,
}

/// A thread as seen by one member, for the JSON thread list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    /// The thread and its members.
    pub thread: Thread,
    /// The newest message, if any.
    pub last_message: Option<ChatMessage>,
    /// Messages from others after my read cursor.
    pub unread: u64,
}

/// Persistence for the chat. Synchronous: async callers reach it through
/// `spawn_blocking`. Every implementation passes the conformance suite in
/// `chat_store::conformance`.
pub trait Store: Send + Sync + 'static {
    // --- users ---
    /// Creates a user; `StoreError::UsernameTaken` if the name exists in any case.
    fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User, StoreError>;
    /// Looks a user up by name (case-insensitive), with the password hash.
    fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError>;
    /// Looks a user up by id.
    fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Looks a user up by name (case-insensitive).
    fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError>;
    /// Every user, ascending by username (case-insensitive).
    fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces a user's password hash; `NotFound` for an unknown user.
    fn set_password_hash(&self, user: UserId, password_hash: &str) -> Result<(), StoreError>;

    // --- sessions ---
    /// Stores a new session under the token's hash; `NotFound` for an unknown user.
    fn create_session(&self, token: &TokenHash, session: &Session) -> Result<(), StoreError>;
    /// The session for a token hash, if it exists (expiry is the caller's rule).
    fn session(&self, token: &TokenHash) -> Result<Option<Session>, StoreError>;
    /// Moves `last_seen` forward to `now` (never backwards; an unknown token is a no-op).
    fn touch_session(&self, token: &TokenHash, now: Timestamp) -> Result<(), StoreError>;
    /// Deletes one session; true if it existed. When it existed, records a
    /// [`Revocation`] of that token in the same transaction.
    fn delete_session(&self, token: &TokenHash) -> Result<bool, StoreError>;
    /// Deletes every session of a user; returns how many. Always records a
    /// [`Revocation`] of the whole user (token `None`), in the same transaction.
    fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError>;

    // --- revocations ---
    /// Revocations with id > `after`, ascending, at most `limit`. `delete_session`
    /// (when the session existed) and `delete_user_sessions` (always, token None)
    /// record one automatically, in the same transaction.
    ///
    /// Only the newest [`REVOCATIONS_KEPT`](crate::REVOCATIONS_KEPT) are kept
    /// (each new one prunes the oldest past that), so a poller must not fall
    /// further behind than that; ids may have gaps.
    fn revocations_after(&self, after: i64, limit: usize) -> Result<Vec<Revocation>, StoreError>;
    /// The newest revocation id (0 if none): where a starting process begins polling.
    fn latest_revocation_id(&self) -> Result<i64, StoreError>;

    // --- throttling ---
    /// Counts a failed login for `user` at `now` and returns the new tally. A failure
    /// more than `window` after the previous one starts a new count at 1.
    /// `last` never moves backwards (a `now` before it still counts).
    /// `NotFound` for an unknown user.
    fn record_login_failure(
        &self,
        user: UserId,
        now: Timestamp,
        window: std::time::Duration,
    ) -> Result<LoginFailures, StoreError>;
    /// The current tally (zero when none).
    fn login_failures(&self, user: UserId) -> Result<LoginFailures, StoreError>;
    /// Forgets the tally (after a successful login). A no-op when there is none.
    fn clear_login_failures(&self, user: UserId) -> Result<(), StoreError>;
    /// Records a signup attempt from `client` (an IP address string) at `now` and returns
    /// how many attempts that client made in (now - window, now], including this one.
    /// Older rows may be pruned by this call: every client's attempts at or before
    /// `now - window` are, so use one `window` per store.
    fn record_signup_attempt(
        &self,
        client: &str,
        now: Timestamp,
        window: std::time::Duration,
    ) -> Result<u32, StoreError>;

    // --- threads ---
    /// The 1:1 thread of `pair`, created (with both memberships) if missing;
    /// `NotFound` if either user does not exist.
    fn get_or_create_direct_thread(
        &self,
        pair: UserPair,
        now: Timestamp,
    ) -> Result<Thread, StoreError>;
    /// A thread and its members.
    fn thread(&self, id: ThreadId) -> Result<Option<Thread>, StoreError>;
    /// Every thread `user` is a member of, most recent activity first
    /// (last message id, else creation), with last message and unread count.
    /// Threads with messages come first, by last message id descending; then
    /// threads without messages, newest created first.
    fn threads_of(&self, user: UserId) -> Result<Vec<ThreadSummary>, StoreError>;

    // --- messages ---
    /// Appends a message durably and returns once committed. A repeated
    /// (thread, sender, client id) stores nothing and returns the earlier row
    /// with `created: false`. `NotFound` if the thread or the sender does not exist.
    fn append_message(&self, message: NewMessage) -> Result<Appended, StoreError>;
    /// Like `append_message`, but returns at once; `done` runs once the outcome is
    /// durable, in commit order across all appends of this store.
    fn append_message_then(&self, message: NewMessage, done: AppendCallback) {
        done(self.append_message(message));
    }
    /// Up to `limit` messages of a thread with id < `before` (or the newest when
    /// `None`), returned oldest first, plus whether older ones exist.
    /// An unknown thread gives an empty page.
    fn history(
        &self,
        thread: ThreadId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<HistoryPage, StoreError>;
    /// Messages with id > `after` in every thread `user` belongs to (or only in
    /// `thread` when given), oldest first; at most `limit`, the newest ones when more.
    /// A `thread` that `user` is not a member of gives nothing.
    fn messages_after(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
        after: MessageId,
        limit: usize,
    ) -> Result<ResumeBatch, StoreError>;
    /// The newest message id visible to `user` (in `thread` only when given), 0 if none.
    fn latest_message_id(
        &self,
        user: UserId,
        thread: Option<ThreadId>,
    ) -> Result<MessageId, StoreError>;
    /// Messages of every thread with id > `after`, ascending by id, at most
    /// `limit`: the global feed a tailer follows (one server process of several
    /// reads it to deliver what any process stored). Ids are assigned at commit
    /// time under the store's write lock, so a reader that sees id M also sees
    /// every id below M: following `after` = the last id returned never skips one.
    fn messages_since(
        &self,
        after: MessageId,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, StoreError>;
    /// The newest message id of the whole store, 0 if none: where a tailer starts.
    fn newest_message_id(&self) -> Result<MessageId, StoreError>;

    // --- read cursors and contacts ---
    /// Moves `user`'s read cursor in `thread` forward to `up_to` (clamped to the
    /// thread's newest message); never backwards. Returns the cursor after the call.
    /// `NotFound` for an unknown thread or user.
    fn mark_read(
        &self,
        user: UserId,
        thread: ThreadId,
        up_to: MessageId,
    ) -> Result<MessageId, StoreError>;
    /// Every member's read cursor in a thread (0 when never read), ascending by
    /// user id; empty for an unknown thread.
    fn read_cursors(&self, thread: ThreadId) -> Result<Vec<(UserId, MessageId)>, StoreError>;
    /// Every other user, with the 1:1 thread if any, its last message and my
    /// unread count; threads with activity first (newest first), then the rest by name
    /// (ignoring case).
    fn contacts(&self, user: UserId) -> Result<Vec<Contact>, StoreError>;

    /// A bounded [`Store::contacts`] for a page's sidebar: every user I have a
    /// 1:1 thread with, plus the first `others` of the users I have none with,
    /// in `contacts` order; and how many of those others were left out.
    /// Stores should override it so its cost follows my threads, not the
    /// number of users.
    fn sidebar_contacts(
        &self,
        user: UserId,
        others: usize,
    ) -> Result<(Vec<Contact>, usize), StoreError> {
        let contacts = self.contacts(user)?;
        let total = contacts.len();
        let mut n_others = 0;
        let sidebar: Vec<Contact> = contacts
            .into_iter()
            .filter(|c| {
                c.thread.is_some() || {
                    n_others += 1;
                    n_others <= others
                }
            })
            .collect();
        let left_out = total - sidebar.len();
        Ok((sidebar, left_out))
    }

    /// Everything a page of `thread` shows to `user`: [`Store::latest_message_id`]
    /// over all their threads, [`Store::history`], [`Store::read_cursors`] and
    /// [`Store::sidebar_contacts`]. Stores should override it to read all of it
    /// from one snapshot in one go (one lock, one connection); this default
    /// makes the four calls in that order.
    fn thread_page(
        &self,
        user: UserId,
        thread: ThreadId,
        before: Option<MessageId>,
        limit: usize,
        others: usize,
    ) -> Result<ThreadPage, StoreError> {
        let last_id = self.latest_message_id(user, None)?;
        let history = self.history(thread, before, limit)?;
        let cursors = self.read_cursors(thread)?;
        let (sidebar, more_contacts) = self.sidebar_contacts(user, others)?;
        Ok(ThreadPage {
            last_id,
            history,
            cursors,
            sidebar,
            more_contacts,
        })
    }
}

impl LoginFailures {
    /// The tally after one more failure at `now`: `MemoryStore` applies this rule,
    /// the `SQLite` upsert mirrors it.
    pub(crate) fn after_failure(self, now: Timestamp, window: std::time::Duration) -> Self {
        let fresh = self
            .last
            .is_none_or(|last| now.as_millis().saturating_sub(last.as_millis()) > millis(window));
        Self {
            count: if fresh {
                1
            } else {
                self.count.saturating_add(1)
            },
            last: Some(self.last.map_or(now, |last| last.max(now))),
        }
    }
}

/// A window in milliseconds, saturating at `i64::MAX`.
pub(crate) fn millis(window: std::time::Duration) -> i64 {
    i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
}
