//! Everything the Feedback Tracker Lambdas share: the domain model, the single-table key
//! scheme, the DynamoDB repository, identity, errors as problem+json, and the HTTP plumbing.

pub mod children;
pub mod config;
pub mod cursor;
pub mod domain;
pub mod error;
pub mod http;
pub mod identity;
pub mod keys;
pub mod openapi;
pub mod store;
pub mod table;
pub mod telemetry;

pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use store::Store;
