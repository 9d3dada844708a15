//! Moving a user's data in and out: the export document, the CSV export, and reading an import
//! (our own JSON export, a CSV from another tracker or LinkedIn, the original API's responses)
//! into applications checked by the same parsers as the API's own routes.
//!
//! Ids are what make an import idempotent: our export keeps its ids, every other source gets
//! ids derived from a fingerprint of the row (SHA-256 of the caller and the normalized row), so
//! importing the same file twice names the same keys and the store's conditional writes skip
//! what exists.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::application::StatusChange;
use super::values::{Date, ISO_4217};
use super::{
    Application, ChildResource, Feedback, FieldError, Id, Invalid, Rejection, Timestamp, UserId,
};

/// The export document's `format`.
pub const FORMAT: &str = "feedback-tracker/v1";
/// The most rows (applications) one import request may hold.
pub const MAX_IMPORT_ROWS: usize = 1_000;
/// The most children (feedback and rejections together) one import request may hold: an export
/// page never holds more, and a request of this size is written well within the function's time.
pub const MAX_IMPORT_CHILDREN: usize = 10_000;
/// The most columns a CSV import's header row may have: trackers' exports have a few dozen.
pub const MAX_CSV_COLUMNS: usize = 200;
/// The most entries one row's `errors` lists in an import's report.
pub const MAX_ROW_ERRORS: usize = 20;
/// The most entries the `errors` of an import refused whole (422) lists.
pub const MAX_DOCUMENT_ERRORS: usize = 100;
/// The most bytes a name taken from the file (an unknown field, a CSV column, an original
/// `application_id`) takes in a response, as the Lambda response carries it; a longer one is
/// cut and ends in `…`.
pub const MAX_NAME_BYTES: usize = 64;
/// The `field` of the last entry of a list of errors that was cut: its `message` says how many
/// more there were.
pub const MORE_ERRORS_FIELD: &str = "...";
/// The most status changes a restored application may carry (keeps its item far below
/// DynamoDB's 400 KB).
pub const MAX_HISTORY: usize = 200;
/// What an import of this document keeps, stated in every export.
pub const RESTORE_POLICY: &str = "POST /import restores this document as it is: ids, created_at, updated_at, version and status_history are kept (written under the importing user only); exported_at and next_cursor are not part of the data";

/// One application with its children, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportedApplication {
    #[serde(flatten)]
    pub application: Application,
    pub feedback: Vec<Feedback>,
    pub rejections: Vec<Rejection>,
}

/// `GET /export?format=json`: one page of everything the caller has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportDocument {
    /// Always `feedback-tracker/v1`.
    #[schema(example = "feedback-tracker/v1")]
    pub format: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: Timestamp,
    /// What `POST /import` does with this document.
    pub restore: &'static str,
    /// Newest first, with their feedback and rejections.
    pub applications: Vec<ExportedApplication>,
    /// Pass as `cursor` for the next page; `null` on the last page. Each page is a complete
    /// document that `POST /import` accepts on its own.
    pub next_cursor: Option<String>,
}

impl ExportDocument {
    pub fn new(applications: Vec<ExportedApplication>, next_cursor: Option<String>) -> Self {
        Self {
            format: FORMAT,
            exported_at: Timestamp::now(),
            restore: RESTORE_POLICY,
            applications,
            next_cursor,
        }
    }
}

/// Where an import came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    /// Our own JSON export (`feedback-tracker/v1`).
    Export,
    /// A CSV with a header row.
    Csv,
    /// LinkedIn's `Job Applications.csv`.
    Linkedin,
    /// The original API's GET responses.
    Original,
}

/// One application read from an import, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedApplication {
    pub application: Application,
    pub feedback: Vec<Feedback>,
    pub rejections: Vec<Rejection>,
}

/// One row of an import: an application (with its children) or why it is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// CSV: the line of the file; JSON: the position in `applications`, from 1.
    pub row: usize,
    pub parsed: Result<ImportedApplication, Vec<FieldError>>,
    /// An earlier row of the same file with the same fingerprint: this one is a duplicate.
    pub same_as: Option<usize>,
}

/// An import read and checked, nothing written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    pub source: ImportSource,
    pub rows: Vec<ImportRow>,
    /// CSV columns that map to no field, each name once, [`shown`].
    pub ignored_columns: Vec<String>,
}

/// Why a whole import is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Not readable at all (400): malformed CSV or JSON, not UTF-8.
    Malformed(String),
    /// More rows than one request may hold (413).
    TooManyRows(usize),
    /// More children (feedback and rejections together) than one request may hold (413).
    TooManyChildren(usize),
    /// Readable, but not a document this API imports (422).
    Invalid(Invalid),
}

impl From<Invalid> for ImportError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

/// The bytes `c` takes in a Lambda response: JSON-escaped in the body, which travels escaped once
/// more inside a JSON string (as the store's `escaped_size` counts them).
fn carried_size(c: char) -> usize {
    match c {
        '"' | '\\' => 4,
        '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 3,
        '\0'..='\u{1f}' => 7,
        _ => c.len_utf8(),
    }
}

/// A name taken from the file as a response shows it: whole when it takes at most
/// [`MAX_NAME_BYTES`] as the Lambda response carries it, else its longest start that does,
/// followed by `…`. A name can be as long as the body, and its quotes and control characters take
/// up to seven times their size once escaped.
pub fn shown(name: &str) -> String {
    let mut bytes = 0;
    for (at, c) in name.char_indices() {
        bytes += carried_size(c);
        if bytes > MAX_NAME_BYTES {
            return format!("{}…", &name[..at]);
        }
    }
    name.to_owned()
}

/// `errors` as a response lists them: at most `max` entries — past that, the first `max - 1`
/// and a last `{"field": "...", "message": "and N more not listed"}` — each field name
/// [`shown`].
pub fn listed(mut errors: Vec<FieldError>, max: usize) -> Vec<FieldError> {
    let total = errors.len();
    if total > max {
        errors.truncate(max - 1);
    }
    let mut listed: Vec<FieldError> = errors
        .into_iter()
        .map(|e| FieldError::new(shown(&e.field), e.message))
        .collect();
    if total > max {
        listed.push(FieldError::new(
            MORE_ERRORS_FIELD,
            format!("and {} more not listed", total - listed.len()),
        ));
    }
    listed
}

/// A deterministic id: the time part from `at_ms`, the rest from the fingerprint.
fn derived_id(at_ms: u64, fingerprint: &[u8; 32]) -> Id {
    let mut random = [0u8; 16];
    random.copy_from_slice(&fingerprint[..16]);
    Id::from_parts(at_ms, u128::from_be_bytes(random))
}

fn fingerprint(user: &UserId, parts: &[&str]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in std::iter::once(user.as_str()).chain(parts.iter().copied()) {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

fn millis_of_date(date: NaiveDate) -> u64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis().max(0) as u64)
}

fn prefixed(prefix: &str, Invalid(errors): Invalid) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.message))
        .collect()
}

