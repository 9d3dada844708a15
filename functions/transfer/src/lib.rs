//! The transfer Lambda: `GET /export` (JSON or CSV, paged) and `POST /import` (our export, CSV
//! from other trackers and LinkedIn, the original API's responses).

use api::cursor::CursorKey;
use api::error::{ApiError, ApiResult, FieldError, Problem};
use api::extract::{Query, body_bytes, media_type, non_empty, true_or_false};
use api::identity::Caller;
use api::openapi::ListProblems;
use api::respond::json_response;
use api::{ApiState, Function};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::transfer::{
    ExportDocument, ExportedApplication, ImportError, ImportPlan, ImportSource,
    MAX_DOCUMENT_ERRORS, MAX_IMPORT_CHILDREN, MAX_IMPORT_ROWS, MAX_ROW_ERRORS, listed, read_csv,
    read_json, write_csv,
};
use domain::{Id, Invalid, Timestamp, UserId};
use serde::{Deserialize, Deserializer, Serialize};
use store::{ExportSizing, ImportOutcome, Presence, Store};
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest import body: a Lambda event holds 6 MB, and the body travels in it escaped or
/// base64-encoded (4/3 of its size).
pub const IMPORT_LIMIT_BYTES: usize = 4 * 1024 * 1024;
/// The largest import body as the Lambda event carries a text body: escaped inside a JSON
/// string. 4 MiB of quotes would take 8 MB there, past Lambda's 6 MB, and API Gateway would
/// answer its own 5xx; 5 MiB leaves room for the rest of the event.
pub const IMPORT_CARRIED_BYTES: usize = 5 * 1024 * 1024;
/// Applications per export page by default, and at most.
pub const EXPORT_DEFAULT_LIMIT: usize = 100;
pub const EXPORT_MAX_LIMIT: usize = 500;
/// This function, as the dev server, the document and the Lambda see it.
pub const FUNCTION: Function = Function {
    name: "transfer",
    public: false,
    api,
};

/// This function's annotated routes.
pub fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(import))
}

/// `json` or `csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl Format {
    /// The bytes one application adds to an export page as the Lambda response carries it:
    /// the body travels escaped inside a JSON string (a `"` or `\` counts twice).
    fn response_size(self) -> fn(&ExportedApplication) -> usize {
        match self {
            Self::Json => store::json_size,
            Self::Csv => |item| store::escaped_size(&write_csv(std::slice::from_ref(item), false)),
        }
    }
    /// How a page of this format is measured: a JSON page carries the children, and may end
    /// inside an application.
    fn sizing(self) -> ExportSizing {
        ExportSizing {
            size: self.response_size(),
            split: self == Self::Json,
        }
    }
}

fn export_limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    use serde::de::Error;
    let raw = String::deserialize(deserializer)?;
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(EXPORT_DEFAULT_LIMIT);
    }
    raw.parse::<usize>()
        .ok()
        .filter(|n| (1..=EXPORT_MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            D::Error::custom(format!(
                "must be a whole number from 1 to {EXPORT_MAX_LIMIT}"
            ))
        })
}

fn default_export_limit() -> usize {
    EXPORT_DEFAULT_LIMIT
}

/// The query of `GET /export`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (default): the lossless, versioned document; `csv`: one row per application.
    #[serde(default, deserialize_with = "non_empty")]
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    format: Option<FormatParam>,
    /// Applications per page at most, 1–500 (default 100). A page holds fewer, with a cursor
    /// to the rest, when it reaches 4 MB, when it has read for 20 s, or before the application
    /// that would take its feedback and rejections together past 10,000 (the most one import
    /// takes); it always holds at least one application. In JSON, an application too big for
    /// a page alone is cut: the page ends with it and the first of its children, and the next
    /// page starts with it again and the rest of them.
    #[serde(default = "default_export_limit", deserialize_with = "export_limit")]
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: usize,
    /// `next_cursor` of the previous page (JSON), or the `Next-Cursor` header (CSV): the page
    /// that follows it, whether it ended at `limit` or early.
    #[serde(default, deserialize_with = "non_empty")]
    cursor: Option<String>,
}

/// `format`, read case-insensitively.
#[derive(Debug, Clone, Copy)]
struct FormatParam(Format);

impl std::str::FromStr for FormatParam {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw.to_ascii_lowercase().as_str() {
            "json" => Ok(Self(Format::Json)),
            "csv" => Ok(Self(Format::Csv)),
            _ => Err(()),
        }
    }
}

