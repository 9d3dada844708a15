//! HTTP plumbing every function shares: the JSON body extractor (415/413/400), path ids (404),
//! `If-Match`, `Idempotency-Key`, query parameters, and response helpers.

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::domain::{Id, Versioned};
use crate::error::ApiError;
use crate::keys::hex;

/// The largest request body accepted (413 above it).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

const JSON: &str = "application/json";
const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// A request body that is a JSON document of at most [`BODY_LIMIT_BYTES`], sent as
/// `application/json` (or `application/merge-patch+json` on PATCH).
#[derive(Debug, Clone)]
pub struct JsonBody {
    pub value: Value,
    /// SHA-256 of the raw bytes: what an idempotent retry must repeat.
    pub digest: String,
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    Some(essence.to_ascii_lowercase())
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let patch = request.method() == Method::PATCH;
        let accepted = match media_type(request.headers()).as_deref() {
            Some(JSON) => true,
            Some(MERGE_PATCH_JSON) => patch,
            _ => false,
        };
        if !accepted {
            return Err(ApiError::UnsupportedMediaType(if patch {
                "application/json or application/merge-patch+json"
            } else {
                JSON
            }));
        }
        let declared_length = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared_length.is_some_and(|n| n > BODY_LIMIT_BYTES as u64) {
            return Err(ApiError::PayloadTooLarge);
        }
        let bytes = Limited::new(request.into_body(), BODY_LIMIT_BYTES)
            .collect()
            .await
            .map_err(|error| {
                if error.is::<LengthLimitError>() {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest("the request body could not be read".to_owned())
                }
            })?
            .to_bytes();
        let value = serde_json::from_slice(&bytes).map_err(|error| {
            ApiError::BadRequest(format!(
                "malformed JSON at line {} column {}",
                error.line(),
                error.column()
            ))
        })?;
        Ok(Self {
            value,
            digest: hex(&Sha256::digest(&bytes)),
        })
    }
}

/// The ids in a route's path, in order. Anything that is not an id of this API is a 404.
#[derive(Debug, Clone)]
pub struct PathIds(pub Vec<Id>);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        params
            .iter()
            .map(|(_, value)| value.parse::<Id>().map_err(|()| ApiError::NotFound))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl PathIds {
    /// The first id of the path (the application's).
    pub fn first(&self) -> Result<Id, ApiError> {
        self.0.first().copied().ok_or(ApiError::NotFound)
    }

    /// The second id of the path (a child's).
    pub fn second(&self) -> Result<Id, ApiError> {
        self.0.get(1).copied().ok_or(ApiError::NotFound)
    }
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// No `If-Match`: unconditional.
    #[default]
    None,
    /// `If-Match: *`: the resource must exist.
    Exists,
    /// The current version must be one of these (empty: nothing can match, so 412).
    Versions(Vec<u64>),
}

/// The most versions one `If-Match` may list (a DynamoDB `IN` takes up to 100).
const MAX_IF_MATCH_TAGS: usize = 50;

impl Precondition {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::IF_MATCH) else {
            return Self::None;
        };
        let value = value.to_str().unwrap_or_default().trim();
        if value == "*" {
            return Self::Exists;
        }
        let versions = value
            .split(',')
            .take(MAX_IF_MATCH_TAGS)
            .filter_map(|tag| {
                let tag = tag.trim();
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
            })
            .collect();
        Self::Versions(versions)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Precondition {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// The `Idempotency-Key` of a create, when sent: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let key = value.to_str().unwrap_or_default().trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters".to_owned(),
            ));
        }
        Ok(Self(Some(key.to_owned())))
    }
}

/// The raw query string, read parameter by parameter: repeated or unknown parameters are 400.
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The value of `name`, if sent once; empty values count as absent.
    pub fn take(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let mut values = Vec::new();
        self.0.retain(|(key, value)| {
            let hit = key == name;
            if hit {
                values.push(value.clone());
            }
            !hit
        });
        match values.len() {
            0 => Ok(None),
            1 => Ok(values.pop().filter(|v| !v.trim().is_empty())),
            _ => Err(ApiError::BadRequest(format!(
                "query parameter `{name}` is repeated"
            ))),
        }
    }

    /// `limit`: 1–100, default 25.
    pub fn limit(&mut self) -> Result<usize, ApiError> {
        match self.take("limit")? {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "query parameter `limit` must be a whole number from 1 to {MAX_PAGE_SIZE}"
                    ))
                }),
        }
    }

    /// Ends the read: any parameter not taken is unknown.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.0.first() {
            None => Ok(()),
            Some((name, _)) => Err(ApiError::BadRequest(format!(
                "unknown query parameter `{name}`"
            ))),
        }
    }
}

pub const DEFAULT_PAGE_SIZE: usize = 25;
pub const MAX_PAGE_SIZE: usize = 100;

/// A page of a list: `{"items": [...], "next_cursor": "…" | null}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, JSON)], bytes).into_response(),
        Err(error) => {
            tracing::error!(%error, "response serialisation failed");
            ApiError::Internal.into_response()
        }
    }
}

pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// A single resource: its JSON and its `ETag`.
pub fn resource<T: Serialize + Versioned>(status: StatusCode, resource: &T) -> Response {
    let mut response = json_response(status, resource);
    if response.status() == status {
        response
            .headers_mut()
            .insert(header::ETAG, etag(resource.version()));
    }
    response
}

