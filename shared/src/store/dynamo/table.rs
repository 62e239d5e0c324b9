//! Creating the table as the SAM template declares it (for the emulator and local runs).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::be;
use super::keys::{GSI1, GSI2, TTL_ATTRIBUTE};
use crate::store::StoreResult;

pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(be)
    };
    let ks = |name: &str, kt: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kt)
            .build()
            .map_err(be)
    };
    let gsi = |name: &str| -> StoreResult<GlobalSecondaryIndex> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(ks(&format!("{name}PK"), KeyType::Hash)?)
            .key_schema(ks(&format!("{name}SK"), KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )
            .build()
            .map_err(be)
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
                .iter()
                .map(|a| attr(a))
                .collect::<StoreResult<_>>()?,
        ))
        .key_schema(ks("PK", KeyType::Hash)?)
        .key_schema(ks("SK", KeyType::Range)?)
        .global_secondary_indexes(gsi(GSI1)?)
        .global_secondary_indexes(gsi(GSI2)?)
        .send()
        .await
        .map_err(be)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(be)?,
        )
        .send()
        .await
        .map_err(be)?;
    Ok(())
}
