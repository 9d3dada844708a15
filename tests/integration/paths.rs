//! Paths with percent-encoded characters. API Gateway's HTTP API hands a function its path
//! decoded (`rawPath` `/applications/A?x` for a request to `/applications/A%3Fx`; docs/deploy.md
//! names the reports), other sources hand it over encoded. Either way a segment holding `/`, `?`,
//! `#`, NUL or a dot segment is a 404 problem+json from the function itself: never a 5xx, never
//! a shorter path's resource (lambda_http's URL parser would cut `A?x` to `A`, and fold
//! `A/../..`), never another user's data.

use http_body_util::BodyExt;
use serde_json::{Value, json};
use testkit::{Session, TestApi};

use dev_server::FUNCTIONS;

/// Appended to a real id (or file name), each makes a segment no route of this API has.
const SUFFIXES: &[&str] = &[
    "%2F",
    "%2Fx",
    "%3F",
    "%3Fx=1",
    "%23",
    "%23x",
    "%00",
    "%20",
    "%09",
    "%0A",
    "%2F..",
    "%2F..%2F..",
    "%2F..%2F..%2Fapplications",
];

/// What a write through one of these paths would have stored.
const WRITTEN: &str = "written through a path that names nothing";

/// How the path reaches the function.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// As the client sent it (a Lambda function URL, `cargo lambda`, the dev server before).
    Encoded,
    /// Percent-decoded: `rawPath` as HTTP API is reported to send it, and the path parameters
    /// too (which the reports do not show).
    Decoded,
    /// Decoded, and `rawPath` cut at a decoded `?` while the parameter keeps it (one reading of
    /// the reports).
    DecodedCutAtQuery,
}

/// Percent-decodes `text` (the test's own inputs decode to UTF-8).
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// The HTTP API event for `method` on `template` with `params`, as `form` delivers it, with
/// `sub` as the authorizer's caller.
fn event(sub: &str, method: &str, template: &str, params: &[(&str, String)], form: Form) -> Value {
    let mut path = template.to_owned();
    for (name, value) in params {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let (raw_path, parameters): (String, Vec<(&str, String)>) = match form {
        Form::Encoded => (path, params.to_vec()),
        Form::Decoded | Form::DecodedCutAtQuery => {
            let decoded = decode(&path);
            let raw_path = match form {
                Form::DecodedCutAtQuery => decoded.split('?').next().unwrap().to_owned(),
                _ => decoded,
            };
            let parameters = params
                .iter()
                .map(|(name, value)| (*name, decode(value)))
                .collect();
            (raw_path, parameters)
        }
    };
    let path_parameters: serde_json::Map<String, Value> = parameters
        .into_iter()
        .map(|(name, value)| (name.to_owned(), Value::String(value)))
        .collect();
    // A valid body for the route, so that only the path can be at fault.
    let body = match (method, template.contains("/feedback")) {
        ("POST", true) => json!({"stage": "technical"}),
        ("POST", false) => json!({"category": "no_feedback"}),
        ("PUT" | "PATCH", true) => json!({"comments": WRITTEN}),
        ("PUT" | "PATCH", false) => json!({"notes": WRITTEN}),
        _ => Value::Null,
    };
    let content_type = if matches!(method, "PUT" | "PATCH") {
        "application/merge-patch+json"
    } else {
        "application/json"
    };
    json!({
        "version": "2.0",
        "routeKey": format!("ANY {template}"),
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "content-type": content_type,
            "host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "x-forwarded-proto": "https",
        },
        "pathParameters": path_parameters,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "authorizer": {"jwt": {"claims": {"sub": sub}, "scopes": null}},
            "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.42",
                "userAgent": "test",
            },
            "requestId": "test",
            "routeKey": format!("ANY {template}"),
            "stage": "$default",
            "time": "24/Nov/2026:08:03:01 +0000",
            "timeEpoch": 1795507381636u64,
        },
        "body": if body.is_null() { Value::Null } else { Value::String(body.to_string()) },
        "isBase64Encoded": false,
    })
}

