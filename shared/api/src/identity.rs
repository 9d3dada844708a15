//! The caller's identity: the `sub` claim API Gateway's JWT authorizer verified and put in the
//! request context. Functions never verify tokens themselves; the dev server puts the claims in
//! the same place, so there is one code path.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::request::RequestContext;

use domain::UserId;

use crate::error::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub UserId);

impl Caller {
    pub fn user(&self) -> &UserId {
        &self.0
    }
}

/// The verified `sub` claim from an HTTP API (payload v2) request context.
pub fn sub_claim(context: &RequestContext) -> Option<&str> {
    match context {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()?
            .jwt
            .as_ref()?
            .claims
            .get("sub")
            .map(String::as_str),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<RequestContext>()
            .and_then(sub_claim)
            .map(str::to_owned)
            .or_else(|| local_claims_sub(&parts.headers))
            .as_deref()
            .and_then(UserId::parse)
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("a valid bearer token is required".to_owned()))
    }
}

/// Only in a build with the `local-claims` feature (`make sam-api`, never deployed): the `sub`
/// of a locally signed token, for `sam local start-api`, which runs no JWT authorizer.
#[cfg(feature = "local-claims")]
fn local_claims_sub(headers: &axum::http::HeaderMap) -> Option<String> {
    crate::local_claims::LocalClaims::from_env()?
        .sub_from_headers(headers)
        .ok()
}

#[cfg(not(feature = "local-claims"))]
fn local_claims_sub(_: &axum::http::HeaderMap) -> Option<String> {
    None
}
