//! Export and import: a page of applications with their children, and idempotent bulk writes.
//!
//! An import writes each application and its children with conditional `Put`s
//! (`attribute_not_exists`) in `TransactWriteItems` of up to 100 items. Its ids are fixed by the
//! file (kept from our export, derived from a fingerprint otherwise), so a second import of the
//! same file names the same keys: every condition fails, nothing is written. A transaction
//! cancelled by failed conditions is retried without the items that exist; an interrupted
//! import (503) is retried the same way and writes only what is missing. A child is only ever
//! written beside its application's `Put`, or beside a check that the application is live: an
//! application being deleted takes no child from an import either (it would be swept, or
//! orphaned).

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem,
};
use futures::{StreamExt, TryStreamExt};

use super::{Expr, Item, ListPage, Store, classify, from_item, json_size, key_of, table_key};
use crate::ResumeKey;
use crate::keys::{APPLICATION_SK, DELETING, PK, SK, application_pk, child_sk, child_sk_prefix};
use crate::{StoreError, StoreResult};
use domain::transfer::{ExportedApplication, ImportedApplication};
use domain::{Application, ApplicationFilter, ChildKind, Feedback, Id, Rejection, UserId};

/// Items per transaction (DynamoDB's limit).
const TRANSACTION_ITEMS: usize = 100;
/// Bytes of items per transaction, well under DynamoDB's 4 MB.
const TRANSACTION_BYTES: usize = 2 * 1024 * 1024;
/// Transactions (and partition queries) in flight at once.
const IN_FLIGHT: usize = 4;
/// Rounds of one transaction: each drops the items that exist, or waits out a conflict.
const TRANSACTION_ROUNDS: usize = 6;
/// How long one export page may spend reading (its `GSI1` query and its partitions) before it
/// ends early, with a cursor to the rest. The transfer function has 29 s (template.yaml; API
/// Gateway answers its own 5xx past that), and a page of 500 applications reads 501 queries:
/// with DynamoDB answering each in 250 ms, such a page took 33 s. Reading stops at 20 s, which
/// leaves 9 s for the rest of the request: the reads in flight are dropped at once, and the
/// page (at most 4 MB) is built and sent in well under a second; the margin covers a cold
/// start and a slow moment.
pub const EXPORT_READ_TIME: std::time::Duration = std::time::Duration::from_secs(20);
/// How long one import may spend on the database (its look-ups and writes) before it answers
/// 503. The transfer function has 29 s, and API Gateway answers its own bare 5xx past that. An
/// application and its children share a partition key, and DynamoDB writes one partition at
/// about 1,000 units a second: an application's 10,000 children, at 2 units each in a
/// transaction, alone take 20 s or more. Stopped at 20 s, the transactions in flight are dropped (each is whole or not at all)
/// and the 503 says to send the file again: what was written is skipped, the rest is written.
pub const IMPORT_TIME: std::time::Duration = std::time::Duration::from_secs(20);
/// The most bytes of applications an export page holds, as the Lambda response carries them
/// (Lambda's limit is 6 MB; the rest of the document, or the CSV header, is small).
pub const EXPORT_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// How an export page measures what it holds; its format decides.
#[derive(Debug, Clone, Copy)]
pub struct ExportSizing {
    /// The bytes one application adds to the page.
    pub size: fn(&ExportedApplication) -> usize,
    /// Whether the page carries the children themselves (JSON), so it may end inside an
    /// application that alone passes a limit. A CSV row only counts them: it reads all of
    /// them, their keys and dates only.
    pub split: bool,
}

/// What an import wrote for one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOutcome {
    /// The application was written (false: it existed).
    pub created: bool,
    /// Its feedback and rejections written (those that existed are skipped).
    pub children_created: usize,
    /// It exists but is being deleted: nothing more of it was written.
    pub being_deleted: bool,
}

/// An application an import names that the caller has already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Live,
    BeingDeleted,
}

/// What a whole import wrote, and the write capacity it consumed.
#[derive(Debug, Clone, Default)]
pub struct ImportWrite {
    pub outcomes: Vec<ImportOutcome>,
    pub capacity_units: f64,
}

/// One item of an import's transaction, and whose it is.
struct Pending {
    unit: usize,
    application: Id,
    role: Role,
    size: usize,
    write: TransactWriteItem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The application's `Put`.
    Application,
    /// A child's `Put`.
    Child,
    /// A check that the application is live, for children written without its `Put`.
    LiveCheck,
}

