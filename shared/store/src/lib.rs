//! The DynamoDB repository: every read and write of the table. Requests are served by
//! `GetItem`, `Query`, and writes on keys only — never `Scan`. It speaks in domain types and
//! its own [`StoreError`]; nothing here knows HTTP.

/// Sets `expr`'s condition, names and values on a request builder (the SDK's builders share
/// these setters but no trait).
macro_rules! with_expr {
    ($builder:expr, $expr:expr) => {
        $builder
            .set_condition_expression($expr.condition_expression())
            .set_expression_attribute_names($expr.names())
            .set_expression_attribute_values($expr.values())
    };
}

mod analytics;
mod applications;
mod children;
mod config;
mod error;
mod expr;
mod idempotency;
pub mod keys;
mod sweep;
pub mod table;
mod transfer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TableStatus,
    TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use analytics::{ANALYTICS_READ_TIME, LoadedSearch, item_size};
pub use config::{Config, ConfigError, patient};
pub use error::{StoreError, StoreResult};
pub use expr::Expr;
pub use idempotency::{IdempotentRequest, StoredResponse, WriteOutcome};
pub use sweep::Sweep;
pub use transfer::{
    EXPORT_PAGE_BYTES, EXPORT_READ_TIME, ExportSizing, IMPORT_TIME, ImportOutcome, ImportWrite,
    Presence,
};

pub type Item = HashMap<String, AttributeValue>;

/// The key a page resumes after: attribute name → string value (every key attribute is a string).
pub type ResumeKey = std::collections::BTreeMap<String, String>;

/// One page of a list, and where the next one starts.
#[derive(Debug, Clone)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub resume: Option<ResumeKey>,
}

/// A list page being filled: at most `limit` items, within the byte budget (the first item
/// always fits). Each match is returned exactly once across pages: a full page resumes after
/// the last item it returned, not the last item read.
pub(crate) struct PageFill<T> {
    items: Vec<T>,
    bytes: usize,
    limit: usize,
    budget: usize,
    last_key: Option<ResumeKey>,
}

impl<T: Serialize> PageFill<T> {
    /// Adds `item`, which a page resumes after by `key`; `false` when the page is full, so a
    /// further match exists and the page is [`full`](Self::full).
    pub(crate) fn push(&mut self, item: T, key: ResumeKey) -> bool {
        if self.items.len() == self.limit {
            return false;
        }
        let size = json_size(&item);
        if !self.items.is_empty() && self.bytes + size > self.budget {
            return false;
        }
        self.bytes += size;
        self.items.push(item);
        self.last_key = Some(key);
        true
    }

    /// How many more items the page may hold.
    pub(crate) fn room(&self) -> usize {
        self.limit - self.items.len()
    }

    /// The page, with more matches after it: it resumes after its last item.
    pub(crate) fn full(mut self) -> ListPage<T> {
        let resume = self.last_key.take();
        self.end(resume)
    }

    /// The page, resuming at `resume` (`None`: the list ends here).
    pub(crate) fn end(self, resume: Option<ResumeKey>) -> ListPage<T> {
        ListPage {
            items: self.items,
            resume,
        }
    }
}

/// What a write requires of the item's current `version` (from `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// Unconditional.
    #[default]
    None,
    /// The item must exist (`If-Match: *`).
    Exists,
    /// The current version must be one of these (empty: nothing can match).
    Versions(Vec<u64>),
}

