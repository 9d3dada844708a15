//! What feedback and rejections have in common: they live under an application.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::input::RequestBody;
use super::{FieldChange, Id, Invalid, Resource, Status, Timestamp};

/// The kinds of items that live under an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    Feedback,
    Rejection,
}

/// A resource stored in its application's item collection.
pub trait ChildResource:
    Serialize + DeserializeOwned + Resource + Clone + Send + Sync + 'static
{
    const KIND: ChildKind;
    /// The request type of a create, and with every field optional, of an update.
    type Body: RequestBody;
    /// The path segment under `/applications/{id}/`.
    const COLLECTION: &'static str;
    /// The status creating one moves its application to (in the same transaction).
    const SETS_APPLICATION_STATUS: Option<Status>;

    /// Parses a create body into the new resource.
    fn parse_new(body: Value, id: Id, application_id: Id, now: Timestamp) -> Result<Self, Invalid>;

    /// Parses an update body into the changes it makes: every field of the create body is a
    /// plain change.
    fn parse_patch(body: Value) -> Result<Vec<FieldChange>, Invalid> {
        Self::Body::parse_changes(body)
    }
}
