//! The OpenAPI 3.1 document, generated from the code: resource and error schemas come from the
//! domain types' `ToSchema` derives, request bodies from the input schemas below (which state
//! the same rules the parsers enforce), and the routes from the same templates the functions
//! declare. `GET /openapi.json` serves it; `docs/openapi.json` is its committed copy.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Deprecated, Header, OpenApi, PathItem, PathsBuilder, Ref, RefOr, Required,
};
use utoipa::{PartialSchema, ToSchema};

use domain::application::{Status, WorkMode};
use domain::feedback::InterviewStage;
use domain::rejection::{RejectionCategory, RejectionStage};
use domain::values::ISO_4217;
use domain::{Application, ChildResource, Feedback, Rejection};

use crate::error::{FieldError, PROBLEM_CONTENT_TYPE, Problem};

/// A string schema with length bounds, for list items (`tags`, skills, reasons).
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$meta])*
        pub struct $name;
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some($min))
                    .max_length(Some($max))
                    // Strings are trimmed: one non-space character is needed.
                    .pattern(Some(r"\S"))
                    .into()
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

bounded_text!(
    /// A tag: 1–50 characters (trimmed).
    Tag, 1, 50
);
bounded_text!(
    /// A skill named in feedback: 1–50 characters (trimmed).
    Skill, 1, 50
);
bounded_text!(
    /// One reason given for a rejection: 1–200 characters (trimmed).
    Reason, 1, 200
);

fn currency_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .enum_values(Some(
            ISO_4217
                .iter()
                .map(|code| serde_json::json!(code))
                .chain([serde_json::Value::Null]),
        ))
        .examples([serde_json::json!("EUR")])
}

const ULID_PATTERN: &str = "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$";

/// `POST /applications`. Strings are trimmed; an empty optional string clears the field.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ApplicationCreate {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", example = "Acme")]
    company: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "Rust Engineer"
    )]
    role: String,
    /// Case-insensitive on input; `applied` by default.
    status: Option<Status>,
    /// Set to today when the status first becomes `applied` and this is empty.
    #[schema(value_type = Option<String>, format = Date)]
    applied_date: Option<String>,
    #[schema(
        max_length = 2048,
        format = "uri",
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,4})?([/?#][!-~]*)?$"
    )]
    job_url: Option<String>,
    #[schema(max_length = 200)]
    location: Option<String>,
    work_mode: Option<WorkMode>,
    #[schema(max_length = 100, example = "referral")]
    source: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_u64)]
    salary_min: Option<u64>,
    /// Not less than `salary_min`.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_u64)]
    salary_max: Option<u64>,
    /// ISO 4217 code (any case on input, stored upper-case).
    #[schema(schema_with = currency_schema)]
    salary_currency: Option<String>,
    /// At most 20 distinct tags; duplicates are dropped.
    #[schema(value_type = Option<Vec<Tag>>, max_items = 20)]
    tags: Option<Vec<String>>,
    #[schema(max_length = 10000)]
    notes: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    follow_up_on: Option<String>,
}

/// `POST /applications/{id}/feedback`. Every field is optional.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FeedbackCreate {
    #[schema(value_type = Option<String>, format = Date)]
    feedback_date: Option<String>,
    stage: Option<InterviewStage>,
    #[schema(max_length = 200)]
    interviewer: Option<String>,
    #[schema(minimum = 1, maximum = 5)]
    rating: Option<u8>,
    #[schema(max_length = 10000)]
    comments: Option<String>,
    #[schema(value_type = Option<Vec<Skill>>, max_items = 30)]
    strengths: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<Skill>>, max_items = 30)]
    improvements: Option<Vec<String>>,
}

/// `POST /applications/{id}/rejections`. Also sets the application's status to `rejected`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RejectionCreate {
    /// Today when left out.
    #[schema(value_type = Option<String>, format = Date)]
    rejected_date: Option<String>,
    stage: Option<RejectionStage>,
    category: Option<RejectionCategory>,
    #[schema(value_type = Option<Vec<Reason>>, max_items = 20)]
    reasons: Option<Vec<String>>,
    #[schema(max_length = 10000)]
    notes: Option<String>,
}

/// `{"items": [...], "next_cursor": …}`, newest first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ApplicationPage {
    items: Vec<Application>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct FeedbackPage {
    items: Vec<Feedback>,
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RejectionPage {
    items: Vec<Rejection>,
    next_cursor: Option<String>,
}

/// `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// `GET /db-check`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DbCheck {
    #[schema(example = "connected")]
    pub db: &'static str,
    pub latency_ms: u64,
}

