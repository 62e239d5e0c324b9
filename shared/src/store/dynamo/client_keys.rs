//! Client public keys (signed requests) on DynamoDB: found by key id in one read; a tenant's
//! keys through GSI1.

use async_trait::async_trait;

use super::items::{client_key_item, from_item, key, s};
use super::keys::{CLIENT_KEY_SK, GSI1, client_key_pk, tenant_client_keys_pk};
use super::{DynamoStore, be, is_condition_failed};
use crate::ids::TenantId;
use crate::model::ClientKey;
use crate::store::{ClientKeyStore, Entity, StoreError, StoreResult};

#[async_trait]
impl ClientKeyStore for DynamoStore {
    async fn create_client_key(&self, k: &ClientKey) -> StoreResult<()> {
        match self
            .put_if(client_key_item(k)?, "attribute_not_exists(PK)", vec![])
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::Duplicate(Entity::ClientKey)),
        }
    }

    async fn get_client_key(&self, key_id: &str) -> StoreResult<Option<ClientKey>> {
        self.get_eventually_or_fresh(client_key_pk(key_id), CLIENT_KEY_SK)
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn list_client_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ClientKey>> {
        let q = self
            .query()
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(tenant_client_keys_pk(tenant)));
        self.collect_indexed(q, None)
            .await?
            .iter()
            .map(from_item)
            .collect()
    }

    async fn delete_client_key(&self, tenant: &TenantId, key_id: &str) -> StoreResult<bool> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(client_key_pk(key_id), CLIENT_KEY_SK)))
            .condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(tenant_client_keys_pk(tenant)))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(be(e)),
        }
    }
}
