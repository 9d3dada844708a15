//! `bench` — the Feedback Tracker benchmark harness (never deployed). `make bench` runs it on
//! release builds; `make bench-smoke` (and `make test`) once with tiny counts.
//!
//! It gets its DynamoDB Local (in memory, free port) and table from the test harness
//! (`testkit`) and measures, against it:
//! 1. cold start per function: the built binary under a minimal Lambda Runtime API;
//! 2. handler overhead: events through each function's router in process vs the store calls
//!    the handler makes, called directly;
//! 3. throughput through the dev server binary (bounded connections and time, 127.0.0.1);
//! 4. capacity units per operation (`ReturnConsumedCapacity`) vs the documented minimum;
//! 5. arm64 zip sizes and each function's peak RSS during a warm run.
//!
//! Results: a table on stderr, JSON (`--out`), and, unless `--smoke` or `--no-doc`, the
//! results section of docs/performance.md. Any failure exits non-zero. Nothing is asserted
//! about timings.

mod capacity;
mod cases;
mod coldstart;
mod cost;
mod events;
mod handler;
mod load;
mod report;
mod runtime_api;
mod seed;
mod stats;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use api::ApiState;
use aws_sdk_dynamodb::Client;
use axum::Router;

/// The four Lambda functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Applications,
    Feedback,
    Rejections,
    Health,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Applications => "applications",
            Function::Feedback => "feedback",
            Function::Rejections => "rejections",
            Function::Health => "health",
        }
    }

    pub fn router(self, state: ApiState) -> Router {
        match self {
            Function::Applications => applications::FUNCTION.router(state),
            Function::Feedback => feedback::FUNCTION.router(state),
            Function::Rejections => rejections::FUNCTION.router(state),
            Function::Health => health::FUNCTION.router(state),
        }
    }
}

/// What every benchmark shares: the database, its table, the events.
pub struct Bench {
    pub root: PathBuf,
    pub out_dir: PathBuf,
    pub smoke: bool,
    pub dynamodb: &'static testkit::DynamoDbLocal,
    /// Java's pid, to read its CPU time.
    pub java_pid: u32,
    /// The table the benchmarks share, on the harness's client.
    pub state: ApiState,
    bodies: Option<seed::SeedBodies>,
    events: events::Events,
    seeded: HashSet<String>,
}

impl Bench {
    pub fn event(&mut self, name: &str) -> Result<serde_json::Value, String> {
        self.events.get(&self.root, name)
    }

    pub fn table(&self) -> &str {
        self.state.store.table()
    }

    pub fn client(&self) -> &Client {
        self.state.store.client()
    }

    /// The state a function's router gets, on `client`.
    pub fn state(&self, client: Client) -> ApiState {
        testkit::state_with(client, self.table())
    }

    /// Seeds `sub`'s slice of the table once.
    pub async fn seed(&mut self, sub: &str, seed: &seed::Seed) -> Result<(), String> {
        if !self.seeded.insert(sub.to_owned()) {
            return Ok(());
        }
        let bodies = match &self.bodies {
            Some(bodies) => bodies.clone(),
            None => {
                let bodies = seed::SeedBodies {
                    application: events::body_json(&self.event("applications-create")?),
                    feedback: events::body_json(&self.event("feedback-create")?),
                    rejection: events::body_json(&self.event("rejections-create")?),
                };
                self.bodies = Some(bodies.clone());
                bodies
            }
        };
        seed::write(&self.state.store, &bodies, sub, seed).await
    }
}

struct Args {
    smoke: bool,
    root: PathBuf,
    bin_dir: Option<PathBuf>,
    out: Option<PathBuf>,
    doc: bool,
}

