//! DynamoDB adapter: one table, keys designed around the access patterns of DESIGN.md.
//!
//! | item | PK | SK | GSI1 (PK / SK) | GSI2 (PK / SK) |
//! |---|---|---|---|---|
//! | API key | `KEY#{id}` | `KEY` | `TKEYS#{tenant}` / id | `KEYS` / id |
//! | webhook | `T#{tenant}` | `WH#{id}` | | `WEBHOOKS` / id (admin views) |
//! | webhook stats | `T#{tenant}#WS#{webhook}#{shard}` | `ALL` or `H#{unix hour}` | | |
//! | webhook count | `T#{tenant}` | `WHCOUNT` | | |
//! | event type | `CATALOG` | `ET#{name}` | | |
//! | event | `T#{tenant}#E#{id}` | `EVENT` | | |
//! | delivery | `T#{tenant}#D#{id}` | `DELIVERY` | `T#{tenant}#WD#{webhook}#{shard}` / `{ms}.{id}` | `T#{tenant}#ED#{event}` / id |
//!
//! Events and deliveries each have their own partition, and a webhook's delivery index is spread
//! over `shards` partitions, so no key takes more than a fraction of a busy endpoint's writes.
//! Entities are kept as a JSON `doc` next to the key attributes; `ver`/`n` guard updates.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    CatalogueStore, Counters, EventStore, KeyStore, Retention, StatsStore, WebhookStore,
    cap_reached, delivery_conflict, delivery_cursor, page_of, parse_delivery_cursor,
    version_conflict,
};
use crate::error::{Error, Result};
use crate::ids::shard_of;
use crate::model::{ApiKey, Delivery, DeliveryStatus, Event, EventType, Page, Timestamp, Webhook};

type Item = HashMap<String, AttributeValue>;

pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// Inserts treat an expired item (which TTL deletes only lazily) as absent.
const ABSENT_OR_EXPIRED: &str = "attribute_not_exists(PK) OR expires_at <= :now";

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    shards: u32,
}

fn be<E: std::error::Error + 'static>(e: E) -> Error {
    Error::backend(format!("dynamodb: {}", DisplayErrorContext(&e)))
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn doc<T: Serialize>(v: &T) -> Result<AttributeValue> {
    serde_json::to_string(v)
        .map(AttributeValue::S)
        .map_err(Error::backend)
}

fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T> {
    let raw = item
        .get("doc")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| Error::backend("dynamodb: item without doc"))?;
    serde_json::from_str(raw).map_err(Error::backend)
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

fn is_condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error().and_then(|se| se.code()) == Some("ConditionalCheckFailedException")
}

