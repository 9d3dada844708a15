//! Throughput through the dev server (the release binary): a bounded closed loop of keep-alive
//! HTTP/1.1 connections on 127.0.0.1 for a fixed time, each its own user, sending a mix of
//! create / get / list / update. Reports requests/s, latency, errors, and the CPU time the
//! server process (and DynamoDB Local) spent per request, from /proc/<pid>/stat.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

use crate::Bench;
use crate::stats::{self, Summary};

/// The operations, in the order each connection cycles through them:
/// 40 % get, 20 % list, 20 % update, 20 % create.
const MIX: [Op; 10] = [
    Op::Get,
    Op::List,
    Op::Get,
    Op::Update,
    Op::Create,
    Op::Get,
    Op::List,
    Op::Update,
    Op::Get,
    Op::Create,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Get,
    List,
    Update,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Get => "get",
            Op::List => "list",
            Op::Update => "update",
        }
    }
}

pub struct LoadResult {
    pub connections: usize,
    pub seconds: f64,
    pub requests: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub latency: Summary,
    pub per_op: Vec<(&'static str, Summary)>,
    pub server_cpu_seconds: f64,
    pub dynamodb_cpu_seconds: f64,
    pub server_peak_rss_kib: u64,
}

impl LoadResult {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    pub fn server_cpu_ms_per_request(&self) -> f64 {
        self.server_cpu_seconds * 1000.0 / self.requests.max(1) as f64
    }

    pub fn dynamodb_cpu_ms_per_request(&self) -> f64 {
        self.dynamodb_cpu_seconds * 1000.0 / self.requests.max(1) as f64
    }

    pub fn to_json(&self) -> Value {
        json!({
            "connections": self.connections,
            "seconds": self.seconds,
            "mix": "40% get, 20% list (limit 10), 20% update (PATCH notes), 20% create",
            "requests": self.requests,
            "requests_per_second": stats::round3(self.rps()),
            "errors": self.errors,
            "first_error": self.first_error,
            "latency": self.latency.to_json(),
            "per_operation": self.per_op.iter().map(|(op, s)| (op.to_string(), s.to_json())).collect::<serde_json::Map<_, _>>(),
            "server_cpu_seconds": stats::round3(self.server_cpu_seconds),
            "server_cpu_ms_per_request": stats::round3(self.server_cpu_ms_per_request()),
            "dynamodb_local_cpu_ms_per_request": stats::round3(self.dynamodb_cpu_ms_per_request()),
            "server_peak_rss_kib": self.server_peak_rss_kib,
        })
    }
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32, ticks_per_second: f64) -> Result<f64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // The command name is in parentheses and may hold spaces: count fields after it.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the line are the 12th and 13th after the name.
    let ticks = |i: usize| -> Result<f64, String> {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| format!("/proc/{pid}/stat has no field {}", i + 3))
    };
    Ok((ticks(11)? + ticks(12)?) / ticks_per_second)
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// A keep-alive HTTP/1.1 connection that reads `Content-Length` framed responses.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    token: String,
    /// `127.0.0.1:<port>`: the dev server answers only requests addressed to itself.
    host: String,
}

impl Connection {
    async fn open(port: u16, token: String) -> Result<Self, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(16 * 1024),
            token,
            host: format!("127.0.0.1:{port}"),
        })
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<(&str, &str)>,
    ) -> Result<(u16, Vec<u8>), String> {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n",
            self.host, self.token
        );
        if let Some((media, body)) = body {
            request.push_str(&format!(
                "content-type: {media}\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            request.push_str("\r\n");
        }
        self.stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<(u16, Vec<u8>), String> {
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                let status: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("bad status line: {head}"))?;
                let length = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())
                            .flatten()
                    })
                    .or((status == 204 || status == 304).then_some(0))
                    .ok_or_else(|| format!("no content-length in: {head}"))?;
                while self.buffer.len() < end + 4 + length {
                    self.fill().await?;
                }
                let body = self.buffer[end + 4..end + 4 + length].to_vec();
                self.buffer.drain(..end + 4 + length);
                return Ok((status, body));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed by the server".to_owned());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A running dev server, killed on drop.
struct DevServer {
    child: tokio::process::Child,
    pid: u32,
    port: u16,
}

async fn start_dev_server(bench: &Bench, binary: &Path, table: &str) -> Result<DevServer, String> {
    let port = testkit::free_port();
    let log = bench.out_dir.join("logs/dev-server.log");
    let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let file_err = file.try_clone().map_err(|e| e.to_string())?;
    let child = Command::new(binary)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("PORT", port.to_string())
        .env("TABLE_NAME", table)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &bench.dynamodb.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("CURSOR_SECRET", testkit::CURSOR_SECRET)
        .env("LOCAL_JWT_SECRET", testkit::TEST_JWT_SECRET)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(file_err)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let pid = child.id().unwrap_or_default();
    let mut server = DevServer { child, pid, port };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!(
                "the dev server exited ({status}); see {}",
                log.display()
            ));
        }
        if let Ok(mut connection) = Connection::open(port, String::new()).await
            && let Ok((200, _)) = connection.send("GET", "/health", None).await
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the dev server did not answer within 30 s; see {}",
        log.display()
    ))
}

struct Sample {
    op: Op,
    ms: f64,
    error: Option<String>,
}

