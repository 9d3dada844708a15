//! Creating a resource exactly once: where it will live, the response kept for retries, and
//! the `Idempotency-Key` record the store writes beside it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use domain::{Resource, UserId};
use serde::{Deserialize, Serialize};
use store::keys::idempotency_pk;
use store::{IdempotentRequest, StoredResponse, WriteOutcome};

use crate::error::ApiError;
use crate::extract::IdempotencyKey;
use crate::respond::{etag, json_bytes};

/// A create on its way to the store: where the new resource will live, the response to keep
/// for retries, and the idempotency record's key when the client sent an `Idempotency-Key`.
pub struct Creation {
    stored: StoredResponse,
    idempotency: Option<IdempotentRequest>,
}

impl Creation {
    /// `collection` is the path the `POST` went to; keys are scoped to it and to the caller.
    pub fn new<T: Serialize + Resource>(
        user: &UserId,
        collection: &str,
        key: IdempotencyKey,
        body_digest: String,
        resource: &T,
    ) -> Result<Self, ApiError> {
        let stored = StoredResponse {
            location: format!("{collection}/{}", resource.id()),
            body: serde_json::to_string(resource).map_err(|_| ApiError::Internal)?,
        };
        let idempotency = key.0.map(|key| IdempotentRequest {
            pk: idempotency_pk(user, &format!("POST {collection}"), &key),
            digest: body_digest,
        });
        Ok(Self {
            stored,
            idempotency,
        })
    }

    /// What the store writes beside the resource, if a key was sent.
    pub fn idempotency(&self) -> Option<(&IdempotentRequest, &StoredResponse)> {
        self.idempotency
            .as_ref()
            .map(|request| (request, &self.stored))
    }

    /// `201` with the new resource, or the first response replayed for a repeated key: either
    /// way the body is the kept response's bytes (a retry reads exactly what it would have).
    /// `on_condition_failed` is the error when a write's condition failed (the parent is gone).
    pub fn respond<T: Resource>(
        self,
        outcome: WriteOutcome,
        resource: &T,
        on_condition_failed: ApiError,
    ) -> Result<Response, ApiError> {
        let (stored, version) = match outcome {
            WriteOutcome::Written => (self.stored, resource.version()),
            WriteOutcome::Replayed(stored) => {
                #[derive(Deserialize)]
                struct Versioned {
                    version: u64,
                }
                let Versioned { version } =
                    serde_json::from_str(&stored.body).map_err(|_| ApiError::Internal)?;
                (stored, version)
            }
            WriteOutcome::ConditionFailed(_) => return Err(on_condition_failed),
        };
        let mut response = json_bytes(StatusCode::CREATED, stored.body);
        response.headers_mut().insert(header::ETAG, etag(version));
        if let Ok(location) = HeaderValue::from_str(&stored.location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        Ok(response)
    }
}