/// What a run of import transactions wrote.
#[derive(Default)]
struct Written {
    items: Vec<(usize, Role)>,
    being_deleted: HashSet<usize>,
    capacity: f64,
}

impl Written {
    fn add(&mut self, other: Written) {
        self.items.extend(other.items);
        self.being_deleted.extend(other.being_deleted);
        self.capacity += other.capacity;
    }
}

impl Store {
    /// A page of the caller's applications, newest first, each with its feedback and
    /// rejections (one `Query` of its partition, a few in flight).
    ///
    /// The page ends early, resuming behind its last application, once reading has taken
    /// [`EXPORT_READ_TIME`], before the application that would take its children past
    /// [`MAX_IMPORT_CHILDREN`](domain::transfer::MAX_IMPORT_CHILDREN) (so `POST /import`
    /// takes every page as it is), or before the one that would take it past
    /// [`EXPORT_PAGE_BYTES`] as `sizing` measures it. It always holds its first application.
    /// When `sizing` carries the children themselves (JSON), an application that alone passes
    /// either limit is cut: the page holds it with the first of its children that fit, and
    /// the next page starts with it again, with the rest of them.
    pub async fn export_page(
        &self,
        user: &UserId,
        limit: usize,
        start: Option<ResumeKey>,
        sizing: ExportSizing,
    ) -> StoreResult<ListPage<ExportedApplication>> {
        let deadline = tokio::time::Instant::now() + self.limits.export_read_time;
        let (list_start, inside) = export_start(start)?;
        // A page that continues an application the page before cut starts with it, read by
        // its key (an application created since comes before it in the list), and the list
        // resumes behind it.
        let continued = match &inside {
            Some((id, _)) => match self.get_application(user, *id).await {
                Ok(application) => Some(application),
                // Deleted since: the page goes on with the ones behind it.
                Err(StoreError::NotFound) => None,
                Err(error) => return Err(error),
            },
            None => None,
        };
        let list_start = match &inside {
            Some((id, _)) => Some(self.application_resume_key(user, *id)),
            None => list_start,
        };
        let room = limit - usize::from(continued.is_some());
        let page = self
            .list_applications(
                user,
                &ApplicationFilter::default(),
                room.max(1),
                list_start.clone(),
            )
            .await?;
        let (more_applications, list_resume) = if room == 0 {
            // The continued application fills the page: the list only tells whether more follow.
            let resume = list_start.filter(|_| !page.items.is_empty());
            (Vec::new(), resume)
        } else {
            (page.items, page.resume)
        };
        let applications: Vec<Application> =
            continued.into_iter().chain(more_applications).collect();
        let listed = applications.len();
        let inside = &inside;
        let mut reads = futures::stream::iter(applications.into_iter().enumerate())
            .map(|(index, application)| async move {
                // The page before ended inside this application: the rest of its children.
                let after = inside
                    .as_ref()
                    .filter(|(id, _)| index == 0 && *id == application.id)
                    .map(|(_, after)| after.as_str());
                self.children_of(user, application, after, sizing.split)
                    .await
            })
            .buffered(IN_FLIGHT);
        let mut items: Vec<ExportedApplication> = Vec::with_capacity(listed);
        let (mut children, mut bytes) = (0, 0);
        // Set when the page ends inside its last application: behind this child of it.
        let mut cut_after = None;
        while items.len() < listed {
            let next = if items.is_empty() {
                reads.next().await
            } else if tokio::time::Instant::now() >= deadline {
                // Nothing more once the time is up, not even a read already done (which
                // `timeout_at` would still take).
                break;
            } else {
                // The reads in flight are dropped when the time runs out waiting for them.
                match tokio::time::timeout_at(deadline, reads.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                }
            };
            let Some((mut exported, mut more)) = next.transpose()? else {
                break;
            };
            let count = exported.feedback.len() + exported.rejections.len();
            let size = (sizing.size)(&exported);
            if !items.is_empty()
                && (children + count > self.limits.export_children
                    || bytes + size > self.limits.export_page_bytes)
            {
                break;
            }
            if sizing.split && size > self.limits.export_page_bytes {
                more |= keep_children_within(&mut exported, self.limits.export_page_bytes);
            }
            children += count;
            bytes += size;
            if more {
                cut_after = last_child_sk(&exported);
            }
            items.push(exported);
            if cut_after.is_some() {
                break;
            }
        }
        let resume = match (cut_after, items.last()) {
            // Cut inside its last application: the next page continues it.
            (Some(after), Some(last)) => Some(ResumeKey::from([
                (INSIDE.to_owned(), last.application.id.to_string()),
                (AFTER_CHILD.to_owned(), after),
            ])),
            _ if items.len() == listed => list_resume,
            // Cut short: the next page starts with the first application this one left out.
            (_, last) => last.map(|last| self.application_resume_key(user, last.application.id)),
        };
        Ok(ListPage { items, resume })
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

    /// `application` with its feedback and rejections, oldest first: those behind the child
    /// `after` (all of them without it); and whether more remain. To be sent whole (`split`,
    /// JSON), at most an export page's children, and no more once they pass its bytes (so a
    /// page never holds much more than it sends). Otherwise (a CSV row counts them) all of
    /// them, each read with its keys and dates only, its texts left empty.
    async fn children_of(
        &self,
        user: &UserId,
        application: Application,
        after: Option<&str>,
        split: bool,
    ) -> StoreResult<(ExportedApplication, bool)> {
        let (most, most_bytes) = if split {
            (self.limits.export_children, self.limits.export_page_bytes)
        } else {
            (usize::MAX, usize::MAX)
        };
        let pk = application_pk(user, application.id);
        let mut exported = ExportedApplication {
            application,
            feedback: Vec::new(),
            rejections: Vec::new(),
        };
        let mut bytes = 0;
        let mut expr = Expr::default();
        expr.key_equals(PK, &pk);
        if !split {
            expr.project(&[
                SK,
                "id",
                "application_id",
                "feedback_date",
                "rejected_date",
                "created_at",
                "updated_at",
                "version",
            ]);
        }
        let mut pages = self
            .query(None, &expr)
            .consistent_read(true)
            .set_exclusive_start_key(after.map(|sk| table_key(pk.clone(), sk)))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for item in page.map_err(classify)?.items.unwrap_or_default() {
                let sk = match item.get(SK) {
                    Some(AttributeValue::S(sk)) => sk.clone(),
                    _ => continue,
                };
                let feedback = sk.starts_with(child_sk_prefix(ChildKind::Feedback));
                if !feedback && !sk.starts_with(child_sk_prefix(ChildKind::Rejection)) {
                    continue;
                }
                if exported.feedback.len() + exported.rejections.len() == most || bytes > most_bytes
                {
                    return Ok((exported, true));
                }
                if feedback {
                    let child: Feedback = from_item(item)?;
                    bytes += json_size(&child);
                    exported.feedback.push(child);
                } else {
                    let child: Rejection = from_item(item)?;
                    bytes += json_size(&child);
                    exported.rejections.push(child);
                }
            }
        }
        Ok((exported, false))
    }

