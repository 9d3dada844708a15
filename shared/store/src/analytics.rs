//! Reads for analytics and the calendar feed: one user's whole search in `Query`s on `GSI1` (the
//! applications partition and the activity shards, read concurrently, each paged to its end,
//! projected to the attributes the figures use), and the calendar tokens (items keyed by the
//! token's hash).
//!
//! The cost of a request depends only on the caller's own items: both partitions hold one
//! user's items and nothing else.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnConsumedCapacity, TransactWriteItem};

use super::{Expr, Item, Store, classify, from_item, string, table_key};
use crate::keys::{
    ACTIVITY_SHARDS, CALENDAR_SK, DELETING, GSI1, GSI1_PK, PK, TYPE, activity_gsi_pk,
    applications_gsi_pk, calendar_token_pk, calendar_user_pk,
};
use crate::{StoreError, StoreResult};
use domain::analytics::SearchData;
use domain::{ChildResource, Feedback, Rejection, Timestamp, UserId};

/// The application attributes the figures use (and those the model requires).
const APPLICATION_ATTRIBUTES: &[&str] = &[
    "id",
    "company",
    "role",
    "status",
    "applied_date",
    "work_mode",
    "source",
    "tags",
    "follow_up_on",
    "status_history",
    "created_at",
    "updated_at",
    "version",
    DELETING,
];
/// The feedback and rejection attributes the figures use (and those the models require).
const CHILD_ATTRIBUTES: &[&str] = &[
    TYPE,
    "id",
    "application_id",
    "feedback_date",
    "strengths",
    "improvements",
    "rejected_date",
    "stage",
    "category",
    "reasons",
    "created_at",
    "updated_at",
    "version",
];

/// The attribute of a calendar item naming the user it belongs to.
const CALENDAR_USER: &str = "user";
/// The attribute of the user's calendar pointer naming the current token's item.
const CALENDAR_TOKEN: &str = "token_pk";
/// How often creating a token retries after a concurrent create or revoke.
const CALENDAR_ATTEMPTS: usize = 3;

/// One user's search as read, with what reading it cost.
#[derive(Debug, Clone, Default)]
pub struct LoadedSearch {
    pub data: SearchData,
    /// Read capacity units DynamoDB reported for the queries.
    pub capacity_units: f64,
    /// Size of the attributes read (projected), by DynamoDB's item-size rules (approximately).
    pub bytes: usize,
    /// Query pages read (requests made; at least one per partition).
    pub pages: usize,
}

/// What reading partitions cost.
#[derive(Debug, Default)]
struct ReadCost {
    capacity_units: f64,
    bytes: usize,
    pages: usize,
}

impl ReadCost {
    fn add(&mut self, other: ReadCost) {
        self.capacity_units += other.capacity_units;
        self.bytes += other.bytes;
        self.pages += other.pages;
    }
}

