//! A deployed function as the code knows it: its name, whether its routes need a token, and its
//! routes with their documentation — one `OpenApiRouter`, from which its axum router, its part
//! of the OpenAPI document, the dev server's route table and the template's drift test all come.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt as _;
use lambda_http::{LambdaEvent, RequestExt};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::ApiState;

/// One Lambda function under `functions/`.
#[derive(Clone, Copy)]
pub struct Function {
    /// Its folder under `functions/` (the template's `<Name>Function`).
    pub name: &'static str,
    /// Whether its routes are served without a token.
    pub public: bool,
    /// Its annotated routes.
    pub api: fn() -> OpenApiRouter<ApiState>,
}

impl Function {
    /// The router its Lambda runs: its routes, and problem+json for anything else, a path that
    /// cannot name a route included ([`names_a_route`]). A route that takes no query parameter
    /// answers a request with one 400, as a route with parameters answers an unknown one (so
    /// `POST /applications?dry_run=true` creates nothing). Every response carries
    /// `X-Content-Type-Options: nosniff`; every response of a function that needs a token also
    /// `Cache-Control: no-store` (a user's data is never cached by a browser or a proxy).
    pub fn router(&self, state: ApiState) -> Router {
        let (router, document) = (self.api)().split_for_parts();
        let without_query = Arc::new(operations_without_query(&document));
        let public = self.public;
        router
            .route_layer(axum::middleware::from_fn(
                move |matched: MatchedPath, request: Request, next: Next| {
                    let without_query = without_query.clone();
                    async move {
                        let method = match request.method() {
                            &Method::HEAD => Method::GET,
                            method => method.clone(),
                        };
                        let operation = (matched.as_str().to_owned(), method);
                        match request.uri().query().filter(|query| !query.is_empty()) {
                            Some(query) if without_query.contains(&operation) => {
                                let name = query.split(['&', '=']).next().unwrap_or_default();
                                ApiError::BadRequest(format!(
                                    "bad query parameter: unknown field `{name}`, this route takes none"
                                ))
                                .into_response()
                            }
                            _ => next.run(request).await,
                        }
                    }
                },
            ))
            .fallback(|| async { ApiError::NotFound })
            // axum adds the `Allow` header. `OPTIONS` on a known path is 204: a browser's CORS
            // preflight, which carries no token, reaches the function (API Gateway adds the CORS
            // headers); no handler runs, so nothing is read.
            .method_not_allowed_fallback(|method: Method| async move {
                if method == Method::OPTIONS {
                    StatusCode::NO_CONTENT.into_response()
                } else {
                    ApiError::MethodNotAllowed.into_response()
                }
            })
            .layer(axum::middleware::from_fn(
                |request: Request, next: Next| async move {
                    if names_a_route(&request) {
                        next.run(request).await
                    } else {
                        ApiError::NotFound.into_response()
                    }
                },
            ))
            .layer(axum::middleware::map_response(
                move |response: Response| async move {
                    let no_store = (!public).then_some([(header::CACHE_CONTROL, "no-store")]);
                    ([(header::X_CONTENT_TYPE_OPTIONS, "nosniff")], no_store, response)
                },
            ))
            .with_state(state)
    }

    /// Its part of the OpenAPI document.
    pub fn document(&self) -> OpenApi {
        (self.api)().split_for_parts().1
    }

    /// Its route templates (`/applications/{id}`): the OpenAPI paths, which are also the
    /// template's API Gateway route keys.
    pub fn routes(&self) -> Vec<String> {
        self.document().paths.paths.into_keys().collect()
    }

    /// Runs it as the Lambda handler: JSON logs, configuration and the client built once, no
    /// network call before the first event.
    pub async fn run(&self) -> Result<(), lambda_http::Error> {
        crate::telemetry::init(true);
        let state = ApiState::from_env().await.inspect_err(|error| {
            tracing::error!(%error, "the function cannot start");
        })?;
        // lambda_http's own `run`, with the event's query made safe first.
        let adapter = lambda_http::Adapter::from(self.router(state));
        lambda_http::lambda_runtime::run(adapter.map_request(
            |event: LambdaEvent<LambdaRequest>| {
                LambdaEvent::new(with_uri_safe_query(event.payload), event.context)
            },
        ))
        .await
    }
}

/// The request an event's JSON becomes, as [`Function::run`] reads it: for the tests and the
/// bench, which replay events without the Lambda runtime.
pub fn request_of_event(json: &str) -> serde_json::Result<lambda_http::Request> {
    serde_json::from_str(json).map(|event| with_uri_safe_query(event).into())
}

