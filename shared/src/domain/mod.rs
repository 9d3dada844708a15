//! The domain: resources, their valid inputs, and the rules between fields. No SDK types here.

pub mod application;
pub mod child;
pub mod feedback;
pub mod input;
pub mod rejection;
pub mod values;

use serde_json::Value;

pub use application::{Application, ApplicationFilter, ApplicationPatch, NewApplication, Status};
pub use child::ChildResource;
pub use feedback::Feedback;
pub use rejection::Rejection;
pub use values::{Id, Timestamp};

/// A resource with a version, sent as its `ETag`.
pub trait Versioned {
    fn version(&self) -> u64;
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
    pub fn push<T: serde::Serialize>(
        changes: &mut Vec<Self>,
        name: &'static str,
        patch: input::Patch<T>,
    ) {
        match patch {
            input::Patch::Absent => {}
            input::Patch::Null => changes.push(Self::remove(name)),
            input::Patch::Value(value) => changes.push(Self::set(
                name,
                serde_json::to_value(value).unwrap_or(Value::Null),
            )),
        }
    }
}
