//! `GET /export` and `POST /import`: the lossless round trip, CSV from other trackers and
//! LinkedIn, the original API's responses, duplicates, limits and malformed files.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use store::{Precondition, Sweep, keys};
use testkit::{Session, TestApi, field_of_each};

/// Every page of the JSON export, as one list of applications.
async fn export_all(user: &Session<'_>, limit: usize) -> Vec<Value> {
    json_pages(user, limit)
        .await
        .iter()
        .flat_map(|page| page["applications"].as_array().unwrap().clone())
        .collect()
}

/// Every page of the JSON export, each the document as sent.
async fn json_pages(user: &Session<'_>, limit: usize) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/export?format=json&limit={limit}&cursor={c}"),
            None => format!("/export?limit={limit}"),
        };
        let page = user.get(&path).await.expect(200);
        assert_eq!(page.body["format"], "feedback-tracker/v1");
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        pages.push(page.body);
        if cursor.is_none() {
            return pages;
        }
    }
}

/// Every page of the CSV export, each as the ids of its rows (the first column).
async fn csv_pages(user: &Session<'_>, limit: usize) -> Vec<Vec<String>> {
    csv_texts(user, limit)
        .await
        .iter()
        .enumerate()
        .map(|(page, (text, _))| {
            // Only the first page has the header row.
            let rows = text.lines().skip(usize::from(page == 0));
            rows.map(|row| row.split(',').next().unwrap().to_owned())
                .collect()
        })
        .collect()
}

/// Every page of the CSV export as sent: its text and its `Next-Cursor`.
async fn csv_texts(user: &Session<'_>, limit: usize) -> Vec<(String, Option<String>)> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/export?format=csv&limit={limit}&cursor={c}"),
            None => format!("/export?format=csv&limit={limit}"),
        };
        let page = user.get(&path).await.expect(200);
        let text = String::from_utf8(page.raw.clone()).unwrap();
        cursor = page.header("next-cursor").map(str::to_owned);
        pages.push((text, cursor.clone()));
        if cursor.is_none() {
            return pages;
        }
    }
}

/// The ids of a JSON export page's applications.
fn ids_of(page: &Value) -> Vec<String> {
    field_of_each(&page["applications"], "id")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// An exported application's feedback and rejections together.
fn children_of(application: &Value) -> usize {
    application["feedback"].as_array().unwrap().len()
        + application["rejections"].as_array().unwrap().len()
}

/// The applications of JSON export pages, each with its number of children; none twice.
fn children_by_id(pages: &[Value]) -> BTreeMap<String, usize> {
    let mut exported = BTreeMap::new();
    for page in pages {
        for application in page["applications"].as_array().unwrap() {
            let id = application["id"].as_str().unwrap().to_owned();
            let children = children_of(application);
            assert!(exported.insert(id, children).is_none(), "exported twice");
        }
    }
    exported
}

/// Gives application `id` `children` children, feedback and rejections in turn.
async fn add_children(user: &Session<'_>, id: &str, children: usize) {
    for child in 0..children {
        if child % 2 == 0 {
            user.post(&format!("/applications/{id}/feedback"))
                .json(json!({"rating": 3, "stage": "technical"}))
                .await
                .expect(201);
        } else {
            user.post(&format!("/applications/{id}/rejections"))
                .json(json!({"reasons": "no visa", "category": "other"}))
                .await
                .expect(201);
        }
    }
}

async fn import(user: &Session<'_>, content_type: &str, body: impl Into<Vec<u8>>) -> Value {
    user.post("/import")
        .typed_body(content_type, body)
        .await
        .expect(200)
        .body
}

/// The application row `row` of an import `report` created, as the API now returns it.
async fn imported_application(user: &Session<'_>, report: &Value, row: usize) -> Value {
    let id = report["rows"][row]["id"].as_str().expect("a created row");
    let path = format!("/applications/{id}");
    user.get(&path).await.expect(200).body
}

fn outcomes(report: &Value) -> Vec<&str> {
    field_of_each(&report["rows"], "outcome")
}

/// The caller's items as stored (a test may scan).
async fn items_of(api: &TestApi, user: &Session<'_>) -> Vec<String> {
    let prefix = keys::applications_gsi_pk(&user.id());
    let prefix = prefix.trim_end_matches("APPLICATIONS");
    let mut items: Vec<String> = api
        .all_items()
        .await
        .into_iter()
        .filter(|item| item[keys::PK].as_s().unwrap().starts_with(prefix))
        .map(|item| canonical(&AttributeValue::M(item)))
        .collect();
    items.sort();
    items
}

/// An item as text, its maps' keys sorted (a `HashMap` prints in any order).
fn canonical(value: &AttributeValue) -> String {
    match value {
        AttributeValue::M(map) => {
            let sorted: BTreeMap<_, _> = map.iter().map(|(k, v)| (k, canonical(v))).collect();
            format!("{sorted:?}")
        }
        AttributeValue::L(list) => format!("{:?}", list.iter().map(canonical).collect::<Vec<_>>()),
        other => format!("{other:?}"),
    }
}

/// A user with three applications, one with feedback and a rejection and a status history.
async fn seeded(api: &TestApi) -> Session<'_> {
    let alice = api.signed_in();
    let first = alice
        .create_application(json!({"company": "Acme", "role": "Dev", "tags": ["rust"],
        "salary_min": 1, "salary_max": 2, "salary_currency": "EUR", "notes": "=1+1"}))
        .await
        .id();
    alice
        .create_application(json!({"company": "Globex", "role": "SRE", "status": "saved"}))
        .await;
    let third = alice
        .create_application(json!({"company": "Initech", "role": "QA"}))
        .await
        .id();
    alice
        .patch(&format!("/applications/{first}"))
        .json(json!({"status": "Interview"}))
        .await
        .expect(200);
    alice
        .post(&format!("/applications/{first}/feedback"))
        .json(json!({"rating": 4, "strengths": ["rust"], "stage": "technical"}))
        .await
        .expect(201);
    let rejection = alice
        .post(&format!("/applications/{third}/rejections"))
        .json(json!({"reasons": "no visa, too junior", "category": "other"}))
        .await
        .expect(201)
        .id();
    // A date cleared since: a restore must not fill it in again with the create's default.
    alice
        .patch(&format!("/applications/{third}/rejections/{rejection}"))
        .json(json!({"rejected_date": null}))
        .await
        .expect(200);
    alice
}

#[tokio::test]
async fn export_then_import_into_another_user_restores_the_same_document() {
    let api = TestApi::new().await;
    let alice = seeded(&api).await;
    let exported = alice.get("/export?format=json").await.expect(200);
    let document = exported.body.clone();
    assert_eq!(document["applications"].as_array().unwrap().len(), 3);
    assert!(document["restore"].as_str().unwrap().contains("ids"));
    let rejected = &document["applications"][0];
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        rejected["rejections"][0]["reasons"],
        json!(["no visa", "too junior"])
    );
    assert_eq!(rejected["rejections"][0]["rejected_date"], Value::Null);
    let alices_items = items_of(&api, &alice).await;

    // Bob imports Alice's file: everything is written under Bob, nothing of Alice's changes.
    let bob = api.signed_in();
    let report = import(&bob, "application/json", exported.raw.clone()).await;
    assert_eq!(report["source"], "export");
    assert_eq!(report["created"], 3);
    assert_eq!(report["rows"][0]["children_created"], 1);
    assert_eq!(items_of(&api, &alice).await, alices_items);
    let mut bobs = bob.get("/export").await.expect(200).body;
    let mut again = document.clone();
    for doc in [&mut bobs, &mut again] {
        doc.as_object_mut().unwrap().remove("exported_at");
    }
    assert_eq!(bobs, again, "export → import → export is the same document");
    let id = document["applications"][0]["id"].as_str().unwrap();
    bob.get(&format!("/applications/{id}")).await.expect(200);

    // The same file again creates nothing.
    let bobs_items = items_of(&api, &bob).await;
    let report = import(&bob, "application/json", exported.raw).await;
    assert_eq!(outcomes(&report), ["duplicate", "duplicate", "duplicate"]);
    assert_eq!(report["rows"][0]["children_created"], 0);
    assert_eq!(items_of(&api, &bob).await, bobs_items);
}

