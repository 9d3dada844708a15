//! Feedback and rejections against DynamoDB Local, through the gateway and the functions' routers.

use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashSet;
use testkit::{Reply, Session, TestApi, field_of_each};

const COLLECTIONS: [&str; 2] = ["feedback", "rejections"];

fn valid_body(collection: &str) -> Value {
    match collection {
        "feedback" => json!({
            "feedback_date": "2026-11-20", "stage": "technical", "interviewer": "Ada",
            "rating": 4, "comments": "solid", "strengths": ["rust", "sql"], "improvements": ["k8s"]
        }),
        _ => json!({
            "rejected_date": "2026-11-21", "stage": "onsite", "category": "experience_level",
            "reasons": ["wanted more years", "team fit"], "notes": "polite"
        }),
    }
}

#[tokio::test]
async fn every_route_works_for_both_collections() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    for collection in COLLECTIONS {
        let app = user.new_application().await;
        let base = format!("/applications/{app}/{collection}");
        let created = user
            .post(&base)
            .json(valid_body(collection))
            .await
            .expect(201);
        let id = created.id();
        let path = format!("{base}/{id}");
        assert_eq!(created.header("location"), Some(path.as_str()));
        assert_eq!(created.header("etag"), Some("\"1\""));
        assert_eq!(created.body["application_id"], app.as_str());
        assert_eq!(created.body["version"], 1);
        for (field, value) in valid_body(collection).as_object().unwrap() {
            assert_eq!(&created.body[field], value, "{collection}.{field}");
        }
        let fetched = user.get(&path).await.expect(200);
        assert_eq!(fetched.body, created.body);

        let list = user.get(&base).await.expect(200);
        assert_eq!(
            list.body,
            json!({"items": [created.body.clone()], "next_cursor": null})
        );

        let patch = match collection {
            "feedback" => json!({"rating": 2, "comments": null}),
            _ => json!({"category": "other", "notes": null}),
        };
        let patched = user.patch(&path).json(patch).await.expect(200);
        assert_eq!(patched.header("etag"), Some("\"2\""));
        assert_eq!(patched.body["version"], 2);
        let untouched = if collection == "feedback" {
            "strengths"
        } else {
            "reasons"
        };
        assert_eq!(
            patched.body[untouched], created.body[untouched],
            "omitted fields unchanged"
        );
        let put = user
            .put(&path)
            .json(json!({"stage": "final"}))
            .await
            .expect(200);
        assert_eq!(put.body["stage"], "final");
        assert_eq!(put.body["version"], 3);
        assert_eq!(put.body["created_at"], created.body["created_at"]);

        user.delete(&path).await.expect(204);
        user.get(&path).await.expect_problem(404);
        user.delete(&path).await.expect_problem(404);
        let reply = user.delete(&base).await.expect_problem(405);
        assert!(reply.header("allow").unwrap().contains("POST"));
    }
}

#[tokio::test]
async fn feedback_validation_names_every_bad_field() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let base = format!("/applications/{app}/feedback");
    let too_many: Vec<String> = (0..31).map(|i| format!("s{i}")).collect();
    let reply = user
        .post(&base)
        .json(json!({
            "feedback_date": "2026-02-30", "stage": "lunch", "interviewer": "i".repeat(201),
            "rating": 0, "comments": "c".repeat(10_001), "strengths": too_many,
            "improvements": ["x".repeat(51)], "application_id": app, "extra": true
        }))
        .await
        .expect_problem(422);
    assert_eq!(
        reply.invalid_fields(),
        [
            "feedback_date",
            "stage",
            "interviewer",
            "rating",
            "comments",
            "strengths",
            "improvements",
            "application_id",
            "extra"
        ]
    );
    for rating in [json!(6), json!(3.5), json!("4")] {
        let reply = user.post(&base).json(json!({"rating": rating})).await;
        assert_eq!(reply.invalid_fields(), ["rating"]);
    }
    let reply = user.post(&base).json(json!({"strengths": [""]})).await;
    assert_eq!(reply.invalid_fields(), ["strengths"]);
    // An empty feedback is allowed (every field is optional)…
    user.post(&base).json(json!({})).await.expect(201);
    // …but an empty update is not.
    let id = user
        .post(&base)
        .json(json!({"rating": 5}))
        .await
        .expect(201)
        .id();
    let reply = user.patch(&format!("{base}/{id}")).json(json!({})).await;
    assert_eq!(reply.invalid_fields(), ["body"]);
    let reply = user
        .patch(&format!("{base}/{id}"))
        .json(json!({"rating": 9, "id": "x"}))
        .await;
    assert_eq!(reply.invalid_fields(), ["rating", "id"]);
    user.post(&base)
        .typed_body("application/json", "{")
        .await
        .expect_problem(400);
    user.post(&base)
        .typed_body("text/csv", "a,b")
        .await
        .expect_problem(415);
    let list = user.get(&base).await.expect(200);
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        2,
        "invalid requests wrote nothing"
    );
}

