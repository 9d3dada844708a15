//! Interview feedback on an application.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::child::{ChildKind, ChildResource};
use super::input::{Field, Reader, partial_update, request_body};
use super::values::{Date, Id, OptionalText, Rating, TextList, Timestamp, named_enum};
use super::{Invalid, Status};

/// Declares an enum of the interview stages, after any stages named before them.
macro_rules! interview_stages {
    ($(#[$meta:meta])* $name:ident { $($before:ident),* }) => {
        named_enum!(
            $(#[$meta])*
            $name {
                $($before,)*
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
    };
}
pub(crate) use interview_stages;

interview_stages!(
    /// The interview stage feedback is about.
    InterviewStage {}
);

pub type Interviewer = OptionalText<200>;
pub type Comments = OptionalText<10_000>;
/// Skills named in feedback: at most 30, each 1–50 characters.
pub type Skills = TextList<30, 50>;

request_body!(
    /// The body of `POST /applications/{id}/feedback`, and of a partial update of one
    /// ([`FeedbackUpdate`]). Every field is optional.
    pub struct FeedbackCreate {
        feedback_date: Field<Date>,
        stage: Field<InterviewStage>,
        interviewer: Field<Interviewer>,
        rating: Field<Rating>,
        comments: Field<Comments>,
        strengths: Field<Skills>,
        improvements: Field<Skills>,
    }
);

partial_update!(FeedbackUpdate, FeedbackCreate);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    #[schema(value_type = String)]
    pub id: Id,
    #[schema(value_type = String)]
    pub application_id: Id,
    #[schema(value_type = Option<String>, format = Date)]
    pub feedback_date: Option<NaiveDate>,
    pub stage: Option<InterviewStage>,
    pub interviewer: Option<String>,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<u64>,
    pub comments: Option<String>,
    #[serde(default)]
    pub strengths: Vec<String>,
    #[serde(default)]
    pub improvements: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: u64,
}

impl ChildResource for Feedback {
    const KIND: ChildKind = ChildKind::Feedback;
    const COLLECTION: &'static str = "feedback";
    type Body = FeedbackCreate;
    const SETS_APPLICATION_STATUS: Option<Status> = None;

    fn parse_new(body: Value, id: Id, application_id: Id, now: Timestamp) -> Result<Self, Invalid> {
        let (input, mut r) = Reader::read::<FeedbackCreate>(body)?;
        let feedback = Self {
            id,
            application_id,
            feedback_date: r.value("feedback_date", input.feedback_date),
            stage: r.value("stage", input.stage),
            interviewer: r.value("interviewer", input.interviewer),
            rating: r.value("rating", input.rating),
            comments: r.value("comments", input.comments),
            strengths: r.value("strengths", input.strengths).unwrap_or_default(),
            improvements: r
                .value("improvements", input.improvements)
                .unwrap_or_default(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        r.finish()?;
        Ok(feedback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldChange;
    use serde_json::json;

    #[test]
    fn parses_every_field_and_lists_every_error() {
        let now = Timestamp::now();
        let (id, app) = (Id::generate(), Id::generate());
        let feedback = Feedback::parse_new(
            json!({"stage": "Technical", "rating": 4, "strengths": ["rust", "rust"], "interviewer": ""}),
            id,
            app,
            now,
        )
        .unwrap();
        assert_eq!(feedback.stage, Some(InterviewStage::Technical));
        assert_eq!(feedback.strengths, ["rust"]);
        assert_eq!(feedback.interviewer, None);
        let Err(Invalid(errors)) = Feedback::parse_new(
            json!({"rating": 6, "stage": "lunch", "comments": "c".repeat(10_001),
                   "improvements": vec!["x"; 31].iter().enumerate().map(|(i, _)| i.to_string()).collect::<Vec<_>>(),
                   "feedback_date": "yesterday", "interviewer": "i".repeat(201), "mood": 1}),
            id,
            app,
            now,
        ) else {
            panic!("invalid")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "feedback_date",
                "stage",
                "interviewer",
                "rating",
                "comments",
                "improvements",
                "mood"
            ]
        );
    }

    #[test]
    fn patch_clears_and_sets() {
        let changes =
            Feedback::parse_patch(json!({"rating": null, "strengths": null, "stage": "final"}))
                .unwrap();
        assert_eq!(
            changes,
            [
                FieldChange::set("stage", json!("final")),
                FieldChange::remove("rating"),
                FieldChange::set("strengths", json!([])),
            ]
        );
        assert!(Feedback::parse_patch(json!({})).is_err());
    }
}
