//! `/applications` against DynamoDB Local, through the gateway and the function's own router.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use std::collections::HashSet;
use testkit::{Session, TestApi, field_of_each};

/// An application's fields besides its id and bookkeeping (timestamps, version), in the order
/// the API names them.
const DATA_FIELDS: &str = "company role status applied_date job_url location work_mode source \
    salary_min salary_max salary_currency tags notes follow_up_on status_history";

fn data_fields() -> impl Iterator<Item = &'static str> {
    DATA_FIELDS.split_whitespace()
}

#[tokio::test]
async fn create_returns_201_location_etag_and_the_full_shape() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let reply = user
        .create_application(json!({
            "company": "  Acme  ", "role": "Rust Engineer", "status": "SCREENING",
            "job_url": "https://jobs.example.com/42", "location": "Berlin", "work_mode": "hybrid",
            "source": "referral", "salary_min": 70000, "salary_max": 90000, "salary_currency": "eur",
            "tags": ["rust", "rust", "backend"], "notes": "met at a meetup", "follow_up_on": "2026-12-01"
        }))
        .await;
    let id = reply.id();
    assert_eq!(
        reply.header("location"),
        Some(format!("/applications/{id}").as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let app = &reply.body;
    assert_eq!(app["company"], "Acme");
    assert_eq!(app["status"], "screening");
    assert_eq!(app["salary_currency"], "EUR");
    assert_eq!(app["tags"], json!(["rust", "backend"]));
    assert_eq!(app["applied_date"], Value::Null, "not applied yet");
    assert_eq!(app["version"], 1);
    assert_eq!(app["status_history"].as_array().unwrap().len(), 1);
    assert_eq!(app["status_history"][0]["status"], "screening");
    let created_at = app["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    assert_eq!(app["created_at"], app["updated_at"]);
    let bookkeeping = ["id", "created_at", "updated_at", "version"];
    for field in data_fields().chain(bookkeeping) {
        assert!(app.get(field).is_some(), "missing {field}");
    }
    assert_eq!(
        app.as_object().unwrap().len(),
        19,
        "no internal attributes leak: {app}"
    );

    let fetched = user.get(&format!("/applications/{id}")).await.expect(200);
    assert_eq!(&fetched.body, app);
    assert_eq!(fetched.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn minimal_create_defaults_to_applied_today() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user
        .create_application(json!({"company": "Acme", "role": "Dev"}))
        .await
        .body;
    assert_eq!(app["status"], "applied");
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(app["applied_date"], today.as_str());
    assert_eq!(app["tags"], json!([]));
    assert_eq!(app["job_url"], Value::Null);
}

#[tokio::test]
async fn every_validation_rule_is_a_422_naming_every_bad_field() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let reply = user
        .post("/applications")
        .json(json!({
            "company": "   ", "role": "x".repeat(201), "status": "hired",
            "applied_date": "2026-13-01", "job_url": "ftp://example.com", "location": "l".repeat(201),
            "work_mode": "office", "source": "s".repeat(101), "salary_min": -1, "salary_max": 1.5,
            "salary_currency": "DOLLARS", "tags": ["t".repeat(51)], "notes": "n".repeat(10_001),
            "follow_up_on": "tomorrow", "status_history": [], "id": "x", "colour": "blue"
        }))
        .await
        .expect_problem(422);
    assert_eq!(reply.body["type"], "/problems/validation");
    let fields: HashSet<String> = reply.invalid_fields().into_iter().collect();
    let expected: HashSet<String> = data_fields()
        .chain(["id", "colour"])
        .map(String::from)
        .collect();
    assert_eq!(fields, expected);
    assert_eq!(reply.body["detail"], "17 fields are invalid");

    // Rules between fields and list limits.
    let reply = user
        .post("/applications")
        .json(
            json!({"company": "a", "role": "b", "salary_min": 10, "salary_max": 5,
                     "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(reply.invalid_fields(), ["tags", "salary_min"]);
    let reply = user.post("/applications").json(json!({})).await;
    assert_eq!(reply.invalid_fields(), ["company", "role"]);
    let reply = user
        .post("/applications")
        .json(json!({"company": null, "role": 5}))
        .await;
    assert_eq!(reply.invalid_fields(), ["company", "role"]);
    let reply = user.post("/applications").json(json!([1])).await;
    assert_eq!(reply.invalid_fields(), ["body"]);
    assert!(
        api.all_items().await.is_empty(),
        "nothing written by invalid requests"
    );
}

#[tokio::test]
async fn dates_are_exactly_yyyy_mm_dd() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let id = user.new_application().await;
    // Ten characters that a lenient parser reads as a date: a space for a digit, one digit
    // short, a sign.
    for date in [
        "2026-01- 1",
        "2026- 1-01",
        " 026-01-01",
        "+026-01-01",
        "2026-1-01 ",
    ] {
        let reply = user
            .post("/applications")
            .json(json!({"company": "a", "role": "b", "applied_date": date, "follow_up_on": date}))
            .await;
        assert_eq!(
            reply.invalid_fields(),
            ["applied_date", "follow_up_on"],
            "{date:?}"
        );
        let reply = user
            .patch(&format!("/applications/{id}"))
            .json(json!({"follow_up_on": date}))
            .await;
        assert_eq!(reply.invalid_fields(), ["follow_up_on"], "{date:?}");
        let reply = user
            .post(&format!("/applications/{id}/feedback"))
            .json(json!({"feedback_date": date}))
            .await;
        assert_eq!(reply.invalid_fields(), ["feedback_date"], "{date:?}");
        let reply = user
            .post(&format!("/applications/{id}/rejections"))
            .json(json!({"rejected_date": date}))
            .await;
        assert_eq!(reply.invalid_fields(), ["rejected_date"], "{date:?}");
    }
    let app = user.get(&format!("/applications/{id}")).await.expect(200);
    assert_eq!(app.body["version"], 1, "nothing written");
    let reply = user
        .patch(&format!("/applications/{id}"))
        .json(json!({"follow_up_on": "0026-01-01"}))
        .await
        .expect(200);
    assert_eq!(reply.body["follow_up_on"], "0026-01-01");
}

#[tokio::test]
async fn a_job_url_too_long_once_encoded_says_so() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    // 718 characters as sent; 4,218 once each `é` is written `%C3%A9`, as it is stored.
    let url = format!("https://a.example/{}", "é".repeat(700));
    let reply = user
        .post("/applications")
        .json(json!({"company": "a", "role": "b", "job_url": url}))
        .await
        .expect_problem(422);
    assert_eq!(
        reply.body["errors"][0]["message"],
        "must be at most 2048 characters once percent-encoded (4218)"
    );
    let url = format!("https://a.example/{}", "é".repeat(300));
    let reply = user
        .create_application(json!({"company": "a", "role": "b", "job_url": url}))
        .await;
    let stored = reply.body["job_url"].as_str().unwrap();
    assert_eq!(stored.len(), 18 + 300 * 6);
}

#[tokio::test]
async fn malformed_json_wrong_type_and_oversized_bodies_are_rejected() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    user.post("/applications")
        .typed_body("application/json", "{\"company\": ")
        .await
        .expect_problem(400);
    user.post("/applications")
        .typed_body("text/plain", "{}")
        .await
        .expect_problem(415);
    user.post("/applications")
        .raw_body("{}")
        .await
        .expect_problem(415);
    user.post("/applications")
        .typed_body("application/merge-patch+json", "{}")
        .await
        .expect_problem(415);
    let big = json!({"company": "a", "role": "b", "notes": "n".repeat(70 * 1024)});
    user.post("/applications")
        .json(big)
        .await
        .expect_problem(413);
    // Just over the limit, without a declared length: still 413.
    let mut body = br#"{"company":"a","role":"b","notes":""#.to_vec();
    body.extend(std::iter::repeat_n(b'n', 64 * 1024));
    body.extend(br#""}"#);
    user.post("/applications")
        .typed_body("application/json; charset=utf-8", body)
        .await
        .expect_problem(413);
    assert!(api.all_items().await.is_empty());
}

/// A new application of `user` with a feedback and a rejection: their ids.
async fn application_with_children(user: &Session<'_>) -> (String, String, String) {
    let app = user.new_application().await;
    let create = |collection: &str| {
        let path = format!("/applications/{app}/{collection}");
        user.post(&path).json(json!({}))
    };
    let feedback = create("feedback").await.expect(201).id();
    let rejection = create("rejections").await.expect(201).id();
    (app, feedback, rejection)
}

/// The updates of an application and every write of feedback and rejections: a body that is
/// not JSON is 415, one byte over the limit is 413, and neither writes anything (a rejection's
/// status change included).
#[tokio::test]
async fn every_other_write_refuses_a_body_not_json_or_over_the_limit_and_writes_nothing() {
    use axum::http::Method;
    let api = TestApi::new().await;
    let user = api.signed_in();
    let (app, feedback, rejection) = application_with_children(&user).await;
    let app = format!("/applications/{app}");
    let feedback = format!("{app}/feedback/{feedback}");
    let rejection = format!("{app}/rejections/{rejection}");
    let writes = [
        (Method::PUT, app.clone(), "notes"),
        (Method::PATCH, app.clone(), "notes"),
        (Method::POST, format!("{app}/feedback"), "comments"),
        (Method::PUT, feedback.clone(), "comments"),
        (Method::PATCH, feedback, "comments"),
        (Method::POST, format!("{app}/rejections"), "notes"),
        (Method::PUT, rejection.clone(), "notes"),
        (Method::PATCH, rejection, "notes"),
    ];
    let before = api.all_items().await;
    let limit = api::extract::BODY_LIMIT_BYTES;
    for (method, path, field) in writes {
        // Valid as JSON: only its type is wrong.
        let body = json!({ field: "changed" }).to_string();
        let reply = user
            .call(method.clone(), &path)
            .typed_body("text/plain", body)
            .await;
        assert_eq!(reply.status, 415, "{method} {path}");
        reply.expect_problem(415);
        // Well-formed JSON one byte over the limit (were the limit not checked, the field's
        // length would make it a 422).
        let empty = json!({ field: "" }).to_string().len();
        let body = json!({ field: "n".repeat(limit + 1 - empty) }).to_string();
        assert_eq!(body.len(), limit + 1);
        let reply = user
            .call(method.clone(), &path)
            .typed_body("application/json", body);
        let reply = reply.await;
        assert_eq!(reply.status, 413, "{method} {path}");
        reply.expect_problem(413);
    }
    assert_eq!(api.all_items().await, before, "nothing was written");
}

#[tokio::test]
async fn a_merge_patch_is_a_partial_update_body_on_put_as_on_patch() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let id = user.new_application().await;
    let document = api.get("/openapi.json").await.expect(200).body;
    let put = &document["paths"]["/applications/{id}"]["put"]["requestBody"]["content"];
    assert!(put.get("application/merge-patch+json").is_some(), "{put}");
    let reply = user
        .put(&format!("/applications/{id}"))
        .typed_body("application/merge-patch+json", r#"{"notes": "merged"}"#)
        .await
        .expect(200);
    assert_eq!(reply.body["notes"], "merged");
}

#[tokio::test]
async fn unknown_or_malformed_ids_and_routes_are_404_and_wrong_methods_405() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    for path in [
        "/applications/not-an-id",
        "/applications/01JDQ6ZK3V9V6M1T4WZ8X2Y3AB",
        "/applications/01JDQ6ZK3V9V6M1T4WZ8X2Y3ABC",
        "/nowhere",
    ] {
        user.get(path).await.expect_problem(404);
    }
    // Above the largest ULID: no id, not an alias of the one it would wrap around to.
    let id = user.new_application().await;
    assert!(id.starts_with('0'));
    for first in ['8', 'Z', 'z'] {
        let alias = format!("{first}{}", &id[1..]);
        user.get(&format!("/applications/{alias}"))
            .await
            .expect_problem(404);
    }
    user.delete("/applications/01JDQ6ZK3V9V6M1T4WZ8X2Y3AB")
        .await
        .expect_problem(404);
    user.patch("/applications/01JDQ6ZK3V9V6M1T4WZ8X2Y3AB")
        .json(json!({"notes": "x"}))
        .await
        .expect_problem(404);
    let reply = user.delete("/applications").await.expect_problem(405);
    let allow = reply.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    // A CORS preflight carries no token: 204 with `Allow` on a known path, and no handler runs.
    let options = axum::http::Method::OPTIONS;
    for path in [
        "/applications",
        "/applications/01JDQ6ZK3V9V6M1T4WZ8X2Y3AB",
        "/export",
    ] {
        let reply = api.call(options.clone(), path).await.expect(204);
        assert!(reply.header("allow").unwrap().contains("GET"), "{path}");
        assert!(reply.raw.is_empty(), "{path}");
    }
    api.call(options, "/nowhere").await.expect_problem(404);
}

#[tokio::test]
async fn missing_expired_or_wrongly_signed_tokens_are_401() {
    let api = TestApi::new().await;
    let reply = api.get("/applications").await.expect_problem(401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    let expired = dev_server::mint_token(testkit::TEST_JWT_SECRET, "someone", -3600);
    api.get("/applications")
        .token(&expired)
        .await
        .expect_problem(401);
    let forged = dev_server::mint_token("not-the-secret", "someone", 3600);
    api.get("/applications")
        .token(&forged)
        .await
        .expect_problem(401);
    api.get("/applications")
        .token("garbage")
        .await
        .expect_problem(401);
    api.post("/applications")
        .token(&forged)
        .json(json!({"company": "a", "role": "b"}))
        .await
        .expect_problem(401);
    assert!(api.all_items().await.is_empty());
}

#[tokio::test]
async fn another_users_application_is_404_on_every_route_and_never_listed() {
    let api = TestApi::new().await;
    let (owner, intruder) = (api.signed_in(), api.signed_in());
    let fields = json!({"company": "Acme", "role": "Dev", "tags": ["remote"],
                        "follow_up_on": "2020-01-01"});
    let created = owner.create_application(fields.clone()).await;
    let etag = created.header("etag").expect("an ETag").to_owned();
    let app = created.body;
    let path = format!("/applications/{}", app["id"].as_str().unwrap());
    intruder.get(&path).await.expect_problem(404);
    intruder
        .put(&path)
        .json(json!({"notes": "mine now"}))
        .await
        .expect_problem(404);
    intruder
        .patch(&path)
        .json(json!({"status": "offer"}))
        .await
        .expect_problem(404);
    intruder.delete(&path).await.expect_problem(404);
    // The owner's current ETag is still a 404, never a 412 (which would say the id exists).
    intruder
        .put(&path)
        .if_match(&etag)
        .json(json!({"notes": "mine now"}))
        .await
        .expect_problem(404);
    intruder
        .patch(&path)
        .if_match(&etag)
        .json(json!({"status": "offer"}))
        .await
        .expect_problem(404);
    intruder
        .delete(&path)
        .if_match(&etag)
        .await
        .expect_problem(404);
    let list = intruder.get("/applications").await.expect(200);
    assert_eq!(list.body["items"], json!([]));
    // Every filter the owner's application matches shows the intruder's own twin only.
    let own = intruder.create_application(fields).await.id();
    for filter in [
        "q=acme",
        "q=dev",
        "status=applied",
        "tag=remote",
        "follow_up_due=true",
        "status=applied&tag=remote&q=Acme&follow_up_due=true",
    ] {
        let list = intruder
            .get(&format!("/applications?{filter}"))
            .await
            .expect(200);
        let ids = field_of_each(&list.body["items"], "id");
        assert_eq!(ids, [own.as_str()], "{filter}");
    }
    let still = owner.get(&path).await.expect(200);
    assert_eq!(still.body, app, "the intruder changed nothing");
}

#[tokio::test]
async fn patch_and_put_are_partial_updates_that_record_status_history() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user
        .create_application(json!({"company": "Acme", "role": "Dev", "status": "saved",
                                          "notes": "keep me", "location": "Paris"}))
        .await
        .body;
    assert_eq!(app["applied_date"], Value::Null);
    let path = format!("/applications/{}", app["id"].as_str().unwrap());

    let reply = user
        .patch(&path)
        .json(json!({"status": "Applied", "location": null}))
        .await
        .expect(200);
    let updated = &reply.body;
    assert_eq!(reply.header("etag"), Some("\"2\""));
    assert_eq!(updated["status"], "applied");
    assert_eq!(updated["location"], Value::Null);
    assert_eq!(updated["notes"], "keep me");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["applied_date"],
        chrono::Utc::now().date_naive().to_string().as_str()
    );
    assert_eq!(updated["created_at"], app["created_at"]);
    assert_ne!(updated["updated_at"], app["updated_at"]);
    let history = field_of_each(&updated["status_history"], "status");
    assert_eq!(history, ["saved", "applied"]);

    // PUT behaves the same; the same status again adds no history entry.
    let reply = user
        .put(&path)
        .json(json!({"status": "applied", "salary_min": 1000, "tags": ["x"]}))
        .await
        .expect(200);
    assert_eq!(reply.body["status_history"].as_array().unwrap().len(), 2);
    assert_eq!(reply.body["salary_min"], 1000);
    assert_eq!(reply.body["version"], 3);

    // A status-only PATCH to the current status changes nothing.
    let reply = user
        .patch(&path)
        .json(json!({"status": "applied"}))
        .await
        .expect(200);
    assert_eq!(reply.body["version"], 3);

    // merge-patch content type is accepted on PATCH.
    user.patch(&path)
        .typed_body(
            "application/merge-patch+json",
            r#"{"status": "interviewing"}"#,
        )
        .await
        .expect(200);

    // Required fields cannot be cleared; salary bounds are checked against the stored value.
    let reply = user
        .patch(&path)
        .json(json!({"company": null, "salary_max": 10}))
        .await;
    assert_eq!(reply.invalid_fields(), ["company"]);
    let reply = user.patch(&path).json(json!({"salary_max": 10})).await;
    assert_eq!(reply.invalid_fields(), ["salary_max"]);
    let reply = user.patch(&path).json(json!({})).await;
    assert_eq!(reply.invalid_fields(), ["body"]);
    let reply = user.patch(&path).json(json!({"version": 9})).await;
    assert_eq!(reply.invalid_fields(), ["version"]);

    let final_state = user.get(&path).await.expect(200).body;
    assert_eq!(final_state["version"], 4);
    assert_eq!(final_state["salary_max"], Value::Null);
    assert_eq!(final_state["company"], "Acme");
}

#[tokio::test]
async fn stale_if_match_is_412_and_writes_nothing() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let path = format!("/applications/{}", user.new_application().await);
    user.patch(&path)
        .if_match("\"1\"")
        .json(json!({"notes": "v2"}))
        .await
        .expect(200);
    let lost = json!({"notes": "lost"});
    let stale_writes = [
        user.patch(&path).if_match("\"1\"").json(lost.clone()),
        user.patch(&path).if_match("garbage").json(lost),
        user.delete(&path).if_match("\"1\""),
    ];
    for write in stale_writes {
        let reply = write.await.expect_problem(412);
        assert_eq!(reply.body["type"], "/problems/precondition-failed");
    }
    let current = user.get(&path).await.expect(200);
    assert_eq!(current.body["notes"], "v2");
    assert_eq!(current.body["version"], 2);
    // The current ETag (and `*`) do match.
    user.put(&path)
        .if_match("*")
        .json(json!({"notes": "v3"}))
        .await
        .expect(200);
    user.delete(&path).if_match("W/\"3\"").await.expect(204);
    assert!(api.all_items().await.is_empty());
}

