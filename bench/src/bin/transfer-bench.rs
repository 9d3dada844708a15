//! `transfer-bench` — import and export against DynamoDB Local (the test harness's, in memory):
//! 1,000 CSV rows through `POST /import`, a 1,000-application JSON backup (with feedback and
//! rejections) restored through `POST /import`, and the export of those 1,000 applications
//! (`GET /export`, pages of 500), then one request at the import's children limit (ten per
//! row: 10,000), and the delete of one application with 5,000 children. Prints a Markdown table: wall time per request and the write capacity units
//! the store reports (`ReturnConsumedCapacity=TOTAL`, the same import repeated for a fresh user
//! through the store). `make bench` runs it; `--rows N` changes the count.

use std::time::Instant;

use domain::Timestamp;
use domain::transfer::{read_csv, read_json};
use serde_json::{Value, json};
use testkit::{TestApi, User};

fn csv(rows: usize) -> String {
    let mut text =
        String::from("Company,Job Title,Status,Date Applied,Job Url,Location,Tags,Salary,Notes\n");
    for i in 0..rows {
        text.push_str(&format!(
            "Company {i},Engineer {i},{},{}/{}/24,https://jobs.example.com/{i},Berlin,rust; aws,\"€{}k-{}k\",\"Row {i}, with a comma\"\n",
            ["Applied", "Interview", "Wishlist", "Not selected"][i % 4],
            i % 12 + 1,
            i % 28 + 1,
            60 + i % 40,
            80 + i % 40,
        ));
    }
    text
}

