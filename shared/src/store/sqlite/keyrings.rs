//! Tenants' signing keyrings on SQLite, written with a version check (see `KeyringStore`).

use async_trait::async_trait;

use super::{SqliteDb, to_doc};
use crate::ids::TenantId;
use crate::model::Keyring;
use crate::store::{KeyringStore, StoreResult};

#[async_trait]
impl KeyringStore for SqliteDb {
    async fn get_keyring(&self, tenant: &TenantId) -> StoreResult<Option<Keyring>> {
        self.get_doc(
            "SELECT doc FROM keyrings WHERE tenant_id = ?1",
            vec![tenant.to_string()],
        )
        .await
    }

    async fn put_keyring(&self, ring: &Keyring) -> StoreResult<bool> {
        self.put_versioned(
            "keyrings",
            "tenant_id",
            ring.tenant_id.to_string(),
            ring.version,
            to_doc(ring)?,
        )
        .await
    }
}
