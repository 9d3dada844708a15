//! The system routes, the OpenAPI document, and how every route behaves when the database fails.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::TestApi;

#[tokio::test]
async fn health_answers_without_the_database() {
    let api = TestApi::with_unreachable_database().await;
    let reply = api.get("/health").await.expect(200);
    assert_eq!(
        reply.body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
    );
}

#[tokio::test]
async fn db_check_reports_connected_only_when_the_table_answers() {
    let api = TestApi::new().await;
    let reply = api.get("/db-check").await.expect(200);
    assert_eq!(reply.body["db"], "connected");
    assert!(reply.body["latency_ms"].is_u64());

    let missing = TestApi::with_missing_table().await;
    let reply = missing.get("/db-check").await.expect_problem(503);
    assert!(reply.header("retry-after").is_some());

    // Its 2 s bound is the client's operation timeout (store::config's test).
    let unreachable = TestApi::with_unreachable_database().await;
    let reply = unreachable.get("/db-check").await.expect_problem(503);
    assert_eq!(reply.body["type"], "/problems/unavailable");
}

#[tokio::test]
async fn every_route_answers_503_with_retry_after_when_the_database_is_unreachable() {
    let api = TestApi::with_unreachable_database().await;
    let user = api.user();
    let app = domain::Id::generate();
    let child = domain::Id::generate();
    let mut calls = vec![
        api.get("/applications"),
        api.post("/applications")
            .json(json!({"company": "a", "role": "b"})),
        api.post("/applications")
            .idempotency_key("k")
            .json(json!({"company": "a", "role": "b"})),
        api.get(&format!("/applications/{app}")),
        api.patch(&format!("/applications/{app}"))
            .json(json!({"notes": "n"})),
        api.put(&format!("/applications/{app}"))
            .json(json!({"status": "offer"})),
        api.delete(&format!("/applications/{app}")),
    ];
    for collection in ["feedback", "rejections"] {
        let base = format!("/applications/{app}/{collection}");
        calls.push(api.get(&base));
        calls.push(api.post(&base).json(json!({})));
        calls.push(api.get(&format!("{base}/{child}")));
        calls.push(
            api.patch(&format!("{base}/{child}"))
                .json(json!({"stage": "other"})),
        );
        calls.push(api.delete(&format!("{base}/{child}")));
    }
    for call in calls {
        // A hang guard, not a benchmark: the SDK's own timeouts answer well within it.
        let reply = tokio::time::timeout(Duration::from_secs(10), call.user(&user).send())
            .await
            .expect("no hang")
            .expect_problem(503);
        assert_eq!(reply.header("retry-after"), Some("1"));
        assert_eq!(reply.body["type"], "/problems/unavailable");
        let text = String::from_utf8_lossy(&reply.raw);
        assert!(
            !text.contains("dispatch") && !text.contains("127.0.0.1"),
            "no internals: {text}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_of_every_function() {
    let api = TestApi::new().await;
    let reply = api.get("/openapi.json").await.expect(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let served: BTreeSet<String> = dev_server::FUNCTIONS
        .iter()
        .flat_map(|f| f.routes())
        .collect();
    assert_eq!(documented, served);
    // The routes the contract and the issues after it name, with their methods: the document
    // and the routers come from one list, so only this catches a route lost or renamed there.
    let operations: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| ["get", "post", "put", "patch", "delete"].contains(&key.as_str()))
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let item = |path: &str| ["GET", "PUT", "PATCH", "DELETE"].map(|m| format!("{m} {path}"));
    let collection = |path: &str| ["GET", "POST"].map(|m| format!("{m} {path}"));
    let mut contract: BTreeSet<String> = [
        "GET /health",
        "GET /db-check",
        "GET /openapi.json",
        "GET /docs",
        "GET /docs/{asset}",
        "GET /export",
        "POST /import",
        "GET /analytics/summary",
        "GET /analytics/rejections",
        "GET /analytics/skills",
        "GET /follow-ups",
        "GET /calendar-feed",
        "POST /calendar-feed",
        "DELETE /calendar-feed",
        "GET /calendar/{token}",
    ]
    .map(str::to_owned)
    .into();
    contract.extend(collection("/applications"));
    contract.extend(item("/applications/{id}"));
    for (children, id) in [("feedback", "feedback_id"), ("rejections", "rejection_id")] {
        contract.extend(collection(&format!("/applications/{{id}}/{children}")));
        contract.extend(item(&format!("/applications/{{id}}/{children}/{{{id}}}")));
    }
    assert_eq!(operations, contract);
    // Each operation has its own operationId (OpenAPI requires it; clients name methods by it).
    let ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        (ids.len(), unique.len()),
        (operations.len(), operations.len())
    );
    let secured = |path: &str, method: &str| doc["paths"][path][method]["security"].is_array();
    assert!(secured("/applications", "post"));
    assert!(!secured("/health", "get"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let item = &doc["paths"]["/applications/{id}/feedback/{feedback_id}"];
    for method in ["get", "put", "patch", "delete"] {
        assert!(item[method].is_object(), "{method}");
        assert!(
            item[method]["responses"]["404"]["content"]["application/problem+json"].is_object()
        );
    }
    let rating = &doc["components"]["schemas"]["FeedbackCreate"]["properties"]["rating"];
    assert_eq!(
        (rating["minimum"].as_u64(), rating["maximum"].as_u64()),
        (Some(1), Some(5))
    );
    let stage = &doc["components"]["schemas"]["InterviewStage"]["enum"];
    assert_eq!(stage.as_array().unwrap().len(), 10);
}

#[test]
fn salary_bounds_match_the_parser() {
    let doc = serde_json::to_value(api::openapi::document(dev_server::FUNCTIONS)).unwrap();
    let salary = &doc["components"]["schemas"]["ApplicationCreate"]["properties"]["salary_min"];
    assert_eq!(salary["maximum"], domain::values::SALARY_MAX);
}

#[test]
fn update_schemas_require_nothing_but_one_property() {
    let doc = serde_json::to_value(api::openapi::document(dev_server::FUNCTIONS)).unwrap();
    let update = &doc["components"]["schemas"]["ApplicationUpdate"];
    assert_eq!(update["minProperties"], 1);
    assert!(update.get("required").is_none());
    assert_eq!(update["additionalProperties"], false);
    let create = &doc["components"]["schemas"]["ApplicationCreate"];
    assert_eq!(create["required"], serde_json::json!(["company", "role"]));
}

#[tokio::test]
async fn the_committed_openapi_document_is_the_generated_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let generated = api::openapi::document_json(dev_server::FUNCTIONS);
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the API's document: run `make openapi` and review the diff"
    );
    let parsed: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(parsed["info"]["title"], "Feedback Tracker API");
}

#[tokio::test]
async fn swagger_ui_is_served_with_its_assets_and_our_document() {
    let api = TestApi::new().await;
    let page = api.get("/docs").await.expect(200);
    let html = String::from_utf8_lossy(&page.raw);
    assert!(html.contains("swagger-ui") && html.contains("<base href=\"/docs/\">"));
    // Only its own origin, and never framed (the web app shares the origin behind CloudFront),
    // under each path that serves a page; the browser check (make test-browser) shows the page
    // works under this policy.
    for path in ["/docs", "/docs/index.html", "/docs/oauth2-redirect.html"] {
        let page = api.get(path).await.expect(200);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let policy = page.header("content-security-policy").expect("a CSP");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-eval"), "{path}: {policy}");
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
    }
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "index.css",
    ] {
        let reply = api.get(&format!("/docs/{asset}")).await.expect(200);
        assert!(reply.raw.len() > 100, "{asset}");
    }
    let init = api.get("/docs/swagger-initializer.js").await.expect(200);
    let script = String::from_utf8_lossy(&init.raw);
    assert!(script.contains("\"/openapi.json\""), "{script}");
    // No badge from validator.swagger.io: the page fetches nothing from another host.
    assert!(
        script.contains("\"validatorUrl\": \"none\"")
            || script.contains("\"validatorUrl\":\"none\""),
        "{script}"
    );
    assert!(!script.contains("petstore"));
    // A token pasted into Authorize is not kept in the origin's localStorage.
    assert!(!script.contains("persistAuthorization"), "{script}");
    api.get("/docs/nothing-here.js").await.expect_problem(404);
    // Not UTF-8 once decoded: an unknown file too, not a bare-text 400.
    api.get("/docs/%ff.js").await.expect_problem(404);
    // No asset points outside the server.
    assert!(!html.contains("http://") && !html.contains("https://"));
}

