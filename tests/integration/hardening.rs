//! Hardening (issue 10): what DynamoDB does in AWS and DynamoDB Local does not (transaction
//! conflicts, throttled transactions), bounded items and pages, and safe defaults.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use store::keys::{APPLICATION_SK, PK, SK, application_pk};
use testkit::{Session, TestApi};

use crate::outages::{Answer, Outage};

/// `TransactWriteItems` cancelled for `reasons` (one code per write) the next `times` calls, as
/// DynamoDB cancels them under contention; a cancelled call writes nothing.
fn cancelling(reasons: &'static [&'static str], times: usize) -> Outage {
    let outage = Outage::new(Some("TransactWriteItems"), Answer::Cancelled(reasons));
    outage.start(0, times);
    outage
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
    let conflicts = cancelling(&["TransactionConflict", "None"], 1);
    let api = TestApi::with_interceptor(conflicts.clone()).await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let created = user
        .post(&format!("/applications/{app}/feedback"))
        .json(json!({"rating": 4}))
        .await
        .expect(201);
    assert_eq!(conflicts.attempts(), 2, "one conflict, then the write");
    assert_eq!(count(&api, "feedback").await, 1);
    user.get(&format!("/applications/{app}/feedback/{}", created.id()))
        .await
        .expect(200);
}

#[tokio::test]
async fn a_transaction_that_keeps_conflicting_is_503_with_retry_after_and_writes_nothing() {
    let conflicts = cancelling(&["None", "TransactionConflict"], usize::MAX);
    let api = TestApi::with_interceptor(conflicts.clone()).await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let reply = user
        .post(&format!("/applications/{app}/feedback"))
        .json(json!({"rating": 4}))
        .await
        .expect_problem(503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    // docs/api.md: "sent up to 4 times in all" (TRANSACTION_ATTEMPTS in
    // shared/store/src/idempotency.rs); the SDK itself does not retry a cancellation.
    assert_eq!(conflicts.attempts(), 4, "bounded retries");
    assert_eq!(count(&api, "feedback").await, 0);
    assert_eq!(count(&api, "application").await, 1);
}

#[tokio::test]
async fn a_throttled_transaction_is_503_at_once() {
    for reasons in [
        &["None", "ThrottlingError"],
        &["None", "ProvisionedThroughputExceeded"],
    ] {
        let code = reasons[1];
        let throttled = cancelling(reasons, usize::MAX);
        let api = TestApi::with_interceptor(throttled.clone()).await;
        let user = api.signed_in();
        let app = user.new_application().await;
        let reply = user
            .post(&format!("/applications/{app}/rejections"))
            .json(json!({"reasons": ["budget"]}))
            .await
            .expect_problem(503);
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert_eq!(
            throttled.attempts(),
            1,
            "{code}: no retry against throttling"
        );
        assert_eq!(count(&api, "rejections").await, 0);
    }
}

/// docs/api.md: a cancellation that is neither a failed condition, a conflict nor throttling
/// (a `ValidationError`: a bug) is a 500, at once, whose body tells nothing of the database.
#[tokio::test]
async fn a_transaction_cancelled_for_a_bug_is_500_without_internals_and_writes_nothing() {
    let invalid = cancelling(&["None", "ValidationError"], 0);
    let api = TestApi::with_interceptor(invalid.clone()).await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let before = api.all_items().await;
    // Each a transaction: the rejection with its status change, the feedback with its check
    // of the application, the application with its Idempotency-Key record.
    let creates = [
        (
            format!("/applications/{app}/rejections"),
            json!({"reasons": ["budget"]}),
            None,
        ),
        (
            format!("/applications/{app}/feedback"),
            json!({"rating": 4}),
            None,
        ),
        (
            "/applications".to_owned(),
            json!({"company": "Globex", "role": "Dev"}),
            Some("bug-1"),
        ),
    ];
    for (path, body, key) in creates {
        invalid.start(0, usize::MAX);
        let call = user.post(&path).json(body);
        let call = match key {
            Some(key) => call.idempotency_key(key),
            None => call,
        };
        let reply = call.await;
        assert_eq!(
            reply.status,
            500,
            "{path}: {}",
            String::from_utf8_lossy(&reply.raw)
        );
        let reply = reply.expect_problem(500);
        assert_eq!(invalid.attempts(), 1, "{path}: a bug is not retried");
        assert_eq!(reply.header("retry-after"), None, "{path}");
        assert_eq!(reply.body["type"], "/problems/internal");
        let fields: BTreeSet<&str> = reply
            .body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["detail", "status", "title", "type"]),
            "{path}"
        );
        let text = String::from_utf8_lossy(&reply.raw).to_lowercase();
        for internal in [
            "validationerror",
            "transaction",
            "cancel",
            "refused by the test",
            "dynamodb",
            "sdk",
            "user#",
            "app#",
            "\"pk\"",
            &api.table.to_lowercase(),
            &user.sub().to_lowercase(),
            &app.to_lowercase(),
        ] {
            assert!(!text.contains(internal), "{path}: {internal:?} in {text}");
        }
    }
    assert_eq!(api.all_items().await, before, "nothing was written");
}