#[tokio::test]
async fn rejection_validation_names_every_bad_field() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let base = format!("/applications/{app}/rejections");
    let reasons: Vec<String> = (0..21).map(|i| format!("r{i}")).collect();
    let reply = user
        .post(&base)
        .json(json!({
            "rejected_date": "soon", "stage": "interview", "category": "bad_luck",
            "reasons": reasons, "notes": "n".repeat(10_001), "version": 1
        }))
        .await
        .expect_problem(422);
    assert_eq!(
        reply.invalid_fields(),
        [
            "rejected_date",
            "stage",
            "category",
            "reasons",
            "notes",
            "version"
        ]
    );
    let reply = user
        .post(&base)
        .json(json!({"reasons": ["r".repeat(201)], "stage": "phone_screen"}))
        .await;
    assert_eq!(reply.invalid_fields(), ["reasons"]);
    let app_state = user.get(&format!("/applications/{app}")).await.expect(200);
    assert_eq!(
        app_state.body["status"], "applied",
        "an invalid rejection changes nothing"
    );
    let minimal = user
        .post(&base)
        .json(json!({"stage": "application"}))
        .await
        .expect(201);
    assert_eq!(
        minimal.body["rejected_date"],
        chrono::Utc::now().date_naive().to_string().as_str()
    );
    assert_eq!(minimal.body["reasons"], json!([]));
}

#[tokio::test]
async fn missing_foreign_and_wrong_parents_are_404_on_every_route() {
    let api = TestApi::new().await;
    let (owner, intruder) = (api.signed_in(), api.signed_in());
    let intruders_app = intruder.new_application().await;
    for collection in COLLECTIONS {
        let app = owner.new_application().await;
        let other_app = owner.new_application().await;
        let child = owner
            .post(&format!("/applications/{app}/{collection}"))
            .json(valid_body(collection))
            .await
            .expect(201);
        let child_id = child.id();
        let child_etag = child.header("etag").expect("an ETag").to_owned();
        let missing_app = domain::Id::generate().to_string();
        let cases: Vec<(String, &Session)> = vec![
            (missing_app.clone(), &owner),      // no such application
            (app.clone(), &intruder),           // another user's application
            (other_app.clone(), &owner),        // the child is under another application
            ("not-an-id".to_owned(), &owner),   // malformed application id
            (intruders_app.clone(), &intruder), // another user's child under one's own
        ];
        for (parent, user) in cases {
            let base = format!("/applications/{parent}/{collection}");
            let path = format!("{base}/{child_id}");
            user.get(&path).await.expect_problem(404);
            // With the child's current ETag too: 404, never a 412 that would say it exists.
            let change = json!({"stage": "other"});
            let writes = [
                user.put(&path).json(change.clone()),
                user.patch(&path).json(change.clone()),
                user.delete(&path),
                user.put(&path).if_match(&child_etag).json(change.clone()),
                user.patch(&path).if_match(&child_etag).json(change),
                user.delete(&path).if_match(&child_etag),
            ];
            for write in writes {
                write.await.expect_problem(404);
            }
            if parent != other_app && parent != intruders_app {
                user.get(&base).await.expect_problem(404);
                user.post(&base)
                    .json(valid_body(collection))
                    .await
                    .expect_problem(404);
            }
        }
        owner
            .get(&format!("/applications/{app}/{collection}/not-an-id"))
            .await
            .expect_problem(404);
        // Deleting the owner's application, which has a child: 404, with its ETag too.
        let app_path = format!("/applications/{app}");
        let app_etag = owner.get(&app_path).await.expect(200);
        let app_etag = app_etag.header("etag").expect("an ETag").to_owned();
        intruder.delete(&app_path).await.expect_problem(404);
        intruder
            .delete(&app_path)
            .if_match(&app_etag)
            .await
            .expect_problem(404);
        let read = owner
            .get(&format!("/applications/{app}/{collection}/{child_id}"))
            .await
            .expect(200);
        assert_eq!(read.body, child.body);
        // Nothing above changed or created anything.
        let list = owner
            .get(&format!("/applications/{app}/{collection}"))
            .await
            .expect(200);
        assert_eq!(list.body["items"], json!([child.body]));
        let other = owner
            .get(&format!("/applications/{other_app}/{collection}"))
            .await
            .expect(200);
        assert_eq!(other.body["items"], json!([]));
        let intruders = intruder.get("/applications").await.expect(200);
        let ids = field_of_each(&intruders.body["items"], "id");
        assert_eq!(ids, [intruders_app.as_str()]);
        let own = intruder
            .get(&format!("/applications/{intruders_app}/{collection}"))
            .await
            .expect(200);
        assert_eq!(own.body["items"], json!([]), "nothing written under it");
    }
}

