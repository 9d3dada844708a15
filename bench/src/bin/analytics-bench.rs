//! `analytics-bench` — what the analytics routes cost for one user with 100 / 1,000 / 5,000
//! applications and 3 children each (`make bench` runs it after the main harness;
//! `make bench-smoke` once with 20 applications).
//!
//! It starts its own in-memory DynamoDB Local, seeds each user through the store (the same
//! writes the API makes), serves the dev server's router on a loopback port, and measures:
//! - latency of each analytics route through the dev server over HTTP (sequential requests,
//!   p50 and p90, after three warm-up rounds);
//! - the read capacity units one request consumes (`ReturnConsumedCapacity` on its queries) and
//!   the size of the items it needs, so the ratio RCU per 4 KB can be checked;
//! - the heap one request takes at its peak: `Store::load_search` and then each route's figures,
//!   counted by this binary's allocator (what the function needs besides its ~10 MB at rest).
//!
//! The table goes to stderr and, unless `--smoke` or `--no-doc`, into the "Analytics" section
//! of docs/performance.md. Nothing about timings is asserted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Days;
use domain::{
    Application, ApplicationPatch, ChildResource, Feedback, Id, Rejection, Timestamp, UserId,
};
use futures::StreamExt;
use serde_json::json;
use store::{Precondition, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "analytics-bench-secret";
const ROUTES: [&str; 4] = [
    "/analytics/summary",
    "/analytics/rejections",
    "/analytics/skills",
    "/follow-ups",
];
/// The functions' memory (`template.yaml`, `MemorySize`).
const FUNCTION_MB: f64 = 256.0;
const BEGIN: &str = "<!-- bench:analytics:begin -->";
const END: &str = "<!-- bench:analytics:end -->";

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to `System` as it came; the counters do not touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, size) };
        if !moved.is_null() {
            if size >= layout.size() {
                let now = IN_USE.fetch_add(size - layout.size(), Ordering::Relaxed) + size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                IN_USE.fetch_sub(layout.size() - size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap `work` had in use at once beyond what was in use when it began (other tasks
/// of this process are idle meanwhile: the dev server serves no request).
async fn peak_heap<T>(work: impl std::future::Future<Output = T>) -> (T, usize) {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = work.await;
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(before))
}
struct Row {
    applications: usize,
    items: usize,
    seed_seconds: f64,
    /// route → (p50 ms, p90 ms)
    latency: Vec<(&'static str, f64, f64)>,
    capacity_units: f64,
    /// The attributes the figures use (what the projected queries return).
    kilobytes: f64,
    /// The whole items those are part of: what DynamoDB reads and bills.
    stored_kilobytes: f64,
    pages: usize,
    /// p50 of `Store::load_search` alone, and of computing the summary from what it read.
    read_ms: f64,
    compute_ms: f64,
    /// The most heap one request had in use: the read, then the largest route's figures.
    peak_heap_bytes: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("analytics-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut smoke = false;
    let mut doc = true;
    let mut root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut sizes: Vec<usize> = vec![100, 1_000, 5_000];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--no-doc" => doc = false,
            "--root" => root = args.next().map(PathBuf::from).ok_or("--root DIR")?,
            "--sizes" => {
                sizes = args
                    .next()
                    .ok_or("--sizes N,N")?
                    .split(',')
                    .map(|n| n.trim().parse().map_err(|_| format!("bad size {n}")))
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let requests = if smoke {
        sizes = vec![20];
        3
    } else {
        25
    };

    eprintln!("analytics-bench: starting DynamoDB Local (in memory)…");
    // The test harness's DynamoDB Local and table: one start-up for tests and benchmarks.
    let state = testkit::fresh_table("analytics").await;
    let store = state.store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let app = dev_server::app(state, SECRET);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut rows = Vec::new();
    for &size in &sizes {
        let sub = format!("bench-{size}");
        let user = UserId::parse(&sub).ok_or("user id")?;
        eprintln!("analytics-bench: seeding {size} applications × 3 children…");
        let started = Instant::now();
        seed(&store, &user, size).await?;
        let seed_seconds = started.elapsed().as_secs_f64();
        let token = dev_server::mint_token(SECRET, &sub, 3600);
        // Warm-up: DynamoDB Local's JIT and caches, the connection pool.
        for _ in 0..3 {
            for route in ROUTES {
                get(address, route, &token).await?;
            }
        }
        // Round-robin over the routes, so no route is measured in a quieter moment than another.
        let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(requests); ROUTES.len()];
        for _ in 0..requests {
            for (route, times) in ROUTES.iter().zip(&mut times) {
                let started = Instant::now();
                get(address, route, &token).await?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let latency = ROUTES
            .iter()
            .zip(&mut times)
            .map(|(route, times)| {
                times.sort_by(f64::total_cmp);
                (*route, pick(times, 0.5), pick(times, 0.9))
            })
            .collect();
        // Where the time goes: the two queries, then the computation.
        let mut reads = Vec::new();
        let mut computes = Vec::new();
        for _ in 0..requests.min(10) {
            let started = Instant::now();
            let search = store.load_search(&user).await.map_err(fail)?;
            reads.push(started.elapsed().as_secs_f64() * 1000.0);
            let started = Instant::now();
            let window = domain::analytics::Window::new(None, None, Timestamp::now().date())?;
            std::hint::black_box(search.data.summary(window));
            computes.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        reads.sort_by(f64::total_cmp);
        computes.sort_by(f64::total_cmp);
        // One request's heap: what it reads, then each route's figures from it, one at a time.
        let (peak, peak_heap_bytes) = peak_heap(async {
            let search = store.load_search(&user).await.map_err(fail)?;
            let today = Timestamp::now().date();
            let window = || domain::analytics::Window::new(None, None, today);
            std::hint::black_box(search.data.summary(window()?));
            std::hint::black_box(search.data.rejection_summary(window()?));
            std::hint::black_box(search.data.skills(window()?));
            std::hint::black_box(search.data.agenda(today));
            Ok::<_, String>(search)
        })
        .await;
        let loaded = peak?;
        let items = loaded.data.applications.len()
            + loaded.data.feedback.len()
            + loaded.data.rejections.len();
        rows.push(Row {
            applications: size,
            items,
            seed_seconds,
            latency,
            capacity_units: loaded.capacity_units,
            kilobytes: loaded.bytes as f64 / 1024.0,
            stored_kilobytes: stored_size(&store, &user).await? as f64 / 1024.0,
            pages: loaded.pages,
            read_ms: pick(&reads, 0.5),
            compute_ms: pick(&computes, 0.5),
            peak_heap_bytes,
        });
    }
    let table = render(&rows, requests);
    eprintln!("{table}");
    if !smoke && doc {
        write_doc(&root.join("docs/performance.md"), &table)?;
        eprintln!("analytics-bench: docs/performance.md updated");
    }

    Ok(())
}

fn pick(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn fail(error: impl std::fmt::Debug) -> String {
    format!("{error:?}")
}

/// One user's search: `size` applications (a third moved to screening, a fifth to
/// interviewing), each with two feedback items and a third child that is a rejection for every
/// third application, feedback otherwise.
async fn seed(store: &Store, user: &UserId, size: usize) -> Result<(), String> {
    let today = Timestamp::now().date();
    let results: Vec<Result<(), String>> = futures::stream::iter(0..size)
        .map(|i| async move {
            let now = Timestamp::now();
            let applied = today - Days::new((i % 120) as u64);
            let work_mode = ["remote", "hybrid", "onsite"][i % 3];
            let source = ["linkedin", "referral", "company site", "recruiter"][i % 4];
            let follow_up_on = (i % 10 == 0).then(|| today.to_string());
            let application = Application::parse_new(json!({
                "company": format!("Company {}", i % 97),
                "role": "Senior Backend Engineer",
                "applied_date": applied.to_string(),
                "job_url": format!("https://jobs.example.com/postings/{i}"),
                "location": "Berlin",
                "work_mode": work_mode,
                "source": source,
                "tags": ["rust", "backend"],
                "notes": "Found through a friend; the team runs Rust on Lambda.",
                "follow_up_on": follow_up_on,
            }), Id::generate(), now)
            .map_err(fail)?;
            let id = application.id;
            store
                .create_application(user, &application, None)
                .await
                .map_err(fail)?;
            for (step, status) in [(3, "screening"), (5, "interviewing")] {
                if i % step == 0 {
                    let patch = ApplicationPatch::parse(json!({ "status": status })).map_err(fail)?;
                    store
                        .update_application(user, id, &patch, &Precondition::None, now)
                        .await
                        .map_err(fail)?;
                }
            }
            for child in 0..3u64 {
                let date = (applied + Days::new(3 + child)).to_string();
                if child == 2 && i % 3 == 0 {
                    let body = json!({"rejected_date": date, "stage": "technical",
                        "category": "skills_gap", "reasons": ["system design", "Kubernetes"]});
                    let rejection =
                        Rejection::parse_new(body, Id::generate(), id, now).map_err(fail)?;
                    store
                        .create_child(user, id, &rejection, &store::Precondition::None, None)
                        .await
                        .map_err(fail)?;
                } else {
                    let body = json!({"feedback_date": date, "stage": "technical",
                        "interviewer": "Ada", "rating": 1 + (i % 5),
                        "comments": "Clear thinking, good questions; go deeper on distributed systems.",
                        "strengths": ["Rust", "communication"], "improvements": ["System Design"]});
                    let feedback = Feedback::parse_new(body, Id::generate(), id, now).map_err(fail)?;
                    store
                        .create_child(user, id, &feedback, &store::Precondition::None, None)
                        .await
                        .map_err(fail)?;
                }
            }
            Ok(())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

/// One GET over a fresh connection; the status must be 200.
async fn get(address: std::net::SocketAddr, path: &str, token: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut response))
        .await
        .map_err(|_| format!("{path}: no answer within 60 s"))?
        .map_err(|e| format!("read: {e}"))?;
    if !response.starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&response[..response.len().min(300)]).into_owned();
        return Err(format!("{path}: {head}"));
    }
    Ok(())
}

/// The size of the whole items a user's analytics read: the same partitions, unprojected.
async fn stored_size(store: &Store, user: &UserId) -> Result<usize, String> {
    let mut partitions = vec![store::keys::applications_gsi_pk(user)];
    partitions.extend(
        (0..store::keys::ACTIVITY_SHARDS).map(|shard| store::keys::activity_gsi_pk(user, shard)),
    );
    let mut total = 0;
    for partition in partitions {
        let mut start = None;
        loop {
            let page = store
                .client()
                .query()
                .table_name(store.table())
                .index_name(store::keys::GSI1)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", store::keys::GSI1_PK)
                .expression_attribute_values(
                    ":pk",
                    aws_sdk_dynamodb::types::AttributeValue::S(partition.clone()),
                )
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(fail)?;
            total += page.items().iter().map(store::item_size).sum::<usize>();
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
    }
    Ok(total)
}

fn render(rows: &[Row], requests: usize) -> String {
    let mut out = format!(
        "p50 / p90 latency in ms through the dev server over loopback HTTP ({requests} sequential \
         requests per route after 3 warm-up rounds over all routes), what one request reads, and \
         the most heap it has in use (the read, then the largest route's figures).\n\n\
         | applications | items read | summary | rejections | skills | follow-ups | of which: read | compute (summary) | RCU per request | KB of items | RCU per 4 KB of items | KB of attributes used | query pages | peak heap | seeding |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for row in rows {
        let cells: Vec<String> = row
            .latency
            .iter()
            .map(|(_, p50, p90)| format!("{p50:.0} / {p90:.0}"))
            .collect();
        let per_4kb = row.capacity_units / (row.stored_kilobytes / 4.0).max(f64::MIN_POSITIVE);
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.2} | {:.0} | {} | {:.1} MB | {:.0} s |\n",
            row.applications,
            row.items,
            cells.join(" | "),
            row.read_ms,
            row.compute_ms,
            row.capacity_units,
            row.stored_kilobytes,
            per_4kb,
            row.kilobytes,
            row.pages,
            row.peak_heap_bytes as f64 / 1e6,
            row.seed_seconds,
        ));
    }
    // What the largest search says of the functions' memory (less the ~10 MB they take at rest,
    // "Size and memory" in the results below).
    if let Some(row) = rows.iter().max_by_key(|row| row.applications) {
        let per_application = row.peak_heap_bytes as f64 / row.applications.max(1) as f64;
        let fits = (FUNCTION_MB - 10.0) * 1e6 / per_application.max(1.0);
        out.push_str(&format!(
            "\nAt {:.1} KB of heap per application (the {} row), a function's {FUNCTION_MB:.0} MB \
             would hold one request for at most about {:.0} applications with 3 children each (the \
             heap asked for: the allocator's own overhead, the response and the runtime come on top). \
             The latency columns are measured in this process, so they include the counting.\n",
            per_application / 1e3,
            row.applications,
            (fits / 1000.0).floor() * 1000.0,
        ));
    }
    out
}

fn write_doc(path: &std::path::Path, table: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        return Err(format!("{} has no {BEGIN} … {END} section", path.display()));
    };
    let updated = format!("{}{BEGIN}\n{table}{}", &text[..begin], &text[end..]);
    std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}
