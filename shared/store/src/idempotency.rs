//! Creating items exactly once: a create and its `Idempotency-Key` record are written in one
//! transaction, so a retry either finds the record (and replays the first response) or
//! creates nothing twice.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde::{Deserialize, Serialize};

use super::{Expr, Store, classify, from_item, string};
use crate::keys::{EXPIRES_AT, IDEMPOTENCY_SK, PK, SK};
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
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(WriteOutcome::Written),
            Err(error) => error,
        };
        let failed = match &error {
            SdkError::ServiceError(service) => match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .enumerate()
                    .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
                    .map(|(index, _)| index)
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        // A used key wins over any other failed condition: the first request succeeded.
        match (idempotency, failed.as_slice()) {
            (Some((request, _)), failed) if failed.contains(&record_index) => {
                self.replay(request).await
            }
            (_, [index, ..]) => Ok(WriteOutcome::ConditionFailed(*index)),
            _ => Err(classify(error)),
        }
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
        match result {
            Ok(_) => Ok(WriteOutcome::Written),
            Err(SdkError::ServiceError(service))
                if service.err().is_conditional_check_failed_exception() =>
            {
                let existing = match service.into_err() {
                    PutItemError::ConditionalCheckFailedException(failed) => failed.item,
                    _ => None,
                };
                if existing.as_ref() == Some(&put.item) {
                    Ok(WriteOutcome::Written)
                } else {
                    Ok(WriteOutcome::ConditionFailed(0))
                }
            }
            Err(error) => Err(classify(error)),
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
        };
        let mut item = super::to_item(&record)?;
        item.insert(PK.to_owned(), string(&request.pk));
        item.insert(SK.to_owned(), string(IDEMPOTENCY_SK));
        item.insert("type".to_owned(), string("idempotency"));
        let expires_at = now.unix_seconds() + IDEMPOTENCY_TTL_SECONDS;
        item.insert(
            EXPIRES_AT.to_owned(),
            AttributeValue::N(expires_at.to_string()),
        );
        // TTL deletes lazily: an expired record counts as absent.
        let mut expr = Expr::default();
        let (pk, expires) = (expr.name(PK), expr.name(EXPIRES_AT));
        let now = expr.value(AttributeValue::N(now.unix_seconds().to_string()));
        expr.condition(format!("attribute_not_exists({pk}) OR {expires} < {now}"));
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(item))
            .set_condition_expression(expr.condition_expression())
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .build()
            .map_err(|_| StoreError::Internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn replay(&self, request: &IdempotentRequest) -> StoreResult<WriteOutcome> {
        let item = self
            .client
            .get_item()
            .table_name(self.table())
            .key(PK, string(&request.pk))
            .key(SK, string(IDEMPOTENCY_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?
            .item
            // Gone between the write and this read (expired): the client may simply retry.
            .ok_or(StoreError::Unavailable)?;
        let record: IdempotencyRecord = from_item(item)?;
        if record.digest == request.digest {
            Ok(WriteOutcome::Replayed(record.response))
        } else {
            Err(StoreError::IdempotencyKeyReused)
        }
    }
}
