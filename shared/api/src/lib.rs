//! The HTTP layer every Lambda shares: extractors, responses, problem+json (the only place that
//! knows status codes), identity from the authorizer's claims, cursors, the generic child
//! routes, the OpenAPI document and the Lambda entry point. Built on `domain` and `store`.

pub mod children;
pub mod create;
pub mod cursor;
pub mod error;
pub mod extract;
pub mod function;
pub mod identity;
#[cfg(any(test, feature = "local-claims"))]
pub mod local_claims;
pub mod openapi;
pub mod respond;
pub mod state;
pub mod telemetry;

pub use error::{ApiError, ApiResult};
pub use function::Function;
pub use state::ApiState;

/// For the routes [`child_function!`] declares in a function's crate.
#[doc(hidden)]
pub use utoipa_axum as __utoipa_axum;