    /// Which of these applications the caller has already, and whether each is being deleted:
    /// what a dry run reports.
    pub async fn existing_applications(
        &self,
        user: &UserId,
        ids: &[Id],
    ) -> StoreResult<HashMap<Id, Presence>> {
        let by_pk: HashMap<String, Id> = ids
            .iter()
            .map(|id| (application_pk(user, *id), *id))
            .collect();
        let keys = by_pk
            .keys()
            .map(|pk| table_key(pk.clone(), APPLICATION_SK))
            .collect();
        let mut found = HashMap::new();
        for item in self.items_found(keys, &[PK, DELETING]).await? {
            if let Some(AttributeValue::S(pk)) = item.get(PK)
                && let Some(id) = by_pk.get(pk)
            {
                let presence = if item.contains_key(DELETING) {
                    Presence::BeingDeleted
                } else {
                    Presence::Live
                };
                found.insert(*id, presence);
            }
        }
        Ok(found)
    }

    /// How many of each application's feedback and rejections in `units` the caller has
    /// already, by key, as the import's conditions find them: what a dry run leaves out of an
    /// existing application's `children_created` (a restore cut short, or children deleted
    /// since the export).
    pub async fn existing_children(
        &self,
        user: &UserId,
        units: &[&ImportedApplication],
    ) -> StoreResult<HashMap<Id, usize>> {
        let mut application_of: HashMap<ResumeKey, Id> = HashMap::new();
        let mut keys = Vec::new();
        for imported in units {
            let application = imported.application.id;
            let feedback = imported
                .feedback
                .iter()
                .map(|f| self.child_key::<Feedback>(user, application, f.id));
            let rejections = imported
                .rejections
                .iter()
                .map(|r| self.child_key::<Rejection>(user, application, r.id));
            for key in feedback.chain(rejections) {
                if application_of
                    .insert(key_of(&key, &[PK, SK]), application)
                    .is_none()
                {
                    keys.push(key);
                }
            }
        }
        let mut existing = HashMap::new();
        for item in self.items_found(keys, &[PK, SK]).await? {
            if let Some(application) = application_of.get(&key_of(&item, &[PK, SK])) {
                *existing.entry(*application).or_default() += 1;
            }
        }
        Ok(existing)
    }

