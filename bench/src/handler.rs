//! Handler overhead: a route's event through the function's own service, in process
//! (`lambda_http::request::from_str` → router via `oneshot`), against the raw SDK calls the
//! route is documented to make (docs/data-model.md), on the same client and DynamoDB Local.
//! Iterations alternate which of the two goes first; each pair gives one difference.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValue, TransactWriteItem,
};
use axum::Router;
use domain::ChildKind;
use domain::UserId;
use domain::{Id, Timestamp};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use store::keys::{self, APPLICATION_SK, DELETING, GSI1, GSI1_PK, GSI1_SK, PK, SK};
use tower::ServiceExt;

use crate::capacity::{self, Call, Recorder};
use crate::dynamo::{self, Seed};
use crate::events::{self, APP_ID, FEEDBACK_ID, REJECTION_ID};
use crate::stats::{self, Summary};
use crate::{Bench, Function};

pub type Item = HashMap<String, AttributeValue>;

/// One route of the overhead benchmark.
struct Route {
    event: &'static str,
    function: Function,
    seed: fn(Id) -> Seed,
}

fn app_only(app: Id) -> Seed {
    Seed {
        app: Some(app),
        ..Seed::default()
    }
}

fn routes() -> Vec<Route> {
    let feedback = |app| Seed {
        feedback: FEEDBACK_ID.parse().ok(),
        ..app_only(app)
    };
    vec![
        Route {
            event: "applications-create",
            function: Function::Applications,
            seed: app_only,
        },
        Route {
            event: "applications-get",
            function: Function::Applications,
            seed: app_only,
        },
        Route {
            event: "applications-list",
            function: Function::Applications,
            seed: |app| Seed {
                extra_apps: 30,
                ..app_only(app)
            },
        },
        Route {
            event: "applications-patch",
            function: Function::Applications,
            seed: app_only,
        },
        Route {
            event: "feedback-create",
            function: Function::Feedback,
            seed: feedback,
        },
        Route {
            event: "feedback-list",
            function: Function::Feedback,
            seed: |app| Seed {
                feedback: FEEDBACK_ID.parse().ok(),
                extra_feedback: 29,
                ..app_only(app)
            },
        },
        Route {
            event: "rejections-create",
            function: Function::Rejections,
            seed: |app| Seed {
                rejection: REJECTION_ID.parse().ok(),
                ..app_only(app)
            },
        },
        Route {
            event: "health-health",
            function: Function::Health,
            seed: |_| Seed::default(),
        },
        Route {
            event: "health-db-check",
            function: Function::Health,
            seed: |_| Seed::default(),
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

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn key(pk: String, sk: String) -> Item {
    [(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))].into()
}

/// JSON as an attribute value, the way the store writes fields.
fn attribute(value: &Value) -> AttributeValue {
    match value {
        Value::String(text) => s(text.clone()),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Array(items) => AttributeValue::L(items.iter().map(attribute).collect()),
        Value::Object(fields) => AttributeValue::M(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), attribute(v)))
                .collect(),
        ),
        Value::Null => AttributeValue::Null(true),
    }
}

/// The calls a route is documented to make, built once and replayed.
pub enum Raw {
    Nothing,
    DescribeTable,
    PutApplication {
        user: UserId,
        template: Item,
    },
    GetItem {
        key: Item,
    },
    QueryIndex {
        partition: String,
        limit: i32,
    },
    Update {
        key: Item,
        update: String,
        condition: String,
        names: HashMap<String, String>,
        values: Item,
    },
    CreateChild {
        parent: Item,
        condition: String,
        names: HashMap<String, String>,
        values: Item,
        kind: ChildKind,
        template: Item,
    },
    ListChildren {
        partition: String,
        prefix: String,
        limit: i32,
        parent: Item,
    },
}

