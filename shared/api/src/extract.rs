//! What handlers take from a request: the JSON body (415/413/400), the path's ids (404),
//! `If-Match`, `Idempotency-Key` and query parameters (400).

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use domain::Id;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::Precondition;

use crate::error::ApiError;

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
            return Err(ApiError::PayloadTooLarge(BODY_LIMIT_BYTES));
        }
        let bytes = Limited::new(request.into_body(), BODY_LIMIT_BYTES)
            .collect()
            .await
            .map_err(|error| {
                if error.is::<LengthLimitError>() {
                    ApiError::PayloadTooLarge(BODY_LIMIT_BYTES)
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
            digest: hex::encode(Sha256::digest(&bytes)),
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

/// The most versions one `If-Match` may list (a DynamoDB `IN` takes up to 100).
const MAX_IF_MATCH_TAGS: usize = 50;

/// `If-Match`, read into the store's [`Precondition`]: `*`, or a list of strong or weak
/// ETags; a tag that is not one of ours matches nothing.
pub struct IfMatch(pub Precondition);

impl IfMatch {
    pub fn from_headers(headers: &HeaderMap) -> Precondition {
        let Some(value) = headers.get(header::IF_MATCH) else {
            return Precondition::None;
        };
        let value = value.to_str().unwrap_or_default().trim();
        if value == "*" {
            return Precondition::Exists;
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
        Precondition::Versions(versions)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self(Self::from_headers(&parts.headers)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(if_match: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(if_match).unwrap());
        headers
    }

    #[test]
    fn if_match_reads_strong_weak_lists_and_star() {
        assert_eq!(IfMatch::from_headers(&HeaderMap::new()), Precondition::None);
        assert_eq!(IfMatch::from_headers(&headers("*")), Precondition::Exists);
        assert_eq!(
            IfMatch::from_headers(&headers(r#""3", W/"4""#)),
            Precondition::Versions(vec![3, 4])
        );
        assert_eq!(
            IfMatch::from_headers(&headers("garbage")),
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
