//! Cold start and warm memory per function: the built binary run as Lambda runs `bootstrap`,
//! against the harness's Runtime API, for an event from `events/` (used unchanged: user
//! `demo-user`, whose application and children are seeded).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::Bench;
use crate::runtime_api::{FunctionProcess, lambda_env, status_of};
use crate::stats::{self, Summary};

/// Every deployed function (its binary's name) with the event it answers: one per function,
/// and `/db-check` beside `/health` (the one route of `health` that reaches the database).
const TARGETS: [(&str, &str); 9] = [
    ("applications", "applications-get"),
    ("feedback", "feedback-get"),
    ("rejections", "rejections-get"),
    ("health", "health-health"),
    ("health", "health-db-check"),
    ("analytics", "analytics-summary"),
    ("transfer", "transfer-export"),
    ("calendar", "calendar-get"),
    // The seeded application is not marked `deleting`: the sweeper reads it and leaves it.
    ("sweeper", "sweeper-deleting"),
];

pub struct ColdResult {
    pub function: &'static str,
    pub event: String,
    pub init: Summary,
    pub total: Summary,
    /// Connections to DynamoDB opened before the first `GET /next` (most in any run).
    pub db_connections_before_next: usize,
    pub warm: Summary,
    pub peak_rss_kib: u64,
    pub rss_kib: u64,
    pub binary_bytes: u64,
}

impl ColdResult {
    pub fn to_json(&self) -> Value {
        json!({
            "function": self.function,
            "event": format!("events/{}.json", self.event),
            "init_exec_to_first_next": self.init.to_json(),
            "total_exec_to_first_response": self.total.to_json(),
            "db_connections_before_first_next": self.db_connections_before_next,
            "warm_invoke_runtime_api": self.warm.to_json(),
            "peak_rss_kib": self.peak_rss_kib,
            "rss_after_warm_run_kib": self.rss_kib,
            "binary_bytes": self.binary_bytes,
        })
    }
}

/// An HTTP function must answer 2xx; the sweeper (a stream consumer) answers `null` when it
/// handled its records (a failure is an invocation error, retried by the stream).
fn check(function: &str, event: &str, body: &[u8]) -> Result<(), String> {
    let ok = match status_of(body) {
        Some(status) => (200..300).contains(&status),
        None => body == b"null",
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{function} answered {event} with: {}",
            String::from_utf8_lossy(body)
        ))
    }
}

pub async fn run(bench: &mut Bench, bin_dir: &Path) -> Result<Vec<ColdResult>, String> {
    let (runs, warm_runs) = if bench.smoke { (2, 5) } else { (20, 300) };
    let proxy = CountingProxy::start(&bench.dynamodb.endpoint).await?;
    let logs = bench.out_dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let mut results = Vec::new();
    for (function, event_name) in TARGETS {
        let text = bench.event(event_name)?.to_string();
        let binary = bin_dir.join(function);
        let binary_bytes = std::fs::metadata(&binary)
            .map_err(|e| format!("{}: {e} (build it first)", binary.display()))?
            .len();
        let task_root = bin_dir.to_path_buf();
        let env = |api: &str| lambda_env(function, api, bench.table(), &proxy.endpoint, &task_root);
        let log = logs.join(format!("{function}.log"));
        let (mut init, mut total) = (Vec::new(), Vec::new());
        let mut before_next = 0;
        for _ in 0..runs {
            proxy.take();
            let mut process =
                FunctionProcess::spawn(&binary, function, env, text.clone(), log.clone()).await?;
            let outcome = process.cold_start().await;
            process.stop().await;
            let (times, body) = outcome?;
            check(function, event_name, &body)?;
            init.push(stats::ms(times.init));
            total.push(stats::ms(times.total));
            let early = proxy
                .take()
                .iter()
                .filter(|at| **at < times.first_next_at)
                .count();
            before_next = before_next.max(early);
        }
        // A warm run: one process, many invocations; then its peak resident memory.
        let mut process =
            FunctionProcess::spawn(&binary, function, env, text.clone(), log.clone()).await?;
        let warm = async {
            let (_, body) = process.cold_start().await?;
            check(function, event_name, &body)?;
            let mut warm = Vec::with_capacity(warm_runs);
            for _ in 0..warm_runs {
                let (elapsed, body) = process.invoke(text.clone()).await?;
                check(function, event_name, &body)?;
                warm.push(stats::ms(elapsed));
            }
            let (peak, rss) = process.memory_kib()?;
            Ok::<_, String>((warm, peak, rss))
        }
        .await;
        process.stop().await;
        let (warm, peak_rss_kib, rss_kib) = warm?;
        let result = ColdResult {
            function,
            event: event_name.to_owned(),
            init: stats::summarize(&init),
            total: stats::summarize(&total),
            db_connections_before_next: before_next,
            warm: stats::summarize(&warm),
            peak_rss_kib,
            rss_kib,
            binary_bytes,
        };
        eprintln!(
            "  cold start {:<13} {:<16} init p50 {:>6} ms  total p50 {:>6} ms  warm p50 {:>6} ms  peak RSS {} KiB",
            function,
            event_name,
            stats::fmt_ms(result.init.p50),
            stats::fmt_ms(result.total.p50),
            stats::fmt_ms(result.warm.p50),
            result.peak_rss_kib
        );
        results.push(result);
    }
    Ok(results)
}

/// A TCP proxy in front of DynamoDB Local that notes when each connection is opened: it shows
/// whether a function talks to the database before it asks for its first event.
struct CountingProxy {
    endpoint: String,
    accepted: Arc<Mutex<Vec<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CountingProxy {
    async fn start(upstream: &str) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("proxy bind: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let log = accepted.clone();
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                log.lock().expect("proxy log").push(Instant::now());
                let upstream = upstream.clone();
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
    fn take(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.accepted.lock().expect("proxy log"))
    }
}