#[tokio::test]
async fn concurrent_updates_to_different_fields_are_both_kept() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let path = format!("/applications/{}", user.new_application().await);
    // Two writers at once, each changing its own field five times in a row: which write of a
    // field lands last is then known, and a write that put back the other field's older value
    // (a read-modify-write of the whole item) shows.
    let writer = |field: &'static str, prefix: &'static str| {
        let (user, path) = (&user, &path);
        async move {
            for i in 0..5 {
                user.patch(path)
                    .json(json!({ field: format!("{prefix}{i}") }))
                    .await
                    .expect(200);
            }
        }
    };
    futures::future::join(writer("notes", "n"), writer("location", "l")).await;
    let current = user.get(&path).await.expect(200).body;
    assert_eq!(current["version"], 11, "every update counted");
    assert_eq!(current["notes"], "n4");
    assert_eq!(current["location"], "l4");
}

#[tokio::test]
async fn idempotency_key_retry_creates_one_item_and_replays_the_response() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let body = json!({"company": "Acme", "role": "Dev"});
    let first = user
        .post("/applications")
        .idempotency_key("k-1")
        .json(body.clone())
        .await
        .expect(201);
    let retry = user
        .post("/applications")
        .idempotency_key("k-1")
        .json(body.clone())
        .await
        .expect(201);
    assert_eq!(retry.body, first.body);
    // Byte for byte, field order included: a retry reads what the first call would have.
    assert_eq!(
        String::from_utf8_lossy(&retry.raw),
        String::from_utf8_lossy(&first.raw)
    );
    assert_eq!(retry.header("content-type"), first.header("content-type"));
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), first.header("etag"));
    let list = user.get("/applications").await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    // Same key, other body: 422 and nothing created.
    let reuse = user
        .post("/applications")
        .idempotency_key("k-1")
        .json(json!({"company": "Other", "role": "Dev"}))
        .await
        .expect_problem(422);
    assert_eq!(reuse.body["type"], "/problems/idempotency-key-reused");
    // Another user's identical key is their own.
    let other = api.signed_in();
    let theirs = other
        .post("/applications")
        .idempotency_key("k-1")
        .json(body)
        .await
        .expect(201);
    assert_ne!(theirs.id(), first.id());
    let list = user.get("/applications").await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    user.post("/applications")
        .idempotency_key("bad key with spaces")
        .json(json!({"company": "a", "role": "b"}))
        .await
        .expect_problem(400);
}

