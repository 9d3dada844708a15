//! Deleting applications with thousands of children: `DELETE` sweeps with parallel batches, and
//! what a request leaves (its time ran out) the sweeper function finishes from the table's
//! stream, replayed here with `events/sweeper-deleting.json`.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use domain::{Application, ChildKind, Id, Timestamp, UserId};
use futures::StreamExt;
use serde_json::{Value, json};
use store::keys;
use testkit::{Session, TestApi};

/// Writes `count` feedback items under the application straight into the table (25 a batch):
/// as the API would, only faster than `count` transactions.
async fn seed_children(api: &TestApi, user: &UserId, application: Id, count: usize) {
    let partition = keys::application_pk(user, application);
    let items: Vec<WriteRequest> = (0..count)
        .map(|_| {
            let item = [
                (keys::PK, AttributeValue::S(partition.clone())),
                (
                    keys::SK,
                    AttributeValue::S(keys::child_sk(ChildKind::Feedback, Id::generate())),
                ),
                ("type", AttributeValue::S("feedback".to_owned())),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
            let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    let batches = items.chunks(25).map(|batch| {
        let (client, table, batch) = (&api.client, &api.table, batch.to_vec());
        async move {
            // A loaded machine slows DynamoDB Local past the client's timeouts: try again.
            for _ in 0..5 {
                match client
                    .batch_write_item()
                    .request_items(table, batch.clone())
                    .send()
                    .await
                {
                    Ok(output)
                        if output
                            .unprocessed_items
                            .as_ref()
                            .is_none_or(|u| u.is_empty()) =>
                    {
                        return;
                    }
                    _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                }
            }
            panic!("seeding children failed five times");
        }
    });
    futures::stream::iter(batches)
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
}

/// A new application of `user`'s (through the API) with `children` feedback items seeded
/// under it: its id and partition.
async fn seeded_application(api: &TestApi, user: &Session<'_>, children: usize) -> (Id, String) {
    let reply = user
        .create_application(json!({"company": "Initech", "role": "Engineer"}))
        .await;
    let id: Id = reply.id().parse().unwrap();
    seed_children(api, &user.id(), id, children).await;
    (id, keys::application_pk(&user.id(), id))
}

async fn items_in(api: &TestApi, partition: &str) -> usize {
    api.all_items()
        .await
        .iter()
        .filter(|item| item[keys::PK].as_s().unwrap() == partition)
        .count()
}

/// The stream record of `partition`'s application marked `deleting`, as the sweeper gets it.
fn marked(partition: &str) -> Value {
    json!({"Records": [{"eventName": "MODIFY", "dynamodb": {
        "Keys": {"PK": {"S": partition}, "SK": {"S": "APPLICATION"}},
        "NewImage": {"deleting": {"BOOL": true}}}}]})
}

/// A request sweeps for up to 5 s (how far it gets is `make bench`'s to measure); it answers
/// 204 at once either way, the application reads as gone, and the sweeper finishes the rest.
#[tokio::test]
async fn delete_of_5000_children_answers_204_and_the_sweeper_finishes_what_it_left() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let (id, partition) = seeded_application(&api, &user, 5_000).await;
    assert_eq!(items_in(&api, &partition).await, 5_001);

    let path = format!("/applications/{id}");
    user.delete(&path).await.expect(204);
    user.get(&path).await.expect_problem(404);
    let store = &testkit::confined(&api.state, "sweeper").store;
    sweeper::handle(store, marked(&partition), testkit::SWEEP_TIME)
        .await
        .expect("the sweep finishes");
    assert_eq!(items_in(&api, &partition).await, 0, "nothing of it remains");
}

/// What `docs/deploy.md` tells an operator when the sweeper gave up: the application stays
/// marked and reads as gone, and a `DELETE` of it (whatever version it names) sweeps what is
/// left and answers 204; the next one, 404.
#[tokio::test]
async fn a_retried_delete_resumes_one_the_sweeper_gave_up_on() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let (id, partition) = seeded_application(&api, &user, 300).await;
    api.mark_deleting(&user.id(), id).await;
    assert_eq!(items_in(&api, &partition).await, 301);
    let path = format!("/applications/{id}");
    user.get(&path).await.expect(404);

    // The version the client last saw; the mark did not bump it, a resumed delete ignores it.
    user.delete(&path)
        .header("if-match", "\"7\"")
        .await
        .expect(204);
    assert_eq!(items_in(&api, &partition).await, 0, "nothing of it remains");
    user.delete(&path).await.expect(404);
}

/// `aws dynamodbstreams get-records` answers in the stream event's shape (with a
/// `NextShardIterator` beside `Records`, and every change of the shard, not only the filtered
/// ones): `docs/deploy.md` hands such a file to the sweeper as it is.
#[test]
fn a_get_records_answer_names_the_applications_to_sweep() {
    let partition = "USER#demo-user#APP#01JDQ6ZK3V9V6M1T4WZ8X2Y3AB";
    let answer = json!({
        "Records": [
            {"eventID": "1", "eventName": "INSERT", "eventVersion": "1.1",
             "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
             "dynamodb": {"ApproximateCreationDateTime": "2026-11-26T10:00:00+00:00",
                "Keys": {"PK": {"S": partition}, "SK": {"S": "FEEDBACK#01JDQ70000000000000000FB01"}},
                "NewImage": {"PK": {"S": partition}, "SK": {"S": "FEEDBACK#01JDQ70000000000000000FB01"}},
                "SequenceNumber": "100", "SizeBytes": 90, "StreamViewType": "NEW_IMAGE"}},
            {"eventID": "2", "eventName": "MODIFY", "eventVersion": "1.1",
             "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
             "dynamodb": {"ApproximateCreationDateTime": "2026-11-26T10:00:01+00:00",
                "Keys": {"PK": {"S": partition}, "SK": {"S": "APPLICATION"}},
                "NewImage": {"PK": {"S": partition}, "SK": {"S": "APPLICATION"},
                    "deleting": {"BOOL": true}},
                "SequenceNumber": "200", "SizeBytes": 120, "StreamViewType": "NEW_IMAGE"}}
        ],
        "NextShardIterator": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/x|1|AAAA"
    });
    assert_eq!(sweeper::partitions(&answer), [partition]);
}

/// The application `events/sweeper-deleting.json` names, with `children` feedback items,
/// written through the store: its user and id.
async fn store_demo_application(api: &TestApi, children: usize) -> (UserId, Id) {
    let uid = UserId::parse("demo-user").unwrap();
    let id: Id = "01JDQ6ZK3V9V6M1T4WZ8X2Y3AB".parse().unwrap();
    let application = Application::parse_new(
        json!({"company": "Globex", "role": "SRE"}),
        id,
        Timestamp::now(),
    )
    .unwrap();
    api.state
        .store
        .create_application(&uid, &application, None)
        .await
        .unwrap();
    seed_children(api, &uid, id, children).await;
    (uid, id)
}

#[tokio::test]
async fn the_sweeper_finishes_what_a_request_left_from_the_stream_event() {
    let api = TestApi::new().await;
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../events/sweeper-deleting.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let (uid, id) = store_demo_application(&api, 600).await;
    let partition = keys::application_pk(&uid, id);
    assert_eq!(
        sweeper::partitions(&event),
        std::slice::from_ref(&partition)
    );
    let store = &testkit::confined(&api.state, "sweeper").store;

    // A request whose time ran out at once: marked, nothing swept, and it reads as gone.
    api.mark_deleting(&uid, id).await;
    assert_eq!(items_in(&api, &partition).await, 601);
    assert!(store.get_application(&uid, id).await.is_err());

    // An invocation that runs out of time fails, so the stream retries it.
    assert!(
        sweeper::handle(store, event.clone(), Duration::ZERO)
            .await
            .is_err()
    );
    sweeper::handle(store, event, testkit::SWEEP_TIME)
        .await
        .expect("the sweep finishes");
    assert_eq!(items_in(&api, &partition).await, 0);
}

#[tokio::test]
async fn a_sweep_of_an_application_already_gone_leaves_its_partition_alone() {
    let api = TestApi::new().await;
    let (uid, id) = store_demo_application(&api, 3).await;
    let partition = keys::application_pk(&uid, id);
    // Its application item is deleted last, after everything else of it: what the partition
    // holds without it was written since (here: as a stale stream record finds it).
    api.client
        .delete_item()
        .table_name(&api.table)
        .set_key(Some(store::table_key(
            partition.clone(),
            keys::APPLICATION_SK,
        )))
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + testkit::SWEEP_TIME;
    let store = &testkit::confined(&api.state, "sweeper").store;
    assert_eq!(
        store.sweep_application(&partition, deadline).await.unwrap(),
        store::Sweep::Done
    );
    assert_eq!(items_in(&api, &partition).await, 3);
}

#[tokio::test]
async fn the_sweeper_leaves_live_applications_and_other_records_alone() {
    let api = TestApi::new().await;
    let (uid, id) = store_demo_application(&api, 3).await;
    let partition = keys::application_pk(&uid, id);
    let store = &testkit::confined(&api.state, "sweeper").store;
    // A forged or stale record naming a live application sweeps nothing.
    let event = marked(&partition);
    sweeper::handle(store, event, testkit::SWEEP_TIME)
        .await
        .unwrap();
    assert_eq!(items_in(&api, &partition).await, 4);
    // Records that are not a marked application are not even looked at.
    let others = json!({"Records": [
        {"eventName": "MODIFY", "dynamodb": {"Keys": {"PK": {"S": partition}, "SK": {"S": "APPLICATION"}},
            "NewImage": {"company": {"S": "Globex"}}}},
        {"eventName": "MODIFY", "dynamodb": {"Keys": {"PK": {"S": partition}, "SK": {"S": "FEEDBACK#1"}},
            "NewImage": {"deleting": {"BOOL": true}}}}
    ]});
    assert!(sweeper::partitions(&others).is_empty());
}

/// What another sweep and an import do while a sweep runs, at the moment it asks for its
/// second page of keys: the other sweep finishes the application, then an import writes it
/// again (not marked) with new feedback. On a thread of its own: an interceptor cannot wait for
/// a call of its own client.
#[derive(Debug)]
struct Meanwhile {
    endpoint: String,
    table: String,
    partition: String,
    new_children: Vec<String>,
    done: std::sync::atomic::AtomicBool,
}

impl aws_sdk_dynamodb::config::Intercept for Meanwhile {
    fn name(&self) -> &'static str {
        "Meanwhile"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<
            '_,
        >,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let Some(query) = context
            .input()
            .downcast_ref::<aws_sdk_dynamodb::operation::query::QueryInput>()
        else {
            return Ok(());
        };
        if query.exclusive_start_key.is_none()
            || self.done.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(());
        }
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let runtime = tokio::runtime::Runtime::new().unwrap();
                runtime.block_on(async {
                    let client = testkit::patient_client_for(&self.endpoint).await;
                    let other = store::Store::new(client.clone(), self.table.clone());
                    let deadline = std::time::Instant::now() + testkit::SWEEP_TIME;
                    let swept = other.sweep_application(&self.partition, deadline).await;
                    assert_eq!(swept.unwrap(), store::Sweep::Done);
                    let sks = std::iter::once(keys::APPLICATION_SK.to_owned())
                        .chain(self.new_children.iter().cloned());
                    for sk in sks {
                        client
                            .put_item()
                            .table_name(&self.table)
                            .set_item(Some(store::table_key(self.partition.clone(), &sk)))
                            .send()
                            .await
                            .unwrap();
                    }
                });
            });
        });
        Ok(())
    }
}