impl Precondition {
    /// Whether an item at `version` meets it.
    pub fn admits(&self, version: u64) -> bool {
        match self {
            Self::None | Self::Exists => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
}

/// The most bytes of JSON the items of one list page may take: a Lambda response is at most
/// 6 MB, and a page of 100 large items could pass it. A page that would pass this stops early,
/// with a cursor after its last item (a page always holds at least one item).
pub const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// What a store holds its reads to; the defaults are the API's, a test sets others.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The most bytes of JSON a list page's items take ([`PAGE_BYTES`]).
    pub page_bytes: usize,
    /// How long an export page may read before it ends early ([`EXPORT_READ_TIME`]).
    pub export_read_time: Duration,
    /// The most children an export page holds ([`domain::transfer::MAX_IMPORT_CHILDREN`]).
    pub export_children: usize,
    /// The most bytes an export page holds ([`EXPORT_PAGE_BYTES`]).
    pub export_page_bytes: usize,
    /// How long analytics may read a user's items ([`ANALYTICS_READ_TIME`]).
    pub analytics_read_time: Duration,
    /// How long an import may spend on the database ([`IMPORT_TIME`]).
    pub import_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            page_bytes: PAGE_BYTES,
            export_read_time: EXPORT_READ_TIME,
            export_children: domain::transfer::MAX_IMPORT_CHILDREN,
            export_page_bytes: EXPORT_PAGE_BYTES,
            analytics_read_time: ANALYTICS_READ_TIME,
            import_time: IMPORT_TIME,
        }
    }
}

/// The table and the client that reaches it; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: Arc<str>,
    limits: Limits,
}

impl Store {
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self {
            client,
            table: table.into(),
            limits: Limits::default(),
        }
    }

    /// The same store through another client (the tests' holds each call to a function's grants).
    pub fn with_client(self, client: Client) -> Self {
        Self { client, ..self }
    }

    /// What this store holds its reads and writes to.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The same store with the limits `adjust` sets (a test's smaller pages or shorter reads).
    pub fn with_limits(mut self, adjust: impl FnOnce(&mut Limits)) -> Self {
        adjust(&mut self.limits);
        self
    }

    /// An empty list page of at most `limit` items.
    pub(crate) fn page<T: Serialize>(&self, limit: usize) -> PageFill<T> {
        PageFill {
            items: Vec::with_capacity(limit),
            bytes: 0,
            limit,
            budget: self.limits.page_bytes,
            last_key: None,
        }
    }

    /// The store `config` names. Makes no network call.
    pub async fn from_config(config: &Config) -> Self {
        Self::new(config.dynamodb_client().await, config.table_name.clone())
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A call's override for timeouts of at least `attempt` and `operation`: for the calls that
    /// move more than one item (a page of 1 MB, a transaction of 100 items, a look-up of 100
    /// keys), which take longer than the point reads the client's own timeouts are made for.
    /// Never shorter than the client's: a client made more patient (the tests', on a loaded
    /// machine) stays so, and a bound the client does not set stays unset. The SDK merges the
    /// override with the client's timeouts field by field.
    pub(crate) fn timeouts_of_at_least(
        &self,
        attempt: Duration,
        operation: Duration,
    ) -> aws_sdk_dynamodb::config::Builder {
        let own = self.client.config().timeout_config();
        let longer = |bound: fn(&TimeoutConfig) -> Option<Duration>, least: Duration| {
            own.and_then(bound).map(|own| own.max(least))
        };
        let mut timeouts = TimeoutConfig::builder();
        timeouts
            .set_operation_attempt_timeout(longer(
                TimeoutConfig::operation_attempt_timeout,
                attempt,
            ))
            .set_operation_timeout(longer(TimeoutConfig::operation_timeout, operation));
        let timeouts = timeouts.build();
        let mut config = aws_sdk_dynamodb::config::Builder::default();
        // An empty timeout config would read as "no timeouts at all"; `None` sets nothing.
        config.set_timeout_config(timeouts.has_timeouts().then_some(timeouts));
        config
    }

    /// A consistent `GetItem` of `key`, of only the `projection` attributes when some are named.
    pub(crate) async fn get_item(
        &self,
        key: Item,
        projection: &[&str],
    ) -> StoreResult<Option<Item>> {
        let mut expr = Expr::default();
        expr.project(projection);
        let output = self
            .client
            .get_item()
            .table_name(self.table())
            .set_key(Some(key))
            .set_projection_expression(expr.projection_expression())
            .set_expression_attribute_names(expr.names())
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item)
    }

    /// A `Query` of the table, or of `index`, with `expr`'s key condition, projection, names
    /// and values.
    pub(crate) fn query(&self, index: Option<&str>, expr: &Expr) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(self.table())
            .set_index_name(index.map(str::to_owned))
            .set_key_condition_expression(expr.key_condition_expression())
            .set_projection_expression(expr.projection_expression())
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
    }

    /// A `Put` of a new item: it fails if an item with the same key exists.
    pub(crate) fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let mut expr = Expr::default();
        let pk = expr.name(crate::keys::PK);
        expr.condition(format!("attribute_not_exists({pk})"));
        self.transact_put(item, &expr)
    }

    /// A `Put` of `item` on `expr`'s condition, for a transaction.
    pub(crate) fn transact_put(&self, item: Item, expr: &Expr) -> StoreResult<TransactWriteItem> {
        let put = Put::builder().table_name(self.table()).set_item(Some(item));
        let put = with_expr!(put, expr)
            .build()
            .map_err(|_| StoreError::Internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A `ConditionCheck` of `key` with `expr`'s condition, for a transaction.
    pub(crate) fn condition_check(&self, key: Item, expr: &Expr) -> StoreResult<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(self.table())
            .set_key(Some(key));
        let check = with_expr!(check, expr)
            .build()
            .map_err(|_| StoreError::Internal)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// An `Update` of `key` with `expr`'s update, condition, names and values, for a transaction.
    pub(crate) fn transact_update(&self, key: Item, expr: &Expr) -> StoreResult<TransactWriteItem> {
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key))
            .set_update_expression(expr.update_expression());
        let update = with_expr!(update, expr)
            .build()
            .map_err(|_| StoreError::Internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// An `UpdateItem` of `key` with `expr`'s update, condition, names and values; when the
    /// condition fails, DynamoDB returns the item as it was, to tell 404 from 412.
    pub(crate) fn conditional_update(&self, key: Item, expr: &Expr) -> UpdateItemFluentBuilder {
        let update = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key))
            .set_update_expression(expr.update_expression());
        with_expr!(update, expr)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    /// Whether the table answers and serves requests: a `DescribeTable` (used by `/db-check`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let output = self
            .client
            .describe_table()
            .table_name(self.table())
            .send()
            .await
            .map_err(classify)?;
        let status = output.table.and_then(|table| table.table_status);
        if status.as_ref().is_some_and(serves_requests) {
            Ok(())
        } else {
            tracing::warn!(?status, "the table does not serve requests");
            Err(StoreError::Unavailable)
        }
    }
}

