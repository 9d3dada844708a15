//! A minimal Lambda Runtime API (the part a custom runtime uses) and a function process run
//! against it, as Lambda runs `bootstrap`: cold start, warm invocations, and peak memory.
//!
//! Served: `GET /2018-06-01/runtime/invocation/next` (with the `Lambda-Runtime-Aws-Request-Id`,
//! `Lambda-Runtime-Deadline-Ms`, `Lambda-Runtime-Invoked-Function-Arn` and
//! `Lambda-Runtime-Trace-Id` headers), `POST …/invocation/{id}/response`,
//! `POST …/invocation/{id}/error` and `POST /2018-06-01/runtime/init/error`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc};

/// Every invocation must answer within this; a hung function is an error, not a figure.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the function posted back.
#[derive(Debug)]
pub enum Outcome {
    Response { at: Instant, body: Bytes },
    Error { body: Bytes },
    InitError { body: Bytes },
}

struct Session {
    function_name: String,
    next_calls: mpsc::UnboundedSender<Instant>,
    events: Mutex<mpsc::UnboundedReceiver<String>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
    request_ids: AtomicU64,
}

/// One Runtime API endpoint, for one function process.
pub struct RuntimeApi {
    pub address: String,
    events: mpsc::UnboundedSender<String>,
    next_calls: mpsc::UnboundedReceiver<Instant>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next_invocation(State(session): State<Arc<Session>>) -> Response {
    let _ = session.next_calls.send(Instant::now());
    // One poller at a time, as in Lambda; it waits here until an event is queued.
    let event = session.events.lock().await.recv().await;
    let Some(event) = event else {
        return StatusCode::GONE.into_response();
    };
    let id = session.request_ids.fetch_add(1, Ordering::Relaxed);
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 10_000;
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("lambda-runtime-aws-request-id", format!("bench-{id:08}")),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            format!(
                "arn:aws:lambda:us-east-1:000000000000:function:{}",
                session.function_name
            ),
        ),
        (
            "lambda-runtime-trace-id",
            format!("Root=1-00000000-{id:024x};Sampled=0"),
        ),
    ];
    let mut response = event.into_response();
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

async fn invocation_response(State(session): State<Arc<Session>>, body: Bytes) -> StatusCode {
    let _ = session.outcomes.send(Outcome::Response {
        at: Instant::now(),
        body,
    });
    StatusCode::ACCEPTED
}

async fn invocation_error(State(session): State<Arc<Session>>, body: Bytes) -> StatusCode {
    let _ = session.outcomes.send(Outcome::Error { body });
    StatusCode::ACCEPTED
}

async fn init_error(
    State(session): State<Arc<Session>>,
    _headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let _ = session.outcomes.send(Outcome::InitError { body });
    StatusCode::ACCEPTED
}

