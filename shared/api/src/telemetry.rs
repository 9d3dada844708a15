//! Logging: JSON lines (CloudWatch-friendly) in Lambda, readable lines locally.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once. `RUST_LOG` overrides the default `info` level.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder
            .json()
            .with_current_span(false)
            .without_time()
            .with_ansi(false)
            .try_init()
    } else {
        builder.with_target(false).try_init()
    };
}
