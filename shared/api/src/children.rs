//! The routes of a child collection (`/applications/{id}/feedback`, `…/rejections`), generic
//! over the child type: one implementation serves both functions.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::instrument;

use domain::{ChildResource, Id, Timestamp};
use store::Store;

use crate::create::Creation;
use crate::cursor::CursorKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody, PathIds, QueryParams};
use crate::identity::Caller;
use crate::respond::{Page, json_response, resource, with_problem_fallbacks};
use crate::state::ApiState;

/// The router of one child collection.
pub fn router<T: ChildResource>(state: ApiState) -> Router {
    let collection = format!("/applications/{{id}}/{}", T::COLLECTION);
    let item = format!("{collection}/{{child_id}}");
    let routes = Router::new()
        .route(&collection, get(list::<T>).post(create::<T>))
        .route(
            &item,
            get(read::<T>)
                .put(update::<T>)
                .patch(update::<T>)
                .delete(delete::<T>),
        );
    with_problem_fallbacks(routes).with_state(state)
}

#[instrument(skip_all, fields(collection = T::COLLECTION))]
async fn create<T: ChildResource>(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
    key: IdempotencyKey,
    body: JsonBody,
) -> ApiResult<Response> {
    let application = ids.first()?;
    let child = T::parse_new(body.value, Id::generate(), application, Timestamp::now())?;
    let collection = format!("/applications/{application}/{}", T::COLLECTION);
    let creation = Creation::new(
        caller.user(),
        &collection,
        key,
        body.digest,
        child.id(),
        &child,
    )?;
    let outcome = store
        .create_child(caller.user(), application, &child, creation.idempotency())
        .await?;
    creation.respond(outcome, &child, ApiError::NotFound)
}

#[instrument(skip_all, fields(collection = T::COLLECTION))]
async fn list<T: ChildResource>(
    State(store): State<Store>,
    State(cursors): State<CursorKey>,
    caller: Caller,
    ids: PathIds,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let application = ids.first()?;
    let mut params = QueryParams::parse(query.as_deref());
    let limit = params.limit()?;
    let cursor = params.take("cursor")?;
    params.finish()?;
    let context = format!("{}|{application}|{}", caller.user().as_str(), T::COLLECTION);
    let start = cursor.map(|c| cursors.decode(&context, &c)).transpose()?;
    let page = store
        .list_children::<T>(caller.user(), application, limit, start)
        .await?;
    let body = Page {
        items: page.items,
        next_cursor: page.resume.map(|key| cursors.encode(&context, &key)),
    };
    Ok(json_response(StatusCode::OK, &body))
}

#[instrument(skip_all, fields(collection = T::COLLECTION))]
async fn read<T: ChildResource>(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
) -> ApiResult<Response> {
    let child: T = store
        .get_child(caller.user(), ids.first()?, ids.second()?)
        .await?;
    Ok(resource(StatusCode::OK, &child))
}

#[instrument(skip_all, fields(collection = T::COLLECTION))]
async fn update<T: ChildResource>(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
    body: JsonBody,
) -> ApiResult<Response> {
    let (application, id) = (ids.first()?, ids.second()?);
    let changes = T::parse_patch(body.value)?;
    let child: T = store
        .update_child::<T>(
            caller.user(),
            application,
            id,
            &changes,
            &precondition,
            Timestamp::now(),
        )
        .await?;
    Ok(resource(StatusCode::OK, &child))
}

#[instrument(skip_all, fields(collection = T::COLLECTION))]
async fn delete<T: ChildResource>(
    State(store): State<Store>,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
) -> ApiResult<Response> {
    store
        .delete_child::<T>(caller.user(), ids.first()?, ids.second()?, &precondition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
