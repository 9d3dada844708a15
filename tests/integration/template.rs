//! `template.yaml` must not drift from the code: the table it declares is the table the code
//! creates, and the routes it declares are exactly the routes the functions serve.

use std::collections::BTreeSet;

use serde_norway::Value;
use store::table::{KeyPart, definition};

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml at the workspace root");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

fn resource<'a>(template: &'a Value, name: &str) -> &'a Value {
    &template["Resources"][name]
}

fn key_parts(schema: &Value) -> Vec<(String, String)> {
    schema
        .as_sequence()
        .expect("a key schema")
        .iter()
        .map(|part| {
            (
                part["AttributeName"].as_str().unwrap().to_owned(),
                part["KeyType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn expected(parts: &[KeyPart]) -> Vec<(String, String)> {
    parts
        .iter()
        .map(|p| (p.attribute.to_owned(), p.key_type.to_owned()))
        .collect()
}

#[test]
fn the_table_is_the_one_the_code_creates() {
    let template = template();
    let table = resource(&template, "Table");
    let def = definition();
    assert_eq!(table["Type"].as_str(), Some("AWS::DynamoDB::Table"));
    let properties = &table["Properties"];
    assert_eq!(properties["BillingMode"].as_str(), Some(def.billing_mode));
    assert_eq!(key_parts(&properties["KeySchema"]), expected(&def.key));

    let attributes: BTreeSet<(String, String)> = properties["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().to_owned(),
                a["AttributeType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let wanted: BTreeSet<(String, String)> = def
        .attributes
        .iter()
        .map(|a| ((*a).to_owned(), "S".to_owned()))
        .collect();
    assert_eq!(attributes, wanted);

    let indexes = properties["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), def.indexes.len());
    for (name, key, projection) in &def.indexes {
        let index = indexes
            .iter()
            .find(|i| i["IndexName"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("index {name} in template.yaml"));
        assert_eq!(key_parts(&index["KeySchema"]), expected(key));
        assert_eq!(
            index["Projection"]["ProjectionType"].as_str(),
            Some(*projection)
        );
    }
    assert_eq!(
        properties["StreamSpecification"]["StreamViewType"].as_str(),
        Some(def.stream_view_type)
    );
    let ttl = &properties["TimeToLiveSpecification"];
    assert_eq!(ttl["AttributeName"].as_str(), Some(def.ttl_attribute));
    assert_eq!(ttl["Enabled"].as_bool(), Some(true));
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(table["UpdateReplacePolicy"].as_str(), Some("Retain"));
}

/// A key schema as DynamoDB describes it, in the same terms as `key_parts`.
fn sdk_key_parts(schema: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> Vec<(String, String)> {
    schema
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_table_created_locally_matches_the_template() {
    let api = testkit::TestApi::new().await;
    let described = api
        .client
        .describe_table()
        .table_name(&api.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let template = template();
    let properties = &resource(&template, "Table")["Properties"];
    let key = sdk_key_parts(described.key_schema());
    assert_eq!(key, key_parts(&properties["KeySchema"]));
    let index = &described.global_secondary_indexes()[0];
    let template_index = &properties["GlobalSecondaryIndexes"][0];
    assert_eq!(
        Some(index.index_name().unwrap()),
        template_index["IndexName"].as_str()
    );
    let index_key = sdk_key_parts(index.key_schema());
    assert_eq!(index_key, key_parts(&template_index["KeySchema"]));
    let ttl = api
        .client
        .describe_time_to_live()
        .table_name(&api.table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(
        ttl.attribute_name(),
        properties["TimeToLiveSpecification"]["AttributeName"].as_str()
    );
    assert_eq!(
        described
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        properties["BillingMode"].as_str()
    );
}