fn usage() -> String {
    "usage: bench [--smoke] [--root DIR] [--bin-dir DIR] [--out FILE] [--no-doc]".to_owned()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        smoke: false,
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default(),
        bin_dir: None,
        out: None,
        doc: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().map(PathBuf::from).ok_or_else(usage);
        match arg.as_str() {
            "--smoke" => args.smoke = true,
            "--no-doc" => args.doc = false,
            "--root" => args.root = value()?,
            "--bin-dir" => args.bin_dir = Some(value()?),
            "--out" => args.out = Some(value()?),
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(args)
}

async fn run(args: Args) -> Result<(), String> {
    let started = Instant::now();
    let profile = if args.smoke { "debug" } else { "release" };
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| args.root.join("target").join(profile));
    // Absolute: the functions run with their own directory as working directory.
    let bin_dir =
        std::path::absolute(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
    let out_dir = args.root.join("target/bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let out = args.out.clone().unwrap_or_else(|| {
        out_dir.join(if args.smoke {
            "smoke.json"
        } else {
            "results.json"
        })
    });

    eprintln!("bench: starting DynamoDB Local (in memory)…");
    let dynamodb = testkit::dynamodb_local().await;
    let mut bench = Bench {
        root: args.root.clone(),
        out_dir,
        smoke: args.smoke,
        java_pid: dynamodb
            .java_pid
            .ok_or("the benchmarks start their own DynamoDB Local: unset TEST_DYNAMODB_ENDPOINT")?,
        dynamodb,
        state: testkit::fresh_table("bench").await,
        bodies: None,
        events: events::Events::default(),
        seeded: HashSet::new(),
    };
    // The events' own user and items, for the cold starts (which replay events unchanged).
    let demo = seed::Seed {
        rejection: events::REJECTION_ID.parse().ok(),
        ..seed::Seed::with_feedback(events::APP_ID.parse().map_err(|()| "bad APP_ID")?)
    };
    bench.seed(events::DEMO_USER, &demo).await?;
    // The calendar event's token (its path is `/calendar/<token>.ics`) as the demo user's feed.
    let calendar = bench.event("calendar-get")?;
    let token = calendar["rawPath"]
        .as_str()
        .and_then(|path| path.strip_prefix("/calendar/")?.strip_suffix(".ics"))
        .ok_or("events/calendar-get.json: no token in rawPath")?;
    let demo_user = domain::UserId::parse(events::DEMO_USER).ok_or("bad DEMO_USER")?;
    bench
        .state
        .store
        .replace_calendar_token(&demo_user, token, domain::Timestamp::now())
        .await
        .map_err(|error| format!("seeding the calendar token: {error:?}"))?;

    eprintln!(
        "bench: cold start and memory ({} binaries in {})",
        profile,
        bin_dir.display()
    );
    let cold = coldstart::run(&mut bench, &bin_dir).await?;
    eprintln!("bench: handler overhead (in process)");
    let overhead = handler::run(&mut bench).await?;
    eprintln!("bench: capacity units per operation");
    let cases = cost::run(&mut bench).await?;
    eprintln!("bench: throughput through the dev server");
    let load = load::run(&mut bench, &bin_dir).await?;

    let report = report::Report {
        machine: report::machine(&bench.dynamodb.version, profile),
        smoke: args.smoke,
        cold: &cold,
        overhead: &overhead,
        cases: &cases,
        load: &load,
        zips: report::zips(&args.root),
        seconds: started.elapsed().as_secs_f64(),
    };
    let json = serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())?;
    std::fs::write(&out, json + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
    let markdown = report.markdown();
    println!("{markdown}");
    eprintln!("bench: results written to {}", out.display());
    // A run with failed requests fails before it rewrites the committed results.
    if load.errors > 0 {
        return Err(format!(
            "{} of {} requests through the dev server failed; first: {}",
            load.errors,
            load.requests,
            load.first_error.as_deref().unwrap_or("?")
        ));
    }
    if args.doc && !args.smoke {
        let doc = args.root.join("docs/performance.md");
        report::update_doc(&doc, &markdown)?;
        eprintln!("bench: results section of {} updated", doc.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench: no tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