#[utoipa::path(
    get,
    path = "/export",
    operation_id = "export",
    summary = "Export everything of the caller (JSON document or CSV), page by page",
    description = "JSON: a `feedback-tracker/v1` document of applications (with status_history), feedback and rejections; each page is a complete document `POST /import` restores, `next_cursor` names the next. CSV: one row per application, UTF-8 with BOM, formulas neutralised; the next page's cursor is in the `Next-Cursor` header and later pages carry no header row, so the pages concatenate into one file.",
    tag = "transfer",
    security(("bearer" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "One page of the export", content(
            (ExportDocument = "application/json"),
            (String = "text/csv"),
        ), headers(
            ("Next-Cursor" = String, description = "CSV only: the cursor of the next page (absent on the last)"),
        )),
        ListProblems,
        (status = 429, description = "In AWS only: API Gateway's throttle of this route (2 requests a second, bursts of 10, all users together by default), answered before the function runs with `{\"message\":\"Too Many Requests\"}` and no Retry-After; nothing was done: send it again after a pause"),
    )
)]
#[instrument(skip_all)]
async fn export(
    State(store): State<Store>,
    State(cursors): State<CursorKey>,
    caller: Caller,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let format = query.format.map_or(Format::Json, |f| f.0);
    // A cursor is the format's: a JSON page may end inside an application, which a CSV row
    // cannot continue (its counts would hold only the children after the cut).
    let context = format!("{}|export|{format:?}", caller.user().as_str());
    let start = query
        .cursor
        .as_deref()
        .map(|cursor| cursors.decode(&context, cursor))
        .transpose()?;
    let first_page = start.is_none();
    let page = store
        .export_page(caller.user(), query.limit, start, format.sizing())
        .await?;
    let applications = page.items;
    let next_cursor = page.resume.map(|key| cursors.encode(&context, &key));
    Ok(match format {
        Format::Json => json_response(
            StatusCode::OK,
            &ExportDocument::new(applications, next_cursor),
        ),
        Format::Csv => {
            let mut response = (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"feedback-tracker-export.csv\"",
                    ),
                ],
                write_csv(&applications, first_page),
            )
                .into_response();
            if let Some(cursor) = next_cursor
                && let Ok(value) = HeaderValue::from_str(&cursor)
            {
                response.headers_mut().insert("next-cursor", value);
            }
            response
        }
    })
}

/// The body of `POST /import`: CSV (`text/csv`, also `text/plain` or `application/csv`) or
/// JSON (`application/json`), at most [`IMPORT_LIMIT_BYTES`].
struct ImportBody {
    csv: bool,
    bytes: axum::body::Bytes,
}

impl<S: Send + Sync> FromRequest<S> for ImportBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let csv = match media_type(request.headers()).as_deref() {
            Some("text/csv" | "application/csv" | "text/plain") => true,
            Some("application/json") => false,
            _ => {
                return Err(ApiError::UnsupportedMediaType(
                    "text/csv (a CSV with a header row) or application/json (an export document)",
                ));
            }
        };
        let bytes = body_bytes(request, IMPORT_LIMIT_BYTES).await?;
        Ok(Self { csv, bytes })
    }
}

/// The query of `POST /import`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// `true`: check every row and report what would happen, writing nothing.
    #[serde(default, deserialize_with = "true_or_false")]
    dry_run: Option<bool>,
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written (in a dry run: would be written).
    Created,
    /// Skipped: the caller has it already, or an earlier row of the file is the same.
    Duplicate,
    /// Invalid, or naming an application that is being deleted: nothing written; `errors` says
    /// why, in the API's own messages.
    Rejected,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowReport {
    /// CSV: the line in the file (the header is line 1); JSON: the position in `applications`,
    /// from 1.
    pub row: usize,
    pub outcome: Outcome,
    /// The application's id (created or already there).
    #[schema(value_type = Option<String>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// A duplicate of an earlier row of the same file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as_row: Option<usize>,
    /// Feedback and rejections written with it, or in a dry run that would be (JSON imports):
    /// for an application the caller has already, the ones it lacked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children_created: Option<usize>,
    /// Why a `rejected` row was (absent otherwise): at most 20 entries; a row with more lists
    /// its first 19 and a last `{"field": "...", "message": "and N more not listed"}`. A field
    /// name taken from the file (an unknown field) longer than 64 bytes as the response carries
    /// it is cut and ends in `…`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// `POST /import`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    pub source: ImportSource,
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// CSV columns that map to no field (left out), each name once; a name longer than 64 bytes
    /// as the response carries it is cut and ends in `…`.
    pub ignored_columns: Vec<String>,
    pub rows: Vec<RowReport>,
}

