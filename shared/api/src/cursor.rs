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

#[derive(Clone)]
pub struct CursorKey(HmacSha256);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Dev-only default for `CURSOR_SECRET`; deployments set their own.
pub const DEV_CURSOR_SECRET: &str = "feedback-tracker-dev-cursor-secret";

impl CursorKey {
    /// `CURSOR_SECRET`, or the development default (with a warning outside DynamoDB Local).
    pub fn from_env(local: bool) -> Self {
        let secret = std::env::var("CURSOR_SECRET")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                if !local {
                    tracing::warn!("CURSOR_SECRET is not set; using the development default");
                }
                DEV_CURSOR_SECRET.to_owned()
            });
        Self::new(secret.as_bytes())
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