/// One connection's closed loop: set-up (one create), then the mix until `end`; samples are
/// kept for requests started in [`start`, `end`).
async fn client_loop(
    port: u16,
    token: String,
    create_body: Arc<String>,
    start: Instant,
    end: Instant,
) -> Result<Vec<Sample>, String> {
    let mut connection = Connection::open(port, token).await?;
    let (status, body) = connection
        .send(
            "POST",
            "/applications",
            Some(("application/json", &create_body)),
        )
        .await?;
    if status != 201 {
        return Err(format!(
            "set-up create answered {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    let id_of = |body: &[u8]| -> Option<String> {
        serde_json::from_slice::<Value>(body)
            .ok()?
            .get("id")?
            .as_str()
            .map(str::to_owned)
    };
    let mut id = id_of(&body).ok_or("set-up create returned no id")?;
    let mut samples = Vec::new();
    let mut n = 0usize;
    loop {
        let began = Instant::now();
        if began >= end {
            return Ok(samples);
        }
        let op = MIX[n % MIX.len()];
        n += 1;
        let patch = format!("{{\"notes\":\"load {n}\"}}");
        let get_path = format!("/applications/{id}");
        let (method, path, body, expected) = match op {
            Op::Create => (
                "POST",
                "/applications",
                Some(("application/json", create_body.as_str())),
                201,
            ),
            Op::Get => ("GET", get_path.as_str(), None, 200),
            Op::List => ("GET", "/applications?limit=10", None, 200),
            Op::Update => (
                "PATCH",
                get_path.as_str(),
                Some(("application/merge-patch+json", patch.as_str())),
                200,
            ),
        };
        let result = connection.send(method, path, body).await;
        let ms = stats::ms(began.elapsed());
        let error = match &result {
            Ok((status, _)) if *status == expected => None,
            Ok((status, body)) => Some(format!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(body)
            )),
            Err(e) => Some(format!("{method} {path}: {e}")),
        };
        if op == Op::Create
            && let Ok((201, body)) = &result
            && let Some(new_id) = id_of(body)
        {
            id = new_id;
        }
        // A warm-up request is measured for nothing, but its failure still fails the run.
        if began >= start || error.is_some() {
            samples.push(Sample { op, ms, error });
        }
        if result.is_err() {
            // The connection is unusable after an I/O error: open a new one.
            connection = Connection::open(port, connection.token.clone()).await?;
        }
    }
}

pub async fn run(bench: &mut Bench, bin_dir: &Path) -> Result<LoadResult, String> {
    let (connections, warmup, measure) = if bench.smoke {
        (4, Duration::from_millis(300), Duration::from_secs(1))
    } else {
        (32, Duration::from_secs(2), Duration::from_secs(10))
    };
    let binary = bin_dir.join("dev-server");
    let table = format!("{}-load", bench.table());
    let mut server = start_dev_server(bench, &binary, &table).await?;
    let create_body =
        Arc::new(crate::events::body_json(&bench.event("applications-create")?).to_string());
    let ticks = clock_ticks();
    let start = Instant::now() + warmup;
    let end = start + measure;
    let mut tasks = Vec::new();
    for i in 0..connections {
        let token = testkit::token(&format!("load-user-{i:02}"));
        tasks.push(tokio::spawn(client_loop(
            server.port,
            token,
            create_body.clone(),
            start,
            end,
        )));
    }
    tokio::time::sleep_until(start.into()).await;
    let server_cpu_start = cpu_seconds(server.pid, ticks)?;
    let java_cpu_start = cpu_seconds(bench.java_pid, ticks)?;
    tokio::time::sleep_until(end.into()).await;
    let server_cpu_end = cpu_seconds(server.pid, ticks)?;
    let java_cpu_end = cpu_seconds(bench.java_pid, ticks)?;
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.map_err(|e| format!("load task: {e}"))??);
    }
    let server_peak_rss_kib = peak_rss_kib(server.pid);
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    let errors: Vec<&Sample> = samples.iter().filter(|s| s.error.is_some()).collect();
    let all: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    let per_op = [Op::Create, Op::Get, Op::List, Op::Update]
        .into_iter()
        .map(|op| {
            let ms: Vec<f64> = samples
                .iter()
                .filter(|s| s.op == op)
                .map(|s| s.ms)
                .collect();
            (op.name(), stats::summarize(&ms))
        })
        .collect();
    let result = LoadResult {
        connections,
        seconds: measure.as_secs_f64(),
        requests: samples.len(),
        errors: errors.len(),
        first_error: errors.first().and_then(|s| s.error.clone()),
        latency: stats::summarize(&all),
        per_op,
        server_cpu_seconds: server_cpu_end - server_cpu_start,
        dynamodb_cpu_seconds: java_cpu_end - java_cpu_start,
        server_peak_rss_kib,
    };
    eprintln!(
        "  throughput {} connections, {} s: {:.0} req/s, p50 {} ms, p99 {} ms, {} errors, server {:.3} ms CPU/request",
        result.connections,
        result.seconds,
        result.rps(),
        stats::fmt_ms(result.latency.p50),
        stats::fmt_ms(result.latency.p99),
        result.errors,
        result.server_cpu_ms_per_request()
    );
    Ok(result)
}
