//! The machine the run was on, and the results as JSON and as the Markdown tables that go into
//! docs/performance.md (between its `bench:results` markers).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::capacity;
use crate::coldstart::ColdResult;
use crate::cost::CaseResult;
use crate::handler::RouteResult;
use crate::load::LoadResult;
use crate::stats::fmt_ms;

pub const BEGIN: &str = "<!-- bench:results:begin -->";
pub const END: &str = "<!-- bench:results:end -->";

fn first_line(command: &str, args: &[&str]) -> String {
    std::process::Command::new(command)
        .args(args)
        .output()
        .ok()
        .map(|out| {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn proc_field(file: &str, name: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
}

pub fn machine(dynamodb_version: &str, profile: &str) -> Value {
    let cpu = proc_field("/proc/cpuinfo", "model name")
        .or_else(|| proc_field("/proc/cpuinfo", "Hardware"))
        .unwrap_or_else(|| first_line("uname", &["-m"]));
    let memory_gib = proc_field("/proc/meminfo", "MemTotal")
        .and_then(|kb| kb.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0);
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": memory_gib,
        "arch": std::env::consts::ARCH,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "rustc": first_line("rustc", &["--version"]),
        "java": first_line("java", &["-version"]),
        "dynamodb_local": dynamodb_version,
        "profile": profile,
        "date": domain::Timestamp::now().to_string(),
    })
}

/// The arm64 zips `make package` builds: every function behind the API, and the sweeper (in
/// the target directory's `lambda/`, `CARGO_TARGET_DIR` when set).
pub fn zips(root: &Path) -> Vec<(String, Option<u64>)> {
    let lambda = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |dir| root.join(dir))
        .join("lambda");
    health::FUNCTIONS
        .iter()
        .map(|function| function.name)
        .chain(["sweeper"])
        .map(|name| {
            let zip = lambda.join(name).join("bootstrap.zip");
            (
                name.to_owned(),
                std::fs::metadata(zip).ok().map(|m| m.len()),
            )
        })
        .collect()
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / 1024.0 / 1024.0)
}

fn units(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

pub struct Report<'a> {
    pub machine: Value,
    pub smoke: bool,
    pub cold: &'a [ColdResult],
    pub overhead: &'a [RouteResult],
    pub cases: &'a [CaseResult],
    pub load: &'a LoadResult,
    pub zips: Vec<(String, Option<u64>)>,
    pub seconds: f64,
}

