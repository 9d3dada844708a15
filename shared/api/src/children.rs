//! The routes of a child collection (`/applications/{id}/feedback`, `…/rejections`): handlers
//! generic over the child type, and [`child_function!`](crate::child_function), which gives a
//! function crate its annotated routes for one child type.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::{ChildResource, Id, Timestamp};
use store::Store;

use crate::create::Creation;
use crate::cursor::CursorKey;
use crate::error::{ApiError, ApiResult};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody, PageQuery, PathIds};
use crate::identity::Caller;
use crate::respond::{Page, json_response, resource};

pub async fn create<T: ChildResource>(
    store: Store,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
    key: IdempotencyKey,
    body: JsonBody,
) -> ApiResult<Response> {
    let application = ids.first()?;
    let child = T::parse_new(body.value, Id::generate(), application, Timestamp::now())?;
    let collection = format!("/applications/{application}/{}", T::COLLECTION);
    let creation = Creation::new(caller.user(), &collection, key, body.digest, &child)?;
    let outcome = store
        .create_child(
            caller.user(),
            application,
            &child,
            &precondition,
            creation.idempotency(),
        )
        .await?;
    creation.respond(outcome, &child, ApiError::NotFound)
}

pub async fn list<T: ChildResource>(
    store: Store,
    cursors: CursorKey,
    caller: Caller,
    ids: PathIds,
    page: PageQuery,
) -> ApiResult<Response> {
    let application = ids.first()?;
    let context = format!("{}|{application}|{}", caller.user().as_str(), T::COLLECTION);
    let start = page
        .cursor
        .map(|cursor| cursors.decode(&context, &cursor))
        .transpose()?;
    let page_read = store
        .list_children::<T>(caller.user(), application, page.limit, start)
        .await?;
    let body = Page {
        items: page_read.items,
        next_cursor: page_read.resume.map(|key| cursors.encode(&context, &key)),
    };
    Ok(json_response(StatusCode::OK, &body))
}

pub async fn read<T: ChildResource>(
    store: Store,
    caller: Caller,
    ids: PathIds,
) -> ApiResult<Response> {
    let child: T = store
        .get_child(caller.user(), ids.first()?, ids.second()?)
        .await?;
    Ok(resource(StatusCode::OK, &child))
}