#[tokio::test]
async fn a_restore_reports_bad_rows_with_the_apis_messages_and_writes_the_rest() {
    let api = TestApi::new().await;
    let alice = seeded(&api).await;
    let mut document = alice.get("/export").await.expect(200).body;
    document["applications"][1]["rating"] = json!(3);
    document["applications"][2]["id"] = json!("../../USER#alice");
    document["applications"][0]["rejections"][0]["category"] = json!("bogus");
    let bob = api.signed_in();
    let report = import(&bob, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&report), ["rejected", "rejected", "rejected"]);
    assert_eq!(report["rows"][1]["errors"][0]["field"], "rating");
    assert_eq!(
        report["rows"][1]["errors"][0]["message"],
        "is not a known field"
    );
    assert_eq!(report["rows"][2]["errors"][0]["field"], "id");
    assert_eq!(
        report["rows"][0]["errors"][0]["field"],
        "rejections[0].category"
    );
    assert!(items_of(&api, &bob).await.is_empty());
    let wrong = json!({"format": "feedback-tracker/v9", "applications": []});
    bob.post("/import").json(wrong).await.expect_problem(422);
}

#[tokio::test]
async fn a_restored_timestamp_past_the_year_9999_in_utc_is_rejected_not_stored() {
    // An offset moves these instants out of 0000–9999 in UTC: stored, they were written as
    // `+10000-…` / `-0001-…`, which no read could parse, and every list, export and analytics
    // route of the user answered 500 from then on.
    let api = TestApi::new().await;
    let alice = api.signed_in();
    let application = |id: &str, created_at: &str, changed_at: &str| {
        json!({"id": id, "created_at": created_at, "updated_at": created_at, "version": 1,
               "company": "Acme", "role": "Dev",
               "status_history": [{"status": "applied", "at": changed_at}]})
    };
    let fine = "2026-01-01T00:00:00.000Z";
    let document = json!({"format": "feedback-tracker/v1", "applications": [
        application("01M8DWS4VWS6D5QPH375JXY2T0", "9999-12-31T23:59:59.000-23:59", fine),
        application("01M8DWS4VWS6D5QPH375JXY2T1", fine, "0000-01-01T00:00:00+00:01"),
        application("01M8DWS4VWS6D5QPH375JXY2T2", "0000-01-01T00:00:00.000Z", fine),
    ]});
    let report = import(&alice, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&report), ["rejected", "rejected", "created"]);
    assert_eq!(
        field_of_each(&report["rows"][0]["errors"], "field"),
        ["created_at", "updated_at"]
    );
    assert_eq!(report["rows"][1]["errors"][0]["field"], "status_history");
    let list = alice.get("/applications").await.expect(200);
    assert_eq!(
        list.body["items"][0]["created_at"],
        "0000-01-01T00:00:00.000Z"
    );
    alice.get("/export").await.expect(200);
    alice.get("/analytics/summary").await.expect(200);
}

#[tokio::test]
async fn a_restored_version_leaves_room_for_every_later_write() {
    let api = TestApi::new().await;
    let alice = api.signed_in();
    alice
        .create_application(json!({"company": "Acme", "role": "Dev"}))
        .await;
    let document = alice.get("/export").await.expect(200).body;
    let bob = api.signed_in();
    let with_version = |version: u64| {
        let mut document = document.clone();
        document["applications"][0]["version"] = json!(version);
        document.to_string()
    };
    // The next write would store 2^64, which no read could take back.
    let report = import(&bob, "application/json", with_version(u64::MAX)).await;
    assert_eq!(outcomes(&report), ["rejected"]);
    assert_eq!(report["rows"][0]["errors"][0]["field"], "version");
    assert!(items_of(&api, &bob).await.is_empty());

    let highest = domain::transfer::VERSION_MAX;
    let report = import(&bob, "application/json", with_version(highest)).await;
    assert_eq!(outcomes(&report), ["created"]);
    let id = report["rows"][0]["id"].as_str().unwrap();
    let patched = bob
        .patch(&format!("/applications/{id}"))
        .json(json!({"notes": "x"}))
        .await
        .expect(200);
    assert_eq!(patched.body["version"], highest + 1);
    bob.get(&format!("/applications/{id}")).await.expect(200);
    bob.get("/applications").await.expect(200);
    bob.get("/export").await.expect(200);
}

/// The sort keys of one application's partition (a test may scan).
async fn partition_of(api: &TestApi, user: &Session<'_>, id: &str) -> Vec<String> {
    let partition = keys::application_pk(&user.id(), id.parse().unwrap());
    let mut sort_keys: Vec<String> = api
        .all_items()
        .await
        .into_iter()
        .filter(|item| item[keys::PK].as_s().unwrap() == &partition)
        .map(|item| item[keys::SK].as_s().unwrap().clone())
        .collect();
    sort_keys.sort();
    sort_keys
}

#[tokio::test]
async fn an_application_being_deleted_takes_no_child_from_an_import() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let app = user.new_application().await;
    let feedback = user
        .post(&format!("/applications/{app}/feedback"))
        .json(json!({"rating": 4}))
        .await
        .expect(201)
        .id();
    let file = user.get("/export").await.expect(200).raw;
    user.delete(&format!("/applications/{app}/feedback/{feedback}"))
        .await
        .expect(204);
    let (uid, id) = (user.id(), app.parse().unwrap());
    api.mark_deleting(&uid, id).await;

    // Restoring it now would be swept, or orphaned: the row says to wait, and nothing is written.
    for path in ["/import?dry_run=true", "/import"] {
        let report = user
            .post(path)
            .typed_body("application/json", file.clone())
            .await
            .expect(200)
            .body;
        assert_eq!(outcomes(&report), ["rejected"], "{path}");
        assert_eq!(report["rows"][0]["errors"][0]["field"], "id");
        assert!(report["rows"][0].get("children_created").is_none());
    }
    assert_eq!(partition_of(&api, &user, &app).await, ["APPLICATION"]);

    // Once the delete has finished, the same file brings it back whole.
    let swept = api
        .state
        .store
        .delete_application(&uid, id, &Precondition::None, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(swept, Sweep::Done);
    let report = import(&user, "application/json", file).await;
    assert_eq!(outcomes(&report), ["created"]);
    assert_eq!(report["rows"][0]["children_created"], 1);
    user.get(&format!("/applications/{app}/feedback/{feedback}"))
        .await
        .expect(200);
}

/// The export of one new application of `user`'s, given `feedback` feedback items (the file
/// a restore of it would send): its id and the document.
async fn exported_with_feedback(user: &Session<'_>, feedback: usize) -> (String, Value) {
    let app = user.new_application().await;
    let mut document = user.get("/export").await.expect(200).body;
    let at = document["applications"][0]["created_at"].clone();
    document["applications"][0]["feedback"] = (0..feedback)
        .map(|n| {
            json!({"id": domain::Id::generate().to_string(), "application_id": app,
                "rating": n % 5 + 1, "created_at": at, "updated_at": at, "version": 1})
        })
        .collect();
    (app, document)
}

#[tokio::test]
async fn an_application_with_more_children_than_one_transaction_is_restored_whole() {
    let api = TestApi::new().await;
    // 150 feedback items: the application's transaction and a second one beside a check.
    let (app, document) = exported_with_feedback(&api.signed_in(), 150).await;
    let bob = api.signed_in();
    let report = import(&bob, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&report), ["created"]);
    assert_eq!(report["rows"][0]["children_created"], 150);
    assert_eq!(partition_of(&api, &bob, &app).await.len(), 151);
    let again = import(&bob, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&again), ["duplicate"]);
    assert_eq!(again["rows"][0]["children_created"], 0);

    // Cut short by a delete: nothing of it is written, the second transaction included.
    let carol = api.signed_in();
    let one_child = {
        let mut first = document.clone();
        first["applications"][0]["feedback"] = json!([document["applications"][0]["feedback"][0]]);
        first.to_string()
    };
    import(&carol, "application/json", one_child).await;
    api.mark_deleting(&carol.id(), app.parse().unwrap()).await;
    let report = import(&carol, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&report), ["rejected"]);
    assert_eq!(partition_of(&api, &carol, &app).await.len(), 2);
}

