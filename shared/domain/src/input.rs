//! Reading a JSON request body into domain types, collecting every error.
//!
//! A request type derives `Deserialize` and `ToSchema`: one definition is both the parser and the
//! OpenAPI schema. Each of its fields is a [`Field`] (or [`Required`]) of a value type that
//! parses itself ([`FromJson`]) and states its own schema ([`schema_of!`]), so a rule is written
//! once. A field is read leniently — a bad value does not stop the read — so every invalid field
//! is reported together (422), in the order the type declares them, then every field the type
//! does not know: a typo is never silently dropped.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::Value;
use utoipa::PartialSchema;
use utoipa::openapi::schema::{OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};

use crate::{FieldChange, FieldError, Invalid};

/// A value that can be parsed from one JSON field.
pub trait FromJson: Sized {
    /// Parses `value`; the error is a message about the field (`must be …`).
    fn from_json(value: &Value) -> Result<Self, String>;
}

/// The form a value type is kept in: what a create stores and a partial update writes.
pub trait Stored: Sized {
    type Output: serde::Serialize;

    /// The value as stored; `None` when it means "no value" (an empty optional text).
    fn stored(self) -> Option<Self::Output>;

    /// What `null` in a partial update writes: by default nothing (the attribute is removed).
    fn cleared() -> Option<Self::Output> {
        None
    }
}

/// Gives a value type its OpenAPI schema (`ToSchema` by way of utoipa's `ComposeSchema`), so a
/// request type's derive picks it up from the field's type. A generic type's parameters follow
/// it in brackets: `Text<MIN, MAX> [const MIN: usize, const MAX: usize]`.
macro_rules! schema_of {
    ($ty:ty $([$($generic:tt)*])? => $schema:expr) => {
        impl<$($($generic)*)?> ::utoipa::__dev::ComposeSchema for $ty {
            fn compose(
                _: Vec<::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema>>,
            ) -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                $schema.into()
            }
        }
        impl<$($($generic)*)?> ::utoipa::ToSchema for $ty {}
    };
}
pub(crate) use schema_of;

/// Declares a request type: `Deserialize` and `ToSchema` from one definition, every field read
/// leniently (a left-out field is `Absent`) and its schema inlined from its value type.
macro_rules! request_body {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$field_meta:meta])* $field:ident : $ty:ty),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(::serde::Deserialize, ::utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$field_meta])* #[serde(default)] #[schema(inline)] $field: $ty),+
        }

        impl $crate::input::RequestBody for $name {
            fn record_changes(self, reader: &mut $crate::input::Reader) {
                $(reader.change(stringify!($field), self.$field);)+
            }
        }
    };
}
pub(crate) use request_body;

/// A request type (declared with [`request_body!`]).
pub trait RequestBody: DeserializeOwned + PartialSchema {
    /// Records the change each field asks for, as a partial update of the resource.
    fn record_changes(self, reader: &mut Reader);

    /// Reads `body` as a partial update in which every field is a plain change.
    fn parse_changes(body: Value) -> Result<Vec<FieldChange>, Invalid> {
        let (input, mut reader) = Reader::read::<Self>(body)?;
        input.record_changes(&mut reader);
        reader.finish_patch()
    }
}

/// A field of a request type, as a change of a partial update.
pub trait Change {
    type Value: Stored;

    /// What the field asks of a partial update (its error recorded in `reader`).
    fn patch(self, name: &str, reader: &mut Reader) -> Patch<Self::Value>;
}

impl<V: Stored> Change for Field<V> {
    type Value = V;

    fn patch(self, name: &str, reader: &mut Reader) -> Patch<V> {
        reader.patch(name, self)
    }
}

/// A required field of a partial update may be left out, never cleared.
impl<V: Stored> Change for Required<V> {
    type Value = V;

    fn patch(self, name: &str, reader: &mut Reader) -> Patch<V> {
        reader.patch_required(name, self)
    }
}

/// What a request said about one field: nothing, `null`, a valid value, or why it is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Valid(T),
    Invalid(String),
}

impl<'de, T: FromJson> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Null => Self::Null,
            value => T::from_json(&value).map_or_else(Self::Invalid, Self::Valid),
        })
    }
}

// An optional field is its value's schema or `null`.
schema_of!(Field<T> [T: PartialSchema] => nullable(T::schema()));

/// `schema` or `null`: `null` joins the schema's own types (and its enum), so its rules stay at
/// the top where clients look for them.
fn nullable(schema: RefOr<Schema>) -> RefOr<Schema> {
    fn with_null(types: &SchemaType) -> SchemaType {
        match types {
            SchemaType::Type(one) => SchemaType::from_iter([one.clone(), Type::Null]),
            SchemaType::Array(many) => {
                SchemaType::from_iter(many.iter().cloned().chain([Type::Null]))
            }
            SchemaType::AnyValue => SchemaType::AnyValue,
        }
    }
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            object.schema_type = with_null(&object.schema_type);
            if let Some(values) = object.enum_values.as_mut() {
                values.push(Value::Null);
            }
            RefOr::T(Schema::Object(object))
        }
        RefOr::T(Schema::Array(mut array)) => {
            array.schema_type = with_null(&array.schema_type);
            RefOr::T(Schema::Array(array))
        }
        other => OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(other)
            .into(),
    }
}

