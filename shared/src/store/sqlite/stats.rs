//! Per-webhook counters and retention on SQLite (it has no TTL of its own: the local worker
//! calls `purge_expired`).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be};
use crate::ids::{TenantId, WebhookId};
use crate::model::Timestamp;
use crate::store::{Counters, Retention, StatsStore, StoreResult};

/// The bucket number of the all-time counters (hourly buckets are unix hours).
const ALL_TIME_BUCKET: i64 = -1;

/// Hourly buckets are kept this long (the API reads up to a week, hour by hour).
const STATS_HOURS_KEPT: i64 = crate::store::STATS_MAX_HOURS as i64 + 24;

#[async_trait]
impl StatsStore for SqliteDb {
    async fn add_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        hour: i64,
        _shard: u32,
        add: &Counters,
    ) -> StoreResult<()> {
        let (t, w, add) = (tenant.to_string(), webhook.to_string(), add.clone());
        self.record(move |c| {
            let tx = c.savepoint().map_err(be)?;
            {
                let mut stmt = tx
                    .prepare_cached(
                        "INSERT INTO webhook_stats (tenant_id, webhook_id, bucket, name, value) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (tenant_id, webhook_id, bucket, name) DO UPDATE SET value = value + excluded.value",
                    )
                    .map_err(be)?;
                for (name, v) in &add {
                    for bucket in [ALL_TIME_BUCKET, hour] {
                        stmt.execute(params![t, w, bucket, name, v]).map_err(be)?;
                    }
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn read_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        since_hour: i64,
    ) -> StoreResult<(Counters, std::collections::BTreeMap<i64, Counters>)> {
        let (t, w) = (tenant.to_string(), webhook.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT bucket, name, SUM(value) FROM webhook_stats
                     WHERE tenant_id = ?1 AND webhook_id = ?2 AND (bucket = ?3 OR bucket >= ?4)
                     GROUP BY bucket, name",
                )
                .map_err(be)?;
            let rows = stmt
                .query_map(params![t, w, ALL_TIME_BUCKET, since_hour], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(be)?;
            let (mut all, mut hours) = (Counters::new(), std::collections::BTreeMap::new());
            for row in rows {
                let (bucket, name, v) = row.map_err(be)?;
                if bucket == ALL_TIME_BUCKET {
                    all.insert(name, v)
                } else {
                    hours
                        .entry(bucket)
                        .or_insert_with(Counters::new)
                        .insert(name, v)
                };
            }
            Ok((all, hours))
        })
        .await
    }
}

#[async_trait]
impl Retention for SqliteDb {
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
        let ms = now.timestamp_millis();
        let stats_before = now.timestamp() / 3600 - STATS_HOURS_KEPT;
        self.with(move |c| {
            let mut n = c
                .execute("DELETE FROM events WHERE expires_ms <= ?1", [ms])
                .map_err(be)?;
            n += c
                .execute("DELETE FROM deliveries WHERE expires_ms <= ?1", [ms])
                .map_err(be)?;
            c.execute("DELETE FROM delivery_attempts WHERE expires_ms <= ?1", [ms])
                .map_err(be)?;
            c.execute(
                "DELETE FROM webhook_stats WHERE bucket >= 0 AND bucket < ?1",
                [stats_before],
            )
            .map_err(be)?;
            c.execute("DELETE FROM rate_counters WHERE expires <= ?1", [ms / 1000])
                .map_err(be)?;
            c.execute(
                "DELETE FROM rate_schedules WHERE expires <= ?1",
                [ms / 1000],
            )
            .map_err(be)?;
            c.execute("DELETE FROM idempotency WHERE expires <= ?1", [ms / 1000])
                .map_err(be)?;
            // Short-lived keys (portal sessions), a day after they end.
            c.execute(
                "DELETE FROM api_keys WHERE json_extract(doc, '$.expires_at') IS NOT NULL
                 AND unixepoch(json_extract(doc, '$.expires_at')) <= ?1",
                [ms / 1000 - 86_400],
            )
            .map_err(be)?;
            Ok(n as u64)
        })
        .await
    }
}