/// Marks rows whose application id an earlier row already has, and gives that earlier row the
/// feedback and rejections such a row adds: an application our export cut between two pages
/// is listed twice in the pages joined, each time with part of its children.
fn mark_duplicates(rows: &mut [ImportRow]) {
    // Application id → the index of its first row.
    let mut seen: HashMap<Id, usize> = HashMap::new();
    for index in 0..rows.len() {
        let Ok(imported) = &rows[index].parsed else {
            continue;
        };
        let Some(&first) = seen.get(&imported.application.id) else {
            seen.insert(imported.application.id, index);
            continue;
        };
        rows[index].same_as = Some(rows[first].row);
        let (feedback, rejections) = (imported.feedback.clone(), imported.rejections.clone());
        if let Ok(kept) = &mut rows[first].parsed {
            add_missing(&mut kept.feedback, feedback, |f| f.id);
            add_missing(&mut kept.rejections, rejections, |r| r.id);
        }
    }
}

/// Appends the `more` that `list` does not hold yet (by id).
fn add_missing<T>(list: &mut Vec<T>, more: Vec<T>, id: fn(&T) -> Id) {
    let held: HashSet<Id> = list.iter().map(id).collect();
    list.extend(more.into_iter().filter(|item| !held.contains(&id(item))));
}

// ---------------------------------------------------------------------------------------------
// JSON: our export, or the original API's responses.

/// Reads a JSON import: our export document (`format` = `feedback-tracker/v1`), or the original
/// API's responses — `{"applications": [...], "feedback": [...], "rejections": [...]}` (children
/// name their application by `application_id`, or sit in the application's own `feedback` and
/// `rejections` arrays), or a bare array of applications.
pub fn read_json(
    user: &UserId,
    document: Value,
    now: Timestamp,
) -> Result<ImportPlan, ImportError> {
    let mut document = match document {
        Value::Array(applications) => {
            let mut map = Map::new();
            map.insert("applications".to_owned(), Value::Array(applications));
            map
        }
        Value::Object(map) => map,
        _ => {
            return Err(Invalid::field("body", "must be an export document or an array").into());
        }
    };
    let format = document.remove("format");
    let applications = match document.remove("applications") {
        Some(Value::Array(applications)) => applications,
        _ => return Err(Invalid::field("applications", "must be an array").into()),
    };
    if applications.len() > MAX_IMPORT_ROWS {
        return Err(ImportError::TooManyRows(applications.len()));
    }
    // Counted as sent, before any is read: each would be checked and written.
    let children = children_in(&applications, format.is_none().then_some(&document));
    if children > MAX_IMPORT_CHILDREN {
        return Err(ImportError::TooManyChildren(children));
    }
    let (source, mut rows) = match format {
        Some(Value::String(format)) if format == FORMAT => {
            // Informational fields of the document itself.
            for known in ["exported_at", "restore", "next_cursor"] {
                document.remove(known);
            }
            if let Some(unknown) = document.keys().next() {
                return Err(Invalid::field(unknown.clone(), "is not a known field").into());
            }
            let rows = applications
                .into_iter()
                .enumerate()
                .map(|(index, value)| ImportRow {
                    row: index + 1,
                    parsed: restore_application(value),
                    same_as: None,
                })
                .collect();
            (ImportSource::Export, rows)
        }
        Some(_) => {
            return Err(Invalid::field("format", format!("must be \"{FORMAT}\"")).into());
        }
        None => (
            ImportSource::Original,
            read_original(user, applications, document, now)?,
        ),
    };
    mark_duplicates(&mut rows);
    Ok(ImportPlan {
        source,
        rows,
        ignored_columns: Vec::new(),
    })
}

/// The feedback and rejections a JSON import holds: in its applications' own arrays, and in the
/// original API's top-level arrays (`top_level`).
fn children_in(applications: &[Value], top_level: Option<&Map<String, Value>>) -> usize {
    let count = |map: &Map<String, Value>| {
        ["feedback", "rejections"]
            .iter()
            .filter_map(|name| map.get(*name).and_then(Value::as_array))
            .map(Vec::len)
            .sum::<usize>()
    };
    applications
        .iter()
        .filter_map(Value::as_object)
        .map(count)
        .sum::<usize>()
        + top_level.map_or(0, count)
}

fn take_object(value: Value, field: &str) -> Result<Map<String, Value>, Vec<FieldError>> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(vec![FieldError::new(field, "must be an object")]),
    }
}

/// The largest `version` a restore accepts: each later write adds 1, so it must leave room (a
/// `u64::MAX` would make the next update unreadable), and it stays exact in JavaScript clients.
pub const VERSION_MAX: u64 = (1 << 53) - 1;

/// Reads and removes the read-only fields our export carries.
struct Meta {
    id: Option<Id>,
    created_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
    version: Option<u64>,
}

fn take_meta(map: &mut Map<String, Value>, prefix: &str, errors: &mut Vec<FieldError>) -> Meta {
    let mut field = |name: &str| map.remove(name);
    let id = match field("id") {
        Some(Value::String(raw)) => raw.parse::<Id>().map(Some).unwrap_or_else(|()| {
            errors.push(FieldError::new(format!("{prefix}id"), "must be a ULID"));
            None
        }),
        _ => {
            errors.push(FieldError::new(format!("{prefix}id"), "must be a ULID"));
            None
        }
    };
    let mut timestamp =
        |name: &str, value: Option<Value>| match value.map(serde_json::from_value::<Timestamp>) {
            Some(Ok(at)) => Some(at),
            _ => {
                errors.push(FieldError::new(
                    format!("{prefix}{name}"),
                    "must be an RFC 3339 timestamp",
                ));
                None
            }
        };
    let created_at = timestamp("created_at", field("created_at"));
    let updated_at = timestamp("updated_at", field("updated_at"));
    let version = match field("version").as_ref().and_then(Value::as_u64) {
        Some(version) if (1..=VERSION_MAX).contains(&version) => Some(version),
        _ => {
            errors.push(FieldError::new(
                format!("{prefix}version"),
                format!("must be a whole number from 1 to {VERSION_MAX}"),
            ));
            None
        }
    };
    Meta {
        id,
        created_at,
        updated_at,
        version,
    }
}

/// One application of our export, restored as it was.
fn restore_application(value: Value) -> Result<ImportedApplication, Vec<FieldError>> {
    let mut map = take_object(value, "applications")?;
    let mut errors = Vec::new();
    let meta = take_meta(&mut map, "", &mut errors);
    let history = match map.remove("status_history") {
        Some(value) => match serde_json::from_value::<Vec<StatusChange>>(value) {
            Ok(mut history) if history.len() <= MAX_HISTORY => {
                // Oldest first, as the contract lists it and the history's trimming and the
                // applied day assume; stable, so changes at one instant keep the file's order.
                history.sort_by_key(|change| change.at);
                Some(history)
            }
            Ok(_) => {
                errors.push(FieldError::new(
                    "status_history",
                    format!("must have at most {MAX_HISTORY} entries"),
                ));
                None
            }
            Err(_) => {
                errors.push(FieldError::new(
                    "status_history",
                    "must be a list of {status, at}",
                ));
                None
            }
        },
        None => None,
    };
    let feedback = map.remove("feedback").unwrap_or(json!([]));
    let rejections = map.remove("rejections").unwrap_or(json!([]));
    let applied_date = map.get("applied_date").cloned();
    // The body is read even when its metadata is not, so every error is listed at once.
    let parsed = Application::parse_new(
        Value::Object(map),
        meta.id.unwrap_or_else(Id::generate),
        meta.created_at.unwrap_or_else(Timestamp::now),
    )
    .map_err(|invalid| errors.extend(invalid.0));
    let (Some(id), Some(_), Some(updated_at), Some(version), Ok(mut application)) = (
        meta.id,
        meta.created_at,
        meta.updated_at,
        meta.version,
        parsed,
    ) else {
        return Err(errors);
    };
    // As it was: no default date, the stored history and version.
    application.applied_date = applied_date
        .as_ref()
        .and_then(|value| super::input::FromJson::from_json(value).ok())
        .map(|date: Date| date.0);
    if let Some(history) = history {
        application.status_history = history;
    }
    application.updated_at = updated_at;
    application.version = version;
    let feedback = restore_children::<Feedback>(feedback, "feedback", id, &mut errors);
    let rejections = restore_children::<Rejection>(rejections, "rejections", id, &mut errors);
    if errors.is_empty() {
        Ok(ImportedApplication {
            application,
            feedback,
            rejections,
        })
    } else {
        Err(errors)
    }
}