#[tokio::test]
async fn racing_retries_of_one_idempotency_key_create_one_application() {
    // The idempotency record (the transaction's second write) conflicts with a concurrent
    // request carrying the same key.
    let conflicts = cancelling(&["None", "TransactionConflict"], 1);
    let api = TestApi::with_interceptor(conflicts.clone()).await;
    let user = api.signed_in();
    let create = || {
        user.post("/applications")
            .idempotency_key("race-1")
            .json(json!({"company": "Acme", "role": "Dev"}))
    };
    // No record yet: the retry writes both.
    let first = create().await.expect(201);
    assert_eq!(conflicts.attempts(), 2);
    // The record exists when the conflict is seen: the first response is replayed.
    conflicts.start(0, 1);
    let second = create().await.expect(201);
    assert_eq!(
        conflicts.attempts(),
        1,
        "the record was read, not the write retried"
    );
    assert_eq!(second.id(), first.id());
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(count(&api, "application").await, 1);
    assert_eq!(count(&api, "idempotency").await, 1);
}

#[tokio::test]
async fn status_history_keeps_the_first_entry_and_the_latest_100() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let path = format!("/applications/{app}");
    let statuses = ["screening", "interviewing", "offer"];
    let mut last = None;
    for change in 0..105 {
        let status = statuses[change % statuses.len()];
        last = Some(
            user.patch(&path)
                .json(json!({"status": status}))
                .await
                .expect(200),
        );
    }
    let last = last.unwrap();
    let history = last.body["status_history"].as_array().unwrap().clone();
    assert_eq!(history.len(), 101);
    assert_eq!(history[0]["status"], "applied", "the first entry is kept");
    // The latest 100 changes, oldest first: changes 5..105.
    for (entry, change) in history[1..].iter().zip(5..105) {
        assert_eq!(entry["status"], statuses[change % statuses.len()]);
    }
    assert_eq!(last.body["version"], 106, "trimming is not a change");
    let stored = user.get(&path).await.expect(200);
    assert_eq!(stored.body, last.body);
}

/// Pages of `base` with `limit` until the end: every item id, and each page's items' JSON size.
async fn every_page(user: &Session<'_>, base: &str, limit: usize) -> (Vec<String>, Vec<usize>) {
    let (mut ids, mut sizes) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    loop {
        let separator = if base.contains('?') { '&' } else { '?' };
        let path = match &cursor {
            Some(cursor) => format!("{base}{separator}limit={limit}&cursor={cursor}"),
            None => format!("{base}{separator}limit={limit}"),
        };
        let page = user.get(&path).await.expect(200);
        let items = page.body["items"].as_array().unwrap();
        assert!(!items.is_empty(), "a page holds at least one item");
        sizes.push(serde_json::to_vec(items).unwrap().len());
        ids.extend(
            items
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (ids, sizes),
        }
    }
}