#[tokio::test]
async fn a_dry_run_counts_the_children_an_existing_application_still_lacks() {
    let api = TestApi::new().await;
    // 150 feedback and a rejection: more keys than one look-up call takes.
    let (app, mut document) = exported_with_feedback(&api.signed_in(), 150).await;
    let at = document["applications"][0]["created_at"].clone();
    document["applications"][0]["rejections"] = json!([{
        "id": domain::Id::generate().to_string(), "application_id": app,
        "reasons": ["budget"], "created_at": at, "updated_at": at, "version": 1}]);
    // A restore cut short: the application and its first 40 feedback made it.
    let bob = api.signed_in();
    let mut cut_short = document.clone();
    cut_short["applications"][0]["feedback"] =
        json!(document["applications"][0]["feedback"].as_array().unwrap()[..40]);
    cut_short["applications"][0]["rejections"] = json!([]);
    let first = import(&bob, "application/json", cut_short.to_string()).await;
    assert_eq!(first["rows"][0]["children_created"], 40);
    async fn dry_run(user: &Session<'_>, document: &Value) -> Value {
        user.post("/import?dry_run=true")
            .typed_body("application/json", document.to_string())
            .await
            .expect(200)
            .body
    }
    let before = dry_run(&bob, &document).await;
    assert_eq!(outcomes(&before), ["duplicate"]);
    assert_eq!(before["rows"][0]["children_created"], 111, "{before}");
    assert_eq!(
        partition_of(&api, &bob, &app).await.len(),
        41,
        "a dry run writes nothing"
    );
    // The import writes what the dry run said.
    let retry = import(&bob, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&retry), ["duplicate"]);
    assert_eq!(retry["rows"][0]["children_created"], 111);
    assert_eq!(partition_of(&api, &bob, &app).await.len(), 152);
    assert_eq!(
        dry_run(&bob, &document).await["rows"][0]["children_created"],
        0
    );
    // A feedback deleted since the export comes back with the restore; the dry run says so.
    let feedback = document["applications"][0]["feedback"][7]["id"]
        .as_str()
        .unwrap();
    bob.delete(&format!("/applications/{app}/feedback/{feedback}"))
        .await
        .expect(204);
    assert_eq!(
        dry_run(&bob, &document).await["rows"][0]["children_created"],
        1
    );
}

#[tokio::test]
async fn an_import_takes_at_most_10000_children_and_a_larger_one_writes_nothing() {
    use domain::transfer::MAX_IMPORT_CHILDREN;
    let api = TestApi::new().await;
    let alice = api.signed_in();
    let first = alice.new_application().await;
    let second = alice.new_application().await;
    let mut document = alice.get("/export").await.expect(200).body;
    let at = document["applications"][0]["created_at"].clone();
    let child = |app: &str| {
        json!({"id": domain::Id::generate().to_string(), "application_id": app,
            "created_at": at, "updated_at": at, "version": 1})
    };
    // Feedback of one application and rejections of the other, together one over the limit.
    let half = MAX_IMPORT_CHILDREN / 2;
    let rejections: Vec<Value> = (0..half).map(|_| child(&second)).collect();
    let feedback: Vec<Value> = (0..=half)
        .map(|n| json!({"rating": n % 5 + 1}))
        .map(|mut f| {
            f.as_object_mut()
                .unwrap()
                .extend(child(&first).as_object().unwrap().clone());
            f
        })
        .collect();
    let (one, two) = if document["applications"][0]["id"] == first {
        (0, 1)
    } else {
        (1, 0)
    };
    document["applications"][one]["feedback"] = json!(feedback);
    document["applications"][two]["rejections"] = json!(rejections);
    let bob = api.signed_in();
    for path in ["/import?dry_run=true", "/import"] {
        let refused = bob
            .post(path)
            .json(document.clone())
            .await
            .expect_problem(413);
        assert_eq!(refused.body["type"], "/problems/too-many-rows", "{path}");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("10000 feedback and rejections"), "{detail}");
    }
    // The original API's shape: its top-level children count too (not 10,001 orphans' 422).
    let orphans = json!({"applications": [], "feedback": vec![json!({}); MAX_IMPORT_CHILDREN + 1]});
    bob.post("/import").json(orphans).await.expect_problem(413);
    assert!(export_all(&bob, 100).await.is_empty(), "nothing is written");

    // At the limit it is read whole (a dry run checks the same limits and counts what it would
    // write; writing 10,000 items here would only measure DynamoDB Local).
    document["applications"][one]["feedback"]
        .as_array_mut()
        .unwrap()
        .pop();
    let report = bob
        .post("/import?dry_run=true")
        .json(document)
        .await
        .expect(200)
        .body;
    assert_eq!(outcomes(&report), ["created", "created"]);
    let children: u64 = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["children_created"].as_u64().unwrap())
        .sum();
    assert_eq!(children, MAX_IMPORT_CHILDREN as u64);
}

/// The bytes a reply takes as the Lambda response carries it, as the export measures its pages.
fn carried(reply: &[u8]) -> usize {
    store::escaped_size(reply)
}

/// Every field of an application wrong, and `unknown` fields named with 20 quotes (each takes
/// four bytes in the response, so echoing such names whole made a report twice the file).
fn every_field_wrong(unknown: usize) -> serde_json::Map<String, Value> {
    let mut application = serde_json::Map::new();
    for name in [
        "id",
        "created_at",
        "updated_at",
        "version",
        "company",
        "role",
        "status",
        "applied_date",
        "job_url",
        "location",
        "work_mode",
        "source",
        "salary_min",
        "salary_max",
        "salary_currency",
        "tags",
        "notes",
        "follow_up_on",
        "status_history",
    ] {
        application.insert(name.to_owned(), json!({"wrong": true}));
    }
    for n in 0..unknown {
        application.insert(format!("{}{n}", "\"".repeat(20)), json!(1));
    }
    application
}