    /// The items of `keys` that exist, with only `attributes` (`BatchGetItem`, 100 keys a call,
    /// a few calls at a time). Keys DynamoDB leaves unprocessed (throttling) are asked again
    /// after a short wait; any still unread make it `Unavailable`: unread is not absent, and a
    /// dry run would call existing rows new.
    async fn items_found(&self, keys: Vec<Item>, attributes: &[&str]) -> StoreResult<Vec<Item>> {
        let chunks: Vec<Vec<Item>> = keys.chunks(100).map(<[Item]>::to_vec).collect();
        let found: Vec<Vec<Item>> = futures::stream::iter(chunks)
            .map(|chunk| self.chunk_found(chunk, attributes))
            .buffered(IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn chunk_found(
        &self,
        mut keys: Vec<Item>,
        attributes: &[&str],
    ) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        for round in 0..TRANSACTION_ROUNDS {
            if keys.is_empty() {
                return Ok(found);
            }
            if round > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
            }
            let mut expr = Expr::default();
            expr.project(attributes);
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut keys)))
                .set_projection_expression(expr.projection_expression())
                .set_expression_attribute_names(expr.names())
                .consistent_read(true)
                .build()
                .map_err(|_| StoreError::Internal)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(self.table(), request)
                .customize()
                .config_override(self.timeouts_of_at_least(BULK_ATTEMPT, BULK_OPERATION))
                .send()
                .await
                .map_err(classify)?;
            found.extend(
                output
                    .responses
                    .and_then(|mut r| r.remove(self.table()))
                    .unwrap_or_default(),
            );
            keys = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(self.table()))
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        if keys.is_empty() {
            return Ok(found);
        }
        tracing::warn!(unprocessed = keys.len(), "look-ups left unprocessed");
        Err(StoreError::Unavailable)
    }

    /// Writes `units` (applications with their children) under the caller's keys, each item
    /// only if its key is free. Returns per unit what was written.
    ///
    /// A unit goes into one transaction with others when it fits; a larger one is split, and
    /// its later transactions (each with a check that the application is live) follow the
    /// first in order.
    pub async fn import(
        &self,
        user: &UserId,
        units: &[&ImportedApplication],
    ) -> StoreResult<ImportWrite> {
        // Each run is written in order; runs are written a few at a time.
        let mut runs: Vec<Vec<Vec<Pending>>> = Vec::new();
        let mut shared: Vec<Pending> = Vec::new();
        let mut shared_bytes = 0;
        for (unit, imported) in units.iter().enumerate() {
            let items = self.unit_writes(user, unit, imported)?;
            let bytes: usize = items.iter().map(|p| p.size).sum();
            if items.len() <= TRANSACTION_ITEMS && bytes <= TRANSACTION_BYTES {
                if shared.len() + items.len() > TRANSACTION_ITEMS
                    || shared_bytes + bytes > TRANSACTION_BYTES
                {
                    runs.push(vec![std::mem::take(&mut shared)]);
                    shared_bytes = 0;
                }
                shared.extend(items);
                shared_bytes += bytes;
            } else {
                runs.push(self.split_unit(user, items)?);
            }
        }
        if !shared.is_empty() {
            runs.push(vec![shared]);
        }
        let results: Vec<Written> = futures::stream::iter(runs)
            .map(|run| self.write_run(user, run))
            .buffer_unordered(IN_FLIGHT)
            .try_collect()
            .await?;
        let mut all = Written::default();
        for written in results {
            all.add(written);
        }
        let mut write = ImportWrite {
            outcomes: vec![ImportOutcome::default(); units.len()],
            capacity_units: all.capacity,
        };
        for (unit, role) in all.items {
            let outcome = &mut write.outcomes[unit];
            match role {
                Role::Application => outcome.created = true,
                Role::Child => outcome.children_created += 1,
                Role::LiveCheck => {}
            }
        }
        for unit in all.being_deleted {
            write.outcomes[unit].being_deleted = true;
        }
        Ok(write)
    }

    /// A unit's writes: its application's `Put` first, then its children's.
    fn unit_writes(
        &self,
        user: &UserId,
        unit: usize,
        imported: &ImportedApplication,
    ) -> StoreResult<Vec<Pending>> {
        let application = &imported.application;
        let pending = |role, size, write| Pending {
            unit,
            application: application.id,
            role,
            size,
            write,
        };
        let mut put = self.application_put(user, application)?;
        // When the application exists, its old item tells whether it is being deleted.
        if let Some(put) = put.put.as_mut() {
            put.return_values_on_condition_check_failure =
                Some(ReturnValuesOnConditionCheckFailure::AllOld);
        }
        let mut items = vec![pending(
            Role::Application,
            approximate_size(application),
            put,
        )];
        for feedback in &imported.feedback {
            let write = self.child_put(user, application.id, feedback)?;
            items.push(pending(Role::Child, approximate_size(feedback), write));
        }
        for rejection in &imported.rejections {
            let write = self.child_put(user, application.id, rejection)?;
            items.push(pending(Role::Child, approximate_size(rejection), write));
        }
        Ok(items)
    }

    /// A unit too large for one transaction, as transactions to write in order: the first
    /// with the application's `Put`, each later one with a check that it is live.
    fn split_unit(&self, user: &UserId, items: Vec<Pending>) -> StoreResult<Vec<Vec<Pending>>> {
        let mut transactions: Vec<Vec<Pending>> = Vec::new();
        let mut bytes = 0;
        for item in items {
            let full = transactions.last().is_none_or(|transaction| {
                transaction.len() == TRANSACTION_ITEMS || bytes + item.size > TRANSACTION_BYTES
            });
            if full {
                let mut transaction = Vec::new();
                bytes = 0;
                if !transactions.is_empty() {
                    transaction.push(self.live_check(user, &item)?);
                }
                transactions.push(transaction);
            }
            bytes += item.size;
            if let Some(transaction) = transactions.last_mut() {
                transaction.push(item);
            }
        }
        Ok(transactions)
    }

    /// The check that `item`'s application is live, to write in its place or beside its
    /// children.
    fn live_check(&self, user: &UserId, item: &Pending) -> StoreResult<Pending> {
        Ok(Pending {
            unit: item.unit,
            application: item.application,
            role: Role::LiveCheck,
            size: 256,
            write: self.live_application_check(user, item.application)?,
        })
    }

    /// Writes a run of transactions in order; a unit found being deleted is left out of the
    /// rest.
    async fn write_run(&self, user: &UserId, run: Vec<Vec<Pending>>) -> StoreResult<Written> {
        let mut written = Written::default();
        for mut transaction in run {
            transaction.retain(|p| !written.being_deleted.contains(&p.unit));
            let more = self.write_transaction(user, transaction).await?;
            written.add(more);
        }
        Ok(written)
    }

    /// One transaction of new items, retried without what its failed conditions rule out: an
    /// item whose key exists is dropped, except an application's `Put`, which becomes a check
    /// that the application is live (its children are still written: a restore cut short); a
    /// failed check drops the whole unit (it is being deleted).
    async fn write_transaction(
        &self,
        user: &UserId,
        mut transaction: Vec<Pending>,
    ) -> StoreResult<Written> {
        let mut written = Written::default();
        for round in 0..TRANSACTION_ROUNDS {
            transaction.retain(|p| !written.being_deleted.contains(&p.unit));
            if transaction.iter().all(|p| p.role == Role::LiveCheck) {
                return Ok(written);
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transaction.iter().map(|p| p.write.clone()).collect()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .customize()
                .config_override(self.timeouts_of_at_least(BULK_ATTEMPT, BULK_OPERATION))
                .send()
                .await;
            let error = match result {
                Ok(output) => {
                    written.capacity += output
                        .consumed_capacity()
                        .iter()
                        .filter_map(|c| c.capacity_units())
                        .sum::<f64>();
                    written.items = transaction.iter().map(|p| (p.unit, p.role)).collect();
                    return Ok(written);
                }
                Err(error) => error,
            };
            let reasons = match &error {
                SdkError::ServiceError(service) => match service.err() {
                    TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                        cancelled.cancellation_reasons()
                    }
                    _ => return Err(classify(error)),
                },
                _ => return Err(classify(error)),
            };
            let codes: Vec<Option<&str>> = reasons.iter().map(|r| r.code()).collect();
            tracing::warn!(?codes, "import transaction cancelled");
            // Per item: `None` if its condition held, else whether the item as it was is an
            // application being deleted.
            let failed: Vec<Option<bool>> = (0..transaction.len())
                .map(|i| {
                    let reason = reasons.get(i)?;
                    (reason.code() == Some("ConditionalCheckFailed")).then(|| {
                        reason
                            .item
                            .as_ref()
                            .is_some_and(|old| old.contains_key(DELETING))
                    })
                })
                .collect();
            if failed.iter().all(Option::is_none) {
                // A conflict with another write: wait a little, then try again.
                tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
                continue;
            }
            let mut next = Vec::with_capacity(transaction.len());
            for (item, failed) in transaction.into_iter().zip(failed) {
                match (failed, item.role) {
                    (None, _) => next.push(item),
                    // It exists: its children are still written (a restore cut short), beside
                    // a check that it stays live.
                    (Some(false), Role::Application) => next.push(self.live_check(user, &item)?),
                    (Some(_), Role::Application | Role::LiveCheck) => {
                        written.being_deleted.insert(item.unit);
                    }
                    (Some(_), Role::Child) => {}
                }
            }
            transaction = next;
        }
        Err(StoreError::Unavailable)
    }
}

