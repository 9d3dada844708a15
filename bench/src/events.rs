//! The API Gateway (HTTP API, payload v2) events the benchmarks replay: `events/<name>.json`
//! (the integration tests replay every one of them, so they stay current), and helpers that
//! read and adjust them.

use std::collections::HashMap;
use std::path::Path;

use domain::Id;
use serde_json::{Value, json};

pub const APP_ID: &str = "01JDQ6ZK3V9V6M1T4WZ8X2Y3AB";
pub const FEEDBACK_ID: &str = "01JDQ70000000000000000FB01";
pub const REJECTION_ID: &str = "01JDQ70000000000000000RJ01";
pub const DEMO_USER: &str = "demo-user";

/// Events by name, loaded once.
#[derive(Default)]
pub struct Events {
    cache: HashMap<String, Value>,
}

impl Events {
    pub fn get(&mut self, root: &Path, name: &str) -> Result<Value, String> {
        if let Some(event) = self.cache.get(name) {
            return Ok(event.clone());
        }
        let text = std::fs::read_to_string(root.join("events").join(format!("{name}.json")))
            .map_err(|e| format!("cannot read events/{name}.json: {e}"))?;
        let event: Value = serde_json::from_str(&text)
            .map_err(|e| format!("events/{name}.json is not JSON: {e}"))?;
        // Every event but the table stream's (the sweeper's `Records`) is an API request.
        if event.get("Records").is_none() {
            api::function::request_of_event(&text)
                .map_err(|e| format!("events/{name}.json is not an HTTP API v2 event: {e}"))?;
        }
        self.cache.insert(name.to_owned(), event.clone());
        Ok(event)
    }
}

/// The ids a path names: `/applications/{app}/…/{child}`.
pub fn ids_in_path(path: &str) -> (Option<Id>, Option<Id>) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let app = segments.get(1).and_then(|s| s.parse().ok());
    let child = segments.get(3).and_then(|s| s.parse().ok());
    (app, child)
}

/// The event with another caller: each benchmark works in its own slice of the table.
pub fn with_sub(event: &Value, sub: &str) -> Value {
    let mut event = event.clone();
    if let Some(claims) = event
        .pointer_mut("/requestContext/authorizer/jwt/claims")
        .and_then(Value::as_object_mut)
    {
        claims.insert("sub".into(), json!(sub));
        if claims.contains_key("username") {
            claims.insert("username".into(), json!(sub));
        }
    }
    event
}

pub fn without_header(event: &Value, name: &str) -> Value {
    let mut event = event.clone();
    if let Some(headers) = event.get_mut("headers").and_then(Value::as_object_mut) {
        headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
    }
    event
}

pub fn has_header(event: &Value, name: &str) -> bool {
    event
        .get("headers")
        .and_then(Value::as_object)
        .is_some_and(|headers| headers.keys().any(|key| key.eq_ignore_ascii_case(name)))
}

pub fn raw_path(event: &Value) -> &str {
    event.get("rawPath").and_then(Value::as_str).unwrap_or("/")
}

pub fn method(event: &Value) -> &str {
    event
        .pointer("/requestContext/http/method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
}

/// The request body as JSON (`Null` when there is none or it is not JSON).
pub fn body_json(event: &Value) -> Value {
    event
        .get("body")
        .and_then(Value::as_str)
        .and_then(|body| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null)
}

/// `limit` from the query string, if any.
pub fn query_limit(event: &Value) -> Option<usize> {
    let query = event.get("rawQueryString").and_then(Value::as_str)?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "limit").then(|| value.parse().ok()).flatten()
    })
}

/// Whether the query string holds a list filter (status, tag, q, follow_up_due).
pub fn has_filter(event: &Value) -> bool {
    let query = event
        .get("rawQueryString")
        .and_then(Value::as_str)
        .unwrap_or_default();
    query.split('&').any(|pair| {
        let key = pair.split('=').next().unwrap_or_default();
        matches!(key, "status" | "tag" | "q" | "follow_up_due")
    })
}
