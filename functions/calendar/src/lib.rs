//! The calendar Lambda: `GET /calendar/{token}.ics`, the follow-ups as an RFC 5545 calendar.
//! Public (no bearer token: calendar apps cannot send one); the unguessable token in the path
//! is the capability. An unknown or revoked token is 404. The token is never logged: handlers
//! skip their arguments, and the dev server redacts the path.

use api::error::{ApiError, ApiResult};
use api::extract::PathText;
use api::openapi::DatabaseProblems;
use api::{ApiState, Function};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::Timestamp;
use store::Store;
use tracing::instrument;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function; its route needs no bearer token.
pub const FUNCTION: Function = Function {
    name: "calendar",
    public: true,
    api,
};

/// This function's annotated routes.
pub fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(calendar_feed))
}

/// Length of a token: 32 random bytes, base64url without padding.
const TOKEN_LEN: usize = 43;

/// The token in `<token>.ics`, if it has a token's shape.
fn token_of(file: &str) -> Option<&str> {
    let token = file.strip_suffix(".ics")?;
    (token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(token)
}

/// API Gateway path variables are whole segments, so the route is `/calendar/{token}` and the
/// segment is `<token>.ics`.
#[utoipa::path(
    get,
    path = "/calendar/{token}",
    operation_id = "calendar_feed",
    summary = "The follow-ups as an iCalendar feed (secret address from POST /calendar-feed)",
    tag = "analytics",
    params(("token" = String, Path, description = "`<token>.ics`: the token from `POST /calendar-feed` followed by `.ics`")),
    responses(
        (status = 200, description = "The calendar", body = String, content_type = "text/calendar"),
        (status = 404, description = "Unknown or revoked token", body = api::error::Problem, content_type = "application/problem+json"),
        DatabaseProblems
    )
)]
#[instrument(skip_all)]
async fn calendar_feed(
    State(store): State<Store>,
    PathText(file): PathText,
) -> ApiResult<Response> {
    let token = token_of(&file).ok_or(ApiError::NotFound)?;
    let user = store
        .calendar_owner(token)
        .await?
        .ok_or(ApiError::NotFound)?;
    let loaded = store.load_search(&user).await?;
    let now = Timestamp::now();
    let stamp = now.to_string().replace(['-', ':'], "");
    // 20260320T080000.000Z → 20260320T080000Z
    let stamp = format!("{}Z", &stamp[..15]);
    let body = domain::analytics::calendar(&loaded.data.follow_ups(now.date()), &stamp);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_token_shaped_files_are_looked_up() {
        let token = "A".repeat(43);
        assert_eq!(token_of(&format!("{token}.ics")), Some(token.as_str()));
        assert_eq!(token_of(&token), None);
        assert_eq!(token_of(&format!("{}.ics", "A".repeat(42))), None);
        assert_eq!(token_of(&format!("{}!.ics", "A".repeat(42))), None);
    }
}
