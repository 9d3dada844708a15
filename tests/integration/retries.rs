//! What the SDK's own retries do to writes: an answer lost on the way back (a timeout, a 500)
//! makes the SDK send the same write again, which then meets the first attempt's result.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use domain::child::ChildResource;
use domain::feedback::Feedback;
use domain::values::NamedEnum;
use domain::{Application, ApplicationPatch, Id, Timestamp, UserId};
use serde_json::json;
use store::{Precondition, Store, WriteOutcome};
use testkit::TestApi;

/// Replaces the answer of the client's first call (of the operation `only` names, when set:
/// `UpdateItem`) with a retryable 500, after DynamoDB did the work: the answer was lost, not
/// the write. Then runs [`Between`]'s writes, if any, before the SDK sends the call again.
#[derive(Debug, Clone, Default)]
struct LoseFirstAnswer(Arc<AtomicUsize>, Option<&'static str>, Between);

/// Other requests' writes, landing between a lost answer and the SDK's resend.
#[derive(Clone, Default)]
struct Between(Option<Arc<dyn Fn() + Send + Sync>>);

impl std::fmt::Debug for Between {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Between")
    }
}

/// A call of the operation a [`LoseFirstAnswer`] targets.
#[derive(Debug, Clone)]
struct Targeted;

impl Storable for Targeted {
    type Storer = StoreReplace<Self>;
}

impl Intercept for LoseFirstAnswer {
    fn name(&self) -> &'static str {
        "LoseFirstAnswer"
    }

    /// Marks a call of the targeted operation in its own config bag (calls may run at once).
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get("x-amz-target");
        if let (Some(only), Some(target)) = (self.1, target)
            && target.ends_with(only)
        {
            cfg.interceptor_state().store_put(Targeted);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.1.is_some() && cfg.load::<Targeted>().is_none() {
            return Ok(());
        }
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            *context.response_mut() = HttpResponse::new(
                500.try_into()?,
                SdkBody::from(
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"answer lost"}"#,
                ),
            );
            if let Some(writes) = &self.2.0 {
                writes();
            }
        }
        Ok(())
    }
}

/// A store over the test's table whose client loses the first answer of `lose`'s operation.
fn losing_store(api: &TestApi, lose: &LoseFirstAnswer) -> Store {
    let config = api
        .client
        .config()
        .to_builder()
        .interceptor(lose.clone())
        .build();
    Store::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        api.table.clone(),
    )
}

fn new_application() -> Application {
    Application::parse_new(
        json!({"company": "Acme", "role": "Engineer"}),
        Id::generate(),
        Timestamp::now(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_created_once_not_a_500() {
    let api = TestApi::new().await;
    let lose = LoseFirstAnswer::default();
    let store = losing_store(&api, &lose);
    let user = UserId::parse("retried-user").unwrap();
    let application = new_application();

    let outcome = store.create_application(&user, &application, None).await;
    assert!(matches!(outcome, Ok(WriteOutcome::Written)), "{outcome:?}");
    assert_eq!(
        lose.0.load(Ordering::SeqCst),
        2,
        "the SDK sent the put twice"
    );
    assert_eq!(
        store.get_application(&user, application.id).await.unwrap(),
        application
    );
}

/// Loses the answer of the first `UpdateItem` only.
fn lose_first_update() -> LoseFirstAnswer {
    LoseFirstAnswer(Arc::default(), Some(".UpdateItem"), Between::default())
}

#[tokio::test]
async fn an_update_whose_answer_was_lost_is_applied_once_not_a_412() {
    let api = TestApi::new().await;
    let store = &api.state.store;
    let (user, application) = stored_application(store).await;
    let lose = lose_first_update();
    let patch = ApplicationPatch::parse(json!({"notes": "once", "status": "screening"})).unwrap();
    // `If-Match: "1"`: the second attempt meets version 2, which its own first attempt wrote.
    let updated = losing_store(&api, &lose)
        .update_application(
            &user,
            application.id,
            &patch,
            &Precondition::Versions(vec![1]),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        lose.0.load(Ordering::SeqCst),
        2,
        "the SDK sent the update twice"
    );
    assert_eq!(updated.version, 2, "one change, one version");
    assert_eq!(updated.notes.as_deref(), Some("once"));
    assert_eq!(
        updated.status_history.len(),
        2,
        "one history entry for one change"
    );
    assert_eq!(
        store.get_application(&user, application.id).await.unwrap(),
        updated
    );
}

/// Two other requests write the application after the first attempt of an update is done and
/// before the SDK sends it again: the update still finds its own token, and is not applied a
/// second time over theirs (a second history entry, their status undone).
#[tokio::test(flavor = "multi_thread")]
async fn an_update_whose_answer_was_lost_is_applied_once_with_other_writes_between() {
    let api = TestApi::new().await;
    let store = api.state.store.clone();
    let (user, application) = stored_application(&store).await;
    let others = {
        let (store, user) = (store.clone(), user.clone());
        move || {
            let (store, user) = (store.clone(), user.clone());
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async move {
                    for patch in [json!({"status": "offer"}), json!({"notes": "second"})] {
                        store
                            .update_application(
                                &user,
                                application.id,
                                &ApplicationPatch::parse(patch).unwrap(),
                                &Precondition::None,
                                Timestamp::now(),
                            )
                            .await
                            .unwrap();
                    }
                })
            });
        }
    };
    let lose = LoseFirstAnswer(
        Arc::default(),
        Some(".UpdateItem"),
        Between(Some(Arc::new(others))),
    );
    let losing = losing_store(&api, &lose);
    let patch = ApplicationPatch::parse(json!({"status": "screening"})).unwrap();
    let updated = losing
        .update_application(
            &user,
            application.id,
            &patch,
            &Precondition::None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        lose.0.load(Ordering::SeqCst),
        2,
        "the SDK sent the update twice"
    );
    let stored = store.get_application(&user, application.id).await.unwrap();
    assert_eq!(updated, stored, "the answer is the item as it is");
    assert_eq!(stored.version, 4, "three changes, three versions");
    let statuses: Vec<&str> = stored
        .status_history
        .iter()
        .map(|change| change.status.as_str())
        .collect();
    assert_eq!(statuses, ["applied", "screening", "offer"]);
    assert_eq!(stored.notes.as_deref(), Some("second"));
}