/// Whether a table in `status` takes reads and writes: `ACTIVE`, or `UPDATING` (a change of
/// its settings or indexes); not while it is created, deleted, archived or without its key.
fn serves_requests(status: &TableStatus) -> bool {
    matches!(status, TableStatus::Active | TableStatus::Updating)
}

/// Maps an SDK failure that is not an expected condition to the API's error: anything that
/// means "the database is not there right now" is 503, the rest is a logged 500.
pub(crate) fn classify<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    const UNAVAILABLE_CODES: &[&str] = &[
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "ResourceNotFoundException",
        "TransactionConflictException",
        // A transaction sent again while its first attempt still runs: it may yet commit.
        "TransactionInProgressException",
    ];
    let unavailable = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| UNAVAILABLE_CODES.contains(&code))
        }
        _ => false,
    };
    if unavailable {
        tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "database unavailable");
        StoreError::Unavailable
    } else {
        tracing::error!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "database call failed");
        StoreError::Internal
    }
}

/// A write on an item that must exist (with `ReturnValuesOnConditionCheckFailure=ALL_OLD`)
/// failed: its condition failed on a missing item (404) or on a version `If-Match` did not name
/// (412); anything else is the database's failure.
pub(crate) fn failed_write<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ConditionFailure + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match failed_condition(&error) {
        Some(Some(_)) => StoreError::VersionMismatch,
        Some(None) => StoreError::NotFound,
        None => classify(error),
    }
}

/// For a write's failed condition, the item as it was (`ReturnValuesOnConditionCheckFailure=
/// ALL_OLD`; `None` when there was none); `None` for any other error.
pub(crate) fn failed_condition<E: ConditionFailure>(
    error: &SdkError<E, HttpResponse>,
) -> Option<Option<&Item>> {
    error.as_service_error()?.failed_condition()
}

