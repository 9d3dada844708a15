//! What the SDK's own retries do to writes: an answer lost on the way back (a timeout, a 500)
//! makes the SDK send the same write again, which then meets the first attempt's result.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::body::SdkBody;
use domain::{Application, Id, Timestamp, UserId};
use serde_json::json;
use store::{Store, WriteOutcome};
use testkit::TestApi;

/// Replaces the answer of the client's first call with a retryable 500, after DynamoDB did
/// the work: the answer was lost, not the write.
#[derive(Debug, Clone, Default)]
struct LoseFirstAnswer(Arc<AtomicUsize>);

impl Intercept for LoseFirstAnswer {
    fn name(&self) -> &'static str {
        "LoseFirstAnswer"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            *context.response_mut() = HttpResponse::new(
                500.try_into()?,
                SdkBody::from(
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"answer lost"}"#,
                ),
            );
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_created_once_not_a_500() {
    let api = TestApi::new().await;
    let lose = LoseFirstAnswer::default();
    let config = api
        .client
        .config()
        .to_builder()
        .interceptor(lose.clone())
        .build();
    let store = Store::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        api.table.clone(),
    );
    let user = UserId::parse("retried-user").unwrap();
    let application = Application::parse_new(
        json!({"company": "Acme", "role": "Engineer"}),
        Id::generate(),
        Timestamp::now(),
    )
    .unwrap();

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