#[utoipa::path(
    post,
    path = "/import",
    operation_id = "import",
    summary = "Import: our JSON export (lossless), a CSV from another tracker or LinkedIn, or the original API's responses",
    description = "Every row is checked with the API's own rules; the report says per row `created`, `duplicate` or `rejected` (with the field errors, at most 20 per row). Idempotent: rows are identified by a fingerprint, so importing the same file again (or retrying after a 503) creates nothing twice. At most 1,000 rows, 10,000 feedback and rejections together, and 4 MiB per request: import a larger file in parts (see docs/api.md).",
    tag = "transfer",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content(
        (ExportDocument = "application/json"),
        (String = "text/csv"),
    )),
    responses(
        (status = 200, description = "The report (nothing written when `dry_run` is true)", body = ImportReport),
        (status = 400, description = "Malformed CSV or JSON, not UTF-8, or a bad query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, expired or invalid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 4 MiB (or 5 MiB as the Lambda event carries it, escaped), more than 1,000 rows, or more than 10,000 feedback and rejections together (`/problems/too-many-rows`); nothing is written, in a dry run too", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a document this API imports (a CSV header row without a company or role column, or of more than 200 columns; JSON of another format): its bad fields listed, at most 100 entries (with more, the first 99 and a last `{\"field\": \"...\", \"message\": \"and N more not listed\"}`; `detail` counts them all)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "In AWS only: API Gateway's throttle of this route (2 requests a second, bursts of 10, all users together by default), answered before the function runs with `{\"message\":\"Too Many Requests\"}` and no Retry-After; nothing was done: send it again after a pause"),
        (status = 503, description = "The database is unavailable, or the import ran out of its 20 s; send the same file again: what was written is skipped, the rest is written", body = Problem, content_type = "application/problem+json"),
    )
)]
#[instrument(skip_all)]
async fn import(
    State(store): State<Store>,
    caller: Caller,
    Query(query): Query<ImportQuery>,
    body: ImportBody,
) -> ApiResult<Response> {
    let user = caller.user();
    let now = Timestamp::now();
    // Refused here as Lambda would refuse it in AWS, so the dev server and AWS agree.
    let carried = store::escaped_size(&body.bytes);
    if carried > IMPORT_CARRIED_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "the body takes {carried} bytes as the request carries it (a quote, backslash or line break counts twice, another control character six times), and at most {IMPORT_CARRIED_BYTES} fit: split the file and import the parts one after another"
        )));
    }
    let plan = if body.csv {
        read_csv(user, &body.bytes, now)
    } else {
        match serde_json::from_slice(&body.bytes) {
            Ok(value) => read_json(user, value, now),
            Err(error) => Err(ImportError::Malformed(format!(
                "malformed JSON at line {} column {}",
                error.line(),
                error.column()
            ))),
        }
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(ImportError::Malformed(detail)) => return Err(ApiError::BadRequest(detail)),
        Err(ImportError::Invalid(Invalid(errors))) => {
            // Listed up to a bound: 10,000 orphaned children were a 9 MB answer.
            let total = errors.len();
            let shown = listed(errors, MAX_DOCUMENT_ERRORS);
            return Err(if total <= MAX_DOCUMENT_ERRORS {
                ApiError::Validation(shown)
            } else {
                ApiError::ValidationCut(shown, total)
            });
        }
        Err(ImportError::TooManyRows(_)) => {
            return Err(ApiError::TooManyRows(format!(
                "an import takes at most {MAX_IMPORT_ROWS} rows: split the file and import the parts one after another (a repeated row is skipped, so overlapping parts are fine)"
            )));
        }
        Err(ImportError::TooManyChildren(children)) => {
            return Err(ApiError::TooManyRows(format!(
                "an import takes at most {MAX_IMPORT_CHILDREN} feedback and rejections together, and this one holds {children}: split the file so that each part's applications hold at most that many, and import the parts one after another (a repeated row is skipped, so overlapping parts are fine)"
            )));
        }
    };
    // Out of time: a 503 of our own, not API Gateway's bare one when the function times out.
    let dry_run = query.dry_run.unwrap_or(false);
    let report = tokio::time::timeout(
        store.limits().import_time,
        run_import(&store, user, plan, dry_run),
    )
    .await
    .map_err(|_| {
        tracing::warn!(
            dry_run,
            "import out of time: 503, the file is to be sent again"
        );
        ApiError::Unavailable
    })??;
    Ok(json_response(StatusCode::OK, &report))
}

