//! Applications in the table: see `keys` for where each item lives.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem};

use super::{
    Expr, IdempotentRequest, Item, ListPage, Store, StoredResponse, Sweep, WriteOutcome, classify,
    failed_condition, failed_write, from_item, key_of, key_to_item, string, strings, table_key,
    to_item,
};
use crate::ResumeKey;
use crate::expr::written_by;
use crate::keys::{
    APPLICATION_SK, DELETING, GSI1, GSI1_PK, GSI1_SK, PK, SK, application_pk, applications_gsi_pk,
    applications_gsi_sk,
};
use crate::{Precondition, StoreError, StoreResult};
use domain::UserId;
use domain::application::STATUS_HISTORY_RECENT;
use domain::input::Patch;
use domain::values::NamedEnum;
use domain::{Application, ApplicationFilter, ApplicationPatch, Id, Status, Timestamp};
use domain::{FieldError, Invalid};

/// The most index pages one filtered list request reads before it answers with what it has.
const MAX_QUERY_PAGES: usize = 10;
/// Items read per index page while filtering.
const FILTERED_PAGE_ITEMS: i32 = 100;

impl Store {
    fn application_key(&self, user: &UserId, id: Id) -> Item {
        table_key(application_pk(user, id), APPLICATION_SK)
    }

    /// A new application's `Put`: fails if its key is taken.
    pub fn application_put(
        &self,
        user: &UserId,
        application: &Application,
    ) -> StoreResult<TransactWriteItem> {
        let mut item = to_item(application)?;
        item.extend(self.application_key(user, application.id));
        item.extend(strings([
            (GSI1_PK, applications_gsi_pk(user)),
            (GSI1_SK, applications_gsi_sk(application.id)),
            (crate::keys::TYPE, "application".to_owned()),
        ]));
        self.put_new(item)
    }

    /// A check that the application exists and is not being deleted, for a transaction that
    /// writes one of its children.
    pub(crate) fn live_application_check(
        &self,
        user: &UserId,
        id: Id,
    ) -> StoreResult<TransactWriteItem> {
        self.application_check(user, id, &Precondition::None)
    }

    /// [`Self::live_application_check`], at a version `precondition` admits (`If-Match` on a
    /// child's create names its application's version).
    pub(crate) fn application_check(
        &self,
        user: &UserId,
        id: Id,
        precondition: &Precondition,
    ) -> StoreResult<TransactWriteItem> {
        let mut expr = Expr::default();
        expr.require_live_item();
        expr.require_precondition(precondition);
        self.condition_check(self.application_key(user, id), &expr)
    }

    /// The write that moves an application to `status`, for a transaction with another write
    /// (recording a rejection), without reading it first. When `already` is false it changes
    /// the status and appends the history entry, on condition that the application is live and
    /// has another status; when true it only checks that the application is live and already
    /// has `status` (no change, no history entry). Either way at a version `precondition`
    /// admits. A failed condition cancels the transaction.
    pub(crate) fn status_change_write(
        &self,
        user: &UserId,
        id: Id,
        status: Status,
        now: Timestamp,
        already: bool,
        precondition: &Precondition,
    ) -> StoreResult<TransactWriteItem> {
        let key = self.application_key(user, id);
        let mut expr = Expr::default();
        expr.require_live_item();
        expr.require_precondition(precondition);
        let status_name = expr.name("status");
        let target = expr.value(string(status.as_str()));
        if already {
            expr.condition(format!("{status_name} = {target}"));
            return self.condition_check(key, &expr);
        }
        expr.condition(format!("{status_name} <> {target}"));
        expr.change_status(status, now)?;
        // A transaction is sent again with its client request token: applied once either way.
        expr.record_change(now);
        self.transact_update(key, &expr)
    }

    pub async fn create_application(
        &self,
        user: &UserId,
        application: &Application,
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
    ) -> StoreResult<WriteOutcome> {
        let put = self.application_put(user, application)?;
        self.write_new(vec![put], idempotency, application.created_at)
            .await
    }

    /// The application's item if it exists and is not being deleted (only its key attributes
    /// when `key_only`). Consistent: it decides 404s.
    async fn live_application_item(
        &self,
        user: &UserId,
        id: Id,
        key_only: bool,
    ) -> StoreResult<Option<Item>> {
        let projection: &[&str] = if key_only { &[PK, DELETING] } else { &[] };
        let item = self
            .get_item(self.application_key(user, id), projection)
            .await?;
        Ok(item.filter(|item| !item.contains_key(DELETING)))
    }