/// The update schema of a resource: its create schema with nothing required (a partial update),
/// at least one property, and the same rules otherwise.
fn update_schema(create: RefOr<Schema>) -> RefOr<Schema> {
    match create {
        RefOr::T(Schema::Object(mut object)) => {
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

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_response(description: &str, schema: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema_ref(schema)))
                .build(),
        )
        .build()
}

fn problem(status: u16) -> (String, Response) {
    let description = match status {
        400 => "Malformed JSON, a bad query parameter, or a bad cursor",
        401 => "Missing, expired or invalid bearer token",
        404 => "No such resource (or it belongs to another user)",
        412 => "If-Match does not match the current version",
        413 => "Body larger than 64 KiB",
        415 => "Body is not JSON",
        422 => "Validation failed: every bad field is listed",
        503 => "The database is unavailable; retry after Retry-After seconds",
        _ => "Error",
    };
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(schema_ref("Problem")))
                .build(),
        )
        .build();
    (status.to_string(), response)
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn parameter(
    name: &str,
    location: ParameterIn,
    required: bool,
    schema: ObjectBuilder,
    description: &str,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(location)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn id_param(name: &str, what: &str) -> Parameter {
    parameter(
        name,
        ParameterIn::Path,
        true,
        string_schema().pattern(Some(ULID_PATTERN)),
        &format!("The {what}'s id (a ULID)"),
    )
}

fn page_params() -> Vec<Parameter> {
    vec![
        parameter(
            "limit",
            ParameterIn::Query,
            false,
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(100))
                .default(Some(25.into())),
            "Page size, 1–100 (default 25)",
        ),
        parameter(
            "cursor",
            ParameterIn::Query,
            false,
            string_schema(),
            "`next_cursor` of the previous page",
        ),
    ]
}

fn if_match() -> Parameter {
    parameter(
        "If-Match",
        ParameterIn::Header,
        false,
        string_schema(),
        "Write only if the current version matches this ETag (e.g. `\"3\"`), else 412",
    )
}

fn idempotency_key() -> Parameter {
    parameter(
        "Idempotency-Key",
        ParameterIn::Header,
        false,
        string_schema()
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some("^[!-~]+$")),
        "A retry with the same key and body within 24 h returns the first response and creates nothing",
    )
}

/// One operation, with its responses.
struct Op {
    method: HttpMethod,
    operation: Operation,
}

struct OpBuilder {
    method: HttpMethod,
    builder: OperationBuilder,
}

impl OpBuilder {
    fn new(method: HttpMethod, id: &str, summary: &str, tag: &str) -> Self {
        Self {
            method,
            builder: OperationBuilder::new()
                .operation_id(Some(id))
                .summary(Some(summary))
                .tag(tag)
                .deprecated(Some(Deprecated::False)),
        }
    }

    fn secured(mut self) -> Self {
        self.builder = self
            .builder
            .security(SecurityRequirement::new::<_, _, &str>("bearer", []));
        self
    }

    fn params(mut self, params: impl IntoIterator<Item = Parameter>) -> Self {
        for param in params {
            self.builder = self.builder.parameter(param);
        }
        self
    }

    fn body(mut self, schema: RefOr<Schema>, merge_patch: bool) -> Self {
        let content = ContentBuilder::new().schema(Some(schema)).build();
        let mut body = RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content("application/json", content.clone());
        if merge_patch {
            body = body.content("application/merge-patch+json", content);
        }
        self.builder = self.builder.request_body(Some(body.build()));
        self
    }

    fn response(mut self, status: &str, response: Response) -> Self {
        self.builder = self.builder.response(status, response);
        self
    }

    fn problems(mut self, statuses: &[u16]) -> Self {
        for status in statuses {
            let (code, response) = problem(*status);
            self.builder = self.builder.response(code, response);
        }
        self
    }

    fn build(self) -> Op {
        Op {
            method: self.method,
            operation: self.builder.build(),
        }
    }
}

fn with_headers(mut response: Response, headers: &[(&str, &str)]) -> Response {
    for (name, description) in headers {
        let mut header = Header::new(string_schema());
        header.description = Some((*description).to_owned());
        response.headers.insert((*name).to_owned(), header);
    }
    response
}

fn resource_response(description: &str, schema: &str) -> Response {
    with_headers(
        json_response(description, schema),
        &[("ETag", "The resource's version, for If-Match")],
    )
}

