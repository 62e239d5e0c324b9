//! Webhooks on SQLite: the per-tenant cap inside one transaction, version-guarded updates.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteDb, be, from_doc, to_doc};
use crate::ids::{TenantId, WebhookId};
use crate::model::{Page, Timestamp, Webhook};
use crate::store::{Entity, StoreError, StoreResult, WebhookStore, page_of};

#[async_trait]
impl WebhookStore for SqliteDb {
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> StoreResult<()> {
        let (tenant, id, version, doc) = (
            wh.tenant_id.to_string(),
            wh.id.to_string(),
            wh.version as i64,
            to_doc(wh)?,
        );
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            let n: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM webhooks WHERE tenant_id = ?1",
                    [&tenant],
                    |r| r.get(0),
                )
                .map_err(be)?;
            if n >= cap as i64 {
                return Err(StoreError::CapReached { cap });
            }
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO webhooks (tenant_id, id, version, doc) VALUES (?1, ?2, ?3, ?4)",
                    params![tenant, id, version, doc],
                )
                .map_err(be)?;
            if inserted == 0 {
                return Err(StoreError::Duplicate(Entity::Webhook));
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn get_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<Option<Webhook>> {
        self.get_doc(
            "SELECT doc FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
            vec![tenant.to_string(), id.to_string()],
        )
        .await
    }

    async fn list_webhooks(
        &self,
        tenant: Option<&TenantId>,
        after: Option<&WebhookId>,
        limit: usize,
    ) -> StoreResult<Page<Webhook, WebhookId>> {
        let t = tenant.map(|t| t.to_string());
        let a = after.map(|a| a.to_string()).unwrap_or_default();
        let items: Vec<Webhook> = self
            .get_docs(
                "SELECT doc FROM webhooks WHERE (?1 IS NULL OR tenant_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
                (t, a, limit as i64 + 1),
            )
            .await?;
        Ok(page_of(items, limit, |w| w.id.clone()))
    }

    async fn update_webhook(&self, wh: &Webhook) -> StoreResult<()> {
        let (t, i, v, doc) = (
            wh.tenant_id.to_string(),
            wh.id.to_string(),
            wh.version as i64,
            to_doc(wh)?,
        );
        self.with(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE webhooks SET doc = ?1, version = ?2 WHERE tenant_id = ?3 AND id = ?4 AND version = ?5",
                )
                .map_err(be)?
                .execute(params![doc, v, t, i, v - 1])
                .map_err(be)?;
            if n == 1 {
                return Ok(());
            }
            let exists: Option<i64> = c
                .query_row(
                    "SELECT version FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                    [&t, &i],
                    |r| r.get(0),
                )
                .optional()
                .map_err(be)?;
            Err(match exists {
                None => StoreError::NotFound(Entity::Webhook),
                Some(_) => StoreError::VersionConflict,
            })
        })
        .await
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<bool> {
        let (t, i) = (tenant.to_string(), id.to_string());
        self.with(move |c| {
            let n = c
                .execute(
                    "DELETE FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                    [t, i],
                )
                .map_err(be)?;
            Ok(n == 1)
        })
        .await
    }

    async fn touch_webhook(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        at: Timestamp,
    ) -> StoreResult<()> {
        let (t, i) = (tenant.to_string(), id.to_string());
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            let doc: Option<String> = tx
                .query_row(
                    "SELECT doc FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                    [&t, &i],
                    |r| r.get(0),
                )
                .optional()
                .map_err(be)?;
            if let Some(doc) = doc {
                let mut wh: Webhook = from_doc(&doc)?;
                if wh.last_triggered_at.is_none_or(|l| l < at) {
                    wh.last_triggered_at = Some(at);
                    tx.execute(
                        "UPDATE webhooks SET doc = ?1 WHERE tenant_id = ?2 AND id = ?3",
                        params![to_doc(&wh)?, t, i],
                    )
                    .map_err(be)?;
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }
}