#[tokio::test]
async fn an_import_report_lists_at_most_20_errors_a_row_and_stays_below_6_mb() {
    use domain::transfer::{FORMAT, MAX_IMPORT_CHILDREN, MAX_IMPORT_ROWS, MAX_ROW_ERRORS};
    let api = TestApi::new().await;
    let bob = api.signed_in();
    let at = "2026-01-01T00:00:00.000Z";
    // A live application whose children (`{}`: four errors each) are all wrong.
    let with_children = |children: usize| {
        json!({"id": domain::Id::generate().to_string(), "created_at": at, "updated_at": at,
            "version": 1, "company": "Acme", "role": "Dev",
            "feedback": vec![json!({}); children / 2],
            "rejections": vec![json!({}); children - children / 2]})
    };
    let document = json!({"format": FORMAT, "applications": [with_children(5), with_children(6)]});
    let report = import(&bob, "application/json", document.to_string()).await;
    assert_eq!(outcomes(&report), ["rejected", "rejected"]);
    let at_bound = &report["rows"][0]["errors"];
    assert_eq!(at_bound.as_array().unwrap().len(), MAX_ROW_ERRORS);
    assert!(!field_of_each(at_bound, "field").contains(&"..."));
    let past = report["rows"][1]["errors"].as_array().unwrap();
    assert_eq!(past.len(), MAX_ROW_ERRORS);
    assert_eq!(
        past[19],
        json!({"field": "...", "message": "and 5 more not listed"})
    );

    // The worst the limits allow: 1,000 rows, every field wrong, and 10,000 children, either
    // on rows that are themselves wrong or all wrong under rows that are right.
    let children = MAX_IMPORT_CHILDREN / MAX_IMPORT_ROWS;
    let wrong_rows: Vec<Value> = (0..MAX_IMPORT_ROWS)
        .map(|_| {
            let mut application = every_field_wrong(30);
            application.insert("feedback".to_owned(), json!(vec![json!({}); children]));
            Value::Object(application)
        })
        .collect();
    let empty_children: Vec<Value> = (0..MAX_IMPORT_ROWS)
        .map(|_| with_children(children))
        .collect();
    // Children whose every field is wrong, the enums with their long "must be one of" messages
    // (an application's children are read only when it is right).
    let child = |fields: Value| {
        let mut child = json!({"id": domain::Id::generate().to_string(), "created_at": at,
            "updated_at": at, "version": 1});
        child
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        child
    };
    let wrong_children: Vec<Value> = (0..MAX_IMPORT_ROWS)
        .map(|_| {
            let mut application = with_children(0);
            application["feedback"] = (0..children / 2)
                .map(|_| {
                    child(json!({"feedback_date": "x", "stage": "x", "interviewer": 1,
                        "rating": "x", "comments": 1, "strengths": 1, "improvements": 1}))
                })
                .collect();
            application["rejections"] = (0..children / 2)
                .map(|_| {
                    child(json!({"rejected_date": "x", "stage": "x", "category": "x",
                        "reasons": 1, "notes": 1}))
                })
                .collect();
            application
        })
        .collect();
    // Every listed error one of the longest messages: enums given a number ("must be a
    // string, one of: …"), two per rejection, ten rejections a row.
    let long_messages: Vec<Value> = (0..MAX_IMPORT_ROWS)
        .map(|_| {
            let mut application = with_children(0);
            application["rejections"] = (0..children)
                .map(|_| child(json!({"stage": 1, "category": 1})))
                .collect();
            application
        })
        .collect();
    // Unknown fields of a right application, named with 20 quotes each: cut to 64 bytes.
    let long_names: Vec<Value> = (0..MAX_IMPORT_ROWS)
        .map(|_| {
            let mut application = with_children(children);
            for n in 0..30 {
                application[format!("{}{n}", "\"".repeat(20))] = json!(1);
            }
            application
        })
        .collect();
    // Whether a row has more errors than it lists (the last entry then says how many more).
    for (applications, more) in [
        (wrong_rows, true),
        (empty_children, true),
        (wrong_children, true),
        (long_messages, false),
        (long_names, true),
    ] {
        let document = json!({"format": FORMAT, "applications": applications}).to_string();
        // Within both body limits: 4 MiB, and 5 MiB as the Lambda event carries it.
        assert!(document.len() < 4 * 1024 * 1024);
        assert!(carried(document.as_bytes()) < 5 * 1024 * 1024);
        let reply = bob
            .post("/import")
            .typed_body("application/json", document)
            .await
            .expect(200);
        assert_eq!(reply.body["rejected"], MAX_IMPORT_ROWS);
        for row in reply.body["rows"].as_array().unwrap() {
            let errors = row["errors"].as_array().unwrap();
            assert_eq!(errors.len(), MAX_ROW_ERRORS);
            assert_eq!(errors[19]["field"] == "...", more);
        }
        let size = carried(&reply.raw);
        println!("worst-case report: {size} bytes as carried");
        // The worst measured: 4.1 MB (every listed error an enum's list of names); Lambda
        // refuses past 6 MB.
        assert!(size < 4_500_000, "{size} bytes");
    }
    assert!(export_all(&bob, 100).await.is_empty(), "nothing is written");
}

#[tokio::test]
async fn a_refused_file_lists_at_most_100_errors_and_writes_nothing() {
    use domain::transfer::{MAX_DOCUMENT_ERRORS, MAX_IMPORT_CHILDREN};
    let api = TestApi::new().await;
    let bob = api.signed_in();
    // The original API's children naming applications the file does not hold (by a name of
    // `quotes` quotes, 80 bytes or more as a response carries it): one error each.
    let orphans = |n: usize, quotes: usize| {
        let feedback: Vec<Value> = (0..n)
            .map(|i| json!({"application_id": format!("{}{i}", "\"".repeat(quotes))}))
            .collect();
        json!({"applications": [], "feedback": feedback})
    };
    let at_bound = bob
        .post("/import")
        .json(orphans(MAX_DOCUMENT_ERRORS, 150))
        .await
        .expect_problem(422);
    assert_eq!(at_bound.body["detail"], "100 fields are invalid");
    let errors = at_bound.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), MAX_DOCUMENT_ERRORS);
    assert!(!field_of_each(&at_bound.body["errors"], "field").contains(&"..."));
    // A name the file gave is cut where it would take more than 64 bytes.
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("{}…", "\"".repeat(16))),
        "{message}"
    );

    for path in ["/import?dry_run=true", "/import"] {
        let refused = bob
            .post(path)
            .json(orphans(MAX_IMPORT_CHILDREN, 20))
            .await
            .expect_problem(422);
        assert_eq!(
            refused.body["detail"],
            "10000 fields are invalid; the first 99 are listed"
        );
        let errors = refused.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), MAX_DOCUMENT_ERRORS);
        assert_eq!(
            errors[99],
            json!({"field": "...", "message": "and 9901 more not listed"})
        );
        let size = carried(&refused.raw);
        assert!(size < 30_000, "{size} bytes");
    }
    assert!(export_all(&bob, 100).await.is_empty(), "nothing is written");
}

#[tokio::test]
async fn a_csv_header_of_more_than_200_columns_is_refused_and_ignored_names_are_listed_once() {
    use domain::transfer::MAX_CSV_COLUMNS;
    let api = TestApi::new().await;
    let bob = api.signed_in();
    let file = |columns: usize| {
        let unmapped = (2..columns).map(|n| if n % 2 == 0 { "x" } else { "Colour" });
        let header: Vec<&str> = ["Company", "Role"].into_iter().chain(unmapped).collect();
        format!("{}\nAcme,Dev\n", header.join(","))
    };
    // About two million columns: `ignored_columns` alone made an 8 MB answer.
    let huge = format!("Company,Role{}\nAcme,Dev\n", ",x".repeat(2_000_000));
    for body in [file(MAX_CSV_COLUMNS + 1), huge] {
        for path in ["/import?dry_run=true", "/import"] {
            let refused = bob
                .post(path)
                .typed_body("text/csv", body.clone())
                .await
                .expect_problem(422);
            assert_eq!(refused.body["errors"][0]["field"], "body");
            let message = refused.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("at most 200 columns"), "{message}");
            assert!(carried(&refused.raw) < 1_000);
        }
    }
    assert!(export_all(&bob, 100).await.is_empty(), "nothing is written");

    let report = import(&bob, "text/csv", file(MAX_CSV_COLUMNS)).await;
    assert_eq!(outcomes(&report), ["created"]);
    assert_eq!(report["ignored_columns"], json!(["x", "Colour"]));
    // A long name is listed cut, as every name from the file.
    let long = format!("Company,Role,{}\nAcme,Dev\n", "\u{1}".repeat(1_000));
    let report = import(&bob, "text/csv", long).await;
    assert_eq!(
        report["ignored_columns"],
        json!([format!("{}…", "\u{1}".repeat(9))])
    );
}

#[tokio::test]
async fn a_csv_value_that_starts_with_an_apostrophe_reads_back_as_it_was() {
    let api = TestApi::new().await;
    let alice = api.signed_in();
    let fields = json!({"company": "'=Quoted Co", "role": "'-dev", "notes": "'@home",
        "source": "=formula"});
    alice.create_application(fields.clone()).await;
    let csv = alice.get("/export?format=csv").await.expect(200).raw;
    let bob = api.signed_in();
    let report = import(&bob, "text/csv", csv).await;
    let back = imported_application(&bob, &report, 0).await;
    for name in ["company", "role", "notes", "source"] {
        assert_eq!(back[name], fields[name], "{name}");
    }
}