/// `event` with each byte of its query that a URI cannot hold (`"`, `<`, `>`, a space, a control
/// character) percent-encoded, which the query's reader decodes again: it means what it meant.
/// lambda_http appends `rawQueryString` to the request's URI as it is and panics on such a byte
/// (API Gateway passes on what a client such as curl sent), which ends the whole process: API
/// Gateway's bare 500.
pub fn with_uri_safe_query(mut event: LambdaRequest) -> LambdaRequest {
    const NOT_IN_A_QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');
    if let LambdaRequest::ApiGatewayV2(request) = &mut event
        && let Some(query) = &mut request.raw_query_string
        && let Cow::Owned(encoded) = Cow::from(utf8_percent_encode(query, NOT_IN_A_QUERY))
    {
        *query = encoded;
    }
    event
}

/// The routes (path template and method) whose documentation declares no query parameter.
fn operations_without_query(document: &OpenApi) -> HashSet<(String, Method)> {
    let takes_none = |operation: &Operation| {
        !operation
            .parameters
            .iter()
            .flatten()
            .any(|parameter| matches!(parameter.parameter_in, ParameterIn::Query))
    };
    let mut routes = HashSet::new();
    for (path, item) in &document.paths.paths {
        let operations = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ];
        for (method, operation) in operations {
            if operation.as_ref().is_some_and(takes_none) {
                routes.insert((path.clone(), method));
            }
        }
    }
    routes
}

/// Whether the request's path can name a route of this API at all. Every route, id, token and
/// file name here is made of unreserved characters (RFC 3986: letters, digits, `-._~`) between
/// slashes. The path is judged as the event gave it (`rawPath`: API Gateway's HTTP API hands it
/// over percent-decoded, other sources encoded), before lambda_http's URL parser has cut it at a
/// `?` or `#`, dropped tabs, newlines and trailing controls, and folded `.` and `..` segments:
/// any of them, or a `%`, and `/applications/A%3F` would have been `/applications/A`. So a
/// path with other characters or a dot segment, or a path parameter holding a `/` (this API has
/// no greedy route), is a 404 whichever form it came in.
fn names_a_route(request: &Request) -> bool {
    let extensions = request.extensions();
    let path = match extensions.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let parameters_are_segments = extensions.path_parameters_ref().is_none_or(|parameters| {
        parameters
            .iter()
            .all(|(_, value)| !value.contains('/') && is_plain_segment(value))
    });
    parameters_are_segments && path.split('/').all(is_plain_segment)
}

fn is_plain_segment(segment: &str) -> bool {
    segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(raw_path: Option<&str>, uri: &str, parameters: &[(&str, &str)]) -> Request {
        let mut request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        if let Some(raw) = raw_path {
            let extensions = std::mem::take(request.extensions_mut());
            *request.extensions_mut() = extensions.with_raw_http_path(raw);
        }
        let parameters: std::collections::HashMap<String, String> = parameters
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let extensions = std::mem::take(request.extensions_mut());
        *request.extensions_mut() = extensions.with_path_parameters(parameters);
        request
    }

    #[test]
    fn only_paths_of_unreserved_characters_name_a_route() {
        let id = "01JDQ6ZK3V9V6M1T4WZ8X2Y3AB";
        let plain = format!("/applications/{id}/feedback");
        assert!(names_a_route(&request(Some(&plain), &plain, &[("id", id)])));
        assert!(names_a_route(&request(None, "/docs/swagger-ui.css", &[])));
        assert!(names_a_route(&request(None, "/calendar/a-b_c~d.ics", &[])));
        // Decoded by API Gateway (`rawPath`), or still encoded: lambda_http would have cut or
        // folded the first ones to a plain path.
        for raw in [
            format!("/applications/{id}?"),
            format!("/applications/{id}?x=1"),
            format!("/applications/{id}#x"),
            format!("/applications/{id}\0"),
            format!("/applications/{id}\t"),
            format!("/applications/{id} "),
            format!("/applications/{id}/../../applications"),
            format!("/applications/{id}/./feedback"),
            format!("/applications/{id}%3F"),
            format!("/applications/{id}%2F"),
            format!("/applications/{id}%00"),
            "/applications/caf\u{e9}".to_owned(),
        ] {
            assert!(
                !names_a_route(&request(Some(&raw), &format!("/applications/{id}"), &[])),
                "{raw:?}"
            );
        }
        // A parameter API Gateway decoded to more than one segment.
        assert!(!names_a_route(&request(
            Some(&plain),
            &plain,
            &[("id", &format!("{id}/x"))]
        )));
        // Without lambda_http's raw path, the URI's (encoded) path is judged.
        assert!(!names_a_route(&request(None, "/docs/%ff.js", &[])));
    }
}
