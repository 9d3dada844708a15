//! The one test harness, for the integration tests and the benchmarks (bench/): a DynamoDB
//! Local started once per process (in memory, on a free port, stopped when the process exits),
//! a fresh table per test, tokens, and a client that sends requests through the dev server's
//! gateway into the functions' own routers — the API Gateway v2 event path the Lambdas run.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use api::ApiState;
use aws_sdk_dynamodb::Client;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, header};
use domain::Id;
use http_body_util::BodyExt;
use serde_json::Value;
use store::{Config, Store};
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub mod template;

/// The secret the harness's tokens are signed with (the dev server's `LOCAL_JWT_SECRET`).
pub const TEST_JWT_SECRET: &str = "integration-test-secret";
/// The key cursors are sealed with (the functions' `CURSOR_SECRET`: 32+ bytes, as a function in
/// Lambda demands).
pub const CURSOR_SECRET: &str = "test-cursor-secret-test-cursor-secret";

/// The time a test gives a sweep it expects to finish: one call's worth of the patient client
/// (90 s). The budget running out is tested with zero; a loaded DynamoDB Local has stalled a
/// single call for over 10 s, so a shorter budget is a race with the machine, not a check.
pub const SWEEP_TIME: Duration = Duration::from_secs(90);

/// The DynamoDB Local this process talks to.
#[derive(Debug)]
pub struct DynamoDbLocal {
    pub endpoint: String,
    /// Java's pid, to read its CPU time; `None` when `TEST_DYNAMODB_ENDPOINT` named the endpoint.
    pub java_pid: Option<u32>,
    /// The release (the jar's folder), or `external`.
    pub version: String,
}