#[tokio::test]
async fn a_list_page_stops_early_at_its_byte_budget() {
    const BUDGET: usize = 6_000;
    let api =
        TestApi::with_store(|store| store.with_limits(|limits| limits.page_bytes = BUDGET)).await;
    let user = api.signed_in();
    let long = "x".repeat(2_000);
    let mut created = Vec::new();
    for n in 0..5 {
        let reply = user
            .create_application(
                json!({"company": format!("Acme {n}"), "role": "Dev", "notes": long}),
            )
            .await;
        created.push(reply.id());
    }
    let app = created[0].clone();
    for _ in 0..5 {
        user.post(&format!("/applications/{app}/feedback"))
            .json(json!({"comments": long}))
            .await
            .expect(201);
    }
    for base in [
        "/applications".to_owned(),
        format!("/applications/{app}/feedback"),
    ] {
        let (ids, sizes) = every_page(&user, &base, 100).await;
        assert_eq!(ids.len(), 5, "{base}: every item once");
        assert_eq!(
            ids.iter().collect::<std::collections::HashSet<_>>().len(),
            5
        );
        assert!(
            sizes.len() > 1,
            "{base}: the budget split the list: {sizes:?}"
        );
        assert!(
            sizes.iter().all(|size| *size <= BUDGET),
            "{base}: {sizes:?}"
        );
    }
    // Filtered lists stop at the budget too.
    let (ids, sizes) = every_page(&user, "/applications?q=acme", 100).await;
    assert_eq!(ids.len(), 5);
    assert!(sizes.len() > 1 && sizes.iter().all(|size| *size <= BUDGET));
}

#[tokio::test]
async fn child_writes_are_404_while_the_application_is_being_deleted() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    for collection in ["feedback", "rejections"] {
        let app = user.new_application().await;
        let base = format!("/applications/{app}/{collection}");
        let field = if collection == "feedback" {
            "comments"
        } else {
            "notes"
        };
        let body = json!({ field: "first" });
        let child = user.post(&base).json(body).await.expect(201).id();
        // What `delete_application` does first: mark it, take it out of the list.
        let uid = user.id();
        api.client
            .update_item()
            .table_name(&api.table)
            .key(
                PK,
                AttributeValue::S(application_pk(&uid, app.parse().unwrap())),
            )
            .key(SK, AttributeValue::S(APPLICATION_SK.to_owned()))
            .update_expression("SET deleting = :yes REMOVE GSI1PK, GSI1SK")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .expect("marked deleting");
        let path = format!("{base}/{child}");
        user.get(&path).await.expect_problem(404);
        user.patch(&path)
            .json(json!({ field: "changed" }))
            .await
            .expect_problem(404);
        user.put(&path)
            .if_match("\"1\"")
            .json(json!({ field: "changed" }))
            .await
            .expect_problem(404);
        user.delete(&path).await.expect_problem(404);
    }
}

