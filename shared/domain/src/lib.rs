//! The domain: resources, their valid inputs, and the rules between fields. It knows neither
//! HTTP nor the DynamoDB SDK: parsers return [`Invalid`] (every bad field), and the layers
//! above decide what that means on the wire.

pub mod analytics;
pub mod application;
pub mod child;
pub mod feedback;
pub mod input;
pub mod rejection;
pub mod transfer;
pub mod user;
pub mod values;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub use application::{Application, ApplicationFilter, ApplicationPatch, Status};
pub use child::{ChildKind, ChildResource};
pub use feedback::Feedback;
pub use rejection::Rejection;
pub use user::UserId;
pub use values::{Id, Timestamp};

/// A stored resource: its id, when it was created, and its version (sent as its `ETag`).
pub trait Resource {
    fn id(&self) -> Id;
    fn created_at(&self) -> Timestamp;
    fn version(&self) -> u64;
}

/// Reads the fields every resource type has.
macro_rules! resource {
    ($($ty:ty),+) => {$(
        impl Resource for $ty {
            fn id(&self) -> Id {
                self.id
            }

            fn created_at(&self) -> Timestamp {
                self.created_at
            }

            fn version(&self) -> u64 {
                self.version
            }
        }
    )+};
}

resource!(Application, Feedback, Rejection);

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name as the client sent it (`tags`; the message names an array element:
    /// `item 1 must not be empty`). An import row's child field is `feedback[3].rating`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Input that failed validation: every invalid field, in the order they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }
}

/// One attribute a partial update writes: a new value, or `None` to clear it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub name: &'static str,
    pub value: Option<Value>,
}

impl FieldChange {
    pub fn set(name: &'static str, value: Value) -> Self {
        Self {
            name,
            value: Some(value),
        }
    }

    pub fn remove(name: &'static str) -> Self {
        Self { name, value: None }
    }

    /// Adds what a patch field asks for to `changes`: a new value, a removal, or nothing.
    pub fn push<T: Serialize>(changes: &mut Vec<Self>, name: &'static str, patch: input::Patch<T>) {
        if !patch.is_absent() {
            let value = patch
                .value()
                .map(|value| serde_json::to_value(value).unwrap_or_default());
            changes.push(Self { name, value });
        }
    }
}