impl Raw {
    /// What `docs/data-model.md` says the route does.
    pub fn describe(&self) -> &'static str {
        match self {
            Raw::Nothing => "none",
            Raw::DescribeTable => "DescribeTable",
            Raw::PutApplication { .. } => "PutItem (conditional)",
            Raw::GetItem { .. } => "GetItem (consistent)",
            Raw::QueryIndex { .. } => "Query GSI1",
            Raw::Update { .. } => "UpdateItem (conditional)",
            Raw::CreateChild { .. } => "TransactWriteItems (ConditionCheck + Put)",
            Raw::ListChildren { .. } => "Query + GetItem (concurrent)",
        }
    }

    /// Runs the calls once; an error is a broken benchmark.
    pub async fn run(&self, client: &Client, table: &str) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("raw {}: {e}", self.describe());
        match self {
            Raw::Nothing => {}
            Raw::DescribeTable => {
                client
                    .describe_table()
                    .table_name(table)
                    .send()
                    .await
                    .map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            }
            Raw::PutApplication { user, template } => {
                let id = Id::generate();
                let mut item = template.clone();
                item.insert(PK.to_owned(), s(keys::application_pk(user, id)));
                item.insert(GSI1_SK.to_owned(), s(keys::applications_gsi_sk(id)));
                item.insert("id".to_owned(), s(id.to_string()));
                client
                    .put_item()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(#PK)")
                    .expression_attribute_names("#PK", PK)
                    .send()
                    .await
                    .map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            }
            Raw::GetItem { key } => {
                client
                    .get_item()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?
                    .item
                    .ok_or_else(|| fail(&"item missing"))?;
            }
            Raw::QueryIndex { partition, limit } => {
                client
                    .query()
                    .table_name(table)
                    .index_name(GSI1)
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", GSI1_PK)
                    .expression_attribute_values(":pk", s(partition.clone()))
                    .scan_index_forward(false)
                    .limit(*limit)
                    .send()
                    .await
                    .map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            }
            Raw::Update {
                key,
                update,
                condition,
                names,
                values,
            } => {
                let mut values = values.clone();
                values.insert(":now".to_owned(), s(Timestamp::now().to_string()));
                client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .update_expression(update)
                    .condition_expression(condition)
                    .set_expression_attribute_names(Some(names.clone()))
                    .set_expression_attribute_values(Some(values))
                    .return_values(ReturnValue::AllNew)
                    .send()
                    .await
                    .map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            }
            Raw::CreateChild {
                parent,
                condition,
                names,
                values,
                kind,
                template,
            } => {
                let id = Id::generate();
                let mut item = template.clone();
                item.insert(SK.to_owned(), s(keys::child_sk(*kind, id)));
                item.insert("id".to_owned(), s(id.to_string()));
                let check = ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(parent.clone()))
                    .condition_expression(condition)
                    .set_expression_attribute_names(Some(names.clone()))
                    .set_expression_attribute_values((!values.is_empty()).then(|| values.clone()))
                    .build()
                    .map_err(|e| fail(&e))?;
                let put = Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(#PK)")
                    .expression_attribute_names("#PK", PK)
                    .build()
                    .map_err(|e| fail(&e))?;
                client
                    .transact_write_items()
                    .transact_items(TransactWriteItem::builder().condition_check(check).build())
                    .transact_items(TransactWriteItem::builder().put(put).build())
                    .send()
                    .await
                    .map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            }
            Raw::ListChildren {
                partition,
                prefix,
                limit,
                parent,
            } => {
                let query = client
                    .query()
                    .table_name(table)
                    .key_condition_expression("#PK = :pk AND begins_with(#SK, :prefix)")
                    .expression_attribute_names("#PK", PK)
                    .expression_attribute_names("#SK", SK)
                    .expression_attribute_values(":pk", s(partition.clone()))
                    .expression_attribute_values(":prefix", s(prefix.clone()))
                    .scan_index_forward(false)
                    .consistent_read(true)
                    .limit(*limit)
                    .send();
                let get = client
                    .get_item()
                    .table_name(table)
                    .set_key(Some(parent.clone()))
                    .projection_expression("#PK, #deleting")
                    .expression_attribute_names("#PK", PK)
                    .expression_attribute_names("#deleting", DELETING)
                    .consistent_read(true)
                    .send();
                let (query, get) = tokio::join!(query, get);
                query.map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
                get.map_err(|e| fail(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?
                    .item
                    .ok_or_else(|| fail(&"application missing"))?;
            }
        }
        Ok(())
    }
}

async fn get_item(client: &Client, table: &str, key: &Item) -> Result<Item, String> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| format!("reading a seed item: {e}"))?
        .item
        .ok_or_else(|| "a seed item is missing".to_owned())
}