/// Whether an attempt of one call may have been done without its answer reaching us (no
/// response, or a 5xx), so that the SDK's next attempt meets its result: a delete whose
/// condition then finds nothing was done by that attempt. A throttled attempt (a 4xx) did
/// nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct LostAnswers(Arc<std::sync::atomic::AtomicBool>);

impl LostAnswers {
    pub(crate) fn any(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl aws_sdk_dynamodb::config::Intercept for LostAnswers {
    fn name(&self) -> &'static str {
        "LostAnswers"
    }

    fn read_after_attempt(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let lost = context
            .response()
            .is_none_or(|response| response.status().is_server_error());
        if lost {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }
}

/// The SDK's single-item write errors, whose conditional-check failure carries the old item.
pub(crate) trait ConditionFailure {
    fn failed_condition(&self) -> Option<Option<&Item>>;
}

macro_rules! condition_failure {
    ($($error:ty),+) => {$(
        impl ConditionFailure for $error {
            fn failed_condition(&self) -> Option<Option<&Item>> {
                match self {
                    Self::ConditionalCheckFailedException(failed) => Some(failed.item.as_ref()),
                    _ => None,
                }
            }
        }
    )+};
}

condition_failure!(
    aws_sdk_dynamodb::operation::put_item::PutItemError,
    aws_sdk_dynamodb::operation::update_item::UpdateItemError,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemError
);

/// A value as item attributes; `null`s are left out, so "no value" is always an absent attribute.
pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(|error| {
        tracing::error!(%error, "item serialisation failed");
        StoreError::Internal
    })?;
    item.retain(|_, value| !matches!(value, AttributeValue::Null(_)));
    Ok(item)
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|error| {
        tracing::error!(%error, "stored item does not match the model");
        StoreError::Internal
    })
}

/// The bytes `value` adds to a Lambda response as an item of a JSON list, with the comma that
/// separates it from the next ([`escaped_size`] of its JSON).
pub fn json_size<T: Serialize>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += escaped_size(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail, and the items are plain data.
    let _ = serde_json::to_writer(&mut count, value);
    count.0 + 1
}

/// The bytes a text body takes in a Lambda response, which carries it as a JSON string: each
/// `"` and `\` is escaped once more, and so is each control character (a CSV's line breaks).
pub fn escaped_size(body: &[u8]) -> usize {
    body.iter()
        .map(|byte| match byte {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

pub(crate) fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn to_attribute<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|error| {
        tracing::error!(%error, "attribute serialisation failed");
        StoreError::Internal
    })
}

/// The string attributes of `item` named in `names`: a key to resume a query after.
pub(crate) fn key_of(item: &Item, names: &[&str]) -> crate::ResumeKey {
    names
        .iter()
        .filter_map(|name| match item.get(*name) {
            Some(AttributeValue::S(value)) => Some(((*name).to_owned(), value.clone())),
            _ => None,
        })
        .collect()
}

/// An item of these string attributes.
pub(crate) fn strings<'a>(attributes: impl IntoIterator<Item = (&'a str, String)>) -> Item {
    attributes
        .into_iter()
        .map(|(name, value)| (name.to_owned(), string(value)))
        .collect()
}

/// The table's key of an item: its partition and sort key.
pub fn table_key(pk: impl Into<String>, sk: &str) -> Item {
    strings([(keys::PK, pk.into()), (keys::SK, sk.to_owned())])
}

