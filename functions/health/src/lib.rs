//! The health Lambda: `/health`, `/db-check`, `/openapi.json` and `/docs` — the public routes.
//! It serves the document of the whole API, so it holds the list of every function.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use api::error::{ApiError, ApiResult};
use api::extract::PathText;
use api::openapi::DatabaseProblems;
use api::respond::json_response;
use api::{ApiState, Function};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::Store;
use tracing::instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::Config;

/// Every deployed function, as `template.yaml` deploys them (tests check both): the dev
/// server routes to them, and the document is theirs.
pub const FUNCTIONS: &[Function] = &[
    FUNCTION,
    applications::FUNCTION,
    feedback::FUNCTION,
    rejections::FUNCTION,
    transfer::FUNCTION,
    analytics::FUNCTION,
    calendar::FUNCTION,
];

/// This function; its routes need no token.
pub const FUNCTION: Function = Function {
    name: "health",
    public: true,
    api,
};

/// This function's annotated routes.
pub fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(db_check))
        .routes(routes!(openapi))
        .routes(routes!(docs_page))
        .routes(routes!(docs_asset))
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

/// Liveness: answers without touching the database.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    summary = "Liveness (never touches the database)",
    tag = "system",
    responses((status = 200, description = "Up", body = Health))
)]
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

/// How long `/db-check` waits for the table (the contract's bound). The functions' client gives
/// up sooner on its own; this holds for any client, the dev server's patient one too.
pub const DB_CHECK_TIME: Duration = Duration::from_secs(2);

/// Readiness: the table itself must answer (`DescribeTable`) within [`DB_CHECK_TIME`].
#[utoipa::path(
    get,
    path = "/db-check",
    operation_id = "db_check",
    summary = "Readiness: the table answers within 2 s",
    tag = "system",
    responses((status = 200, description = "The table answered", body = DbCheck), DatabaseProblems)
)]
#[instrument(skip_all)]
async fn db_check(State(store): State<Store>) -> ApiResult<Response> {
    let started = Instant::now();
    tokio::time::timeout(DB_CHECK_TIME, store.ping())
        .await
        .map_err(|_| {
            tracing::warn!("the table did not answer within {DB_CHECK_TIME:?}");
            ApiError::Unavailable
        })??;
    Ok(json_response(
        StatusCode::OK,
        &DbCheck {
            db: "connected",
            latency_ms: started.elapsed().as_millis() as u64,
        },
    ))
}

/// The OpenAPI document, generated from the code (`api::openapi`).
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    summary = "This document",
    tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
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
static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| api::openapi::document_json(FUNCTIONS));

/// Swagger UI's configuration: our document, "Try it out" on. The token is not kept across
/// reloads: Swagger UI would keep it in `localStorage`, on the web app's own origin in AWS,
/// where no sign-out clears it.
static SWAGGER_CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::from("/openapi.json")
            .try_it_out_enabled(true)
            // Not validator.swagger.io: the page fetches nothing from another host.
            .validator_url("none"),
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

/// What a Swagger UI page may load and who may frame it: only this origin (its scripts, its
/// styles and their inline `style` attributes, `data:` icons, the document and "Try it out"),
/// and nobody. The web app shares this origin behind CloudFront, so a framed `/docs` would be
/// a framed page of the app's origin. Every HTML file of `/docs` is sent with it
/// (`/docs/index.html` is the same page).
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

/// `GET /docs`: the Swagger UI page itself, served at `/docs` (no redirect); a `<base>` makes
/// its relative asset links resolve under `/docs/`. Sent with [`DOCS_CSP`].
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "docs",
    summary = "Swagger UI for this document",
    tag = "system",
    responses((status = 200, description = "The Swagger UI page", body = String, content_type = "text/html"))
)]
#[instrument(skip_all)]
async fn docs_page() -> ApiResult<Response> {
    let (content_type, bytes) = swagger_file("index.html")?;
    let page =
        String::from_utf8_lossy(&bytes).replacen("<head>", "<head>\n    <base href=\"/docs/\">", 1);
    Ok(docs_file(content_type, page.into_bytes()))
}

/// A `/docs` file as its type; an HTML page with [`DOCS_CSP`] and no framing.
fn docs_file(content_type: String, bytes: Vec<u8>) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type.clone())], bytes).into_response();
    if content_type.starts_with("text/html") {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// `GET /docs/{asset}`: Swagger UI's scripts, styles and its initializer (pointing at our
/// document). Its files sit side by side, so one path segment names each.
#[utoipa::path(
    get,
    path = "/docs/{asset}",
    operation_id = "docs_asset",
    summary = "A Swagger UI file",
    tag = "system",
    params(("asset" = String, Path, description = "A file name such as `swagger-ui.css`")),
    responses(
        (status = 200, description = "The file, as its type (`text/css`, `text/javascript`, `image/png`, …)", body = String, content_type = "*/*"),
        (status = 404, description = "No such file", body = api::error::Problem, content_type = "application/problem+json")
    )
)]
#[instrument(skip_all)]
async fn docs_asset(PathText(asset): PathText) -> ApiResult<Response> {
    let (content_type, bytes) = swagger_file(&asset)?;
    Ok(docs_file(content_type, bytes))
}
