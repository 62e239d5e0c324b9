//! Events and deliveries on DynamoDB: each event in its own partition; deliveries in their
//! webhook's log (sharded partitions read newest first and merged), at keys their ids give.

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};

use super::items::{archived_attempt_item, delivery_item, event_item, from_item, key, n, s};
use super::keys::{
    ATTEMPT_SK_PREFIX, EVENT_SK, delivery_key, delivery_pk, event_pk, webhook_deliveries_pk,
};
use super::{ABSENT_OR_EXPIRED, DynamoStore, be, is_condition_failed};
use crate::ids::{DeliveryId, EventId, TenantId, WebhookId};
use crate::model::{ArchivedAttempt, Delivery, DeliveryStatus, Event, Page, Timestamp};
use crate::store::{DeliveryCursor, EventStore, StoreError, StoreResult, newest_first, page_of};

/// Sorts after every cursor text: the upper bound of a first page.
const CURSOR_END: &str = "~";

#[async_trait]
impl EventStore for DynamoStore {
    async fn put_event(&self, ev: &Event, now: Timestamp) -> StoreResult<bool> {
        self.put_if(
            event_item(ev)?,
            ABSENT_OR_EXPIRED,
            vec![(":now", n(now.timestamp()))],
        )
        .await
    }

    async fn put_event_block(&self, events: &[&Event], _now: Timestamp) -> StoreResult<()> {
        self.write_event_block(events).await
    }

    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>> {
        let alone = self.get(event_pk(tenant, id), EVENT_SK);
        // An id that may be of a block: its block's partition and its own item are read at
        // once (events published one by one, and those of earlier builds, have their own).
        let alone = match id.block_key() {
            None => alone.await?,
            Some(block) => {
                let (in_block, alone) = futures::join!(self.block_event(tenant, &block, id), alone);
                if let Some(ev) = in_block? {
                    return Ok(Some(ev));
                }
                alone?
            }
        };
        alone.map(|i| from_item(&i)).transpose()
    }

    async fn create_deliveries(&self, ds: &[Delivery], now: Timestamp) -> StoreResult<()> {
        let items = ds
            .iter()
            .map(|d| delivery_item(d, self.shards))
            .collect::<StoreResult<Vec<_>>>()?;
        let now = now.timestamp();
        // One conditional put each (BatchWriteItem has no conditions), 16 in flight.
        futures::stream::iter(items)
            .map(|item| self.put_if(item, ABSENT_OR_EXPIRED, vec![(":now", n(now))]))
            .buffer_unordered(16)
            .try_collect::<Vec<bool>>()
            .await?;
        Ok(())
    }

    async fn get_delivery(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        id: &DeliveryId,
    ) -> StoreResult<Option<Delivery>> {
        let (pk, sk) = delivery_key(tenant, webhook, id, self.shards);
        if let Some(i) = self.get(pk, sk).await? {
            return from_item(&i).map(Some);
        }
        // A first-try success may be in a page; a lean one has a mark.
        if let Some(d) = self.paged_one(tenant, webhook, id).await? {
            return Ok(Some(d));
        }
        Ok(self
            .marked_one(tenant, id)
            .await?
            .filter(|d| &d.webhook_id == webhook))
    }

    async fn save_marks(&self, ds: &[Delivery]) -> StoreResult<()> {
        self.write_marks(ds).await
    }

