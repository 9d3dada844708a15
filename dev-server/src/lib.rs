//! The local dev server: what API Gateway (HTTP API, payload v2, JWT authorizer) does in AWS,
//! in front of the very routers the Lambdas run.
//!
//! For each request it picks the function that owns the path, verifies the bearer token (HS256,
//! `LOCAL_JWT_SECRET`) unless the route is public, and turns the request into an API Gateway v2
//! event with the verified claims in `requestContext.authorizer.jwt.claims` — then hands that
//! event to `lambda_http`'s own event parsing and the function's router, exactly as in Lambda.

use std::collections::HashMap;
use std::sync::Arc;

use api::error::ApiError;
use api::{ApiState, Function};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64_engine::encode_base64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// The development default of `LOCAL_JWT_SECRET` (printed in the README; never used in AWS).
pub const DEV_JWT_SECRET: &str = "feedback-tracker-local-dev-secret";
/// The user the start-up banner prints a token for.
pub const DEMO_USER: &str = "demo-user";
/// API Gateway accepts up to 10 MB; the functions answer 413 above their own limit.
const MAX_FORWARDED_BODY: usize = 1024 * 1024;

/// Every function under `functions/`, as `template.yaml` deploys them (tests check both).
pub use health::FUNCTIONS;

/// The path parameters an API Gateway route template (`/a/{id}`, `/docs/{proxy+}`) takes from
/// `path`, or `None` when the template does not match it: `{name}` matches one non-empty
/// segment, `{name+}` the non-empty rest.
pub fn match_route(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut wanted = template.trim_start_matches('/').split('/');
    let mut given = path.trim_start_matches('/').split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(part), Some(segment)) => {
                if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
                    let rest = std::iter::once(segment)
                        .chain(given)
                        .collect::<Vec<_>>()
                        .join("/");
                    return (!rest.is_empty() && wanted.next().is_none()).then(|| {
                        params.push((name.to_owned(), rest));
                        params
                    });
                }
                if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if segment.is_empty() {
                        return None;
                    }
                    params.push((name.to_owned(), segment.to_owned()));
                } else if part != segment {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

struct Gateway {
    /// Each function with its route templates and its router, built once.
    functions: Vec<(&'static Function, Vec<String>, Router)>,
    decoding_key: DecodingKey,
}

/// The dev server's whole app.
pub fn app(state: ApiState, jwt_secret: &str) -> Router {
    let gateway = Gateway {
        functions: FUNCTIONS
            .iter()
            .map(|function| (function, function.routes(), function.router(state.clone())))
            .collect(),
        decoding_key: DecodingKey::from_secret(jwt_secret.as_bytes()),
    };
    Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(gateway))
}

/// A path as it may be logged: a calendar feed's path is its secret token, so it is redacted.
pub fn loggable(path: &str) -> String {
    if path.starts_with("/calendar/") {
        "/calendar/<redacted>".to_owned()
    } else {
        path.to_owned()
    }
}

async fn dispatch(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let (method, path) = (request.method().clone(), loggable(request.uri().path()));
    let response = route(&gateway, request).await;
    tracing::info!(
        "{method} {path} -> {} ({} ms)",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

async fn route(gateway: &Gateway, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((function, router, route)) =
        gateway
            .functions
            .iter()
            .find_map(|(function, routes, router)| {
                routes
                    .iter()
                    .find(|route| match_route(route, &path).is_some())
                    .map(|route| (function, router, route.as_str()))
            })
    else {
        return ApiError::NotFound.into_response();
    };
    let claims = if function.public {
        None
    } else {
        match verify_bearer(request.headers(), &gateway.decoding_key) {
            Ok(claims) => Some(claims),
            Err(error) => return error.into_response(),
        }
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_FORWARDED_BODY).await else {
        return ApiError::PayloadTooLarge(api::extract::BODY_LIMIT_BYTES).into_response();
    };
    let event = apigw_event(&parts, route, &body, claims.as_ref());
    match lambda_http::request::from_str(&event.to_string()) {
        Ok(lambda_request) => {
            let (parts, body) = lambda_request.into_parts();
            let request = Request::from_parts(parts, Body::from(body.to_vec()));
            match router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(infallible) => match infallible {},
            }
        }
        Err(error) => {
            tracing::error!(%error, "could not build the API Gateway event");
            ApiError::Internal.into_response()
        }
    }
}

/// Claims as API Gateway's JWT authorizer passes them: every value a string.
pub type Claims = HashMap<String, String>;

/// Checks `Authorization: Bearer <jwt>` like API Gateway's JWT authorizer: signature, `exp`, `sub`.
pub fn verify_bearer(headers: &HeaderMap, key: &DecodingKey) -> Result<Claims, ApiError> {
    let unauthorized = |why: &str| ApiError::Unauthorized(why.to_owned());
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("a bearer token is required"))?
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is malformed"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token.trim(), key, &validation)
        .map_err(|_| unauthorized("the bearer token is invalid or expired"))?;
    Ok(data
        .claims
        .into_iter()
        .map(|(name, value)| (name, claim_string(value)))
        .collect())
}

/// API Gateway flattens claims to strings; arrays read `[a b]`.
fn claim_string(value: Value) -> String {
    match value {
        Value::String(text) => text,
        Value::Array(items) => format!(
            "[{}]",
            items
                .into_iter()
                .map(claim_string)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

/// Signs a dev token for `sub`, valid for `ttl_seconds`.
pub fn mint_token(secret: &str, sub: &str, ttl_seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims =
        json!({"sub": sub, "iat": now, "exp": now + ttl_seconds, "iss": "feedback-tracker-dev"});
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing with a byte secret cannot fail")
}

/// The HTTP API (payload v2) event API Gateway would send for this request.
pub fn apigw_event(
    parts: &axum::http::request::Parts,
    route: &str,
    body: &[u8],
    claims: Option<&Claims>,
) -> Value {
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        // API Gateway sets these itself; lambda_http builds the URI from them.
        if matches!(
            name.as_str(),
            "host" | "x-forwarded-proto" | "x-forwarded-port"
        ) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                if let Value::String(existing) = existing {
                    existing.push(',');
                    existing.push_str(&value);
                }
            })
            .or_insert(Value::String(value));
    }
    headers.insert("host".into(), json!("localhost"));
    headers.insert("x-forwarded-proto".into(), json!("http"));
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (json!(text), false),
        Err(_) => (json!(encode_base64(body)), true),
    };
    let now = chrono::Utc::now();
    let path = parts.uri.path();
    let route_key = format!("ANY {route}");
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": parts.uri.query().unwrap_or_default(),
        "headers": headers,
        "pathParameters": path_parameters(route, path),
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": claims.map(|claims| json!({"jwt": {"claims": claims, "scopes": null}})),
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": parts.headers.get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok()).unwrap_or_default(),
            },
            "requestId": ulid_like_request_id(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "body": body,
        "isBase64Encoded": base64,
    })
}