fn created_response(description: &str, schema: &str) -> Response {
    with_headers(
        json_response(description, schema),
        &[
            ("ETag", "The resource's version"),
            ("Location", "The new resource's path"),
        ],
    )
}

fn no_content(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}

/// The item routes of a resource: get, put, patch, delete.
fn item_ops(tag: &str, schema: &str, update: RefOr<Schema>, ids: Vec<Parameter>) -> Vec<Op> {
    let what = schema.to_lowercase();
    let get = OpBuilder::new(
        HttpMethod::Get,
        &format!("get_{tag}"),
        &format!("Get one {what}"),
        tag,
    )
    .secured()
    .params(ids.clone())
    .response("200", resource_response(&format!("The {what}"), schema))
    .problems(&[401, 404, 503]);
    let mut ops = vec![get.build()];
    for (method, verb) in [(HttpMethod::Put, "put"), (HttpMethod::Patch, "patch")] {
        ops.push(
            OpBuilder::new(
                method.clone(),
                &format!("{verb}_{tag}"),
                &format!("Update a {what} (partial)"),
                tag,
            )
            .secured()
            .params(ids.clone())
            .params([if_match()])
            .body(update.clone(), method == HttpMethod::Patch)
            .response(
                "200",
                resource_response(&format!("The updated {what}"), schema),
            )
            .problems(&[400, 401, 404, 412, 413, 415, 422, 503])
            .build(),
        );
    }
    ops.push(
        OpBuilder::new(
            HttpMethod::Delete,
            &format!("delete_{tag}"),
            &format!("Delete a {what}"),
            tag,
        )
        .secured()
        .params(ids)
        .params([if_match()])
        .response("204", no_content("Deleted"))
        .problems(&[401, 404, 412, 503])
        .build(),
    );
    ops
}

fn child_paths<T: ChildResource + ToSchema>(
    create: RefOr<Schema>,
    page: &str,
    id_name: &str,
) -> Vec<(String, Op)> {
    let tag = T::COLLECTION;
    let schema = T::name();
    let collection = format!("/applications/{{id}}/{tag}");
    let item = format!("{collection}/{{{id_name}}}");
    let parent = id_param("id", "application");
    let mut paths = vec![
        (
            collection.clone(),
            OpBuilder::new(
                HttpMethod::Get,
                &format!("list_{tag}"),
                &format!("List an application's {tag}, newest first"),
                tag,
            )
            .secured()
            .params([parent.clone()])
            .params(page_params())
            .response("200", json_response("A page", page))
            .problems(&[400, 401, 404, 503])
            .build(),
        ),
        (
            collection,
            OpBuilder::new(
                HttpMethod::Post,
                &format!("create_{tag}"),
                &format!("Record {tag}"),
                tag,
            )
            .secured()
            .params([parent.clone(), idempotency_key()])
            .body(create.clone(), false)
            .response("201", created_response("Created", &schema))
            .problems(&[400, 401, 404, 413, 415, 422, 503])
            .build(),
        ),
    ];
    let ids = vec![parent, id_param(id_name, &schema.to_lowercase())];
    paths.extend(
        item_ops(tag, &schema, update_schema(create), ids)
            .into_iter()
            .map(|op| (item.clone(), op)),
    );
    paths
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Feedback Tracker API",
        description = "Run your job search: applications and their status, interview feedback, rejection reasons. \
            Every route except /health, /db-check, /docs and /openapi.json needs `Authorization: Bearer <JWT>`; \
            errors are RFC 9457 problem+json.",
        license(name = "MIT")
    ),
    components(schemas(
        Application,
        Feedback,
        Rejection,
        Problem,
        FieldError,
        ApplicationCreate,
        FeedbackCreate,
        RejectionCreate,
        ApplicationPage,
        FeedbackPage,
        RejectionPage,
        Health,
        DbCheck,
        Tag,
        Skill,
        Reason
    ))
)]
struct Components;

