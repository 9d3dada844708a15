//! What handlers take from a request: the JSON body (415/413/400), the path's ids (404),
//! `If-Match`, `Idempotency-Key` and query parameters (400).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use domain::Id;
use http_body_util::LengthLimitError;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::Precondition;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::error::ApiError;

/// The largest request body accepted (413 above it).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

const JSON: &str = "application/json";
const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// A request body that is a JSON document of at most [`BODY_LIMIT_BYTES`], sent as
/// `application/json` (or `application/merge-patch+json` on PATCH and PUT).
#[derive(Debug, Clone)]
pub struct JsonBody {
    pub value: Value,
    /// SHA-256 of the raw bytes: what an idempotent retry must repeat.
    pub digest: String,
}

/// The request's media type, lower-case, without parameters (`charset=…`).
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    Some(essence.to_ascii_lowercase())
}

/// The request's body, at most `limit` bytes (413 above it, said by `Content-Length` or found
/// while reading).
pub async fn body_bytes(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::body_over(limit));
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|error| {
            if error.into_inner().is::<LengthLimitError>() {
                ApiError::body_over(limit)
            } else {
                ApiError::BadRequest("the request body could not be read".to_owned())
            }
        })
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        // PUT is a partial update here too: both take a merge patch (as the document says).
        let patch = matches!(*request.method(), Method::PATCH | Method::PUT);
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
        let bytes = body_bytes(request, BODY_LIMIT_BYTES).await?;
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

/// A route's one text segment (a file name, a token). A segment that is not UTF-8 once decoded
/// names nothing here: a 404, as any unknown name.
#[derive(Debug, Clone)]
pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok(Self(text))
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

/// The OpenAPI parameters of a route's ids: `(name, what it is)`, each a ULID in the path.
pub fn id_params(ids: &[(&str, &str)]) -> Vec<Parameter> {
    ids.iter()
        .map(|(name, what)| {
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(format!("The {what}'s id (a ULID)")))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some("^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")),
                ))
                .build()
        })
        .collect()
}

/// The most distinct versions one `If-Match` may list (a DynamoDB `IN` takes up to 100).
const MAX_IF_MATCH_TAGS: usize = 50;

/// `If-Match`, read into the store's [`Precondition`]: `*`, or a list of strong or weak
/// ETags; a tag that is not one of ours matches nothing. More than [`MAX_IF_MATCH_TAGS`]
/// distinct versions is 400 (ignoring some would answer 412 to a list that names the current one).
pub struct IfMatch(pub Precondition);

impl IfMatch {
    pub fn from_headers(headers: &HeaderMap) -> Result<Precondition, ApiError> {
        // Several `If-Match` lines are one list (RFC 9110 §5.3), as API Gateway joins them.
        let lines: Vec<&str> = headers
            .get_all(header::IF_MATCH)
            .iter()
            .map(|line| line.to_str().unwrap_or_default())
            .collect();
        if lines.is_empty() {
            return Ok(Precondition::None);
        }
        let value = lines.join(",");
        let value = value.trim();
        if value == "*" {
            return Ok(Precondition::Exists);
        }
        let mut versions: Vec<u64> = value
            .split(',')
            .filter_map(|tag| {
                let tag = tag.trim();
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                let tag = tag.strip_prefix('"')?.strip_suffix('"')?;
                // Only the tags we issue: `"01"` or `"+1"` would parse as 1 but name no ETag.
                tag.parse::<u64>()
                    .ok()
                    .filter(|version| version.to_string() == tag)
            })
            .collect();
        versions.sort_unstable();
        versions.dedup();
        if versions.len() > MAX_IF_MATCH_TAGS {
            return Err(ApiError::BadRequest(format!(
                "If-Match lists more than {MAX_IF_MATCH_TAGS} versions"
            )));
        }
        Ok(Precondition::Versions(versions))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Self::from_headers(&parts.headers).map(Self)
    }
}

impl IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![header_param(
            "If-Match",
            "Write only if the current version matches this ETag (e.g. `\"3\"`), else 412",
            ObjectBuilder::new().schema_type(Type::String),
        )]
    }
}

fn header_param(name: &str, description: &str, schema: ObjectBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
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

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![header_param(
            "Idempotency-Key",
            "A retry with the same key and body within 24 h returns the first response and creates nothing",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        )]
    }
}

pub const DEFAULT_PAGE_SIZE: usize = 25;
pub const MAX_PAGE_SIZE: usize = 100;