/// A resume key as the store writes it (attribute name → string value).
fn resume_key(pairs: &[(&str, String)]) -> store::ResumeKey {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

#[tokio::test]
async fn a_validly_signed_cursor_with_other_key_attributes_is_400() {
    use store::keys::{GSI1_PK, GSI1_SK, applications_gsi_pk, applications_gsi_sk, child_sk};
    let api = TestApi::new().await;
    let user = api.signed_in();
    let uid = user.id();
    let app = user.new_application().await;
    let id: domain::Id = app.parse().unwrap();
    user.new_application().await;
    // Signed with the API's key for the very query they are sent with (the contexts the
    // handlers use): only the key inside is wrong.
    let list = format!(
        "{}|applications|status=[]|tag=None|q=None|follow_up_due=false",
        user.sub()
    );
    let children = format!("{}|{app}|feedback", user.sub());
    let genuine = resume_key(&[
        (PK, application_pk(&uid, id)),
        (SK, APPLICATION_SK.to_owned()),
        (GSI1_PK, applications_gsi_pk(&uid)),
        (GSI1_SK, applications_gsi_sk(id)),
    ]);
    let cursor = api.state.cursors.encode(&list, &genuine);
    user.get(&format!("/applications?cursor={cursor}"))
        .await
        .expect(200);
    let mut extra = genuine.clone();
    extra.insert("forged".to_owned(), "x".to_owned());
    let mut missing = genuine.clone();
    missing.remove(SK);
    let only_partition = resume_key(&[(GSI1_PK, applications_gsi_pk(&uid))]);
    for forged in [extra, missing, only_partition] {
        let cursor = api.state.cursors.encode(&list, &forged);
        user.get(&format!("/applications?cursor={cursor}"))
            .await
            .expect_problem(400);
    }

    let child = resume_key(&[
        (PK, application_pk(&uid, id)),
        (
            SK,
            child_sk(domain::ChildKind::Feedback, domain::Id::generate()),
        ),
    ]);
    let cursor = api.state.cursors.encode(&children, &child);
    let base = format!("/applications/{app}/feedback");
    user.get(&format!("{base}?cursor={cursor}"))
        .await
        .expect(200);
    let mut extra = child.clone();
    extra.insert("GSI1PK".to_owned(), applications_gsi_pk(&uid));
    let cursor = api.state.cursors.encode(&children, &extra);
    user.get(&format!("{base}?cursor={cursor}"))
        .await
        .expect_problem(400);
}

#[tokio::test]
async fn responses_carry_nosniff_and_user_data_is_never_cached() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let missing = domain::Id::generate();
    // At least one route of each function that needs a token.
    let private = [
        user.get("/applications").await.expect(200),
        user.get(&format!("/applications/{app}")).await.expect(200),
        user.get(&format!("/applications/{missing}"))
            .await
            .expect(404),
        user.delete("/applications").await.expect(405),
        user.get(&format!("/applications/{app}/feedback"))
            .await
            .expect(200),
        user.post("/applications").json(json!({})).await.expect(422),
        user.get(&format!("/applications/{app}/rejections"))
            .await
            .expect(200),
        user.get("/analytics/summary").await.expect(200),
        user.get("/follow-ups").await.expect(200),
        user.get("/export").await.expect(200),
        user.get("/export?format=csv").await.expect(200),
        user.post("/calendar-feed").await.expect(201),
    ];
    for reply in &private {
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{reply:?}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply:?}");
    }
    for path in ["/health", "/openapi.json", "/docs"] {
        let reply = api.get(path).await;
        assert!(reply.status < 400, "{path}: {}", reply.status);
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_ne!(reply.header("cache-control"), Some("no-store"), "{path}");
    }
    // The public calendar feed: a calendar app may keep it for five minutes, a shared cache
    // never (functions/calendar, docs/api.md and docs/analytics.md say the same).
    let feed = private.last().unwrap().body["path"].as_str().unwrap();
    let reply = api.get(feed).await.expect(200);
    assert_eq!(reply.header("cache-control"), Some("private, max-age=300"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn the_template_deploys_with_safe_defaults() {
    let template = testkit::template::template();
    let yaml = |value: &serde_norway::Value| serde_norway::to_string(value).unwrap();
    let (parameters, resources) = (&template["Parameters"], &template["Resources"]);
    let function = &template["Globals"]["Function"];

    // The cursor key: generated by Secrets Manager and resolved at deploy time, never typed.
    assert!(parameters.get("CursorSecret").is_none());
    assert_eq!(
        resources["CursorSecret"]["Type"].as_str(),
        Some("AWS::SecretsManager::Secret")
    );
    assert!(
        yaml(&function["Environment"]["Variables"]["CURSOR_SECRET"])
            .contains("{{resolve:secretsmanager:${CursorSecret}:SecretString}}")
    );
    // Throttling on every route of the HTTP API, from parameters.
    let settings = &resources["HttpApi"]["Properties"]["DefaultRouteSettings"];
    assert!(yaml(&settings["ThrottlingRateLimit"]).contains("ApiThrottlingRateLimit"));
    assert!(yaml(&settings["ThrottlingBurstLimit"]).contains("ApiThrottlingBurstLimit"));
    // Reserved concurrency for every function, from a parameter (off by default: a
    // reservation of its own would make the first deploy fail in a new account).
    assert!(yaml(&function["ReservedConcurrentExecutions"]).contains("ReservedConcurrency"));
    assert_eq!(
        parameters["ReservedConcurrency"]["Default"].as_u64(),
        Some(0)
    );
    for (name, resource) in resources.as_mapping().unwrap() {
        let own = resource["Properties"].get("ReservedConcurrentExecutions");
        assert!(own.is_none(), "{name:?} reserves concurrency of its own");
    }
    // Cognito self sign-up is off unless asked for.
    assert_eq!(parameters["SelfSignUp"]["Default"].as_str(), Some("false"));
    let admin_only = &resources["UserPool"]["Properties"]["AdminCreateUserConfig"];
    assert!(yaml(&admin_only["AllowAdminCreateUserOnly"]).contains("AllowSelfSignUp"));
}
