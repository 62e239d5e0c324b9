//! Tenants' settings on DynamoDB: one item in the tenant's partition, written with a version
//! check so that two changes made at once cannot both win.

use async_trait::async_trait;

use super::DynamoStore;
use super::items::{from_item, tenant_settings_item};
use super::keys::{SETTINGS_SK, tenant_pk};
use crate::ids::TenantId;
use crate::model::TenantSettings;
use crate::store::{StoreResult, TenantStore};

#[async_trait]
impl TenantStore for DynamoStore {
    async fn get_tenant_settings(&self, tenant: &TenantId) -> StoreResult<Option<TenantSettings>> {
        self.get(tenant_pk(tenant), SETTINGS_SK)
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn put_tenant_settings(&self, t: &TenantSettings) -> StoreResult<bool> {
        self.put_versioned(tenant_settings_item(t)?, t.version)
            .await
    }
}
