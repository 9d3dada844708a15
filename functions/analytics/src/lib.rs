//! The analytics Lambda: `/analytics/summary`, `/analytics/rejections`, `/analytics/skills`,
//! `/follow-ups` and `/calendar-feed`. Every figure is computed by `domain::analytics` from the
//! caller's whole search, read with one paged `Query` per `GSI1` partition
//! (`Store::load_search`); see `docs/analytics.md`.

use api::error::{ApiError, ApiResult};
use api::extract::{Query, non_empty};
use api::identity::Caller;
use api::openapi::{ListProblems, ReadProblems};
use api::respond::json_response;
use api::{ApiState, Function};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::Timestamp;
use domain::analytics::{Agenda, RejectionSummary, SearchData, SkillSummary, Summary, Window};
use domain::values::Date;
use serde::{Deserialize, Serialize};
use store::Store;
use tracing::instrument;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This function, as the dev server, the document and the Lambda see it.
pub const FUNCTION: Function = Function {
    name: "analytics",
    public: false,
    api,
};

/// This function's annotated routes.
pub fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(rejections))
        .routes(routes!(skills))
        .routes(routes!(follow_ups))
        .routes(routes!(
            calendar_feed,
            create_calendar_feed,
            revoke_calendar_feed
        ))
}

/// The date window of an analytics route.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// First day (`YYYY-MM-DD`); default: 89 days before `to`.
    #[serde(default, deserialize_with = "non_empty")]
    #[param(value_type = Option<String>, format = Date)]
    from: Option<Date>,
    /// Last day (`YYYY-MM-DD`); default: today (UTC). At most 1,097 days after `from` (1,098 days in all).
    #[serde(default, deserialize_with = "non_empty")]
    #[param(value_type = Option<String>, format = Date)]
    to: Option<Date>,
}

impl WindowQuery {
    fn window(&self) -> ApiResult<Window> {
        Window::new(
            self.from.map(|d| d.0),
            self.to.map(|d| d.0),
            Timestamp::now().date(),
        )
        .map_err(|message| ApiError::BadRequest(format!("bad date window: {message}")))
    }
}

/// A route of figures over a date window: `$figure` of the caller's whole search.
macro_rules! windowed_route {
    ($handler:ident, $path:literal, $operation:literal, $summary:literal, $what:literal,
     $body:ty, $figure:path) => {
        #[utoipa::path(
                    get,
                    path = $path,
                    operation_id = $operation,
                    summary = $summary,
                    tag = "analytics",
                    security(("bearer" = [])),
                    params(WindowQuery),
                    responses((status = 200, description = $what, body = $body), ListProblems)
                )]
        #[instrument(skip_all)]
        async fn $handler(
            State(store): State<Store>,
            caller: Caller,
            Query(query): Query<WindowQuery>,
        ) -> ApiResult<Response> {
            let window = query.window()?;
            let loaded = load(&store, &caller).await?;
            Ok(json_response(
                StatusCode::OK,
                &$figure(&loaded.data, window),
            ))
        }
    };
}

windowed_route!(
    summary,
    "/analytics/summary",
    "analytics_summary",
    "Counts, funnel, rates, time to first response, weekly applications, breakdowns",
    "The summary",
    Summary,
    SearchData::summary
);

windowed_route!(
    rejections,
    "/analytics/rejections",
    "analytics_rejections",
    "Rejections by category and stage, top reasons, share without feedback, days to rejection",
    "The rejection figures",
    RejectionSummary,
    SearchData::rejection_summary
);

windowed_route!(
    skills,
    "/analytics/skills",
    "analytics_skills",
    "Skills named in feedback and rejections: counts per month, trend, recurring improvements",
    "The skill figures",
    SkillSummary,
    SearchData::skills
);

#[utoipa::path(
    get,
    path = "/follow-ups",
    operation_id = "follow_ups",
    summary = "The agenda: follow-ups due today or earlier, set or suggested",
    tag = "analytics",
    security(("bearer" = [])),
    responses((status = 200, description = "The agenda", body = Agenda), ListProblems)
)]
#[instrument(skip_all)]
async fn follow_ups(State(store): State<Store>, caller: Caller) -> ApiResult<Response> {
    let loaded = load(&store, &caller).await?;
    Ok(json_response(
        StatusCode::OK,
        &loaded.data.agenda(Timestamp::now().date()),
    ))
}