fn path_parameters(route: &str, path: &str) -> Map<String, Value> {
    match_route(route, path)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect()
}

fn ulid_like_request_id() -> String {
    domain::Id::generate().to_string()
}

mod base64_engine {
    use base64::Engine;
    pub fn encode_base64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_by_segment_like_api_gateway() {
        let params = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(match_route("/applications", "/applications"), params(&[]));
        assert_eq!(
            match_route("/applications/{id}", "/applications/X"),
            params(&[("id", "X")])
        );
        assert_eq!(match_route("/applications/{id}", "/applications"), None);
        assert_eq!(match_route("/applications/{id}", "/applications/"), None);
        assert_eq!(match_route("/applications/{id}", "/applications/a/b"), None);
        assert_eq!(match_route("/applications", "/applications/X"), None);
        assert_eq!(
            match_route("/docs/{proxy+}", "/docs/a/b.css"),
            params(&[("proxy", "a/b.css")])
        );
        assert_eq!(match_route("/docs/{proxy+}", "/docs"), None);
    }

    #[test]
    fn tokens_verify_and_expire() {
        let key = DecodingKey::from_secret(b"s");
        let mut headers = HeaderMap::new();
        assert!(verify_bearer(&headers, &key).is_err());
        let token = mint_token("s", "alice", 60);
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        assert_eq!(verify_bearer(&headers, &key).unwrap()["sub"], "alice");
        let expired = mint_token("s", "alice", -60);
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {expired}").parse().unwrap(),
        );
        assert!(verify_bearer(&headers, &key).is_err());
        let wrong = mint_token("other", "alice", 60);
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {wrong}").parse().unwrap(),
        );
        assert!(verify_bearer(&headers, &key).is_err());
    }
}
