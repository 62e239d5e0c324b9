//! API keys on DynamoDB: found by id (derived from the key's hash) in one read.

use async_trait::async_trait;

use super::items::{api_key_item, from_item, s};
use super::keys::{ALL_KEYS, API_KEY_SK, GSI1, api_key_pk, tenant_keys_pk};
use super::{DynamoStore, be};
use crate::ids::{ApiKeyId, TenantId};
use crate::model::ApiKey;
use crate::store::{KeyStore, StoreResult};

#[async_trait]
impl KeyStore for DynamoStore {
    async fn put_key(&self, k: &ApiKey) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(api_key_item(k)?))
            .send()
            .await
            .map_err(be)?;
        Ok(())
    }

    async fn get_key(&self, id: &ApiKeyId) -> StoreResult<Option<ApiKey>> {
        self.get_eventually_or_fresh(api_key_pk(id), API_KEY_SK)
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>> {
        let q = self
            .query()
            .index_name(GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(tenant_keys_pk(tenant)));
        self.collect_indexed(q, None)
            .await?
            .iter()
            .map(from_item)
            .collect()
    }

    async fn no_keys(&self) -> StoreResult<bool> {
        Ok(self.list_kind(ALL_KEYS, None, 1).await?.is_empty())
    }
}
