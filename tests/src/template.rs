//! `template.yaml` as the tests read it, and the IAM it grants each function, enforced on the
//! harness's DynamoDB calls: DynamoDB Local checks no permission, so without this a call a
//! function's role does not allow passes every test and fails only in AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use serde_norway::Value;

/// The template, parsed.
pub fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml at the workspace root");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// The `AWS::Serverless::Function` resources, by logical id.
pub fn functions(template: &Value) -> BTreeMap<String, &Value> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, resource)| (name.as_str().unwrap().to_owned(), resource))
        .collect()
}

/// The crate folder a function's `CodeUri` points to (`functions/<crate>`).
pub fn crate_of(name: &str, function: &Value) -> String {
    let uri = function["Properties"]["CodeUri"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: CodeUri is a plain path"));
    let folder = uri
        .trim_start_matches("./")
        .trim_end_matches('/')
        .strip_prefix("functions/")
        .unwrap_or_else(|| panic!("{name}: CodeUri {uri} is not under functions/"));
    assert!(
        !folder.is_empty() && !folder.contains('/'),
        "{name}: CodeUri {uri} names one crate folder"
    );
    folder.to_owned()
}

/// The table as a grant names it (`!GetAtt Table.Arn`).
pub const TABLE: &str = "table";
/// The index as a grant names it.
pub const INDEX: &str = "${Table.Arn}/index/GSI1";

/// The policies a function runs with, each a document with a `Statement` list: those of its own
/// role when it names one (`Role: !GetAtt <Role>.Arn`; SAM then ignores `Policies`), else its
/// `Policies`.
pub fn policies<'a>(template: &'a Value, function: &'a Value) -> Vec<&'a Value> {
    let properties = &function["Properties"];
    let role = match &properties["Role"] {
        Value::Null => None,
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => tagged
            .value
            .as_str()
            .and_then(|attribute| attribute.strip_suffix(".Arn")),
        other => panic!("a Role is !GetAtt <Role>.Arn: {other:?}"),
    };
    match role {
        None => properties["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
            .collect(),
        Some(role) => template["Resources"][role]["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|policy| &policy["PolicyDocument"])
            .collect(),
    }
}

/// A policy statement's actions (`Action` is one or a list).
pub fn actions_of(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
        single => single.as_str().into_iter().collect(),
    }
}

/// The DynamoDB resources a function's policies grant `action` on ([`TABLE`], or the index as
/// written in its `!Sub`).
pub fn granted(template: &Value, function: &Value, action: &str) -> BTreeSet<String> {
    let mut resources = BTreeSet::new();
    for policy in policies(template, function) {
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            let actions = actions_of(statement);
            if !actions.contains(&action) {
                continue;
            }
            let listed = match &statement["Resource"] {
                Value::Sequence(list) => list.iter().collect(),
                single => vec![single],
            };
            for resource in listed {
                let Value::Tagged(tagged) = resource else {
                    panic!("a resource is !GetAtt or !Sub: {resource:?}");
                };
                resources.insert(if tagged.tag == "GetAtt" {
                    assert_eq!(tagged.value.as_str(), Some("Table.Arn"));
                    TABLE.to_owned()
                } else {
                    assert!(tagged.tag == "Sub", "{tagged:?}");
                    tagged.value.as_str().unwrap_or_default().to_owned()
                });
            }
        }
    }
    resources
}

/// Holds every DynamoDB call to what the template grants the function of `functions/<folder>`:
/// a call it does not allow panics with what was missing, as AWS would refuse it.
#[derive(Debug, Clone)]
pub struct Grants {
    function: String,
    /// (`dynamodb:Action`, resource) pairs.
    allowed: Arc<BTreeSet<(String, String)>>,
}

/// The DynamoDB actions the functions use.
const ACTIONS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "ConditionCheckItem",
    "Query",
    "BatchGetItem",
    "BatchWriteItem",
    "DescribeTable",
];

impl Grants {
    /// The grants of the function whose crate is `functions/<folder>`.
    pub fn of(folder: &str) -> Self {
        static TEMPLATE: std::sync::LazyLock<Value> = std::sync::LazyLock::new(template);
        let (name, function) = functions(&TEMPLATE)
            .into_iter()
            .find(|(name, function)| crate_of(name, function) == folder)
            .unwrap_or_else(|| panic!("no function of template.yaml is functions/{folder}"));
        let allowed = ACTIONS
            .iter()
            .flat_map(|action| {
                let action = format!("dynamodb:{action}");
                granted(&TEMPLATE, function, &action)
                    .into_iter()
                    .map(move |resource| (action.clone(), resource))
            })
            .collect();
        Self {
            function: name,
            allowed: Arc::new(allowed),
        }
    }

    /// What IAM checks for a call of `operation` with this JSON body: (action, resource) pairs.
    /// A transaction is checked item by item, as IAM does (`TransactWriteItems` is no action).
    fn needed(operation: &str, body: &serde_json::Value) -> Vec<(String, String)> {
        let action = |name: &str, resource: &str| (format!("dynamodb:{name}"), resource.to_owned());
        match operation {
            "Query" => {
                let resource = if body.get("IndexName").is_some() {
                    INDEX
                } else {
                    TABLE
                };
                vec![action("Query", resource)]
            }
            "TransactWriteItems" => body["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|item| item.as_object().into_iter().flat_map(|item| item.keys()))
                .map(|kind| match kind.as_str() {
                    "Put" => action("PutItem", TABLE),
                    "Update" => action("UpdateItem", TABLE),
                    "Delete" => action("DeleteItem", TABLE),
                    "ConditionCheck" => action("ConditionCheckItem", TABLE),
                    other => panic!("a transaction item {other}"),
                })
                .collect(),
            "TransactGetItems" => vec![action("GetItem", TABLE)],
            other => vec![action(other, TABLE)],
        }
    }
}

impl Intercept for Grants {
    fn name(&self) -> &'static str {
        "Grants"
    }

    // Before any other interceptor may change the request (a test's outage empties it).
    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        let body: serde_json::Value = request
            .body()
            .bytes()
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or_default();
        for needed in Self::needed(operation, &body) {
            assert!(
                self.allowed.contains(&needed),
                "{} calls {operation}, which needs {} on {}: template.yaml does not grant it",
                self.function,
                needed.0,
                needed.1
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_held_to_the_grants_of_its_function() {
        let calendar = Grants::of("calendar");
        let allows = |operation: &str, body: serde_json::Value| {
            Grants::needed(operation, &body)
                .iter()
                .all(|needed| calendar.allowed.contains(needed))
        };
        assert!(allows("GetItem", serde_json::json!({})));
        assert!(allows("Query", serde_json::json!({"IndexName": "GSI1"})));
        assert!(!allows("Query", serde_json::json!({})));
        assert!(!allows("PutItem", serde_json::json!({})));
        let transaction =
            serde_json::json!({"TransactItems": [{"ConditionCheck": {}}, {"Put": {}}]});
        assert_eq!(
            Grants::needed("TransactWriteItems", &transaction),
            [
                ("dynamodb:ConditionCheckItem".to_owned(), TABLE.to_owned()),
                ("dynamodb:PutItem".to_owned(), TABLE.to_owned())
            ]
        );
        assert!(!allows("TransactWriteItems", transaction));
    }
}
