//! Tenants' settings on SQLite, written with a version check (see `TenantStore`).

use async_trait::async_trait;

use super::{SqliteDb, to_doc};
use crate::ids::TenantId;
use crate::model::TenantSettings;
use crate::store::{StoreResult, TenantStore};

#[async_trait]
impl TenantStore for SqliteDb {
    async fn get_tenant_settings(&self, tenant: &TenantId) -> StoreResult<Option<TenantSettings>> {
        self.get_doc(
            "SELECT doc FROM tenant_settings WHERE tenant_id = ?1",
            vec![tenant.to_string()],
        )
        .await
    }

    async fn put_tenant_settings(&self, t: &TenantSettings) -> StoreResult<bool> {
        self.put_versioned(
            "tenant_settings",
            "tenant_id",
            t.tenant_id.to_string(),
            t.version,
            to_doc(t)?,
        )
        .await
    }
}