pub async fn update<T: ChildResource>(
    store: Store,
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

pub async fn delete<T: ChildResource>(
    store: Store,
    caller: Caller,
    ids: PathIds,
    IfMatch(precondition): IfMatch,
) -> ApiResult<Response> {
    store
        .delete_child::<T>(caller.user(), ids.first()?, ids.second()?, &precondition)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Declares, in a function's crate, the routes of one child collection: the five handlers
/// (annotated for the OpenAPI document, each a call of the generic one above), `api()` and
/// `FUNCTION`. `utoipa`'s path attribute takes literal routes, and one generic handler cannot
/// carry two of them, hence a macro rather than generics alone.
#[macro_export]
macro_rules! child_function {
    (
        name: $name:literal,
        child: $child:ty,
        create: $create:ty,
        update: $update:ty,
        item: ($id:literal, $what:literal) $(,)?
    ) => {
        use axum::extract::State;
        use axum::response::Response;
        use $crate::ApiResult;
        use $crate::cursor::CursorKey;
        use $crate::extract::{IdempotencyKey, IfMatch, JsonBody, PageQuery, PathIds, Query};
        use $crate::identity::Caller;
        use $crate::openapi::{
            ChildCreateProblems, ChildListProblems, DeleteProblems, ReadProblems, UpdateProblems,
        };
        use $crate::respond::Page;
        use $crate::__utoipa_axum::{router::OpenApiRouter, routes};
        use store::Store;

        /// This function, as the dev server, the document and the Lambda see it.
        pub const FUNCTION: $crate::Function = $crate::Function {
            name: $name,
            public: false,
            api,
        };

        /// This function's annotated routes.
        pub fn api() -> OpenApiRouter<$crate::ApiState> {
            OpenApiRouter::new()
                .routes(routes!(list, create))
                .routes(routes!(read, update, delete))
        }

        /// The application's id in the path.
        struct Parent;

        impl utoipa::IntoParams for Parent {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                $crate::extract::id_params(&[("id", "application")])
            }
        }

        /// The application's and the child's ids in the path.
        struct Item;

        impl utoipa::IntoParams for Item {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                $crate::extract::id_params(&[("id", "application"), ($id, $what)])
            }
        }

        #[utoipa::path(
            get,
            path = concat!("/applications/{id}/", $name),
            operation_id = concat!("list_", $name),
            summary = concat!("List an application's ", $name, ", newest first"),
            tag = $name,
            security(("bearer" = [])),
            params(Parent, PageQuery),
            responses((status = 200, description = "A page", body = Page<$child>), ChildListProblems)
        )]
        #[tracing::instrument(skip_all, fields(collection = $name))]
        async fn list(
            State(store): State<Store>,
            State(cursors): State<CursorKey>,
            caller: Caller,
            ids: PathIds,
            Query(page): Query<PageQuery>,
        ) -> ApiResult<Response> {
            $crate::children::list::<$child>(store, cursors, caller, ids, page).await
        }

        #[utoipa::path(
            post,
            path = concat!("/applications/{id}/", $name),
            operation_id = concat!("create_", $name),
            summary = concat!("Record ", $name),
            tag = $name,
            security(("bearer" = [])),
            params(
                Parent,
                IdempotencyKey,
                ("If-Match" = Option<String>, Header,
                    description = "Create only while the application's version matches this ETag (e.g. `\"3\"`), else 412; nothing is written")
            ),
            request_body = $create,
            responses(
                (status = 201, description = "Created", body = $child, headers(
                    ("ETag" = String, description = "The resource's version"),
                    ("Location" = String, description = "The new resource's path"),
                )),
                ChildCreateProblems
            )
        )]
        #[tracing::instrument(skip_all, fields(collection = $name))]
        async fn create(
            State(store): State<Store>,
            caller: Caller,
            ids: PathIds,
            if_match: IfMatch,
            key: IdempotencyKey,
            body: JsonBody,
        ) -> ApiResult<Response> {
            $crate::children::create::<$child>(store, caller, ids, if_match, key, body).await
        }

        #[utoipa::path(
            get,
            path = concat!("/applications/{id}/", $name, "/{", $id, "}"),
            operation_id = concat!("get_", $name),
            summary = concat!("Get one ", $what),
            tag = $name,
            security(("bearer" = [])),
            params(Item),
            responses(
                (status = 200, description = concat!("The ", $what), body = $child, headers(
                    ("ETag" = String, description = "The resource's version, for If-Match"),
                )),
                ReadProblems
            )
        )]
        #[tracing::instrument(skip_all, fields(collection = $name))]
        async fn read(
            State(store): State<Store>,
            caller: Caller,
            ids: PathIds,
        ) -> ApiResult<Response> {
            $crate::children::read::<$child>(store, caller, ids).await
        }

        #[utoipa::path(
            method(put, patch),
            path = concat!("/applications/{id}/", $name, "/{", $id, "}"),
            operation_id = concat!("update_", $name),
            summary = concat!("Update a ", $what, " (partial)"),
            tag = $name,
            security(("bearer" = [])),
            params(Item, IfMatch),
            request_body(content(
                ($update = "application/json"),
                ($update = "application/merge-patch+json"),
            )),
            responses(
                (status = 200, description = concat!("The updated ", $what), body = $child, headers(
                    ("ETag" = String, description = "The resource's version, for If-Match"),
                )),
                UpdateProblems
            )
        )]
        #[tracing::instrument(skip_all, fields(collection = $name))]
        async fn update(
            State(store): State<Store>,
            caller: Caller,
            ids: PathIds,
            if_match: IfMatch,
            body: JsonBody,
        ) -> ApiResult<Response> {
            $crate::children::update::<$child>(store, caller, ids, if_match, body).await
        }

        #[utoipa::path(
            delete,
            path = concat!("/applications/{id}/", $name, "/{", $id, "}"),
            operation_id = concat!("delete_", $name),
            summary = concat!("Delete a ", $what),
            tag = $name,
            security(("bearer" = [])),
            params(Item, IfMatch),
            responses((status = 204, description = "Deleted"), DeleteProblems)
        )]
        #[tracing::instrument(skip_all, fields(collection = $name))]
        async fn delete(
            State(store): State<Store>,
            caller: Caller,
            ids: PathIds,
            if_match: IfMatch,
        ) -> ApiResult<Response> {
            $crate::children::delete::<$child>(store, caller, ids, if_match).await
        }
    };
}