fn webhook_from_item(item: &Item) -> Result<Webhook> {
    let mut wh: Webhook = from_item(item)?;
    // `lt` is written by touch_webhook without rewriting the doc.
    if let Some(lt) = item
        .get("lt")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
    {
        let at = chrono::DateTime::from_timestamp_millis(lt);
        if at > wh.last_triggered_at {
            wh.last_triggered_at = at;
        }
    }
    Ok(wh)
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, shards: u32) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            shards: shards.max(1),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table as the SAM template declares it (for the emulator and local runs).
    pub async fn create_table(client: &Client, table: &str) -> Result<()> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(be)
        };
        let ks = |name: &str, kt: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kt)
                .build()
                .map_err(be)
        };
        let gsi = |name: &str| -> Result<GlobalSecondaryIndex> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(ks(&format!("{name}PK"), KeyType::Hash)?)
                .key_schema(ks(&format!("{name}SK"), KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(be)
        };
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
                    .iter()
                    .map(|a| attr(a))
                    .collect::<Result<_>>()?,
            ))
            .key_schema(ks("PK", KeyType::Hash)?)
            .key_schema(ks("SK", KeyType::Range)?)
            .global_secondary_indexes(gsi(GSI1)?)
            .global_secondary_indexes(gsi(GSI2)?)
            .send()
            .await
            .map_err(be)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(be)?,
            )
            .send()
            .await
            .map_err(be)?;
        Ok(())
    }

    /// Puts `item` if `condition` holds (`values` fill its placeholders); false when it does not.
    async fn put_if(
        &self,
        item: Item,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        for (k, v) in values {
            put = put.expression_attribute_values(k, v);
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(be(e)),
        }
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(be)?;
        Ok(out.item)
    }

    /// Runs a query to the end (or until `want` items), following `LastEvaluatedKey`.
    async fn query_all(
        &self,
        index: Option<&str>,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
        filter: Option<(&str, Vec<(&str, AttributeValue)>)>,
        forward: bool,
        want: Option<usize>,
    ) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(condition)
                .scan_index_forward(forward)
                .set_exclusive_start_key(start.take());
            for (k, v) in &values {
                q = q.expression_attribute_values(*k, v.clone());
            }
            if let Some((f, fv)) = &filter {
                q = q.filter_expression(*f);
                for (k, v) in fv {
                    q = q.expression_attribute_values(*k, v.clone());
                }
            }
            if let Some(w) = want {
                q = q.limit((w - out.len()).clamp(1, 1000) as i32);
            }
            let page = q.send().await.map_err(be)?;
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() || want.is_some_and(|w| out.len() >= w) {
                break;
            }
        }
        Ok(out)
    }
    fn webhook_item(wh: &Webhook) -> Result<Item> {
        let mut item = key(format!("T#{}", wh.tenant_id), &format!("WH#{}", wh.id));
        item.insert("GSI2PK".into(), s("WEBHOOKS"));
        item.insert("GSI2SK".into(), s(wh.id.clone()));
        item.insert("ver".into(), n(wh.version));
        if let Some(lt) = wh.last_triggered_at {
            item.insert("lt".into(), n(lt.timestamp_millis()));
        }
        item.insert("doc".into(), doc(wh)?);
        Ok(item)
    }

    fn delivery_item(&self, d: &Delivery) -> Result<Item> {
        let shard = shard_of(&d.id, self.shards);
        let mut item = key(format!("T#{}#D#{}", d.tenant_id, d.id), "DELIVERY");
        item.insert(
            "GSI1PK".into(),
            s(format!("T#{}#WD#{}#{shard}", d.tenant_id, d.webhook_id)),
        );
        item.insert("GSI1SK".into(), s(delivery_cursor(d)));
        item.insert(
            "GSI2PK".into(),
            s(format!("T#{}#ED#{}", d.tenant_id, d.event_id)),
        );
        item.insert("GSI2SK".into(), s(d.id.clone()));
        item.insert("st".into(), s(d.status.as_str()));
        item.insert("n".into(), n(d.attempts.len()));
        item.insert(TTL_ATTRIBUTE.into(), n(d.expires_at.timestamp()));
        item.insert("doc".into(), doc(d)?);
        Ok(item)
    }
}

#[async_trait]
impl KeyStore for DynamoStore {
    async fn put_key(&self, k: &ApiKey) -> Result<()> {
        let mut item = key(format!("KEY#{}", k.id), "KEY");
        item.insert("GSI1PK".into(), s(format!("TKEYS#{}", k.tenant_id)));
        item.insert("GSI1SK".into(), s(k.id.clone()));
        item.insert("GSI2PK".into(), s("KEYS"));
        item.insert("GSI2SK".into(), s(k.id.clone()));
        item.insert("doc".into(), doc(k)?);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(be)?;
        Ok(())
    }

    async fn get_key(&self, id: &str) -> Result<Option<ApiKey>> {
        self.get(format!("KEY#{id}"), "KEY")
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn list_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        let items = self
            .query_all(
                Some(GSI1),
                "GSI1PK = :pk",
                vec![(":pk", s(format!("TKEYS#{tenant_id}")))],
                None,
                true,
                None,
            )
            .await?;
        items.iter().map(from_item).collect()
    }