#[tokio::test]
async fn csv_imports_map_aliases_report_each_row_and_are_idempotent() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let file = "\u{feff}Employer,Job Title,Stage,Date Applied,Link,Tags,Salary,Colour\r\n\
        Globex,Platform Engineer,Interview,2024-03-07,https://jobs.globex.example/42,rust; aws|k8s,\"$120k-150k\",red\r\n\
        \r\n\
        Initech,Backend Developer,Wishlist,,,,,\r\n\
        ,Nobody,Applied,someday,not a url,,,\r\n\
        Globex,Platform Engineer,Interview,2024-03-07,https://jobs.globex.example/42,rust; aws|k8s,\"$120k-150k\",red\r\n";
    let dry = user
        .post("/import?dry_run=true")
        .typed_body("text/csv", file)
        .await
        .expect(200)
        .body;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        outcomes(&dry),
        ["created", "created", "rejected", "duplicate"]
    );
    assert!(
        items_of(&api, &user).await.is_empty(),
        "a dry run writes nothing"
    );
    let rejected = &dry["rows"][2];
    assert_eq!(rejected["row"], 5);
    let fields = field_of_each(&rejected["errors"], "field");
    assert_eq!(fields, ["company", "applied_date", "job_url"]);
    assert_eq!(rejected["errors"][0]["message"], "must not be empty");
    assert_eq!(dry["rows"][3]["same_as_row"], 2);
    assert_eq!(dry["ignored_columns"], json!(["Colour"]));

    let report = import(&user, "text/csv; charset=utf-8", file).await;
    assert_eq!(report["source"], "csv");
    assert_eq!(
        (report["created"].as_u64(), report["duplicates"].as_u64()),
        (Some(2), Some(1))
    );
    let app = imported_application(&user, &report, 0).await;
    assert_eq!(app["status"], "interviewing");
    assert_eq!(app["applied_date"], "2024-03-07");
    assert_eq!(app["tags"], json!(["rust", "aws", "k8s"]));
    assert_eq!(
        (app["salary_min"].as_u64(), app["salary_max"].as_u64()),
        (Some(120_000), Some(150_000))
    );
    assert_eq!(app["salary_currency"], "USD");

    // The same file again: nothing new; a dry run now says duplicate too.
    let before = items_of(&api, &user).await;
    let again = import(&user, "text/csv", file).await;
    assert_eq!(
        outcomes(&again),
        ["duplicate", "duplicate", "rejected", "duplicate"]
    );
    assert_eq!(items_of(&api, &user).await, before);
}

#[tokio::test]
async fn linkedin_job_applications_csv_is_imported() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let file = "Application Date,Contact Email,Contact Phone Number,Company Name,Job Title,Job Url,Resume Name,Question And Answers\n\
        \"3/7/24, 2:22 PM\",jo@acme.example,,Acme,Rust Engineer,https://www.linkedin.com/jobs/view/3850000001,cv.pdf,\"Years of Rust? : 3\"\n\
        \"12/19/23, 9:05 AM\",,,Globex,SRE,https://www.linkedin.com/jobs/view/3850000002,cv.pdf,\n";
    let report = import(&user, "text/csv", file).await;
    assert_eq!(report["source"], "linkedin");
    assert_eq!(outcomes(&report), ["created", "created"]);
    let app = imported_application(&user, &report, 1).await;
    assert_eq!(app["applied_date"], "2023-12-19");
    assert_eq!(app["source"], "linkedin");
    assert_eq!(app["status"], "applied");
}

#[tokio::test]
async fn the_original_apis_responses_migrate_and_its_clients_inputs_still_work() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/original-api.json"
    ))
    .unwrap();
    let report = import(&user, "application/json", fixture.clone()).await;
    assert_eq!(report["source"], "original");
    assert_eq!(outcomes(&report), ["created"; 4]);
    let applications = export_all(&user, 100).await;
    let by_company = |name: &str| {
        applications
            .iter()
            .find(|a| a["company"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let globex = by_company("Globex");
    assert_eq!(globex["status"], "interviewing");
    assert_eq!(globex["created_at"], "2025-01-08T14:03:10.500Z");
    assert_eq!(globex["feedback"][0]["interviewer"], "Sam Lee");
    let initech = by_company("Initech");
    assert_eq!(initech["status"], "rejected");
    assert_eq!(
        initech["rejections"][0]["reasons"],
        json!(["not enough Kubernetes", "position filled internally"])
    );
    assert_eq!(initech["feedback"][0]["rating"], 2);
    assert_eq!(by_company("Umbrella")["status"], "offer");
    // Newest first by the original's creation time.
    let order: Vec<&str> = applications
        .iter()
        .map(|a| a["company"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["Umbrella", "Globex", "Acme Corp", "Initech"]);
    let again = import(&user, "application/json", fixture).await;
    assert_eq!(outcomes(&again), ["duplicate"; 4]);

    // Rows without `created_at` get the same ids on every run too (not the clock's time).
    let undated = json!({"applications": [
            {"id": 1, "company": "Hooli", "role": "Dev"},
            {"id": 2, "company": "Pied Piper", "role": "SRE", "created_at": "2025-01-02T10:00:00"}],
        "feedback": [{"id": 7, "application_id": 1, "rating": 4},
            {"id": 8, "application_id": 2, "rating": 3}]})
    .to_string();
    let first = import(&user, "application/json", undated.clone()).await;
    assert_eq!(outcomes(&first), ["created"; 2]);
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let second = import(&user, "application/json", undated).await;
    assert_eq!(outcomes(&second), ["duplicate"; 2]);
    for row in 0..2 {
        assert_eq!(second["rows"][row]["children_created"], 0);
    }
    assert_eq!(export_all(&user, 100).await.len(), 6);

    // The original's clients: `Interview` and a comma-separated `reasons` are read.
    let id = user
        .create_application(json!({"company": "A", "role": "B", "status": "Interview"}))
        .await
        .id();
    let rejection = user
        .post(&format!("/applications/{id}/rejections"))
        .json(json!({"reasons": "salary, location"}))
        .await
        .expect(201)
        .body;
    assert_eq!(rejection["reasons"], json!(["salary", "location"]));
}

#[tokio::test]
async fn exports_page_through_everything_once_in_json_and_csv() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let mut ids = BTreeSet::new();
    for i in 0..5 {
        ids.insert(
            user.create_application(json!({"company": format!("C{i}"), "role": "R"}))
                .await
                .id(),
        );
    }
    let paged: BTreeSet<String> = export_all(&user, 2)
        .await
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paged, ids);

    let first = user.get("/export?format=csv&limit=3").await.expect(200);
    assert_eq!(
        first.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let text = String::from_utf8(first.raw.clone()).unwrap();
    assert!(text.starts_with("\u{feff}id,company,role,status,applied_date"));
    assert_eq!(text.lines().count(), 4);
    let cursor = first.header("next-cursor").unwrap().to_owned();
    let second = user
        .get(&format!("/export?format=CSV&limit=3&cursor={cursor}"))
        .await
        .expect(200);
    let rest = String::from_utf8(second.raw.clone()).unwrap();
    assert_eq!(rest.lines().count(), 2, "later pages carry no header");
    assert!(second.header("next-cursor").is_none());

    // The concatenated CSV imports back for another user.
    let other = api.signed_in();
    let report = import(&other, "text/csv", [first.raw, second.raw].concat()).await;
    assert_eq!(report["created"], 5);

    for bad in [
        "/export?format=xml",
        "/export?limit=0",
        "/export?limit=501",
        "/export?cursor=x.y",
        "/export?x=1",
    ] {
        user.get(bad).await.expect_problem(400);
    }
    other
        .get(&format!("/export?format=csv&cursor={cursor}"))
        .await
        .expect_problem(400);
    // A cursor is its format's: a CSV page's cursor does not continue a JSON export, nor the
    // reverse (a JSON page may end inside an application, which a CSV row cannot continue).
    user.get(&format!("/export?cursor={cursor}"))
        .await
        .expect_problem(400);
    let json_cursor = user.get("/export?limit=2").await.expect(200).body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    user.get(&format!("/export?format=csv&cursor={json_cursor}"))
        .await
        .expect_problem(400);
    user.get(&format!("/export?cursor={json_cursor}"))
        .await
        .expect(200);
    api.get("/export").await.expect_problem(401);
}

#[tokio::test]
async fn malformed_and_oversized_imports_are_clear_4xx_problems() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let send = |content_type: &'static str, body: Vec<u8>| {
        user.post("/import").typed_body(content_type, body).send()
    };
    let malformed: [(&str, &[u8], u16); 6] = [
        ("text/csv", b"Company,Role\n\xe9cole,Dev\n", 400),
        ("application/json", b"{\"applications\": [", 400),
        ("application/json", b"42", 422),
        ("text/csv", b"Name,Age\nx,1\n", 422),
        ("application/xml", b"<x/>", 415),
        ("text/csv", b"", 422),
    ];
    for (content_type, body, status) in malformed {
        send(content_type, body.to_vec())
            .await
            .expect_problem(status);
    }
    // A dry run asked for without a value is refused, not taken for a real import.
    for path in ["/import?dry_run", "/import?dry_run=", "/import?dry_run=yes"] {
        user.post(path)
            .typed_body("text/csv", b"Company,Role\nAcme,Dev\n".to_vec())
            .await
            .expect_problem(400);
    }
    assert!(items_of(&api, &user).await.is_empty(), "nothing written");
    let big = format!(
        "Company,Role\n{}",
        "Acme,Dev\n".repeat(10 * 1024 * 1024 / 9)
    );
    send("text/csv", big.into_bytes()).await.expect_problem(413);
    // Under 4 MiB, but past 5 MiB as the Lambda event carries it (each quote twice): refused
    // before anything is read, as Lambda would refuse it in AWS.
    let quoted = format!(
        "Company,Role,Notes\nAcme,Dev,\"{}\"\n",
        "\"\"".repeat(1_400_000)
    );
    assert!(quoted.len() < 4 * 1024 * 1024);
    let carried = send("text/csv", quoted.into_bytes())
        .await
        .expect_problem(413);
    assert_eq!(carried.body["type"], "/problems/payload-too-large");
    assert!(
        carried.body["detail"]
            .as_str()
            .unwrap()
            .contains("as the request carries it")
    );
    let many = format!(
        "Company,Role\n{}",
        (0..1001).map(|i| format!("C{i},R\n")).collect::<String>()
    );
    let too_many = send("text/csv", many.into_bytes())
        .await
        .expect_problem(413);
    assert_eq!(too_many.body["type"], "/problems/too-many-rows");
    assert!(too_many.body["detail"].as_str().unwrap().contains("1000"));
    // Quotes: commas, newlines and doubled quotes inside a quoted cell are text.
    let quoted = "Company,Role,Notes\n\"Acme, Inc.\",\"Dev\",\"line one\nline \"\"two\"\"\"\n";
    let report = import(&user, "text/csv", quoted).await;
    let app = imported_application(&user, &report, 0).await;
    assert_eq!(app["company"], "Acme, Inc.");
    assert_eq!(app["notes"], "line one\nline \"two\"");
    api.post("/import")
        .header("content-type", "text/csv")
        .await
        .expect_problem(401);
}

