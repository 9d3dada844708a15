//! The sweeper Lambda: not behind the API. DynamoDB Streams wake it for every application marked
//! `deleting` (the template filters the stream to those records), and it sweeps each one's
//! partition to the end. A `DELETE` sweeps for a few seconds itself; this finishes the rest, so
//! no client has to retry. A sweep it cannot finish in its own time is an error: Lambda retries
//! the record, and the next sweep carries on from what is left.

use std::time::{Duration, Instant};

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use store::{Store, Sweep, keys};

/// How long one invocation sweeps (the template gives the function 60 s).
pub const SWEEP_BUDGET: Duration = Duration::from_secs(45);

/// The application partitions a stream event asks to sweep: records whose new image is an
/// application marked `deleting`.
pub fn partitions(event: &Value) -> Vec<String> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|record| record["dynamodb"]["NewImage"][keys::DELETING]["BOOL"] == true)
        .filter_map(|record| {
            let key = &record["dynamodb"]["Keys"];
            let (pk, sk) = (key[keys::PK]["S"].as_str()?, key[keys::SK]["S"].as_str()?);
            keys::is_application_key(pk, sk).then(|| pk.to_owned())
        })
        .collect()
}

/// Sweeps every partition `event` names, each until done or `budget` runs out.
pub async fn handle(
    store: &Store,
    event: Value,
    budget: Duration,
) -> Result<(), lambda_runtime::Error> {
    let deadline = Instant::now() + budget;
    for partition in partitions(&event) {
        match store.sweep_application(&partition, deadline).await {
            Ok(Sweep::Done) => tracing::info!("swept a deleted application"),
            Ok(Sweep::Unfinished) => {
                return Err("the sweep ran out of time; the stream retries".into());
            }
            Err(error) => return Err(format!("the sweep failed: {error:?}").into()),
        }
    }
    Ok(())
}

/// Runs as the Lambda handler: logging and the client set up once.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    api::telemetry::init(true);
    let store = Store::from_config(&store::Config::from_env()?).await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let store = store.clone();
        async move { handle(&store, event.payload, SWEEP_BUDGET).await }
    }))
    .await
}