fn restore_children<T: ChildResource>(
    list: Value,
    name: &str,
    application_id: Id,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let Value::Array(items) = list else {
        errors.push(FieldError::new(name, "must be an array"));
        return Vec::new();
    };
    parse_children(items, name, errors, |mut map, prefix, errors| {
        let meta = take_meta(&mut map, prefix, errors);
        let (Some(id), Some(created_at), Some(updated_at), Some(version)) =
            (meta.id, meta.created_at, meta.updated_at, meta.version)
        else {
            return None;
        };
        let given: Vec<String> = map
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(name, _)| name.clone())
            .collect();
        let parsed = T::parse_new(Value::Object(map), id, application_id, created_at);
        Some((
            id,
            parsed.map(|child| with_meta(child, updated_at, version, Some(&given))),
        ))
    })
}

/// The children `items` holds, each an object `name[index]` without its `application_id`,
/// which `read` turns into its id and the child parsed (`None`: it said what is wrong); the
/// child's errors are listed under its prefix (`name[index].`). The same id twice would be two
/// writes of one item: the first is kept.
fn parse_children<T: ChildResource>(
    items: Vec<Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
    mut read: impl FnMut(
        Map<String, Value>,
        &str,
        &mut Vec<FieldError>,
    ) -> Option<(Id, Result<T, Invalid>)>,
) -> Vec<T> {
    let mut children = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let prefix = format!("{name}[{index}].");
        let mut map = match take_object(item, &format!("{name}[{index}]")) {
            Ok(map) => map,
            Err(e) => {
                errors.extend(e);
                continue;
            }
        };
        map.remove("application_id");
        match read(map, &prefix, errors) {
            Some((id, Ok(child))) if seen.insert(id) => children.push(child),
            Some((_, Err(invalid))) => errors.extend(prefixed(&prefix, invalid)),
            Some((_, Ok(_))) | None => {}
        }
    }
    children
}

/// A parsed child with its stored `updated_at` and `version`, through its JSON form (the
/// children's fields are named alike). With `given`, the fields a restored file names: every
/// other one has no value, so a create's defaults (a rejection's `rejected_date`) are not
/// invented; lists read a missing value as empty, as they are stored.
fn with_meta<T: ChildResource>(
    child: T,
    updated_at: Timestamp,
    version: u64,
    given: Option<&[String]>,
) -> T {
    let mut value = serde_json::to_value(&child).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        for (name, field) in map.iter_mut() {
            let kept = matches!(name.as_str(), "id" | "application_id" | "created_at")
                || field.is_array()
                || given.is_none_or(|given| given.contains(name));
            if !kept {
                *field = Value::Null;
            }
        }
        map.insert("updated_at".to_owned(), json!(updated_at));
        map.insert("version".to_owned(), json!(version));
    }
    serde_json::from_value(value).unwrap_or(child)
}