#[tokio::test]
async fn an_interrupted_import_retried_writes_only_what_is_missing() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let rows: Vec<String> = (0..150)
        .map(|i| format!("Company {i},Role {i},applied,2024-01-{:02}", i % 28 + 1))
        .collect();
    let header = "Company,Role,Status,Applied Date\n";
    // The first 60 rows made it before the failure; the retry sends the whole file.
    let partial = format!("{header}{}\n", rows[..60].join("\n"));
    let whole = format!("{header}{}\n", rows.join("\n"));
    assert_eq!(import(&user, "text/csv", partial).await["created"], 60);
    let retry = import(&user, "text/csv", whole).await;
    assert_eq!(
        (retry["created"].as_u64(), retry["duplicates"].as_u64()),
        (Some(90), Some(60))
    );
    assert_eq!(export_all(&user, 500).await.len(), 150);
}

#[tokio::test]
async fn an_import_out_of_time_is_503_and_the_same_file_sent_again_finishes_it() {
    let api = TestApi::new().await;
    // The same table and users through a database a second slow a call, with 6 s to import:
    // an application with 1,000 feedback is 11 transactions written one after another, 11 s at
    // least, so the time runs out part of the way (the first takes a second and what DynamoDB
    // Local needs for 100 items: well under 5 s even on a busy machine).
    let (endpoint, delay) = slow_database().await;
    delay.store(1000, std::sync::atomic::Ordering::SeqCst);
    let hurried = TestApi::over(api::ApiState {
        store: (api.state.store.clone())
            .with_client(testkit::patient_client_for(&endpoint).await)
            .with_limits(|limits| limits.import_time = Duration::from_secs(6)),
        cursors: api.state.cursors.clone(),
    });
    // The second send with all the time it needs: 11 transactions on a busy machine can take
    // longer than the product's 20 s.
    let patient = TestApi::over(api::ApiState {
        store: (api.state.store.clone())
            .with_limits(|limits| limits.import_time = Duration::from_secs(600)),
        cursors: api.state.cursors.clone(),
    });
    // A dry run's look-ups have the same time, here none.
    let no_time = TestApi::over(api::ApiState {
        store: (api.state.store.clone()).with_limits(|limits| limits.import_time = Duration::ZERO),
        cursors: api.state.cursors.clone(),
    });
    let (app, document) = exported_with_feedback(&api.signed_in(), 1000).await;
    let bob = api.signed_in();
    for (api, path) in [(&hurried, "/import"), (&no_time, "/import?dry_run=true")] {
        let reply = api
            .call(axum::http::Method::POST, path)
            .user(&bob.user)
            .typed_body("application/json", document.to_string())
            .await
            .expect_problem(503);
        assert!(reply.header("retry-after").is_some(), "{path}");
    }
    let written = partition_of(&api, &bob, &app).await.len();
    assert!(
        (2..1001).contains(&written),
        "cut part of the way: {written} of 1,001 items"
    );
    // Sent again, the file writes the rest (a transaction dropped in flight may have landed
    // meanwhile: what it wrote is not written twice).
    let report = patient
        .call(axum::http::Method::POST, "/import")
        .user(&bob.user)
        .typed_body("application/json", document.to_string())
        .await
        .expect(200)
        .body;
    assert_eq!(outcomes(&report), ["duplicate"]);
    let created = report["rows"][0]["children_created"].as_u64().unwrap() as usize;
    assert!(
        created > 0 && created <= 1001 - written,
        "{created} written by the second send"
    );
    assert_eq!(partition_of(&api, &bob, &app).await.len(), 1001);
}

#[tokio::test]
async fn an_unreachable_database_is_503_for_export_and_import_never_500() {
    let api = TestApi::with_unreachable_database().await;
    let user = api.signed_in();
    user.get("/export").await.expect_problem(503);
    user.get("/export?format=csv").await.expect_problem(503);
    let reply = user
        .post("/import")
        .typed_body("text/csv", "Company,Role\nAcme,Dev\n")
        .await
        .expect_problem(503);
    assert!(reply.header("retry-after").is_some());
    // Rows that are all rejected need no database: the report comes back.
    let report = import(&user, "text/csv", "Company,Role\n,Dev\n").await;
    assert_eq!(outcomes(&report), ["rejected"]);
}

