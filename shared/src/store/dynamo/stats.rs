//! Per-webhook counters on DynamoDB: `ADD` updates on a sharded partition per webhook, one item
//! per hour, so that a flush costs one write per webhook. The all-time counters are those hours
//! summed: a read folds hours older than eight days into one all-time item (each fold a
//! transaction that deletes the hour and adds it to the total), so reads stay short.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use futures::{StreamExt, TryStreamExt};

use super::items::{Item, key, n, s};
use super::keys::{STATS_ALL_TIME_SK, stats_hour_of_sk, stats_hour_sk, stats_pk};
use super::{DynamoStore, be};
use crate::ids::{TenantId, WebhookId};
use crate::model::Timestamp;
use crate::store::{Counters, Retention, StatsStore, StoreResult};

/// Hours this much older than the oldest one a read asks for are folded into the all-time item:
/// a day's read (the default) keeps a week of hours for the reads that ask for a week.
const FOLD_AFTER_HOURS: i64 = crate::store::STATS_MAX_HOURS as i64;
/// At most this many hours are folded per read (the others are summed; later reads fold them).
const FOLDS_PER_READ: usize = 8;

/// `ADD #c0 :v0, #c1 :v1, …` for `add`, on an update builder (shared by flushes and folds).
macro_rules! add_counters {
    ($builder:expr, $add:expr) => {{
        let add: &Counters = $add;
        let mut b = $builder.update_expression(format!(
            "ADD {}",
            (0..add.len())
                .map(|i| format!("#c{i} :v{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for (i, (name, v)) in add.iter().enumerate() {
            b = b
                .expression_attribute_names(format!("#c{i}"), format!("c_{name}"))
                .expression_attribute_values(format!(":v{i}"), n(v));
        }
        b
    }};
}

fn counters_of(item: &Item) -> Counters {
    item.iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("c_")?;
            Some((name.to_string(), v.as_n().ok()?.parse::<i64>().ok()?))
        })
        .collect()
}

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
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, stats_hour_sk(hour))));
        add_counters!(update, add).send().await.map_err(be)?;
        Ok(())
    }

    async fn read_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        since_hour: i64,
    ) -> StoreResult<(Counters, BTreeMap<i64, Counters>)> {
        let shards = futures::stream::iter(0..self.shards)
            .map(|shard| {
                let pk = stats_pk(tenant, webhook, shard);
                let q = self
                    .query()
                    .key_condition_expression("PK = :pk")
                    .expression_attribute_values(":pk", s(pk.clone()));
                async move { Ok::<_, crate::store::StoreError>((pk, self.collect(q, None).await?)) }
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let (mut all, mut hours) = (Counters::new(), BTreeMap::new());
        let mut old = Vec::new();
        for (pk, item) in shards
            .iter()
            .flat_map(|(pk, items)| items.iter().map(move |i| (pk, i)))
        {
            let sk = item.get("SK").and_then(|v| v.as_s().ok());
            let counters = counters_of(item);
            for (k, v) in &counters {
                *all.entry(k.clone()).or_default() += v;
            }
            match sk.and_then(|sk| stats_hour_of_sk(sk)) {
                Some(h) if h >= since_hour => {
                    let hour = hours.entry(h).or_insert_with(Counters::new);
                    for (k, v) in counters {
                        *hour.entry(k).or_default() += v;
                    }
                }
                Some(h) if h < since_hour - FOLD_AFTER_HOURS => old.push((pk.clone(), h, counters)),
                _ => {}
            }
        }
        // Folding only moves counts between items of the same partition: a fold that fails
        // (another read folded the hour first) changes nothing, and the sum read is right
        // either way.
        for (pk, h, counters) in old.into_iter().take(FOLDS_PER_READ) {
            if let Err(e) = self.fold(pk, h, &counters).await {
                tracing::debug!(error = %e, "stats fold skipped");
            }
        }
        Ok((all, hours))
    }
}

impl DynamoStore {
    /// Moves an hour's counters into the all-time item of its partition, in one transaction.
    async fn fold(&self, pk: String, hour: i64, counters: &Counters) -> StoreResult<()> {
        if counters.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk.clone(), stats_hour_sk(hour))))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(be)?;
        let update = add_counters!(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk, STATS_ALL_TIME_SK))),
            counters
        )
        .build()
        .map_err(be)?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().update(update).build())
            .send()
            .await
            .map_err(be)?;
        Ok(())
    }
}

#[async_trait]
impl Retention for DynamoStore {
    /// DynamoDB's TTL deletes expired items (lazily); reads filter them out until then.
    async fn purge_expired(&self, _now: Timestamp) -> StoreResult<u64> {
        Ok(0)
    }
}