/// A field a create must give and nothing may set to `null` (read like [`Field`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent, bound = "T: FromJson")]
pub struct Required<T>(pub Field<T>);

// Not derived: a left-out field is `Absent` whatever its type (serde's `default`).
impl<T> Default for Required<T> {
    fn default() -> Self {
        Self(Field::Absent)
    }
}

schema_of!(Required<T> [T: PartialSchema] => T::schema());

impl<T> From<Required<T>> for Field<T> {
    fn from(Required(field): Required<T>) -> Self {
        field
    }
}

/// Declares `$update`, the schema of a partial update of the request type `$create`: the same
/// fields and rules, none required, at least one given.
macro_rules! partial_update {
    ($update:ident, $create:ty $(, never_null: [$($field:literal),*])?) => {
        #[doc = concat!("A partial update with the fields of [`", stringify!($create), "`].")]
        pub struct $update;

        impl ::utoipa::__dev::ComposeSchema for $update {
            fn compose(
                _: Vec<::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema>>,
            ) -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                $crate::input::update_schema(
                    <$create as ::utoipa::PartialSchema>::schema(),
                    &[$($($field),*)?],
                )
            }
        }

        impl ::utoipa::ToSchema for $update {}
    };
}
pub(crate) use partial_update;

/// A create schema made a partial update's: nothing required, at least one property, and the
/// `never_null` fields (a create may leave them `null` for their default; an update may only
/// leave them out) without `null`.
pub fn update_schema(create: RefOr<Schema>, never_null: &[&str]) -> RefOr<Schema> {
    /// `null` out of every `type` list and `enum` of a schema.
    fn strip_null(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(types)) = map.get_mut("type") {
                    types.retain(|kind| kind != "null");
                }
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.retain(|value| !value.is_null());
                }
                map.values_mut().for_each(strip_null);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_null),
            _ => {}
        }
    }
    match create {
        RefOr::T(Schema::Object(mut object)) => {
            for name in never_null {
                if let Some(property) = object.properties.get_mut(*name) {
                    let mut value = serde_json::to_value(&*property).unwrap_or_default();
                    strip_null(&mut value);
                    if let Ok(stripped) = serde_json::from_value(value) {
                        *property = stripped;
                    }
                }
            }
            object.required.clear();
            object.min_properties = Some(1);
            object.description = Some(
                "A partial update: omitted fields are unchanged, `null` clears an optional field."
                    .to_owned(),
            );
            RefOr::T(Schema::Object(object))
        }
        other => other,
    }
}

/// A field of a partial update: left out, set to `null`, or given a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

    /// The value given, if any.
    pub fn value(self) -> Option<T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Absent => Patch::Absent,
            Self::Null => Patch::Null,
            Self::Value(value) => Patch::Value(f(value)),
        }
    }
}

/// The errors found while a request type's fields are turned into domain values; each field is
/// handed over once, by name (the name is what an error reports).
pub struct Reader {
    errors: Vec<FieldError>,
    changes: Vec<FieldChange>,
    unknown: Vec<String>,
    empty: bool,
}

impl Reader {
    /// Reads `body`, which must be a JSON object, into the request type `T`; the fields `T`
    /// does not declare are set aside for [`finish`](Self::finish) to report.
    pub fn read<T: DeserializeOwned + PartialSchema>(body: Value) -> Result<(T, Self), Invalid> {
        let Value::Object(mut object) = body else {
            return Err(Invalid::field("body", "must be a JSON object"));
        };
        let known: Vec<String> = match T::schema() {
            RefOr::T(Schema::Object(object)) => object.properties.into_keys().collect(),
            _ => Vec::new(),
        };
        let unknown: Vec<String> = object
            .keys()
            .filter(|name| !known.contains(name))
            .cloned()
            .collect();
        object.retain(|name, _| known.contains(name));
        let empty = object.is_empty() && unknown.is_empty();
        // Every declared field reads leniently, so this cannot fail on the client's input.
        let fields = serde_json::from_value(Value::Object(object))
            .map_err(|error| Invalid::field("body", error.to_string()))?;
        let reader = Self {
            errors: Vec::new(),
            changes: Vec::new(),
            unknown,
            empty,
        };
        Ok((fields, reader))
    }

    /// Records that `field` is invalid; also a rule that spans fields (e.g. `salary_min` ≤
    /// `salary_max`).
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// An optional field on create: its value, if valid.
    pub fn optional<V>(&mut self, name: &str, field: Field<V>) -> Option<V> {
        self.patch(name, field).value()
    }

    /// An optional field on create, in its stored form.
    pub fn value<V: Stored>(&mut self, name: &str, field: Field<V>) -> Option<V::Output> {
        self.optional(name, field).and_then(Stored::stored)
    }