/// A transaction of up to 100 items, or a look-up of 100 keys, may take longer than the
/// client's timeouts for single items allow (DynamoDB Local needs about a second for such a
/// transaction): its own, still bounded.
const BULK_ATTEMPT: std::time::Duration = std::time::Duration::from_secs(5);
const BULK_OPERATION: std::time::Duration = std::time::Duration::from_secs(12);

fn approximate_size<T: serde::Serialize>(value: &T) -> usize {
    // Attribute names and values, plus the keys and a margin.
    serde_json::to_vec(value).map_or(4096, |v| v.len() + 256)
}

/// The resume key of an export page that ended inside an application: its id, and the sort
/// key of the last of its children that page held.
const INSIDE: &str = "export_inside";
const AFTER_CHILD: &str = "export_after_child";

/// The application an export page starts inside of, and the sort key of the child it
/// resumes behind.
type Inside = (Id, String);

/// An export page's resume key: the list's own key (absent: from the newest), or the
/// application the page starts inside of.
fn export_start(start: Option<ResumeKey>) -> StoreResult<(Option<ResumeKey>, Option<Inside>)> {
    let Some(key) = start else {
        return Ok((None, None));
    };
    match (key.get(INSIDE), key.get(AFTER_CHILD)) {
        (None, None) => Ok((Some(key), None)),
        (Some(id), Some(after)) if key.len() == 2 => {
            let id = id.parse().map_err(|_| StoreError::InvalidResumeKey)?;
            Ok((None, Some((id, after.clone()))))
        }
        _ => Err(StoreError::InvalidResumeKey),
    }
}

