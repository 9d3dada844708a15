//! Rejections: why an application ended. Recording one moves the application to `rejected`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::child::{ChildKind, ChildResource};
use super::feedback::interview_stages;
use utoipa::openapi::ObjectBuilder;
use utoipa::openapi::schema::{OneOfBuilder, Type};

use super::input::{Field, FromJson, Reader, Stored, partial_update, request_body, schema_of};
use super::values::{Date, Id, OptionalText, TextList, Timestamp, named_enum};
use super::{Invalid, Status};

interview_stages!(
    /// Where in the process the rejection came: `application` or an interview stage.
    RejectionStage { Application }
);

named_enum!(
    /// The kind of reason given.
    RejectionCategory {
        SkillsGap,
        ExperienceLevel,
        CultureFit,
        PositionFilled,
        HiringFreeze,
        Compensation,
        Location,
        NoFeedback,
        Other,
    }
);

/// Reasons given: at most 20, each 1–200 characters. The original API sent them as one
/// comma-separated string: a string is split on commas, each part trimmed, empty parts dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reasons(TextList<20, 200>);

impl Stored for Reasons {
    type Output = Vec<String>;

    fn stored(self) -> Option<Vec<String>> {
        self.0.stored()
    }

    fn cleared() -> Option<Vec<String>> {
        TextList::<20, 200>::cleared()
    }
}

impl FromJson for Reasons {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(joined) => {
                let parts = joined
                    .split(',')
                    .map(str::trim)
                    .filter(|part| !part.is_empty())
                    .map(Value::from)
                    .collect();
                TextList::from_json(&Value::Array(parts))
            }
            Value::Array(_) => TextList::from_json(value),
            _ => Err("must be an array of strings or one comma-separated string".to_owned()),
        }
        .map(Self)
    }
}

schema_of!(Reasons => OneOfBuilder::new()
    .item(<TextList<20, 200> as utoipa::PartialSchema>::schema())
    .item(ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("The original API's form: one comma-separated string, split into the list")))
    .description(Some("A list of reasons, or one comma-separated string")));
pub type RejectionNotes = OptionalText<10_000>;

request_body!(
    /// The body of `POST /applications/{id}/rejections` (which also sets the application's status
    /// to `rejected`), and of a partial update of one ([`RejectionUpdate`]).
    pub struct RejectionCreate {
        /// Today when left out.
        rejected_date: Field<Date>,
        stage: Field<RejectionStage>,
        category: Field<RejectionCategory>,
        reasons: Field<Reasons>,
        notes: Field<RejectionNotes>,
    }
);

partial_update!(RejectionUpdate, RejectionCreate);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rejection {
    #[schema(value_type = String)]
    pub id: Id,
    #[schema(value_type = String)]
    pub application_id: Id,
    #[schema(value_type = Option<String>, format = Date)]
    pub rejected_date: Option<NaiveDate>,
    pub stage: Option<RejectionStage>,
    pub category: Option<RejectionCategory>,
    #[serde(default)]
    pub reasons: Vec<String>,
    pub notes: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: u64,
}

impl ChildResource for Rejection {
    const KIND: ChildKind = ChildKind::Rejection;
    const COLLECTION: &'static str = "rejections";
    type Body = RejectionCreate;
    const SETS_APPLICATION_STATUS: Option<Status> = Some(Status::Rejected);

    fn parse_new(body: Value, id: Id, application_id: Id, now: Timestamp) -> Result<Self, Invalid> {
        let (input, mut r) = Reader::read::<RejectionCreate>(body)?;
        let rejected_date = r.value("rejected_date", input.rejected_date);
        let rejection = Self {
            id,
            application_id,
            rejected_date: Some(rejected_date.unwrap_or(now.date())),
            stage: r.value("stage", input.stage),
            category: r.value("category", input.category),
            reasons: r.value("reasons", input.reasons).unwrap_or_default(),
            notes: r.value("notes", input.notes),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        r.finish()?;
        Ok(rejection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldChange;
    use serde_json::json;

    #[test]
    fn rejected_date_defaults_to_today() {
        let now = Timestamp::now();
        let rejection = Rejection::parse_new(
            json!({"category": "SKILLS_GAP"}),
            Id::generate(),
            Id::generate(),
            now,
        )
        .unwrap();
        assert_eq!(rejection.rejected_date, Some(now.date()));
        assert_eq!(rejection.category, Some(RejectionCategory::SkillsGap));
    }

    #[test]
    fn reasons_may_be_one_comma_separated_string() {
        let parse = |reasons: Value| {
            Rejection::parse_new(
                json!({ "reasons": reasons }),
                Id::generate(),
                Id::generate(),
                Timestamp::now(),
            )
        };
        let split = parse(json!(" no visa, too junior ,, no visa,")).unwrap();
        assert_eq!(split.reasons, ["no visa", "too junior"]);
        assert_eq!(parse(json!(["a, b"])).unwrap().reasons, ["a, b"]);
        assert!(parse(json!("")).unwrap().reasons.is_empty());
        assert!(parse(json!(5)).is_err());
        let too_many = (0..21).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert!(parse(json!(too_many)).is_err());
        let changes = Rejection::parse_patch(json!({"reasons": "x,y"})).unwrap();
        assert_eq!(changes, [FieldChange::set("reasons", json!(["x", "y"]))]);
    }

    #[test]
    fn lists_every_bad_field() {
        let Err(Invalid(errors)) = Rejection::parse_new(
            json!({"stage": "lunch", "category": "bad", "reasons": ["r".repeat(201)], "notes": 5, "rejected_date": "x"}),
            Id::generate(),
            Id::generate(),
            Timestamp::now(),
        ) else {
            panic!("invalid")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["rejected_date", "stage", "category", "reasons", "notes"]
        );
    }
}