/// An application of the retried user, written without loss.
async fn stored_application(store: &Store) -> (UserId, Application) {
    let user = UserId::parse("retried-user").unwrap();
    let application = new_application();
    store
        .create_application(&user, &application, None)
        .await
        .unwrap();
    (user, application)
}

/// An application of the retried user with one feedback (rating 3), written without loss.
async fn stored_feedback(store: &Store) -> (UserId, Application, Feedback) {
    let (user, application) = stored_application(store).await;
    let feedback = Feedback::parse_new(
        json!({"rating": 3}),
        Id::generate(),
        application.id,
        Timestamp::now(),
    )
    .unwrap();
    store
        .create_child(&user, application.id, &feedback, &Precondition::None, None)
        .await
        .unwrap();
    (user, application, feedback)
}

#[tokio::test]
async fn a_child_update_whose_answer_was_lost_is_applied_once() {
    let api = TestApi::new().await;
    let store = &api.state.store;
    let (user, application, feedback) = stored_feedback(store).await;
    let lose = lose_first_update();
    let changes = Feedback::parse_patch(json!({"rating": 5})).unwrap();
    let updated: Feedback = losing_store(&api, &lose)
        .update_child(
            &user,
            application.id,
            feedback.id,
            &changes,
            &Precondition::Versions(vec![1]),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        lose.0.load(Ordering::SeqCst),
        2,
        "the SDK sent the update twice"
    );
    assert_eq!(updated.version, 2);
    assert_eq!(updated.rating, Some(5));
}

#[tokio::test]
async fn a_child_delete_whose_answer_was_lost_is_done_not_a_404() {
    let api = TestApi::new().await;
    let store = &api.state.store;
    let (user, application, feedback) = stored_feedback(store).await;
    let lose = LoseFirstAnswer(Arc::default(), Some(".DeleteItem"), Between::default());
    let losing = losing_store(&api, &lose);
    for precondition in [Precondition::Versions(vec![1]), Precondition::None] {
        // The second attempt finds nothing: its own first attempt deleted it.
        let deleted = losing
            .delete_child::<Feedback>(&user, application.id, feedback.id, &precondition)
            .await;
        assert!(deleted.is_ok(), "{deleted:?}");
        assert_eq!(
            lose.0.load(Ordering::SeqCst),
            2,
            "the SDK sent the delete twice"
        );
        let gone = store
            .get_child::<Feedback>(&user, application.id, feedback.id)
            .await;
        assert!(gone.is_err(), "{gone:?}");
        // Written again for the next case, whose first answer is lost again.
        lose.0.store(0, Ordering::SeqCst);
        store
            .create_child(&user, application.id, &feedback, &Precondition::None, None)
            .await
            .unwrap();
    }
    // A child that is not there is still a 404 when nothing was retried, and when the first
    // attempt was throttled (it did nothing, so finding nothing after it means nothing).
    let never = store
        .delete_child::<Feedback>(&user, application.id, Id::generate(), &Precondition::None)
        .await;
    assert_eq!(never, Err(store::StoreError::NotFound));
    let throttled = crate::outages::Outage::new(
        Some("DeleteItem"),
        crate::outages::Answer::Error(400, "ProvisionedThroughputExceededException"),
    );
    let config = api
        .client
        .config()
        .to_builder()
        .interceptor(throttled.clone())
        .build();
    let throttling = Store::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        api.table.clone(),
    );
    throttled.start(0, 1);
    let never = throttling
        .delete_child::<Feedback>(&user, application.id, Id::generate(), &Precondition::None)
        .await;
    assert_eq!(
        throttled.attempts(),
        2,
        "the throttled delete was sent again"
    );
    assert_eq!(never, Err(store::StoreError::NotFound));
}

#[tokio::test]
async fn a_history_trim_whose_answer_was_lost_still_answers_the_trimmed_application() {
    let api = TestApi::new().await;
    let store = &api.state.store;
    let (user, application) = stored_application(store).await;
    let statuses = ["screening", "interviewing"];
    let change = |n: usize| {
        ApplicationPatch::parse(json!({"status": statuses[n % statuses.len()]})).unwrap()
    };
    // 100 changes after the first entry: the history is full, the next change trims it.
    for n in 0..100 {
        store
            .update_application(
                &user,
                application.id,
                &change(n),
                &Precondition::None,
                Timestamp::now(),
            )
            .await
            .unwrap();
    }
    // The counter wraps to 0 on the change's own UpdateItem: the trim's answer is the one lost.
    let lose = LoseFirstAnswer(
        Arc::new(AtomicUsize::new(usize::MAX)),
        Some(".UpdateItem"),
        Between::default(),
    );
    let updated = losing_store(&api, &lose)
        .update_application(
            &user,
            application.id,
            &change(100),
            &Precondition::None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        lose.0.load(Ordering::SeqCst),
        2,
        "the SDK sent the trim twice"
    );
    assert_eq!(updated.status_history.len(), 101);
    assert_eq!(
        store.get_application(&user, application.id).await.unwrap(),
        updated
    );
}