/// The whole document.
pub fn document() -> OpenApi {
    let mut doc = <Components as utoipa::OpenApi>::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    let application_create = ApplicationCreate::schema();
    for (name, schema) in [
        (
            "ApplicationUpdate",
            update_schema(application_create.clone()),
        ),
        ("FeedbackUpdate", update_schema(FeedbackCreate::schema())),
        ("RejectionUpdate", update_schema(RejectionCreate::schema())),
    ] {
        components.schemas.insert(name.to_owned(), schema);
    }

    let mut ops: Vec<(String, Op)> = Vec::new();
    let tag = "applications";
    ops.push((
        "/applications".into(),
        OpBuilder::new(
            HttpMethod::Get,
            "list_applications",
            "List applications, newest first",
            tag,
        )
        .secured()
        .params(page_params())
        .params([
            parameter(
                "status",
                ParameterIn::Query,
                false,
                string_schema(),
                "One status or several, comma-separated (any case)",
            ),
            parameter(
                "tag",
                ParameterIn::Query,
                false,
                string_schema(),
                "Only applications with this tag",
            ),
            parameter(
                "q",
                ParameterIn::Query,
                false,
                string_schema(),
                "Case-insensitive text in company or role",
            ),
            parameter(
                "follow_up_due",
                ParameterIn::Query,
                false,
                ObjectBuilder::new().schema_type(Type::Boolean),
                "`true`: follow_up_on is today or earlier and the status is not terminal",
            ),
        ])
        .response("200", json_response("A page", "ApplicationPage"))
        .problems(&[400, 401, 503])
        .build(),
    ));
    ops.push((
        "/applications".into(),
        OpBuilder::new(
            HttpMethod::Post,
            "create_applications",
            "Create an application",
            tag,
        )
        .secured()
        .params([idempotency_key()])
        .body(schema_ref("ApplicationCreate"), false)
        .response("201", created_response("Created", "Application"))
        .problems(&[400, 401, 413, 415, 422, 503])
        .build(),
    ));
    ops.extend(
        item_ops(
            tag,
            "Application",
            schema_ref("ApplicationUpdate"),
            vec![id_param("id", "application")],
        )
        .into_iter()
        .map(|op| ("/applications/{id}".to_owned(), op)),
    );
    ops.extend(child_paths::<Feedback>(
        schema_ref("FeedbackCreate"),
        "FeedbackPage",
        "feedback_id",
    ));
    ops.extend(child_paths::<Rejection>(
        schema_ref("RejectionCreate"),
        "RejectionPage",
        "rejection_id",
    ));

    let system = "system";
    ops.push((
        "/health".into(),
        OpBuilder::new(
            HttpMethod::Get,
            "health",
            "Liveness (never touches the database)",
            system,
        )
        .response("200", json_response("Up", "Health"))
        .build(),
    ));
    ops.push((
        "/db-check".into(),
        OpBuilder::new(
            HttpMethod::Get,
            "db_check",
            "Readiness: the table answers within 2 s",
            system,
        )
        .response("200", json_response("The table answered", "DbCheck"))
        .problems(&[503])
        .build(),
    ));
    ops.push((
        "/openapi.json".into(),
        OpBuilder::new(HttpMethod::Get, "openapi", "This document", system)
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The OpenAPI 3.1 document")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                            .build(),
                    )
                    .build(),
            )
            .build(),
    ));
    ops.push((
        "/docs".into(),
        OpBuilder::new(
            HttpMethod::Get,
            "docs",
            "Swagger UI for this document",
            system,
        )
        .response(
            "200",
            ResponseBuilder::new()
                .description("The Swagger UI page")
                .content(
                    "text/html",
                    ContentBuilder::new().schema(Some(string_schema())).build(),
                )
                .build(),
        )
        .build(),
    ));

    let mut paths = PathsBuilder::new();
    for (path, op) in ops {
        paths = paths.path(path, PathItem::new(op.method, op.operation));
    }
    doc.paths = paths.build();
    doc
}

/// The document as the JSON `GET /openapi.json` serves and `docs/openapi.json` holds.
pub fn document_json() -> String {
    document().to_pretty_json().unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::values::SALARY_MAX;

    #[test]
    fn salary_bounds_match_the_parser() {
        let doc = serde_json::to_value(document()).unwrap();
        let salary = &doc["components"]["schemas"]["ApplicationCreate"]["properties"]["salary_min"];
        assert_eq!(salary["maximum"], SALARY_MAX);
    }

    #[test]
    fn update_schemas_require_nothing_but_one_property() {
        let doc = serde_json::to_value(document()).unwrap();
        let update = &doc["components"]["schemas"]["ApplicationUpdate"];
        assert_eq!(update["minProperties"], 1);
        assert!(update.get("required").is_none());
        assert_eq!(update["additionalProperties"], false);
        let create = &doc["components"]["schemas"]["ApplicationCreate"];
        assert_eq!(create["required"], serde_json::json!(["company", "role"]));
    }
}
