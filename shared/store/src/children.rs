//! Feedback and rejections: children stored in their application's item collection.

use aws_sdk_dynamodb::types::{
    ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::{
    Expr, IdempotentRequest, Item, ListPage, LostAnswers, Store, StoredResponse, WriteOutcome,
    classify, failed_condition, failed_write, from_item, key_of, key_to_item, string, strings,
    table_key, to_item,
};
use crate::ResumeKey;
use crate::expr::written_by;
use crate::keys::{
    GSI1_PK, GSI1_SK, PK, SK, activity_gsi_pk, activity_gsi_sk, activity_shard, application_pk,
    child_sk, child_sk_prefix,
};
use crate::{Precondition, StoreError, StoreResult};
use domain::UserId;
use domain::{ChildResource, FieldChange, Id, Timestamp};

/// A child's key in the user's activity partition of `GSI1` (read by analytics).
fn activity_key<T: ChildResource>(user: &UserId, application: Id, id: Id) -> Item {
    strings([
        (GSI1_PK, activity_gsi_pk(user, activity_shard(application))),
        (GSI1_SK, activity_gsi_sk(application, T::KIND, id)),
    ])
}

/// How often a create re-reads the application after its condition failed on a concurrent
/// change (one that moves the application's status, or one sent with `If-Match`).
const STATUS_WRITE_ATTEMPTS: usize = 3;

impl Store {
    pub(crate) fn child_key<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        id: Id,
    ) -> Item {
        table_key(application_pk(user, application), &child_sk(T::KIND, id))
    }

    pub(crate) fn child_put<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        child: &T,
    ) -> StoreResult<TransactWriteItem> {
        let mut item = to_item(child)?;
        item.extend(self.child_key::<T>(user, application, child.id()));
        item.extend(activity_key::<T>(user, application, child.id()));
        item.insert(crate::keys::TYPE.to_owned(), string(T::COLLECTION));
        self.put_new(item)
    }

    /// Writes a new child together with its parent's condition — the parent must exist and not
    /// be being deleted — or, for a child that moves the application's status (a rejection),
    /// with that status change: both or neither. A missing parent is 404; a parent at a version
    /// `precondition` does not admit (`If-Match` on the create), 412.
    ///
    /// The status change is first written assuming the status differs (no read before the
    /// write); only if that condition fails is the application read, to tell "gone" (404) or
    /// "another version" (412) from "already has that status" (then the child is written beside
    /// a plain check).
    pub async fn create_child<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        child: &T,
        precondition: &Precondition,
        idempotency: Option<(&IdempotentRequest, &StoredResponse)>,
    ) -> StoreResult<WriteOutcome> {
        let now = child.created_at();
        let mut already = false;
        for _ in 0..STATUS_WRITE_ATTEMPTS {
            let parent = match T::SETS_APPLICATION_STATUS {
                None => self.application_check(user, application, precondition)?,
                Some(status) => {
                    self.status_change_write(user, application, status, now, already, precondition)?
                }
            };
            let put = self.child_put(user, application, child)?;
            match self.write_new(vec![parent, put], idempotency, now).await? {
                // Only being gone fails a plain check without If-Match.
                WriteOutcome::ConditionFailed(0)
                    if T::SETS_APPLICATION_STATUS.is_none()
                        && *precondition == Precondition::None =>
                {
                    return Err(StoreError::NotFound);
                }
                // Gone, another version, or its status is not what was assumed: read it, and
                // try again if it was only the status.
                WriteOutcome::ConditionFailed(0) => {
                    let current = self.get_application(user, application).await?;
                    if !precondition.admits(current.version) {
                        return Err(StoreError::VersionMismatch);
                    }
                    already = T::SETS_APPLICATION_STATUS == Some(current.status);
                }
                outcome => return Ok(outcome),
            }
        }
        Err(StoreError::Unavailable)
    }

    /// The caller's children of one application, newest first; 404 if the application is not
    /// the caller's. One `Query` on the item collection, beside a key-only read of the parent.
    pub async fn list_children<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        limit: usize,
        start: Option<ResumeKey>,
    ) -> StoreResult<ListPage<T>> {
        let partition = application_pk(user, application);
        // Exactly the table's key, in this application's collection of this kind.
        if start.as_ref().is_some_and(|key| {
            key.len() != 2
                || key.get(PK) != Some(&partition)
                || !key
                    .get(SK)
                    .is_some_and(|sk| sk.starts_with(child_sk_prefix(T::KIND)))
        }) {
            return Err(StoreError::InvalidResumeKey);
        }
        let mut expr = Expr::default();
        expr.key_equals(PK, &partition);
        expr.key_begins_with(SK, child_sk_prefix(T::KIND));
        let query = self
            .query(None, &expr)
            .scan_index_forward(false)
            .consistent_read(true)
            // One more than asked tells whether a next page exists.
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start.map(|key| key_to_item(&key)))
            .send();
        let (exists, output) = tokio::join!(self.application_exists(user, application), query);
        if !exists? {
            return Err(StoreError::NotFound);
        }
        let output = output.map_err(classify)?;
        // DynamoDB ends a query at 1 MB read: then the list goes on after the last item read.
        let resume = output.last_evaluated_key.map(|key| key_of(&key, &[PK, SK]));
        let mut page = self.page::<T>(limit);
        for item in output.items.unwrap_or_default() {
            let key = key_of(&item, &[PK, SK]);
            if !page.push(from_item(item)?, key) {
                return Ok(page.full());
            }
        }
        Ok(page.end(resume))
    }

    /// One child, if its application is the caller's and live.
    pub async fn get_child<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        id: Id,
    ) -> StoreResult<T> {
        let get = self.get_item(self.child_key::<T>(user, application, id), &[]);
        let (exists, item) = tokio::join!(self.application_exists(user, application), get);
        let item = item?;
        match (exists?, item) {
            (true, Some(item)) => from_item(item),
            _ => Err(StoreError::NotFound),
        }
    }

    /// Applies `changes` to one child in one conditional `UpdateItem`; 404 if the application
    /// is gone or being deleted (checked beside the write, as reads do: see `docs/api.md`).
    pub async fn update_child<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        id: Id,
        changes: &[FieldChange],
        precondition: &Precondition,
        now: Timestamp,
    ) -> StoreResult<T> {
        let mut expr = Expr::default();
        expr.apply_changes(changes)?;
        let token = expr.record_change(now);
        // Children written before the activity index get their keys when next touched.
        for (name, value) in activity_key::<T>(user, application, id) {
            expr.set(&name, value);
        }
        let pk = expr.name(PK);
        expr.condition(format!("attribute_exists({pk})"));
        expr.require_precondition(precondition);
        let update = self
            .conditional_update(self.child_key::<T>(user, application, id), &expr)
            .return_values(ReturnValue::AllNew)
            .send();
        let update = async {
            match update.await {
                Ok(output) => from_item(output.attributes.unwrap_or_default()),
                Err(error) => match failed_condition(&error) {
                    // Sent again after its answer was lost: the first attempt wrote it.
                    Some(Some(old)) if written_by(old, &token) => from_item(old.clone()),
                    _ => Err(failed_write(error)),
                },
            }
        };
        self.write_beside_live(user, application, update).await
    }

    /// Deletes one child (conditional on `If-Match`); 404 if the application is gone or being
    /// deleted (checked beside the delete). The application's status is left as it is.
    pub async fn delete_child<T: ChildResource>(
        &self,
        user: &UserId,
        application: Id,
        id: Id,
        precondition: &Precondition,
    ) -> StoreResult<()> {
        let mut expr = Expr::default();
        let pk = expr.name(PK);
        expr.condition(format!("attribute_exists({pk})"));
        expr.require_precondition(precondition);
        let delete = self
            .client
            .delete_item()
            .table_name(self.table())
            .set_key(Some(self.child_key::<T>(user, application, id)));
        let lost = LostAnswers::default();
        let delete = with_expr!(delete, expr)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .customize()
            .interceptor(lost.clone())
            .send();
        let delete = async {
            match delete.await {
                Ok(_) => Ok(()),
                // Sent again after its answer was lost: the first attempt deleted it.
                Err(error) if failed_condition(&error) == Some(None) && lost.any() => Ok(()),
                Err(error) => Err(failed_write(error)),
            }
        };
        self.write_beside_live(user, application, delete).await
    }

    /// `write`'s result, from beside a look at whether the application is live: 404 if it is
    /// not. When that look failed and the write went through, it is looked at once more, and
    /// taken as live if that fails too (a 503 would tell the client that nothing was written; a
    /// write on a child of an application being deleted is swept with it).
    async fn write_beside_live<T>(
        &self,
        user: &UserId,
        application: Id,
        write: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let (looked, written) = tokio::join!(self.application_exists(user, application), write);
        let live = match looked {
            Err(_) if written.is_ok() => self
                .application_exists(user, application)
                .await
                .unwrap_or(true),
            looked => looked?,
        };
        if !live {
            return Err(StoreError::NotFound);
        }
        written
    }
}
