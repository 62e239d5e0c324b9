//! DynamoDB adapter: one table (key design in [`keys`], creation in [`table`], item codecs in
//! [`items`]), and one file per concern: [`api_keys`], [`webhooks`], [`catalogue`], [`events`]
//! (events and deliveries), [`stats`] (counters; retention is the table's TTL).

mod api_keys;
mod catalogue;
mod client_keys;
mod deflate;
mod event_blocks;
mod events;
pub mod items;
mod keyrings;
pub mod keys;
mod marks;
mod partners;
mod rate;
mod record_pages;
mod stats;
pub mod table;
mod tenants;
mod webhooks;
mod wire;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use futures::{StreamExt, TryStreamExt};

use crate::store::{StoreError, StoreResult};
use items::{Item, key};

pub use keys::{GSI1, GSI2, TTL_ATTRIBUTE};

/// Inserts treat an expired item (which TTL deletes only lazily) as absent.
const ABSENT_OR_EXPIRED: &str = "attribute_not_exists(PK) OR expires_at <= :now";

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    /// Puts, most of what publishing writes, go out directly ([`crate::aws_json`]), not
    /// through the SDK's orchestration; reads, updates and transactions take the SDK.
    puts: std::sync::Arc<crate::aws_json::JsonApi>,
    table: String,
    shards: u32,
}

pub(crate) fn be(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::Backend(crate::fault::BackendError::from_aws("dynamodb", e))
}

/// Before round `round` (0: the first) of a batch call whose unprocessed part is sent again:
/// a growing pause after the first (DynamoDB leaves items unprocessed when it throttles), and
/// a failure after 8 retries rather than an endless loop.
async fn pause_before(round: u32, why: &'static str) -> StoreResult<()> {
    if round == 0 {
        return Ok(());
    }
    if round > 8 {
        let gave_up = crate::fault::BackendError::unavailable("dynamodb", why);
        return Err(StoreError::Backend(gave_up));
    }
    tokio::time::sleep(std::time::Duration::from_millis(10u64 << round.min(6))).await;
    Ok(())
}

fn is_condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error().and_then(|se| se.code()) == Some("ConditionalCheckFailedException")
}

impl DynamoStore {
    /// The table `table`: `client` for most calls, `puts` for `PutItem` and
    /// `BatchWriteItem`; `shards` spreads listings.
    pub fn new(
        client: Client,
        puts: crate::aws_json::JsonApi,
        table: impl Into<String>,
        shards: u32,
    ) -> Self {
        DynamoStore {
            client,
            puts: std::sync::Arc::new(puts),
            table: table.into(),
            shards: shards.max(1),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table as the SAM template declares it (for the emulator and local runs).
    pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
        table::create_table(client, table).await
    }

    /// Puts `items` unconditionally (items written once, at keys no one else writes: pages,
    /// marks), twenty-five to a `BatchWriteItem` call: a batch publish's pages or a delivery
    /// batch's records are one request, not one each (the request, its signing and its
    /// round trip are most of what a write costs the function). What DynamoDB leaves
    /// unprocessed is written again after a growing pause, as [`Self::batch_get`] does.
    async fn put_all(&self, items: Vec<Item>) -> StoreResult<()> {
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let mut pending: Vec<Item> = items.by_ref().take(25).collect();
            let mut round = 0u32;
            while !pending.is_empty() {
                pause_before(
                    round,
                    "BatchWriteItem kept items unprocessed through 8 retries",
                )
                .await?;
                round += 1;
                let input = wire::BatchPut {
                    table: &self.table,
                    items: &pending,
                };
                let answer: serde_json::Value = self
                    .puts
                    .call("BatchWriteItem", &input)
                    .await
                    .map_err(StoreError::Backend)?;
                pending = wire::unprocessed_puts(&answer, &self.table)
                    .ok_or_else(|| be("BatchWriteItem: unprocessed items that are not items"))?;
            }
        }
        Ok(())
    }

