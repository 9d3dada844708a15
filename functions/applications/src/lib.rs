//! The applications Lambda: `/applications` and `/applications/{id}`.

use api::create::Creation;
use api::cursor::CursorKey;
use api::error::{ApiError, ApiResult};
use api::extract::{
    DEFAULT_PAGE_SIZE, IdempotencyKey, IfMatch, JsonBody, PathIds, Query, id_params, limit,
    non_empty, true_or_false,
};
use api::identity::Caller;
use api::openapi::{CreateProblems, DeleteProblems, ListProblems, ReadProblems, UpdateProblems};
use api::respond::{Page, json_response, resource};
use api::{ApiState, Function};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::application::{ApplicationCreate, ApplicationUpdate};
use domain::values::NamedEnum;
use domain::{Application, ApplicationFilter, ApplicationPatch, Id, Status, Timestamp};
use serde::Deserialize;
use store::{Precondition, Store};
use tracing::instrument;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a `DELETE` sweeps an application's children before it answers (the Lambda times out
/// at 10 s); the sweeper function finishes what is left.
const DELETE_SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// This function, as the dev server, the document and the Lambda see it.
pub const FUNCTION: Function = Function {
    name: "applications",
    public: false,
    api,
};

/// This function's annotated routes.
pub fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_applications, create_application))
        .routes(routes!(
            get_application,
            update_application,
            delete_application
        ))
}

/// The application's id in the path.
struct AppId;

impl IntoParams for AppId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        id_params(&[("id", "application")])
    }
}

#[utoipa::path(
    post,
    path = "/applications",
    operation_id = "create_applications",
    summary = "Create an application",
    tag = "applications",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = ApplicationCreate,
    responses(
        (status = 201, description = "Created", body = Application, headers(
            ("ETag" = String, description = "The resource's version"),
            ("Location" = String, description = "The new resource's path"),
        )),
        CreateProblems
    )
)]
#[instrument(skip_all)]
async fn create_application(
    State(store): State<Store>,
    caller: Caller,
    IfMatch(precondition): IfMatch,
    key: IdempotencyKey,
    body: JsonBody,
) -> ApiResult<Response> {
    // The collection has no version: a listed ETag never matches it (RFC 9110 §13.1.1).
    if let Precondition::Versions(_) = precondition {
        return Err(ApiError::PreconditionFailed);
    }
    let application = Application::parse_new(body.value, Id::generate(), Timestamp::now())?;
    let creation = Creation::new(
        caller.user(),
        "/applications",
        key,
        body.digest,
        &application,
    )?;
    let outcome = store
        .create_application(caller.user(), &application, creation.idempotency())
        .await?;
    // A fresh ULID cannot be taken: a failed condition would be a bug.
    creation.respond(outcome, &application, ApiError::Internal)
}

/// The query of `GET /applications`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Page size, 1–100 (default 25).
    #[serde(default = "default_limit", deserialize_with = "limit")]
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: usize,
    /// `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "non_empty")]
    cursor: Option<String>,
    /// One status or several, comma-separated (any case).
    #[serde(default, deserialize_with = "non_empty")]
    status: Option<String>,
    /// Only applications with this tag.
    #[serde(default, deserialize_with = "non_empty")]
    tag: Option<String>,
    /// Case-insensitive text in company or role.
    #[serde(default, deserialize_with = "non_empty")]
    q: Option<String>,
    /// `true`: follow_up_on is today or earlier and the status is not terminal.
    #[serde(default, deserialize_with = "true_or_false")]
    follow_up_due: Option<bool>,
}

fn default_limit() -> usize {
    DEFAULT_PAGE_SIZE
}

impl ListQuery {
    /// The filter it asks for, and the filters as sent, canonical: a cursor is only valid for
    /// the query it came from.
    fn filter(&self) -> ApiResult<(ApplicationFilter, String)> {
        let mut statuses = Vec::new();
        for name in self.status.iter().flat_map(|list| list.split(',')) {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let status = Status::parse_name(name).map_err(|message| {
                ApiError::BadRequest(format!("query parameter `status` {message}"))
            })?;
            if !statuses.contains(&status) {
                statuses.push(status);
            }
        }
        statuses.sort_by_key(|s| s.as_str());
        let tag = self.tag.clone();
        let text = self.q.as_ref().map(|q| q.to_lowercase());
        let follow_up_due = self.follow_up_due.unwrap_or(false);
        let context = format!(
            "applications|status={statuses:?}|tag={tag:?}|q={text:?}|follow_up_due={follow_up_due}"
        );
        let filter = ApplicationFilter {
            statuses,
            tag,
            text,
            follow_up_due_by: follow_up_due.then(|| Timestamp::now().date()),
        };
        Ok((filter, context))
    }
}

#[utoipa::path(
    get,
    path = "/applications",
    operation_id = "list_applications",
    summary = "List applications, newest first",
    tag = "applications",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page", body = Page<Application>), ListProblems)
)]
#[instrument(skip_all)]
async fn list_applications(
    State(store): State<Store>,
    State(cursors): State<CursorKey>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Response> {
    let (filter, context) = query.filter()?;
    let context = format!("{}|{context}", caller.user().as_str());
    let start = query
        .cursor
        .map(|cursor| cursors.decode(&context, &cursor))
        .transpose()?;
    let page = store
        .list_applications(caller.user(), &filter, query.limit, start)
        .await?;
    let body: Page<Application> = Page {
        items: page.items,
        next_cursor: page.resume.map(|key| cursors.encode(&context, &key)),
    };
    Ok(json_response(StatusCode::OK, &body))
}

#[utoipa::path(
    get,
    path = "/applications/{id}",
    operation_id = "get_applications",
    summary = "Get one application",
    tag = "applications",
    security(("bearer" = [])),
    params(AppId),
    responses(
        (status = 200, description = "The application", body = Application, headers(
            ("ETag" = String, description = "The resource's version, for If-Match"),
        )),
        ReadProblems
    )
)]
#[instrument(skip_all)]
async fn get_application(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
) -> ApiResult<Response> {
    let application = store.get_application(caller.user(), ids.first()?).await?;
    Ok(resource(StatusCode::OK, &application))
}

#[utoipa::path(
    method(put, patch),
    path = "/applications/{id}",
    operation_id = "update_applications",
    summary = "Update an application (partial)",
    tag = "applications",
    security(("bearer" = [])),
    params(AppId, IfMatch),
    request_body(content(
        (ApplicationUpdate = "application/json"),
        (ApplicationUpdate = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The updated application", body = Application, headers(
            ("ETag" = String, description = "The resource's version, for If-Match"),
        )),
        UpdateProblems
    )
)]
#[instrument(skip_all)]
async fn update_application(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
    body: JsonBody,
) -> ApiResult<Response> {
    let id = ids.first()?;
    let patch = ApplicationPatch::parse(body.value)?;
    let application = store
        .update_application(caller.user(), id, &patch, &precondition, Timestamp::now())
        .await?;
    Ok(resource(StatusCode::OK, &application))
}

#[utoipa::path(
    delete,
    path = "/applications/{id}",
    operation_id = "delete_applications",
    summary = "Delete an application with its feedback and rejections",
    tag = "applications",
    security(("bearer" = [])),
    params(AppId, IfMatch),
    responses((status = 204, description = "Deleted"), DeleteProblems)
)]
#[instrument(skip_all)]
async fn delete_application(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
) -> ApiResult<Response> {
    store
        .delete_application(
            caller.user(),
            ids.first()?,
            &precondition,
            DELETE_SWEEP_BUDGET,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
