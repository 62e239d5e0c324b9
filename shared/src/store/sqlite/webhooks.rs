//! Webhooks on SQLite: the per-tenant cap inside one transaction, version-guarded updates.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteDb, be, from_doc, to_doc};
use crate::ids::{TenantId, WebhookId};
use crate::model::{Health, Page, Timestamp, Webhook};
use crate::store::{Entity, StoreError, StoreResult, WebhookStore, page_of};

/// The webhooks `sql` selects (columns `doc, health`), with their health.
fn webhooks(
    c: &rusqlite::Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<Webhook>> {
    let mut stmt = c.prepare_cached(sql).map_err(be)?;
    let rows = stmt
        .query_map(args, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(be)?;
    rows.map(|r| {
        let (doc, health) = r.map_err(be)?;
        let mut w: Webhook = from_doc(&doc)?;
        if let Some(h) = health {
            w.health = from_doc(&h)?;
        }
        Ok(w)
    })
    .collect()
}

#[async_trait]
impl WebhookStore for SqliteDb {
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> StoreResult<()> {
        let (tenant, id, version, doc) = (
            wh.tenant_id.to_string(),
            wh.id.to_string(),
            wh.version as i64,
            to_doc(wh)?,
        );
        let (health, health_rev) = (to_doc(&wh.health)?, wh.health.rev as i64);
        self.with(move |c| {
            let tx = c.savepoint().map_err(be)?;
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
                    "INSERT OR IGNORE INTO webhooks (tenant_id, id, version, doc, health, health_rev)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![tenant, id, version, doc, health, health_rev],
                )
                .map_err(be)?;
            if inserted == 0 {
                return Err(StoreError::Duplicate(Entity::Webhook));
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn webhook_tenant(&self, id: &WebhookId) -> StoreResult<Option<TenantId>> {
        let i = id.to_string();
        let tenant: Option<String> = self
            .read(move |c| {
                use rusqlite::OptionalExtension;
                c.prepare_cached("SELECT tenant_id FROM webhooks WHERE id = ?1")
                    .map_err(be)?
                    .query_row([i], |r| r.get(0))
                    .optional()
                    .map_err(be)
            })
            .await?;
        tenant.map(|t| TenantId::parse(&t).map_err(be)).transpose()
    }

    async fn get_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<Option<Webhook>> {
        let (t, i) = (tenant.to_string(), id.to_string());
        self.read(move |c| {
            Ok(webhooks(
                c,
                "SELECT doc, health FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                (t, i),
            )?
            .pop())
        })
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
        let items = self
            .read(move |c| {
                webhooks(
                    c,
                    "SELECT doc, health FROM webhooks WHERE (?1 IS NULL OR tenant_id = ?1) AND id > ?2
                     ORDER BY id LIMIT ?3",
                    (t, a, limit as i64 + 1),
                )
            })
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

    async fn put_health(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        health: &Health,
    ) -> StoreResult<bool> {
        let (t, i, h, rev) = (
            tenant.to_string(),
            id.to_string(),
            to_doc(health)?,
            health.rev as i64,
        );
        self.record(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE webhooks SET health = ?1, health_rev = ?2
                     WHERE tenant_id = ?3 AND id = ?4 AND health_rev = ?5",
                )
                .map_err(be)?
                .execute(params![h, rev, t, i, rev - 1])
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
        self.record(move |c| {
            let tx = c.savepoint().map_err(be)?;
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
