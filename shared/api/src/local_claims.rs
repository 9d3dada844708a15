//! Local-only caller identity for `sam local start-api`, which runs the functions without API
//! Gateway's JWT authorizer, so no claims reach them. Compiled only into builds made with the
//! Cargo feature `local-claims` (scripts/sam-local.sh start-api); the deployed build never has
//! it, and `scripts/check-no-local-claims.sh` fails `make package` and `make sam-local` if a
//! deployable binary contains [`MARKER`].
//!
//! Wired in `identity.rs`: with the feature, a request whose context carries no authorizer
//! claims is tried against this verifier (`Caller`'s extractor). The module is also compiled
//! for the crate's own unit tests, so its tests run in every `cargo test`.
//!
//! What it accepts is what the dev server accepts (`dev-server token [SUB]` mints it): an HS256
//! JWT signed with `LOCAL_JWT_SECRET` (default [`DEFAULT_SECRET`]), with `sub` and an unexpired
//! `exp`. It is consulted only when the request context carries no authorizer claims, and only
//! when `AWS_ENDPOINT_URL_DYNAMODB` names this machine (loopback, or the container engine's
//! name for the host): a local-claims binary that somehow
//! reached AWS would still never accept these tokens.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Logged once per process when local claims are active; its presence in a binary is how the
/// packaging checks recognise a local-claims build.
pub const MARKER: &str =
    "feedback-tracker local-claims build: accepts locally signed HS256 tokens; never deploy";

/// The dev server's default `LOCAL_JWT_SECRET`.
pub const DEFAULT_SECRET: &str = "feedback-tracker-local-dev-secret";

/// Seconds of clock skew tolerated on `exp`, as the dev server does.
const LEEWAY_SECONDS: i64 = 5;

/// Why a token was refused (never shown to the caller, who gets the usual 401).
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    NoBearer,
    Malformed,
    NotHs256,
    BadSignature,
    Expired,
    NoSub,
}

/// The local verifier: present only in a local process.
pub struct LocalClaims {
    secret: Vec<u8>,
}

impl LocalClaims {
    /// From the environment; `None` unless `AWS_ENDPOINT_URL_DYNAMODB` is a loopback URL.
    pub fn from_env() -> Option<Self> {
        let verifier = Self::from_lookup(|name| std::env::var(name).ok());
        if verifier.is_some() {
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| tracing::warn!("{MARKER}"));
        }
        verifier
    }

    /// As [`Self::from_env`], reading variables through `lookup` (tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let endpoint = lookup("AWS_ENDPOINT_URL_DYNAMODB")?;
        if !is_loopback(&endpoint) {
            return None;
        }
        let secret = lookup("LOCAL_JWT_SECRET")
            .filter(|secret| !secret.is_empty())
            .unwrap_or_else(|| DEFAULT_SECRET.to_owned());
        Some(Self {
            secret: secret.into_bytes(),
        })
    }

    /// The `sub` of the request's `Authorization: Bearer` token.
    pub fn sub_from_headers(&self, headers: &HeaderMap) -> Result<String, Rejected> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(Rejected::NoBearer)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(Rejected::NoBearer)?;
        self.verify(token.trim(), now())
    }

    /// Verifies an HS256 JWT at time `now` (Unix seconds) and returns its `sub`.
    pub fn verify(&self, token: &str, now: i64) -> Result<String, Rejected> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejected::Malformed);
        };
        let signed = [header.as_bytes(), b".", payload.as_bytes()];
        let header: Value = decode_json(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(Rejected::NotHs256);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Rejected::Malformed)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        signed.iter().for_each(|part| mac.update(part));
        mac.verify_slice(&signature)
            .map_err(|_| Rejected::BadSignature)?;
        let claims: Value = decode_json(payload)?;
        match claims.get("exp").and_then(Value::as_i64) {
            Some(exp) if exp + LEEWAY_SECONDS > now => {}
            _ => return Err(Rejected::Expired),
        }
        claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.is_empty())
            .map(str::to_owned)
            .ok_or(Rejected::NoSub)
    }
}

