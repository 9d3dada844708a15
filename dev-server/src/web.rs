//! Local only: the web app on the API's origin, as CloudFront serves it in AWS, plus the dev
//! sign-in page that stands in for Cognito's hosted UI.
//!
//! - `GET /` (and `/index.html`): `web/dist/index.html` (`WEB_DIST` overrides the folder),
//!   with the same security headers the deployed app gets (a strict Content-Security-Policy:
//!   no inline script, nothing from another origin).
//! - `GET /assets/{path}`, `GET /favicon.svg`: the built files (hashed names, cached for a year).
//! - `GET /config.json`: the app's runtime config. In AWS the deploy writes one naming the
//!   Cognito domain and client; here it names the dev sign-in page.
//! - `GET /dev/sign-in`: a form asking a user name; `POST /dev/sign-in` mints a local HS256
//!   token for it (the same as `dev-server token NAME`) and redirects to
//!   `/#access_token=…&state=…`, the way an OAuth provider hands a token back. The dev server is
//!   never deployed, so neither is this page.

use std::path::{Component, Path, PathBuf};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, RawQuery};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::LocalAuth;

/// Tokens minted by the dev sign-in page last eight hours.
const SIGN_IN_TTL_SECONDS: i64 = 8 * 60 * 60;

/// What the page may load: its own files and its own API, nothing inline, nothing elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The routes above, serving the app from `WEB_DIST` (default `web/dist`, relative to the
/// working directory, which is the repository root under `make dev` and the checks).
pub fn router(auth: LocalAuth) -> Router {
    let dist = PathBuf::from(std::env::var("WEB_DIST").unwrap_or_else(|_| "web/dist".to_owned()));
    let index = {
        let dist = dist.clone();
        move || index_html(dist.clone())
    };
    let asset = {
        let dist = dist.clone();
        move |UrlPath(path): UrlPath<String>| file(dist.clone(), format!("assets/{path}"))
    };
    let favicon = move || file(dist.clone(), "favicon.svg".to_owned());
    Router::new()
        .route("/", get(index.clone()))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/favicon.svg", get(favicon))
        .route("/config.json", get(config))
        .route(
            "/dev/sign-in",
            get(sign_in_page).post(move |body: Bytes| sign_in(auth.clone(), body)),
        )
}