#[tokio::test]
async fn tokens_are_required() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    for collection in COLLECTIONS {
        let base = format!("/applications/{app}/{collection}");
        api.get(&base).await.expect_problem(401);
        api.post(&base)
            .json(valid_body(collection))
            .await
            .expect_problem(401);
        api.get(&format!("{base}/{}", domain::Id::generate()))
            .await
            .expect_problem(401);
    }
}

#[tokio::test]
async fn stale_if_match_is_412_and_idempotent_retries_create_one_child() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    for collection in COLLECTIONS {
        let base = format!("/applications/{app}/{collection}");
        let first = user
            .post(&base)
            .idempotency_key("once")
            .json(valid_body(collection))
            .await
            .expect(201);
        let retry = user
            .post(&base)
            .idempotency_key("once")
            .json(valid_body(collection))
            .await
            .expect(201);
        assert_eq!(retry.body, first.body);
        assert_eq!(retry.header("location"), first.header("location"));
        user.post(&base)
            .idempotency_key("once")
            .json(json!({"notes_typo": 1}))
            .await
            .expect_problem(422);
        user.post(&base)
            .idempotency_key("once")
            .json(json!({"stage": "other"}))
            .await
            .expect_problem(422);
        let list = user.get(&base).await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

        let path = format!("{base}/{}", first.id());
        user.patch(&path)
            .if_match("\"1\"")
            .json(json!({"stage": "final"}))
            .await
            .expect(200);
        let stale_writes = [
            user.patch(&path)
                .if_match("\"1\"")
                .json(json!({"stage": "other"})),
            user.delete(&path).if_match("\"1\""),
        ];
        for write in stale_writes {
            write.await.expect_problem(412);
        }
        let current = user.get(&path).await.expect(200);
        assert_eq!(current.body["stage"], "final");
        assert_eq!(current.body["version"], 2);
        user.delete(&path).if_match("\"2\"").await.expect(204);
    }
}