    async fn no_keys(&self) -> Result<bool> {
        let items = self
            .query_all(
                Some(GSI2),
                "GSI2PK = :pk",
                vec![(":pk", s("KEYS"))],
                None,
                true,
                Some(1),
            )
            .await?;
        Ok(items.is_empty())
    }
}

#[async_trait]
impl WebhookStore for DynamoStore {
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> Result<()> {
        let item = Self::webhook_item(wh)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("T#{}", wh.tenant_id), "WHCOUNT")))
            .update_expression("SET c = if_not_exists(c, :zero) + :one")
            .condition_expression("attribute_not_exists(c) OR c < :cap")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap))
            .build()
            .map_err(be)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(be)?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(count).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                let first_failed = e
                    .as_service_error()
                    .and_then(|se| match se {
                        TransactWriteItemsError::TransactionCanceledException(tc) => Some(tc),
                        _ => None,
                    })
                    .and_then(|tc| {
                        tc.cancellation_reasons()
                            .first()
                            .and_then(|r| r.code())
                            .map(str::to_string)
                    });
                if first_failed.as_deref() == Some("ConditionalCheckFailed") {
                    Err(cap_reached(cap))
                } else {
                    Err(be(e))
                }
            }
        }
    }

    async fn get_webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        self.get(format!("T#{tenant_id}"), &format!("WH#{id}"))
            .await?
            .map(|i| webhook_from_item(&i))
            .transpose()
    }

    async fn list_webhooks(
        &self,
        tenant_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Webhook>> {
        let after = after.unwrap_or("");
        let items = match tenant_id {
            // `WH$` sorts right after every `WH#...` key.
            Some(t) => {
                let values = vec![
                    (":pk", s(format!("T#{t}"))),
                    (":lo", s(format!("WH#{after}"))),
                    (":hi", s("WH$")),
                ];
                self.query_all(
                    None,
                    "PK = :pk AND SK BETWEEN :lo AND :hi",
                    values,
                    None,
                    true,
                    Some(limit + 2),
                )
                .await?
            } // Key values may not be empty strings: the first page has no lower bound.
            None if after.is_empty() => {
                self.query_all(
                    Some(GSI2),
                    "GSI2PK = :pk",
                    vec![(":pk", s("WEBHOOKS"))],
                    None,
                    true,
                    Some(limit + 1),
                )
                .await?
            }
            None => {
                let values = vec![(":pk", s("WEBHOOKS")), (":after", s(after))];
                self.query_all(
                    Some(GSI2),
                    "GSI2PK = :pk AND GSI2SK > :after",
                    values,
                    None,
                    true,
                    Some(limit + 1),
                )
                .await?
            }
        };
        let mut hooks = items
            .iter()
            .map(webhook_from_item)
            .collect::<Result<Vec<_>>>()?;
        hooks.retain(|w| w.id.as_str() > after);
        hooks.truncate(limit + 1);
        Ok(page_of(hooks, limit, |w| w.id.clone()))
    }

    async fn update_webhook(&self, wh: &Webhook) -> Result<()> {
        if self
            .put_if(
                Self::webhook_item(wh)?,
                "ver = :prev",
                vec![(":prev", n(wh.version - 1))],
            )
            .await?
        {
            return Ok(());
        }
        match self.get_webhook(&wh.tenant_id, &wh.id).await? {
            None => Err(Error::NotFound("webhook".into())),
            Some(_) => Err(version_conflict()),
        }
    }

    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let del = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("T#{tenant_id}"), &format!("WH#{id}"))))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(be)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("T#{tenant_id}"), "WHCOUNT")))
            .update_expression("SET c = c - :one")
            .condition_expression("c > :zero")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .build()
            .map_err(be)?;
        let res = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(del).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_transaction_canceled_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(be(e)),
        }
    }

    async fn touch_webhook(&self, tenant_id: &str, id: &str, at: Timestamp) -> Result<()> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("T#{tenant_id}"), &format!("WH#{id}"))))
            .update_expression("SET lt = :at")
            .condition_expression("attribute_exists(PK) AND (attribute_not_exists(lt) OR lt < :at)")
            .expression_attribute_values(":at", n(at.timestamp_millis()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(be(e)),
        }
    }
}