#[tokio::test]
async fn an_expired_idempotency_key_is_a_new_key() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    user.post("/applications")
        .idempotency_key("k-1")
        .json(json!({"company": "Acme", "role": "Dev"}))
        .await
        .expect(201);
    // Past its 24 h, but not yet removed by TTL (which deletes lazily).
    let record = api
        .all_items()
        .await
        .into_iter()
        .find(|item| item["type"].as_s().is_ok_and(|t| t == "idempotency"))
        .unwrap();
    let key =
        [store::keys::PK, store::keys::SK].map(|name| (name.to_owned(), record[name].clone()));
    api.client
        .update_item()
        .table_name(&api.table)
        .set_key(Some(key.into()))
        .update_expression("SET #e = :past")
        .expression_attribute_names("#e", store::keys::EXPIRES_AT)
        .expression_attribute_values(":past", AttributeValue::N("1".to_owned()))
        .send()
        .await
        .unwrap();
    // Another body is no reuse, and the same key creates anew.
    let second = user
        .post("/applications")
        .idempotency_key("k-1")
        .json(json!({"company": "Globex", "role": "Dev"}))
        .await
        .expect(201);
    assert_eq!(second.body["company"], "Globex");
    let list = user.get("/applications").await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_item() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let attempts = (0..6).map(|_| {
        user.post("/applications")
            .idempotency_key("race")
            .json(json!({"company": "Acme", "role": "Dev"}))
            .send()
    });
    let replies = futures::future::join_all(attempts).await;
    let ids: HashSet<String> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.id())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| r.status == 201 || r.status == 503));
    let list = user.get("/applications").await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn list_is_newest_first_and_filters_by_status_tag_text_and_follow_up() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let a = user
        .create_application(
            json!({"company": "Acme", "role": "Rust Dev", "tags": ["remote"],
                                       "follow_up_on": "2020-01-01"}),
        )
        .await
        .body;
    let b = user
        .create_application(json!({"company": "Globex", "role": "Go Dev", "status": "offer"}))
        .await
        .body;
    let c = user
        .create_application(
            json!({"company": "Initech", "role": "SRE", "status": "rejected",
                                       "follow_up_on": "2020-01-01", "tags": ["remote"]}),
        )
        .await
        .body;
    let ids = |reply: &testkit::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let all = user.get("/applications").await.expect(200);
    assert_eq!(ids(&all), [id(&c), id(&b), id(&a)]);
    assert_eq!(all.body["next_cursor"], Value::Null);
    let by_status = user
        .get("/applications?status=OFFER,rejected")
        .await
        .expect(200);
    assert_eq!(ids(&by_status), [id(&c), id(&b)]);
    let by_tag = user.get("/applications?tag=remote").await.expect(200);
    assert_eq!(ids(&by_tag), [id(&c), id(&a)]);
    let by_text = user.get("/applications?q=rUsT").await.expect(200);
    assert_eq!(ids(&by_text), [id(&a)]);
    let by_text = user.get("/applications?q=globex").await.expect(200);
    assert_eq!(ids(&by_text), [id(&b)]);
    // A substring anywhere in the role, not only at its start.
    let by_text = user.get("/applications?q=dev").await.expect(200);
    assert_eq!(ids(&by_text), [id(&b), id(&a)]);
    let due = user
        .get("/applications?follow_up_due=true")
        .await
        .expect(200);
    assert_eq!(ids(&due), [id(&a)], "terminal statuses are never due");
    // Due means on or before today: a follow-up today is due, one tomorrow is not yet.
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let due_today = user
        .create_application(json!({"company": "Umbrella", "role": "Ops",
                                   "follow_up_on": today.to_string()}))
        .await
        .body;
    let due_tomorrow = user
        .create_application(json!({"company": "Hooli", "role": "Ops",
                                   "follow_up_on": tomorrow.to_string()}))
        .await
        .body;
    let due = user
        .get("/applications?follow_up_due=true")
        .await
        .expect(200);
    let expected = [id(&due_today), id(&a)];
    if chrono::Utc::now().date_naive() == today {
        assert_eq!(ids(&due), expected);
    } else {
        // Midnight (UTC) passed meanwhile: the list may have been read on either day.
        let next_day = [id(&due_tomorrow), id(&due_today), id(&a)];
        assert!(ids(&due) == expected || ids(&due) == next_day, "{due:?}");
    }

    for bad in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "status=hired",
        "follow_up_due=yes",
        // A flag with no value asked for a filter: not the whole list.
        "follow_up_due",
        "follow_up_due=",
        "cursor=forged",
        "unknown=1",
        "limit=1&limit=2",
    ] {
        user.get(&format!("/applications?{bad}"))
            .await
            .expect_problem(400);
    }
}

