//! Where the table is, from the environment, and the DynamoDB client built from it once per
//! process.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

#[derive(Clone, Debug)]
pub struct Config {
    /// `TABLE_NAME`: the single table.
    pub table_name: String,
    /// `AWS_ENDPOINT_URL_DYNAMODB`: DynamoDB Local's URL, when set.
    pub dynamodb_endpoint: Option<String>,
    /// `AWS_REGION` (Lambda always sets it); `us-east-1` when unset.
    pub region: String,
}

#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("TABLE_NAME")
            .ok_or_else(|| ConfigError("TABLE_NAME must name the DynamoDB table".to_owned()))?;
        Ok(Self {
            table_name,
            dynamodb_endpoint: lookup("AWS_ENDPOINT_URL_DYNAMODB"),
            region: lookup("AWS_REGION")
                .or_else(|| lookup("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_owned()),
        })
    }

    /// The DynamoDB client. Makes no network call: region is explicit and credentials are
    /// resolved lazily on the first request. Timeouts and retries are bounded so an
    /// unreachable or throttling database answers 503 in well under two seconds.
    pub async fn dynamodb_client(&self) -> aws_sdk_dynamodb::Client {
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .http_client(https)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_millis(500))
                    .operation_attempt_timeout(Duration::from_millis(800))
                    .operation_timeout(Duration::from_millis(1800))
                    .build(),
            )
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(20))
                    .with_max_backoff(Duration::from_millis(200)),
            );
        if let Some(endpoint) = &self.dynamodb_endpoint {
            // DynamoDB Local accepts any credentials; fixed ones avoid a credential lookup.
            loader = loader
                .endpoint_url(endpoint)
                .credentials_provider(Credentials::new("local", "local", None, None, "local"));
        }
        aws_sdk_dynamodb::Client::new(&loader.load().await)
    }
}

/// `client` with patient timeouts (5 s to connect, 30 s an attempt, 90 s a call), for what runs
/// only against DynamoDB Local: creating its table, and the tests. On a busy machine it answers
/// slower than the functions' budget, which is about latency in AWS, not about behaviour; under
/// the tests' heaviest load it has stalled a `CreateTable` or a `PutItem` for over 10 s.
pub fn patient(client: &aws_sdk_dynamodb::Client) -> aws_sdk_dynamodb::Client {
    let config = client
        .config()
        .to_builder()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        )
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn table_name_is_required_and_region_defaults() {
        assert!(Config::from_lookup(|_| None).is_err());
        let env: HashMap<&str, &str> = [("TABLE_NAME", "t")].into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(config.table_name, "t");
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.dynamodb_endpoint, None);
    }

    /// The contract's bound for `/db-check` (2 s) is the client's operation timeout: every
    /// attempt and retry of one call ends within it.
    #[tokio::test]
    async fn one_call_gives_up_within_the_contracts_two_seconds() {
        let config = Config::from_lookup(|k| (k == "TABLE_NAME").then(|| "t".to_owned())).unwrap();
        let client = config.dynamodb_client().await;
        let timeouts = client.config().timeout_config().expect("timeouts are set");
        let operation = timeouts.operation_timeout().expect("an operation timeout");
        assert!(operation < Duration::from_secs(2), "{operation:?}");
        let attempt = timeouts
            .operation_attempt_timeout()
            .expect("an attempt timeout");
        assert!(
            attempt < operation,
            "a retry fits in the operation: {attempt:?}"
        );
    }
}