#[async_trait]
impl CatalogueStore for DynamoStore {
    async fn create_event_type(&self, et: &EventType) -> Result<()> {
        let mut item = key("CATALOG".into(), &format!("ET#{}", et.name));
        item.insert("doc".into(), doc(et)?);
        if self
            .put_if(item, "attribute_not_exists(PK)", vec![])
            .await?
        {
            Ok(())
        } else {
            Err(Error::Conflict {
                code: "event_type_exists",
                message: format!("event type {} already exists", et.name),
            })
        }
    }

    async fn update_event_type(&self, et: &EventType) -> Result<()> {
        let mut item = key("CATALOG".into(), &format!("ET#{}", et.name));
        item.insert("doc".into(), doc(et)?);
        if self.put_if(item, "attribute_exists(PK)", vec![]).await? {
            Ok(())
        } else {
            Err(Error::NotFound("event type".into()))
        }
    }

    async fn get_event_type(&self, name: &str) -> Result<Option<EventType>> {
        self.get("CATALOG".into(), &format!("ET#{name}"))
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn list_event_types(&self) -> Result<Vec<EventType>> {
        let items = self
            .query_all(
                None,
                "PK = :pk AND begins_with(SK, :et)",
                vec![(":pk", s("CATALOG")), (":et", s("ET#"))],
                None,
                true,
                None,
            )
            .await?;
        items.iter().map(from_item).collect()
    }

    async fn delete_event_type(&self, name: &str) -> Result<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key("CATALOG".into(), &format!("ET#{name}"))))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(be)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

#[async_trait]
impl EventStore for DynamoStore {
    async fn put_event(&self, ev: &Event) -> Result<bool> {
        let mut item = key(format!("T#{}#E#{}", ev.tenant_id, ev.id), "EVENT");
        item.insert(TTL_ATTRIBUTE.into(), n(ev.expires_at.timestamp()));
        item.insert("doc".into(), doc(ev)?);
        self.put_if(
            item,
            ABSENT_OR_EXPIRED,
            vec![(":now", n(chrono::Utc::now().timestamp()))],
        )
        .await
    }

