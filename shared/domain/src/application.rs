//! Applications: a job applied for, its status and the history of that status.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::input::{Field, Patch, Reader, Required, partial_update, request_body};
use super::values::{
    Currency, Date, Id, OptionalText, Salary, Text, TextList, Timestamp, WebUrl, named_enum,
};
use super::{FieldChange, Invalid};

named_enum!(
    /// Where an application stands.
    Status {
        Saved,
        Applied,
        Screening,
        /// The original API's `Interview` is read as `interviewing`.
        #[strum(to_string = "interviewing", serialize = "interview")]
        Interviewing,
        Offer,
        Accepted,
        Declined,
        Rejected,
        Withdrawn,
        Ghosted,
    }
);

impl Status {
    /// A status after which no follow-up is due.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::Declined | Self::Rejected | Self::Withdrawn | Self::Ghosted
        )
    }
}

named_enum!(
    /// Where the job is done.
    WorkMode {
        Onsite,
        Hybrid,
        Remote,
    }
);

pub type Company = Text<1, 200>;
pub type Role = Text<1, 200>;
pub type Location = OptionalText<200>;
pub type Source = OptionalText<100>;
pub type Notes = OptionalText<10_000>;
pub type Tags = TextList<20, 50>;

/// How many of the latest status changes `status_history` keeps beside its first entry (the
/// status the application was created with): an item must stay far below DynamoDB's 400 KB.
pub const STATUS_HISTORY_RECENT: usize = 100;

/// One status change, as kept in `status_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    pub status: Status,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// An application as stored and as returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Application {
    #[schema(value_type = String, example = "01JDQ6ZK3V9V6M1T4WZ8X2Y3AB")]
    pub id: Id,
    pub company: String,
    pub role: String,
    pub status: Status,
    #[schema(value_type = Option<String>, format = Date)]
    pub applied_date: Option<NaiveDate>,
    #[schema(format = "uri")]
    pub job_url: Option<String>,
    pub location: Option<String>,
    pub work_mode: Option<WorkMode>,
    pub source: Option<String>,
    pub salary_min: Option<u64>,
    pub salary_max: Option<u64>,
    pub salary_currency: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub follow_up_on: Option<NaiveDate>,
    /// One entry per status change, oldest first: the first entry and the latest 100 are kept.
    #[serde(default)]
    pub status_history: Vec<StatusChange>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: u64,
}

request_body!(
    /// The body of `POST /applications` and, every field optional but one needed, of `PUT` and
    /// `PATCH /applications/{id}` ([`ApplicationUpdate`]). Strings are trimmed; an empty optional
    /// string clears the field.
    pub struct ApplicationCreate {
        #[schema(required = true, example = "Acme")]
        company: Required<Company>,
        #[schema(required = true, example = "Rust Engineer")]
        role: Required<Role>,
        /// Case-insensitive on input; `applied` by default.
        status: Field<Status>,
        /// Set to today when the status first becomes `applied` and this is empty.
        applied_date: Field<Date>,
        job_url: Field<WebUrl>,
        location: Field<Location>,
        work_mode: Field<WorkMode>,
        #[schema(example = "referral")]
        source: Field<Source>,
        salary_min: Field<Salary>,
        /// Not less than `salary_min`.
        salary_max: Field<Salary>,
        salary_currency: Field<Currency>,
        tags: Field<Tags>,
        notes: Field<Notes>,
        follow_up_on: Field<Date>,
    }
);

partial_update!(ApplicationUpdate, ApplicationCreate, never_null: ["status"]);

fn check_salary_range(reader: &mut Reader, min: Option<u64>, max: Option<u64>) {
    if min.zip(max).is_some_and(|(min, max)| min > max) {
        reader.error("salary_min", "must not be greater than salary_max");
    }
}

