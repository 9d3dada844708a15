//! DynamoDB Local for the run (in memory, on a free port, stopped with the harness), the
//! clients that reach it, the seed data the events address, and a counting TCP proxy.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::ApiState;
use aws_sdk_dynamodb::Client;
use domain::UserId;
use domain::{ChildResource, Feedback, Id, NewApplication, Rejection, Timestamp};
use serde_json::Value;
use store::{Config, Store};
use tokio::net::{TcpListener, TcpStream};

pub const CURSOR_SECRET: &str = "bench-cursor-secret-bench-cursor-secret";

pub fn free_port() -> Result<u16, String> {
    StdListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// A running DynamoDB Local. Dropping it closes the pipe its shell waits on, which stops Java;
/// if the harness dies instead, the pipe closes all the same.
pub struct DynamoLocal {
    pub endpoint: String,
    pub port: u16,
    /// Java's pid, to read its CPU time.
    pub java_pid: u32,
    pub version: String,
    shell: Child,
    stdin: Option<ChildStdin>,
}

impl Drop for DynamoLocal {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.shell.wait();
    }
}

/// `scripts/dynamodb-local.sh`, the one place that knows how to run DynamoDB Local, and the
/// jar it runs (whose folder names the release).
fn script_and_jar(root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let script = root.join("scripts/dynamodb-local.sh");
    let output = Command::new(&script)
        .arg("--jar")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    let jar = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    Ok((script, jar))
}

pub async fn start(root: &Path) -> Result<DynamoLocal, String> {
    let (script, jar) = script_and_jar(root)?;
    let version = jar
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let port = free_port()?;
    // The script `exec`s Java, so `$!` is Java's pid; the shell stops it when stdin closes.
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
        .map_err(|e| format!("cannot start sh: {e}"))?;
    let stdin = shell.stdin.take();
    let mut line = String::new();
    if let Some(stdout) = shell.stdout.take() {
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("no pid from DynamoDB Local's shell: {e}"))?;
    }
    let java_pid = line
        .trim()
        .parse()
        .map_err(|_| format!("DynamoDB Local's shell printed {line:?}, not a pid"))?;
    let local = DynamoLocal {
        endpoint: format!("http://127.0.0.1:{port}"),
        port,
        java_pid,
        version,
        shell,
        stdin,
    };
    let client = client(&local.endpoint).await;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if client.list_tables().send().await.is_ok() {
            return Ok(local);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "DynamoDB Local did not answer on {} within 30 s (is Java 17 installed?)",
        local.endpoint
    ))
}

/// The configuration the functions read, for this endpoint and table.
pub fn config(endpoint: &str, table: &str) -> Config {
    let (endpoint, table) = (endpoint.to_owned(), table.to_owned());
    Config::from_lookup(move |name| match name {
        "TABLE_NAME" => Some(table.clone()),
        "AWS_ENDPOINT_URL_DYNAMODB" => Some(endpoint.clone()),
        "CURSOR_SECRET" => Some(CURSOR_SECRET.to_owned()),
        "AWS_REGION" => Some("us-east-1".to_owned()),
        _ => None,
    })
    .expect("TABLE_NAME is set")
}

/// A client exactly as the functions build it (timeouts, retries, fixed local credentials).
pub async fn client(endpoint: &str) -> Client {
    config(endpoint, "unused").dynamodb_client().await
}

pub async fn create_table(client: &Client, table: &str) -> Result<(), String> {
    store::table::create_if_missing(client, table)
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot create table {table}: {e}"))
}

/// The ids a path names: `/applications/{app}/…/{child}`.
pub fn ids_in_path(path: &str) -> (Option<Id>, Option<Id>) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let app = segments.get(1).and_then(|s| s.parse().ok());
    let child = segments.get(3).and_then(|s| s.parse().ok());
    (app, child)
}

/// What a user's slice of the table holds before a benchmark runs.
#[derive(Debug, Clone, Default)]
pub struct Seed {
    /// The application the events name.
    pub app: Option<Id>,
    pub feedback: Option<Id>,
    pub rejection: Option<Id>,
    /// More applications (for lists).
    pub extra_apps: usize,
    /// More feedback under `app` (for lists).
    pub extra_feedback: usize,
}

/// Request bodies the seed items are made from (the create events' bodies).
#[derive(Debug, Clone)]
pub struct SeedBodies {
    pub application: Value,
    pub feedback: Value,
    pub rejection: Value,
}

pub async fn seed(
    store: &Store,
    bodies: &SeedBodies,
    sub: &str,
    seed: &Seed,
) -> Result<(), String> {
    let user = UserId::parse(sub).ok_or("bad seed user")?;
    let fail = |what: &str| format!("seeding {what} for {sub} failed");
    let new_app = |id: Id| -> Result<_, String> {
        Ok(NewApplication::parse(bodies.application.clone())
            .map_err(|_| fail("an application (body rejected)"))?
            .into_application(id, Timestamp::now()))
    };
    for _ in 0..seed.extra_apps {
        store
            .create_application(&user, &new_app(Id::generate())?, None)
            .await
            .map_err(|_| fail("an application"))?;
    }
    let Some(app) = seed.app else {
        return Ok(());
    };
    store
        .create_application(&user, &new_app(app)?, None)
        .await
        .map_err(|_| fail("the application"))?;
    let mut feedback_ids: Vec<Id> = (0..seed.extra_feedback).map(|_| Id::generate()).collect();
    feedback_ids.extend(seed.feedback);
    for id in feedback_ids {
        let child = Feedback::parse_new(bodies.feedback.clone(), id, app, Timestamp::now())
            .map_err(|_| fail("feedback (body rejected)"))?;
        store
            .create_child(&user, app, &child, None)
            .await
            .map_err(|_| fail("feedback"))?;
    }
    if let Some(id) = seed.rejection {
        let child = Rejection::parse_new(bodies.rejection.clone(), id, app, Timestamp::now())
            .map_err(|_| fail("a rejection (body rejected)"))?;
        store
            .create_child(&user, app, &child, None)
            .await
            .map_err(|_| fail("a rejection"))?;
    }
    Ok(())
}

/// The state a function's router gets, on `client`.
pub fn state_with(client: Client, table: &str) -> ApiState {
    ApiState {
        store: Store::new(client, table.to_owned()),
        cursors: api::cursor::CursorKey::new(b"bench-cursor-secret"),
    }
}

/// A TCP proxy in front of DynamoDB Local that notes when each connection is opened: it shows
/// whether a function talks to the database before it asks for its first event.
pub struct CountingProxy {
    pub endpoint: String,
    accepted: Arc<Mutex<Vec<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CountingProxy {
    pub async fn start(upstream_port: u16) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("proxy bind: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let log = accepted.clone();
        let upstream = SocketAddr::from(([127, 0, 0, 1], upstream_port));
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                log.lock().expect("proxy log").push(Instant::now());
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = inbound.set_nodelay(true);
                        let _ = outbound.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Ok(Self {
            endpoint: format!("http://{address}"),
            accepted,
            task,
        })
    }

    /// Connections opened since the last call.
    pub fn take(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.accepted.lock().expect("proxy log"))
    }
}
