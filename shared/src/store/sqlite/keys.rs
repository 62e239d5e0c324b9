//! API keys on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be, to_doc};
use crate::ids::{ApiKeyId, TenantId};
use crate::model::ApiKey;
use crate::store::{KeyStore, StoreResult};

#[async_trait]
impl KeyStore for SqliteDb {
    async fn put_key(&self, key: &ApiKey) -> StoreResult<()> {
        let (id, tenant, doc) = (key.id.to_string(), key.tenant_id.to_string(), to_doc(key)?);
        self.with(move |c| {
            c.prepare_cached(
                "INSERT INTO api_keys (id, tenant_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, doc = excluded.doc",
            )
            .map_err(be)?
            .execute(params![id, tenant, doc])
            .map_err(be)?;
            Ok(())
        })
        .await
    }

    async fn get_key(&self, id: &ApiKeyId) -> StoreResult<Option<ApiKey>> {
        self.get_doc(
            "SELECT doc FROM api_keys WHERE id = ?1",
            vec![id.to_string()],
        )
        .await
    }

    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>> {
        self.get_docs(
            "SELECT doc FROM api_keys WHERE tenant_id = ?1 ORDER BY id",
            [tenant.to_string()],
        )
        .await
    }

    async fn no_keys(&self) -> StoreResult<bool> {
        self.with(|c| {
            let n: i64 = c
                .query_row("SELECT COUNT(*) FROM api_keys", [], |r| r.get(0))
                .map_err(be)?;
            Ok(n == 0)
        })
        .await
    }
}
