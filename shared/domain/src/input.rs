//! Reading a JSON object field by field into domain types, collecting every error.
//!
//! A request body is parsed once into types that cannot hold invalid values; every field that
//! fails is reported together (422), and a field the type does not know is an error too, so a
//! typo is never silently dropped.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::{FieldError, Invalid};

/// A value that can be parsed from one JSON field.
pub trait FromJson: Sized {
    /// Parses `value`; the error is a message about the field (`must be …`).
    fn from_json(value: &Value) -> Result<Self, String>;
}

/// A field of a partial update: left out, set to `null`, or given a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(f(value)),
        }
    }
}

/// Walks one JSON object, handing out typed fields and recording every problem.
pub struct ObjectReader {
    fields: Map<String, Value>,
    known: BTreeSet<&'static str>,
    errors: Vec<FieldError>,
}

impl ObjectReader {
    /// A reader over `body`, which must be a JSON object.
    pub fn new(body: Value) -> Result<Self, Invalid> {
        match body {
            Value::Object(fields) => Ok(Self {
                fields,
                known: BTreeSet::new(),
                errors: Vec::new(),
            }),
            _ => Err(Invalid::field("body", "must be a JSON object")),
        }
    }

    fn take(&mut self, name: &'static str) -> Option<Value> {
        self.known.insert(name);
        self.fields.get(name).cloned()
    }

    fn parse<T: FromJson>(&mut self, name: &'static str, value: &Value) -> Option<T> {
        match T::from_json(value) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.errors.push(FieldError::new(name, message));
                None
            }
        }
    }

    /// A field that must be present and not null.
    pub fn required<T: FromJson>(&mut self, name: &'static str) -> Option<T> {
        match self.take(name) {
            None => {
                self.error(name, "is required");
                None
            }
            Some(Value::Null) => {
                self.error(name, "must not be null");
                None
            }
            Some(value) => self.parse(name, &value),
        }
    }

    /// A field that may be left out or `null`.
    pub fn optional<T: FromJson>(&mut self, name: &'static str) -> Option<T> {
        match self.take(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.parse(name, &value),
        }
    }

    /// A field of a partial update. `nullable = false` for required fields, which cannot be cleared.
    pub fn patch<T: FromJson>(&mut self, name: &'static str, nullable: bool) -> Patch<T> {
        match self.take(name) {
            None => Patch::Absent,
            Some(Value::Null) if nullable => Patch::Null,
            Some(Value::Null) => {
                self.error(name, "must not be null");
                Patch::Absent
            }
            Some(value) => self.parse(name, &value).map_or(Patch::Absent, Patch::Value),
        }
    }

    /// Records a rule that spans fields (e.g. `salary_min` ≤ `salary_max`).
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Whether the object has no fields at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Ends the read: unknown fields become errors; any error makes the whole body invalid.
    pub fn finish(mut self) -> Result<(), Invalid> {
        let unknown: Vec<String> = self
            .fields
            .keys()
            .filter(|name| !self.known.contains(name.as_str()))
            .cloned()
            .collect();
        for name in unknown {
            self.errors
                .push(FieldError::new(name, "is not a known field"));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }
}

/// A required field after [`ObjectReader::finish`] succeeded: always present then, so the
/// error is only a guard.
pub fn present<T>(value: Option<T>, name: &str) -> Result<T, Invalid> {
    value.ok_or_else(|| Invalid::field(name, "is required"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    impl FromJson for u8 {
        fn from_json(value: &Value) -> Result<Self, String> {
            value
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| "must be a small number".to_owned())
        }
    }

    #[test]
    fn collects_every_error_including_unknown_fields() {
        let mut reader = ObjectReader::new(json!({"a": "x", "c": 1, "typo": true})).unwrap();
        assert_eq!(reader.required::<u8>("a"), None);
        assert_eq!(reader.required::<u8>("b"), None);
        assert_eq!(reader.optional::<u8>("c"), Some(1));
        let Err(Invalid(errors)) = reader.finish() else {
            panic!("expected a validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "typo"]);
    }

    #[test]
    fn patch_distinguishes_absent_null_and_value() {
        let mut reader = ObjectReader::new(json!({"n": null, "v": 3, "r": null})).unwrap();
        assert_eq!(reader.patch::<u8>("n", true), Patch::Null);
        assert_eq!(reader.patch::<u8>("v", true), Patch::Value(3));
        assert_eq!(reader.patch::<u8>("missing", true), Patch::Absent);
        assert_eq!(reader.patch::<u8>("r", false), Patch::Absent);
        assert!(
            reader.finish().is_err(),
            "a required field cannot be nulled"
        );
    }

    #[test]
    fn non_object_body_is_invalid() {
        assert!(matches!(ObjectReader::new(json!([1, 2])), Err(Invalid(_))));
    }
}