/// A DynamoDB Local whose every answer comes `late` (each piece of it): a busy machine, where
/// `make dev` once failed to create its table. Its address.
async fn late_dynamodb_local(late: Duration) -> String {
    let upstream = testkit::dynamodb_local()
        .await
        .endpoint
        .trim_start_matches("http://")
        .to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut buffer = vec![0; 64 * 1024];
                while let Ok(read) = server_read.read(&mut buffer).await {
                    if read == 0 {
                        break;
                    }
                    tokio::time::sleep(late).await;
                    if client_write.write_all(&buffer[..read]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn the_dev_server_makes_its_table_on_a_slow_dynamodb_local() {
    // Longer than the functions' 0.8 s per attempt.
    let endpoint = late_dynamodb_local(Duration::from_millis(1200)).await;
    // The functions' client: each call alone would give up first.
    let client = testkit::client_for(&endpoint).await;
    assert!(
        client.list_tables().send().await.is_err(),
        "the functions' budget is shorter than this DynamoDB Local's answers"
    );
    let table = format!("slow-{}", domain::Id::generate());
    assert_eq!(
        dev_server::prepare_local_table(&client, &table).await,
        Ok(true)
    );
    assert_eq!(
        dev_server::prepare_local_table(&client, &table).await,
        Ok(false),
        "found the second time"
    );

    // The requests it serves wait too (`make dev`, the fuzzer, the web app's checks), where
    // the functions' own state gives up: 503.
    let config = store::Config {
        table_name: table,
        dynamodb_endpoint: Some(endpoint),
        region: "us-east-1".to_owned(),
    };
    let cursors = || api::cursor::CursorKey::new(b"slow dynamodb local");
    for (state, status) in [
        (api::ApiState::from_config(&config, cursors()).await, 503),
        (dev_server::dev_state(&config, cursors()).await, 200),
    ] {
        let api = TestApi::over(state);
        api.signed_in().get("/applications").await.expect(status);
    }
}

/// `/db-check` keeps the contract's 2 s whatever its client: the dev server's, which waits for a
/// slow DynamoDB Local on every other route, answers 503 for a table that answers later.
#[tokio::test]
async fn db_check_gives_up_after_two_seconds_on_the_dev_server_too() {
    let table = format!("late-{}", domain::Id::generate());
    let direct = testkit::client_for(&testkit::dynamodb_local().await.endpoint).await;
    assert_eq!(
        dev_server::prepare_local_table(&direct, &table).await,
        Ok(true)
    );
    let config = store::Config {
        table_name: table,
        // Half a second past the bound: the patient client alone would wait and answer 200.
        dynamodb_endpoint: Some(
            late_dynamodb_local(health::DB_CHECK_TIME + Duration::from_millis(500)).await,
        ),
        region: "us-east-1".to_owned(),
    };
    let state = dev_server::dev_state(&config, api::cursor::CursorKey::new(b"late")).await;
    TestApi::over(state)
        .get("/db-check")
        .await
        .expect_problem(503);
}
