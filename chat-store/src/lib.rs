//! Persistence for the chat: the synchronous [`Store`] trait and its implementations.
//!
//! - [`MemoryStore`]: everything in process memory; always compiled.
//! - [`SqliteStore`] (feature `sqlite`, on by default): one `SQLite` file in WAL
//!   mode, reads on a connection pool, message appends group-committed by one
//!   writer thread with `synchronous=FULL`.
//! - `conformance` (feature `conformance`): the test suite every implementation
//!   passes; run it against your own store with `conformance::run_all` or
//!   `store_conformance_tests!`.
//!
//! Besides users, sessions, threads and messages, a store keeps what several
//! server processes must share:
//!
//! - **Revocations.** `delete_session` and `delete_user_sessions` record a
//!   [`Revocation`] in the same transaction as the delete. Each process starts
//!   polling at `latest_revocation_id` and calls `revocations_after` to close the
//!   ended sessions' sockets. Recording one prunes the log to the newest
//!   [`REVOCATIONS_KEPT`] (one cheap range delete per insert), so it never grows.
//! - **The message feed.** Message ids are assigned at commit, under the
//!   store's write lock, so `messages_since(cursor, limit)` (every thread, ids
//!   ascending) is a gap-free, commit-ordered feed across every process writing
//!   the store; a process follows it from `newest_message_id` to deliver what
//!   any process stored.
//! - **Throttling counters.** [`LoginFailures`] per account
//!   (`record_login_failure`, `login_failures`, `clear_login_failures`) and signup
//!   attempts per client address (`record_signup_attempt`, which prunes attempts
//!   older than its window). Time comes in as `now`; the store reads no clock
//!   for them.
//!
//! The trait is synchronous. Async callers reach it through `spawn_blocking`.
//! No backend type (rusqlite, r2d2) appears in this crate's API: backend
//! failures arrive as [`StoreError::Backend`].
//!
//! ```
//! use chat_core::{MessageBody, Timestamp, UserPair, Username};
//! use chat_store::{MemoryStore, NewMessage, Store};
//!
//! let store = MemoryStore::new();
//! let now = Timestamp::from_millis(1_700_000_000_000);
//! let alice = store.create_user(&Username::parse("Alice").unwrap(), "$argon2id$…", now)?;
//! let bob = store.create_user(&Username::parse("bob").unwrap(), "$argon2id$…", now)?;
//! let thread = store.get_or_create_direct_thread(UserPair::new(alice.id, bob.id).unwrap(), now)?;
//!
//! for text in ["hi bob", "lunch?"] {
//!     let appended = store.append_message(NewMessage {
//!         thread: thread.id,
//!         sender: alice.id,
//!         body: MessageBody::parse(text).unwrap(),
//!         client_id: None,
//!         sent_at: now,
//!     })?;
//!     assert!(appended.created);
//! }
//!
//! // The newest page, oldest first.
//! let page = store.history(thread.id, None, 50)?;
//! let texts: Vec<&str> = page.messages.iter().map(|m| m.body.as_str()).collect();
//! assert_eq!(texts, ["hi bob", "lunch?"]);
//! assert!(!page.has_more);
//! assert_eq!(store.threads_of(bob.id)?[0].unread, 2);
//! # Ok::<(), chat_store::StoreError>(())
//! ```

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteConfig, SqliteStore};
pub use store::{
    AppendCallback, Appended, Contact, Credentials, HistoryPage, LoginFailures, NewMessage,
    REVOCATIONS_KEPT, ResumeBatch, Revocation, Session, Store, ThreadPage, ThreadSummary,
    TokenHash, User,
};
