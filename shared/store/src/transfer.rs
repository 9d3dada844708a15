//! Export and import: a page of applications with their children, and idempotent bulk writes.
//!
//! An import writes each application and its children with conditional `Put`s
//! (`attribute_not_exists`) in `TransactWriteItems` of up to 100 items. Its ids are fixed by the
//! file (kept from our export, derived from a fingerprint otherwise), so a second import of the
//! same file names the same keys: every condition fails, nothing is written. A transaction
//! cancelled by failed conditions is retried without the items that exist; an interrupted
//! import (503) is retried the same way and writes only what is missing.

use std::collections::HashSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, ReturnConsumedCapacity, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};

use super::{Expr, Item, ListPage, Store, classify, from_item, table_key};
use crate::ResumeKey;
use crate::keys::{APPLICATION_SK, PK, SK, application_pk, child_sk_prefix};
use crate::{StoreError, StoreResult};
use domain::transfer::{ExportedApplication, ImportedApplication};
use domain::{ApplicationFilter, ChildKind, Feedback, Id, Rejection, UserId};

/// Items per transaction (DynamoDB's limit).
const TRANSACTION_ITEMS: usize = 100;
/// Bytes of items per transaction, well under DynamoDB's 4 MB.
const TRANSACTION_BYTES: usize = 2 * 1024 * 1024;
/// Transactions (and partition queries) in flight at once.
const IN_FLIGHT: usize = 4;
/// Rounds of one transaction: each drops the items that exist, or waits out a conflict.
const TRANSACTION_ROUNDS: usize = 6;

/// What an import wrote for one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOutcome {
    /// The application was written (false: it existed).
    pub created: bool,
    /// Its feedback and rejections written (those that existed are skipped).
    pub children_created: usize,
}

/// What a whole import wrote, and the write capacity it consumed.
#[derive(Debug, Clone, Default)]
pub struct ImportWrite {
    pub outcomes: Vec<ImportOutcome>,
    pub capacity_units: f64,
}

/// One item to write, and whose it is.
struct Pending {
    unit: usize,
    is_application: bool,
    size: usize,
    write: TransactWriteItem,
}

impl Store {
    /// A page of the caller's applications, newest first, each with its feedback and
    /// rejections (one `Query` of its partition, a few in flight).
    pub async fn export_page(
        &self,
        user: &UserId,
        limit: usize,
        start: Option<ResumeKey>,
    ) -> StoreResult<ListPage<ExportedApplication>> {
        let page = self
            .list_applications(user, &ApplicationFilter::default(), limit, start)
            .await?;
        let items = futures::stream::iter(page.items)
            .map(|application| async move {
                let (feedback, rejections) = self.children_of(user, application.id).await?;
                Ok::<_, StoreError>(ExportedApplication {
                    application,
                    feedback,
                    rejections,
                })
            })
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(ListPage {
            items,
            resume: page.resume,
        })
    }

    /// The key a list resumes after to continue behind `application` (for a page cut short).
    pub fn application_resume_key(&self, user: &UserId, application: Id) -> ResumeKey {
        use crate::keys::{GSI1_PK, GSI1_SK, applications_gsi_pk, applications_gsi_sk};
        [
            (PK.to_owned(), application_pk(user, application)),
            (SK.to_owned(), APPLICATION_SK.to_owned()),
            (GSI1_PK.to_owned(), applications_gsi_pk(user)),
            (GSI1_SK.to_owned(), applications_gsi_sk(application)),
        ]
        .into()
    }