    async fn save_delivery(
        &self,
        d: &Delivery,
        prior_attempts: usize,
        archived: Option<&ArchivedAttempt>,
    ) -> StoreResult<()> {
        // The attempt leaving the inline window first, in the delivery's partition: written
        // twice (a duplicate message), it is the same item.
        if let Some(a) = archived {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(archived_attempt_item(d, a)?))
                .send()
                .await
                .map_err(be)?;
        }
        // The first save creates the record (publishing wrote none: one write per delivery),
        // and so does the first save after a success kept in a page or as a mark (a manual
        // retry of it), which then takes it out of its page.
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(delivery_item(d, self.shards)?))
            .condition_expression("attribute_not_exists(PK) OR n = :prior")
            .expression_attribute_values(":prior", n(prior_attempts))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld);
        match put.send().await {
            Ok(out) if out.attributes.is_none() && prior_attempts > 0 => self.unpage(d).await,
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::AlreadyRecorded),
            Err(e) => Err(be(e)),
        }
    }

    async fn save_first_tries(&self, ds: &[Delivery]) -> StoreResult<()> {
        self.write_record_pages(ds).await
    }

    async fn archived_attempts(
        &self,
        tenant: &TenantId,
        id: &DeliveryId,
    ) -> StoreResult<Vec<ArchivedAttempt>> {
        let q = self
            .query()
            .key_condition_expression("PK = :pk AND begins_with(SK, :a)")
            .expression_attribute_values(":pk", s(delivery_pk(tenant, id)))
            .expression_attribute_values(":a", s(ATTEMPT_SK_PREFIX));
        self.collect(q, None).await?.iter().map(from_item).collect()
    }

    async fn list_deliveries(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        status: Option<DeliveryStatus>,
        before: Option<&DeliveryCursor>,
        limit: usize,
    ) -> StoreResult<Page<Delivery, DeliveryCursor>> {
        let upper = before.map_or_else(|| CURSOR_END.to_string(), DeliveryCursor::encode);
        // Each shard is read newest first up to `limit + 1` matches; the merge of those is exact.
        let per_shard = futures::stream::iter(0..self.shards)
            .map(|shard| {
                let mut q = self
                    .query()
                    .key_condition_expression("PK = :pk AND SK < :upper")
                    .expression_attribute_values(
                        ":pk",
                        s(webhook_deliveries_pk(tenant, webhook, shard)),
                    )
                    .expression_attribute_values(":upper", s(upper.clone()))
                    .scan_index_forward(false);
                if let Some(st) = status {
                    q = q
                        .filter_expression("st = :st")
                        .expression_attribute_values(":st", s(st.as_str()));
                }
                self.collect(q, Some(limit + 1))
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        let mut all = per_shard
            .into_iter()
            .flatten()
            .map(|i| from_item::<Delivery>(&i))
            .collect::<StoreResult<Vec<_>>>()?;
        // Pages hold only first-try successes; a record of its own wins over a page's copy.
        if status.is_none_or(|st| st == DeliveryStatus::Succeeded) {
            let own: std::collections::HashSet<DeliveryId> =
                all.iter().map(|d| d.id.clone()).collect();
            let paged = self.paged_log(tenant, webhook, before, limit).await?;
            all.extend(paged.into_iter().filter(|d| !own.contains(&d.id)));
        }
        all.sort_by(newest_first);
        all.truncate(limit + 1);
        Ok(page_of(all, limit, DeliveryCursor::of))
    }

    async fn event_deliveries(&self, ev: &Event) -> StoreResult<Vec<Delivery>> {
        let (tenant, event) = (&ev.tenant_id, &ev.id);
        let keys = ev
            .webhook_ids
            .iter()
            .map(|w| {
                let id = DeliveryId::of(tenant, event, w, ev.created_at);
                let (pk, sk) = delivery_key(tenant, w, &id, self.shards);
                key(pk, sk)
            })
            .collect::<Vec<_>>();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: Vec<Delivery> = self
            .batch_get(keys)
            .await?
            .iter()
            .map(from_item)
            .collect::<StoreResult<_>>()?;
        // Those without a record of their own may be first-try successes kept in pages, one
        // query per webhook (a `full` tenant's event)...
        let missing: Vec<WebhookId> = ev
            .webhook_ids
            .iter()
            .filter(|w| ev.log_level.is_full() && !found.iter().any(|f| &f.webhook_id == *w))
            .cloned()
            .collect();
        let paged = futures::stream::iter(missing)
            .map(|w: WebhookId| {
                let id = DeliveryId::of(tenant, event, &w, ev.created_at);
                async move { self.paged_one(tenant, &w, &id).await }
            })
            .buffer_unordered(8)
            .try_collect::<Vec<_>>()
            .await?;
        found.extend(paged.into_iter().flatten());
        // ...or lean successes (a `failures` tenant's): their marks are in one partition.
        if found.len() < ev.webhook_ids.len() && !ev.log_level.is_full() {
            let marked = self
                .marked(tenant, ev.created_at.timestamp_millis())
                .await?;
            for d in marked {
                if &d.event_id == event && !found.iter().any(|f| f.webhook_id == d.webhook_id) {
                    found.push(d);
                }
            }
        }
        found.sort_by(|a, b| a.webhook_id.cmp(&b.webhook_id));
        Ok(found)
    }
}
