//! Handler overhead: a route's event through the function's own router, in process
//! (`lambda_http::request::from_str` → router via `oneshot`), against the store call(s) that
//! route's handler makes, called directly on the same `store::Store` (same client, same
//! DynamoDB Local) with their arguments built before the clock starts. The difference is what
//! the handler adds around its data layer: event parsing, routing, the caller's identity, body
//! parsing and validation, serialization. Iterations alternate which of the two goes first;
//! each pair gives one difference.

use std::time::Instant;

use axum::Router;
use domain::{Id, UserId};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::Bench;
use crate::capacity::{self, Call, Recorder};
use crate::cases::{self, Args};
use crate::events::{self, APP_ID};
use crate::stats::{self, Summary};

/// A route's path as a template: ids become `{id}`.
pub fn route_label(event: &Value) -> String {
    let path: Vec<String> = events::raw_path(event)
        .split('/')
        .map(|segment| {
            if segment.parse::<Id>().is_ok() {
                "{id}".to_owned()
            } else {
                segment.to_owned()
            }
        })
        .collect();
    let query = event
        .get("rawQueryString")
        .and_then(Value::as_str)
        .filter(|q| !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    format!("{} {}{query}", events::method(event), path.join("/"))
}

/// Sends one event through a router as the Lambda runtime hands it over; returns the status.
pub async fn invoke(router: &Router, event: &str) -> Result<(u16, Value), String> {
    let request = lambda_http::request::from_str(event).map_err(|e| format!("event: {e}"))?;
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(infallible) => match infallible {},
    };
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("response body: {e}"))?
        .to_bytes();
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

/// One route's result.
pub struct RouteResult {
    pub label: String,
    pub event: String,
    pub note: Option<String>,
    pub handler: Summary,
    pub store: Summary,
    pub diff: Summary,
    /// The DynamoDB calls the store call(s) made, and those the handler made.
    pub store_dynamodb_calls: Vec<Call>,
    pub handler_calls: Vec<Call>,
    pub store_calls: &'static str,
}

impl RouteResult {
    pub fn to_json(&self) -> Value {
        json!({
            "route": self.label,
            "event": format!("events/{}.json", self.event),
            "note": self.note,
            "store_calls": self.store_calls,
            "handler": self.handler.to_json(),
            "store": self.store.to_json(),
            "difference": self.diff.to_json(),
            "handler_calls": capacity::calls_json(&self.handler_calls),
            "store_dynamodb_calls": capacity::calls_json(&self.store_dynamodb_calls),
        })
    }
}

pub async fn run(bench: &mut Bench) -> Result<Vec<RouteResult>, String> {
    let (iterations, warmup) = if bench.smoke { (20, 3) } else { (2000, 100) };
    let recorder = Recorder::default();
    let instrumented = bench.state(recorder.instrument(bench.client()));
    let mut results = Vec::new();
    for case in cases::all() {
        let Some(baseline) = case.baseline else {
            continue;
        };
        let event = bench.event(case.event)?;
        let app = events::ids_in_path(events::raw_path(&event))
            .0
            .or_else(|| APP_ID.parse().ok())
            .ok_or("no application id")?;
        let handler_user = format!("bench-handler-{}", case.event);
        let store_user = format!("bench-store-{}", case.event);
        for user in [&handler_user, &store_user] {
            bench.seed(user, &(case.seed)(app)).await?;
        }
        let mut json = events::with_sub(&event, &handler_user);
        let mut note = None;
        if events::has_header(&json, "idempotency-key") {
            json = events::without_header(&json, "idempotency-key");
            note = Some("Idempotency-Key header removed: every call creates".to_owned());
        }
        let method = events::method(&json);
        if matches!(method, "PATCH" | "PUT") && events::body_json(&json).get("status").is_some() {
            note = Some("replayed: after the first call the status sent is already current".into());
        }
        if method == "POST" && events::raw_path(&json).ends_with("/rejections") {
            note = Some("the application is already rejected, as after any first rejection".into());
        }
        let text = json.to_string();
        let router = case.function().router(bench.state.clone());
        let args = Args {
            store: bench.state.store.clone(),
            user: UserId::parse(&store_user).ok_or("bad user")?,
            app,
            body: events::body_json(&json),
            event: json.clone(),
        };
        let call_handler = || async {
            let (status, body) = invoke(&router, &text).await?;
            if !(200..300).contains(&status) {
                return Err(format!("{}: status {status}: {body}", case.event));
            }
            Ok(())
        };
        let call_store = || async {
            let call = (baseline.build)(&args)?;
            let started = Instant::now();
            call.await.map_err(|e| format!("{}: {e}", case.event))?;
            Ok::<_, String>(stats::ms(started.elapsed()))
        };
        for _ in 0..warmup {
            call_handler().await?;
            call_store().await?;
        }
        let (mut h, mut s, mut d) = (
            Vec::with_capacity(iterations),
            Vec::with_capacity(iterations),
            Vec::with_capacity(iterations),
        );
        for i in 0..iterations {
            let (handler_ms, store_ms);
            if i % 2 == 0 {
                let t = Instant::now();
                call_handler().await?;
                handler_ms = stats::ms(t.elapsed());
                store_ms = call_store().await?;
            } else {
                store_ms = call_store().await?;
                let t = Instant::now();
                call_handler().await?;
                handler_ms = stats::ms(t.elapsed());
            }
            h.push(handler_ms);
            s.push(store_ms);
            d.push(handler_ms - store_ms);
        }
        // One more of each with capacity recorded: the calls the measured paths made.
        let instrumented_router = case.function().router(instrumented.clone());
        recorder.take();
        let (status, body) = invoke(&instrumented_router, &text).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{}: status {status}: {body}", case.event));
        }
        let handler_calls = recorder.take();
        (baseline.build)(&Args {
            store: instrumented.store.clone(),
            ..args
        })?
        .await?;
        let store_dynamodb_calls = recorder.take();
        let result = RouteResult {
            label: route_label(&event),
            event: case.event.to_owned(),
            note,
            handler: stats::summarize(&h),
            store: stats::summarize(&s),
            diff: stats::summarize(&d),
            store_dynamodb_calls,
            handler_calls,
            store_calls: baseline.store_calls,
        };
        eprintln!(
            "  overhead {:<40} handler p50 {:>7} ms  store p50 {:>7} ms  diff p50 {:>7} ms",
            result.label,
            stats::fmt_ms(result.handler.p50),
            stats::fmt_ms(result.store.p50),
            stats::fmt_ms(result.diff.p50)
        );
        results.push(result);
    }
    Ok(results)
}
