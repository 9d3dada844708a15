//! The OpenAPI 3.1 document, generated from the code. Each handler's `#[utoipa::path]` states
//! its route, parameters (the extractors' own `IntoParams`), body (the domain's request types)
//! and responses; each function's `OpenApiRouter` collects them; [`document`] merges the
//! functions. `GET /openapi.json` serves it; `docs/openapi.json` is its committed copy.

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

use crate::error::{FieldError, PROBLEM_CONTENT_TYPE, Problem};
use crate::function::Function;

/// A set of problem+json responses a route can answer with, by status.
macro_rules! problems {
    ($($(#[$meta:meta])* $name:ident: $($status:literal),+;)+) => {$(
        $(#[$meta])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$($status),+].into_iter().map(problem).collect()
            }
        }
    )+};
}

problems! {
    /// Reading one resource.
    ReadProblems: 401, 404, 503;
    /// Listing the caller's applications.
    ListProblems: 400, 401, 503;
    /// Listing one application's children.
    ChildListProblems: 400, 401, 404, 503;
    /// Creating an application (412: `If-Match` naming a version; a collection has none).
    CreateProblems: 400, 401, 412, 413, 415, 422, 503;
    /// Creating a child of an application (412: `If-Match` not its application's version).
    ChildCreateProblems: 400, 401, 404, 412, 413, 415, 422, 503;
    /// Updating one resource.
    UpdateProblems: 400, 401, 404, 412, 413, 415, 422, 503;
    /// Deleting one resource.
    DeleteProblems: 401, 404, 412, 503;
    /// A route that only reads the database.
    DatabaseProblems: 503;
}

fn problem(status: u16) -> (String, RefOr<Response>) {
    let description = match status {
        400 => "Malformed JSON, a bad query parameter, or a bad cursor",
        401 => "Missing, expired or invalid bearer token",
        404 => "No such resource (or it belongs to another user)",
        412 => "If-Match does not match the current version",
        413 => "Body larger than 64 KiB",
        415 => "Body is not JSON",
        422 => "Validation failed: every bad field is listed",
        503 => "The database is unavailable; retry after Retry-After seconds",
        _ => "Error",
    };
    let response = ResponseBuilder::new().description(description).content(
        PROBLEM_CONTENT_TYPE,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    (status.to_string(), response.build().into())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Feedback Tracker API",
        description = "Run your job search: applications and their status, interview feedback, rejection reasons. \
            Every route except /health, /db-check, /docs, /openapi.json and the calendar feed /calendar/{token} \
            (its secret token is the credential) needs `Authorization: Bearer <JWT>`; \
            errors are RFC 9457 problem+json.",
        license(name = "MIT")
    ),
    components(schemas(Problem, FieldError))
)]
struct Info;

/// The whole document: every function's routes, the shared schemas and the bearer scheme.
pub fn document(functions: &[Function]) -> OpenApi {
    let mut doc = <Info as utoipa::OpenApi>::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    for function in functions {
        doc.merge(function.document());
    }
    for item in doc.paths.paths.values_mut() {
        // `PUT` and `PATCH` share a handler; each operation needs its own id.
        for (method, operation) in [("put", &mut item.put), ("patch", &mut item.patch)] {
            if let Some(id) = operation.as_mut().and_then(|o| o.operation_id.as_mut()) {
                *id = id.replacen("update_", &format!("{method}_"), 1);
            }
        }
        // Every route answers a query parameter it does not take with 400 (`Function::router`).
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let (status, response) = problem(400);
            operation
                .responses
                .responses
                .entry(status)
                .or_insert(response);
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    // The derives also register the value types a request type is built from; their schemas
    // are inlined where used, so only the ones something refers to are kept.
    let text = serde_json::to_string(&doc.paths).unwrap_or_default()
        + &serde_json::to_string(&components.schemas).unwrap_or_default();
    components.schemas.retain(|name, _| {
        text.contains(&format!("\"#/components/schemas/{name}\""))
            || ["Problem", "FieldError"].contains(&name.as_str())
    });
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    doc
}

/// The document as the JSON `GET /openapi.json` serves and `docs/openapi.json` holds.
pub fn document_json(functions: &[Function]) -> String {
    document(functions).to_pretty_json().unwrap_or_default() + "\n"
}