/// Reads the caller's search, logging what it cost.
async fn load(store: &Store, caller: &Caller) -> ApiResult<store::LoadedSearch> {
    let loaded = store.load_search(caller.user()).await?;
    tracing::info!(
        applications = loaded.data.applications.len(),
        children = loaded.data.feedback.len() + loaded.data.rejections.len(),
        capacity_units = loaded.capacity_units,
        bytes = loaded.bytes,
        pages = loaded.pages,
        "search read"
    );
    Ok(loaded)
}

/// `POST /calendar-feed`: the secret address of the caller's calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    /// The feed's address, for a calendar app's "subscribe by URL". Anyone holding it can read
    /// the follow-ups: keep it secret; `POST` again or `DELETE` to revoke it.
    #[schema(
        example = "https://api.example.com/calendar/3q2-7wEjbqiM0V1G7Y6xJ3J9K2aE5n0tC4m3kq9dZ8c.ics"
    )]
    pub url: String,
    /// The same address without scheme and host.
    #[schema(example = "/calendar/3q2-7wEjbqiM0V1G7Y6xJ3J9K2aE5n0tC4m3kq9dZ8c.ics")]
    pub path: String,
}

/// `GET /calendar-feed`: whether the caller has a calendar address, and since when.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedStatus {
    /// When the current address was made. The address itself cannot be shown again: only its
    /// hash is kept. `POST` makes a new one (revoking this), `DELETE` revokes it.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[utoipa::path(
    get,
    path = "/calendar-feed",
    operation_id = "calendar_feed_status",
    summary = "Whether a calendar feed address exists, and since when",
    tag = "analytics",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An address exists", body = CalendarFeedStatus),
        ReadProblems
    )
)]
#[instrument(skip_all)]
async fn calendar_feed(State(store): State<Store>, caller: Caller) -> ApiResult<Response> {
    let created_at = store
        .calendar_feed_since(caller.user())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json_response(
        StatusCode::OK,
        &CalendarFeedStatus { created_at },
    ))
}

#[utoipa::path(
    post,
    path = "/calendar-feed",
    operation_id = "create_calendar_feed",
    summary = "Create the calendar feed's secret address (revokes the previous one)",
    tag = "analytics",
    security(("bearer" = [])),
    responses((status = 201, description = "The new address", body = CalendarFeed), ListProblems)
)]
#[instrument(skip_all)]
async fn create_calendar_feed(
    State(store): State<Store>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::Internal)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    store
        .replace_calendar_token(caller.user(), &token, Timestamp::now())
        .await?;
    let path = format!("/calendar/{token}.ics");
    let feed = CalendarFeed {
        url: format!("{}{path}", origin(&headers)),
        path,
    };
    let mut response = json_response(StatusCode::CREATED, &feed);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(
    delete,
    path = "/calendar-feed",
    operation_id = "revoke_calendar_feed",
    summary = "Revoke the calendar feed's address",
    tag = "analytics",
    security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), ReadProblems)
)]
#[instrument(skip_all)]
async fn revoke_calendar_feed(State(store): State<Store>, caller: Caller) -> ApiResult<Response> {
    store.revoke_calendar_token(caller.user()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `scheme://host` the request came to: `X-Forwarded-Proto` (API Gateway sets it), else http
/// for a loopback host (the dev server) and https otherwise.
fn origin(headers: &HeaderMap) -> String {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = text("host").unwrap_or("localhost");
    let local = host.starts_with("127.0.0.1") || host.starts_with("localhost");
    let scheme = match text("x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if local => "http",
        None => "https",
    };
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_follows_the_gateway() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("api.example.com"));
        assert_eq!(origin(&headers), "https://api.example.com");
        headers.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(origin(&headers), "http://127.0.0.1:3000");
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(origin(&headers), "https://127.0.0.1:3000");
    }
}