impl Application {
    /// A `POST /applications` body as the application it creates with `id` at `now`: version 1,
    /// the first history entry, and `applied_date` today when it starts out applied without one.
    pub fn parse_new(body: Value, id: Id, now: Timestamp) -> Result<Self, Invalid> {
        let (input, mut r) = Reader::read::<ApplicationCreate>(body)?;
        // Fields are read in the order their errors are listed; a required one left out fails
        // `finish`, so its empty stand-in is never returned.
        let mut application = Self {
            id,
            company: r.required("company", input.company).unwrap_or_default(),
            role: r.required("role", input.role).unwrap_or_default(),
            status: r
                .optional("status", input.status)
                .unwrap_or(Status::Applied),
            applied_date: r.value("applied_date", input.applied_date),
            job_url: r.value("job_url", input.job_url),
            location: r.value("location", input.location),
            work_mode: r.value("work_mode", input.work_mode),
            source: r.value("source", input.source),
            salary_min: r.value("salary_min", input.salary_min),
            salary_max: r.value("salary_max", input.salary_max),
            salary_currency: r.value("salary_currency", input.salary_currency),
            tags: r.value("tags", input.tags).unwrap_or_default(),
            notes: r.value("notes", input.notes),
            follow_up_on: r.value("follow_up_on", input.follow_up_on),
            status_history: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        check_salary_range(&mut r, application.salary_min, application.salary_max);
        r.finish()?;
        if application.status == Status::Applied {
            application.applied_date.get_or_insert(now.date());
        }
        application.status_history.push(StatusChange {
            status: application.status,
            at: now,
        });
        Ok(application)
    }
}

/// A valid `PUT`/`PATCH /applications/{id}` body: only the fields it names change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationPatch {
    pub status: Option<Status>,
    /// `applied_date` as given; when absent and the status becomes `applied`, today fills it
    /// if it is empty.
    pub applied_date: Patch<NaiveDate>,
    pub salary_min: Patch<u64>,
    pub salary_max: Patch<u64>,
    /// Every other field, ready to be written.
    pub plain: Vec<FieldChange>,
}

