//! Creating items exactly once: a create and its `Idempotency-Key` record are written in one
//! transaction, so a retry either finds the record (and replays the first response) or
//! creates nothing twice.

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde::{Deserialize, Serialize};

use super::{Expr, Store, classify, failed_condition, from_item, string, table_key};
use crate::keys::{EXPIRES_AT, IDEMPOTENCY_SK, PK};
use crate::{StoreError, StoreResult};
use domain::Timestamp;

/// How long a key is remembered.
pub const IDEMPOTENCY_TTL_SECONDS: i64 = 24 * 60 * 60;

/// A create sent with an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    /// The record's partition key (see [`crate::keys::idempotency_pk`]).
    pub pk: String,
    /// SHA-256 of the request body: a retry must send the same body.
    pub digest: String,
}

/// The first response to a create, kept to be replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub location: String,
    pub body: String,
}

#[derive(Debug)]
pub enum WriteOutcome {
    Written,
    /// The key was used before with the same body: answer with the first response.
    Replayed(StoredResponse),
    /// The condition of `writes[index]` failed; nothing was written.
    ConditionFailed(usize),
}

#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    digest: String,
    #[serde(flatten)]
    response: StoredResponse,
    /// Unix seconds after which the record counts as absent (TTL deletes it some time later).
    expires_at: i64,
}

impl Store {
    /// Writes `writes` all or nothing, together with the idempotency record when a key was sent.
    pub async fn write_new(
        &self,
        mut writes: Vec<TransactWriteItem>,
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
        now: Timestamp,
    ) -> StoreResult<WriteOutcome> {
        if idempotency.is_none() && writes.len() == 1 && writes[0].put().is_some() {
            return self.put_one(writes.remove(0)).await;
        }
        let record_index = writes.len();
        if let Some((request, response)) = idempotency {
            writes.push(self.record_put(request, response, now)?);
        }
        for attempt in 0..TRANSACTION_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(conflict_backoff(attempt)).await;
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(WriteOutcome::Written),
                Err(error) => error,
            };
            match cancellation(&error) {
                // A used key wins over any other failed condition: the first request succeeded.
                Some(Cancellation::ConditionFailed(failed)) => {
                    return match (idempotency, failed.as_slice()) {
                        // Gone between the write and this read (expired): the client may
                        // simply retry.
                        (Some((request, _)), failed) if failed.contains(&record_index) => self
                            .try_replay(request, now)
                            .await?
                            .ok_or(StoreError::Unavailable),
                        (_, [index, ..]) => Ok(WriteOutcome::ConditionFailed(*index)),
                        _ => Err(classify(error)),
                    };
                }
                Some(Cancellation::Conflict(items)) => {
                    // A concurrent retry with the same key: once it has committed, answer as it
                    // did; until then, try again.
                    if let Some((request, _)) = idempotency
                        && items.contains(&record_index)
                        && let Some(outcome) = self.try_replay(request, now).await?
                    {
                        return Ok(outcome);
                    }
                    tracing::info!(attempt, "transaction conflict; retrying");
                }
                Some(Cancellation::Throttled) => {
                    tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "transaction throttled");
                    return Err(StoreError::Unavailable);
                }
                Some(Cancellation::Other) | None => return Err(classify(error)),
            }
        }
        tracing::warn!(
            attempts = TRANSACTION_ATTEMPTS,
            "transaction kept conflicting"
        );
        Err(StoreError::Unavailable)
    }

    /// One conditional `PutItem`. The SDK retries a put whose answer was lost (a timeout); the
    /// retry then fails its own condition on the item the first attempt wrote. So a failed
    /// condition on an item equal to ours is our write, not someone else's.
    async fn put_one(&self, write: TransactWriteItem) -> StoreResult<WriteOutcome> {
        let Some(put) = write.put else {
            return Err(StoreError::Internal);
        };
        let result = self
            .client
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item.clone()))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let Err(error) = result else {
            return Ok(WriteOutcome::Written);
        };
        match failed_condition(&error) {
            Some(existing) if existing == Some(&put.item) => Ok(WriteOutcome::Written),
            Some(_) => Ok(WriteOutcome::ConditionFailed(0)),
            None => Err(classify(error)),
        }
    }

    fn record_put(
        &self,
        request: &IdempotentRequest,
        response: &StoredResponse,
        now: Timestamp,
    ) -> StoreResult<TransactWriteItem> {
        let record = IdempotencyRecord {
            digest: request.digest.clone(),
            response: response.clone(),
            expires_at: now.unix_seconds() + IDEMPOTENCY_TTL_SECONDS,
        };
        let mut item = super::to_item(&record)?;
        item.extend(table_key(&request.pk, IDEMPOTENCY_SK));
        item.insert(crate::keys::TYPE.to_owned(), string("idempotency"));
        // TTL deletes lazily: an expired record counts as absent.
        let mut expr = Expr::default();
        let (pk, expires) = (expr.name(PK), expr.name(EXPIRES_AT));
        let now = expr.value(AttributeValue::N(now.unix_seconds().to_string()));
        expr.condition(format!("attribute_not_exists({pk}) OR {expires} < {now}"));
        self.transact_put(item, &expr)
    }

    /// The first response to the request's key, if a record of it exists and has not expired
    /// (as the write's condition counts it).
    async fn try_replay(
        &self,
        request: &IdempotentRequest,
        now: Timestamp,
    ) -> StoreResult<Option<WriteOutcome>> {
        let key = table_key(&request.pk, IDEMPOTENCY_SK);
        let Some(item) = self.get_item(key, &[]).await? else {
            return Ok(None);
        };
        let record: IdempotencyRecord = from_item(item)?;
        if record.expires_at < now.unix_seconds() {
            return Ok(None);
        }
        if record.digest == request.digest {
            Ok(Some(WriteOutcome::Replayed(record.response)))
        } else {
            Err(StoreError::IdempotencyKeyReused)
        }
    }
}