static DYNAMODB_LOCAL: OnceCell<DynamoDbLocal> = OnceCell::const_new();

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// `scripts/dynamodb-local.sh`, the one place that knows how to run DynamoDB Local, and the
/// jar it runs (it explains what is missing when Java or the jar is not there).
fn dynamodb_local_script() -> (PathBuf, PathBuf) {
    let script = workspace_root().join("scripts/dynamodb-local.sh");
    let jar = Command::new(&script)
        .arg("--jar")
        .output()
        .expect("scripts/dynamodb-local.sh runs");
    assert!(
        jar.status.success(),
        "{}",
        String::from_utf8_lossy(&jar.stderr).trim()
    );
    let jar = PathBuf::from(String::from_utf8_lossy(&jar.stdout).trim());
    (script, jar)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// This process's DynamoDB Local, started on first use (or the one `TEST_DYNAMODB_ENDPOINT`
/// names).
pub async fn dynamodb_local() -> &'static DynamoDbLocal {
    DYNAMODB_LOCAL
        .get_or_init(|| async {
            if let Ok(endpoint) = std::env::var("TEST_DYNAMODB_ENDPOINT") {
                return DynamoDbLocal {
                    endpoint,
                    java_pid: None,
                    version: "external".to_owned(),
                };
            }
            let local = start_dynamodb_local();
            let client = client_for(&local.endpoint).await;
            for _ in 0..300 {
                if client.list_tables().send().await.is_ok() {
                    return local;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!(
                "DynamoDB Local did not answer on {} within 30 s (is Java 17 installed?)",
                local.endpoint
            );
        })
        .await
}

fn start_dynamodb_local() -> DynamoDbLocal {
    let (script, jar) = dynamodb_local_script();
    let port = free_port();
    // The script `exec`s Java, so `$!` is Java's pid. The shell then waits on its stdin, which
    // this process holds open until it exits: then `read` returns and the shell stops Java.
    // No DynamoDB Local outlives the process.
    let script = format!(
        "'{script}' --port {port} --in-memory >/dev/null 2>&1 & pid=$!; echo $pid; read _; kill $pid",
        script = script.display(),
    );
    let mut shell = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh starts");
    let mut pid = String::new();
    BufReader::new(shell.stdout.take().expect("piped stdout"))
        .read_line(&mut pid)
        .expect("the shell prints Java's pid");
    // Never waited on: it must live (holding the pipe) until this process exits.
    std::mem::forget(shell);
    DynamoDbLocal {
        endpoint: format!("http://127.0.0.1:{port}"),
        java_pid: pid.trim().parse().ok(),
        version: jar
            .parent()
            .and_then(Path::file_name)
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// A client exactly as the functions build it (timeouts, retries, fixed local credentials).
pub async fn client_for(endpoint: &str) -> Client {
    let endpoint = endpoint.to_owned();
    Config::from_lookup(move |name| match name {
        "TABLE_NAME" => Some("unused".to_owned()),
        "AWS_ENDPOINT_URL_DYNAMODB" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("complete test configuration")
    .dynamodb_client()
    .await
}

/// As [`client_for`], with patient timeouts. A loaded machine slows DynamoDB Local past the
/// functions' 0.8 s / 1.8 s, and the tests check behaviour, not latency (the 503 tests reach
/// a closed port or a missing table through [`client_for`]'s client instead).
pub async fn patient_client_for(endpoint: &str) -> Client {
    store::patient(&client_for(endpoint).await)
}

/// What the functions' routers get, for `table` through `client`.
pub fn state_with(client: Client, table: &str) -> ApiState {
    ApiState {
        store: Store::new(client, table.to_owned()),
        cursors: api::cursor::CursorKey::new(CURSOR_SECRET.as_bytes()),
    }
}

/// A new table, `{prefix}-{ulid}`, on this process's DynamoDB Local, and the state for it.
pub async fn fresh_table(prefix: &str) -> ApiState {
    let client = patient_client_for(&dynamodb_local().await.endpoint).await;
    let table = format!("{prefix}-{}", Id::generate());
    store::table::create_if_missing(&client, &table)
        .await
        .expect("table created");
    state_with(client, &table)
}

/// `request`, as lambda_http parsed it from an event, through `function`'s router as its Lambda
/// runs it (its DynamoDB calls held to its grants).
pub async fn invoke(
    function: &api::Function,
    state: &ApiState,
    request: lambda_http::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::from(body.to_vec()));
    function
        .router(confined(state, function.name))
        .oneshot(request)
        .await
        .expect("infallible")
}

/// The dev server's app over `state`, each function's DynamoDB calls held to its grants in
/// `template.yaml` ([`template::Grants`]).
pub fn gateway(state: &ApiState) -> Router {
    let auth = dev_server::LocalAuth::with_secret(TEST_JWT_SECRET).expect("a secret");
    dev_server::app_with(|function| confined(state, function.name), auth)
}

/// `state`, its DynamoDB calls held to the grants of the function of `functions/<folder>`.
pub fn confined(state: &ApiState, folder: &str) -> ApiState {
    let config = state
        .store
        .client()
        .config()
        .to_builder()
        .interceptor(template::Grants::of(folder))
        .build();
    ApiState {
        store: state.store.clone().with_client(Client::from_conf(config)),
        cursors: state.cursors.clone(),
    }
}

/// A token for `sub`, as the dev server (with `LOCAL_JWT_SECRET` = [`TEST_JWT_SECRET`]) accepts.
pub fn token(sub: &str) -> String {
    dev_server::mint_token(TEST_JWT_SECRET, sub, 3600)
}

/// A user of the API: a `sub` and a token for it.
#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub token: String,
}

/// A fresh table and the whole API in front of it.
pub struct TestApi {
    pub app: Router,
    pub state: ApiState,
    pub client: Client,
    pub table: String,
}

impl TestApi {
    pub async fn new() -> Self {
        Self::over(fresh_table("test").await)
    }

    /// The whole API in front of `state`.
    pub fn over(state: ApiState) -> Self {
        // The functions' warnings (why a call answered 503) go to the test's captured output:
        // shown with a failing test's panic, or all with `--nocapture`. `RUST_LOG` sets the level.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_test_writer()
            .try_init();
        Self {
            app: gateway(&state),
            client: state.store.client().clone(),
            table: state.store.table().to_owned(),
            state,
        }
    }

    /// The API over a fresh table, its client passing every request through `interceptor`:
    /// the way to make the database answer what DynamoDB Local never does (a transaction
    /// conflict). `client` stays the plain one.
    pub async fn with_interceptor(
        interceptor: impl aws_sdk_dynamodb::config::Intercept + 'static,
    ) -> Self {
        Self::with_store(|store| {
            let config = store
                .client()
                .config()
                .to_builder()
                .interceptor(interceptor)
                .build();
            store::Store::new(Client::from_conf(config), store.table())
        })
        .await
    }

    /// The API over a fresh table and the store `adjust` makes of the usual one.
    pub async fn with_store(adjust: impl FnOnce(store::Store) -> store::Store) -> Self {
        let api = Self::new().await;
        let state = ApiState {
            store: adjust(api.state.store.clone()),
            cursors: api.state.cursors.clone(),
        };
        Self {
            app: gateway(&state),
            state,
            ..api
        }
    }

    /// The API with its database at a closed port: every call fails to connect.
    pub async fn with_unreachable_database() -> Self {
        let endpoint = format!("http://127.0.0.1:{}", free_port());
        Self::over(state_with(client_for(&endpoint).await, "unreachable"))
    }

    /// The API against a DynamoDB Local that has no such table.
    pub async fn with_missing_table() -> Self {
        let client = client_for(&dynamodb_local().await.endpoint).await;
        let missing = format!("missing-{}", Id::generate());
        Self::over(state_with(client, &missing))
    }

    /// Marks the application `deleting` as a `DELETE` whose time ran out at once does: it reads
    /// as gone, and nothing of it is swept yet (the sweeper's part).
    pub async fn mark_deleting(&self, user: &domain::UserId, id: Id) {
        let swept = self
            .state
            .store
            .delete_application(user, id, &store::Precondition::None, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(swept, store::Sweep::Unfinished);
    }

    pub fn user(&self) -> User {
        let sub = format!("user-{}", Id::generate());
        User {
            token: token(&sub),
            sub,
        }
    }

    /// A new user whose requests carry their token: what most tests act as.
    pub fn signed_in(&self) -> Session<'_> {
        Session {
            api: self,
            user: self.user(),
        }
    }

    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            api: self,
            request: Request::builder().method(method).uri(path),
            body: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Call<'_> {
        self.call(Method::POST, path)
    }
    pub fn put(&self, path: &str) -> Call<'_> {
        self.call(Method::PUT, path)
    }
    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> Call<'_> {
        self.call(Method::DELETE, path)
    }

    /// Every item of the table (a test may `Scan`; request paths never do).
    pub async fn all_items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return items,
            }
        }
    }
}