async fn run_import(
    store: &Store,
    user: &UserId,
    plan: ImportPlan,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    let units: Vec<_> = plan
        .rows
        .iter()
        .filter(|row| row.same_as.is_none())
        .filter_map(|row| row.parsed.as_ref().ok())
        .collect();
    // Per unit: what was written (a dry run: what would be).
    let written: Vec<ImportOutcome> = if dry_run {
        let ids: Vec<Id> = units.iter().map(|u| u.application.id).collect();
        let existing = store.existing_applications(user, &ids).await?;
        // An application that exists still takes the children it lacks, as the import would
        // write them: those are looked up only for the live ones that bring children.
        let live: Vec<_> = units
            .iter()
            .copied()
            .filter(|unit| existing.get(&unit.application.id) == Some(&Presence::Live))
            .filter(|unit| !unit.feedback.is_empty() || !unit.rejections.is_empty())
            .collect();
        let existing_children = store.existing_children(user, &live).await?;
        units
            .iter()
            .map(|unit| {
                let children = unit.feedback.len() + unit.rejections.len();
                match existing.get(&unit.application.id) {
                    None => ImportOutcome {
                        created: true,
                        children_created: children,
                        being_deleted: false,
                    },
                    Some(Presence::Live) => ImportOutcome {
                        children_created: children.saturating_sub(
                            existing_children
                                .get(&unit.application.id)
                                .copied()
                                .unwrap_or(0),
                        ),
                        ..ImportOutcome::default()
                    },
                    Some(Presence::BeingDeleted) => ImportOutcome {
                        being_deleted: true,
                        ..ImportOutcome::default()
                    },
                }
            })
            .collect()
    } else {
        let write = store.import(user, &units).await?;
        tracing::info!(
            rows = plan.rows.len(),
            capacity_units = write.capacity_units,
            "import written"
        );
        write.outcomes
    };
    let json = plan.source == ImportSource::Export || plan.source == ImportSource::Original;
    let mut report = ImportReport {
        dry_run,
        source: plan.source,
        created: 0,
        duplicates: 0,
        rejected: 0,
        ignored_columns: plan.ignored_columns,
        rows: Vec::with_capacity(plan.rows.len()),
    };
    let mut unit = 0;
    for row in plan.rows {
        let entry = match (row.parsed, row.same_as) {
            (Err(errors), _) => RowReport {
                row: row.row,
                outcome: Outcome::Rejected,
                id: None,
                same_as_row: None,
                children_created: None,
                // Listed up to a bound: a row's children can each add four.
                errors: listed(errors, MAX_ROW_ERRORS),
            },
            (Ok(imported), Some(first)) => RowReport {
                row: row.row,
                outcome: Outcome::Duplicate,
                id: Some(imported.application.id),
                same_as_row: Some(first),
                children_created: None,
                errors: Vec::new(),
            },
            (Ok(imported), None) => {
                let wrote = written[unit];
                unit += 1;
                let (outcome, errors) = if wrote.being_deleted {
                    let why = "names an application that is being deleted: nothing more of it is written; import this row again once the delete has finished";
                    (Outcome::Rejected, vec![FieldError::new("id", why)])
                } else if wrote.created {
                    (Outcome::Created, Vec::new())
                } else {
                    (Outcome::Duplicate, Vec::new())
                };
                RowReport {
                    row: row.row,
                    outcome,
                    id: Some(imported.application.id),
                    same_as_row: None,
                    children_created: (json && outcome != Outcome::Rejected)
                        .then_some(wrote.children_created),
                    errors,
                }
            }
        };
        match entry.outcome {
            Outcome::Created => report.created += 1,
            Outcome::Duplicate => report.duplicates += 1,
            Outcome::Rejected => report.rejected += 1,
        }
        report.rows.push(entry);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Application;
    use serde_json::json;

    fn exported(notes: usize) -> ExportedApplication {
        let application = Application::parse_new(
            json!({
                "company": "Acme", "role": "Dev", "notes": "n".repeat(notes)
            }),
            Id::generate(),
            Timestamp::now(),
        )
        .unwrap();
        ExportedApplication {
            application,
            feedback: Vec::new(),
            rejections: Vec::new(),
        }
    }

    #[test]
    fn an_application_is_measured_as_the_lambda_response_carries_it() {
        // Backslashes and quotes are escaped once in the JSON body and once more in the
        // response: a page measured by its body alone could pass Lambda's 6 MB.
        let mut item = exported(0);
        item.application.notes = Some("\\\"".repeat(1_000) + "\nline");
        let carried = |body: &[u8]| {
            let text = String::from_utf8(body.to_vec()).unwrap();
            serde_json::to_string(&text).unwrap().len() - 2
        };
        let json = serde_json::to_vec(&item).unwrap();
        // With the comma that separates it from the next application.
        assert_eq!(Format::Json.response_size()(&item), carried(&json) + 1);
        let csv = write_csv(std::slice::from_ref(&item), false);
        assert_eq!(Format::Csv.response_size()(&item), carried(&csv));
        assert!(carried(&csv) > csv.len() + 1_000);
    }
}
