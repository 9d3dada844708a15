//! Rejections: why an application ended. Recording one moves the application to `rejected`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::child::{ChildKind, ChildResource};
use super::input::{Field, Reader, partial_update, request_body};
use super::values::{
    Date, Id, OptionalText, TextList, Timestamp, list_patch, named_enum, non_empty, non_empty_patch,
};
use super::{FieldChange, Invalid, Status, Versioned};

named_enum!(
    /// Where in the process the rejection came: `application` or an interview stage.
    RejectionStage {
        Application,
        RecruiterScreen,
        PhoneScreen,
        Technical,
        TakeHome,
        SystemDesign,
        Behavioral,
        Onsite,
        HiringManager,
        Final,
        Other,
    }
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

/// Reasons given: at most 20, each 1–200 characters.
pub type Reasons = TextList<20, 200>;
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

impl Versioned for Rejection {
    fn version(&self) -> u64 {
        self.version
    }
}

impl ChildResource for Rejection {
    const KIND: ChildKind = ChildKind::Rejection;
    const COLLECTION: &'static str = "rejections";
    const SETS_APPLICATION_STATUS: Option<Status> = Some(Status::Rejected);

    fn parse_new(body: Value, id: Id, application_id: Id, now: Timestamp) -> Result<Self, Invalid> {
        let (input, mut r) = Reader::read::<RejectionCreate>(body)?;
        let rejected_date = r.optional("rejected_date", input.rejected_date);
        let rejection = Self {
            id,
            application_id,
            rejected_date: Some(rejected_date.map_or(now.date(), |d| d.0)),
            stage: r.optional("stage", input.stage),
            category: r.optional("category", input.category),
            reasons: r
                .optional("reasons", input.reasons)
                .unwrap_or_default()
                .into_vec(),
            notes: non_empty(r.optional("notes", input.notes)),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        r.finish()?;
        Ok(rejection)
    }

    fn parse_patch(body: Value) -> Result<Vec<FieldChange>, Invalid> {
        let (input, mut r) = Reader::read::<RejectionCreate>(body)?;
        let mut changes = Vec::new();
        let rejected_date = r.patch("rejected_date", input.rejected_date).map(|d| d.0);
        FieldChange::push(&mut changes, "rejected_date", rejected_date);
        FieldChange::push(&mut changes, "stage", r.patch("stage", input.stage));
        FieldChange::push(
            &mut changes,
            "category",
            r.patch("category", input.category),
        );
        if let Some(reasons) = list_patch(r.patch("reasons", input.reasons)) {
            changes.push(FieldChange::set("reasons", Value::from(reasons)));
        }
        let notes = non_empty_patch(r.patch("notes", input.notes));
        FieldChange::push(&mut changes, "notes", notes);
        r.finish_patch()?;
        Ok(changes)
    }

    fn id(&self) -> Id {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
