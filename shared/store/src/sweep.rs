//! Sweeping a deleted application's partition, with no `Scan`: `Query` its keys page by page and
//! `BatchWriteItem` them away, several batches at a time, then delete the application item last.
//! A request sweeps until its deadline; the sweeper function (woken by DynamoDB Streams for
//! every application marked `deleting`) finishes what is left. Deletes are idempotent, so both
//! may sweep the same partition at once.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use futures::{StreamExt, TryStreamExt};

use super::{Expr, Item, Store, classify, string, table_key};
use crate::keys::{APPLICATION_SK, DELETING, PK, SK};
use crate::{StoreError, StoreResult};

/// A `BatchWriteItem` takes at most 25 requests.
const BATCH_WRITE_MAX: usize = 25;
/// `BatchWriteItem`s in flight at once while sweeping.
const SWEEP_CONCURRENCY: usize = 8;
/// The keys a sweep reads, then deletes, at a time: one round of batches in flight. It checks
/// the application is still marked before each page, so a page is as much as it could delete of
/// an application written again meanwhile.
const SWEEP_PAGE: i32 = (BATCH_WRITE_MAX * SWEEP_CONCURRENCY) as i32;

/// How far a sweep got before its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// The partition is empty: the application and all its children are gone.
    Done,
    /// Time ran out; the application is still marked `deleting` and reads as gone.
    Unfinished,
}

impl Store {
    /// Sweeps the partition of an application marked `deleting` until it is empty or
    /// `deadline` passes. An application that is not marked is left alone, and so is the
    /// partition of one already gone: its item is deleted last, once nothing else of it is
    /// left, so what the partition holds now was written since (an import of it again). Both
    /// are checked again before each page of deletes: another sweep may finish meanwhile.
    pub async fn sweep_application(
        &self,
        partition: &str,
        deadline: Instant,
    ) -> StoreResult<Sweep> {
        let key = table_key(partition, APPLICATION_SK);
        match self.mark(&key).await? {
            // Swept already (the request that deleted it often finishes before the stream
            // wakes the sweeper).
            None => return Ok(Sweep::Done),
            Some(false) => {
                tracing::warn!("asked to sweep an application that is not being deleted");
                return Ok(Sweep::Done);
            }
            Some(true) => {}
        }
        let mut expr = Expr::default();
        expr.key_equals(PK, partition);
        expr.project(&[PK, SK]);
        let mut pages = self
            .query(None, &expr)
            .consistent_read(true)
            .limit(SWEEP_PAGE)
            .into_paginator()
            .send();
        loop {
            if Instant::now() >= deadline {
                return Ok(Sweep::Unfinished);
            }
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(classify)?;
            // Another sweep of it may have finished, and an import written it again since: what
            // this page read is then the import's.
            if self.mark(&key).await? != Some(true) {
                return Ok(Sweep::Done);
            }
            let children: Vec<Item> = page
                .items
                .unwrap_or_default()
                .into_iter()
                .filter(|item| item.get(SK) != Some(&string(APPLICATION_SK)))
                .collect();
            // Owned batches: a closure over borrowed chunks makes the future not `Send` enough
            // for axum.
            let batches: Vec<Vec<Item>> = children
                .chunks(BATCH_WRITE_MAX)
                .map(<[Item]>::to_vec)
                .collect();
            futures::stream::iter(batches)
                .map(|batch| self.batch_delete(batch))
                .buffer_unordered(SWEEP_CONCURRENCY)
                .try_collect::<()>()
                .await?;
        }
        // Only while it is still the marked one: another sweep may have finished it, and an
        // import may have written it again since.
        let result = self
            .client
            .delete_item()
            .table_name(self.table())
            .set_key(Some(key))
            .condition_expression("attribute_exists(#deleting)")
            .expression_attribute_names("#deleting", DELETING)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Sweep::Done),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Sweep::Done)
            }
            Err(error) => Err(classify(error)),
        }
    }

    /// Whether the application item at `key` is marked `deleting` (read consistently); `None`
    /// when it is not there.
    async fn mark(&self, key: &Item) -> StoreResult<Option<bool>> {
        // The key too: an item with none of the attributes asked for may come back as none.
        let item = self.get_item(key.clone(), &[PK, DELETING]).await?;
        Ok(item.map(|item| item.contains_key(DELETING)))
    }

    /// One `BatchWriteItem` of deletes, retrying unprocessed items with a short backoff.
    async fn batch_delete(&self, keys: Vec<Item>) -> StoreResult<()> {
        let mut requests: Vec<WriteRequest> = keys
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|_| StoreError::Internal)
            })
            .collect::<StoreResult<_>>()?;
        for attempt in 0..8u32 {
            if requests.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(5))).await;
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(self.table(), std::mem::take(&mut requests))
                .send()
                .await
                .map_err(classify)?;
            requests = output
                .unprocessed_items
                .and_then(|mut unprocessed| unprocessed.remove(self.table()))
                .unwrap_or_default();
        }
        if requests.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Unavailable)
        }
    }
}
