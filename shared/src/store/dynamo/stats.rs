//! Per-webhook counters on DynamoDB: `ADD` updates on a sharded partition per webhook, one item
//! all-time and one per hour (the hourly ones expire by TTL). Retention is the table's TTL.

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};

use super::items::{key, n, s};
use super::keys::{STATS_ALL_TIME_SK, TTL_ATTRIBUTE, stats_hour_of_sk, stats_hour_sk, stats_pk};
use super::{DynamoStore, be};
use crate::ids::{TenantId, WebhookId};
use crate::model::Timestamp;
use crate::store::{Counters, Retention, StatsStore, StoreResult};

/// Hourly stats buckets are kept this long (the API reads the last 24 hours).
const STATS_BUCKET_TTL_SECS: i64 = 48 * 3600;

#[async_trait]
impl StatsStore for DynamoStore {
    async fn add_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        hour: i64,
        shard: u32,
        add: &Counters,
    ) -> StoreResult<()> {
        if add.is_empty() {
            return Ok(());
        }
        let pk = stats_pk(tenant, webhook, shard % self.shards);
        let expr = format!(
            "ADD {}",
            (0..add.len())
                .map(|i| format!("#c{i} :v{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        // The all-time and the hour's counters, written at once (not one after the other: a
        // batch's flush is on the delivery function's clock).
        let update = |sk: String| {
            let mut u = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression(&expr);
            for (i, (name, v)) in add.iter().enumerate() {
                u = u
                    .expression_attribute_names(format!("#c{i}"), format!("c_{name}"))
                    .expression_attribute_values(format!(":v{i}"), n(v));
            }
            if sk != STATS_ALL_TIME_SK {
                u = u
                    .update_expression(format!("{expr} SET {TTL_ATTRIBUTE} = :exp"))
                    .expression_attribute_values(":exp", n(hour * 3600 + STATS_BUCKET_TTL_SECS));
            }
            u.send()
        };
        futures::future::try_join(
            update(STATS_ALL_TIME_SK.to_string()),
            update(stats_hour_sk(hour)),
        )
        .await
        .map_err(be)?;
        Ok(())
    }

    async fn read_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        since_hour: i64,
    ) -> StoreResult<(Counters, std::collections::BTreeMap<i64, Counters>)> {
        let shards = futures::stream::iter(0..self.shards)
            .map(|shard| {
                let q = self
                    .query()
                    .key_condition_expression("PK = :pk")
                    .expression_attribute_values(":pk", s(stats_pk(tenant, webhook, shard)));
                self.collect(q, None)
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let (mut all, mut hours) = (Counters::new(), std::collections::BTreeMap::new());
        for item in shards.iter().flatten() {
            let sk = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let target = if sk == STATS_ALL_TIME_SK {
                &mut all
            } else {
                match stats_hour_of_sk(&sk) {
                    Some(h) if h >= since_hour => hours.entry(h).or_insert_with(Counters::new),
                    _ => continue,
                }
            };
            for (k, v) in item {
                if let (Some(name), Ok(v)) = (k.strip_prefix("c_"), v.as_n()) {
                    *target.entry(name.to_string()).or_default() += v.parse::<i64>().unwrap_or(0);
                }
            }
        }
        Ok((all, hours))
    }
}

#[async_trait]
impl Retention for DynamoStore {
    /// DynamoDB's TTL deletes expired items (lazily); reads filter them out until then.
    async fn purge_expired(&self, _now: Timestamp) -> StoreResult<u64> {
        Ok(0)
    }
}
