//! Every file in `events/` is an API Gateway HTTP API (payload v2) event, replayed through the
//! Lambda entry the functions run: `lambda_http` turns the JSON into a request (as the runtime
//! does), and the router of the function whose routes match the event's `rawPath` answers it,
//! against DynamoDB Local. The files are what `cargo lambda invoke --data-file` and
//! `sam local invoke -e` are given, so a file that drifts from the API fails here first.

use std::collections::BTreeSet;
use std::path::PathBuf;

use api::identity::sub_claim;
use domain::UserId;
use domain::{Application, ChildResource, Feedback, Id, Rejection, Timestamp};
use http_body_util::BodyExt;
use lambda_http::request::RequestContext;
use serde_json::{Value, json};
use store::WriteOutcome;
use testkit::TestApi;

/// The application, feedback and rejection the events address, owned by the events' `sub`.
const USER: &str = "demo-user";
const APPLICATION: &str = "01JDQ6ZK3V9V6M1T4WZ8X2Y3AB";
const FEEDBACK: &str = "01JDQ70000000000000000FB01";
const REJECTION: &str = "01JDQ70000000000000000RJ01";

/// Every event file, in replay order (deletes last, the application's after its children's),
/// with the status it must get.
const EXPECTED: &[(&str, u16)] = &[
    ("health-health", 200),
    ("health-db-check", 200),
    ("health-openapi", 200),
    ("health-docs", 200),
    ("applications-create", 201),
    ("applications-list", 200),
    // Its query holds `"`, `<` and `>` as curl sends them (a URI cannot hold them as they are).
    ("applications-search", 200),
    ("applications-get", 200),
    ("feedback-create", 201),
    ("feedback-list", 200),
    ("feedback-get", 200),
    ("feedback-put", 200),
    ("feedback-patch", 200),
    ("rejections-create", 201),
    ("rejections-list", 200),
    ("rejections-get", 200),
    ("rejections-put", 200),
    ("rejections-patch", 200),
    ("applications-put", 200),
    ("applications-patch", 200),
    ("transfer-export", 200),
    ("transfer-import-create", 200),
    ("analytics-summary", 200),
    ("analytics-rejections", 200),
    ("analytics-skills", 200),
    ("analytics-follow-ups", 200),
    ("analytics-create", 201),
    ("analytics-feed", 200),
    ("analytics-delete", 204),
    ("calendar-get", 404),
    ("feedback-delete", 204),
    ("rejections-delete", 204),
    ("applications-delete", 204),
];

/// The deployed functions, from the one list the dev server routes by.
use api::Function;
use dev_server::{FUNCTIONS, match_route};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .join("events")
}

/// The one function (and its route template) that API Gateway sends this path to.
fn route(path: &str) -> (&'static Function, String, Vec<(String, String)>) {
    let matches: Vec<_> = FUNCTIONS
        .iter()
        .flat_map(|function| {
            function.routes().into_iter().filter_map(move |template| {
                match_route(&template, path).map(|params| (function, template, params))
            })
        })
        .collect();
    assert_eq!(
        matches.len(),
        1,
        "{path} must match exactly one route of one function, matched {:?}",
        matches
            .iter()
            .map(|(f, t, _)| format!("{}: {t}", f.name))
            .collect::<Vec<_>>()
    );
    matches.into_iter().next().unwrap()
}

#[test]
fn each_path_goes_to_one_function() {
    assert_eq!(route("/applications/X/feedback/Y").0.name, "feedback");
    assert_eq!(route("/applications/X").0.name, "applications");
    assert_eq!(route("/docs/index.css").0.name, "health");
}

/// The application, its feedback and its rejection with the ids the event files use.
async fn seed(api: &TestApi) {
    let user = UserId::parse(USER).unwrap();
    let application_id: Id = APPLICATION.parse().unwrap();
    let now = Timestamp::now();
    let application = Application::parse_new(
        json!({
            "company": "Globex", "role": "Platform Engineer", "tags": ["rust"]
        }),
        application_id,
        now,
    )
    .unwrap();
    let written = api
        .state
        .store
        .create_application(&user, &application, None)
        .await
        .unwrap();
    assert!(matches!(written, WriteOutcome::Written));

    let feedback = Feedback::parse_new(
        json!({"stage": "phone_screen", "rating": 3, "comments": "friendly"}),
        FEEDBACK.parse().unwrap(),
        application_id,
        now,
    )
    .unwrap();
    seed_child(api, &user, application_id, &feedback).await;
    let rejection = Rejection::parse_new(
        json!({"category": "no_feedback"}),
        REJECTION.parse().unwrap(),
        application_id,
        now,
    )
    .unwrap();
    seed_child(api, &user, application_id, &rejection).await;
}

