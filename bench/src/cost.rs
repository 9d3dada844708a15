//! Capacity units per API operation: each case sends one event through the function's router
//! on an instrumented client, records the DynamoDB calls it made and the capacity DynamoDB
//! Local reports for them, and sets that next to the minimum the documented access pattern
//! needs for the item sizes involved (DynamoDB's published rules, see docs/performance.md).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::{ApplicationFilter, ChildKind, ChildResource, Feedback, Id, Rejection, UserId};
use serde_json::{Value, json};
use store::keys::{self, APPLICATION_SK, IDEMPOTENCY_SK, PK, SK};
use store::{Item, Store, table_key};

use crate::Bench;
use crate::capacity::{self, Call, Recorder, item_size};
use crate::cases;
use crate::events::{self, APP_ID};
use crate::handler::{invoke, route_label};

/// The item sizes a case touched, in bytes (DynamoDB's sizing rules).
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    pub app_before: usize,
    pub app_after: usize,
    pub child_before: usize,
    pub child_after: usize,
    /// The idempotency record.
    pub record: usize,
    /// What a list must read: `limit + 1` items.
    pub list_read: usize,
    /// The application's other items (children), before the request.
    pub children: Vec<usize>,
}

impl Sizes {
    pub fn partition(&self) -> usize {
        self.app_before + self.children.iter().sum::<usize>()
    }
}

/// One case's outcome.
pub struct CaseResult {
    pub label: String,
    pub route: String,
    pub event: String,
    pub overhead: bool,
    pub status: u16,
    pub documented: &'static str,
    pub calls: Vec<Call>,
    pub formula: &'static str,
    pub minimum: f64,
    pub sizes: Sizes,
}

impl CaseResult {
    pub fn to_json(&self) -> Value {
        let (units, index_units) = capacity::total(&self.calls);
        json!({
            "case": self.label,
            "route": self.route,
            "event": format!("events/{}.json", self.event),
            "status": self.status,
            "documented_calls": self.documented,
            "calls": capacity::calls_json(&self.calls),
            "capacity_units": units,
            "index_capacity_units": index_units,
            "documented_minimum_units": self.minimum,
            "minimum_formula": self.formula,
            "item_sizes_bytes": {
                "application_before": self.sizes.app_before,
                "application_after": self.sizes.app_after,
                "child_before": self.sizes.child_before,
                "child_after": self.sizes.child_after,
                "idempotency_record": self.sizes.record,
                "list_read": self.sizes.list_read,
                "children": self.sizes.children,
            },
        })
    }
}

async fn size_of(client: &Client, table: &str, key: Item) -> usize {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .ok()
        .and_then(|out| out.item)
        .map(|item| item_size(&item))
        .unwrap_or(0)
}

fn app_key(user: &UserId, app: Id) -> Item {
    table_key(keys::application_pk(user, app), APPLICATION_SK)
}

fn child_kind(path: &str) -> Option<ChildKind> {
    match path.trim_matches('/').split('/').nth(2) {
        Some("feedback") => Some(ChildKind::Feedback),
        Some("rejections") => Some(ChildKind::Rejection),
        _ => None,
    }
}

/// Sizes of the items a list reads: the first `limit + 1`, which the store lists.
async fn list_read(store: &Store, event: &Value, user: &UserId, app: Id) -> Result<usize, String> {
    let limit = events::query_limit(event).unwrap_or(api::extract::DEFAULT_PAGE_SIZE) + 1;
    let fail = |e| format!("listing to size a list: {e:?}");
    let keys: Vec<Item> = match child_kind(events::raw_path(event)) {
        None => store
            .list_applications(user, &ApplicationFilter::default(), limit, None)
            .await
            .map_err(fail)?
            .items
            .iter()
            .map(|application| app_key(user, application.id))
            .collect(),
        Some(ChildKind::Feedback) => child_keys::<Feedback>(store, user, app, limit)
            .await
            .map_err(fail)?,
        Some(ChildKind::Rejection) => child_keys::<Rejection>(store, user, app, limit)
            .await
            .map_err(fail)?,
    };
    let mut total = 0;
    for key in keys {
        total += size_of(store.client(), store.table(), key).await;
    }
    Ok(total)
}

async fn child_keys<T: ChildResource>(
    store: &Store,
    user: &UserId,
    app: Id,
    limit: usize,
) -> store::StoreResult<Vec<Item>> {
    let page = store.list_children::<T>(user, app, limit, None).await?;
    Ok(page
        .items
        .iter()
        .map(|child| {
            table_key(
                keys::application_pk(user, app),
                &keys::child_sk(T::KIND, child.id()),
            )
        })
        .collect())
}

