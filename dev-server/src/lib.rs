//! The local dev server: what API Gateway (HTTP API, payload v2, JWT authorizer) does in AWS,
//! in front of the very routers the Lambdas run.
//!
//! For each request it picks the function that owns the path, verifies the bearer token unless
//! the route is public or the request a CORS preflight (`OPTIONS`) — as the template's JWT
//! authorizer does: signature (HS256, `LOCAL_JWT_SECRET`), `exp`, `nbf`, `iat`, `iss` and
//! `aud`/`client_id` ([`LocalAuth`]) — and
//! turns the request into an API Gateway v2 event with the verified claims in
//! `requestContext.authorizer.jwt.claims` and the path percent-decoded (as HTTP API hands it
//! over); then hands that event to `lambda_http`'s own event parsing and the function's router,
//! exactly as in Lambda.

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

pub mod web;

/// The development default of `LOCAL_JWT_SECRET` (printed in the README; never used in AWS).
pub const DEV_JWT_SECRET: &str = "feedback-tracker-local-dev-secret";
/// The issuer (`iss`) of local tokens unless `LOCAL_JWT_ISSUER` names another; in AWS the
/// template's authorizer expects its user pool's URL (or `JwtIssuer`).
pub const DEV_JWT_ISSUER: &str = "feedback-tracker-dev";
/// The audience (`aud`) of local tokens unless `LOCAL_JWT_AUDIENCE` names another; in AWS the
/// template's authorizer expects its user pool client's id (or `JwtAudience`).
pub const DEV_JWT_AUDIENCE: &str = "feedback-tracker-dev-client";
/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY_SECONDS: u64 = 5;
/// The user the start-up banner prints a token for.
pub const DEMO_USER: &str = "demo-user";
/// API Gateway accepts up to 10 MB; the functions answer 413 above their own limit.
const MAX_FORWARDED_BODY: usize = 10 * 1024 * 1024;

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

/// What the dev server's authorizer accepts, as the template's `JwtConfiguration` does in AWS:
/// tokens signed with one secret (HS256 here, the provider's keys there), from one issuer, for
/// one audience. It also mints such tokens.
#[derive(Clone)]
pub struct LocalAuth {
    secret: String,
    decoding_key: DecodingKey,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for LocalAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAuth")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl LocalAuth {
    /// Refuses an empty secret (anyone could sign tokens), issuer or audience.
    pub fn new(secret: &str, issuer: &str, audience: &str) -> Result<Self, String> {
        if secret.is_empty() {
            return Err("LOCAL_JWT_SECRET is empty: anyone could sign tokens".to_owned());
        }
        if issuer.trim().is_empty() || audience.trim().is_empty() {
            return Err("LOCAL_JWT_ISSUER and LOCAL_JWT_AUDIENCE must not be empty".to_owned());
        }
        Ok(Self {
            secret: secret.to_owned(),
            decoding_key: DecodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// The development defaults with this secret.
    pub fn with_secret(secret: &str) -> Result<Self, String> {
        Self::new(secret, DEV_JWT_ISSUER, DEV_JWT_AUDIENCE)
    }

    /// `LOCAL_JWT_SECRET`, `LOCAL_JWT_ISSUER` and `LOCAL_JWT_AUDIENCE` as `lookup` reads them,
    /// each defaulting to its development value when unset (set but empty is refused).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let secret = lookup("LOCAL_JWT_SECRET").unwrap_or_else(|| DEV_JWT_SECRET.to_owned());
        let issuer = lookup("LOCAL_JWT_ISSUER").unwrap_or_else(|| DEV_JWT_ISSUER.to_owned());
        let audience = lookup("LOCAL_JWT_AUDIENCE").unwrap_or_else(|| DEV_JWT_AUDIENCE.to_owned());
        Self::new(&secret, &issuer, &audience)
    }

    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Signs a token for `sub`, valid for `ttl_seconds`, that this authorizer accepts.
    pub fn mint(&self, sub: &str, ttl_seconds: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        sign(
            &self.secret,
            &json!({
                "sub": sub, "iat": now, "nbf": now, "exp": now + ttl_seconds,
                "iss": self.issuer, "aud": self.audience,
            }),
        )
    }

    /// Checks `Authorization: Bearer <jwt>` as API Gateway's JWT authorizer does: the
    /// signature; `exp` in the future and `nbf`/`iat`, when present, not (5 s leeway); `iss` the
    /// issuer; `aud` naming the audience, or without `aud`, `client_id` equal to it (Cognito
    /// access tokens); and a `sub`.
    pub fn verify(&self, headers: &HeaderMap) -> Result<Claims, ApiError> {
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
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        // `aud` or `client_id`, checked below as API Gateway does.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        let invalid = || unauthorized("the bearer token is invalid or expired");
        let claims = jsonwebtoken::decode::<Map<String, Value>>(
            token.trim(),
            &self.decoding_key,
            &validation,
        )
        .map_err(|_| invalid())?
        .claims;
        let audience_matches = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.audience,
            Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(&self.audience)),
            Some(_) => false,
            None => claims.get("client_id").and_then(Value::as_str) == Some(&self.audience),
        };
        if !audience_matches {
            return Err(unauthorized("the bearer token is not for this API"));
        }
        let now = chrono::Utc::now().timestamp();
        if claims.get("iat").is_some_and(|iat| {
            iat.as_i64()
                .is_none_or(|iat| iat > now + LEEWAY_SECONDS as i64)
        }) {
            return Err(invalid());
        }
        Ok(claims
            .into_iter()
            .map(|(name, value)| (name, claim_string(value)))
            .collect())
    }
}

