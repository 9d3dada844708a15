//! How handlers answer: JSON bodies, `ETag`, pages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Resource;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

const JSON: &str = "application/json";

/// A page of a list: `{"items": [...], "next_cursor": "…" | null}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(error) => {
            tracing::error!(%error, "response serialisation failed");
            ApiError::Internal.into_response()
        }
    }
}

/// A body that is JSON already.
pub fn json_bytes(status: StatusCode, bytes: impl Into<axum::body::Body>) -> Response {
    (status, [(header::CONTENT_TYPE, JSON)], bytes.into()).into_response()
}

pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// A single resource: its JSON and its `ETag`.
pub fn resource<T: Serialize + Resource>(status: StatusCode, resource: &T) -> Response {
    let mut response = json_response(status, resource);
    if response.status() == status {
        response
            .headers_mut()
            .insert(header::ETAG, etag(resource.version()));
    }
    response
}