#[tokio::test]
async fn a_sweep_stops_where_another_finished_and_an_import_wrote_the_application_again() {
    let api = TestApi::new().await;
    // More keys than one page of a sweep.
    let (uid, id) = store_demo_application(&api, 450).await;
    let partition = keys::application_pk(&uid, id);
    api.mark_deleting(&uid, id).await;
    let new_children: Vec<String> = (0..10)
        .map(|_| keys::child_sk(ChildKind::Feedback, Id::generate()))
        .collect();
    let meanwhile = Meanwhile {
        endpoint: testkit::dynamodb_local().await.endpoint.clone(),
        table: api.table.clone(),
        partition: partition.clone(),
        new_children: new_children.clone(),
        done: Default::default(),
    };
    let config = api
        .state
        .store
        .client()
        .config()
        .to_builder()
        .interceptor(meanwhile)
        .build();
    let store = api
        .state
        .store
        .clone()
        .with_client(aws_sdk_dynamodb::Client::from_conf(config));
    let deadline = std::time::Instant::now() + testkit::SWEEP_TIME;
    assert_eq!(
        store.sweep_application(&partition, deadline).await.unwrap(),
        store::Sweep::Done
    );
    // The import's application and every one of its children are there.
    let mut left: Vec<String> = api
        .all_items()
        .await
        .iter()
        .filter(|item| item[keys::PK].as_s().unwrap() == &partition)
        .map(|item| item[keys::SK].as_s().unwrap().clone())
        .collect();
    left.sort();
    let mut expected = new_children;
    expected.push(keys::APPLICATION_SK.to_owned());
    expected.sort();
    assert_eq!(left, expected);
}
