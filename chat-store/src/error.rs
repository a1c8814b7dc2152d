//! `StoreError`: what can go wrong in persistence, without leaking the backend's types.

/// A persistence failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A user with that name (in any case) already exists.
    #[error("username is taken")]
    UsernameTaken,
    /// The referenced row does not exist.
    #[error("not found")]
    NotFound,
    /// The database was written by a newer version of this program.
    #[error("database schema version {found} is newer than this program knows ({known})")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// The store is shutting down or its writer has stopped.
    #[error("store is closed")]
    Closed,
    /// Anything the backend reports (I/O, corruption, busy past the timeout).
    #[error("storage backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}
