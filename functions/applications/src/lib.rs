//! The applications Lambda: `/applications` and `/applications/{id}`.

use api::ApiState;
use api::create::Creation;
use api::cursor::CursorKey;
use api::error::{ApiError, ApiResult};
use api::extract::{IdempotencyKey, IfMatch, JsonBody, PathIds, QueryParams};
use api::identity::Caller;
use api::respond::{Page, json_response, resource, with_problem_fallbacks};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::values::NamedEnum;
use domain::{
    Application, ApplicationFilter, ApplicationPatch, Id, NewApplication, Status, Timestamp,
};
use store::Store;
use tracing::instrument;

/// The paths this function serves. API Gateway sends every method of each (`ANY`), so this
/// function answers a wrong method with 405 and `Allow`.
pub const ROUTES: &[&str] = &["/applications", "/applications/{id}"];

pub fn router(state: ApiState) -> Router {
    let routes = Router::new()
        .route(
            "/applications",
            get(list_applications).post(create_application),
        )
        .route(
            "/applications/{id}",
            get(get_application)
                .put(update_application)
                .patch(update_application)
                .delete(delete_application),
        );
    with_problem_fallbacks(routes).with_state(state)
}

#[instrument(skip_all)]
async fn create_application(
    State(store): State<Store>,
    caller: Caller,
    key: IdempotencyKey,
    body: JsonBody,
) -> ApiResult<Response> {
    let application =
        NewApplication::parse(body.value)?.into_application(Id::generate(), Timestamp::now());
    let creation = Creation::new(
        caller.user(),
        "/applications",
        key,
        body.digest,
        application.id,
        &application,
    )?;
    let outcome = store
        .create_application(caller.user(), &application, creation.idempotency())
        .await?;
    // A fresh ULID cannot be taken: a failed condition would be a bug.
    creation.respond(outcome, &application, ApiError::Internal)
}

/// The parsed query of `GET /applications`.
struct ListQuery {
    limit: usize,
    cursor: Option<String>,
    filter: ApplicationFilter,
    /// The filters as sent, canonical: a cursor is only valid for the query it came from.
    context: String,
}

fn parse_list_query(raw: Option<&str>) -> ApiResult<ListQuery> {
    let mut params = QueryParams::parse(raw);
    let limit = params.limit()?;
    let cursor = params.take("cursor")?;
    let mut statuses = Vec::new();
    if let Some(list) = params.take("status")? {
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let status = Status::parse_name(name).map_err(|message| {
                ApiError::BadRequest(format!("query parameter `status` {message}"))
            })?;
            if !statuses.contains(&status) {
                statuses.push(status);
            }
        }
    }
    statuses.sort_by_key(|s| s.as_str());
    let tag = params.take("tag")?.map(|t| t.trim().to_owned());
    let text = params.take("q")?.map(|q| q.trim().to_lowercase());
    let follow_up_due = match params.take("follow_up_due")?.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter `follow_up_due` must be true or false".to_owned(),
            ));
        }
    };
    params.finish()?;
    let context = format!(
        "applications|status={:?}|tag={tag:?}|q={text:?}|follow_up_due={follow_up_due}",
        statuses
    );
    Ok(ListQuery {
        limit,
        cursor,
        filter: ApplicationFilter {
            statuses,
            tag,
            text,
            follow_up_due_by: follow_up_due.then(|| Timestamp::now().date()),
        },
        context,
    })
}

#[instrument(skip_all)]
async fn list_applications(
    State(store): State<Store>,
    State(cursors): State<CursorKey>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let query = parse_list_query(query.as_deref())?;
    let context = format!("{}|{}", caller.user().as_str(), query.context);
    let start = query
        .cursor
        .map(|cursor| cursors.decode(&context, &cursor))
        .transpose()?;
    let page = store
        .list_applications(caller.user(), &query.filter, query.limit, start)
        .await?;
    let body: Page<Application> = Page {
        items: page.items,
        next_cursor: page.resume.map(|key| cursors.encode(&context, &key)),
    };
    Ok(json_response(StatusCode::OK, &body))
}

#[instrument(skip_all)]
async fn get_application(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
) -> ApiResult<Response> {
    let application = store.get_application(caller.user(), ids.first()?).await?;
    Ok(resource(StatusCode::OK, &application))
}

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

#[instrument(skip_all)]
async fn delete_application(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
) -> ApiResult<Response> {
    store
        .delete_application(caller.user(), ids.first()?, &precondition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