    async fn get_event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>> {
        self.get(format!("T#{tenant_id}#E#{id}"), "EVENT")
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn create_deliveries(&self, ds: &[Delivery]) -> Result<()> {
        let items = ds
            .iter()
            .map(|d| self.delivery_item(d))
            .collect::<Result<Vec<_>>>()?;
        let now = chrono::Utc::now().timestamp();
        // One conditional put each (BatchWriteItem has no conditions), 16 in flight.
        futures::stream::iter(items)
            .map(|item| self.put_if(item, ABSENT_OR_EXPIRED, vec![(":now", n(now))]))
            .buffer_unordered(16)
            .try_collect::<Vec<bool>>()
            .await?;
        Ok(())
    }

    async fn get_delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>> {
        self.get(format!("T#{tenant_id}#D#{id}"), "DELIVERY")
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn save_delivery(&self, d: &Delivery, prior_attempts: usize) -> Result<()> {
        if self
            .put_if(
                self.delivery_item(d)?,
                "n = :prior",
                vec![(":prior", n(prior_attempts))],
            )
            .await?
        {
            Ok(())
        } else {
            Err(delivery_conflict())
        }
    }

    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Delivery>> {
        let upper = match cursor {
            Some(c) => {
                parse_delivery_cursor(c)?;
                c.to_string()
            }
            None => "~".to_string(),
        };
        // Each shard is read newest first up to `limit + 1` matches; the merge of those is exact.
        let per_shard = futures::stream::iter(0..self.shards)
            .map(|shard| {
                let upper = upper.clone();
                async move {
                    let filter = status.map(|st| ("st = :st", vec![(":st", s(st.as_str()))]));
                    self.query_all(
                        Some(GSI1),
                        "GSI1PK = :pk AND GSI1SK < :upper",
                        vec![
                            (":pk", s(format!("T#{tenant_id}#WD#{webhook_id}#{shard}"))),
                            (":upper", s(upper)),
                        ],
                        filter,
                        false,
                        Some(limit + 1),
                    )
                    .await
                }
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let mut all = per_shard
            .into_iter()
            .flatten()
            .map(|i| from_item::<Delivery>(&i))
            .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|d| std::cmp::Reverse(delivery_cursor(d)));
        all.truncate(limit + 1);
        Ok(page_of(all, limit, delivery_cursor))
    }

    async fn event_deliveries(&self, tenant_id: &str, event_id: &str) -> Result<Vec<Delivery>> {
        let items = self
            .query_all(
                Some(GSI2),
                "GSI2PK = :pk",
                vec![(":pk", s(format!("T#{tenant_id}#ED#{event_id}")))],
                None,
                true,
                None,
            )
            .await?;
        items.iter().map(from_item).collect()
    }
}

/// Hourly stats buckets are kept this long (the API reads the last 24 hours).
const STATS_BUCKET_TTL_SECS: i64 = 48 * 3600;

#[async_trait]
impl StatsStore for DynamoStore {
    async fn add_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        hour: i64,
        shard: u32,
        add: &Counters,
    ) -> Result<()> {
        if add.is_empty() {
            return Ok(());
        }
        let pk = format!("T#{tenant_id}#WS#{webhook_id}#{}", shard % self.shards);
        let expr = format!(
            "ADD {}",
            (0..add.len())
                .map(|i| format!("#c{i} :v{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for sk in ["ALL".to_string(), format!("H#{hour:010}")] {
            let mut u = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pk.clone(), &sk)))
                .update_expression(&expr);
            for (i, (name, v)) in add.iter().enumerate() {
                u = u
                    .expression_attribute_names(format!("#c{i}"), format!("c_{name}"))
                    .expression_attribute_values(format!(":v{i}"), n(v));
            }
            if sk != "ALL" {
                u = u
                    .update_expression(format!("{expr} SET {TTL_ATTRIBUTE} = :exp"))
                    .expression_attribute_values(":exp", n(hour * 3600 + STATS_BUCKET_TTL_SECS));
            }
            u.send().await.map_err(be)?;
        }
        Ok(())
    }

    async fn read_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since_hour: i64,
    ) -> Result<(Counters, Counters)> {
        let shards = futures::stream::iter(0..self.shards)
            .map(|shard| async move {
                self.query_all(
                    None,
                    "PK = :pk",
                    vec![(":pk", s(format!("T#{tenant_id}#WS#{webhook_id}#{shard}")))],
                    None,
                    true,
                    None,
                )
                .await
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let since = format!("H#{since_hour:010}");
        let (mut all, mut recent) = (Counters::new(), Counters::new());
        for item in shards.iter().flatten() {
            let sk = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let target = if sk == "ALL" {
                &mut all
            } else if sk.as_str() >= since.as_str() {
                &mut recent
            } else {
                continue;
            };
            for (k, v) in item {
                if let (Some(name), Ok(v)) = (k.strip_prefix("c_"), v.as_n()) {
                    *target.entry(name.to_string()).or_default() += v.parse::<i64>().unwrap_or(0);
                }
            }
        }
        Ok((all, recent))
    }
}

#[async_trait]
impl Retention for DynamoStore {
    /// DynamoDB's TTL deletes expired items (lazily); reads filter them out until then.
    async fn purge_expired(&self, _now: Timestamp) -> Result<u64> {
        Ok(0)
    }
}
