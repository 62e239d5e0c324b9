//! Client public keys (signed requests) on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be, to_doc};
use crate::ids::TenantId;
use crate::model::ClientKey;
use crate::store::{ClientKeyStore, Entity, StoreError, StoreResult};

#[async_trait]
impl ClientKeyStore for SqliteDb {
    async fn create_client_key(&self, k: &ClientKey) -> StoreResult<()> {
        let (id, tenant, doc) = (k.key_id.clone(), k.tenant_id.to_string(), to_doc(k)?);
        let added = self
            .with(move |c| {
                c.execute(
                    "INSERT INTO client_keys (key_id, tenant_id, doc) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key_id) DO NOTHING",
                    params![id, tenant, doc],
                )
                .map_err(be)
            })
            .await?;
        match added {
            1 => Ok(()),
            _ => Err(StoreError::Duplicate(Entity::ClientKey)),
        }
    }

    async fn get_client_key(&self, key_id: &str) -> StoreResult<Option<ClientKey>> {
        self.get_doc(
            "SELECT doc FROM client_keys WHERE key_id = ?1",
            vec![key_id.to_string()],
        )
        .await
    }

    async fn list_client_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ClientKey>> {
        self.get_docs(
            "SELECT doc FROM client_keys WHERE tenant_id = ?1 ORDER BY key_id",
            [tenant.to_string()],
        )
        .await
    }

    async fn delete_client_key(&self, tenant: &TenantId, key_id: &str) -> StoreResult<bool> {
        let (tenant, id) = (tenant.to_string(), key_id.to_string());
        self.with(move |c| {
            c.execute(
                "DELETE FROM client_keys WHERE key_id = ?1 AND tenant_id = ?2",
                params![id, tenant],
            )
            .map(|n| n == 1)
            .map_err(be)
        })
        .await
    }
}
