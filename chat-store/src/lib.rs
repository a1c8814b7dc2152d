//! Persistence for the chat: the synchronous [`Store`] trait and its implementations.

mod error;
mod store;

pub use error::StoreError;
pub use store::{
    AppendCallback, Appended, Contact, Credentials, HistoryPage, NewMessage, ResumeBatch,
    Session, Store, ThreadSummary, TokenHash, User,
};