#[tokio::test]
async fn a_list_without_a_limit_is_a_page_of_25_with_a_cursor_to_the_rest() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let mut created = Vec::new();
    for i in 0..26 {
        let body = json!({"company": format!("c{i}"), "role": "r"});
        created.push(user.create_application(body).await.id());
    }
    created.reverse(); // newest first
    let first = user.get("/applications").await.expect(200);
    assert_eq!(field_of_each(&first.body["items"], "id"), created[..25]);
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a cursor to the 26th");
    let rest = user
        .get(&format!("/applications?cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(field_of_each(&rest.body["items"], "id"), created[25..]);
    assert_eq!(rest.body["next_cursor"], Value::Null);
}

/// docs/api.md: an unknown query parameter is 400, on routes that take none as well (a typo, or
/// `?dry_run=true` on a create, must not go through as if it were not there).
#[tokio::test]
async fn a_route_without_query_parameters_refuses_any_and_does_nothing() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let id = user.new_application().await;

    user.post("/applications?dry_run=true")
        .json(json!({"company": "Initech", "role": "Engineer"}))
        .send()
        .await
        .expect_problem(400);
    user.delete(&format!("/applications/{id}?force=1"))
        .await
        .expect_problem(400);
    let list = user.get("/applications").await.expect(200);
    assert_eq!(field_of_each(&list.body["items"], "id"), [id.as_str()]);

    // Every documented operation without a query parameter, in every function.
    let mut tried = 0;
    for function in dev_server::FUNCTIONS {
        let document = serde_json::to_value(function.document()).unwrap();
        for (template, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let takes_query = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|parameter| parameter["in"] == "query");
                if takes_query {
                    continue;
                }
                let path = concrete(template, |_| id.clone());
                let method =
                    axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let reply = user
                    .call(method.clone(), &format!("{path}?x=1"))
                    .send()
                    .await;
                assert_eq!(reply.status, 400, "{method} {path}?x=1: {:?}", reply.body);
                reply.expect_problem(400);
                tried += 1;
            }
        }
    }
    assert!(
        tried > 20,
        "only {tried} operations without query parameters"
    );
    user.get(&format!("/applications/{id}")).await.expect(200);
}

