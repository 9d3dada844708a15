//! The one error type of the API and its one mapping to HTTP: RFC 9457 problem+json. Domain
//! validation and store failures become it through `From`, here and nowhere else.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
pub use domain::FieldError;
use domain::Invalid;
use serde::Serialize;
use store::StoreError;
use utoipa::ToSchema;

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// Everything a request can fail with. Handlers and extractors return it; [`IntoResponse`]
/// below is the only place that turns it into HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: malformed JSON, a bad query parameter, a bad or tampered cursor.
    BadRequest(String),
    /// 401: no verified identity on the request.
    Unauthorized(String),
    /// 404: unknown route, unknown resource, or another user's resource.
    NotFound,
    /// 405: known path, wrong method (the router adds the `Allow` header).
    MethodNotAllowed,
    /// 412: `If-Match` names a version that is not the current one.
    PreconditionFailed,
    /// 413: body above the limit: what the limit is.
    PayloadTooLarge(String),
    /// 413: an import of more rows (or children) than one request takes: how to split it.
    TooManyRows(String),
    /// 415: body is not JSON.
    UnsupportedMediaType(&'static str),
    /// 422: well-formed JSON that fails validation; every bad field listed.
    Validation(Vec<FieldError>),
    /// 422: more bad fields (`.1` in all) than an answer lists; `.0` ends with an entry that
    /// counts the rest.
    ValidationCut(Vec<FieldError>, usize),
    /// 422: an `Idempotency-Key` reused with another body.
    IdempotencyKeyReused,
    /// 503: the database is unreachable, throttling, or the table is missing.
    Unavailable,
    /// 500: a bug. The body never carries internals; the cause is logged where it happens.
    Internal,
}

impl ApiError {
    /// 413 for a body over `limit` bytes.
    pub fn body_over(limit: usize) -> Self {
        Self::PayloadTooLarge(format!("the body must be at most {limit} bytes"))
    }

    /// 400 for a cursor that was altered, forged, or made for another query.
    pub fn invalid_cursor() -> Self {
        Self::BadRequest("the cursor is invalid for this query".to_owned())
    }

    /// Its HTTP status: the one its problem body states.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).expect("every status below is a valid one")
    }

    /// Its RFC 9457 body; one table gives each kind its status, type, title and detail.
    pub fn problem(&self) -> Problem {
        let (status, kind, title, detail): (u16, &str, &str, String) = match self {
            Self::BadRequest(detail) => (400, "bad-request", "Bad request", detail.clone()),
            Self::Unauthorized(detail) => (401, "unauthorized", "Unauthorized", detail.clone()),
            Self::NotFound => (404, "not-found", "Not found", "no such resource".to_owned()),
            Self::MethodNotAllowed => (
                405,
                "method-not-allowed",
                "Method not allowed",
                "the Allow header lists the methods this path supports".to_owned(),
            ),
            Self::PreconditionFailed => (
                412,
                "precondition-failed",
                "Precondition failed",
                "If-Match does not match the current version".to_owned(),
            ),
            Self::PayloadTooLarge(detail) => (
                413,
                "payload-too-large",
                "Payload too large",
                detail.clone(),
            ),
            Self::TooManyRows(detail) => (413, "too-many-rows", "Too many rows", detail.clone()),
            Self::UnsupportedMediaType(expected) => (
                415,
                "unsupported-media-type",
                "Unsupported media type",
                format!("the body must be sent as {expected}"),
            ),
            Self::Validation(errors) => (
                422,
                "validation",
                "Request validation failed",
                match errors.len() {
                    1 => "1 field is invalid".to_owned(),
                    n => format!("{n} fields are invalid"),
                },
            ),
            Self::ValidationCut(listed, total) => (
                422,
                "validation",
                "Request validation failed",
                format!(
                    "{total} fields are invalid; the first {} are listed",
                    listed.len().saturating_sub(1)
                ),
            ),
            Self::IdempotencyKeyReused => (
                422,
                "idempotency-key-reused",
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request body".to_owned(),
            ),
            Self::Unavailable => (
                503,
                "unavailable",
                "Service unavailable",
                "the database is unavailable; retry later".to_owned(),
            ),
            Self::Internal => (
                500,
                "internal",
                "Internal server error",
                "an unexpected error occurred".to_owned(),
            ),
        };
        Problem {
            kind: format!("/problems/{kind}"),
            title: title.to_owned(),
            status,
            detail,
            errors: match self {
                Self::Validation(errors) | Self::ValidationCut(errors, _) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// The RFC 9457 body every error response carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation", "title": "Request validation failed", "status": 422,
    "detail": "1 field is invalid", "errors": [{"field": "company", "message": "must not be empty"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every invalid field (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let challenge = match self {
            Self::Unauthorized(_) => Some((header::WWW_AUTHENTICATE, "Bearer".to_owned())),
            Self::Unavailable => Some((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())),
            _ => None,
        };
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let content_type = [(header::CONTENT_TYPE, PROBLEM_CONTENT_TYPE)];
        (self.status(), content_type, challenge.map(|h| [h]), body).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<Invalid> for ApiError {
    fn from(Invalid(errors): Invalid) -> Self {
        Self::Validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::VersionMismatch => Self::PreconditionFailed,
            StoreError::Invalid(invalid) => invalid.into(),
            StoreError::InvalidResumeKey => Self::invalid_cursor(),
            StoreError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            StoreError::Unavailable => Self::Unavailable,
            StoreError::Internal => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_every_field() {
        let error = ApiError::Validation(vec![
            FieldError::new("company", "must not be empty"),
            FieldError::new("rating", "must be between 1 and 5"),
        ]);
        let body = serde_json::to_value(error.problem()).unwrap();
        assert_eq!(body["type"], "/problems/validation");
        assert_eq!(body["status"], 422);
        assert_eq!(body["detail"], "2 fields are invalid");
        assert_eq!(body["errors"][1]["field"], "rating");
    }

    #[test]
    fn unavailable_carries_retry_after() {
        let response = ApiError::Unavailable.into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
    }

    #[test]
    fn internal_error_body_has_no_detail_of_the_cause() {
        let body = serde_json::to_string(&ApiError::Internal.problem()).unwrap();
        assert!(!body.contains("errors"));
        assert!(body.contains("an unexpected error occurred"));
    }
}