/// Sends `event` through lambda_http's event parsing into the function that serves `template`:
/// its status, content type and body.
async fn invoke(api: &TestApi, template: &str, event: &Value) -> (u16, String, String) {
    let function = FUNCTIONS
        .iter()
        .find(|function| function.routes().iter().any(|route| route == template))
        .unwrap_or_else(|| panic!("no function serves {template}"));
    let request = api::function::request_of_event(&event.to_string())
        .unwrap_or_else(|error| panic!("{event}: {error}"));
    let response = testkit::invoke(function, &api.state, request).await;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// The methods to try on a route template, with its real parameters.
type Target<'a> = (&'a [&'a str], &'a str, Vec<(&'a str, String)>);

/// An application with one feedback and one rejection: `(application, feedback, rejection)`.
async fn seed(user: &Session<'_>) -> (String, String, String) {
    let app = user
        .create_application(json!({"company": "Initech", "role": "Engineer"}))
        .await
        .id();
    let feedback = user
        .post(&format!("/applications/{app}/feedback"))
        .json(json!({"stage": "technical", "rating": 4}))
        .await
        .expect(201)
        .id();
    let rejection = user
        .post(&format!("/applications/{app}/rejections"))
        .json(json!({"category": "no_feedback"}))
        .await
        .expect(201)
        .id();
    (app, feedback, rejection)
}

#[tokio::test]
async fn encoded_characters_in_a_segment_are_404_from_the_function_in_either_form() {
    let api = TestApi::new().await;
    let owner = api.signed_in();
    let (app, feedback, rejection) = seed(&owner).await;
    // Another user's resources, whose ids the paths below carry: they are never theirs.
    let (other_app, _, _) = seed(&api.signed_in()).await;
    let token = format!("{}.ics", "A".repeat(43));

    let targets: Vec<Target> = vec![
        (
            &["GET", "PUT", "PATCH", "DELETE"],
            "/applications/{id}",
            vec![("id", app.clone())],
        ),
        (&["GET"], "/applications/{id}", vec![("id", other_app)]),
        (
            &["GET", "POST"],
            "/applications/{id}/feedback",
            vec![("id", app.clone())],
        ),
        (
            &["GET", "PUT", "PATCH", "DELETE"],
            "/applications/{id}/feedback/{feedback_id}",
            vec![("id", app.clone()), ("feedback_id", feedback.clone())],
        ),
        (
            &["GET", "POST"],
            "/applications/{id}/rejections",
            vec![("id", app.clone())],
        ),
        (
            &["GET", "PUT", "PATCH", "DELETE"],
            "/applications/{id}/rejections/{rejection_id}",
            vec![("id", app.clone()), ("rejection_id", rejection.clone())],
        ),
        (
            &["GET"],
            "/docs/{asset}",
            vec![("asset", "swagger-ui.css".to_owned())],
        ),
        (&["GET"], "/calendar/{token}", vec![("token", token)]),
    ];

    let mut failures = Vec::new();
    let mut sent = 0;
    for (methods, template, params) in &targets {
        for method in *methods {
            for index in 0..params.len() {
                for suffix in SUFFIXES {
                    let mut bad = params.clone();
                    bad[index].1.push_str(suffix);
                    for form in [Form::Encoded, Form::Decoded, Form::DecodedCutAtQuery] {
                        let event = event(&owner.user.sub, method, template, &bad, form);
                        let (status, content_type, body) = invoke(&api, template, &event).await;
                        sent += 1;
                        if status != 404 || content_type != "application/problem+json" {
                            let body: String = body.chars().take(100).collect();
                            failures.push(format!(
                                "{method} {} ({form:?}): {status} {content_type} {body}",
                                event["rawPath"]
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} requests were not a 404 problem:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Nothing was written or deleted through them.
    let application = owner.get(&format!("/applications/{app}")).await.expect(200);
    assert!(!String::from_utf8_lossy(&application.raw).contains(WRITTEN));
    for collection in ["feedback", "rejections"] {
        let list = owner
            .get(&format!("/applications/{app}/{collection}"))
            .await
            .expect(200);
        assert_eq!(
            list.body["items"].as_array().map(Vec::len),
            Some(1),
            "{collection}"
        );
        assert!(
            !String::from_utf8_lossy(&list.raw).contains(WRITTEN),
            "{collection}"
        );
    }
}

/// The same paths through the dev server, which hands the functions the path decoded as API
/// Gateway does: 404 problems, and nothing read, written or deleted through them.
#[tokio::test]
async fn through_the_dev_server_they_are_404_and_touch_nothing() {
    let api = TestApi::new().await;
    let owner = api.signed_in();
    let (app, feedback, rejection) = seed(&owner).await;
    let children = [
        format!("/applications/{app}/feedback/{feedback}"),
        format!("/applications/{app}/rejections/{rejection}"),
    ];
    for suffix in SUFFIXES {
        let application = format!("/applications/{app}{suffix}");
        owner.get(&application).await.expect_problem(404);
        owner
            .patch(&application)
            .json(json!({"notes": WRITTEN}))
            .await
            .expect_problem(404);
        owner
            .post(&format!("{application}/feedback"))
            .json(json!({"comments": WRITTEN}))
            .await
            .expect_problem(404);
        for child in &children {
            let child = format!("{child}{suffix}");
            owner.get(&child).await.expect_problem(404);
            owner.delete(&child).await.expect_problem(404);
        }
        owner.delete(&application).await.expect_problem(404);
    }
    let application = owner.get(&format!("/applications/{app}")).await.expect(200);
    assert!(!String::from_utf8_lossy(&application.raw).contains(WRITTEN));
    for child in &children {
        owner.get(child).await.expect(200);
    }
    let feedback_list = owner
        .get(&format!("/applications/{app}/feedback"))
        .await
        .expect(200);
    assert_eq!(
        feedback_list.body["items"].as_array().map(Vec::len),
        Some(1)
    );
}

/// Bytes a URI cannot hold, in the query as a client such as curl sends them and API Gateway
/// passes them on (`rawQueryString`): read as if percent-encoded. lambda_http builds the
/// request's URI from the query as it is and would panic, ending the process (API Gateway's
/// bare 500).
#[tokio::test]
async fn characters_a_uri_cannot_hold_in_a_query_are_read_as_if_encoded() {
    let api = TestApi::new().await;
    let owner = api.signed_in();
    let company = "\"Quoted\" <Angled> Co";
    owner
        .create_application(json!({"company": company, "role": "Engineer"}))
        .await;
    owner
        .create_application(json!({"company": "Plain Co", "role": "Engineer"}))
        .await;
    let mut search = event(owner.sub(), "GET", "/applications", &[], Form::Encoded);
    search["rawQueryString"] = json!("q=\"Quoted\" <Angled>\t&limit=5");
    let (status, _, body) = invoke(&api, "/applications", &search).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let companies: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["company"].as_str())
        .collect();
    assert_eq!(companies, [company], "the search read the query whole");

    // A route that takes no query: the usual 400, from the function.
    let mut health = event(owner.sub(), "GET", "/health", &[], Form::Encoded);
    health["rawQueryString"] = json!("x=\"<>\"#y");
    let (status, content_type, body) = invoke(&api, "/health", &health).await;
    assert_eq!(
        (status, content_type.as_str()),
        (400, "application/problem+json"),
        "{body}"
    );
}