/// The original API's timestamps: RFC 3339, or naive (Python's `isoformat()`), read as UTC.
fn original_timestamp(value: Option<&Value>) -> Option<Timestamp> {
    let raw = value?.as_str()?.trim();
    if let Ok(at) = serde_json::from_value::<Timestamp>(json!(raw)) {
        return Some(at);
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()?;
    serde_json::from_value(json!(
        DateTime::<Utc>::from_naive_utc_and_offset(naive, Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    ))
    .ok()
}

fn original_key(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The original API's rows: its ids are integers, so ours are derived from them.
fn read_original(
    user: &UserId,
    applications: Vec<Value>,
    mut document: Map<String, Value>,
    now: Timestamp,
) -> Result<Vec<ImportRow>, ImportError> {
    let mut children: HashMap<String, (Vec<Value>, Vec<Value>)> = HashMap::new();
    let mut orphans = Vec::new();
    for (name, is_feedback) in [("feedback", true), ("rejections", false)] {
        let items = match document.remove(name) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(Invalid::field(name, "must be an array").into()),
        };
        for (index, item) in items.into_iter().enumerate() {
            match original_key(item.get("application_id")) {
                Some(key) => {
                    let entry = children.entry(key).or_default();
                    if is_feedback {
                        &mut entry.0
                    } else {
                        &mut entry.1
                    }
                    .push(item);
                }
                None => orphans.push(FieldError::new(
                    format!("{name}[{index}].application_id"),
                    "must name an application of this file",
                )),
            }
        }
    }
    if let Some(unknown) = document.keys().next() {
        return Err(Invalid::field(unknown.clone(), "is not a known field").into());
    }
    let keys: Vec<Option<String>> = applications
        .iter()
        .map(|a| original_key(a.get("id")))
        .collect();
    for key in children.keys() {
        if !keys.iter().any(|k| k.as_deref() == Some(key)) {
            orphans.push(FieldError::new(
                "application_id",
                format!("{} names no application of this file", shown(key)),
            ));
        }
    }
    if !orphans.is_empty() {
        return Err(Invalid(orphans).into());
    }
    let rows = applications
        .into_iter()
        .zip(keys)
        .enumerate()
        .map(|(index, (value, key))| {
            let (feedback, rejections) = key
                .as_ref()
                .and_then(|k| children.remove(k))
                .unwrap_or_default();
            ImportRow {
                row: index + 1,
                parsed: original_application(user, value, key, feedback, rejections, now),
                same_as: None,
            }
        })
        .collect();
    Ok(rows)
}

fn original_application(
    user: &UserId,
    value: Value,
    key: Option<String>,
    mut feedback: Vec<Value>,
    mut rejections: Vec<Value>,
    now: Timestamp,
) -> Result<ImportedApplication, Vec<FieldError>> {
    let mut map = take_object(value, "applications")?;
    let mut errors = Vec::new();
    for (name, list) in [("feedback", &mut feedback), ("rejections", &mut rejections)] {
        match map.remove(name) {
            Some(Value::Array(nested)) => list.extend(nested),
            None | Some(Value::Null) => {}
            Some(_) => errors.push(FieldError::new(name, "must be an array")),
        }
    }
    map.remove("id");
    map.remove("user_id");
    // Its status was free text: the words other tools use are read as ours.
    if let Some(Value::String(status)) = map.get("status") {
        let ours = map_status(status);
        map.insert("status".to_owned(), json!(ours));
    }
    let created_at = original_timestamp(map.remove("created_at").as_ref());
    let updated_at = original_timestamp(map.remove("updated_at").as_ref());
    // Its identity in the original app: its id, else its content.
    let identity = key.unwrap_or_else(|| canonical(&map));
    let print = fingerprint(user, &["original", &identity]);
    let at = created_at.unwrap_or(now);
    // Without a `created_at` the id cannot take its time from the clock: a second run would
    // derive another id and import the row again. 1970, as a CSV row without a date.
    let id = derived_id(created_at.map_or(0, Timestamp::unix_millis), &print);
    let mut application = match Application::parse_new(Value::Object(map), id, at) {
        Ok(application) => application,
        Err(invalid) => {
            errors.extend(invalid.0);
            return Err(errors);
        }
    };
    application.updated_at = updated_at.unwrap_or(at);
    let feedback =
        original_children::<Feedback>(user, feedback, "feedback", &identity, id, now, &mut errors);
    let rejections = original_children::<Rejection>(
        user,
        rejections,
        "rejections",
        &identity,
        id,
        now,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(ImportedApplication {
            application,
            feedback,
            rejections,
        })
    } else {
        Err(errors)
    }
}

fn original_children<T: ChildResource>(
    user: &UserId,
    items: Vec<Value>,
    name: &str,
    parent: &str,
    application_id: Id,
    now: Timestamp,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    parse_children(items, name, errors, |mut map, _, _| {
        let key = original_key(map.remove("id").as_ref()).unwrap_or_else(|| canonical(&map));
        let created_at = original_timestamp(map.remove("created_at").as_ref());
        let updated_at = original_timestamp(map.remove("updated_at").as_ref());
        let at = created_at.unwrap_or(now);
        let id = derived_id(
            created_at.map_or(0, Timestamp::unix_millis),
            &fingerprint(user, &["original", parent, name, &key]),
        );
        let parsed = T::parse_new(Value::Object(map), id, application_id, at);
        Some((
            id,
            parsed.map(|child| match updated_at {
                Some(updated_at) => with_meta(child, updated_at, 1, None),
                None => child,
            }),
        ))
    })
}

/// A JSON object as text with its keys sorted and strings trimmed: the normalized row.
fn canonical(map: &Map<String, Value>) -> String {
    let sorted: BTreeMap<&String, Value> = map
        .iter()
        .map(|(k, v)| {
            (
                k,
                match v {
                    Value::String(s) => Value::String(s.trim().to_owned()),
                    other => other.clone(),
                },
            )
        })
        .collect();
    serde_json::to_string(&sorted).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// CSV in.

/// A field of ours and the column names other tools give it (compared lower-case, with `_`,
/// `-` and repeated spaces read as one space).
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "company",
        &[
            "company",
            "employer",
            "organization",
            "organisation",
            "company name",
        ],
    ),
    (
        "role",
        &[
            "role",
            "title",
            "position",
            "job title",
            "job",
            "job position",
        ],
    ),
    ("status", &["status", "stage", "list", "state"]),
    (
        "applied_date",
        &[
            "applied date",
            "date applied",
            "application date",
            "applied on",
            "applied",
            "date",
        ],
    ),
    (
        "job_url",
        &[
            "url",
            "link",
            "job url",
            "job link",
            "posting url",
            "job posting",
        ],
    ),
    ("location", &["location", "city"]),
    ("work_mode", &["work mode", "workplace type"]),
    ("source", &["source", "found via", "channel"]),
    ("notes", &["notes", "note", "comments", "description"]),
    ("tags", &["tags", "tag", "labels", "label"]),
    ("salary", &["salary", "compensation", "pay", "salary range"]),
    ("salary_min", &["salary min", "min salary", "salary from"]),
    ("salary_max", &["salary max", "max salary", "salary to"]),
    ("salary_currency", &["salary currency", "currency"]),
    (
        "follow_up_on",
        &["follow up on", "follow up", "follow up date"],
    ),
];

/// The columns of LinkedIn's `Job Applications.csv` that identify it.
const LINKEDIN_COLUMNS: &[&str] = &["application date", "company name", "job title", "job url"];

fn normalize_header(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A status word of another tool, as ours; anything unknown is left for the parser to refuse
/// with the API's own message.
pub fn map_status(raw: &str) -> String {
    let word = normalize_header(raw);
    let ours = match word.as_str() {
        "wishlist" | "wish list" | "bookmarked" | "saved" | "to apply" | "interested"
        | "watching" | "planned" => "saved",
        "applied" | "application sent" | "submitted" | "applying" => "applied",
        "screen" | "screening" | "phone screen" | "recruiter screen" | "in review"
        | "under review" => "screening",
        "interview"
        | "interviews"
        | "interviewing"
        | "technical interview"
        | "onsite"
        | "interview scheduled" => "interviewing",
        "offer" | "offered" | "offer received" => "offer",
        "accepted" | "hired" | "offer accepted" => "accepted",
        "declined" | "offer declined" => "declined",
        "rejected" | "not selected" | "no offer" | "rejection" | "not moving forward"
        | "archived rejected" => "rejected",
        "withdrawn" | "withdrew" => "withdrawn",
        "ghosted" | "no response" | "no reply" => "ghosted",
        _ => return raw.trim().to_owned(),
    };
    ours.to_owned()
}

/// A date as other tools write it, as `YYYY-MM-DD`: ISO (with or without a time), US
/// `M/D/YY[YY]` (LinkedIn's `3/7/24, 2:22 PM`), `Mar 7, 2024`, `7 Mar 2024`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if let Some(head) = raw.get(..10)
        && let Ok(date) = NaiveDate::parse_from_str(head, "%Y-%m-%d")
    {
        return Some(date);
    }
    let day = raw.split([',', ' ', 'T']).next().unwrap_or(raw);
    for format in ["%m/%d/%Y", "%m/%d/%y"] {
        if let Ok(date) = NaiveDate::parse_from_str(day, format) {
            // `%Y` also reads "24" as the year 24.
            if date.format("%Y").to_string().len() == 4 && date.year_ce().1 >= 1900 {
                return Some(date);
            }
        }
    }
    for format in ["%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"] {
        if let Ok(date) = NaiveDate::parse_from_str(raw, format) {
            return Some(date);
        }
    }
    None
}

/// `90000`, `$90,000 - 120,000`, `90k-120k EUR`, `€80k`: `(min, max, currency)`.
pub fn parse_salary(raw: &str) -> Option<(u64, u64, Option<String>)> {
    let upper = raw.to_uppercase();
    let mut currency = [
        ("$", "USD"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("¥", "JPY"),
        ("₹", "INR"),
    ]
    .iter()
    .find(|(symbol, _)| upper.contains(symbol))
    .map(|(_, code)| (*code).to_owned());
    // An ISO code counts beside an amount (`EUR 90k`, `EUR90k`, `90k-120k gbp`), not as any
    // three-letter word (`top of band`).
    let chars: Vec<char> = upper.chars().collect();
    let digit = |at: usize| chars.get(at).is_some_and(char::is_ascii_digit);
    let amount_before = |end: usize| {
        let mut at = end;
        while at > 0 && chars[at - 1] == ' ' {
            at -= 1;
        }
        // A digit, or a `k`/`M` suffix after one.
        at > 0 && (digit(at - 1) || (matches!(chars[at - 1], 'K' | 'M') && at > 1 && digit(at - 2)))
    };
    let amount_after = |start: usize| {
        let mut at = start;
        while chars.get(at) == Some(&' ') {
            at += 1;
        }
        digit(at)
    };
    let mut start = 0;
    while start < chars.len() {
        if !chars[start].is_ascii_alphabetic() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < chars.len() && chars[end].is_ascii_alphabetic() {
            end += 1;
        }
        let word: String = chars[start..end].iter().collect();
        if word.len() == 3
            && ISO_4217.binary_search(&word.as_str()).is_ok()
            && (amount_before(start) || amount_after(end))
        {
            currency = Some(word);
        }
        start = end;
    }
    // Each amount and the multiplier its suffix (`k`, `M`) names.
    let mut numbers: Vec<(f64, Option<f64>)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut text = String::new();
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == ',' || chars[i] == '.')
            {
                if chars[i] != ',' {
                    text.push(chars[i]);
                }
                i += 1;
            }
            let value: f64 = text.trim_end_matches('.').parse().ok()?;
            let multiplier = match chars.get(i) {
                Some('K') => Some(1_000.0),
                Some('M') => Some(1_000_000.0),
                _ => None,
            };
            numbers.push((value, multiplier));
        } else {
            i += 1;
        }
    }
    // `80-100k`: a range's one suffix, on its upper bound, is meant for both.
    if let [(low, None), (high, Some(multiplier))] = numbers[..]
        && low <= high
    {
        numbers[0].1 = Some(multiplier);
    }
    let amounts: Vec<u64> = numbers
        .iter()
        .map(|(value, multiplier)| (value * multiplier.unwrap_or(1.0)).round() as u64)
        .collect();
    match amounts[..] {
        [one] => Some((one, one, currency)),
        [min, max] => Some((min, max, currency)),
        _ => None,
    }
}