async fn index_html(dist: PathBuf) -> Response {
    match tokio::fs::read(dist.join("index.html")).await {
        Ok(html) => {
            let mut response = html_response(StatusCode::OK, html);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => html_response(
            StatusCode::SERVICE_UNAVAILABLE,
            page(
                "Web app not built",
                "<p>The web app is not built yet. Run <code>make web</code> (or <code>make dev</code>, \
                 which builds it) and reload.</p>",
            )
            .into_bytes(),
        ),
    }
}

async fn file(dist: PathBuf, relative: String) -> Response {
    let Some(path) = safe_join(&dist, &relative) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `dist/relative`, or `None` when `relative` tries to leave `dist` (`..`, absolute, prefixes).
pub fn safe_join(dist: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    relative
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
        .then(|| dist.join(relative))
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

async fn config() -> Response {
    let mut response = Response::new(Body::from(
        serde_json::json!({"auth": {"kind": "dev", "sign_in_url": "/dev/sign-in"}}).to_string(),
    ));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn sign_in_page(RawQuery(query): RawQuery) -> Response {
    let state = form_value(query.as_deref().unwrap_or_default(), "state").unwrap_or_default();
    html_response(StatusCode::OK, sign_in_form(&state, None).into_bytes())
}

async fn sign_in(auth: LocalAuth, body: Bytes) -> Response {
    let form = String::from_utf8_lossy(&body);
    let user = form_value(&form, "user").unwrap_or_default();
    let user = user.trim();
    let state = form_value(&form, "state").unwrap_or_default();
    if !valid_user_name(user) {
        return html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_in_form(
                &state,
                Some("A user name is 1–64 letters, digits, or . _ @ -"),
            )
            .into_bytes(),
        );
    }
    let token = auth.mint(user, SIGN_IN_TTL_SECONDS);
    let location = format!(
        "/#access_token={token}&token_type=Bearer&expires_in={SIGN_IN_TTL_SECONDS}&state={}",
        percent_encode(&state)
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("a token and an encoded state are header-safe"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Dev user names become the token's `sub`: kept short and plain.
pub fn valid_user_name(user: &str) -> bool {
    (1..=64).contains(&user.chars().count())
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

fn sign_in_form(state: &str, error: Option<&str>) -> String {
    let error = error
        .map(|message| format!("<p role=\"alert\"><strong>{}</strong></p>", escape(message)))
        .unwrap_or_default();
    page(
        "Dev sign-in",
        &format!(
            "<p>Local development only: pick any user name; each name is its own user with its \
             own data. The deployed app signs in with Cognito instead.</p>{error}\
             <form method=\"post\" action=\"/dev/sign-in\">\
             <label for=\"user\">User name</label> \
             <input id=\"user\" name=\"user\" required maxlength=\"64\" \
             pattern=\"[A-Za-z0-9._@\\-]+\" autocomplete=\"username\" autofocus value=\"demo-user\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\"> \
             <button type=\"submit\">Sign in</button></form>",
            escape(state)
        ),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Feedback Tracker</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>"
    )
}

fn html_response(status: StatusCode, html: Vec<u8>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (status, headers, html).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The first value of `name` in an `application/x-www-form-urlencoded` string.
fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use tower::ServiceExt;

    #[test]
    fn files_never_leave_the_dist_folder() {
        let dist = Path::new("dist");
        assert_eq!(
            safe_join(dist, "assets/app-1.js"),
            Some(PathBuf::from("dist/assets/app-1.js"))
        );
        assert_eq!(safe_join(dist, "assets/../../secret"), None);
        assert_eq!(safe_join(dist, "/etc/passwd"), None);
        assert_eq!(safe_join(dist, "./x"), None);
    }

    #[test]
    fn forms_decode() {
        assert_eq!(
            form_value("user=a%40b.c&state=x+y%2Fz", "user").as_deref(),
            Some("a@b.c")
        );
        assert_eq!(
            form_value("user=a&state=x+y%2Fz", "state").as_deref(),
            Some("x y/z")
        );
        assert_eq!(form_value("user=%", "user").as_deref(), Some("%"));
        assert_eq!(form_value("user=%4", "user").as_deref(), Some("%4"));
        assert_eq!(form_value("a=1", "user"), None);
        assert!(valid_user_name("alice.b-c_d@example.com"));
        assert!(!valid_user_name(""));
        assert!(!valid_user_name("a b"));
        assert!(!valid_user_name(&"a".repeat(65)));
    }

    #[tokio::test]
    async fn dev_sign_in_mints_a_token_for_the_name_and_returns_the_state() {
        let response = router(LocalAuth::with_secret("s").unwrap())
            .oneshot(
                Request::post("/dev/sign-in")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("user=alice&state=abc%2F1"))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        let fragment = location.strip_prefix("/#").unwrap();
        assert_eq!(form_value(fragment, "state").as_deref(), Some("abc/1"));
        let token = form_value(fragment, "access_token").unwrap();
        // A token the dev server's authorizer accepts.
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let claims = LocalAuth::with_secret("s")
            .unwrap()
            .verify(&headers)
            .unwrap();
        assert_eq!(claims["sub"], "alice");

        let refused = router(LocalAuth::with_secret("s").unwrap())
            .oneshot(
                Request::post("/dev/sign-in")
                    .body(Body::from("user=a+b&state=<x>"))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = axum::body::to_bytes(refused.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("value=\"&lt;x&gt;\""), "{body}");
    }

    #[tokio::test]
    async fn config_points_at_the_dev_sign_in_page() {
        let response = router(LocalAuth::with_secret("s").unwrap())
            .oneshot(Request::get("/config.json").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(config["auth"]["kind"], "dev");
        assert_eq!(config["auth"]["sign_in_url"], "/dev/sign-in");
    }
}