impl Report<'_> {
    pub fn to_json(&self) -> Value {
        json!({
            "mode": if self.smoke { "smoke" } else { "full" },
            "machine": self.machine,
            "harness_seconds": (self.seconds * 10.0).round() / 10.0,
            "cold_start": self.cold.iter().map(ColdResult::to_json).collect::<Vec<_>>(),
            "handler_overhead": self.overhead.iter().map(RouteResult::to_json).collect::<Vec<_>>(),
            "throughput": self.load.to_json(),
            "capacity": self.cases.iter().map(CaseResult::to_json).collect::<Vec<_>>(),
            "size": self.zips.iter().map(|(name, size)| json!({
                "function": name,
                "arm64_zip_bytes": size,
            })).collect::<Vec<_>>(),
        })
    }

    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let s = |v: &Value| v.as_str().unwrap_or("?").to_owned();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "_Written by `make bench` ({} profile) on {}; the harness took {:.0} s. \
             Regenerated on every run: edit the text outside these markers._\n",
            s(&m["profile"]),
            s(&m["date"]),
            self.seconds
        );
        let _ = writeln!(
            out,
            "**Machine:** {}, {} cores, {} GiB RAM, {} (Linux {}); {}; {}; DynamoDB Local `{}` in memory on the same machine.\n",
            s(&m["cpu"]),
            m["cores"],
            m["memory_gib"],
            s(&m["arch"]),
            s(&m["kernel"]),
            s(&m["rustc"]),
            s(&m["java"]),
            s(&m["dynamodb_local"]),
        );
        let runs = self.cold.first().map(|c| c.total.n).unwrap_or(0);
        let _ = writeln!(
            out,
            "### Cold start ({runs} runs per function)\n\n\
             | function | event | init p50 | init p90 | exec → response p50 | p90 | DB connections before first `/next` | warm invoke p50 / p99 |\n\
             |---|---|--:|--:|--:|--:|--:|--:|"
        );
        for c in self.cold {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} ms | {} ms | {} ms | {} ms | {} | {} / {} ms |",
                c.function,
                c.event,
                fmt_ms(c.init.p50),
                fmt_ms(c.init.p90),
                fmt_ms(c.total.p50),
                fmt_ms(c.total.p90),
                c.db_connections_before_next,
                fmt_ms(c.warm.p50),
                fmt_ms(c.warm.p99),
            );
        }

        let n = self.overhead.first().map(|r| r.handler.n).unwrap_or(0);
        let n = if n >= 1000 {
            format!("{},{:03}", n / 1000, n % 1000)
        } else {
            n.to_string()
        };
        let _ = writeln!(
            out,
            "\n### Handler overhead ({n} sequential in-process invocations per route)\n\n\
             | route | the handler's store call(s) | handler p50 / p99 | store call(s) alone p50 / p99 | difference p50 / p99 | calls the handler made |\n\
             |---|---|--:|--:|--:|---|"
        );
        for r in self.overhead {
            let _ = writeln!(
                out,
                "| `{}`{} | {} | {} / {} ms | {} / {} ms | {} / {} ms | {} |",
                r.label,
                r.note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                r.store_calls,
                fmt_ms(r.handler.p50),
                fmt_ms(r.handler.p99),
                fmt_ms(r.store.p50),
                fmt_ms(r.store.p99),
                fmt_ms(r.diff.p50),
                fmt_ms(r.diff.p99),
                capacity::describe(&r.handler_calls),
            );
        }

        let l = self.load;
        let _ = writeln!(
            out,
            "\n### Throughput through the dev server\n\n\
             | connections | duration | requests | requests/s | p50 | p99 | errors | dev-server CPU / request | DynamoDB Local CPU / request | dev-server peak RSS |\n\
             |--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n\
             | {} | {:.0} s | {} | {:.0} | {} ms | {} ms | {} | {:.3} ms | {:.3} ms | {} MiB |\n",
            l.connections,
            l.seconds,
            l.requests,
            l.rps(),
            fmt_ms(l.latency.p50),
            fmt_ms(l.latency.p99),
            l.errors,
            l.server_cpu_ms_per_request(),
            l.dynamodb_cpu_ms_per_request(),
            l.server_peak_rss_kib / 1024,
        );
        let per_op: Vec<String> = l
            .per_op
            .iter()
            .map(|(op, s)| format!("{op} {} / {} ms", fmt_ms(s.p50), fmt_ms(s.p99)))
            .collect();
        let _ = writeln!(
            out,
            "Mix: 40 % get, 20 % list (`limit=10`), 20 % update (PATCH `notes`), 20 % create; p50 / p99 per operation: {}.",
            per_op.join(", ")
        );

        let _ = writeln!(
            out,
            "\n### Capacity units per operation (`ReturnConsumedCapacity`, as DynamoDB Local reports it)\n\n\
             | operation | route | calls the handler made | capacity units (of which GSI1) | store call(s) alone | documented minimum | minimum from |\n\
             |---|---|---|--:|--:|--:|---|"
        );
        for c in self.cases {
            let (total, index) = capacity::total(&c.calls);
            let store = if c.overhead {
                self.overhead
                    .iter()
                    .find(|r| r.event == c.event)
                    .map(|r| units(capacity::total(&r.store_dynamodb_calls).0))
                    .unwrap_or_else(|| "–".to_owned())
            } else {
                "–".to_owned()
            };
            let sizes = sizes_note(c);
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} ({}) | {} | {} | {}{} |",
                c.label,
                c.route,
                capacity::describe(&c.calls),
                units(total),
                units(index),
                store,
                units(c.minimum),
                c.formula,
                sizes,
            );
        }

        let _ = writeln!(
            out,
            "\n### Size and memory\n\n\
             | function | arm64 zip (`make package`) | release binary on this machine | peak RSS, warm run |\n\
             |---|--:|--:|--:|"
        );
        for (name, zip) in &self.zips {
            // A function measured by several routes (health: `/health`, `/db-check`): its
            // highest peak.
            let cold = self
                .cold
                .iter()
                .filter(|c| c.function == name)
                .max_by_key(|c| c.peak_rss_kib);
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} |",
                zip.map(mib)
                    .unwrap_or_else(|| "not built: run `make package`".to_owned()),
                cold.map(|c| mib(c.binary_bytes)).unwrap_or_default(),
                cold.map(|c| format!(
                    "{:.1} MiB ({} invocations)",
                    c.peak_rss_kib as f64 / 1024.0,
                    c.warm.n + 1
                ))
                .unwrap_or_default(),
            );
        }
        out
    }
}

fn sizes_note(c: &CaseResult) -> String {
    let s = &c.sizes;
    let mut parts = Vec::new();
    let app = s.app_before.max(s.app_after);
    if app > 0 && !c.formula.starts_with('0') {
        parts.push(format!("app {app} B"));
    }
    let child = s.child_before.max(s.child_after);
    if child > 0 {
        parts.push(format!("child {child} B"));
    }
    if s.record > 0 {
        parts.push(format!("record {} B", s.record));
    }
    if s.list_read > 0 {
        parts.push(format!("read {} B", s.list_read));
    }
    if c.formula.contains("partition") {
        parts.push(format!("children {:?} B", s.children));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

/// Puts `section` between the markers of docs/performance.md (appends them if missing).
pub fn update_doc(path: &Path, section: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|_| {
        "# Performance\n\nMeasured by `make bench` (bench/, scripts/bench.sh).\n".to_owned()
    });
    let block = format!("{BEGIN}\n{section}{END}");
    let updated = match (text.find(BEGIN), text.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{block}{}", &text[..begin], &text[end + END.len()..])
        }
        _ => format!("{}\n## Results\n\n{block}\n", text.trim_end()),
    };
    std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}