/// `201 Created` with `Location`.
pub fn created<T: Serialize + Versioned>(location: &str, body: &T) -> Response {
    let mut response = resource(StatusCode::CREATED, body);
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Gives a router the API's answers for what it does not route: 404 for unknown paths and a
/// problem+json 405 for a known path with the wrong method (axum adds the `Allow` header).
pub fn with_problem_fallbacks<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(if_match: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(if_match).unwrap());
        headers
    }

    #[test]
    fn if_match_reads_strong_weak_lists_and_star() {
        assert_eq!(
            Precondition::from_headers(&HeaderMap::new()),
            Precondition::None
        );
        assert_eq!(
            Precondition::from_headers(&headers("*")),
            Precondition::Exists
        );
        assert_eq!(
            Precondition::from_headers(&headers(r#""3", W/"4""#)),
            Precondition::Versions(vec![3, 4])
        );
        assert_eq!(
            Precondition::from_headers(&headers("garbage")),
            Precondition::Versions(vec![])
        );
    }

    #[test]
    fn query_params_reject_repeats_unknowns_and_bad_limits() {
        let mut q = QueryParams::parse(Some("limit=7&status=a&x=1"));
        assert_eq!(q.limit().unwrap(), 7);
        assert_eq!(q.take("status").unwrap().as_deref(), Some("a"));
        assert!(q.finish().is_err());
        assert!(QueryParams::parse(Some("limit=0")).limit().is_err());
        assert!(QueryParams::parse(Some("limit=101")).limit().is_err());
        assert!(QueryParams::parse(Some("limit=x")).limit().is_err());
        assert!(QueryParams::parse(Some("a=1&a=2")).take("a").is_err());
        assert_eq!(QueryParams::parse(None).limit().unwrap(), DEFAULT_PAGE_SIZE);
    }
}

/// What every function's router is given: the store and the cursor key. Handlers take only
/// the part they use (`State<Store>`, `State<CursorKey>`).
#[derive(Clone, Debug)]
pub struct ApiState {
    pub store: crate::Store,
    pub cursors: crate::cursor::CursorKey,
}

impl ApiState {
    /// The client is built once per process; this makes no network call.
    pub async fn from_config(config: &crate::Config) -> Self {
        Self {
            store: crate::Store::new(config.dynamodb_client().await, config.table_name.clone()),
            cursors: config.cursor_key.clone(),
        }
    }
}

impl axum::extract::FromRef<ApiState> for crate::Store {
    fn from_ref(state: &ApiState) -> Self {
        state.store.clone()
    }
}

impl axum::extract::FromRef<ApiState> for crate::cursor::CursorKey {
    fn from_ref(state: &ApiState) -> Self {
        state.cursors.clone()
    }
}

/// A create on its way to the store: where the new resource will live, the response to keep
/// for retries, and the idempotency record's key when the client sent an `Idempotency-Key`.
pub struct Creation {
    location: String,
    stored: crate::store::StoredResponse,
    idempotency: Option<crate::store::IdempotentRequest>,
}

impl Creation {
    /// `collection` is the path the `POST` went to; keys are scoped to it and to the caller.
    pub fn new<T: Serialize>(
        caller: &crate::identity::Caller,
        collection: &str,
        key: IdempotencyKey,
        body_digest: String,
        id: Id,
        resource: &T,
    ) -> Result<Self, ApiError> {
        let location = format!("{collection}/{id}");
        let stored = crate::store::StoredResponse {
            location: location.clone(),
            body: serde_json::to_string(resource).map_err(|_| ApiError::Internal)?,
        };
        let idempotency = key.0.map(|key| crate::store::IdempotentRequest {
            pk: crate::keys::idempotency_pk(caller.user(), &format!("POST {collection}"), &key),
            digest: body_digest,
        });
        Ok(Self {
            location,
            stored,
            idempotency,
        })
    }

    /// What the store writes beside the resource, if a key was sent.
    pub fn idempotency(
        &self,
    ) -> Option<(
        &crate::store::IdempotentRequest,
        &crate::store::StoredResponse,
    )> {
        self.idempotency
            .as_ref()
            .map(|request| (request, &self.stored))
    }

    /// `201` with the new resource, or the first response replayed for a repeated key.
    /// `on_condition_failed` is the error when a write's condition failed (the parent is gone).
    pub fn respond<T: Serialize + Versioned>(
        self,
        outcome: crate::store::WriteOutcome,
        resource: &T,
        on_condition_failed: ApiError,
    ) -> Result<Response, ApiError> {
        use crate::store::WriteOutcome;
        match outcome {
            WriteOutcome::Written => Ok(created(&self.location, resource)),
            WriteOutcome::Replayed(stored) => {
                let body: Value =
                    serde_json::from_str(&stored.body).map_err(|_| ApiError::Internal)?;
                let version = body
                    .get("version")
                    .and_then(Value::as_u64)
                    .unwrap_or_default();
                let mut response = json_response(StatusCode::CREATED, &body);
                response.headers_mut().insert(header::ETAG, etag(version));
                if let Ok(location) = HeaderValue::from_str(&stored.location) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                Ok(response)
            }
            WriteOutcome::ConditionFailed(_) => Err(on_condition_failed),
        }
    }
}

/// Runs a function's router as the Lambda handler: JSON logs, configuration and the client
/// built once, no network call before the first event.
pub async fn run_lambda(router: fn(ApiState) -> Router) -> Result<(), lambda_http::Error> {
    crate::telemetry::init(true);
    let config = crate::Config::from_env()?;
    let state = ApiState::from_config(&config).await;
    lambda_http::run(router(state)).await
}