/// `template` (`/applications/{id}`) with each path parameter replaced by `value` of its name.
fn concrete(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut path = template.to_owned();
    while let (Some(start), Some(end)) = (path.find('{'), path.find('}')) {
        let name = path[start + 1..end].to_owned();
        path.replace_range(start..=end, &value(&name));
    }
    path
}

/// Every route of every function that needs a token, as its OpenAPI document lists it, with
/// real ids of the caller's: no token is 401 (`WWW-Authenticate: Bearer`) whatever the method;
/// with one, a method the route does not serve is 405 naming exactly the ones it serves.
#[tokio::test]
async fn every_token_route_is_401_without_a_token_and_405_with_allow_for_other_methods() {
    use axum::http::Method;
    let api = TestApi::new().await;
    let user = api.signed_in();
    let (app, feedback, rejection) = application_with_children(&user).await;
    let id_of = |name: &str| match name {
        "id" => app.clone(),
        "feedback_id" => feedback.clone(),
        "rejection_id" => rejection.clone(),
        other => panic!("no id for the path parameter {other}"),
    };
    let before = api.all_items().await;
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut covered = Vec::new();
    for function in dev_server::FUNCTIONS.iter().filter(|f| !f.public) {
        let document = serde_json::to_value(function.document()).unwrap();
        for (template, item) in document["paths"].as_object().unwrap() {
            let path = concrete(template, id_of);
            let served: HashSet<String> = item
                .as_object()
                .unwrap()
                .keys()
                .map(|method| method.to_uppercase())
                .collect();
            assert!(!served.is_empty(), "{path}");
            // axum answers HEAD wherever it answers GET, and says so.
            let mut allowed = served.clone();
            if served.contains("GET") {
                allowed.insert("HEAD".to_owned());
            }
            for method in &methods {
                let reply = api.call(method.clone(), &path).json(json!({})).await;
                assert_eq!(reply.status, 401, "{method} {path} without a token");
                let reply = reply.expect_problem(401);
                let challenge = reply.header("www-authenticate").unwrap_or_default();
                assert!(challenge.starts_with("Bearer"), "{method} {path}");
                if served.contains(method.as_str()) {
                    continue;
                }
                let reply = user.call(method.clone(), &path).json(json!({})).await;
                assert_eq!(reply.status, 405, "{method} {path}");
                let reply = reply.expect_problem(405);
                let allow: Vec<String> = reply
                    .header("allow")
                    .unwrap_or_else(|| panic!("{method} {path}: no Allow"))
                    .split(',')
                    .map(|method| method.trim().to_owned())
                    .collect();
                let named: HashSet<String> = allow.iter().cloned().collect();
                assert_eq!(named.len(), allow.len(), "{method} {path}: {allow:?}");
                assert_eq!(named, allowed, "{method} {path}");
            }
            covered.push(function.name);
        }
    }
    covered.dedup();
    let protected: Vec<&str> = dev_server::FUNCTIONS
        .iter()
        .filter(|f| !f.public)
        .map(|f| f.name)
        .collect();
    assert_eq!(covered, protected, "every function that needs a token");
    assert_eq!(api.all_items().await, before, "nothing was written");
}