#[tokio::test]
async fn an_export_page_whose_reading_time_is_spent_ends_early_with_a_cursor_to_the_rest() {
    // No time at all: a page reads its first application (the least it holds), then stops.
    let api = TestApi::with_store(|store| {
        store.with_limits(|limits| limits.export_read_time = Duration::ZERO)
    })
    .await;
    let user = api.signed_in();
    let mut children = BTreeMap::new();
    for i in 0..5 {
        let id = user
            .create_application(json!({"company": format!("C{i}"), "role": "R"}))
            .await
            .id();
        add_children(&user, &id, i % 3).await;
        children.insert(id, i % 3);
    }

    let pages = json_pages(&user, 500).await;
    assert_eq!(
        pages
            .iter()
            .map(|page| ids_of(page).len())
            .collect::<Vec<_>>(),
        [1; 5],
        "one application a page, each page but the last with a cursor"
    );
    // Each application exactly once, whole.
    assert_eq!(children_by_id(&pages), children);

    // CSV pages end at the same places.
    let json: Vec<Vec<String>> = pages.iter().map(ids_of).collect();
    assert_eq!(csv_pages(&user, 500).await, json);

    // Each page is a document an import takes as it is.
    let other = api.signed_in();
    for page in &pages {
        let report = import(&other, "application/json", page.to_string()).await;
        assert_eq!(report["created"], 1);
    }
    assert_eq!(export_all(&other, 500).await.len(), 5);
}

/// The applications of JSON export pages, as one list: an application a page ends inside of
/// continues at the start of the next page, and is merged back into one (as the web app
/// does); none appears twice otherwise.
fn merged(pages: &[Value]) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    for page in pages {
        for application in page["applications"].as_array().unwrap() {
            match all.last_mut() {
                Some(last) if last["id"] == application["id"] => {
                    for kind in ["feedback", "rejections"] {
                        let more = application[kind].as_array().unwrap().clone();
                        last[kind].as_array_mut().unwrap().extend(more);
                    }
                }
                _ => all.push(application.clone()),
            }
        }
    }
    let ids: BTreeSet<_> = all.iter().map(|a| a["id"].to_string()).collect();
    assert_eq!(ids.len(), all.len(), "exported twice");
    all
}

#[tokio::test]
async fn an_export_page_holds_at_most_the_imports_children_limit_and_cuts_a_larger_application() {
    // At most 3 children a page, in place of MAX_IMPORT_CHILDREN (10,000): the same code.
    const LIMIT: usize = 3;
    let api =
        TestApi::with_store(|store| store.with_limits(|limits| limits.export_children = LIMIT))
            .await;
    let user = api.signed_in();
    let mut children = BTreeMap::new();
    // 7 is more than two pages hold: that application is cut twice.
    for (i, count) in [2, 1, 7, 0, 3, 1].into_iter().enumerate() {
        let id = user
            .create_application(json!({"company": format!("C{i}"), "role": "R"}))
            .await
            .id();
        add_children(&user, &id, count).await;
        children.insert(id, count);
    }

    let pages = json_pages(&user, 500).await;
    let counts: Vec<Vec<usize>> = pages
        .iter()
        .map(|page| {
            let applications = page["applications"].as_array().unwrap();
            applications.iter().map(children_of).collect()
        })
        .collect();
    // Newest first: 1 | 3 0 (the next 3 would pass) | 3 of 7 | 3 more | the last 1, 1 | 2.
    assert_eq!(
        counts,
        [vec![1], vec![3, 0], vec![3], vec![3], vec![1, 1], vec![2]]
    );
    let all = merged(&pages);
    let exported: BTreeMap<String, usize> = all
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), children_of(a)))
        .collect();
    assert_eq!(exported, children);

    // Each page is imported on its own, one after another: the cut application is written
    // by the first of its pages, its other children by the next ones.
    let bob = api.signed_in();
    for page in &pages {
        let report = import(&bob, "application/json", page.to_string()).await;
        assert_eq!(report["rejected"], 0, "{report}");
    }
    assert_eq!(merged(&json_pages(&bob, 500).await), all);

    // The pages joined into one file as they are, the cut application once per page: the
    // import gives its first row the children the others add.
    let carol = api.signed_in();
    let mut joined = pages[0].clone();
    joined["applications"] = pages
        .iter()
        .flat_map(|page| page["applications"].as_array().unwrap().clone())
        .collect();
    let report = import(&carol, "application/json", joined.to_string()).await;
    assert_eq!(report["created"], 6);
    assert_eq!(report["duplicates"], 2, "the cut application's later rows");
    assert_eq!(merged(&json_pages(&carol, 500).await), all);

    // A CSV row counts all of an application's children: CSV pages never cut one, and end
    // before the application that would pass the limit.
    let csv: Vec<Vec<String>> = csv_pages(&user, 500).await;
    let ids: Vec<String> = csv.iter().flatten().cloned().collect();
    assert_eq!(ids.len(), children.len());
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    for page in &csv {
        let total: usize = page.iter().map(|id| children[id]).sum();
        assert!(total <= LIMIT || page.len() == 1, "{csv:?}");
    }
}

/// Bob's export, every page of it in JSON and in CSV, holds Bob's data only; Alice's cursors,
/// one of them ending inside an application, are 400 for Bob in either format.
#[tokio::test]
async fn an_export_holds_only_the_callers_data_and_another_users_cursor_is_400() {
    // At most 3 children a page: an application with 5 is cut, the cursor ends inside it.
    let api =
        TestApi::with_store(|store| store.with_limits(|limits| limits.export_children = 3)).await;
    let (alice, bob) = (api.signed_in(), api.signed_in());
    for (company, children) in [("AliceCorp", 1), ("AliceLabs", 5), ("AliceWorks", 2)] {
        let id = alice
            .create_application(json!({"company": company, "role": "Dev"}))
            .await
            .id();
        add_children(&alice, &id, children).await;
    }
    let bobs = bob
        .create_application(json!({"company": "BobCorp", "role": "Dev"}))
        .await
        .id();
    add_children(&bob, &bobs, 4).await;

    // Everything of Alice's by id: her applications, feedback and rejections.
    let alice_pages = json_pages(&alice, 1).await;
    let mut alices: BTreeSet<String> = BTreeSet::new();
    for application in alice_pages
        .iter()
        .flat_map(|page| page["applications"].as_array().unwrap())
    {
        alices.insert(application["id"].as_str().unwrap().to_owned());
        for kind in ["feedback", "rejections"] {
            alices.extend(
                field_of_each(&application[kind], "id")
                    .into_iter()
                    .map(str::to_owned),
            );
        }
    }
    assert_eq!(alices.len(), 3 + 8);
    let alien = |text: &str| {
        alices
            .iter()
            .map(String::as_str)
            .chain(["Alice"])
            .find(|alien| text.contains(alien))
            .map(str::to_owned)
    };

    // Bob's application is cut too (3 children, then 1): two JSON pages, one CSV row.
    let bob_pages = json_pages(&bob, 1).await;
    assert_eq!(bob_pages.len(), 2);
    for page in &bob_pages {
        assert_eq!(ids_of(page), [bobs.as_str()]);
        let application = &page["applications"][0];
        for kind in ["feedback", "rejections"] {
            let parents = field_of_each(&application[kind], "application_id");
            assert!(parents.iter().all(|parent| *parent == bobs), "{page}");
        }
        assert_eq!(alien(&page.to_string()), None, "{page}");
    }
    assert_eq!(children_of(&merged(&bob_pages)[0]), 4);
    let bob_csv = csv_texts(&bob, 1).await;
    for (text, _) in &bob_csv {
        assert_eq!(alien(text), None, "{text}");
    }
    assert_eq!(csv_pages(&bob, 1).await, [vec![bobs.clone()]]);

    // Alice's cursors: each JSON one, and each CSV one.
    let json_cursors: Vec<&str> = alice_pages
        .iter()
        .filter_map(|page| page["next_cursor"].as_str())
        .collect();
    let ends_inside = alice_pages
        .windows(2)
        .any(|pair| ids_of(&pair[0]) == ids_of(&pair[1]));
    assert!(ends_inside, "a cursor ends inside an application");
    let csv = csv_texts(&alice, 1).await;
    let csv_cursors: Vec<&str> = csv
        .iter()
        .filter_map(|(_, cursor)| cursor.as_deref())
        .collect();
    assert_eq!((json_cursors.len(), csv_cursors.len()), (3, 2));
    for cursor in json_cursors.into_iter().chain(csv_cursors) {
        for format in ["json", "csv"] {
            bob.get(&format!("/export?format={format}&limit=1&cursor={cursor}"))
                .await
                .expect_problem(400);
        }
    }
}