async fn children(
    client: &Client,
    table: &str,
    user: &UserId,
    app: Id,
) -> Result<Vec<usize>, String> {
    let out = client
        .query()
        .table_name(table)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", PK)
        .expression_attribute_values(":pk", AttributeValue::S(keys::application_pk(user, app)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| format!("sizing a partition: {e}"))?;
    Ok(out
        .items()
        .iter()
        .filter(|item| {
            item.get(SK).and_then(|v| v.as_s().ok()).map(String::as_str) != Some(APPLICATION_SK)
        })
        .map(item_size)
        .collect())
}

pub async fn run(bench: &mut Bench) -> Result<Vec<CaseResult>, String> {
    let recorder = Recorder::default();
    let instrumented = recorder.instrument(bench.client());
    let (client, table) = (bench.client().clone(), bench.table().to_owned());
    let mut results = Vec::new();
    for (index, case) in cases::all().into_iter().enumerate() {
        let event = bench.event(case.event)?;
        let path = events::raw_path(&event).to_owned();
        let (path_app, path_child) = events::ids_in_path(&path);
        let app = path_app
            .or_else(|| APP_ID.parse().ok())
            .ok_or("no application id")?;
        let sub = format!("bench-cost-{index:02}");
        let user = UserId::parse(&sub).ok_or("bad user")?;
        bench.seed(&sub, &(case.seed)(app)).await?;
        let mut json = events::with_sub(&event, &sub);
        if case.drop_idempotency_key {
            json = events::without_header(&json, "idempotency-key");
        }
        let text = json.to_string();
        let router = case.function().router(bench.state(instrumented.clone()));
        if case.prime {
            invoke(&router, &text).await?;
        }
        let application_key = app_key(&user, app);
        let child_key = |id: Id| {
            child_kind(&path)
                .map(|kind| table_key(keys::application_pk(&user, app), &keys::child_sk(kind, id)))
        };
        let mut sizes = Sizes {
            app_before: size_of(&client, &table, application_key.clone()).await,
            children: if path_app.is_some() {
                children(&client, &table, &user, app).await?
            } else {
                Vec::new()
            },
            ..Sizes::default()
        };
        if let Some(key) = path_child.and_then(child_key) {
            sizes.child_before = size_of(&client, &table, key).await;
        }
        recorder.take();
        let (status, body) = invoke(&router, &text).await?;
        let calls = recorder.take();
        if !(200..300).contains(&status) {
            return Err(format!("{}: status {status}: {body}", case.label));
        }
        let created: Option<Id> = (events::method(&json) == "POST")
            .then(|| body.get("id").and_then(Value::as_str)?.parse().ok())
            .flatten();
        sizes.app_after = match (child_kind(&path), path_app, created) {
            (None, None, Some(id)) => size_of(&client, &table, app_key(&user, id)).await,
            _ => size_of(&client, &table, application_key.clone()).await,
        };
        if let Some(key) = created.or(path_child).and_then(child_key) {
            sizes.child_after = size_of(&client, &table, key).await;
        }
        if let Some(idempotency_key) = json
            .get("headers")
            .and_then(Value::as_object)
            .and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("idempotency-key"))
            })
            .and_then(|(_, v)| v.as_str())
        {
            let pk = keys::idempotency_pk(&user, "POST /applications", idempotency_key);
            sizes.record = size_of(&client, &table, table_key(pk, IDEMPOTENCY_SK)).await;
        }
        if events::method(&json) == "GET" && path_child.is_none() && !path.contains("health") {
            let is_list = path == "/applications" || child_kind(&path).is_some();
            if is_list {
                sizes.list_read = list_read(&bench.state.store, &json, &user, app).await?;
            }
        }
        let minimum = (case.minimum)(&sizes);
        let (units, _) = capacity::total(&calls);
        eprintln!(
            "  capacity {:<48} {:<60} {:>5} CU (minimum {})",
            case.label,
            capacity::describe(&calls),
            units,
            minimum
        );
        results.push(CaseResult {
            label: case.label.to_owned(),
            route: route_label(&json),
            event: case.event.to_owned(),
            overhead: case.baseline.is_some(),
            status,
            documented: case.documented,
            calls,
            formula: case.formula,
            minimum,
            sizes,
        });
    }
    Ok(results)
}