/// The documented calls of the route `event` names, for `sub`'s seeded items.
pub async fn raw_for(
    client: &Client,
    table: &str,
    event: &Value,
    sub: &str,
    app: Id,
) -> Result<Raw, String> {
    let user = UserId::parse(sub).ok_or("bad user")?;
    let app_key = key(keys::application_pk(&user, app), APPLICATION_SK.to_owned());
    let live = "attribute_exists(#PK) AND attribute_not_exists(#deleting)";
    let live_names: HashMap<String, String> = [
        ("#PK".to_owned(), PK.to_owned()),
        ("#deleting".to_owned(), DELETING.to_owned()),
    ]
    .into();
    let path = events::raw_path(event);
    let method = events::method(event);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let raw = match (method, segments.as_slice()) {
        (_, ["health"]) => Raw::Nothing,
        (_, ["db-check"]) => Raw::DescribeTable,
        ("POST", ["applications"]) => Raw::PutApplication {
            template: get_item(client, table, &app_key).await?,
            user,
        },
        ("GET", ["applications"]) => {
            let limit = events::query_limit(event).unwrap_or(api::extract::DEFAULT_PAGE_SIZE);
            Raw::QueryIndex {
                partition: keys::applications_gsi_pk(&user),
                limit: if events::has_filter(event) {
                    100
                } else {
                    limit as i32 + 1
                },
            }
        }
        ("GET", ["applications", _]) => Raw::GetItem { key: app_key },
        ("PATCH" | "PUT", ["applications", _]) => {
            let body = events::body_json(event);
            let mut names = live_names.clone();
            let mut values = Item::new();
            let (mut sets, mut removes) = (Vec::new(), Vec::new());
            for (field, value) in body.as_object().into_iter().flatten() {
                names.insert(format!("#{field}"), field.clone());
                if value.is_null() {
                    removes.push(format!("#{field}"));
                } else {
                    values.insert(format!(":{field}"), attribute(value));
                    sets.push(format!("#{field} = :{field}"));
                }
            }
            names.insert("#updated_at".into(), "updated_at".into());
            names.insert("#version".into(), "version".into());
            values.insert(":one".into(), AttributeValue::N("1".into()));
            sets.push("#updated_at = :now".into());
            sets.push("#version = #version + :one".into());
            let mut update = format!("SET {}", sets.join(", "));
            if !removes.is_empty() {
                update.push_str(&format!(" REMOVE {}", removes.join(", ")));
            }
            Raw::Update {
                key: app_key,
                update,
                condition: live.to_owned(),
                names,
                values,
            }
        }
        ("POST", ["applications", _, collection]) => {
            let (kind, child, sets_status) = match *collection {
                "feedback" => (ChildKind::Feedback, FEEDBACK_ID, false),
                _ => (ChildKind::Rejection, REJECTION_ID, true),
            };
            let child: Id = child.parse().map_err(|()| "bad child id")?;
            let template = get_item(
                client,
                table,
                &key(
                    keys::application_pk(&user, app),
                    keys::child_sk(kind, child),
                ),
            )
            .await?;
            let mut names = live_names.clone();
            let mut values = Item::new();
            let mut condition = live.to_owned();
            if sets_status {
                // The application is already rejected: the documented transaction only checks it.
                names.insert("#status".into(), "status".into());
                values.insert(":rejected".into(), s("rejected"));
                condition.push_str(" AND #status = :rejected");
            }
            Raw::CreateChild {
                parent: app_key,
                condition,
                names,
                values,
                kind,
                template,
            }
        }
        ("GET", ["applications", _, collection]) => {
            let kind = if *collection == "feedback" {
                ChildKind::Feedback
            } else {
                ChildKind::Rejection
            };
            let limit = events::query_limit(event).unwrap_or(api::extract::DEFAULT_PAGE_SIZE);
            Raw::ListChildren {
                partition: keys::application_pk(&user, app),
                prefix: keys::child_sk_prefix(kind).to_owned(),
                limit: limit as i32 + 1,
                parent: app_key,
            }
        }
        _ => return Err(format!("no raw equivalent for {method} {path}")),
    };
    Ok(raw)
}