    /// The application, if it exists, is the caller's, and is not being deleted.
    pub async fn get_application(&self, user: &UserId, id: Id) -> StoreResult<Application> {
        let item = self.live_application_item(user, id, false).await?;
        from_item(item.ok_or(StoreError::NotFound)?)
    }

    /// Whether the application exists for the caller, reading only its key.
    pub async fn application_exists(&self, user: &UserId, id: Id) -> StoreResult<bool> {
        Ok(self.live_application_item(user, id, true).await?.is_some())
    }

    /// The caller's applications matching `filter`, newest first, `limit` at most, resuming
    /// after `start`. Each match is returned exactly once across pages: the resume key is the
    /// last item returned, not the last item read.
    pub async fn list_applications(
        &self,
        user: &UserId,
        filter: &ApplicationFilter,
        limit: usize,
        start: Option<ResumeKey>,
    ) -> StoreResult<ListPage<Application>> {
        if start
            .as_ref()
            .is_some_and(|key| !is_applications_resume_key(user, key))
        {
            return Err(StoreError::InvalidResumeKey);
        }
        let mut start = start.map(|key| key_to_item(&key));
        let mut expr = Expr::default();
        expr.key_equals(GSI1_PK, &applications_gsi_pk(user));
        let mut page = self.page::<Application>(limit);
        for _ in 0..MAX_QUERY_PAGES {
            // Unfiltered: one more than needed tells whether a next page exists.
            let page_size = if filter.is_empty() {
                (page.room() + 1) as i32
            } else {
                FILTERED_PAGE_ITEMS
            };
            let output = self
                .query(Some(GSI1), &expr)
                .scan_index_forward(false)
                .limit(page_size)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in output.items.unwrap_or_default() {
                let key = key_of(&item, &[PK, SK, GSI1_PK, GSI1_SK]);
                let application: Application = from_item(item)?;
                if filter.matches(&application) && !page.push(application, key) {
                    return Ok(page.full());
                }
            }
            match output.last_evaluated_key {
                None => return Ok(page.end(None)),
                Some(key) => start = Some(key),
            }
        }
        // Read enough for one request: resume after the last item read.
        Ok(page.end(start.map(|key| key_of(&key, &[PK, SK, GSI1_PK, GSI1_SK]))))
    }

    /// Applies `patch` in one conditional `UpdateItem`: only the named fields change, so a
    /// concurrent change to another field is never lost. A status change appends its history
    /// entry in the same write.
    pub async fn update_application(
        &self,
        user: &UserId,
        id: Id,
        patch: &ApplicationPatch,
        precondition: &Precondition,
        now: Timestamp,
    ) -> StoreResult<Application> {
        let key = self.application_key(user, id);
        let updated = match self
            .try_update_application(key.clone(), patch, precondition, now)
            .await?
        {
            Some(updated) => updated,
            // The status is already the one asked for: no history entry, the rest still applies.
            None => {
                let rest = ApplicationPatch {
                    status: None,
                    ..patch.clone()
                };
                if rest.is_empty() {
                    // Nothing else to write: the answer is the application as it is.
                    self.get_application(user, id).await?
                } else {
                    // Without a status there is no status to be unchanged.
                    self.try_update_application(key, &rest, precondition, now)
                        .await?
                        .ok_or(StoreError::Internal)?
                }
            }
        };
        Ok(self.trim_history(user, id, updated).await)
    }

