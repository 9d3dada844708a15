//! Opaque, tamper-evident pagination cursors.
//!
//! A cursor is the key to resume after, signed with HMAC-SHA256 over the key *and* the query it
//! belongs to (user, route, filters). A cursor that was altered, forged, or reused for another
//! query or by another user fails verification: 400.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use store::ResumeKey;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// The key that signs and verifies cursors. Its `Debug` shows no secret: hmac's own prints
/// only the algorithm's name (`CursorKey(Hmac<Sha256_32> { .. })`).
#[derive(Clone, Debug)]
pub struct CursorKey(HmacSha256);

/// Dev-only default for `CURSOR_SECRET`; deployments set their own.
pub const DEV_CURSOR_SECRET: &str = "feedback-tracker-dev-cursor-secret";

/// The shortest `CURSOR_SECRET` a function accepts in Lambda, in bytes.
pub const MIN_CURSOR_SECRET_BYTES: usize = 32;

impl CursorKey {
    /// `CURSOR_SECRET` from the environment; see [`from_lookup`](Self::from_lookup).
    pub fn from_env(local: bool) -> Result<Self, &'static str> {
        Self::from_lookup(|name| std::env::var(name).ok(), local)
    }

    /// `CURSOR_SECRET` as `lookup` reads it. In Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set) it
    /// must be at least [`MIN_CURSOR_SECRET_BYTES`] and not an unresolved CloudFormation
    /// dynamic reference: there is no fallback, the function refuses to start, saying why. Elsewhere (the
    /// dev server, tests) a missing secret is the development default, with a warning unless
    /// the database is DynamoDB Local (`local`).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        local: bool,
    ) -> Result<Self, &'static str> {
        let secret = lookup("CURSOR_SECRET").filter(|v| !v.is_empty());
        let in_lambda = lookup("AWS_LAMBDA_FUNCTION_NAME").is_some_and(|v| !v.is_empty());
        if in_lambda {
            let secret = secret.ok_or(
                "CURSOR_SECRET is not set; a function in Lambda needs its own (32+ bytes)",
            )?;
            if secret.len() < MIN_CURSOR_SECRET_BYTES {
                return Err(
                    "CURSOR_SECRET is shorter than 32 bytes; a function in Lambda needs 32+",
                );
            }
            if secret.starts_with("{{resolve:") {
                return Err("CURSOR_SECRET is an unresolved dynamic reference ({{resolve:…}})");
            }
            return Ok(Self::new(secret.as_bytes()));
        }
        let secret = secret.unwrap_or_else(|| {
            if !local {
                tracing::warn!("CURSOR_SECRET is not set; using the development default");
            }
            DEV_CURSOR_SECRET.to_owned()
        });
        Ok(Self::new(secret.as_bytes()))
    }

    pub fn new(secret: &[u8]) -> Self {
        Self(HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length"))
    }

    fn mac(&self, context: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        mac.update(payload);
        mac
    }

    /// Encodes `key` as a cursor valid only for `context`.
    pub fn encode(&self, context: &str, key: &ResumeKey) -> String {
        let payload = serde_json::to_vec(key).unwrap_or_default();
        let tag = self.mac(context, &payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Decodes a cursor made by [`encode`](Self::encode) for the same `context`.
    pub fn decode(&self, context: &str, cursor: &str) -> Result<ResumeKey, ApiError> {
        let invalid = ApiError::invalid_cursor;
        let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.mac(context, &payload)
            .verify_slice(&tag)
            .map_err(|_| invalid())?;
        serde_json::from_slice(&payload).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ResumeKey {
        [("PK".to_owned(), "USER#a#APP#1".to_owned())].into()
    }

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn in_lambda_a_secret_of_32_bytes_is_required() {
        let lambda = ("AWS_LAMBDA_FUNCTION_NAME", "applications");
        for vars in [
            vec![lambda],
            vec![lambda, ("CURSOR_SECRET", "")],
            vec![lambda, ("CURSOR_SECRET", "short-secret-of-31-bytes-......")],
            vec![
                lambda,
                (
                    "CURSOR_SECRET",
                    "{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:x:SecretString}}",
                ),
            ],
        ] {
            assert!(
                CursorKey::from_lookup(lookup(&vars), false).is_err(),
                "{vars:?}"
            );
            assert!(CursorKey::from_lookup(lookup(&vars), true).is_err());
        }
        let good = [
            lambda,
            ("CURSOR_SECRET", "a-secret-of-exactly-32-bytes-..."),
        ];
        assert_eq!(good[1].1.len(), 32);
        let key = CursorKey::from_lookup(lookup(&good), false).unwrap();
        let cursor = key.encode("c", &self::key());
        assert!(
            CursorKey::new(good[1].1.as_bytes())
                .decode("c", &cursor)
                .is_ok()
        );
    }

    #[test]
    fn outside_lambda_the_dev_default_remains() {
        let key = CursorKey::from_lookup(lookup(&[]), true).unwrap();
        let cursor = key.encode("c", &self::key());
        assert!(
            CursorKey::new(DEV_CURSOR_SECRET.as_bytes())
                .decode("c", &cursor)
                .is_ok()
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let debug = format!("{:?}", CursorKey::new(b"secret"));
        assert!(debug.starts_with("CursorKey(Hmac<Sha256"), "{debug}");
        assert!(
            debug.ends_with("> { .. })") && !debug.contains("secret"),
            "{debug}"
        );
    }

    #[test]
    fn round_trips_within_its_context() {
        let codec = CursorKey::new(b"secret");
        let cursor = codec.encode("alice:list", &key());
        assert_eq!(codec.decode("alice:list", &cursor).unwrap(), key());
    }

    #[test]
    fn rejects_tampering_other_contexts_and_other_secrets() {
        let codec = CursorKey::new(b"secret");
        let cursor = codec.encode("alice:list", &key());
        assert!(codec.decode("bob:list", &cursor).is_err());
        assert!(
            CursorKey::new(b"other")
                .decode("alice:list", &cursor)
                .is_err()
        );
        let (payload, tag) = cursor.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"PK":"USER#b#APP#1"}"#);
        assert!(
            codec
                .decode("alice:list", &format!("{forged}.{tag}"))
                .is_err()
        );
        assert!(codec.decode("alice:list", payload).is_err());
        assert!(codec.decode("alice:list", "%%%.***").is_err());
    }
}