/// One route's result.
pub struct RouteResult {
    pub label: String,
    pub event: String,
    pub from_file: bool,
    pub note: Option<String>,
    pub handler: Summary,
    pub raw: Summary,
    pub diff: Summary,
    pub raw_calls: Vec<Call>,
    pub handler_calls: Vec<Call>,
    pub documented: &'static str,
}

impl RouteResult {
    pub fn to_json(&self) -> Value {
        json!({
            "route": self.label,
            "event": format!("events/{}.json", self.event),
            "event_from_file": self.from_file,
            "note": self.note,
            "documented_calls": self.documented,
            "handler": self.handler.to_json(),
            "raw_sdk": self.raw.to_json(),
            "difference": self.diff.to_json(),
            "handler_calls": capacity::calls_json(&self.handler_calls),
            "raw_calls": capacity::calls_json(&self.raw_calls),
        })
    }
}

pub async fn run(bench: &mut Bench) -> Result<Vec<RouteResult>, String> {
    let (iterations, warmup) = if bench.smoke { (20, 3) } else { (2000, 100) };
    let recorder = Recorder::default();
    let instrumented = recorder.instrument(&bench.client);
    let mut results = Vec::new();
    for route in routes() {
        let event = bench.event(route.event)?;
        let app = dynamo::ids_in_path(events::raw_path(&event.json))
            .0
            .or_else(|| APP_ID.parse().ok())
            .ok_or("no application id")?;
        let handler_user = format!("bench-handler-{}", route.event);
        let raw_user = format!("bench-raw-{}", route.event);
        for user in [&handler_user, &raw_user] {
            bench.seed(user, &(route.seed)(app)).await?;
        }
        let mut json = events::with_sub(&event.json, &handler_user);
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
        let state = bench.state(bench.client.clone());
        let router = route.function.router(state.clone());
        let raw = raw_for(&bench.client, &bench.table, &json, &raw_user, app).await?;
        let table = bench.table.clone();
        let client = bench.client.clone();
        let call_handler = || async {
            let (status, body) = invoke(&router, &text).await?;
            if !(200..300).contains(&status) {
                return Err(format!("{}: status {status}: {body}", route.event));
            }
            Ok(())
        };
        for _ in 0..warmup {
            call_handler().await?;
            raw.run(&client, &table).await?;
        }
        let (mut h, mut r, mut d) = (
            Vec::with_capacity(iterations),
            Vec::with_capacity(iterations),
            Vec::with_capacity(iterations),
        );
        for i in 0..iterations {
            let (handler_ms, raw_ms);
            if i % 2 == 0 {
                let t = Instant::now();
                call_handler().await?;
                handler_ms = stats::ms(t.elapsed());
                let t = Instant::now();
                raw.run(&client, &table).await?;
                raw_ms = stats::ms(t.elapsed());
            } else {
                let t = Instant::now();
                raw.run(&client, &table).await?;
                raw_ms = stats::ms(t.elapsed());
                let t = Instant::now();
                call_handler().await?;
                handler_ms = stats::ms(t.elapsed());
            }
            h.push(handler_ms);
            r.push(raw_ms);
            d.push(handler_ms - raw_ms);
        }
        // One more of each with capacity recorded: the calls the measured path made.
        let instrumented_router = route.function.router(bench.state(instrumented.clone()));
        recorder.take();
        let (status, body) = invoke(&instrumented_router, &text).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{}: status {status}: {body}", route.event));
        }
        let handler_calls = recorder.take();
        raw.run(&instrumented, &table).await?;
        let raw_calls = recorder.take();
        let result = RouteResult {
            label: route_label(&event.json),
            event: route.event.to_owned(),
            from_file: event.from_file,
            note,
            handler: stats::summarize(&h),
            raw: stats::summarize(&r),
            diff: stats::summarize(&d),
            raw_calls,
            handler_calls,
            documented: raw.describe(),
        };
        eprintln!(
            "  overhead {:<40} handler p50 {:>7} ms  raw p50 {:>7} ms  diff p50 {:>7} ms",
            result.label,
            stats::fmt_ms(result.handler.p50),
            stats::fmt_ms(result.raw.p50),
            stats::fmt_ms(result.diff.p50)
        );
        results.push(result);
    }
    Ok(results)
}
