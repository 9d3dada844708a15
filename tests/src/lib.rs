//! The integration-test harness: a DynamoDB Local started once per test binary (in memory, on
//! a free port, stopped when the binary exits), a fresh table per test, and a client that
//! sends requests through the dev server's gateway into the functions' own routers — the
//! API Gateway v2 event path the Lambdas run.

use std::net::TcpListener;
use std::path::PathBuf;
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
use store::Config;
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub const TEST_JWT_SECRET: &str = "integration-test-secret";

static DYNAMODB_LOCAL: OnceCell<String> = OnceCell::const_new();

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// `scripts/dynamodb-local.sh`, the one place that knows how to run DynamoDB Local.
fn dynamodb_local_script() -> PathBuf {
    let script = workspace_root().join("scripts/dynamodb-local.sh");
    let check = Command::new(&script)
        .arg("--check")
        .output()
        .expect("scripts/dynamodb-local.sh runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr).trim()
    );
    script
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// The endpoint of this test binary's DynamoDB Local, started on first use.
pub async fn dynamodb_local() -> &'static str {
    DYNAMODB_LOCAL
        .get_or_init(|| async {
            if let Ok(endpoint) = std::env::var("TEST_DYNAMODB_ENDPOINT") {
                return endpoint;
            }
            let script = dynamodb_local_script();
            let port = free_port();
            // The shell waits on its stdin, which this process holds open until it exits: then
            // `read` returns and the shell stops Java. No DynamoDB Local outlives the tests.
            let script = format!(
                "'{script}' --port {port} --in-memory >/dev/null 2>&1 & pid=$!; read _; kill $pid",
                script = script.display(),
            );
            let child = Command::new("sh")
                .arg("-c")
                .arg(script)
                .stdin(Stdio::piped())
                .spawn()
                .expect("sh starts");
            // Never waited on: it must live (holding the pipe) until this process exits.
            std::mem::forget(child);
            let endpoint = format!("http://127.0.0.1:{port}");
            let client = client_for(&endpoint).await;
            for _ in 0..300 {
                if client.list_tables().send().await.is_ok() {
                    return endpoint;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!(
                "DynamoDB Local did not answer on {endpoint} within 30 s (is Java 17 installed?)"
            );
        })
        .await
}

fn config_for(endpoint: &str, table: &str) -> Config {
    let table = table.to_owned();
    let endpoint = endpoint.to_owned();
    Config::from_lookup(move |name| match name {
        "TABLE_NAME" => Some(table.clone()),
        "AWS_ENDPOINT_URL_DYNAMODB" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("complete test configuration")
}

fn cursors() -> api::cursor::CursorKey {
    api::cursor::CursorKey::new(b"test-cursor-secret")
}

async fn client_for(endpoint: &str) -> Client {
    config_for(endpoint, "unused").dynamodb_client().await
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
        let endpoint = dynamodb_local().await;
        let table = format!("test-{}", Id::generate());
        let config = config_for(endpoint, &table);
        let state = ApiState::from_config(&config, cursors()).await;
        store::table::create_if_missing(state.store.client(), &table)
            .await
            .expect("test table created");
        Self::over(state, table)
    }

    fn over(state: ApiState, table: String) -> Self {
        Self {
            app: dev_server::app(state.clone(), TEST_JWT_SECRET),
            client: state.store.client().clone(),
            state,
            table,
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
            cursors: cursors(),
        };
        Self {
            app: dev_server::app(state.clone(), TEST_JWT_SECRET),
            state,
            ..api
        }
    }

    /// The API with its database at a closed port: every call fails to connect.
    pub async fn with_unreachable_database() -> Self {
        let endpoint = format!("http://127.0.0.1:{}", free_port());
        let state = ApiState::from_config(&config_for(&endpoint, "unreachable"), cursors()).await;
        Self::over(state, "unreachable".to_owned())
    }

    /// The API against a DynamoDB Local that has no such table.
    pub async fn with_missing_table() -> Self {
        let table = format!("missing-{}", Id::generate());
        let state =
            ApiState::from_config(&config_for(dynamodb_local().await, &table), cursors()).await;
        Self::over(state, table)
    }

    pub fn user(&self) -> User {
        let sub = format!("user-{}", Id::generate());
        User {
            token: dev_server::mint_token(TEST_JWT_SECRET, &sub, 3600),
            sub,
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

/// One request being built.
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