/// `If-Match` on a child's create names its application's version: stale is 412 and nothing is
/// written (no child, no status change); current or `*` creates. On `POST /applications` a
/// listed tag never matches (a collection has no version).
#[tokio::test]
async fn if_match_on_a_create_is_the_applications_version() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    for collection in COLLECTIONS {
        let app = user.new_application().await;
        user.patch(&format!("/applications/{app}"))
            .json(json!({"notes": "now at version 2"}))
            .await
            .expect(200);
        let base = format!("/applications/{app}/{collection}");
        for stale in ["\"1\"", "\"3\", W/\"4\"", "garbage"] {
            user.post(&base)
                .if_match(stale)
                .json(valid_body(collection))
                .await
                .expect_problem(412);
        }
        let list = user.get(&base).await.expect(200);
        assert_eq!(
            list.body["items"],
            json!([]),
            "{collection}: nothing written"
        );
        let application = user.get(&format!("/applications/{app}")).await.expect(200);
        assert_eq!(application.body["status"], "applied");
        assert_eq!(application.body["version"], 2);

        for current in ["\"2\"", "*"] {
            user.post(&base)
                .if_match(current)
                .json(valid_body(collection))
                .await
                .expect(201);
        }
        let list = user.get(&base).await.expect(200);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
        // A missing application is still 404, whatever If-Match says.
        user.post(&format!(
            "/applications/00000000000000000000000000/{collection}"
        ))
        .if_match("\"1\"")
        .json(valid_body(collection))
        .await
        .expect_problem(404);
    }
    let rejected = user.get("/applications?status=rejected").await.expect(200);
    assert_eq!(rejected.body["items"].as_array().unwrap().len(), 1);

    let before = user.get("/applications").await.expect(200);
    user.post("/applications")
        .if_match("\"1\"")
        .json(json!({"company": "Initech", "role": "Engineer"}))
        .await
        .expect_problem(412);
    let after = user.get("/applications").await.expect(200);
    assert_eq!(after.body["items"], before.body["items"]);
    user.post("/applications")
        .if_match("*")
        .json(json!({"company": "Initech", "role": "Engineer"}))
        .await
        .expect(201);
}

#[tokio::test]
async fn recording_a_rejection_sets_status_and_history_in_one_transaction() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let app_path = format!("/applications/{app}");
    let before = user.get(&app_path).await.expect(200).body;
    let rejection = user
        .post(&format!("{app_path}/rejections"))
        .json(valid_body("rejections"))
        .await
        .expect(201);
    let after = user.get(&app_path).await.expect(200).body;
    assert_eq!(after["status"], "rejected");
    assert_eq!(after["version"], before["version"].as_u64().unwrap() + 1);
    let history = field_of_each(&after["status_history"], "status");
    assert_eq!(history, ["applied", "rejected"]);
    assert_eq!(
        after["status_history"][1]["at"],
        rejection.body["created_at"]
    );

    // A second rejection of a rejected application is not a status change: no new entry.
    user.post(&format!("{app_path}/rejections"))
        .json(json!({}))
        .await
        .expect(201);
    let again = user.get(&app_path).await.expect(200).body;
    assert_eq!(again["status_history"].as_array().unwrap().len(), 2);
    assert_eq!(again["version"], after["version"]);

    // Deleting a rejection leaves the status as it is (documented in docs/api.md).
    let path = format!("{app_path}/rejections/{}", rejection.id());
    user.delete(&path).await.expect(204);
    let still = user.get(&app_path).await.expect(200).body;
    assert_eq!(still["status"], "rejected");

    // Feedback never touches the application.
    user.post(&format!("{app_path}/feedback"))
        .json(json!({"rating": 1}))
        .await
        .expect(201);
    let unchanged = user.get(&app_path).await.expect(200).body;
    assert_eq!(unchanged["version"], still["version"]);
}

#[tokio::test]
async fn a_rejection_for_a_gone_application_writes_nothing() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    // The application is mid-delete (marked, children not yet swept): it reads as gone.
    let uid = user.id();
    let id: domain::Id = app.parse().unwrap();
    api.client
        .update_item()
        .table_name(&api.table)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(store::keys::application_pk(&uid, id)),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S(store::keys::APPLICATION_SK.into()),
        )
        .update_expression("SET deleting = :t")
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    let items_before = api.all_items().await;
    for collection in COLLECTIONS {
        user.post(&format!("/applications/{app}/{collection}"))
            .json(valid_body(collection))
            .await
            .expect_problem(404);
    }
    assert_eq!(
        api.all_items().await,
        items_before,
        "neither the child nor the status was written"
    );
    // Finishing the delete, then trying again: still 404, still nothing written.
    user.delete(&format!("/applications/{app}"))
        .await
        .expect(204);
    user.post(&format!("/applications/{app}/rejections"))
        .json(valid_body("rejections"))
        .await
        .expect_problem(404);
    assert!(api.all_items().await.is_empty());
}

