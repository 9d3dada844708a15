//! What a store call can fail with, in the store's own terms; the API layer maps it to HTTP.

use domain::Invalid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No such item for this user, or it is being deleted.
    NotFound,
    /// The item exists, but not at a version the [`Precondition`](crate::Precondition) names.
    VersionMismatch,
    /// The change contradicts what is stored (a salary bound against the stored other one).
    Invalid(Invalid),
    /// A resume key that does not belong to the query it was given to.
    InvalidResumeKey,
    /// An idempotency key used before with another request body.
    IdempotencyKeyReused,
    /// The database is unreachable, throttling, or the table is missing.
    Unavailable,
    /// A bug or an unexpected answer; logged where it happened.
    Internal,
}

pub type StoreResult<T> = Result<T, StoreError>;