fn decode_json(part: &str) -> Result<Value, Rejected> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Rejected::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| Rejected::Malformed)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The names container engines give the host inside a local container (`sam local` runs the
/// functions in podman or Docker, where DynamoDB Local on the host is reached by this name).
const CONTAINER_HOST_NAMES: [&str; 3] = [
    "localhost",
    "host.containers.internal",
    "host.docker.internal",
];

/// True for `http(s)://127.x.x.x`, `[::1]`, `localhost` or a container engine's name for the
/// local host: endpoints that only mean something on a developer's machine.
fn is_loopback(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(domain)) => CONTAINER_HOST_NAMES
            .iter()
            .any(|name| domain.eq_ignore_ascii_case(name)),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, header: &str, claims: &str) -> String {
        let head = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(head.as_bytes());
        format!(
            "{head}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    fn local() -> LocalClaims {
        LocalClaims::from_lookup(|name| {
            (name == "AWS_ENDPOINT_URL_DYNAMODB").then(|| "http://127.0.0.1:8000".to_owned())
        })
        .unwrap()
    }

    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn accepts_a_token_signed_with_the_local_secret() {
        let token = sign(DEFAULT_SECRET, HS256, r#"{"sub":"alice","exp":2000}"#);
        assert_eq!(local().verify(&token, 1000), Ok("alice".to_owned()));
    }

    #[test]
    fn refuses_a_wrong_secret_an_expired_token_and_missing_claims() {
        let wrong = sign("another", HS256, r#"{"sub":"alice","exp":2000}"#);
        assert_eq!(local().verify(&wrong, 1000), Err(Rejected::BadSignature));
        let expired = sign(DEFAULT_SECRET, HS256, r#"{"sub":"alice","exp":900}"#);
        assert_eq!(local().verify(&expired, 1000), Err(Rejected::Expired));
        let no_exp = sign(DEFAULT_SECRET, HS256, r#"{"sub":"alice"}"#);
        assert_eq!(local().verify(&no_exp, 1000), Err(Rejected::Expired));
        let no_sub = sign(DEFAULT_SECRET, HS256, r#"{"exp":2000}"#);
        assert_eq!(local().verify(&no_sub, 1000), Err(Rejected::NoSub));
        let empty_sub = sign(DEFAULT_SECRET, HS256, r#"{"sub":"","exp":2000}"#);
        assert_eq!(local().verify(&empty_sub, 1000), Err(Rejected::NoSub));
    }

    #[test]
    fn refuses_other_algorithms_and_tampering() {
        let none = sign(
            DEFAULT_SECRET,
            r#"{"alg":"none"}"#,
            r#"{"sub":"a","exp":2000}"#,
        );
        assert_eq!(local().verify(&none, 1000), Err(Rejected::NotHs256));
        let token = sign(DEFAULT_SECRET, HS256, r#"{"sub":"alice","exp":2000}"#);
        let (head, signature) = token.rsplit_once('.').unwrap();
        let (header, _) = head.split_once('.').unwrap();
        let forged = format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(r#"{"sub":"mallory","exp":2000}"#)
        );
        assert_eq!(local().verify(&forged, 1000), Err(Rejected::BadSignature));
        assert_eq!(local().verify("a.b", 1000), Err(Rejected::Malformed));
        assert_eq!(
            local().verify(&format!("{token}.x"), 1000),
            Err(Rejected::Malformed)
        );
    }

    #[test]
    fn is_off_unless_the_database_endpoint_is_loopback() {
        let with = |endpoint: &'static str| {
            LocalClaims::from_lookup(move |name| {
                (name == "AWS_ENDPOINT_URL_DYNAMODB").then(|| endpoint.to_owned())
            })
            .is_some()
        };
        assert!(with("http://127.0.0.1:8000"));
        assert!(with("http://localhost:8000"));
        assert!(with("http://[::1]:8000"));
        assert!(with("http://host.containers.internal:8000"));
        assert!(!with("https://dynamodb.eu-west-1.amazonaws.com"));
        assert!(!with("http://10.0.0.5:8000"));
        assert!(!with("not a url"));
        assert!(LocalClaims::from_lookup(|_| None).is_none());
    }

    #[test]
    fn reads_the_bearer_header_and_the_configured_secret() {
        let verifier = LocalClaims::from_lookup(|name| match name {
            "AWS_ENDPOINT_URL_DYNAMODB" => Some("http://127.0.0.1:8000".to_owned()),
            "LOCAL_JWT_SECRET" => Some("s3cret".to_owned()),
            _ => None,
        })
        .unwrap();
        let token = sign("s3cret", HS256, r#"{"sub":"bob","exp":99999999999}"#);
        let mut headers = HeaderMap::new();
        assert_eq!(verifier.sub_from_headers(&headers), Err(Rejected::NoBearer));
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        assert_eq!(verifier.sub_from_headers(&headers), Ok("bob".to_owned()));
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {token}").parse().unwrap(),
        );
        assert_eq!(verifier.sub_from_headers(&headers), Err(Rejected::NoBearer));
    }
}