impl ApplicationPatch {
    pub fn parse(body: Value) -> Result<Self, Invalid> {
        let (input, mut r) = Reader::read::<ApplicationCreate>(body)?;
        r.change("company", input.company);
        r.change("role", input.role);
        let status = r.patch_required("status", input.status).value();
        let applied_date = r.patch("applied_date", input.applied_date).map(|d| d.0);
        r.change("job_url", input.job_url);
        r.change("location", input.location);
        r.change("work_mode", input.work_mode);
        r.change("source", input.source);
        let salary_min = r.patch("salary_min", input.salary_min).map(Salary::get);
        let salary_max = r.patch("salary_max", input.salary_max).map(Salary::get);
        r.change("salary_currency", input.salary_currency);
        r.change("tags", input.tags);
        r.change("notes", input.notes);
        r.change("follow_up_on", input.follow_up_on);
        check_salary_range(&mut r, salary_min.value(), salary_max.value());
        Ok(Self {
            status,
            applied_date,
            salary_min,
            salary_max,
            plain: r.finish_patch()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Every field change except `status`, which the store writes with its history entry.
    pub fn field_changes(&self) -> Vec<FieldChange> {
        let mut changes = self.plain.clone();
        FieldChange::push(&mut changes, "applied_date", self.applied_date);
        FieldChange::push(&mut changes, "salary_min", self.salary_min);
        FieldChange::push(&mut changes, "salary_max", self.salary_max);
        changes
    }
}

/// The filters of `GET /applications`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    /// Any of these statuses (empty: any status).
    pub statuses: Vec<Status>,
    pub tag: Option<String>,
    /// Lower-cased; matched against company and role.
    pub text: Option<String>,
    /// Follow-ups due on or before this date, outside terminal statuses.
    pub follow_up_due_by: Option<NaiveDate>,
}

impl ApplicationFilter {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    pub fn matches(&self, application: &Application) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&application.status))
            && self
                .tag
                .as_ref()
                .is_none_or(|tag| application.tags.iter().any(|t| t == tag))
            && self.text.as_ref().is_none_or(|text| {
                application.company.to_lowercase().contains(text)
                    || application.role.to_lowercase().contains(text)
            })
            && self.follow_up_due_by.is_none_or(|today| {
                !application.status.is_terminal()
                    && application.follow_up_on.is_some_and(|due| due <= today)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values;
    use serde_json::json;

    fn errors_of(result: Result<impl std::fmt::Debug, Invalid>) -> Vec<String> {
        match result {
            Err(Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn an_update_may_not_clear_the_status_and_its_schema_says_so() {
        let status = |schema: utoipa::openapi::RefOr<utoipa::openapi::Schema>| {
            serde_json::to_value(schema).unwrap()["properties"]["status"].to_string()
        };
        use utoipa::PartialSchema;
        // A create's `null` status is the default; an update's is 422.
        assert!(status(ApplicationCreate::schema()).contains("null"));
        assert!(!status(ApplicationUpdate::schema()).contains("null"));
        assert_eq!(
            errors_of(ApplicationPatch::parse(json!({"status": null}))),
            ["status"]
        );
        let created = Application::parse_new(
            json!({"company": "A", "role": "B", "status": null}),
            Id::generate(),
            Timestamp::now(),
        );
        assert_eq!(created.unwrap().status, Status::Applied);
    }

    #[test]
    fn create_defaults_status_history_and_applied_date() {
        let now = Timestamp::now();
        let app = Application::parse_new(
            json!({"company": " Acme ", "role": "Engineer"}),
            Id::generate(),
            now,
        )
        .unwrap();
        assert_eq!(app.company, "Acme");
        assert_eq!(app.status, Status::Applied);
        assert_eq!(app.applied_date, Some(now.date()));
        assert_eq!(app.status_history.len(), 1);
        assert_eq!(app.version, 1);
    }

    #[test]
    fn create_lists_every_bad_field() {
        let fields = errors_of(Application::parse_new(
            json!({
                "company": "", "status": "bogus", "job_url": "nope", "salary_min": 10,
                "salary_max": 5, "salary_currency": "usdollar", "tags": [""], "extra": 1
            }),
            Id::generate(),
            Timestamp::now(),
        ));
        assert_eq!(
            fields,
            [
                "company",
                "role",
                "status",
                "job_url",
                "salary_currency",
                "tags",
                "salary_min",
                "extra"
            ]
        );
    }

    #[test]
    fn the_original_apis_statuses_are_read() {
        for (raw, status) in [
            ("Interview", Status::Interviewing),
            ("interviewing", Status::Interviewing),
            ("Applied", Status::Applied),
            ("Offer", Status::Offer),
            ("Rejected", Status::Rejected),
        ] {
            let app = Application::parse_new(
                json!({"company": "a", "role": "b", "status": raw}),
                Id::generate(),
                Timestamp::now(),
            )
            .unwrap();
            assert_eq!(app.status, status, "{raw}");
        }
        assert_eq!(
            values::NamedEnum::as_str(Status::Interviewing),
            "interviewing"
        );
        assert_eq!(Status::Interviewing.to_string(), "interviewing");
        assert_eq!(
            serde_json::to_value(Status::Interviewing).unwrap(),
            json!("interviewing")
        );
        assert!(!<Status as strum::VariantNames>::VARIANTS.contains(&"interview"));
    }

    #[test]
    fn status_is_case_insensitive() {
        let app = Application::parse_new(
            json!({"company": "a", "role": "b", "status": "OFFER"}),
            Id::generate(),
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(app.status, Status::Offer);
        assert_eq!(app.applied_date, None);
    }

    #[test]
    fn patch_rejects_nulling_required_fields_and_empty_bodies() {
        assert_eq!(
            errors_of(ApplicationPatch::parse(json!({"company": null}))),
            ["company"]
        );
        assert_eq!(errors_of(ApplicationPatch::parse(json!({}))), ["body"]);
        let patch = ApplicationPatch::parse(json!({"location": "", "notes": null})).unwrap();
        assert_eq!(
            patch.field_changes(),
            [
                FieldChange::remove("location"),
                FieldChange::remove("notes")
            ]
        );
    }

    #[test]
    fn filter_matches_text_case_insensitively_and_skips_terminal_follow_ups() {
        let mut app = Application::parse_new(json!({
            "company": "Acme", "role": "Rust Engineer", "tags": ["remote"], "follow_up_on": "2026-01-01"
        }), Id::generate(), Timestamp::now())
        .unwrap();
        let text = ApplicationFilter {
            text: Some("rust".into()),
            ..Default::default()
        };
        assert!(text.matches(&app));
        let due = ApplicationFilter {
            follow_up_due_by: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..Default::default()
        };
        assert!(due.matches(&app));
        app.status = Status::Rejected;
        assert!(!due.matches(&app));
        let tag = ApplicationFilter {
            tag: Some("onsite".into()),
            ..Default::default()
        };
        assert!(!tag.matches(&app));
    }
}
