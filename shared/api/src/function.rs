//! A deployed function as the code knows it: its name, whether its routes need a token, and its
//! routes with their documentation — one `OpenApiRouter`, from which its axum router, its part
//! of the OpenAPI document, the dev server's route table and the template's drift test all come.

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
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
    /// The router its Lambda runs: its routes, and problem+json for anything else. Every
    /// response carries `X-Content-Type-Options: nosniff`; every response of a function that
    /// needs a token also `Cache-Control: no-store` (a user's data is never cached by a
    /// browser or a proxy).
    pub fn router(&self, state: ApiState) -> Router {
        let (router, _) = (self.api)().split_for_parts();
        let public = self.public;
        router
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
            .layer(axum::middleware::map_response(
                move |mut response: Response| async move {
                    let headers = response.headers_mut();
                    headers.insert(
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    );
                    if !public {
                        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    }
                    response
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
        lambda_http::run(self.router(state)).await
    }
}