struct Gateway {
    /// Each function with its route templates and its router, built once.
    functions: Vec<(&'static Function, Vec<String>, Router)>,
    auth: LocalAuth,
}

/// The dev server's whole app, accepting tokens signed with `jwt_secret` for the development
/// issuer and audience (what [`mint_token`] makes). Panics on an empty secret.
pub fn app(state: ApiState, jwt_secret: &str) -> Router {
    app_with(
        |_| state.clone(),
        LocalAuth::with_secret(jwt_secret).expect("a non-empty JWT secret"),
    )
}

/// The dev server's whole app, its authorizer `auth`, each function over the state `state_of`
/// gives it (the tests give each a client that holds it to its grants in `template.yaml`).
pub fn app_with(state_of: impl Fn(&Function) -> ApiState, auth: LocalAuth) -> Router {
    let gateway = Gateway {
        functions: FUNCTIONS
            .iter()
            .map(|function| {
                (
                    function,
                    function.routes(),
                    function.router(state_of(function)),
                )
            })
            .collect(),
        auth,
    };
    Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(gateway))
}

/// Locally only: waits up to `DYNAMODB_LOCAL_WAIT` for DynamoDB Local to answer, then creates
/// the table if it is missing (from `store::table`, the definition `template.yaml` declares too);
/// `true` when it made it. Through a [patient](store::patient) copy of `client`: DynamoDB Local
/// starting on a busy machine takes longer than the functions' 0.8 s / 1.8 s to list or create a
/// table.
pub async fn prepare_local_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<bool, String> {
    let client = store::patient(client);
    let deadline = tokio::time::Instant::now() + DYNAMODB_LOCAL_WAIT;
    while client.list_tables().send().await.is_err() {
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "DynamoDB Local did not answer within {} s",
                DYNAMODB_LOCAL_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    store::table::create_if_missing(&client, table)
        .await
        .map_err(|error| {
            let error = aws_sdk_dynamodb::error::DisplayErrorContext(error);
            format!("could not create table `{table}`: {error}")
        })
}

/// What the dev server gives every function: [`ApiState::from_config`], except that against
/// DynamoDB Local its client is [patient](store::patient). The functions' 0.8 s / 1.8 s budget is
/// about latency in AWS; on a busy machine DynamoDB Local answers slower than that, and `make
/// dev`, the fuzzer and the web app's checks would see a 503 where the deployed API answers.
pub async fn dev_state(config: &store::Config, cursors: api::cursor::CursorKey) -> ApiState {
    let mut state = ApiState::from_config(config, cursors).await;
    if config.dynamodb_endpoint.is_some() {
        let client = store::patient(state.store.client());
        state.store = state.store.with_client(client);
    }
    state
}

/// How long [`prepare_local_table`] waits for DynamoDB Local to answer at all.
pub const DYNAMODB_LOCAL_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Refuses (421) a request whose `Host` is not this server's own address on `port`: a page
/// whose name an attacker points at 127.0.0.1 once it has loaded (DNS rebinding) would
/// otherwise be same-origin with the dev server, and read and change its data.
pub fn own_host_only(router: Router, port: &str) -> Router {
    let own: Arc<[String]> = ["127.0.0.1", "localhost", "[::1]"]
        .map(|host| format!("{host}:{port}"))
        .into();
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: axum::middleware::Next| {
            let own = own.clone();
            async move {
                let host = request
                    .headers()
                    .get(header::HOST)
                    .and_then(|host| host.to_str().ok())
                    .unwrap_or_default();
                if own.iter().any(|own| own.eq_ignore_ascii_case(host)) {
                    next.run(request).await
                } else {
                    let problem = json!({"type": "/problems/misdirected", "title": "Misdirected request",
                        "status": 421, "detail": "this server answers only to its own address"});
                    (
                        axum::http::StatusCode::MISDIRECTED_REQUEST,
                        [(header::CONTENT_TYPE, "application/problem+json")],
                        problem.to_string(),
                    )
                        .into_response()
                }
            }
        },
    ))
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
    // As the template: public routes and every CORS preflight (`OPTIONS`) skip the authorizer.
    let claims = if function.public || request.method() == axum::http::Method::OPTIONS {
        None
    } else {
        match gateway.auth.verify(request.headers()) {
            Ok(claims) => Some(claims),
            Err(error) => return error.into_response(),
        }
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_FORWARDED_BODY).await else {
        return ApiError::body_over(api::extract::BODY_LIMIT_BYTES).into_response();
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

/// Signs a dev token for `sub`, valid for `ttl_seconds`, with the development issuer and
/// audience (what [`app`] accepts).
pub fn mint_token(secret: &str, sub: &str, ttl_seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    sign(
        secret,
        &json!({
            "sub": sub, "iat": now, "nbf": now, "exp": now + ttl_seconds,
            "iss": DEV_JWT_ISSUER, "aud": DEV_JWT_AUDIENCE,
        }),
    )
}

fn sign(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
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
    // API Gateway's `host` is the domain the client called: here, the address the request came
    // to (so absolute URLs a function builds, like the calendar feed's, point back at this server).
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    headers.insert("host".into(), json!(host));
    headers.insert("x-forwarded-proto".into(), json!("http"));
    let (body, base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (json!(text), false),
        Err(_) => (json!(encode_base64(body)), true),
    };
    let now = chrono::Utc::now();
    // API Gateway's HTTP API hands the path over percent-decoded, `rawPath` and path parameters
    // alike (docs/deploy.md names the reports); the route was matched on the path as sent.
    let path = parts.uri.path();
    let decoded_path = percent_decoded(path);
    let route_key = format!("ANY {route}");
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": decoded_path,
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
                "path": decoded_path,
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

/// The route's parameters in `path` (as sent), each percent-decoded.
fn path_parameters(route: &str, path: &str) -> Map<String, Value> {
    match_route(route, path)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| (name, Value::String(percent_decoded(&value))))
        .collect()
}

/// `text` with each `%XX` decoded (`+` stays `+`: this is a path). Left as it is when the
/// result would not be UTF-8, which an event (JSON) cannot carry.
fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_or_else(|_| text.to_owned(), |decoded| decoded.into_owned())
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

    #[tokio::test]
    async fn only_requests_to_its_own_address_are_answered() {
        let app = own_host_only(
            Router::new().route("/", axum::routing::get(|| async { "ok" })),
            "3000",
        );
        let status = |host: Option<&str>| {
            let mut request = axum::http::Request::builder().uri("/");
            if let Some(host) = host {
                request = request.header(header::HOST, host);
            }
            let app = app.clone();
            async move {
                let request = request.body(Body::empty()).unwrap();
                app.oneshot(request).await.unwrap().status().as_u16()
            }
        };
        for own in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
        ] {
            assert_eq!(status(Some(own)).await, 200, "{own}");
        }
        for other in [
            "evil.example:3000",
            "127.0.0.1:3001",
            "127.0.0.1",
            "evil.example",
        ] {
            assert_eq!(status(Some(other)).await, 421, "{other}");
        }
        assert_eq!(status(None).await, 421);
    }

    #[test]
    fn paths_are_percent_decoded_as_api_gateway_does() {
        assert_eq!(
            percent_decoded("/applications/A%3Fx%2Fy%23z"),
            "/applications/A?x/y#z"
        );
        assert_eq!(percent_decoded("/a%00b%20c+d"), "/a\0b c+d");
        assert_eq!(percent_decoded("/caf%C3%A9"), "/caf\u{e9}");
        // Not UTF-8 once decoded, or not an escape: as it was.
        assert_eq!(percent_decoded("/docs/%ff.js"), "/docs/%ff.js");
        assert_eq!(percent_decoded("/a%2"), "/a%2");
        assert_eq!(percent_decoded("/a%zz"), "/a%zz");
    }

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

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    /// A token with exactly these claims, signed with `secret`.
    fn token(secret: &str, claims: Value) -> String {
        sign(secret, &claims)
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn tokens_verify_and_expire() {
        let auth = LocalAuth::with_secret("s").unwrap();
        assert!(auth.verify(&HeaderMap::new()).is_err());
        let claims = auth.verify(&bearer(&mint_token("s", "alice", 60))).unwrap();
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["iss"], DEV_JWT_ISSUER);
        assert_eq!(claims["aud"], DEV_JWT_AUDIENCE);
        assert!(
            auth.verify(&bearer(&mint_token("s", "alice", -60)))
                .is_err()
        );
        assert!(
            auth.verify(&bearer(&mint_token("other", "alice", 60)))
                .is_err()
        );
    }

    #[test]
    fn issuer_audience_and_times_are_checked_like_the_jwt_authorizer() {
        let auth = LocalAuth::new("s", "https://issuer.example", "client-1").unwrap();
        let (now, iss) = (now(), "https://issuer.example");
        let accepted = [
            json!({"sub": "a", "exp": now + 60, "iss": iss, "aud": "client-1"}),
            json!({"sub": "a", "exp": now + 60, "iss": iss, "aud": ["other", "client-1"]}),
            // A Cognito access token: no `aud`, the client in `client_id`.
            json!({"sub": "a", "exp": now + 60, "iss": iss, "client_id": "client-1"}),
            json!({"sub": "a", "exp": now + 60, "nbf": now - 10, "iat": now - 10, "iss": iss, "aud": "client-1"}),
        ];
        for claims in accepted {
            assert!(
                auth.verify(&bearer(&token("s", claims.clone()))).is_ok(),
                "{claims}"
            );
        }
        let refused = [
            // Another issuer, or none.
            json!({"sub": "a", "exp": now + 60, "iss": "https://other.example", "aud": "client-1"}),
            json!({"sub": "a", "exp": now + 60, "aud": "client-1"}),
            // Another audience, or none; `client_id` counts only without `aud`.
            json!({"sub": "a", "exp": now + 60, "iss": iss, "aud": "client-2"}),
            json!({"sub": "a", "exp": now + 60, "iss": iss}),
            json!({"sub": "a", "exp": now + 60, "iss": iss, "aud": "client-2", "client_id": "client-1"}),
            // Not valid yet, or issued in the future.
            json!({"sub": "a", "exp": now + 600, "nbf": now + 300, "iss": iss, "aud": "client-1"}),
            json!({"sub": "a", "exp": now + 600, "iat": now + 300, "iss": iss, "aud": "client-1"}),
            // No subject, no expiry.
            json!({"exp": now + 60, "iss": iss, "aud": "client-1"}),
            json!({"sub": "a", "iss": iss, "aud": "client-1"}),
        ];
        for claims in refused {
            assert!(
                auth.verify(&bearer(&token("s", claims.clone()))).is_err(),
                "{claims}"
            );
        }
        // Its own tokens carry what it expects.
        assert!(auth.verify(&bearer(&auth.mint("a", 60))).is_ok());
        let dev_token = mint_token("s", "a", 60);
        assert!(auth.verify(&bearer(&dev_token)).is_err());
    }

    #[test]
    fn an_empty_secret_is_refused_and_the_defaults_are_configurable() {
        assert!(LocalAuth::new("", DEV_JWT_ISSUER, DEV_JWT_AUDIENCE).is_err());
        assert!(LocalAuth::new("s", "", DEV_JWT_AUDIENCE).is_err());
        assert!(LocalAuth::new("s", DEV_JWT_ISSUER, " ").is_err());
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(LocalAuth::from_lookup(env(&[("LOCAL_JWT_SECRET", "")])).is_err());
        let defaults = LocalAuth::from_lookup(env(&[])).unwrap();
        assert_eq!(
            (defaults.issuer(), defaults.audience()),
            (DEV_JWT_ISSUER, DEV_JWT_AUDIENCE)
        );
        assert!(
            defaults
                .verify(&bearer(&mint_token(DEV_JWT_SECRET, "a", 60)))
                .is_ok()
        );
        let configured = LocalAuth::from_lookup(env(&[
            (
                "LOCAL_JWT_ISSUER",
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X",
            ),
            ("LOCAL_JWT_AUDIENCE", "abc123"),
        ]))
        .unwrap();
        assert_eq!(configured.audience(), "abc123");
        assert!(
            configured
                .verify(&bearer(&configured.mint("a", 60)))
                .is_ok()
        );
    }
}
