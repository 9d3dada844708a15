//! Handler overhead: a route's event through the function's own router, in process
//! (`lambda_http::request::from_str` → router via `oneshot`), against the store call(s) that
//! route's handler makes, called directly on the same `store::Store` (same client, same
//! DynamoDB Local) with their arguments built before the clock starts. The difference is what
//! the handler adds around its data layer: event parsing, routing, the caller's identity, body
//! parsing and validation, serialization. Iterations alternate which of the two goes first;
//! each pair gives one difference.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use axum::Router;
use domain::{
    ApplicationFilter, ApplicationPatch, ChildResource, Feedback, Id, NewApplication, Rejection,
    Timestamp, UserId,
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use store::{Precondition, Store, StoreResult, WriteOutcome};
use tower::ServiceExt;

use crate::capacity::{self, Call, Recorder};
use crate::events::{self, APP_ID};
use crate::seed::Seed;
use crate::stats::{self, Summary};
use crate::{Bench, Function};

/// A store call with its arguments built, not started yet.
type StoreCall = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// What a route's store calls are built from.
struct Args {
    store: Store,
    user: UserId,
    /// The application the event names.
    app: Id,
    event: Value,
    body: Value,
}

impl Args {
    fn owned(&self) -> (Store, UserId, Id) {
        (self.store.clone(), self.user.clone(), self.app)
    }

    fn limit(&self) -> usize {
        events::query_limit(&self.event).unwrap_or(api::extract::DEFAULT_PAGE_SIZE)
    }
}

/// One route of the overhead benchmark.
struct Route {
    event: &'static str,
    function: Function,
    seed: fn(Id) -> Seed,
    /// The store call(s) the route's handler makes: the baseline.
    store_calls: &'static str,
    baseline: fn(&Args) -> Result<StoreCall, String>,
}

fn answered<T>(call: impl Future<Output = StoreResult<T>> + Send + 'static) -> StoreCall {
    Box::pin(async move { call.await.map(drop).map_err(|e| format!("store: {e:?}")) })
}

/// A create: it must have written (no idempotency record is given, so nothing replays).
fn written(call: impl Future<Output = StoreResult<WriteOutcome>> + Send + 'static) -> StoreCall {
    Box::pin(async move {
        match call.await {
            Ok(WriteOutcome::Written) => Ok(()),
            other => Err(format!("store: {other:?}")),
        }
    })
}

fn invalid(what: &str) -> impl Fn(domain::Invalid) -> String + '_ {
    move |invalid| format!("the event's body is not a valid {what}: {invalid:?}")
}

fn create_child<T: ChildResource + Send + Sync + 'static>(a: &Args) -> Result<StoreCall, String> {
    let child = T::parse_new(a.body.clone(), Id::generate(), a.app, Timestamp::now())
        .map_err(invalid(T::COLLECTION))?;
    let (store, user, app) = a.owned();
    Ok(written(async move {
        store.create_child(&user, app, &child, None).await
    }))
}

fn list_children<T: ChildResource + Send + 'static>(a: &Args) -> Result<StoreCall, String> {
    let ((store, user, app), limit) = (a.owned(), a.limit());
    Ok(answered(async move {
        store.list_children::<T>(&user, app, limit, None).await
    }))
}

fn routes() -> Vec<Route> {
    vec![
        Route {
            event: "applications-create",
            function: Function::Applications,
            seed: Seed::app,
            store_calls: "create_application",
            baseline: |a| {
                let application = NewApplication::parse(a.body.clone())
                    .map_err(invalid("application"))?
                    .into_application(Id::generate(), Timestamp::now());
                let (store, user, _) = a.owned();
                Ok(written(async move {
                    store.create_application(&user, &application, None).await
                }))
            },
        },
        Route {
            event: "applications-get",
            function: Function::Applications,
            seed: Seed::app,
            store_calls: "get_application",
            baseline: |a| {
                let (store, user, app) = a.owned();
                Ok(answered(
                    async move { store.get_application(&user, app).await },
                ))
            },
        },
        Route {
            event: "applications-list",
            function: Function::Applications,
            seed: Seed::many_apps,
            store_calls: "list_applications",
            baseline: |a| {
                if events::has_filter(&a.event) {
                    return Err("the baseline lists without filters; the event has one".into());
                }
                let ((store, user, _), limit) = (a.owned(), a.limit());
                let filter = ApplicationFilter::default();
                Ok(answered(async move {
                    store.list_applications(&user, &filter, limit, None).await
                }))
            },
        },
        Route {
            event: "applications-patch",
            function: Function::Applications,
            seed: Seed::app,
            store_calls: "update_application",
            baseline: |a| {
                let patch = ApplicationPatch::parse(a.body.clone()).map_err(invalid("patch"))?;
                let ((store, user, app), now) = (a.owned(), Timestamp::now());
                Ok(answered(async move {
                    store
                        .update_application(&user, app, &patch, &Precondition::None, now)
                        .await
                }))
            },
        },
        Route {
            event: "feedback-create",
            function: Function::Feedback,
            seed: Seed::with_feedback,
            store_calls: "create_child::<Feedback>",
            baseline: create_child::<Feedback>,
        },
        Route {
            event: "feedback-list",
            function: Function::Feedback,
            seed: Seed::many_feedback,
            store_calls: "list_children::<Feedback>",
            baseline: list_children::<Feedback>,
        },
        Route {
            event: "rejections-create",
            function: Function::Rejections,
            seed: Seed::with_rejection,
            store_calls: "create_child::<Rejection>",
            baseline: create_child::<Rejection>,
        },
        Route {
            event: "health-health",
            function: Function::Health,
            seed: Seed::nothing,
            store_calls: "none",
            baseline: |_| Ok(Box::pin(async { Ok(()) })),
        },
        Route {
            event: "health-db-check",
            function: Function::Health,
            seed: Seed::nothing,
            store_calls: "ping",
            baseline: |a| {
                let store = a.store.clone();
                Ok(answered(async move { store.ping().await }))
            },
        },
    ]
}

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
    for route in routes() {
        let event = bench.event(route.event)?;
        let app = events::ids_in_path(events::raw_path(&event))
            .0
            .or_else(|| APP_ID.parse().ok())
            .ok_or("no application id")?;
        let handler_user = format!("bench-handler-{}", route.event);
        let store_user = format!("bench-store-{}", route.event);
        for user in [&handler_user, &store_user] {
            bench.seed(user, &(route.seed)(app)).await?;
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
        let router = route.function.router(bench.state.clone());
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
                return Err(format!("{}: status {status}: {body}", route.event));
            }
            Ok(())
        };
        let call_store = || async {
            let call = (route.baseline)(&args)?;
            let started = Instant::now();
            call.await.map_err(|e| format!("{}: {e}", route.event))?;
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
        let instrumented_router = route.function.router(instrumented.clone());
        recorder.take();
        let (status, body) = invoke(&instrumented_router, &text).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{}: status {status}: {body}", route.event));
        }
        let handler_calls = recorder.take();
        (route.baseline)(&Args {
            store: instrumented.store.clone(),
            ..args
        })?
        .await?;
        let store_dynamodb_calls = recorder.take();
        let result = RouteResult {
            label: route_label(&event),
            event: route.event.to_owned(),
            note,
            handler: stats::summarize(&h),
            store: stats::summarize(&s),
            diff: stats::summarize(&d),
            store_dynamodb_calls,
            handler_calls,
            store_calls: route.store_calls,
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
