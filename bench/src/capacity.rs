//! Which DynamoDB calls a request makes and what they cost: an SDK interceptor that asks every
//! data-plane call for `ReturnConsumedCapacity=INDEXES` (the `TOTAL` figure plus its split
//! between the table and each index) and records the call, its outcome and the capacity the
//! response reports. Plus DynamoDB's item-size rules, for the documented minimum.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::{Value, json};

/// Operations that accept `ReturnConsumedCapacity`.
const METERED: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

/// One DynamoDB call as the client made it.
#[derive(Debug, Clone, Default)]
pub struct Call {
    pub operation: String,
    /// The error type when the call failed (e.g. `ConditionalCheckFailedException`).
    pub error: Option<String>,
    /// Capacity units the response reports (table and indexes); none on failed calls.
    pub capacity: f64,
    /// The part of it spent on global secondary indexes.
    pub index_capacity: f64,
    /// Whether the response carried `ConsumedCapacity` at all.
    pub metered: bool,
}

impl Call {
    pub fn label(&self) -> String {
        match &self.error {
            None => self.operation.clone(),
            Some(error) => format!(
                "{} ✗{}",
                self.operation,
                error.trim_end_matches("Exception")
            ),
        }
    }
}

/// Records the calls of every client it is installed on.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
}

#[derive(Debug, Clone)]
struct Operation(String);

impl Storable for Operation {
    type Storer = StoreReplace<Self>;
}

impl Recorder {
    /// `client` with this recorder installed.
    pub fn instrument(&self, client: &Client) -> Client {
        let config = client
            .config()
            .to_builder()
            .interceptor(self.clone())
            .build();
        Client::from_conf(config)
    }

    /// The calls recorded since the last call.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("recorder"))
    }
}

fn capacity_of(value: &Value) -> (f64, f64) {
    let units = |v: &Value| {
        v.get("CapacityUnits")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(capacity_of)
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Object(_) => {
            let indexes = value
                .get("GlobalSecondaryIndexes")
                .and_then(Value::as_object)
                .map(|indexes| indexes.values().map(units).sum())
                .unwrap_or(0.0);
            (units(value), indexes)
        }
        _ => (0.0, 0.0),
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "BenchCapacityRecorder"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("?")
            .to_owned();
        if METERED.contains(&operation.as_str())
            && let Some(bytes) = request.body().bytes()
        {
            let mut body: Value = serde_json::from_slice(bytes)?;
            if let Some(fields) = body.as_object_mut() {
                fields.insert("ReturnConsumedCapacity".into(), json!("INDEXES"));
            }
            let bytes = serde_json::to_vec(&body)?;
            request
                .headers_mut()
                .insert("content-length", bytes.len().to_string());
            *request.body_mut() = SdkBody::from(bytes);
        }
        cfg.interceptor_state().store_put(Operation(operation));
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Operation>()
            .map(|op| op.0.clone())
            .unwrap_or_default();
        let response = context.response();
        let body: Value = response
            .body()
            .bytes()
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or(Value::Null);
        let error = (!response.status().is_success()).then(|| {
            body.get("__type")
                .and_then(Value::as_str)
                .and_then(|t| t.rsplit('#').next())
                .unwrap_or("error")
                .to_owned()
        });
        let consumed = body.get("ConsumedCapacity");
        let (capacity, index_capacity) = consumed.map(capacity_of).unwrap_or((0.0, 0.0));
        self.calls.lock().expect("recorder").push(Call {
            operation,
            error,
            capacity,
            index_capacity,
            metered: consumed.is_some(),
        });
        Ok(())
    }
}

/// The calls as one line: `GetItem + TransactWriteItems`.
pub fn describe(calls: &[Call]) -> String {
    if calls.is_empty() {
        return "none".to_owned();
    }
    calls
        .iter()
        .map(Call::label)
        .collect::<Vec<_>>()
        .join(" + ")
}

pub fn total(calls: &[Call]) -> (f64, f64) {
    calls.iter().fold((0.0, 0.0), |(c, i), call| {
        (c + call.capacity, i + call.index_capacity)
    })
}

pub fn calls_json(calls: &[Call]) -> Value {
    Value::Array(
        calls
            .iter()
            .map(|call| {
                json!({
                    "operation": call.operation,
                    "error": call.error,
                    "capacity_units": call.capacity,
                    "index_capacity_units": call.index_capacity,
                    "metered": call.metered,
                })
            })
            .collect(),
    )
}

/// The size DynamoDB bills for an attribute value (its documented sizing rules).
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(items) => items.iter().map(String::len).sum(),
        AttributeValue::Ns(items) => items.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(items) => items.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// A number: one byte per two significant digits, plus one.
fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

/// An item's size: attribute names plus values.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Write units for one item write: one per started KiB.
pub fn wcu(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Read units for a strongly consistent read of `bytes` (one per started 4 KiB).
pub fn rcu(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_documented_rules() {
        let item: HashMap<String, AttributeValue> = [
            ("PK".to_owned(), AttributeValue::S("abc".into())),
            ("n".to_owned(), AttributeValue::N("12345".into())),
            (
                "l".to_owned(),
                AttributeValue::L(vec![AttributeValue::S("x".into())]),
            ),
        ]
        .into();
        // 2+3, 1+(3 digits→... 5 digits: 3+1), 1+(3+1+1)
        assert_eq!(item_size(&item), 5 + 5 + 6);
        assert_eq!((wcu(1), wcu(1024), wcu(1025)), (1.0, 1.0, 2.0));
        assert_eq!((rcu(4096), rcu(4097)), (1.0, 2.0));
        let (c, i) = capacity_of(&json!([
            {"CapacityUnits": 2.0, "GlobalSecondaryIndexes": {"GSI1": {"CapacityUnits": 1.0}}},
            {"CapacityUnits": 2.0}
        ]));
        assert_eq!((c, i), (4.0, 1.0));
    }
}