pub(crate) fn key_to_item(key: &crate::ResumeKey) -> Item {
    key.iter()
        .map(|(name, value)| (name.clone(), string(value.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::types::error::{
        InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    };
    use aws_smithy_types::body::SdkBody;

    fn service_error(error: GetItemError, status: u16) -> SdkError<GetItemError, HttpResponse> {
        let response = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(error, response)
    }

    fn meta(code: &str) -> aws_sdk_dynamodb::error::ErrorMetadata {
        aws_sdk_dynamodb::error::ErrorMetadata::builder()
            .code(code)
            .build()
    }

    /// The timeouts a call of several items runs under, for a client with these.
    fn bulk_call_timeouts(client: TimeoutConfig) -> (Option<Duration>, Option<Duration>) {
        let client = Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .timeout_config(client)
                .build(),
        );
        let config = Store::new(client, "t".to_owned())
            .timeouts_of_at_least(Duration::from_secs(5), Duration::from_secs(12))
            .build();
        let timeouts = config.timeout_config();
        (
            timeouts.and_then(TimeoutConfig::operation_attempt_timeout),
            timeouts.and_then(TimeoutConfig::operation_timeout),
        )
    }

    fn client_timeouts(attempt: u64, operation: u64) -> TimeoutConfig {
        TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_millis(attempt))
            .operation_timeout(Duration::from_millis(operation))
            .build()
    }

    #[test]
    fn a_call_of_several_items_waits_longer_than_a_point_read_never_shorter_than_the_client() {
        let ms = |ms| Some(Duration::from_millis(ms));
        // The functions' client (0.8 s / 1.8 s): the call's own, longer bounds.
        assert_eq!(
            bulk_call_timeouts(client_timeouts(800, 1800)),
            (ms(5000), ms(12000))
        );
        // A more patient client (the tests' on a loaded machine) keeps its own.
        assert_eq!(
            bulk_call_timeouts(client_timeouts(10_000, 30_000)),
            (ms(10_000), ms(30_000))
        );
        assert_eq!(
            bulk_call_timeouts(client_timeouts(800, 30_000)),
            (ms(5000), ms(30_000))
        );
        // No bound of the client's is made one.
        assert_eq!(bulk_call_timeouts(TimeoutConfig::disabled()), (None, None));
    }

    #[test]
    fn throttling_outages_and_a_missing_table_are_503() {
        // As the SDK deserialises them: the error code is in the metadata.
        let throttled = ProvisionedThroughputExceededException::builder()
            .meta(meta("ProvisionedThroughputExceededException"))
            .build();
        let internal = InternalServerError::builder()
            .meta(meta("InternalServerError"))
            .build();
        let missing = ResourceNotFoundException::builder()
            .meta(meta("ResourceNotFoundException"))
            .build();
        let cases = [
            service_error(
                GetItemError::ProvisionedThroughputExceededException(throttled),
                400,
            ),
            service_error(GetItemError::InternalServerError(internal), 500),
            service_error(GetItemError::ResourceNotFoundException(missing), 400),
            service_error(GetItemError::generic(meta("ThrottlingException")), 400),
        ];
        for error in cases {
            assert_eq!(classify(error), StoreError::Unavailable);
        }
        let timeout: SdkError<GetItemError, HttpResponse> = SdkError::timeout_error("too slow");
        assert_eq!(classify(timeout), StoreError::Unavailable);
    }

    #[test]
    fn an_item_is_measured_as_the_lambda_response_carries_it() {
        // `{"a":"x"}` is 9 bytes and 4 quotes; `,` separates it from the next item.
        assert_eq!(json_size(&serde_json::json!({"a": "x"})), 9 + 4 + 1);
        // A quote in a value is `\"` in the body and `\\\"` in the response.
        assert_eq!(json_size(&"\""), 4 + 4 + 1);
        // Exactly as the response carries a text body, control characters included.
        let body = "a,\"b\"\r\n\\\t\u{1}é\n";
        let carried = serde_json::to_string(body).unwrap().len() - 2;
        assert_eq!(escaped_size(body.as_bytes()), carried);
    }

    #[test]
    fn only_an_active_or_updating_table_is_connected() {
        assert!(serves_requests(&TableStatus::Active));
        assert!(serves_requests(&TableStatus::Updating));
        for status in [
            TableStatus::Creating,
            TableStatus::Deleting,
            TableStatus::Archived,
            TableStatus::InaccessibleEncryptionCredentials,
        ] {
            assert!(!serves_requests(&status), "{status:?}");
        }
    }

    #[test]
    fn other_service_errors_are_500() {
        let unknown = GetItemError::generic(meta("ValidationException"));
        assert_eq!(classify(service_error(unknown, 400)), StoreError::Internal);
    }
}
