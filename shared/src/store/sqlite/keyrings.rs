//! Tenants' signing keyrings on SQLite, written with a version check (see `KeyringStore`).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be, to_doc};
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
        let (tenant, version, doc) = (
            ring.tenant_id.to_string(),
            ring.version as i64,
            to_doc(ring)?,
        );
        self.with(move |c| {
            let written = if version <= 1 {
                c.execute(
                    "INSERT INTO keyrings (tenant_id, version, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT (tenant_id) DO NOTHING",
                    params![tenant, version, doc],
                )
            } else {
                c.execute(
                    "UPDATE keyrings SET version = ?2, doc = ?3 WHERE tenant_id = ?1 AND version = ?2 - 1",
                    params![tenant, version, doc],
                )
            }
            .map_err(be)?;
            Ok(written == 1)
        })
        .await
    }
}
