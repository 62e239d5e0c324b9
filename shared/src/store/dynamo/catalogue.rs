//! The event type catalogue on DynamoDB: one partition, small and rarely written.

use async_trait::async_trait;

use super::items::{event_type_item, from_item, key, s};
use super::keys::{CATALOG_PK, EVENT_TYPE_SK_PREFIX, event_type_sk};
use super::{DynamoStore, be};
use crate::model::EventType;
use crate::store::{CatalogueStore, Entity, StoreError, StoreResult};

#[async_trait]
impl CatalogueStore for DynamoStore {
    async fn create_event_type(&self, et: &EventType) -> StoreResult<()> {
        if self
            .put_if(event_type_item(et)?, "attribute_not_exists(PK)", vec![])
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::Duplicate(Entity::EventType))
        }
    }

    async fn update_event_type(&self, et: &EventType) -> StoreResult<()> {
        if self
            .put_if(event_type_item(et)?, "attribute_exists(PK)", vec![])
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::NotFound(Entity::EventType))
        }
    }

    async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>> {
        self.get(CATALOG_PK.into(), event_type_sk(name))
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn list_event_types(&self) -> StoreResult<Vec<EventType>> {
        let q = self
            .query()
            .key_condition_expression("PK = :pk AND begins_with(SK, :et)")
            .expression_attribute_values(":pk", s(CATALOG_PK))
            .expression_attribute_values(":et", s(EVENT_TYPE_SK_PREFIX));
        self.collect(q, None).await?.iter().map(from_item).collect()
    }

    async fn delete_event_type(&self, name: &str) -> StoreResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(CATALOG_PK, event_type_sk(name))))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(be)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
