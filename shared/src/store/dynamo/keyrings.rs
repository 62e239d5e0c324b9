//! Tenants' signing keyrings on DynamoDB: one item per tenant in its partition, written with a
//! version check so that two rotations (or two first uses) cannot both win.

use async_trait::async_trait;

use super::DynamoStore;
use super::items::{from_item, keyring_item};
use super::keys::{KEYRING_SK, tenant_pk};
use crate::ids::TenantId;
use crate::model::Keyring;
use crate::store::{KeyringStore, StoreResult};

#[async_trait]
impl KeyringStore for DynamoStore {
    async fn get_keyring(&self, tenant: &TenantId) -> StoreResult<Option<Keyring>> {
        self.get(tenant_pk(tenant), KEYRING_SK)
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn put_keyring(&self, ring: &Keyring) -> StoreResult<bool> {
        self.put_versioned(keyring_item(ring)?, ring.version).await
    }
}