/// How often a transaction is sent while it conflicts with concurrent writes of its items.
const TRANSACTION_ATTEMPTS: u32 = 4;

/// The wait before attempt `attempt` (1, 2, …): 20 ms doubling, each time between half and
/// all of it, so racing requests spread out instead of colliding again.
fn conflict_backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let ceiling = 20u64 << (attempt - 1).min(6);
    // A randomly keyed hash of nothing: a random number without a dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Duration::from_millis(ceiling / 2 + random % (ceiling / 2 + 1))
}

/// Why DynamoDB cancelled a transaction, read from its `CancellationReasons` (one per write,
/// in order; `None` for a write that was not the cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cancellation {
    /// The conditions of these writes failed: a definite answer.
    ConditionFailed(Vec<usize>),
    /// The table or the account is throttling: 503.
    Throttled,
    /// Another write was on these items at the same moment: worth a retry.
    Conflict(Vec<usize>),
    /// Anything else (a validation error: a bug).
    Other,
}

/// The cancellation `error` is, if it is one.
pub(crate) fn cancellation(
    error: &SdkError<TransactWriteItemsError, HttpResponse>,
) -> Option<Cancellation> {
    let SdkError::ServiceError(service) = error else {
        return None;
    };
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() else {
        return None;
    };
    let reasons = cancelled.cancellation_reasons();
    let with = |codes: &[&str]| -> Vec<usize> {
        reasons
            .iter()
            .enumerate()
            .filter(|(_, reason)| reason.code().is_some_and(|code| codes.contains(&code)))
            .map(|(index, _)| index)
            .collect()
    };
    let failed = with(&["ConditionalCheckFailed"]);
    if !failed.is_empty() {
        return Some(Cancellation::ConditionFailed(failed));
    }
    if !with(&[
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    ])
    .is_empty()
    {
        return Some(Cancellation::Throttled);
    }
    let conflicts = with(&["TransactionConflict"]);
    if !conflicts.is_empty() {
        return Some(Cancellation::Conflict(conflicts));
    }
    Some(Cancellation::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::CancellationReason;
    use aws_sdk_dynamodb::types::error::TransactionCanceledException;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn the_record_expires_by_the_tables_ttl_attribute() {
        let record = IdempotencyRecord {
            digest: "d".to_owned(),
            response: StoredResponse {
                location: "/x".to_owned(),
                body: "{}".to_owned(),
            },
            expires_at: 5,
        };
        let item = crate::to_item(&record).unwrap();
        assert_eq!(
            item.get(EXPIRES_AT),
            Some(&AttributeValue::N("5".to_owned()))
        );
    }

    /// A cancelled transaction as the SDK hands it over, with one reason per write.
    fn cancelled(codes: &[&str]) -> SdkError<TransactWriteItemsError, HttpResponse> {
        let meta = aws_sdk_dynamodb::error::ErrorMetadata::builder()
            .code("TransactionCanceledException")
            .build();
        let reasons = codes
            .iter()
            .map(|code| CancellationReason::builder().code(*code).build())
            .collect();
        let error = TransactionCanceledException::builder()
            .message("Transaction cancelled")
            .set_cancellation_reasons(Some(reasons))
            .meta(meta)
            .build();
        let response = HttpResponse::new(400.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(
            TransactWriteItemsError::TransactionCanceledException(error),
            response,
        )
    }

    #[test]
    fn a_conflict_is_told_apart_from_a_failed_condition() {
        assert_eq!(
            cancellation(&cancelled(&["None", "TransactionConflict"])),
            Some(Cancellation::Conflict(vec![1]))
        );
        assert_eq!(
            cancellation(&cancelled(&["ConditionalCheckFailed", "None"])),
            Some(Cancellation::ConditionFailed(vec![0]))
        );
        // A failed condition is an answer; a conflict beside it changes nothing.
        assert_eq!(
            cancellation(&cancelled(&[
                "TransactionConflict",
                "ConditionalCheckFailed"
            ])),
            Some(Cancellation::ConditionFailed(vec![1]))
        );
    }

    #[test]
    fn throttling_reasons_are_throttling() {
        for code in [
            "ThrottlingError",
            "ProvisionedThroughputExceeded",
            "RequestLimitExceeded",
        ] {
            assert_eq!(
                cancellation(&cancelled(&["None", code])),
                Some(Cancellation::Throttled),
                "{code}"
            );
        }
        assert_eq!(
            cancellation(&cancelled(&["TransactionConflict", "ThrottlingError"])),
            Some(Cancellation::Throttled)
        );
    }

    #[test]
    fn other_reasons_and_other_errors_are_not_retried() {
        assert_eq!(
            cancellation(&cancelled(&["ValidationError", "None"])),
            Some(Cancellation::Other)
        );
        let timeout: SdkError<TransactWriteItemsError, HttpResponse> =
            SdkError::timeout_error("too slow");
        assert_eq!(cancellation(&timeout), None);
    }

    #[test]
    fn backoff_grows_and_stays_jittered_within_bounds() {
        for attempt in 1..TRANSACTION_ATTEMPTS {
            let ceiling = 20u64 << (attempt - 1);
            for _ in 0..50 {
                let wait = conflict_backoff(attempt).as_millis() as u64;
                assert!((ceiling / 2..=ceiling).contains(&wait), "{wait} ms");
            }
        }
    }
}