    /// Puts `item` if `condition` holds (`values` fill its placeholders); false when it does not.
    ///
    /// After an attempt whose answer was lost (a dropped connection, a 5xx), an item found
    /// exactly as `item` is that attempt's own write, not a conflict: a create answered
    /// "already exists" for it would be wrong. DynamoDB hands back the item that failed the
    /// condition (`ReturnValuesOnConditionCheckFailure`) to compare. Only then: an identical
    /// item found otherwise is someone's earlier write of the same content (a replayed
    /// nonce's claim), a refusal like any other.
    async fn put_if(
        &self,
        item: Item,
        condition: &str,
        values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> StoreResult<bool> {
        let input = wire::ConditionalPut {
            table_name: &self.table,
            item: wire::WireItem(&item),
            condition_expression: condition,
            expression_attribute_values: values.iter().map(|(k, v)| (*k, wire::Wire(v))).collect(),
            return_values_on_condition_check_failure: "ALL_OLD",
        };
        let put: Result<serde_json::Value, crate::aws_json::Refused> = self
            .puts
            .call_unless("PutItem", &input, "ConditionalCheckFailedException")
            .await
            .map_err(StoreError::Backend)?;
        Ok(match put {
            Ok(_) => true,
            Err(r) => {
                r.after_lost_answer && r.detail.get("Item").and_then(wire::item) == Some(item)
            }
        })
    }

    /// Writes a versioned item (its `ver` attribute): created at version 1, otherwise only
    /// over version `version - 1`; false when another writer got there first.
    async fn put_versioned(&self, item: Item, version: u64) -> StoreResult<bool> {
        if version <= 1 {
            self.put_if(item, "attribute_not_exists(PK)", vec![]).await
        } else {
            self.put_if(item, "ver = :prev", vec![(":prev", items::n(version - 1))])
                .await
        }
    }

    /// A strongly consistent read: for what a conditional write follows (deliveries, webhooks,
    /// events, keyrings, idempotency records), where a stale answer would send or write twice.
    async fn get(&self, pk: String, sk: impl Into<String>) -> StoreResult<Option<Item>> {
        self.get_with(pk, sk, true).await
    }

    /// An eventually consistent read, at half the price, and a consistent one only when it
    /// finds nothing: for items that, once written, change only in ways a read a moment stale
    /// cannot harm (keys, which the process caches for longer anyway), while a key minted a
    /// moment ago is still found.
    async fn get_eventually_or_fresh(
        &self,
        pk: String,
        sk: &'static str,
    ) -> StoreResult<Option<Item>> {
        match self.get_with(pk.clone(), sk, false).await? {
            Some(item) => Ok(Some(item)),
            None => self.get_with(pk, sk, true).await,
        }
    }

    async fn get_with(
        &self,
        pk: String,
        sk: impl Into<String>,
        consistent: bool,
    ) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(be)?;
        Ok(out.item)
    }

    /// Reads items by key, a hundred per call (what DynamoDB leaves unprocessed is asked
    /// again); eventually consistent.
    async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .build()
                    .map_err(be)?,
            );
            // What DynamoDB leaves unprocessed is asked again after a growing pause (it does
            // so when throttled); a key it keeps refusing is a failure, not an endless loop.
            let mut round = 0u32;
            while let Some(ka) = pending.take() {
                pause_before(
                    round,
                    "BatchGetItem kept keys unprocessed through 8 retries",
                )
                .await?;
                round += 1;
                let res = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, ka)
                    .send()
                    .await
                    .map_err(be)?;
                if let Some(items) = res.responses.and_then(|mut r| r.remove(&self.table)) {
                    out.extend(items);
                }
                pending = res
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
            }
        }
        Ok(out)
    }

    /// Runs a query on an index (which projects keys only) and reads the items it names from
    /// the table, in the index's order (an item deleted in between is left out).
    async fn collect_indexed(
        &self,
        q: QueryFluentBuilder,
        want: Option<usize>,
    ) -> StoreResult<Vec<Item>> {
        let keys = self.collect(q, want).await?;
        self.read_keys(&keys).await
    }

    /// The table's items for index entries (or any items carrying `PK` and `SK`), in order.
    async fn read_keys(&self, entries: &[Item]) -> StoreResult<Vec<Item>> {
        let table_key = |i: &Item| -> Option<(String, String)> {
            Some((
                i.get("PK")?.as_s().ok()?.clone(),
                i.get("SK")?.as_s().ok()?.clone(),
            ))
        };
        let wanted: Vec<(String, String)> = entries.iter().filter_map(table_key).collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .batch_get(wanted.iter().map(|(pk, sk)| key(pk, sk)).collect())
            .await?;
        let mut by_key: std::collections::HashMap<(String, String), Item> = found
            .into_iter()
            .filter_map(|i| Some((table_key(&i)?, i)))
            .collect();
        Ok(wanted.iter().filter_map(|k| by_key.remove(k)).collect())
    }

    /// Every item of a kind listed through GSI2's sharded partitions (`ALL_KEYS`, …), in id
    /// order, after `after`, at most `want`: each shard is read up to `want`, and the merge of
    /// those is exact.
    async fn list_kind(
        &self,
        kind: &str,
        after: Option<&str>,
        want: usize,
    ) -> StoreResult<Vec<Item>> {
        let per_shard = futures::stream::iter(keys::kind_pks(kind))
            .map(|pk| {
                let mut q = self.query().index_name(keys::GSI2);
                q = match after {
                    Some(a) => q
                        .key_condition_expression("GSI2PK = :pk AND GSI2SK > :after")
                        .expression_attribute_values(":after", items::s(a)),
                    None => q.key_condition_expression("GSI2PK = :pk"),
                };
                self.collect(
                    q.expression_attribute_values(":pk", items::s(pk)),
                    Some(want),
                )
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let sort_key = |i: &Item| {
            i.get("GSI2SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let mut entries: Vec<Item> = per_shard.into_iter().flatten().collect();
        entries.sort_by_key(sort_key);
        entries.truncate(want);
        self.read_keys(&entries).await
    }

    /// A query on this table, to be completed by the caller and run by [`Self::collect`].
    fn query(&self) -> QueryFluentBuilder {
        self.client.query().table_name(&self.table)
    }

    /// Runs a query through the SDK's paginator, to the end or until `want` items.
    async fn collect(&self, q: QueryFluentBuilder, want: Option<usize>) -> StoreResult<Vec<Item>> {
        let q = match want {
            Some(w) => q.limit(w.clamp(1, 1000) as i32),
            None => q,
        };
        let mut items = q.into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(item) = items.try_next().await.map_err(be)? {
            out.push(item);
            if want.is_some_and(|w| out.len() >= w) {
                break;
            }
        }
        Ok(out)
    }
}