async fn post(api: &TestApi, user: &User, content_type: &str, body: Vec<u8>) -> (Value, f64) {
    let started = Instant::now();
    let reply = api
        .post("/import")
        .user(user)
        .header("content-type", content_type)
        .raw_body(body)
        .send()
        .await
        .expect(200);
    (reply.body, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000usize);
    let api = TestApi::new().await;
    let store = &api.state.store;
    let mut table = Vec::new();

    // 1. CSV rows.
    let file = csv(rows);
    let alice = api.user();
    let (report, seconds) = post(&api, &alice, "text/csv", file.clone().into_bytes()).await;
    assert_eq!(report["created"], rows, "{report}");
    let (again, again_seconds) = post(&api, &alice, "text/csv", file.clone().into_bytes()).await;
    assert_eq!(again["duplicates"], rows);
    let carol = testkit_user(&api);
    let plan = read_csv(&carol, file.as_bytes(), Timestamp::now()).unwrap();
    let units: Vec<_> = plan
        .rows
        .iter()
        .filter_map(|r| r.parsed.as_ref().ok())
        .collect();
    let capacity = store.import(&carol, &units).await.unwrap().capacity_units;
    table.push((
        format!("import {rows} CSV rows"),
        seconds,
        Some(capacity),
        file.len(),
    ));
    table.push((
        format!("same {rows} CSV rows again (all duplicates)"),
        again_seconds,
        None,
        file.len(),
    ));

    // Children for a fifth of Alice's applications, then her export.
    let ids: Vec<String> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    for id in ids.iter().step_by(5) {
        api.post(&format!("/applications/{id}/feedback"))
            .user(&alice)
            .json(json!({"rating": 3, "comments": "fine", "strengths": ["rust"]}))
            .send()
            .await
            .expect(201);
        api.post(&format!("/applications/{id}/rejections"))
            .user(&alice)
            .json(json!({"reasons": "position filled, too junior"}))
            .send()
            .await
            .expect(201);
    }
    let started = Instant::now();
    let mut applications = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    let mut bytes = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/export?limit=500&cursor={c}"),
            None => "/export?limit=500".to_owned(),
        };
        let page = api.get(&path).user(&alice).send().await.expect(200);
        pages += 1;
        bytes += page.raw.len();
        applications.extend(page.body["applications"].as_array().unwrap().clone());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    table.push((
        format!(
            "export {} applications as JSON ({pages} pages)",
            applications.len()
        ),
        started.elapsed().as_secs_f64(),
        None,
        bytes,
    ));
    let started = Instant::now();
    let csv_page = api
        .get("/export?format=csv&limit=500")
        .user(&alice)
        .send()
        .await
        .expect(200);
    table.push((
        "export 500 applications as CSV (one page)".to_owned(),
        started.elapsed().as_secs_f64(),
        None,
        csv_page.raw.len(),
    ));

    // 2. The backup restored for another user.
    let backup = json!({"format": "feedback-tracker/v1", "applications": applications});
    let body = serde_json::to_vec(&backup).unwrap();
    let bob = api.user();
    let (report, seconds) = post(&api, &bob, "application/json", body.clone()).await;
    assert_eq!(report["created"], rows, "{report}");
    let dave = testkit_user(&api);
    let plan = read_json(&dave, backup, Timestamp::now()).unwrap();
    let units: Vec<_> = plan
        .rows
        .iter()
        .filter_map(|r| r.parsed.as_ref().ok())
        .collect();
    let children: usize = units
        .iter()
        .map(|u| u.feedback.len() + u.rejections.len())
        .sum();
    let capacity = store.import(&dave, &units).await.unwrap().capacity_units;
    table.push((
        format!("restore a {rows}-application backup ({children} children)"),
        seconds,
        Some(capacity),
        body.len(),
    ));

    // 3. One request at the import's children limit (10,000 with 1,000 rows): 100 applications
    // of 100 feedback each, restored for a fresh user.
    let heavy_apps = rows.min(100);
    let per_app = rows * 10 / heavy_apps;
    let heavy: Vec<Value> = applications[..heavy_apps]
        .iter()
        .map(|application| {
            let mut application = application.clone();
            let (id, at) = (application["id"].clone(), application["created_at"].clone());
            let feedback: Vec<Value> = (0..per_app)
                .map(|_| {
                    json!({"id": domain::Id::generate().to_string(), "application_id": id,
                        "created_at": at, "updated_at": at, "version": 1, "rating": 3})
                })
                .collect();
            application["feedback"] = json!(feedback);
            application["rejections"] = json!([]);
            application
        })
        .collect();
    let body = serde_json::to_vec(&json!({"format": "feedback-tracker/v1", "applications": heavy}))
        .unwrap();
    let erin = api.user();
    let (report, seconds) = post(&api, &erin, "application/json", body.clone()).await;
    assert_eq!(report["created"], heavy_apps, "{report}");
    table.push((
        format!(
            "restore one request of {heavy_apps} applications with {} feedback",
            heavy_apps * per_app
        ),
        seconds,
        None,
        body.len(),
    ));

    // 4. One application with 5,000 children (restored in one request), then deleted: the
    // request sweeps for up to 5 s and the sweeper finishes what it leaves.
    let children = rows * 5;
    let mut application = applications[0].clone();
    let (id, at) = (application["id"].clone(), application["created_at"].clone());
    application["feedback"] = json!(
        (0..children)
            .map(
                |_| json!({"id": domain::Id::generate().to_string(), "application_id": id,
                "created_at": at, "updated_at": at, "version": 1, "rating": 3})
            )
            .collect::<Vec<_>>()
    );
    application["rejections"] = json!([]);
    let body = serde_json::to_vec(
        &json!({"format": "feedback-tracker/v1", "applications": [application]}),
    )
    .unwrap();
    let frank = api.user();
    post(&api, &frank, "application/json", body).await;
    let started = Instant::now();
    api.delete(&format!("/applications/{}", id.as_str().unwrap()))
        .user(&frank)
        .send()
        .await
        .expect(204);
    let seconds = started.elapsed().as_secs_f64();
    let partition = store::keys::application_pk(
        &domain::UserId::parse(&frank.sub).unwrap(),
        id.as_str().unwrap().parse().unwrap(),
    );
    let left = api
        .client
        .query()
        .table_name(&api.table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(partition))
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap()
        .count;
    table.push((
        format!(
            "delete one application with {children} children (items left for the sweeper: {left})"
        ),
        seconds,
        None,
        0,
    ));

    println!("| operation | time (s) | write capacity units | body bytes |");
    println!("|---|---:|---:|---:|");
    for (what, seconds, capacity, bytes) in table {
        let capacity = capacity.map_or("–".to_owned(), |c| format!("{c:.0}"));
        println!("| {what} | {seconds:.2} | {capacity} | {bytes} |");
    }
}

fn testkit_user(api: &TestApi) -> domain::UserId {
    domain::UserId::parse(&api.user().sub).unwrap()
}