impl RuntimeApi {
    pub async fn start(function_name: &str) -> Result<Self, String> {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (next_tx, next_rx) = mpsc::unbounded_channel();
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel();
        let session = Arc::new(Session {
            function_name: function_name.to_owned(),
            next_calls: next_tx,
            events: Mutex::new(events_rx),
            outcomes: outcomes_tx,
            request_ids: AtomicU64::new(1),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(session);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("runtime API bind: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| e.to_string())?
            .to_string();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            events: events_tx,
            next_calls: next_rx,
            outcomes: outcomes_rx,
            server,
        })
    }

    /// Queues an event: the pending (or next) `GET /next` returns it.
    pub fn queue(&self, event: String) {
        let _ = self.events.send(event);
    }
}

/// The environment Lambda gives a `provided.al2023` function (plus the table settings the
/// template sets, pointed at DynamoDB Local).
pub fn lambda_env(
    function: &str,
    runtime_api: &str,
    table: &str,
    endpoint: &str,
    task_root: &Path,
) -> Vec<(String, String)> {
    let name = format!("feedback-tracker-{function}");
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]00000000000000000000000000000000".to_owned(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "ASIABENCHBENCHBENCH00".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "bench-secret-access-key".to_owned(),
        ),
        ("AWS_SESSION_TOKEN", "bench-session-token".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ("TABLE_NAME", table.to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.to_owned()),
        ("CURSOR_SECRET", testkit::CURSOR_SECRET.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A function process and the Runtime API it talks to.
pub struct FunctionProcess {
    pub api: RuntimeApi,
    pub child: Child,
    pub pid: u32,
    /// When `exec` was called.
    pub spawned_at: Instant,
    pub function: String,
    log: PathBuf,
}

/// Times of one invocation, from the harness's clock.
#[derive(Debug, Clone, Copy)]
pub struct ColdStart {
    /// exec → first `GET /next`.
    pub init: Duration,
    /// exec → the response posted back.
    pub total: Duration,
    pub first_next_at: Instant,
}

impl FunctionProcess {
    /// Starts `binary` with Lambda's environment; `event` is already queued, as it is when
    /// Lambda cold-starts a function for a request.
    pub async fn spawn(
        binary: &Path,
        function: &str,
        env: impl Fn(&str) -> Vec<(String, String)>,
        event: String,
        log: PathBuf,
    ) -> Result<Self, String> {
        let api = RuntimeApi::start(&format!("feedback-tracker-{function}")).await?;
        api.queue(event);
        let log_file = std::fs::File::create(&log)
            .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(env(&api.address))
            .current_dir(binary.parent().unwrap_or(Path::new(".")))
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .kill_on_drop(true);
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id().unwrap_or_default();
        Ok(Self {
            api,
            child,
            pid,
            spawned_at,
            function: function.to_owned(),
            log,
        })
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{}: {what}; last log lines ({}):\n{}",
            self.function,
            self.log.display(),
            self.log_tail()
        )
    }

    /// Waits for the first `GET /next` and the first response: the cold start.
    pub async fn cold_start(&mut self) -> Result<(ColdStart, Bytes), String> {
        let first_next = tokio::select! {
            next = tokio::time::timeout(INVOKE_TIMEOUT, self.api.next_calls.recv()) => next,
            status = self.child.wait() => {
                return Err(self.failure(&format!("exited before asking for an event ({status:?})")));
            }
        };
        let first_next_at = match first_next {
            Ok(Some(at)) => at,
            _ => return Err(self.failure("never asked for an event")),
        };
        let (at, body) = self.outcome().await?;
        Ok((
            ColdStart {
                init: first_next_at - self.spawned_at,
                total: at - self.spawned_at,
                first_next_at,
            },
            body,
        ))
    }

    async fn outcome(&mut self) -> Result<(Instant, Bytes), String> {
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(INVOKE_TIMEOUT, self.api.outcomes.recv()) => outcome,
            status = self.child.wait() => {
                return Err(self.failure(&format!("exited during an invocation ({status:?})")));
            }
        };
        match outcome {
            Ok(Some(Outcome::Response { at, body })) => Ok((at, body)),
            Ok(Some(Outcome::Error { body, .. })) => Err(self.failure(&format!(
                "reported an invocation error: {}",
                String::from_utf8_lossy(&body)
            ))),
            Ok(Some(Outcome::InitError { body })) => Err(self.failure(&format!(
                "reported an init error: {}",
                String::from_utf8_lossy(&body)
            ))),
            _ => Err(self.failure("did not answer within 10 s")),
        }
    }

    /// One warm invocation: queue the event while the function waits in `GET /next`, until
    /// its response arrives.
    pub async fn invoke(&mut self, event: String) -> Result<(Duration, Bytes), String> {
        let queued = Instant::now();
        self.api.queue(event);
        let (at, body) = self.outcome().await?;
        Ok((at - queued, body))
    }

    /// Peak and current resident memory (`VmHWM`, `VmRSS`) in KiB, from /proc.
    pub fn memory_kib(&self) -> Result<(u64, u64), String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| format!("cannot read /proc/{}/status: {e}", self.pid))?;
        let field = |name: &str| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
                .ok_or_else(|| format!("no {name} in /proc/{}/status", self.pid))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// The status code of an API Gateway v2 response the function posted back.
pub fn status_of(body: &[u8]) -> Option<u16> {
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get("statusCode")?
        .as_u64()
        .map(|code| code as u16)
}