    /// One conditional `UpdateItem` of `patch`; `None` (nothing written) when its status is
    /// already the one asked for.
    async fn try_update_application(
        &self,
        key: Item,
        patch: &ApplicationPatch,
        precondition: &Precondition,
        now: Timestamp,
    ) -> StoreResult<Option<Application>> {
        let (expr, token) = update_expression(patch, precondition, now)?;
        let result = self
            .conditional_update(key, &expr)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => from_item(output.attributes.unwrap_or_default()).map(Some),
            Err(error) => match failed_condition(&error) {
                // Sent again after its answer was lost: the first attempt wrote it.
                Some(Some(old)) if written_by(old, &token) => from_item(old.clone()).map(Some),
                Some(old) => {
                    explain_failed_update(old.cloned(), patch, precondition).map(|()| None)
                }
                None => Err(classify(error)),
            },
        }
    }

    /// Keeps `status_history` to its first entry and the latest [`STATUS_HISTORY_RECENT`]: one
    /// expression cannot both `list_append` to a list and `REMOVE` its elements, so an update
    /// that left it longer is followed by a second `UpdateItem` that removes the oldest entries
    /// but the first, on condition that nothing changed since (same `version` and history
    /// length; the trim itself changes neither `version` nor `updated_at`). If that write fails,
    /// the application is answered as updated and the next update trims; if it fails because
    /// the SDK sent it again after its answer was lost (the item as the first attempt left it:
    /// same version, trimmed history), it is answered trimmed.
    async fn trim_history(
        &self,
        user: &UserId,
        id: Id,
        mut application: Application,
    ) -> Application {
        let excess = application
            .status_history
            .len()
            .saturating_sub(STATUS_HISTORY_RECENT + 1);
        if excess == 0 {
            return application;
        }
        let mut expr = Expr::default();
        let history = expr.name("status_history");
        // Indexes name positions before the update: entries 1..=excess are the oldest but one.
        for index in 1..=excess {
            expr.remove_raw(format!("{history}[{index}]"));
        }
        let (version, current) = (
            expr.name("version"),
            expr.value(number(application.version)),
        );
        expr.condition(format!("{version} = {current}"));
        // And the history as read: a trim the SDK sends again after its answer was lost would
        // remove more entries (the trim leaves the version as it is).
        let length = expr.value(number(application.status_history.len() as u64));
        expr.condition(format!("size({history}) = {length}"));
        let result = self
            .conditional_update(self.application_key(user, id), &expr)
            .send()
            .await;
        let trimmed = application.status_history.len() - excess;
        match result {
            Ok(_) => {
                application.status_history.drain(1..=excess);
            }
            // Sent again after its answer was lost: the first attempt trimmed it.
            Err(error)
                if failed_condition(&error).flatten().is_some_and(|old| {
                    old.get("version") == Some(&number(application.version))
                        && matches!(old.get("status_history"), Some(AttributeValue::L(h)) if h.len() == trimmed)
                }) =>
            {
                application.status_history.drain(1..=excess);
            }
            Err(error) => {
                tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "status history not trimmed; the next update trims it");
            }
        }
        application
    }

    /// Deletes the application and every item of its collection, with no `Scan`: marks it
    /// `deleting` (it reads as gone at once, leaves the list, and takes no new children), then
    /// sweeps its partition for at most `budget` ([`Store::sweep_application`]). What a request
    /// leaves is finished by the sweeper function, which DynamoDB Streams wake for every marked
    /// application; a retried `DELETE` also resumes it.
    pub async fn delete_application(
        &self,
        user: &UserId,
        id: Id,
        precondition: &Precondition,
        budget: Duration,
    ) -> StoreResult<Sweep> {
        let deadline = Instant::now() + budget;
        let mut expr = Expr::default();
        expr.set(DELETING, AttributeValue::Bool(true));
        expr.remove(GSI1_PK);
        expr.remove(GSI1_SK);
        let (pk, deleting) = (expr.name(PK), expr.name(DELETING));
        // A delete that stopped part-way is resumed whatever version it was asked for.
        let condition = match expr.version_condition(precondition) {
            Some(version) => {
                format!("attribute_exists({pk}) AND (attribute_exists({deleting}) OR {version})")
            }
            None => format!("attribute_exists({pk})"),
        };
        expr.condition(condition);
        self.conditional_update(self.application_key(user, id), &expr)
            .send()
            .await
            .map_err(failed_write)?;
        self.sweep_application(&application_pk(user, id), deadline)
            .await
    }
}

