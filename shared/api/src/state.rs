//! What every function's router is given, and the Lambda entry point built on it.

use axum::extract::FromRef;
use store::Store;

use crate::cursor::CursorKey;

/// What every function's router is given: the store and the cursor key. Handlers take only
/// the part they use (`State<Store>`, `State<CursorKey>`: the derived `FromRef` clones it out).
#[derive(Clone, Debug, FromRef)]
pub struct ApiState {
    pub store: Store,
    pub cursors: CursorKey,
}

impl ApiState {
    /// From the environment: the store `store::Config` names and the cursor key (in Lambda,
    /// a missing or short `CURSOR_SECRET` is an error: see [`CursorKey::from_lookup`]). The
    /// client is built once per process; this makes no network call.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let config = store::Config::from_env()?;
        let cursors = CursorKey::from_env(config.dynamodb_endpoint.is_some())?;
        Ok(Self::from_config(&config, cursors).await)
    }

    pub async fn from_config(config: &store::Config, cursors: CursorKey) -> Self {
        Self {
            store: Store::from_config(config).await,
            cursors,
        }
    }
}
