//! The health Lambda: `/health`, `/db-check`, `/openapi.json` and `/docs` — the public routes.

use std::time::Instant;

use api::ApiState;
use api::error::ApiResult;
use api::openapi::{DbCheck, Health};
use api::respond::{json_response, with_problem_fallbacks};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, LazyLock};
use store::Store;
use tracing::instrument;

use api::error::ApiError;
use utoipa_swagger_ui::Config;

/// The paths this function serves; none needs a token.
pub const ROUTES: &[&str] = &[
    "/health",
    "/db-check",
    "/openapi.json",
    "/docs",
    "/docs/{proxy+}",
];

pub fn router(state: ApiState) -> Router {
    let routes = Router::new()
        .route("/health", get(health))
        .route("/db-check", get(db_check))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs_page))
        .route("/docs/{*asset}", get(docs_asset));
    with_problem_fallbacks(routes).with_state(state)
}

/// Liveness: answers without touching the database.
#[instrument(skip_all)]
async fn health() -> Response {
    json_response(
        StatusCode::OK,
        &Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        },
    )
}

/// Readiness: the table itself must answer (`DescribeTable`); the SDK's timeouts bound the wait.
#[instrument(skip_all)]
async fn db_check(State(store): State<Store>) -> ApiResult<Response> {
    let started = Instant::now();
    store.ping().await?;
    Ok(json_response(
        StatusCode::OK,
        &DbCheck {
            db: "connected",
            latency_ms: started.elapsed().as_millis() as u64,
        },
    ))
}

/// The OpenAPI document, generated from the code (`api::openapi`).
#[instrument(skip_all)]
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON.as_str(),
    )
        .into_response()
}

/// The document never changes while the process lives: built on first request, not per request
/// (and not at start-up, which cold starts pay for).
static OPENAPI_JSON: LazyLock<String> = LazyLock::new(api::openapi::document_json);

/// Swagger UI's configuration: our document, "Try it out" on, the token kept across reloads.
static SWAGGER_CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::from("/openapi.json")
            .try_it_out_enabled(true)
            .persist_authorization(true),
    )
});

/// One Swagger UI file. Its assets are compiled in (`vendored`), so the page works offline.
fn swagger_file(name: &str) -> Result<(String, Vec<u8>), ApiError> {
    match utoipa_swagger_ui::serve(name, SWAGGER_CONFIG.clone()) {
        Ok(Some(file)) => Ok((file.content_type, file.bytes.into_owned())),
        Ok(None) => Err(ApiError::NotFound),
        Err(error) => {
            tracing::error!(%error, "swagger ui asset");
            Err(ApiError::Internal)
        }
    }
}

/// `GET /docs`: the Swagger UI page itself, served at `/docs` (no redirect); a `<base>` makes
/// its relative asset links resolve under `/docs/`.
#[instrument(skip_all)]
async fn docs_page() -> ApiResult<Response> {
    let (content_type, bytes) = swagger_file("index.html")?;
    let page =
        String::from_utf8_lossy(&bytes).replacen("<head>", "<head>\n    <base href=\"/docs/\">", 1);
    Ok(([(header::CONTENT_TYPE, content_type)], page).into_response())
}

/// `GET /docs/{asset}`: Swagger UI's scripts, styles and its initializer (pointing at our document).
#[instrument(skip_all)]
async fn docs_asset(uri: Uri) -> ApiResult<Response> {
    let asset = uri.path().strip_prefix("/docs/").unwrap_or_default();
    let (content_type, bytes) = swagger_file(asset)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}