#[tokio::test]
async fn paging_a_filtered_list_returns_each_match_exactly_once() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let statuses = ["applied", "screening", "rejected"];
    let mut expected = Vec::new();
    for i in 0..60 {
        let status = statuses[i % 3];
        let app = user
            .create_application(json!({"company": format!("c{i}"), "role": "r", "status": status}))
            .await
            .body;
        if status != "rejected" {
            expected.push(app["id"].as_str().unwrap().to_owned());
        }
    }
    expected.reverse(); // newest first
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/applications?limit=7&status=applied,screening".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = user.get(&path).await.expect(200);
        pages += 1;
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "paging must end");
    }
    assert_eq!(seen, expected, "every match once, newest first");
    assert_eq!(pages, 6, "40 matches in pages of 7");

    // A cursor is bound to its query and its user.
    let first = user
        .get("/applications?limit=7&status=applied")
        .await
        .expect(200);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    user.get(&format!(
        "/applications?limit=7&status=screening&cursor={cursor}"
    ))
    .await
    .expect_problem(400);
    let other = api.signed_in();
    other
        .get(&format!(
            "/applications?limit=7&status=applied&cursor={cursor}"
        ))
        .await
        .expect_problem(400);
    let mut tampered = cursor.to_owned();
    tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
    user.get(&format!(
        "/applications?limit=7&status=applied&cursor={tampered}"
    ))
    .await
    .expect_problem(400);
}

