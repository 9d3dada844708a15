//! The single-table key scheme: the only place that knows how keys are spelled.
//!
//! | item            | PK                         | SK                 | GSI1PK                     | GSI1SK   |
//! |-----------------|----------------------------|--------------------|----------------------------|----------|
//! | application     | `USER#<sub>#APP#<app_id>`  | `APPLICATION`      | `USER#<sub>#APPLICATIONS`  | `<app_id>` |
//! | feedback        | `USER#<sub>#APP#<app_id>`  | `FEEDBACK#<id>`    | `USER#<sub>#ACTIVITY#<n>`  | `<app_id>#FEEDBACK#<id>` |
//! | rejection       | `USER#<sub>#APP#<app_id>`  | `REJECTION#<id>`   | `USER#<sub>#ACTIVITY#<n>`  | `<app_id>#REJECTION#<id>` |
//! | idempotency key | `IDEMPOTENCY#<sha256>`     | `IDEMPOTENCY`      |                            |          |
//! | calendar token  | `CALENDAR#<sha256(token)>` | `CALENDAR`         |                            |          |
//! | user's calendar | `USER#<sub>#CALENDAR`      | `CALENDAR`         |                            |          |
//!
//! The caller's `sub` is part of every partition key, so a request can only ever address its
//! own items: another user's id simply names a key that does not exist. An application and its
//! children share one partition (item collection), so one `Query` lists or deletes them all.
//! Children also sit in user-level `GSI1` partitions (`USER#<sub>#ACTIVITY#<n>`, n in 0..4 from
//! the application id), so analytics reads all of a user's feedback and rejections with four
//! paged `Query`s in parallel.
//! Ids are ULIDs, so sort keys order by creation time.

use sha2::{Digest, Sha256};

use domain::{ChildKind, Id, UserId};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1_PK: &str = "GSI1PK";
pub const GSI1_SK: &str = "GSI1SK";
/// Epoch seconds after which DynamoDB's TTL may delete the item (idempotency records).
pub const EXPIRES_AT: &str = "expires_at";
/// Set on an application while its delete sweeps its children; such an item reads as gone.
pub const DELETING: &str = "deleting";
/// What an item is: `application`, `feedback`, `rejection` or `idempotency`.
pub const TYPE: &str = "type";
/// The tokens of the last three updates written to an item, newest first: an update the SDK
/// sends again after its answer was lost finds its own token, also when other requests wrote the
/// item between its attempts (two of them), and is not applied twice.
pub const LAST_WRITES: [&str; 3] = ["last_write", "last_write_2", "last_write_3"];

pub const APPLICATION_SK: &str = "APPLICATION";
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
pub const CALENDAR_SK: &str = "CALENDAR";

/// The partition of one application and its children.
pub fn application_pk(user: &UserId, application: Id) -> String {
    format!("USER#{}#APP#{application}", user.as_str())
}

/// Whether `(pk, sk)` is an application item's key.
pub fn is_application_key(pk: &str, sk: &str) -> bool {
    sk == APPLICATION_SK && pk.starts_with("USER#") && pk.contains("#APP#")
}

/// The GSI1 partition listing one user's applications, newest first.
pub fn applications_gsi_pk(user: &UserId) -> String {
    format!("USER#{}#APPLICATIONS", user.as_str())
}

pub fn applications_gsi_sk(application: Id) -> String {
    application.to_string()
}

pub fn child_sk(kind: ChildKind, id: Id) -> String {
    format!("{}{id}", child_sk_prefix(kind))
}

/// The sort-key prefix shared by every child of one kind.
pub fn child_sk_prefix(kind: ChildKind) -> &'static str {
    match kind {
        ChildKind::Feedback => "FEEDBACK#",
        ChildKind::Rejection => "REJECTION#",
    }
}

/// How many `GSI1` partitions a user's feedback and rejections are spread over, so analytics
/// reads them with that many `Query`s in parallel instead of one long sequence of pages.
pub const ACTIVITY_SHARDS: u8 = 4;

/// The shard of an application's children: from the random part of its ULID, so shards fill
/// evenly and all children of one application share one.
pub fn activity_shard(application: Id) -> u8 {
    let last = application.to_string().bytes().last().unwrap_or(0);
    last % ACTIVITY_SHARDS
}

/// One of the `GSI1` partitions holding a user's feedback and rejections (analytics).
pub fn activity_gsi_pk(user: &UserId, shard: u8) -> String {
    format!("USER#{}#ACTIVITY#{shard}", user.as_str())
}

/// A child's sort key in the activity partition: grouped by application, then by kind and id.
pub fn activity_gsi_sk(application: Id, kind: ChildKind, id: Id) -> String {
    format!("{application}#{}", child_sk(kind, id))
}

/// The item pointing from a user to their current calendar token's item.
pub fn calendar_user_pk(user: &UserId) -> String {
    format!("USER#{}#CALENDAR", user.as_str())
}

/// A calendar token's item: keyed by the token's SHA-256, so the table never holds a usable
/// token and a lookup needs nothing else.
pub fn calendar_token_pk(token: &str) -> String {
    format!("CALENDAR#{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// An idempotency record's partition: a hash, so no user-chosen text reaches a key and two
/// users' keys can never meet.
pub fn idempotency_pk(user: &UserId, scope: &str, key: &str) -> String {
    let mut hash = Sha256::new();
    for part in [user.as_str(), scope, key] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    format!("IDEMPOTENCY#{}", hex::encode(hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_never_share_a_partition() {
        let id = Id::generate();
        let a = UserId::parse("alice").unwrap();
        let b = UserId::parse("bob").unwrap();
        assert_ne!(application_pk(&a, id), application_pk(&b, id));
        assert_ne!(applications_gsi_pk(&a), applications_gsi_pk(&b));
        assert_ne!(activity_gsi_pk(&a, 0), activity_gsi_pk(&b, 0));
        assert_ne!(activity_gsi_pk(&a, 0), applications_gsi_pk(&a));
        assert!(activity_shard(id) < ACTIVITY_SHARDS);
        assert_ne!(calendar_user_pk(&a), calendar_user_pk(&b));
        assert!(!calendar_token_pk("secret").contains("secret"));
        assert_ne!(idempotency_pk(&a, "s", "k"), idempotency_pk(&b, "s", "k"));
        // Length-prefixed parts: moving text between parts changes the hash.
        assert_ne!(idempotency_pk(&a, "sk", ""), idempotency_pk(&a, "s", "k"));
    }

    #[test]
    fn child_keys_sort_by_id_under_their_prefix() {
        // Made in a row, in the same millisecond or not.
        let (first, second) = (Id::generate(), Id::generate());
        let (a, b) = (
            child_sk(ChildKind::Feedback, first),
            child_sk(ChildKind::Feedback, second),
        );
        assert!(a < b);
        assert!(a.starts_with(child_sk_prefix(ChildKind::Feedback)));
    }
}