/// A signed-in user of a [`TestApi`]: every request made through it carries the user's token.
pub struct Session<'a> {
    api: &'a TestApi,
    pub user: User,
}

impl<'a> Session<'a> {
    pub fn sub(&self) -> &str {
        &self.user.sub
    }

    /// The user as the store keys them.
    pub fn id(&self) -> domain::UserId {
        domain::UserId::parse(&self.user.sub).expect("the harness's subs are valid")
    }

    pub fn call(&self, method: Method, path: &str) -> Call<'a> {
        self.api.call(method, path).user(&self.user)
    }

    pub fn get(&self, path: &str) -> Call<'a> {
        self.call(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Call<'a> {
        self.call(Method::POST, path)
    }
    pub fn put(&self, path: &str) -> Call<'a> {
        self.call(Method::PUT, path)
    }
    pub fn patch(&self, path: &str) -> Call<'a> {
        self.call(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> Call<'a> {
        self.call(Method::DELETE, path)
    }

    /// `POST /applications` with `body`, asserting the 201.
    pub async fn create_application(&self, body: Value) -> Reply {
        self.post("/applications").json(body).await.expect(201)
    }

    /// A minimal application (Acme, Dev), for tests of what hangs off one: its id.
    pub async fn new_application(&self) -> String {
        let body = serde_json::json!({"company": "Acme", "role": "Dev"});
        self.create_application(body).await.id()
    }
}

/// One request being built; awaiting it sends it (as [`Call::send`]).
pub struct Call<'a> {
    api: &'a TestApi,
    request: axum::http::request::Builder,
    body: Vec<u8>,
}

impl Call<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.request = self
            .request
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        self
    }

    pub fn user(self, user: &User) -> Self {
        let token = user.token.clone();
        self.token(&token)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = serde_json::to_vec(&body).unwrap();
        self.header("content-type", "application/json")
    }

    pub fn raw_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// `body` sent as it is, declared as `content_type`.
    pub fn typed_body(self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.header("content-type", content_type).raw_body(body)
    }

    pub fn if_match(self, etag: &str) -> Self {
        self.header("if-match", etag)
    }

    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("idempotency-key", key)
    }

    pub async fn send(self) -> Reply {
        let request = self
            .request
            .body(Body::from(self.body))
            .expect("valid test request");
        let response = self
            .api
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }
}

impl<'a> std::future::IntoFuture for Call<'a> {
    type Output = Reply;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// `field` of every element of the array `list`, as text: the statuses of a history, the
/// fields of a 422, the ids of a page.
#[track_caller]
pub fn field_of_each<'v>(list: &'v Value, field: &str) -> Vec<&'v str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|element| {
            element[field]
                .as_str()
                .unwrap_or_else(|| panic!("no text {field} in {element}"))
        })
        .collect()
}

/// A response, its body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.raw)
        );
        self
    }

    /// Asserts a problem+json answer with this status.
    #[track_caller]
    pub fn expect_problem(self, status: u16) -> Self {
        let reply = self.expect(status);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(reply.body["status"], status);
        reply
    }

    /// The fields a 422 names, in order.
    #[track_caller]
    pub fn invalid_fields(&self) -> Vec<String> {
        assert_eq!(
            self.status,
            422,
            "body: {}",
            String::from_utf8_lossy(&self.raw)
        );
        self.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}