/// Whether `key` can resume the caller's `GSI1` query: exactly the index's and the table's key
/// attributes, of one of the caller's applications. Anything else would be refused by DynamoDB
/// (a 500) or, worse, accepted: a cursor's signature is not the only check.
fn is_applications_resume_key(user: &UserId, key: &ResumeKey) -> bool {
    let Some(id) = key.get(GSI1_SK).and_then(|sk| sk.parse::<Id>().ok()) else {
        return false;
    };
    key.len() == 4
        && key.get(GSI1_SK) == Some(&applications_gsi_sk(id))
        && key.get(GSI1_PK) == Some(&applications_gsi_pk(user))
        && key.get(PK) == Some(&application_pk(user, id))
        && key.get(SK).map(String::as_str) == Some(APPLICATION_SK)
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The update `patch` makes: its fields, a status change with its history entry (conditioned
/// on being a change), the version bump, and the conditions on the stored item; with its token.
fn update_expression(
    patch: &ApplicationPatch,
    precondition: &Precondition,
    now: Timestamp,
) -> StoreResult<(Expr, String)> {
    let mut expr = Expr::default();
    expr.apply_changes(&patch.field_changes())?;
    if let Some(status) = patch.status {
        let status_value = expr.change_status(status, now)?;
        if status == Status::Applied && patch.applied_date.is_absent() {
            let applied = expr.name("applied_date");
            let today = expr.value(string(now.date().to_string()));
            expr.set_raw(format!("{applied} = if_not_exists({applied}, {today})"));
        }
        let status_name = expr.name("status");
        // Only a real change is recorded; an equal status fails here and is retried without.
        expr.condition(format!("{status_name} <> {status_value}"));
    }
    let token = expr.record_change(now);
    expr.require_live_item();
    expr.require_precondition(precondition);
    // A salary bound given alone is checked against the stored other bound.
    for (given, stored, order, other) in [
        (&patch.salary_min, "salary_max", ">=", &patch.salary_max),
        (&patch.salary_max, "salary_min", "<=", &patch.salary_min),
    ] {
        if let (Patch::Value(bound), Patch::Absent) = (given, other) {
            let (stored, bound) = (expr.name(stored), expr.value(number(*bound)));
            expr.condition(format!(
                "attribute_not_exists({stored}) OR {stored} {order} {bound}"
            ));
        }
    }
    Ok((expr, token))
}

/// Names the condition that failed from the item as it was then: `Ok` when it was only the
/// status, which is already the one asked for.
fn explain_failed_update(
    old: Option<Item>,
    patch: &ApplicationPatch,
    precondition: &Precondition,
) -> StoreResult<()> {
    let old = old.filter(|item| !item.contains_key(DELETING));
    let old: Application = from_item(old.ok_or(StoreError::NotFound)?)?;
    if !precondition.admits(old.version) {
        return Err(StoreError::VersionMismatch);
    }
    let mut errors = Vec::new();
    if let (Patch::Value(min), Some(max)) = (&patch.salary_min, old.salary_max)
        && patch.salary_max.is_absent()
        && *min > max
    {
        errors.push(FieldError::new(
            "salary_min",
            format!("must not be greater than salary_max ({max})"),
        ));
    }
    if let (Patch::Value(max), Some(min)) = (&patch.salary_max, old.salary_min)
        && patch.salary_min.is_absent()
        && *max < min
    {
        errors.push(FieldError::new(
            "salary_max",
            format!("must not be less than salary_min ({min})"),
        ));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(Invalid(errors)));
    }
    if patch.status.is_some_and(|status| status == old.status) {
        return Ok(());
    }
    tracing::error!("conditional update failed for no known reason");
    Err(StoreError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_key_has_exactly_the_query_key_of_one_of_the_callers_applications() {
        let (alice, bob) = (
            UserId::parse("alice").unwrap(),
            UserId::parse("bob").unwrap(),
        );
        let id = Id::generate();
        let good: ResumeKey = [
            (PK.to_owned(), application_pk(&alice, id)),
            (SK.to_owned(), APPLICATION_SK.to_owned()),
            (GSI1_PK.to_owned(), applications_gsi_pk(&alice)),
            (GSI1_SK.to_owned(), applications_gsi_sk(id)),
        ]
        .into();
        assert!(is_applications_resume_key(&alice, &good));
        assert!(!is_applications_resume_key(&bob, &good));
        let mut extra = good.clone();
        extra.insert("forged".to_owned(), "x".to_owned());
        assert!(!is_applications_resume_key(&alice, &extra));
        for name in [PK, SK, GSI1_PK, GSI1_SK] {
            let mut missing = good.clone();
            missing.remove(name);
            assert!(!is_applications_resume_key(&alice, &missing), "{name}");
            let mut renamed = missing.clone();
            renamed.insert(name.to_lowercase(), good[name].clone());
            assert!(!is_applications_resume_key(&alice, &renamed), "{name}");
        }
        let mut other_item = good.clone();
        other_item.insert(PK.to_owned(), application_pk(&alice, Id::generate()));
        assert!(!is_applications_resume_key(&alice, &other_item));
    }
}