/// Strips the apostrophe our CSV export puts before a cell that would read as a formula.
fn unneutralize(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest) => rest,
        _ => cell,
    }
}

/// Reads a CSV import: UTF-8 (a BOM is dropped), a header row whose columns are matched by
/// [`COLUMNS`]' aliases; each row is checked by the API's own application parser.
pub fn read_csv(user: &UserId, bytes: &[u8], now: Timestamp) -> Result<ImportPlan, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ImportError::Malformed(format!(
            "the CSV is not UTF-8 (byte {}): save it as UTF-8 and import it again",
            e.valid_up_to()
        ))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Malformed(format!("malformed CSV: {e}")))?
        .clone();
    if headers.len() > MAX_CSV_COLUMNS {
        return Err(Invalid::field(
            "body",
            format!(
                "the CSV's header row must have at most {MAX_CSV_COLUMNS} columns (it has {})",
                headers.len()
            ),
        )
        .into());
    }
    let normalized: Vec<String> = headers.iter().map(normalize_header).collect();
    let linkedin = LINKEDIN_COLUMNS
        .iter()
        .all(|c| normalized.iter().any(|h| h == c));
    // Our own CSV export, header as written: its tags are joined with "; " only.
    let ours = normalized.len() == CSV_COLUMNS.len()
        && normalized
            .iter()
            .zip(CSV_COLUMNS)
            .all(|(header, column)| *header == normalize_header(column));
    let mut fields: Vec<Option<&'static str>> = Vec::with_capacity(normalized.len());
    let mut ignored_columns = Vec::new();
    for (index, header) in normalized.iter().enumerate() {
        let field = COLUMNS
            .iter()
            .find(|(_, aliases)| aliases.contains(&header.as_str()))
            .map(|(name, _)| *name)
            .filter(|name| !fields.contains(&Some(*name)));
        if field.is_none() && !header.is_empty() {
            let name = shown(headers[index].trim().trim_start_matches('\u{feff}'));
            // Each name once, however often the header repeats it.
            if !ignored_columns.contains(&name) {
                ignored_columns.push(name);
            }
        }
        fields.push(field);
    }
    if !fields.contains(&Some("company")) || !fields.contains(&Some("role")) {
        return Err(Invalid::field(
            "body",
            "the CSV's header row must name a company column (Company, Employer, Organization) and a role column (Role, Title, Position, Job Title)",
        )
        .into());
    }
    let source = if linkedin {
        ImportSource::Linkedin
    } else {
        ImportSource::Csv
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Malformed(format!("malformed CSV: {e}")))?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(ImportError::TooManyRows(MAX_IMPORT_ROWS + 1));
        }
        // The line the record starts on (the reader's own count is off after CRLF).
        let line = record.position().map_or(rows.len() + 2, |p| {
            let bytes = text.as_bytes();
            let mut start = (p.byte() as usize).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                start += 1;
            }
            bytes[..start].iter().filter(|b| **b == b'\n').count() + 1
        });
        let mut cells: Vec<(&'static str, &str)> = Vec::new();
        for (index, cell) in record.iter().enumerate() {
            let cell = unneutralize(cell.trim());
            if let Some(Some(field)) = fields.get(index)
                && (!cell.is_empty() || matches!(*field, "company" | "role"))
            {
                cells.push((field, cell));
            }
        }
        rows.push(ImportRow {
            row: line,
            parsed: csv_application(user, &cells, linkedin, ours, now),
            same_as: None,
        });
    }
    mark_duplicates(&mut rows);
    Ok(ImportPlan {
        source,
        rows,
        ignored_columns,
    })
}

fn split_tags<'a>(parts: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    parts.map(str::trim).filter(|t| !t.is_empty()).collect()
}