async fn seed_child<T: ChildResource>(api: &TestApi, user: &UserId, application: Id, child: &T) {
    let written = api
        .state
        .store
        .create_child(user, application, child, &store::Precondition::None, None)
        .await
        .unwrap();
    assert!(matches!(written, WriteOutcome::Written));
}

/// The event file, checked for what API Gateway would have sent for its path.
fn read_event(name: &str) -> (String, &'static Function) {
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("events/{name}.json is missing or unreadable: {error}"));
    let event: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("events/{name}.json is not JSON: {error}"));
    assert_eq!(
        event["version"], "2.0",
        "{name}: an HTTP API payload v2 event"
    );
    let raw_path = event["rawPath"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: rawPath"));
    let (function, template, params) = route(raw_path);
    assert!(
        name.starts_with(&format!("{}-", function.name)),
        "{name}: {raw_path} is served by the {} function",
        function.name
    );
    let route_key = format!("ANY {template}");
    assert_eq!(event["routeKey"], route_key.as_str(), "{name}: routeKey");
    let context = &event["requestContext"];
    assert_eq!(context["routeKey"], route_key.as_str(), "{name}");
    assert_eq!(context["stage"], "$default", "{name}");
    assert_eq!(context["http"]["path"], raw_path, "{name}");
    let method = match name.rsplit('-').next() {
        Some("create") => "POST",
        Some("put") => "PUT",
        Some("patch") => "PATCH",
        Some("delete") => "DELETE",
        _ => "GET",
    };
    assert_eq!(
        context["http"]["method"], method,
        "{name}: the method its name says"
    );
    let expected_params: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let given_params = event
        .get("pathParameters")
        .cloned()
        .unwrap_or_else(|| json!({}));
    assert_eq!(
        given_params,
        Value::Object(expected_params),
        "{name}: pathParameters"
    );
    assert!(
        event["headers"]["host"].is_string(),
        "{name}: a host header"
    );
    (text, function)
}

#[tokio::test]
async fn every_event_file_gets_its_status_from_its_function() {
    // `sweeper-*` files are DynamoDB Streams events for the sweeper (tests/integration/cascade.rs).
    let on_disk: BTreeSet<String> = std::fs::read_dir(events_dir())
        .expect("events/ at the workspace root")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("sweeper-"))
        .collect();
    let listed: BTreeSet<String> = EXPECTED
        .iter()
        .map(|(name, _)| format!("{name}.json"))
        .collect();
    assert_eq!(
        on_disk, listed,
        "events/ holds exactly the files this test replays"
    );
    // Every file is read and checked before anything is sent.
    let events: Vec<_> = EXPECTED
        .iter()
        .map(|(name, status)| {
            let (text, function) = read_event(name);
            (*name, *status, text, function)
        })
        .collect();
    let covered: BTreeSet<&str> = events.iter().map(|(_, _, _, f)| f.name).collect();
    assert_eq!(
        covered.len(),
        FUNCTIONS.len(),
        "every function has an event"
    );

    let api = TestApi::new().await;
    seed(&api).await;
    for (name, status, text, function) in events {
        let request = api::function::request_of_event(&text)
            .unwrap_or_else(|error| panic!("events/{name}.json is not an HTTP API event: {error}"));

        let claims = request
            .extensions()
            .get::<RequestContext>()
            .and_then(sub_claim);
        if function.public {
            assert_eq!(claims, None, "{name}: a public route carries no authorizer");
        } else {
            assert_eq!(claims, Some(USER), "{name}: the caller is {USER}");
        }

        let response = testkit::invoke(function, &api.state, request).await;
        let got = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            got,
            status,
            "events/{name}.json through the {} function; body: {}",
            function.name,
            String::from_utf8_lossy(&body)
        );
    }
}