    /// Every feedback and rejection of one application, oldest first (its whole partition).
    async fn children_of(
        &self,
        user: &UserId,
        application: Id,
    ) -> StoreResult<(Vec<Feedback>, Vec<Rejection>)> {
        let (mut feedback, mut rejections) = (Vec::new(), Vec::new());
        let mut expr = Expr::default();
        expr.key_equals(PK, &application_pk(user, application));
        let mut pages = self
            .query(None, &expr)
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for item in page.map_err(classify)?.items.unwrap_or_default() {
                let sk = match item.get(SK) {
                    Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) => sk.clone(),
                    _ => continue,
                };
                if sk.starts_with(child_sk_prefix(ChildKind::Feedback)) {
                    feedback.push(from_item(item)?);
                } else if sk.starts_with(child_sk_prefix(ChildKind::Rejection)) {
                    rejections.push(from_item(item)?);
                }
            }
        }
        Ok((feedback, rejections))
    }

    /// Which of these applications the caller has already (`BatchGetItem`, keys only): what a
    /// dry run reports as duplicates.
    pub async fn existing_applications(
        &self,
        user: &UserId,
        ids: &[Id],
    ) -> StoreResult<HashSet<Id>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(100) {
            let mut keys: Vec<Item> = chunk
                .iter()
                .collect::<HashSet<_>>()
                .into_iter()
                .map(|id| table_key(application_pk(user, *id), APPLICATION_SK))
                .collect();
            for _ in 0..TRANSACTION_ROUNDS {
                if keys.is_empty() {
                    break;
                }
                let mut expr = Expr::default();
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .projection_expression(expr.name(PK))
                    .set_expression_attribute_names(expr.names())
                    .consistent_read(true)
                    .build()
                    .map_err(|_| StoreError::Internal)?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(self.table(), request)
                    .send()
                    .await
                    .map_err(classify)?;
                for item in output
                    .responses
                    .and_then(|mut r| r.remove(self.table()))
                    .unwrap_or_default()
                {
                    if let Some(aws_sdk_dynamodb::types::AttributeValue::S(pk)) = item.get(PK)
                        && let Some(id) = chunk.iter().find(|id| application_pk(user, **id) == *pk)
                    {
                        found.insert(*id);
                    }
                }
                keys = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(self.table()))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    /// Writes `units` (applications with their children) under the caller's keys, each item
    /// only if its key is free. Returns per unit whether its application was written.
    pub async fn import(
        &self,
        user: &UserId,
        units: &[&ImportedApplication],
    ) -> StoreResult<ImportWrite> {
        let mut pending = Vec::new();
        for (unit, imported) in units.iter().enumerate() {
            let application = &imported.application;
            pending.push(Pending {
                unit,
                is_application: true,
                size: approximate_size(application),
                write: self.application_put(user, application)?,
            });
            for feedback in &imported.feedback {
                pending.push(Pending {
                    unit,
                    is_application: false,
                    size: approximate_size(feedback),
                    write: self.child_put(user, application.id, feedback)?,
                });
            }
            for rejection in &imported.rejections {
                pending.push(Pending {
                    unit,
                    is_application: false,
                    size: approximate_size(rejection),
                    write: self.child_put(user, application.id, rejection)?,
                });
            }
        }
        let mut chunks: Vec<Vec<Pending>> = Vec::new();
        let mut bytes = 0;
        for item in pending {
            let full = chunks.last().is_none_or(|chunk| {
                chunk.len() == TRANSACTION_ITEMS || bytes + item.size > TRANSACTION_BYTES
            });
            if full {
                chunks.push(Vec::new());
                bytes = 0;
            }
            bytes += item.size;
            if let Some(chunk) = chunks.last_mut() {
                chunk.push(item);
            }
        }
        let results: Vec<(Vec<(usize, bool)>, f64)> = futures::stream::iter(chunks)
            .map(|chunk| self.write_chunk(chunk))
            .buffer_unordered(IN_FLIGHT)
            .try_collect()
            .await?;
        let mut write = ImportWrite {
            outcomes: vec![ImportOutcome::default(); units.len()],
            capacity_units: 0.0,
        };
        for (written, capacity) in results {
            write.capacity_units += capacity;
            for (unit, is_application) in written {
                let outcome = &mut write.outcomes[unit];
                if is_application {
                    outcome.created = true;
                } else {
                    outcome.children_created += 1;
                }
            }
        }
        Ok(write)
    }

    /// One transaction of new items; items whose key exists are dropped and the rest retried.
    /// Returns what was written, as `(unit, is_application)`, and the capacity consumed.
    async fn write_chunk(&self, mut chunk: Vec<Pending>) -> StoreResult<(Vec<(usize, bool)>, f64)> {
        let mut capacity = 0.0;
        for round in 0..TRANSACTION_ROUNDS {
            if chunk.is_empty() {
                return Ok((Vec::new(), capacity));
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(chunk.iter().map(|p| p.write.clone()).collect()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .customize()
                .config_override(bulk_timeouts())
                .send()
                .await;
            let error = match result {
                Ok(output) => {
                    capacity += output
                        .consumed_capacity()
                        .iter()
                        .filter_map(|c| c.capacity_units())
                        .sum::<f64>();
                    let written = chunk.iter().map(|p| (p.unit, p.is_application)).collect();
                    return Ok((written, capacity));
                }
                Err(error) => error,
            };
            let reasons: Option<Vec<Option<String>>> = match &error {
                SdkError::ServiceError(service) => match service.err() {
                    TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
                        cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().map(str::to_owned))
                            .collect(),
                    ),
                    _ => None,
                },
                _ => None,
            };
            let Some(reasons) = reasons else {
                return Err(classify(error));
            };
            tracing::warn!(?reasons, "import transaction cancelled");
            let exists: Vec<bool> = (0..chunk.len())
                .map(|i| {
                    reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed")
                })
                .collect();
            if exists.iter().any(|e| *e) {
                let mut flags = exists.into_iter();
                chunk.retain(|_| !flags.next().unwrap_or(false));
            } else {
                // A conflict with another write: wait a little, then try again.
                tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
            }
        }
        Err(StoreError::Unavailable)
    }
}

/// A transaction of up to 100 items may take longer than the client's timeouts for single
/// items allow (DynamoDB Local needs about a second for one): its own, still bounded.
fn bulk_timeouts() -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::default().timeout_config(
        aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(std::time::Duration::from_secs(5))
            .operation_timeout(std::time::Duration::from_secs(12))
            .build(),
    )
}

fn approximate_size<T: serde::Serialize>(value: &T) -> usize {
    // Attribute names and values, plus the keys and a margin.
    serde_json::to_vec(value).map_or(4096, |v| v.len() + 256)
}
