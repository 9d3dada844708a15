//! Hardening (issue 10): what DynamoDB does in AWS and DynamoDB Local does not (transaction
//! conflicts, throttled transactions), bounded items and pages, and safe defaults.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use integration_tests::{TestApi, User};
use serde_json::json;

/// What a transaction whose request was replaced sends instead: DynamoDB Local refuses it
/// (an empty transaction is invalid), so nothing is written.
const REPLACED: &[u8] = br#"{"TransactItems":[]}"#;

/// Makes the first `remaining` `TransactWriteItems` calls fail as DynamoDB fails them under
/// contention: the request never writes (its body is swapped for an invalid one before it is
/// signed) and its answer is replaced by a `TransactionCanceledException` with `reasons`.
#[derive(Debug, Clone)]
struct CancelTransactions {
    /// The `CancellationReasons` codes, one per write of the transaction.
    reasons: Vec<&'static str>,
    remaining: Arc<AtomicUsize>,
    /// Every `TransactWriteItems` call, cancelled or not.
    calls: Arc<AtomicUsize>,
}

impl CancelTransactions {
    fn new(reasons: &[&'static str], times: usize) -> Self {
        Self {
            reasons: reasons.to_vec(),
            remaining: Arc::new(AtomicUsize::new(times)),
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn cancel_next(&self, times: usize) {
        self.remaining.store(times, Ordering::SeqCst);
    }
}

impl Intercept for CancelTransactions {
    fn name(&self) -> &'static str {
        "CancelTransactions"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let transaction = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|target| target.ends_with(".TransactWriteItems"));
        if !transaction {
            return Ok(());
        }
        self.calls.fetch_add(1, Ordering::SeqCst);
        let cancel = self
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if cancel {
            *request.body_mut() = SdkBody::from(REPLACED);
            request
                .headers_mut()
                .insert("content-length", REPLACED.len().to_string());
            cfg.interceptor_state().store_put(Replaced);
        } else {
            cfg.interceptor_state().unset::<Replaced>();
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Replaced>().is_none() {
            return Ok(());
        }
        let reasons: Vec<_> = self
            .reasons
            .iter()
            .map(|code| json!({"Code": code}))
            .collect();
        let body = json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled",
            "CancellationReasons": reasons,
        });
        let mut response = HttpResponse::new(400.try_into()?, SdkBody::from(body.to_string()));
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        *context.response_mut() = response;
        Ok(())
    }
}

/// Marks an attempt whose request was replaced (in the operation's config bag).
#[derive(Debug, Clone)]
struct Replaced;

impl Storable for Replaced {
    type Storer = StoreReplace<Self>;
}

async fn new_application(api: &TestApi, user: &User) -> String {
    api.post("/applications")
        .user(user)
        .json(json!({"company": "Acme", "role": "Dev"}))
        .send()
        .await
        .expect(201)
        .id()
}

/// The table's items whose `type` is `kind`.
async fn count(api: &TestApi, kind: &str) -> usize {
    api.all_items()
        .await
        .iter()
        .filter(|item| item.get("type").and_then(|t| t.as_s().ok()) == Some(&kind.to_owned()))
        .count()
}

#[tokio::test]
async fn a_child_create_that_meets_a_transaction_conflict_is_retried() {
    // The parent's condition check conflicts with a concurrent write of the application.
    let conflicts = CancelTransactions::new(&["TransactionConflict", "None"], 1);
    let api = TestApi::with_interceptor(conflicts.clone()).await;
    let user = api.user();
    let app = new_application(&api, &user).await;
    let created = api
        .post(&format!("/applications/{app}/feedback"))
        .user(&user)
        .json(json!({"rating": 4}))
        .send()
        .await
        .expect(201);
    assert_eq!(conflicts.calls(), 2, "one conflict, then the write");
    assert_eq!(count(&api, "feedback").await, 1);
    api.get(&format!("/applications/{app}/feedback/{}", created.id()))
        .user(&user)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn a_transaction_that_keeps_conflicting_is_503_with_retry_after_and_writes_nothing() {
    let conflicts = CancelTransactions::new(&["None", "TransactionConflict"], usize::MAX);
    let api = TestApi::with_interceptor(conflicts.clone()).await;
    let user = api.user();
    let app = new_application(&api, &user).await;
    let reply = api
        .post(&format!("/applications/{app}/feedback"))
        .user(&user)
        .json(json!({"rating": 4}))
        .send()
        .await
        .expect_problem(503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    let attempts = conflicts.calls();
    assert!((2..=5).contains(&attempts), "bounded retries: {attempts}");
    assert_eq!(count(&api, "feedback").await, 0);
    assert_eq!(count(&api, "application").await, 1);
}

#[tokio::test]
async fn a_throttled_transaction_is_503_at_once() {
    for code in ["ThrottlingError", "ProvisionedThroughputExceeded"] {
        let throttled = CancelTransactions::new(&["None", code], usize::MAX);
        let api = TestApi::with_interceptor(throttled.clone()).await;
        let user = api.user();
        let app = new_application(&api, &user).await;
        let reply = api
            .post(&format!("/applications/{app}/rejections"))
            .user(&user)
            .json(json!({"reasons": ["budget"]}))
            .send()
            .await
            .expect_problem(503);
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert_eq!(throttled.calls(), 1, "{code}: no retry against throttling");
        assert_eq!(count(&api, "rejections").await, 0);
    }
}

#[tokio::test]
async fn racing_retries_of_one_idempotency_key_create_one_application() {
    // The idempotency record (the transaction's second write) conflicts with a concurrent
    // request carrying the same key.
    let conflicts = CancelTransactions::new(&["None", "TransactionConflict"], 1);
    let api = TestApi::with_interceptor(conflicts.clone()).await;
    let user = api.user();
    let create = || {
        api.post("/applications")
            .user(&user)
            .header("idempotency-key", "race-1")
            .json(json!({"company": "Acme", "role": "Dev"}))
    };
    // No record yet: the retry writes both.
    let first = create().send().await.expect(201);
    assert_eq!(conflicts.calls(), 2);
    // The record exists when the conflict is seen: the first response is replayed.
    conflicts.cancel_next(1);
    let second = create().send().await.expect(201);
    assert_eq!(
        conflicts.calls(),
        3,
        "the record was read, not the write retried"
    );
    assert_eq!(second.id(), first.id());
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(count(&api, "application").await, 1);
    assert_eq!(count(&api, "idempotency").await, 1);
}
