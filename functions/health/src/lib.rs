//! The health Lambda: `/health`, `/db-check` (public routes).

use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use shared::Store;
use shared::error::ApiResult;
use shared::http::{ApiState, json_response, with_problem_fallbacks};
use tracing::instrument;
use utoipa::ToSchema;

/// The paths this function serves; none needs a token.
pub const ROUTES: &[&str] = &["/health", "/db-check", "/openapi.json", "/docs", "/docs/{proxy+}"];

pub fn router(state: ApiState) -> Router {
    let routes = Router::new()
        .route("/health", get(health))
        .route("/db-check", get(db_check));
    with_problem_fallbacks(routes).with_state(state)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct DbCheck {
    #[schema(example = "connected")]
    pub db: &'static str,
    pub latency_ms: u64,
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
