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
            .and_then(UserId::parse)
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("a valid bearer token is required".to_owned()))
    }
}