#[tokio::test]
async fn delete_removes_the_application_and_every_item_of_its_collection() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let keep = user
        .create_application(json!({"company": "Keep", "role": "r"}))
        .await
        .body;
    let app = user
        .create_application(json!({"company": "Gone", "role": "r"}))
        .await
        .body;
    let id: domain::Id = app["id"].as_str().unwrap().parse().unwrap();
    let uid = user.id();
    // Children written through the store's key scheme, as the feedback/rejection functions do.
    let partition = store::keys::application_pk(&uid, id);
    for i in 0..60 {
        let kind = if i % 2 == 0 {
            domain::ChildKind::Feedback
        } else {
            domain::ChildKind::Rejection
        };
        api.client
            .put_item()
            .table_name(&api.table)
            .item(
                "PK",
                aws_sdk_dynamodb::types::AttributeValue::S(partition.clone()),
            )
            .item(
                "SK",
                aws_sdk_dynamodb::types::AttributeValue::S(store::keys::child_sk(
                    kind,
                    domain::Id::generate(),
                )),
            )
            .send()
            .await
            .unwrap();
    }
    let path = format!("/applications/{id}");
    let reply = user.delete(&path).await.expect(204);
    assert!(reply.raw.is_empty());
    user.get(&path).await.expect_problem(404);
    user.delete(&path).await.expect_problem(404);
    let items = api.all_items().await;
    assert!(
        items.iter().all(|item| item["PK"] != aws_sdk_dynamodb::types::AttributeValue::S(partition.clone())),
        "no item of the collection remains"
    );
    let list = user.get("/applications").await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["id"], keep["id"]);
}