/// Cuts `exported`'s children (in the order its partition holds them: feedback, then
/// rejections) to those that fit in `budget` bytes of JSON with it, keeping at least one.
/// Whether any was cut.
fn keep_children_within(exported: &mut ExportedApplication, budget: usize) -> bool {
    let mut bytes = json_size(&ExportedApplication {
        application: exported.application.clone(),
        feedback: Vec::new(),
        rejections: Vec::new(),
    });
    let sizes = exported
        .feedback
        .iter()
        .map(json_size)
        .chain(exported.rejections.iter().map(json_size));
    let mut kept = 0;
    for size in sizes {
        if kept > 0 && bytes + size > budget {
            break;
        }
        bytes += size;
        kept += 1;
    }
    let feedback = kept.min(exported.feedback.len());
    let cut = kept < exported.feedback.len() + exported.rejections.len();
    exported.feedback.truncate(feedback);
    exported.rejections.truncate(kept - feedback);
    cut
}

/// The sort key of the last child an exported application holds.
fn last_child_sk(exported: &ExportedApplication) -> Option<String> {
    match (exported.rejections.last(), exported.feedback.last()) {
        (Some(rejection), _) => Some(child_sk(ChildKind::Rejection, rejection.id)),
        (None, Some(feedback)) => Some(child_sk(ChildKind::Feedback, feedback.id)),
        (None, None) => None,
    }
}