    /// A required field on create, in its stored form.
    pub fn required<V: Stored>(&mut self, name: &str, field: Required<V>) -> Option<V::Output> {
        match field.0 {
            Field::Absent => self.error(name, "is required"),
            Field::Null => self.error(name, "must not be null"),
            field => return self.value(name, field),
        }
        None
    }

    /// A field of a partial update: `null` clears it.
    pub fn patch<V>(&mut self, name: &str, field: Field<V>) -> Patch<V> {
        match field {
            Field::Absent => Patch::Absent,
            Field::Null => Patch::Null,
            Field::Valid(value) => Patch::Value(value),
            Field::Invalid(message) => {
                self.error(name, message);
                Patch::Absent
            }
        }
    }

    /// A required field in a partial update: it may be left out, never cleared.
    pub fn patch_required<V>(&mut self, name: &str, field: impl Into<Field<V>>) -> Patch<V> {
        let field = field.into();
        if matches!(field, Field::Null) {
            self.error(name, "must not be null");
            return Patch::Absent;
        }
        self.patch(name, field)
    }

    /// A field of a partial update (a [`Required`] one never `null`), recorded as the change it
    /// makes: its stored form, or what `null` (or an empty optional text) writes.
    pub fn change<F: Change>(&mut self, name: &'static str, field: F) {
        let written = match field.patch(name, self) {
            Patch::Absent => return,
            Patch::Null => F::Value::cleared(),
            Patch::Value(value) => value.stored(),
        };
        let value = written.map(|value| serde_json::to_value(value).unwrap_or_default());
        self.changes.push(FieldChange { name, value });
    }

    /// Ends a create read: unknown fields become errors; any error makes the whole body invalid.
    pub fn finish(mut self) -> Result<(), Invalid> {
        for name in std::mem::take(&mut self.unknown) {
            self.error(&name, "is not a known field");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }

    /// Ends a partial-update read: as [`finish`](Self::finish), and an empty object is an error;
    /// the changes the fields make, in the order they were read.
    pub fn finish_patch(mut self) -> Result<Vec<FieldChange>, Invalid> {
        if self.empty {
            self.error("body", "must name at least one field to change");
        }
        let changes = std::mem::take(&mut self.changes);
        self.finish().map(|()| changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Small(u8);

    impl FromJson for Small {
        fn from_json(value: &Value) -> Result<Self, String> {
            value
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .map(Small)
                .ok_or_else(|| "must be a small number".to_owned())
        }
    }

    schema_of!(Small => ObjectBuilder::new().schema_type(Type::Integer));

    impl Stored for Small {
        type Output = u8;

        fn stored(self) -> Option<u8> {
            Some(self.0)
        }
    }

    request_body!(
        pub struct Input {
            #[schema(required = true)]
            a: Required<Small>,
            b: Required<Small>,
            c: Field<Small>,
        }
    );

    #[test]
    fn collects_every_error_including_unknown_fields() {
        let (fields, mut r) =
            Reader::read::<Input>(json!({"a": "x", "c": 1, "typo": true})).unwrap();
        assert_eq!(r.required("a", fields.a), None);
        assert_eq!(r.required("b", fields.b), None);
        assert_eq!(r.optional("c", fields.c), Some(Small(1)));
        let Err(Invalid(errors)) = r.finish() else {
            panic!("expected a validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "typo"]);
    }

    #[test]
    fn patch_distinguishes_absent_null_and_value() {
        let (fields, mut r) = Reader::read::<Input>(json!({"c": null, "b": 3, "a": null})).unwrap();
        assert_eq!(r.patch("c", fields.c), Patch::Null);
        assert_eq!(r.patch_required("b", fields.b), Patch::Value(Small(3)));
        assert_eq!(r.patch_required("a", fields.a), Patch::Absent);
        assert!(
            r.finish_patch().is_err(),
            "a required field cannot be nulled"
        );
        let (_, empty) = Reader::read::<Input>(json!({})).unwrap();
        assert!(
            empty.finish_patch().is_err(),
            "an empty patch changes nothing"
        );
    }

    #[test]
    fn a_request_type_records_each_field_as_a_change() {
        let changes = Input::parse_changes(json!({"b": 2, "c": null})).unwrap();
        assert_eq!(
            changes,
            [FieldChange::set("b", json!(2)), FieldChange::remove("c")]
        );
        let Err(Invalid(errors)) = Input::parse_changes(json!({"a": null, "c": 300})) else {
            panic!("expected a validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "c"], "a required field is never cleared");
    }

    #[test]
    fn non_object_body_is_invalid() {
        assert!(matches!(
            Reader::read::<Input>(json!([1, 2])),
            Err(Invalid(_))
        ));
    }

    #[test]
    fn the_schema_is_the_types_own() {
        let schema = serde_json::to_value(Input::schema()).unwrap();
        assert_eq!(schema["required"], json!(["a"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(schema["properties"]["b"]["type"], "integer");
        assert_eq!(
            schema["properties"]["c"]["type"],
            json!(["integer", "null"])
        );
    }
}