#[tokio::test]
async fn paging_children_returns_each_exactly_once_newest_first() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    for collection in COLLECTIONS {
        let base = format!("/applications/{app}/{collection}");
        let mut expected = Vec::new();
        for i in 0..23 {
            let body = if collection == "feedback" {
                json!({"comments": format!("c{i}")})
            } else {
                json!({"notes": format!("n{i}")})
            };
            expected.push(user.post(&base).json(body).await.expect(201).id());
        }
        expected.reverse();
        let mut seen = Vec::new();
        let mut next = Some(format!("{base}?limit=5"));
        while let Some(path) = next.take() {
            let page: Reply = user.get(&path).await.expect(200);
            let items = page.body["items"].as_array().unwrap();
            assert!(items.len() <= 5);
            seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            next = page.body["next_cursor"]
                .as_str()
                .map(|c| format!("{base}?limit=5&cursor={c}"));
            assert!(seen.len() <= 23);
        }
        assert_eq!(seen, expected);
        // A cursor from one collection does not work in the other or under another application.
        let page = user.get(&format!("{base}?limit=5")).await.expect(200);
        let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
        let other = if collection == "feedback" {
            "rejections"
        } else {
            "feedback"
        };
        user.get(&format!("/applications/{app}/{other}?cursor={cursor}"))
            .await
            .expect_problem(400);
        user.get(&format!("{base}?cursor=xyz"))
            .await
            .expect_problem(400);
        user.get(&format!("{base}?limit=500"))
            .await
            .expect_problem(400);
    }
}

#[tokio::test]
async fn a_child_list_goes_on_past_the_1_mb_one_query_reads() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let base = format!("/applications/{app}/feedback");
    // About 52 KB each, within every limit: 21 of them fill the 1 MB a query reads at most.
    let body = json!({
        "comments": "😀".repeat(10_000),
        "strengths": (0..30).map(|i| format!("{i:02}{}", "😀".repeat(48))).collect::<Vec<_>>(),
        "improvements": (0..30).map(|i| format!("{i:02}{}", "😃".repeat(48))).collect::<Vec<_>>(),
    });
    let mut expected = Vec::new();
    for _ in 0..30 {
        expected.push(user.post(&base).json(body.clone()).await.expect(201).id());
    }
    expected.reverse();
    let mut seen = Vec::new();
    let mut next = Some(base.clone());
    while let Some(path) = next.take() {
        let page: Reply = user.get(&path).await.expect(200);
        let items = page.body["items"].as_array().unwrap();
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        next = page.body["next_cursor"]
            .as_str()
            .map(|c| format!("{base}?cursor={c}"));
        assert!(seen.len() <= 30);
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn deleting_an_application_removes_300_children_without_a_scan() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let keep = user.new_application().await;
    user.post(&format!("/applications/{keep}/feedback"))
        .json(json!({"rating": 3}))
        .await
        .expect(201);
    let creates = (0..300).map(|i| {
        let collection = if i % 3 == 0 { "rejections" } else { "feedback" };
        let (user, app) = (&user, &app);
        async move {
            user.post(&format!("/applications/{app}/{collection}"))
                .json(json!({}))
                .await
                .expect(201);
        }
    });
    futures::stream::iter(creates)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let uid = user.id();
    let partition = store::keys::application_pk(&uid, app.parse().unwrap());
    let in_collection =
        |items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>]| {
            items
                .iter()
                .filter(|i| i["PK"].as_s().unwrap() == &partition)
                .count()
        };
    assert_eq!(in_collection(&api.all_items().await), 301);

    user.delete(&format!("/applications/{app}"))
        .await
        .expect(204);
    let items = api.all_items().await;
    assert_eq!(
        in_collection(&items),
        0,
        "no item of the collection remains"
    );
    let kinds: HashSet<String> = items
        .iter()
        .map(|i| i["type"].as_s().unwrap().clone())
        .collect();
    assert!(
        kinds.contains("application") && kinds.contains("feedback"),
        "the other application is untouched"
    );
    user.get(&format!("/applications/{app}/feedback"))
        .await
        .expect_problem(404);
    let kept = user
        .get(&format!("/applications/{keep}/feedback"))
        .await
        .expect(200);
    assert_eq!(kept.body["items"].as_array().unwrap().len(), 1);
}