impl Store {
    /// Every item of one `GSI1` partition, `attributes` only, paged to its end (eventually
    /// consistent: GSIs are), each handed to `take` as its page arrives: a page's raw items are
    /// dropped before the next is read, so only what `take` keeps of them stays in memory. A
    /// projection saves transfer and parsing, not capacity.
    async fn query_partition(
        &self,
        partition: String,
        attributes: &[&str],
        mut take: impl FnMut(Item) -> StoreResult<()>,
    ) -> StoreResult<ReadCost> {
        let mut cost = ReadCost::default();
        let mut expr = Expr::default();
        expr.key_equals(GSI1_PK, &partition);
        expr.project(attributes);
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .query(Some(GSI1), &expr)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .set_exclusive_start_key(start.take())
                .customize()
                .config_override(self.timeouts_of_at_least(PAGE_ATTEMPT, PAGE_OPERATION))
                .send()
                .await
                .map_err(classify)?;
            cost.pages += 1;
            cost.capacity_units += output
                .consumed_capacity
                .as_ref()
                .and_then(|c| c.capacity_units)
                .unwrap_or(0.0);
            for item in output.items.unwrap_or_default() {
                cost.bytes += item_size(&item);
                take(item)?;
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(cost),
            }
        }
    }

    /// The caller's applications (those being deleted left out), feedback and rejections: the
    /// applications partition and every activity shard, all at once, within
    /// [`ANALYTICS_READ_TIME`] (past it, the database is too slow now: unavailable). Each page
    /// is parsed as it arrives: a search of thousands of applications is held as typed values,
    /// not as DynamoDB's attribute maps (about a quarter of the memory: `make bench`).
    pub async fn load_search(&self, user: &UserId) -> StoreResult<LoadedSearch> {
        let mut applications = Vec::new();
        let read_applications =
            self.query_partition(applications_gsi_pk(user), APPLICATION_ATTRIBUTES, |item| {
                if !item.contains_key(DELETING) {
                    applications.push(from_item(item)?);
                }
                Ok(())
            });
        let read_shards = futures::future::join_all((0..ACTIVITY_SHARDS).map(|shard| async move {
            let (mut feedback, mut rejections) = (Vec::new(), Vec::new());
            let cost = self
                .query_partition(activity_gsi_pk(user, shard), CHILD_ATTRIBUTES, |item| {
                    match item.get(TYPE) {
                        Some(AttributeValue::S(kind)) if kind == Feedback::COLLECTION => {
                            feedback.push(from_item(item)?);
                        }
                        Some(AttributeValue::S(kind)) if kind == Rejection::COLLECTION => {
                            rejections.push(from_item(item)?);
                        }
                        _ => {}
                    }
                    Ok(())
                })
                .await?;
            Ok::<_, StoreError>((feedback, rejections, cost))
        }));
        let reads = async { tokio::join!(read_applications, read_shards) };
        let Ok((applications_cost, shards)) =
            tokio::time::timeout(self.limits.analytics_read_time, reads).await
        else {
            tracing::warn!("analytics reads ran out of time");
            return Err(StoreError::Unavailable);
        };
        let mut cost = applications_cost?;
        let mut data = SearchData {
            applications,
            ..SearchData::default()
        };
        for shard in shards {
            let (feedback, rejections, shard_cost) = shard?;
            data.feedback.extend(feedback);
            data.rejections.extend(rejections);
            cost.add(shard_cost);
        }
        Ok(LoadedSearch {
            data,
            capacity_units: cost.capacity_units,
            bytes: cost.bytes,
            pages: cost.pages,
        })
    }

    /// The user a calendar token belongs to, if it is current (consistent read: a revoked
    /// token stops working at once).
    pub async fn calendar_owner(&self, token: &str) -> StoreResult<Option<UserId>> {
        let item = self.get_item(key(calendar_token_pk(token)), &[]).await?;
        Ok(item.and_then(|item| match item.get(CALENDAR_USER) {
            Some(AttributeValue::S(user)) => UserId::parse(user),
            _ => None,
        }))
    }

    /// When the user's current calendar address was made, if there is one (the address itself
    /// is not kept: only its hash).
    pub async fn calendar_feed_since(&self, user: &UserId) -> StoreResult<Option<Timestamp>> {
        #[derive(serde::Deserialize)]
        struct Pointer {
            created_at: Timestamp,
        }
        let item = self
            .get_item(key(calendar_user_pk(user)), &["created_at"])
            .await?;
        Ok(item
            .map(from_item::<Pointer>)
            .transpose()?
            .map(|p| p.created_at))
    }

    /// The user's current token item, if any.
    async fn calendar_pointer(&self, user: &UserId) -> StoreResult<Option<String>> {
        let item = self.get_item(key(calendar_user_pk(user)), &[]).await?;
        Ok(item.and_then(|item| match item.get(CALENDAR_TOKEN) {
            Some(AttributeValue::S(pk)) => Some(pk.clone()),
            _ => None,
        }))
    }

    /// Makes `token` the user's calendar token, revoking the previous one in the same
    /// transaction.
    pub async fn replace_calendar_token(
        &self,
        user: &UserId,
        token: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let new_pk = calendar_token_pk(token);
        for _ in 0..CALENDAR_ATTEMPTS {
            let old = self.calendar_pointer(user).await?;
            let mut pointer = key(calendar_user_pk(user));
            pointer.insert(CALENDAR_TOKEN.to_owned(), string(&new_pk));
            pointer.insert("created_at".to_owned(), string(now.to_string()));
            let mut writes = vec![self.pointer_put(pointer, old.as_deref())?];
            let mut token_item = key(new_pk.clone());
            token_item.insert(CALENDAR_USER.to_owned(), string(user.as_str()));
            token_item.insert("created_at".to_owned(), string(now.to_string()));
            writes.push(self.put_new(token_item)?);
            if let Some(old) = old {
                writes.push(self.delete(key(old))?);
            }
            if self.transact(writes).await? {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable)
    }

    /// Revokes the user's calendar token; `NotFound` if there is none.
    pub async fn revoke_calendar_token(&self, user: &UserId) -> StoreResult<()> {
        for _ in 0..CALENDAR_ATTEMPTS {
            let Some(old) = self.calendar_pointer(user).await? else {
                return Err(StoreError::NotFound);
            };
            let mut expr = Expr::default();
            let (name, value) = (expr.name(CALENDAR_TOKEN), expr.value(string(&old)));
            expr.condition(format!("{name} = {value}"));
            let pointer = Delete::builder()
                .table_name(self.table())
                .set_key(Some(key(calendar_user_pk(user))));
            let pointer = with_expr!(pointer, expr)
                .build()
                .map_err(|_| StoreError::Internal)?;
            let writes = vec![
                TransactWriteItem::builder().delete(pointer).build(),
                self.delete(key(old))?,
            ];
            if self.transact(writes).await? {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable)
    }

    /// The pointer's `Put`, on condition that it still names `old` (or is absent if none).
    fn pointer_put(&self, item: Item, old: Option<&str>) -> StoreResult<TransactWriteItem> {
        let mut expr = Expr::default();
        match old {
            Some(old) => {
                let (name, value) = (expr.name(CALENDAR_TOKEN), expr.value(string(old)));
                expr.condition(format!("{name} = {value}"));
            }
            None => {
                let pk = expr.name(PK);
                expr.condition(format!("attribute_not_exists({pk})"));
            }
        }
        self.transact_put(item, &expr)
    }

    fn delete(&self, key: Item) -> StoreResult<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(key))
            .build()
            .map_err(|_| StoreError::Internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Writes all or nothing; false when a condition failed (a concurrent change: try again).
    async fn transact(&self, writes: Vec<TransactWriteItem>) -> StoreResult<bool> {
        match self.write_new(writes, None, Timestamp::now()).await? {
            crate::WriteOutcome::ConditionFailed(_) => Ok(false),
            _ => Ok(true),
        }
    }
}

/// How long analytics and the calendar feed may read a user's items. Their functions have 10 s
/// (template.yaml); Lambda ending one mid-read is API Gateway's bare 500, where a read that
/// runs out of time here is a 503 with `Retry-After`. The feed's token lookup (at most 1.8 s)
/// comes first, and building the answer takes well under a second.
pub const ANALYTICS_READ_TIME: Duration = Duration::from_secs(7);

/// A page of up to 1 MB takes longer than the point reads and writes the client's timeouts are
/// made for (800 ms an attempt): DynamoDB Local needed more for 5,000 applications under load.
const PAGE_ATTEMPT: Duration = Duration::from_secs(3);
const PAGE_OPERATION: Duration = Duration::from_secs(6);

/// A calendar item's key.
fn key(pk: String) -> Item {
    table_key(pk, CALENDAR_SK)
}

/// An item's size by DynamoDB's rules: attribute names plus values (strings and binaries by
/// length, numbers about one byte per two digits, containers 3 bytes plus one per element).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        _ => 0,
    }
}
