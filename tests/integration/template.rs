//! `template.yaml` must not drift from the code: the table it declares is the table the code
//! creates, and the routes it declares are exactly the routes the functions serve. The sweeper's
//! stream mapping gives up on a batch only into a queue an alarm watches. The table and the user
//! pool survive a delete.

use std::collections::BTreeSet;

use serde_norway::Value;
use store::table::{KeyPart, definition};
use testkit::template::{actions_of, policies, template};

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
    assert_eq!(
        properties["DeletionProtectionEnabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn the_user_pool_is_kept_and_its_public_client_signs_in_no_password() {
    let template = template();
    // Every item's key holds a user's `sub`: the pool is as much state as the table.
    let pool = resource(&template, "UserPool");
    assert_eq!(pool["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(pool["UpdateReplacePolicy"].as_str(), Some("Retain"));
    assert_eq!(
        pool["Properties"]["DeletionProtection"].as_str(),
        Some("ACTIVE")
    );
    // Its id is published (the web app's config.json): no password through InitiateAuth.
    let flows: BTreeSet<&str> =
        resource(&template, "UserPoolClient")["Properties"]["ExplicitAuthFlows"]
            .as_sequence()
            .expect("explicit auth flows")
            .iter()
            .filter_map(Value::as_str)
            .collect();
    assert_eq!(
        flows,
        BTreeSet::from(["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    );
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

/// `!GetAtt Name.Attribute` (or `{Fn::GetAtt: [Name, Attribute]}`) → `(Name, Attribute)`.
fn get_att(value: &Value) -> Option<(&str, &str)> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => tagged.value.as_str()?.split_once('.'),
        Value::Mapping(_) => {
            let parts = value.get("Fn::GetAtt")?.as_sequence()?;
            match parts.as_slice() {
                [name, attribute] => Some((name.as_str()?, attribute.as_str()?)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The sweeper's role is its own: a role SAM makes for a stream-triggered function carries AWS's
/// managed AWSLambdaDynamoDBExecutionRole, which reads every stream in the account.
#[test]
fn the_sweepers_role_reaches_only_its_table_stream_queue_and_log_group() {
    let template = template();
    let sweeper = resource(&template, "SweeperFunction");
    // Beside a Role, SAM ignores Policies: one here would grant nothing it seems to.
    assert!(sweeper["Properties"]["Policies"].is_null());
    let (role, attribute) = get_att(&sweeper["Properties"]["Role"]).expect("Role: !GetAtt");
    assert_eq!(attribute, "Arn");
    let role = resource(&template, role);
    assert_eq!(role["Type"].as_str(), Some("AWS::IAM::Role"));
    assert!(role["Properties"]["ManagedPolicyArns"].is_null());
    let mut grants = BTreeSet::new();
    for policy in policies(&template, sweeper) {
        for statement in policy["Statement"].as_sequence().expect("statements") {
            assert_eq!(statement["Effect"].as_str(), Some("Allow"));
            let (name, attribute) = get_att(&statement["Resource"])
                .unwrap_or_else(|| panic!("one resource of this stack: {statement:?}"));
            for action in actions_of(statement) {
                grants.insert(format!("{action} {name}.{attribute}"));
            }
        }
    }
    let expected = [
        "dynamodb:GetItem Table.Arn",
        "dynamodb:Query Table.Arn",
        "dynamodb:DeleteItem Table.Arn",
        "dynamodb:BatchWriteItem Table.Arn",
        "dynamodb:DescribeStream Table.StreamArn",
        "dynamodb:GetRecords Table.StreamArn",
        "dynamodb:GetShardIterator Table.StreamArn",
        "dynamodb:ListStreams Table.StreamArn",
        "sqs:SendMessage SweeperFailureQueue.Arn",
        "logs:CreateLogStream SweeperLogGroup.Arn",
        "logs:PutLogEvents SweeperLogGroup.Arn",
    ];
    assert_eq!(grants, expected.iter().map(|g| g.to_string()).collect());
}

/// A stream batch the sweeper cannot finish is retried a bounded number of times, for a bounded
/// time, and then handed to an SQS queue that an alarm watches: never dropped in silence, never
/// holding its shard for the stream's whole 24 h.
#[test]
fn the_sweepers_given_up_batches_go_to_an_alarmed_queue() {
    let template = template();
    let sweeper = resource(&template, "SweeperFunction");
    let streams: Vec<&Value> = sweeper["Properties"]["Events"]
        .as_mapping()
        .expect("SweeperFunction: Events")
        .values()
        .filter(|event| event["Type"].as_str() == Some("DynamoDB"))
        .collect();
    assert_eq!(streams.len(), 1, "the sweeper reads the table's stream");
    let mapping = &streams[0]["Properties"];
    assert_eq!(get_att(&mapping["Stream"]), Some(("Table", "StreamArn")));

    let on_failure = &mapping["DestinationConfig"]["OnFailure"];
    // An SQS destination (the sweeper's role grants sqs:SendMessage on it).
    assert_eq!(on_failure["Type"].as_str(), Some("SQS"), "{on_failure:?}");
    let (queue, attribute) =
        get_att(&on_failure["Destination"]).expect("the destination is a queue of this stack");
    assert_eq!(attribute, "Arn");
    let queue_resource = resource(&template, queue);
    assert_eq!(queue_resource["Type"].as_str(), Some("AWS::SQS::Queue"));
    // A FIFO queue cannot be a stream mapping's destination.
    assert!(queue_resource["Properties"]["FifoQueue"].is_null());

    let retries = mapping["MaximumRetryAttempts"]
        .as_i64()
        .expect("MaximumRetryAttempts (the default, -1, retries until the record expires)");
    assert!(
        (1..=100).contains(&retries),
        "MaximumRetryAttempts {retries}"
    );
    let age = mapping["MaximumRecordAgeInSeconds"]
        .as_i64()
        .expect("MaximumRecordAgeInSeconds (the default, -1, is the stream's 24 h)");
    // Given up well before the stream drops the records, so the message's range can be read.
    assert!(
        (60..=6 * 3600).contains(&age),
        "MaximumRecordAgeInSeconds {age}"
    );
    assert_eq!(mapping["BisectBatchOnFunctionError"].as_bool(), Some(true));
    // `sweeper::handle` fails the whole batch (it returns no batchItemFailures): a mapping that
    // expected partial batch responses would read its empty answer as every record done.
    assert!(
        mapping["FunctionResponseTypes"].is_null(),
        "FunctionResponseTypes needs the handler to report batch item failures"
    );

    let alarmed = template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|resource| resource["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|alarm| &alarm["Properties"])
        .any(|alarm| {
            alarm["Namespace"].as_str() == Some("AWS/SQS")
                && alarm["MetricName"].as_str() == Some("ApproximateNumberOfMessagesVisible")
                && alarm["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")
                && alarm["Threshold"].as_f64() == Some(0.0)
                && alarm["Dimensions"].as_sequence().is_some_and(|dimensions| {
                    dimensions.iter().any(|dimension| {
                        dimension["Name"].as_str() == Some("QueueName")
                            && get_att(&dimension["Value"]) == Some((queue, "QueueName"))
                    })
                })
        });
    assert!(alarmed, "an alarm fires when {queue} holds a message");
}