/// A query string read into `T` with serde (`T` denies unknown fields; a repeated parameter is
/// an error too): 400 when it does not fit.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(query)| Self(query))
            .map_err(|rejection| {
                let detail = rejection.body_text();
                let detail = detail
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&detail);
                ApiError::BadRequest(format!("bad query parameter: {detail}"))
            })
    }
}

/// The query of a paged list: `limit` and `cursor`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 25).
    #[serde(default = "default_limit", deserialize_with = "limit")]
    #[param(minimum = 1, maximum = 100, default = 25)]
    pub limit: usize,
    /// `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "non_empty")]
    pub cursor: Option<String>,
}

fn default_limit() -> usize {
    DEFAULT_PAGE_SIZE
}

/// `limit`: a whole number from 1 to [`MAX_PAGE_SIZE`]; empty means the default.
pub fn limit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    non_empty::<D, usize>(deserializer)
        .ok()
        .map(|limit| limit.unwrap_or(DEFAULT_PAGE_SIZE))
        .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
        .ok_or_else(|| {
            D::Error::custom(format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"))
        })
}

/// A flag: `true` or `false`. Present but empty (`?dry_run`, `?follow_up_due`) is refused rather
/// than read as absent: a client that asked for a check must not get a write, nor one that asked
/// for a filter everything.
pub fn true_or_false<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    match String::deserialize(deserializer)?.trim() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(D::Error::custom("must be true or false")),
    }
}

/// A query parameter parsed with `FromStr`, trimmed; an empty value counts as absent.
pub fn non_empty<'de, D: Deserializer<'de>, T: FromStr>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| D::Error::custom(format!("`{raw}` is not a valid value")))
}

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
        let read = |headers: &HeaderMap| IfMatch::from_headers(headers).unwrap();
        assert_eq!(read(&HeaderMap::new()), Precondition::None);
        assert_eq!(read(&headers("*")), Precondition::Exists);
        assert_eq!(
            read(&headers(r#"W/"4", "3", "4""#)),
            Precondition::Versions(vec![3, 4])
        );
        for not_ours in ["garbage", r#""01""#, r#""+1""#, r#"" 1""#] {
            assert_eq!(
                read(&headers(not_ours)),
                Precondition::Versions(vec![]),
                "{not_ours}"
            );
        }
        let mut two_lines = headers(r#""1""#);
        two_lines.append(header::IF_MATCH, HeaderValue::from_static(r#""2""#));
        assert_eq!(read(&two_lines), Precondition::Versions(vec![1, 2]));
    }

    #[test]
    fn if_match_names_every_version_it_lists_or_is_400() {
        let list = |versions: std::ops::RangeInclusive<u64>| {
            let tags: Vec<String> = versions.map(|v| format!("\"{v}\"")).collect();
            headers(&tags.join(", "))
        };
        // Junk does not push a version out: the 50th valid one still counts.
        let mut junk = vec!["garbage".to_owned(); 60];
        junk.push(r#""51""#.to_owned());
        let read = IfMatch::from_headers(&headers(&junk.join(", "))).unwrap();
        assert_eq!(read, Precondition::Versions(vec![51]));
        assert_eq!(
            IfMatch::from_headers(&list(1..=50)).unwrap(),
            Precondition::Versions((1..=50).collect())
        );
        assert!(matches!(
            IfMatch::from_headers(&list(1..=51)),
            Err(ApiError::BadRequest(_))
        ));
    }

    fn page(query: &str) -> Result<PageQuery, ApiError> {
        let mut parts = axum::http::Request::builder()
            .uri(format!("/x?{query}"))
            .body(())
            .unwrap()
            .into_parts()
            .0;
        futures_lite(Query::<PageQuery>::from_request_parts(&mut parts, &())).map(|q| q.0)
    }

    /// The extractor never awaits anything: poll it once.
    fn futures_lite<F: std::future::Future>(future: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        match std::pin::pin!(future).poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => unreachable!("the extractor does not wait"),
        }
    }

    #[test]
    fn query_params_reject_repeats_unknowns_and_bad_limits() {
        let ok = page("limit=7&cursor=abc").unwrap();
        assert_eq!((ok.limit, ok.cursor.as_deref()), (7, Some("abc")));
        let empty = page("limit=&cursor=").unwrap();
        assert_eq!((empty.limit, empty.cursor), (DEFAULT_PAGE_SIZE, None));
        for bad in [
            "limit=0",
            "limit=101",
            "limit=x",
            "x=1",
            "cursor=a&cursor=b",
        ] {
            assert!(matches!(page(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }
        assert_eq!(page("").unwrap().limit, DEFAULT_PAGE_SIZE);
    }
}