#[tokio::test]
async fn an_application_cut_on_the_first_page_continues_next_even_after_a_newer_one_is_created() {
    let api =
        TestApi::with_store(|store| store.with_limits(|limits| limits.export_children = 3)).await;
    let user = api.signed_in();
    let older = user.new_application().await;
    add_children(&user, &older, 1).await;
    let newest = user.new_application().await;
    add_children(&user, &newest, 5).await;

    // One application a page: the newest, cut after 3 of its 5 children.
    let first = user.get("/export?limit=1").await.expect(200).body;
    assert_eq!(ids_of(&first), std::slice::from_ref(&newest));
    assert_eq!(children_of(&first["applications"][0]), 3);
    // Created after the export started: newer than the cursor, so not in this export.
    let created_since = user.new_application().await;
    let mut pages = vec![first];
    while let Some(cursor) = pages.last().unwrap()["next_cursor"].as_str() {
        let path = format!("/export?limit=1&cursor={cursor}");
        pages.push(user.get(&path).await.expect(200).body);
    }
    let ids: Vec<Vec<String>> = pages.iter().map(ids_of).collect();
    assert_eq!(
        ids,
        [
            vec![newest.clone()],
            vec![newest.clone()],
            vec![older.clone()]
        ]
    );
    let all = merged(&pages);
    assert_eq!(children_of(&all[0]), 5);
    assert_eq!(children_of(&all[1]), 1);
    assert!(!ids.concat().contains(&created_since));
}

#[tokio::test]
async fn an_export_page_ends_at_its_byte_budget_and_cuts_an_application_that_alone_passes_it() {
    // 6,000 bytes a page in place of 4 MB: the same code.
    const BUDGET: usize = 6_000;
    let api =
        TestApi::with_store(|store| store.with_limits(|limits| limits.export_page_bytes = BUDGET))
            .await;
    let user = api.signed_in();
    let small = user.new_application().await;
    add_children(&user, &small, 2).await;
    // About 1,000 bytes a feedback: this application's 12 take three pages or more.
    let large = user.new_application().await;
    for n in 0..12 {
        let comments = format!("{n} {}", "\"\\".repeat(240));
        user.post(&format!("/applications/{large}/feedback"))
            .json(json!({"rating": 3, "comments": comments}))
            .await
            .expect(201);
    }
    let newest = user.new_application().await;

    let pages = json_pages(&user, 500).await;
    let ids: Vec<Vec<String>> = pages.iter().map(ids_of).collect();
    assert!(ids.len() >= 4, "{ids:?}");
    // The application that does not fit after the first starts the next page, and is cut
    // there, each page of it within the budget.
    assert_eq!(ids[0], [newest]);
    let carrying_large: Vec<&Value> = pages
        .iter()
        .filter(|page| ids_of(page).contains(&large))
        .collect();
    assert!(carrying_large.len() >= 3, "{ids:?}");
    for page in &carrying_large {
        let sizes: usize = page["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(store::json_size)
            .sum();
        assert!(sizes <= BUDGET, "{sizes} bytes");
        assert!(children_of(&page["applications"][0]) >= 1);
    }
    let all = merged(&pages);
    let large_feedback = all.iter().find(|a| a["id"] == large.as_str()).unwrap();
    let comments: Vec<&str> = large_feedback["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["comments"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..12)
        .map(|n| format!("{n} {}", "\"\\".repeat(240)))
        .collect();
    assert_eq!(comments, expected, "every feedback once, in order");
    assert_eq!(ids.iter().flatten().filter(|id| **id == small).count(), 1);

    // Imported page by page, they restore it whole.
    let bob = api.signed_in();
    for page in &pages {
        import(&bob, "application/json", page.to_string()).await;
    }
    let restored = merged(&json_pages(&bob, 500).await);
    assert_eq!(restored.len(), 3);
    let feedback = |all: &[Value]| {
        let application = all.iter().find(|a| a["id"] == large.as_str()).unwrap();
        application["feedback"].clone()
    };
    assert_eq!(feedback(&restored), feedback(&all));
}

/// DynamoDB Local behind a proxy that holds every chunk of a request for the milliseconds
/// the returned number says (0 at first) before passing it on: a slow database, each call
/// taking at least that long.
async fn slow_database() -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::net::{TcpListener, TcpStream};

    async fn read(from: &TcpStream, buffer: &mut [u8]) -> std::io::Result<usize> {
        loop {
            from.readable().await?;
            match from.try_read(buffer) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                result => return result,
            }
        }
    }
    async fn write(to: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            to.writable().await?;
            match to.try_write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    /// Passes `from`'s bytes to `to`, each chunk after `delay` ms, until either closes.
    async fn pass(from: Arc<TcpStream>, to: Arc<TcpStream>, delay: Arc<AtomicU64>) {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = read(&from, &mut buffer).await {
            let delay = Duration::from_millis(delay.load(Ordering::SeqCst));
            tokio::time::sleep(delay).await;
            if write(&to, &buffer[..n]).await.is_err() {
                break;
            }
        }
    }

    let upstream = testkit::dynamodb_local().await.endpoint.clone();
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let delay = Arc::new(AtomicU64::new(0));
    let request_delay = delay.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            let (client, server) = (Arc::new(client), Arc::new(server));
            tokio::spawn(pass(client.clone(), server.clone(), request_delay.clone()));
            tokio::spawn(pass(server, client, Arc::default()));
        }
    });
    (endpoint, delay)
}

#[tokio::test]
async fn a_slow_database_ends_export_pages_early_and_every_application_is_exported_once() {
    // Each call takes at least 50 ms: a page of 8 reads its GSI1 query and then 8 partitions
    // 4 at a time, at least 150 ms in all, past a 120 ms budget whatever the machine.
    let (endpoint, delay) = slow_database().await;
    let client = testkit::patient_client_for(&endpoint).await;
    let api = TestApi::with_store(|store| {
        store
            .with_client(client)
            .with_limits(|limits| limits.export_read_time = Duration::from_millis(120))
    })
    .await;
    let user = api.signed_in();
    let mut children = BTreeMap::new();
    for i in 0..8 {
        let id = user
            .create_application(json!({"company": format!("C{i}"), "role": "R"}))
            .await
            .id();
        add_children(&user, &id, i % 2).await;
        children.insert(id, i % 2);
    }

    delay.store(50, std::sync::atomic::Ordering::SeqCst);
    let pages = json_pages(&user, 500).await;
    assert!(pages.len() > 1, "{}", pages.len());
    assert!(pages.iter().all(|page| !ids_of(page).is_empty()));
    assert_eq!(children_by_id(&pages), children);

    let csv = csv_pages(&user, 500).await;
    assert!(csv.len() > 1 && csv.iter().all(|page| !page.is_empty()));
    let rows: Vec<&String> = csv.iter().flatten().collect();
    let ids: BTreeSet<&String> = rows.iter().copied().collect();
    assert_eq!(rows.len(), ids.len(), "a row exported twice");
    assert!(ids.into_iter().eq(children.keys()));
}

#[tokio::test]
async fn a_csv_row_counts_an_applications_feedback_and_rejections_with_their_last_dates() {
    let api = TestApi::new().await;
    let user = api.signed_in();
    let id = user.new_application().await;
    for day in ["2026-02-01", "2026-01-05"] {
        user.post(&format!("/applications/{id}/feedback"))
            .json(json!({"rating": 3, "feedback_date": day, "comments": "long notes"}))
            .await
            .expect(201);
    }
    user.post(&format!("/applications/{id}/rejections"))
        .json(json!({"rejected_date": "2026-03-03", "reasons": "no visa"}))
        .await
        .expect(201);
    let csv = user.get("/export?format=csv").await.expect(200);
    let text = String::from_utf8(csv.raw).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("id"), id);
    assert_eq!(cell("feedback_count"), "2");
    assert_eq!(cell("last_feedback_date"), "2026-02-01");
    assert_eq!(cell("rejection_count"), "1");
    assert_eq!(cell("last_rejection_date"), "2026-03-03");
}
