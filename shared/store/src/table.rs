//! The table's definition, once: `make dev` and the tests create it from here, and a test
//! checks that `template.yaml` declares the same keys, index and TTL.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use crate::keys::{EXPIRES_AT, GSI1, GSI1_PK, GSI1_SK, PK, SK};

/// A key attribute: its name and whether it is the partition (hash) or sort (range) key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPart {
    pub attribute: &'static str,
    pub key_type: &'static str,
}

/// What the table looks like, in plain terms a test can compare with `template.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// Every key attribute; all are strings.
    pub attributes: Vec<&'static str>,
    pub key: Vec<KeyPart>,
    /// (index name, key, projection type)
    pub indexes: Vec<(&'static str, Vec<KeyPart>, &'static str)>,
    pub ttl_attribute: &'static str,
    pub billing_mode: &'static str,
    /// What the stream carries: the sweeper function reads new images of applications marked
    /// `deleting`.
    pub stream_view_type: &'static str,
}

impl KeyPart {
    const fn hash(attribute: &'static str) -> Self {
        Self {
            attribute,
            key_type: "HASH",
        }
    }

    const fn range(attribute: &'static str) -> Self {
        Self {
            attribute,
            key_type: "RANGE",
        }
    }
}

pub fn definition() -> TableDefinition {
    TableDefinition {
        attributes: vec![PK, SK, GSI1_PK, GSI1_SK],
        key: vec![KeyPart::hash(PK), KeyPart::range(SK)],
        indexes: vec![(
            GSI1,
            vec![KeyPart::hash(GSI1_PK), KeyPart::range(GSI1_SK)],
            "ALL",
        )],
        ttl_attribute: EXPIRES_AT,
        billing_mode: "PAY_PER_REQUEST",
        stream_view_type: "NEW_IMAGE",
    }
}

fn key_schema(parts: &[KeyPart]) -> Vec<KeySchemaElement> {
    parts
        .iter()
        .map(|part| {
            KeySchemaElement::builder()
                .attribute_name(part.attribute)
                .key_type(KeyType::from(part.key_type))
                .build()
                .expect("attribute name and key type are set")
        })
        .collect()
}

/// Creates the table (and its TTL setting) unless it exists. Returns whether it was created.
pub async fn create_if_missing(
    client: &Client,
    table_name: &str,
) -> Result<bool, aws_sdk_dynamodb::Error> {
    let existing = client.list_tables().send().await?;
    if existing.table_names().iter().any(|name| name == table_name) {
        return Ok(false);
    }
    let def = definition();
    let mut request = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::from(def.billing_mode))
        .set_key_schema(Some(key_schema(&def.key)))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(def.stream_view_type))
                .build()
                .expect("enabled is set"),
        );
    for attribute in &def.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(*attribute)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        );
    }
    for (name, key, projection) in &def.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(*name)
                .set_key_schema(Some(key_schema(key)))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(*projection))
                        .build(),
                )
                .build()
                .expect("name and key schema are set"),
        );
    }
    match request.send().await {
        Ok(_) => {}
        // A create the SDK retried after its answer was lost: the first attempt made it.
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(error) => return Err(error.into()),
    }
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(def.ttl_attribute)
                .enabled(true)
                .build()
                .expect("attribute name and enabled are set"),
        )
        .send()
        .await?;
    Ok(true)
}
