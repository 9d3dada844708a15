//! The API Gateway (HTTP API, payload v2) events the benchmarks replay: `events/<name>.json`,
//! or, when a file is missing, an equivalent event built the way the dev server builds one
//! (the run records which).

use std::collections::HashMap;
use std::path::Path;

use axum::http::{Method, Request};
use serde_json::{Value, json};

pub const APP_ID: &str = "01JDQ6ZK3V9V6M1T4WZ8X2Y3AB";
pub const FEEDBACK_ID: &str = "01JDQ70000000000000000FB01";
pub const REJECTION_ID: &str = "01JDQ70000000000000000RJ01";
pub const DEMO_USER: &str = "demo-user";

#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub json: Value,
    /// Whether it came from `events/` (else it was built here).
    pub from_file: bool,
}

/// Events by name, loaded once.
#[derive(Default)]
pub struct Events {
    cache: HashMap<String, Event>,
}

impl Events {
    pub fn get(&mut self, root: &Path, name: &str) -> Result<Event, String> {
        if let Some(event) = self.cache.get(name) {
            return Ok(event.clone());
        }
        let path = root.join("events").join(format!("{name}.json"));
        let event = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read events/{name}.json: {e}"))?;
            let json: Value = serde_json::from_str(&text)
                .map_err(|e| format!("events/{name}.json is not JSON: {e}"))?;
            lambda_http::request::from_str(&text)
                .map_err(|e| format!("events/{name}.json is not an HTTP API v2 event: {e}"))?;
            Event {
                name: name.to_owned(),
                json,
                from_file: true,
            }
        } else {
            Event {
                name: name.to_owned(),
                json: built(name)?,
                from_file: false,
            }
        };
        self.cache.insert(name.to_owned(), event.clone());
        Ok(event)
    }

    /// The events that were built because their file was missing.
    pub fn built_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .cache
            .values()
            .filter(|e| !e.from_file)
            .map(|e| e.name.clone())
            .collect();
        names.sort();
        names
    }
}

fn default_application() -> Value {
    json!({"company": "Acme Corp", "role": "Senior Backend Engineer", "status": "applied",
           "job_url": "https://jobs.acme.example/openings/backend-123", "location": "Berlin",
           "work_mode": "hybrid", "source": "linkedin", "salary_min": 80000, "salary_max": 95000,
           "salary_currency": "EUR", "tags": ["rust", "aws"],
           "notes": "Referred by a former colleague.", "follow_up_on": "2026-12-01"})
}

/// An equivalent of `events/<name>.json`, built like the dev server builds events.
fn built(name: &str) -> Result<Value, String> {
    let app = format!("/applications/{APP_ID}");
    let feedback = format!("{app}/feedback");
    let rejections = format!("{app}/rejections");
    let (method, path, route, body): (Method, String, &str, Option<Value>) = match name {
        "applications-create" => (
            Method::POST,
            "/applications".into(),
            "/applications",
            Some(default_application()),
        ),
        "applications-list" => (
            Method::GET,
            "/applications?limit=10".into(),
            "/applications",
            None,
        ),
        "applications-get" => (Method::GET, app, "/applications/{id}", None),
        "applications-patch" => (
            Method::PATCH,
            app,
            "/applications/{id}",
            Some(json!({"status": "offer", "salary_min": 90000, "salary_max": 105000})),
        ),
        "applications-put" => (
            Method::PUT,
            app,
            "/applications/{id}",
            Some(json!({"role": "Staff Backend Engineer", "status": "interviewing"})),
        ),
        "applications-delete" => (Method::DELETE, app, "/applications/{id}", None),
        "feedback-create" => (
            Method::POST,
            feedback,
            "/applications/{id}/feedback",
            Some(json!({"feedback_date": "2026-11-20", "stage": "technical",
                        "interviewer": "Ada Lovelace", "rating": 4,
                        "comments": "Strong on data modelling.",
                        "strengths": ["rust", "sql"], "improvements": ["kubernetes"]})),
        ),
        "feedback-list" => (Method::GET, feedback, "/applications/{id}/feedback", None),
        "feedback-get" => (
            Method::GET,
            format!("{feedback}/{FEEDBACK_ID}"),
            "/applications/{id}/feedback/{feedback_id}",
            None,
        ),
        "feedback-patch" => (
            Method::PATCH,
            format!("{feedback}/{FEEDBACK_ID}"),
            "/applications/{id}/feedback/{feedback_id}",
            Some(json!({"stage": "system_design", "interviewer": null})),
        ),
        "feedback-delete" => (
            Method::DELETE,
            format!("{feedback}/{FEEDBACK_ID}"),
            "/applications/{id}/feedback/{feedback_id}",
            None,
        ),
        "rejections-create" => (
            Method::POST,
            rejections,
            "/applications/{id}/rejections",
            Some(json!({"rejected_date": "2026-11-22", "stage": "onsite",
                        "category": "experience_level",
                        "reasons": ["Looking for more years with Kubernetes"]})),
        ),
        "rejections-list" => (
            Method::GET,
            rejections,
            "/applications/{id}/rejections",
            None,
        ),
        "rejections-get" => (
            Method::GET,
            format!("{rejections}/{REJECTION_ID}"),
            "/applications/{id}/rejections/{rejection_id}",
            None,
        ),
        "health-health" => (Method::GET, "/health".into(), "/health", None),
        "health-db-check" => (Method::GET, "/db-check".into(), "/db-check", None),
        other => {
            return Err(format!(
                "no event file events/{other}.json and no built equivalent"
            ));
        }
    };
    let public = name.starts_with("health-");
    let mut request = Request::builder().method(method.clone()).uri(&path);
    if body.is_some() {
        let media = if method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        request = request.header("content-type", media);
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (parts, ()) = request
        .body(())
        .map_err(|e| format!("building event {name}: {e}"))?
        .into_parts();
    let claims: dev_server::Claims = [("sub".to_owned(), DEMO_USER.to_owned())].into();
    let event =
        dev_server::apigw_event(&parts, route, body.as_bytes(), (!public).then_some(&claims));
    Ok(event)
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