fn csv_application(
    user: &UserId,
    cells: &[(&'static str, &str)],
    linkedin: bool,
    ours: bool,
    now: Timestamp,
) -> Result<ImportedApplication, Vec<FieldError>> {
    let mut body = Map::new();
    let mut errors = Vec::new();
    for (field, cell) in cells {
        let value = match *field {
            "status" => json!(map_status(cell)),
            "applied_date" | "follow_up_on" => {
                json!(parse_date(cell).map_or_else(|| (*cell).to_owned(), |d| d.to_string()))
            }
            // Other trackers separate tags with any of these (our export: below).
            "tags" => json!(split_tags(cell.split([';', ',', '|']))),
            "salary_min" | "salary_max" => match cell.replace([',', ' '], "").parse::<u64>() {
                Ok(n) => json!(n),
                Err(_) => json!(cell),
            },
            "work_mode" => json!(cell.to_lowercase().replace(['-', ' '], "")),
            "salary" => {
                match parse_salary(cell) {
                    Some((min, max, currency)) => {
                        body.entry("salary_min").or_insert(json!(min));
                        body.entry("salary_max").or_insert(json!(max));
                        if let Some(currency) = currency {
                            body.entry("salary_currency").or_insert(json!(currency));
                        }
                    }
                    None => errors.push(FieldError::new(
                        "salary",
                        "must be an amount or a range such as 90000-120000 USD",
                    )),
                }
                continue;
            }
            _ => json!(cell),
        };
        body.insert((*field).to_owned(), value);
    }
    if linkedin {
        body.entry("source").or_insert(json!("linkedin"));
    }
    let print = fingerprint(user, &["csv", &canonical(&body)]);
    // Our export joined tags with "; " only, so a tag holding "," or "|" reads back whole. The
    // id stays the one every separator gives: the same file reads as the same rows as before.
    if ours && let Some((_, cell)) = cells.iter().find(|(field, _)| *field == "tags") {
        body.insert("tags".to_owned(), json!(split_tags(cell.split("; "))));
    }
    let date_ms = body
        .get("applied_date")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map_or(0, millis_of_date);
    match Application::parse_new(Value::Object(body), derived_id(date_ms, &print), now) {
        Ok(application) if errors.is_empty() => Ok(ImportedApplication {
            application,
            feedback: Vec::new(),
            rejections: Vec::new(),
        }),
        Ok(_) => Err(errors),
        Err(Invalid(more)) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV out.

/// The columns of the CSV export (its first line). The same names read back as an import.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "company",
    "role",
    "status",
    "applied_date",
    "job_url",
    "location",
    "work_mode",
    "source",
    "salary_min",
    "salary_max",
    "salary_currency",
    "tags",
    "notes",
    "follow_up_on",
    "status_history",
    "feedback_count",
    "last_feedback_date",
    "rejection_count",
    "last_rejection_date",
    "created_at",
    "updated_at",
];

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
pub fn neutralize(cell: &str) -> String {
    if needs_apostrophe(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Whether a cell gets the export's apostrophe: it would read as a formula, or it starts with
/// apostrophes before such a character — so the import, which strips one apostrophe from such a
/// cell, reads back every value as it was (`'=x` is exported as `''=x`).
fn needs_apostrophe(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// CSV rows of `applications`; with `header`, the UTF-8 BOM and the header line first.
pub fn write_csv(applications: &[ExportedApplication], header: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if header {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        if header {
            let _ = writer.write_record(CSV_COLUMNS);
        }
        for exported in applications {
            let a = &exported.application;
            let opt = |v: Option<String>| v.unwrap_or_default();
            let history = a
                .status_history
                .iter()
                .map(|c| format!("{} {}", c.status, c.at.date()))
                .collect::<Vec<_>>()
                .join("; ");
            let last_feedback = exported
                .feedback
                .iter()
                .filter_map(|f| f.feedback_date.or(Some(f.created_at.date())))
                .max();
            let last_rejection = exported
                .rejections
                .iter()
                .filter_map(|r| r.rejected_date.or(Some(r.created_at.date())))
                .max();
            let row = [
                a.id.to_string(),
                a.company.clone(),
                a.role.clone(),
                a.status.to_string(),
                opt(a.applied_date.map(|d| d.to_string())),
                opt(a.job_url.clone()),
                opt(a.location.clone()),
                opt(a.work_mode.map(|m| m.to_string())),
                opt(a.source.clone()),
                opt(a.salary_min.map(|n| n.to_string())),
                opt(a.salary_max.map(|n| n.to_string())),
                opt(a.salary_currency.clone()),
                a.tags.join("; "),
                opt(a.notes.clone()),
                opt(a.follow_up_on.map(|d| d.to_string())),
                history,
                exported.feedback.len().to_string(),
                opt(last_feedback.map(|d| d.to_string())),
                exported.rejections.len().to_string(),
                opt(last_rejection.map(|d| d.to_string())),
                a.created_at.to_string(),
                a.updated_at.to_string(),
            ];
            let _ = writer.write_record(row.iter().map(|cell| neutralize(cell)));
        }
        let _ = writer.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn csv(text: &str) -> ImportPlan {
        read_csv(&user("alice"), text.as_bytes(), Timestamp::now()).unwrap()
    }

    fn only(plan: &ImportPlan) -> &Application {
        &plan.rows[0].parsed.as_ref().unwrap().application
    }

    #[test]
    fn every_alias_set_maps_its_columns() {
        let sets = [
            (
                "Company,Role,Status,Applied Date,URL",
                "Acme,Dev,Interview,2024-03-07,https://a.example/1",
            ),
            (
                "Employer,Title,Stage,Date Applied,Link",
                "Acme,Dev,Interview,2024-03-07,https://a.example/1",
            ),
            (
                "Organization,Position,List,Application Date,Job Url",
                "Acme,Dev,Interview,2024-03-07,https://a.example/1",
            ),
            (
                "organization,JOB TITLE,status,applied_date,job_url",
                "Acme,Dev,Interview,2024-03-07,https://a.example/1",
            ),
        ];
        for (header, row) in sets {
            let plan = csv(&format!("{header}\n{row}\n"));
            let app = only(&plan);
            assert_eq!(
                (app.company.as_str(), app.role.as_str()),
                ("Acme", "Dev"),
                "{header}"
            );
            assert_eq!(app.status, Status::Interviewing, "{header}");
            assert_eq!(
                app.applied_date.unwrap().to_string(),
                "2024-03-07",
                "{header}"
            );
            assert_eq!(
                app.job_url.as_deref(),
                Some("https://a.example/1"),
                "{header}"
            );
            assert!(plan.ignored_columns.is_empty(), "{header}");
        }
        let plan = csv(
            "\u{feff}Company,Role,Location,Source,Notes,Tags,Salary,Favourite colour\n\
             Acme,Dev,Berlin,referral,\"Met at, a meetup\",rust; remote|senior,\"€80k - 95,000\",blue\n",
        );
        let app = only(&plan);
        assert_eq!(app.location.as_deref(), Some("Berlin"));
        assert_eq!(app.source.as_deref(), Some("referral"));
        assert_eq!(app.notes.as_deref(), Some("Met at, a meetup"));
        assert_eq!(app.tags, ["rust", "remote", "senior"]);
        assert_eq!(
            (app.salary_min, app.salary_max),
            (Some(80_000), Some(95_000))
        );
        assert_eq!(app.salary_currency.as_deref(), Some("EUR"));
        assert_eq!(plan.ignored_columns, ["Favourite colour"]);
    }

    #[test]
    fn status_words_of_other_tools_map_to_ours() {
        for (word, ours) in [
            ("Interview", "interviewing"),
            ("Wishlist", "saved"),
            ("Bookmarked", "saved"),
            ("Not selected", "rejected"),
            ("  OFFER ", "offer"),
            ("phone-screen", "screening"),
            ("Ghosted", "ghosted"),
            ("something else", "something else"),
        ] {
            assert_eq!(map_status(word), ours);
        }
        let plan = csv("Company,Role,Status\nAcme,Dev,Maybe\n");
        let errors = plan.rows[0].parsed.as_ref().unwrap_err();
        assert_eq!(errors[0].field, "status");
        assert!(
            errors[0]
                .message
                .starts_with("must be one of: saved, applied")
        );
    }

    #[test]
    fn linkedin_exports_are_recognised_with_their_dates() {
        let plan = csv(
            "Application Date,Contact Email,Contact Phone Number,Company Name,Job Title,Job Url,Resume Name,Question And Answers\n\
             \"3/7/24, 2:22 PM\",,,Acme,Rust Engineer,https://www.linkedin.com/jobs/view/1,cv.pdf,\n",
        );
        assert_eq!(plan.source, ImportSource::Linkedin);
        let app = only(&plan);
        assert_eq!(app.applied_date.unwrap().to_string(), "2024-03-07");
        assert_eq!(app.source.as_deref(), Some("linkedin"));
        assert_eq!(app.status, Status::Applied);
        assert_eq!(parse_date("12/31/2023").unwrap().to_string(), "2023-12-31");
        assert_eq!(parse_date("Mar 7, 2024").unwrap().to_string(), "2024-03-07");
        assert_eq!(
            parse_date("2024-03-07T10:00:00Z").unwrap().to_string(),
            "2024-03-07"
        );
        assert!(parse_date("31/12/2023").is_none());
        assert!(
            parse_date("2024-03-0é").is_none(),
            "no slicing inside a character"
        );
        assert!(parse_date("ééééééé").is_none());
    }

    #[test]
    fn rows_have_stable_ids_per_user_and_duplicates_are_marked() {
        let text = "Company,Role\nAcme,Dev\n\n,\nAcme , Dev\nOther,Dev\n";
        let first = csv(text);
        let again = csv(text);
        assert_eq!(
            first.rows.len(),
            3,
            "empty lines and empty rows are skipped"
        );
        assert_eq!(only(&first).id, only(&again).id);
        assert_eq!(first.rows[1].same_as, Some(first.rows[0].row));
        assert_eq!(first.rows[1].row, 5, "rows are the file's lines");
        let bob = read_csv(&user("bob"), text.as_bytes(), Timestamp::now()).unwrap();
        assert_ne!(only(&bob).id, only(&first).id);
    }

    #[test]
    fn malformed_csv_is_refused_whole() {
        let me = user("alice");
        let now = Timestamp::now();
        assert!(matches!(
            read_csv(&me, b"Company,Role\n\xe9cole,Dev\n", now),
            Err(ImportError::Malformed(_))
        ));
        assert!(matches!(
            read_csv(&me, b"Name,Age\nx,1\n", now),
            Err(ImportError::Invalid(_))
        ));
        // An unbalanced quote runs to the end of the file: one row, read as text.
        let plan = read_csv(&me, b"Company,Role\n\"Acme,Dev\nOther,Dev\n", now).unwrap();
        assert_eq!(plan.rows.len(), 1);
        assert!(plan.rows[0].parsed.is_err());
        let many = format!("Company,Role\n{}", "a,b\n".repeat(MAX_IMPORT_ROWS + 1));
        assert!(matches!(
            read_csv(&me, many.as_bytes(), now),
            Err(ImportError::TooManyRows(_))
        ));
    }

    #[test]
    fn an_exported_history_out_of_order_is_stored_oldest_first() {
        let change = |status: &str, at: &str| json!({"status": status, "at": at});
        let plan = read_json(
            &user("alice"),
            json!({"format": FORMAT, "applications": [{
                "id": Id::generate().to_string(), "company": "Acme", "role": "Dev",
                "status": "screening", "applied_date": null,
                "created_at": "2026-01-20T09:00:00.000Z", "updated_at": "2026-02-10T09:00:00.000Z",
                "version": 3,
                "status_history": [
                    change("screening", "2026-02-10T09:00:00.000Z"),
                    change("saved", "2026-02-01T09:00:00.000Z"),
                    change("applied", "2026-02-01T09:00:00.000Z"),
                    change("saved", "2026-01-20T09:00:00.000Z"),
                ],
            }]}),
            Timestamp::now(),
        )
        .unwrap();
        let history = &plan.rows[0]
            .parsed
            .as_ref()
            .unwrap()
            .application
            .status_history;
        let listed: Vec<String> = history
            .iter()
            .map(|c| format!("{} {}", c.status, c.at))
            .collect();
        // By time; the two changes at one instant in the file's order.
        assert_eq!(
            listed,
            [
                "saved 2026-01-20T09:00:00.000Z",
                "saved 2026-02-01T09:00:00.000Z",
                "applied 2026-02-01T09:00:00.000Z",
                "screening 2026-02-10T09:00:00.000Z",
            ]
        );
    }

    #[test]
    fn a_json_import_holds_at_most_the_children_limit_counted_as_listed() {
        let me = user("alice");
        let now = Timestamp::now();
        let children = |n: usize| vec![json!({}); n];
        // Our export: the applications' own arrays, feedback and rejections together.
        let export = |feedback: usize, rejections: usize| {
            json!({"format": FORMAT, "applications": [
                {"feedback": children(feedback)},
                {"feedback": [], "rejections": children(rejections)},
            ]})
        };
        let half = MAX_IMPORT_CHILDREN / 2;
        let at_limit = read_json(&me, export(half, half), now).unwrap();
        assert_eq!(at_limit.rows.len(), 2, "at the limit every row is read");
        assert_eq!(
            read_json(&me, export(half, half + 1), now),
            Err(ImportError::TooManyChildren(MAX_IMPORT_CHILDREN + 1))
        );
        // The original API's: top-level arrays and an application's own, together.
        let original = |top: usize, nested: usize| {
            json!({"applications": [{"id": 1, "company": "A", "role": "B",
                    "rejections": children(nested)}],
                   "feedback": children(top)})
        };
        assert!(matches!(
            read_json(&me, original(half, half), now),
            Err(ImportError::Invalid(_))
        ));
        assert_eq!(
            read_json(&me, original(half + 1, half), now),
            Err(ImportError::TooManyChildren(MAX_IMPORT_CHILDREN + 1))
        );
    }

    #[test]
    fn errors_are_listed_up_to_a_bound_with_a_last_entry_counting_the_rest() {
        let errors = |n: usize| {
            (0..n)
                .map(|i| FieldError::new(format!("f{i}"), "must be x"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            listed(errors(20), 20),
            errors(20),
            "at the bound: all of them"
        );
        let cut = listed(errors(41), 20);
        assert_eq!(cut.len(), 20);
        assert_eq!(cut[..19], errors(19)[..]);
        assert_eq!(
            cut[19],
            FieldError::new(MORE_ERRORS_FIELD, "and 22 more not listed")
        );
        assert_eq!(listed(errors(101), MAX_DOCUMENT_ERRORS).len(), 100);
    }

    #[test]
    fn a_name_from_the_file_is_shown_within_its_bytes_as_the_response_carries_them() {
        let fits = "a".repeat(MAX_NAME_BYTES);
        assert_eq!(shown(&fits), fits);
        assert_eq!(shown(&format!("{fits}b")), format!("{fits}…"));
        // A quote is `\"` in the body and `\\\"` in the response; a control character `\\u0001`.
        assert_eq!(shown(&"\"".repeat(1_000)), format!("{}…", "\"".repeat(16)));
        assert_eq!(
            shown(&"\u{1}".repeat(1_000)),
            format!("{}…", "\u{1}".repeat(9))
        );
        // Never inside a character.
        assert_eq!(shown(&"é".repeat(40)), format!("{}…", "é".repeat(32)));
        // Every listed field is shown so.
        let long = format!("feedback[0].{}", "x".repeat(100));
        let cut = listed(
            vec![FieldError::new(long.as_str(), "is not a known field")],
            20,
        );
        assert_eq!(cut[0].field, format!("{}…", &long[..MAX_NAME_BYTES]));
    }

    #[test]
    fn a_csv_header_has_at_most_200_columns_and_each_ignored_name_is_listed_once() {
        let me = user("alice");
        let now = Timestamp::now();
        let header = |columns: usize| {
            let mut names = vec![
                "Company".to_owned(),
                "Role".to_owned(),
                "Company".to_owned(),
            ];
            names.extend((names.len()..columns).map(|n| ["x", "y"][n % 2].to_owned()));
            format!("{}\nAcme,Dev\n", names.join(","))
        };
        let at_limit = read_csv(&me, header(MAX_CSV_COLUMNS).as_bytes(), now).unwrap();
        assert_eq!(at_limit.rows.len(), 1);
        assert_eq!(at_limit.ignored_columns, ["Company", "y", "x"]);
        let Err(ImportError::Invalid(Invalid(errors))) =
            read_csv(&me, header(MAX_CSV_COLUMNS + 1).as_bytes(), now)
        else {
            panic!("201 columns are refused");
        };
        assert_eq!(errors[0].field, "body");
        assert!(
            errors[0]
                .message
                .contains("at most 200 columns (it has 201)")
        );
    }

    #[test]
    fn csv_export_neutralises_formulas_and_reads_back() {
        let now = Timestamp::now();
        let app = Application::parse_new(
            json!({
                "company": "=HYPERLINK(\"http://evil\")", "role": "+Dev", "notes": "@SUM(A1)",
                "tags": ["-x", "y", "R&D | Platform", "C, C++"]
            }),
            Id::generate(),
            now,
        )
        .unwrap();
        let bytes = write_csv(
            &[ExportedApplication {
                application: app,
                feedback: Vec::new(),
                rejections: Vec::new(),
            }],
            true,
        );
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("'=HYPERLINK"));
        assert!(text.contains("'+Dev"));
        assert!(text.contains("'@SUM(A1)"));
        let plan = read_csv(&user("alice"), &bytes, now).unwrap();
        let back = only(&plan);
        assert_eq!(back.company, "=HYPERLINK(\"http://evil\")");
        assert_eq!(back.role, "+Dev");
        // Split where the export joined them only: "," and "|" belong to a tag.
        assert_eq!(back.tags, ["-x", "y", "R&D | Platform", "C, C++"]);
        // Under another header the same row splits on every separator, and is the same row.
        let text = String::from_utf8(bytes).unwrap();
        let other = text.replacen("updated_at", "Last touched", 1);
        let elsewhere = read_csv(&user("alice"), other.as_bytes(), now).unwrap();
        assert_eq!(only(&elsewhere).tags.len(), 6);
        assert_eq!(only(&elsewhere).id, back.id);
        assert!(plan.ignored_columns.contains(&"status_history".to_owned()));
    }

    #[test]
    fn every_cell_reads_back_as_it_was_exported() {
        for value in [
            "=x", "+1", "-dev", "@home", "'=x", "''=x", "'-dev", "'", "''", "'x", "x", "it's",
        ] {
            let exported = neutralize(value);
            assert!(!exported.starts_with(['=', '+', '-', '@']), "{exported}");
            assert_eq!(unneutralize(&exported), value, "{exported}");
        }
    }

    #[test]
    fn salaries_read_amounts_ranges_and_currencies() {
        assert_eq!(parse_salary("90000"), Some((90_000, 90_000, None)));
        assert_eq!(
            parse_salary("$90,000 - 120,000"),
            Some((90_000, 120_000, Some("USD".to_owned())))
        );
        assert_eq!(
            parse_salary("90k-120k gbp"),
            Some((90_000, 120_000, Some("GBP".to_owned())))
        );
        assert_eq!(parse_salary("competitive"), None);
        // One suffix on a range's upper bound is meant for both.
        assert_eq!(parse_salary("80-100k"), Some((80_000, 100_000, None)));
        assert_eq!(
            parse_salary("$90-120K"),
            Some((90_000, 120_000, Some("USD".to_owned())))
        );
        assert_eq!(parse_salary("50000-100k"), Some((50_000, 100_000, None)));
        // An ISO code beside an amount sets the currency; another three-letter word does not.
        assert_eq!(
            parse_salary("EUR 90,000"),
            Some((90_000, 90_000, Some("EUR".to_owned())))
        );
        assert_eq!(
            parse_salary("top of band, 90k"),
            Some((90_000, 90_000, None))
        );
        assert_eq!(
            parse_salary("EUR90k"),
            Some((90_000, 90_000, Some("EUR".to_owned())))
        );
        assert_eq!(
            parse_salary("90,000usd"),
            Some((90_000, 90_000, Some("USD".to_owned())))
        );
    }

    #[test]
    fn the_original_apis_responses_are_read() {
        let plan = read_json(
            &user("alice"),
            json!({
                "applications": [{"id": 1, "company": "Acme", "role": "Dev", "job_url": null,
                    "status": "Interview", "applied_date": "2025-01-02", "notes": null,
                    "created_at": "2025-01-02T10:00:00.123456", "updated_at": "2025-01-03T10:00:00"}],
                "feedback": [{"id": 7, "application_id": 1, "feedback_date": "2025-01-05",
                    "interviewer": "Sam", "rating": 4, "comments": "ok", "created_at": "2025-01-05T09:00:00"}],
                "rejections": [{"id": 3, "application_id": 1, "rejected_date": "2025-01-09",
                    "reasons": "no visa, too junior", "notes": null, "created_at": "2025-01-09T09:00:00"}]
            }),
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(plan.source, ImportSource::Original);
        let imported = plan.rows[0].parsed.as_ref().unwrap();
        assert_eq!(imported.application.status, Status::Interviewing);
        let free_text = read_json(
            &user("alice"),
            json!([{"id": 2, "company": "A", "role": "B", "status": "Phone Screen"}]),
            Timestamp::now(),
        )
        .unwrap();
        let parsed = free_text.rows[0].parsed.as_ref().unwrap();
        assert_eq!(parsed.application.status, Status::Screening);
        assert_eq!(
            imported.application.created_at.to_string(),
            "2025-01-02T10:00:00.123Z"
        );
        assert_eq!(imported.feedback[0].rating, Some(4));
        assert_eq!(imported.rejections[0].reasons, ["no visa", "too junior"]);
        // A child listed twice (nested and top level) is written once.
        let twice = read_json(
            &user("alice"),
            json!({"applications": [{"id": 1, "company": "A", "role": "B",
                    "feedback": [{"id": 5, "application_id": 1, "rating": 3}]}],
                   "feedback": [{"id": 5, "application_id": 1, "rating": 3}]}),
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(twice.rows[0].parsed.as_ref().unwrap().feedback.len(), 1);
        let orphan = read_json(
            &user("alice"),
            json!({"applications": [], "feedback": [{"id": 1, "application_id": 9}]}),
            Timestamp::now(),
        );
        assert!(matches!(orphan, Err(ImportError::Invalid(_))));
    }

    #[test]
    fn an_original_application_whose_children_are_not_a_list_is_rejected_not_emptied() {
        let plan = read_json(
            &user("alice"),
            json!([{"id": 1, "company": "A", "role": "B", "feedback": {"rating": 4},
                    "rejections": "no visa"},
                   {"id": 2, "company": "C", "role": "D", "feedback": null},
                   {"id": 3, "company": "", "role": "F", "rejections": 7}]),
            Timestamp::now(),
        )
        .unwrap();
        let fields = |row: usize| -> Vec<(String, String)> {
            let errors = plan.rows[row].parsed.as_ref().unwrap_err();
            errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect()
        };
        let not_a_list = |field: &str| (field.to_owned(), "must be an array".to_owned());
        assert_eq!(
            fields(0),
            [not_a_list("feedback"), not_a_list("rejections")]
        );
        // `null` is no children.
        assert!(plan.rows[1].parsed.as_ref().unwrap().feedback.is_empty());
        // Listed with the application's own errors.
        let third = fields(2);
        assert_eq!(third[0], not_a_list("rejections"));
        assert!(
            third.iter().any(|(field, _)| field == "company"),
            "{third:?}"
        );
    }
}
