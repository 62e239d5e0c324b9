//! The one publishing port: how a backend records a publish, and what it can promise about it.
//!
//! Two adapters, chosen by the wiring (`backend.rs`), never guessed by the callers:
//! [`OneTransaction`] for a store whose queue lives in its own database (SQLite: the event, its
//! deliveries and their messages in one transaction), and [`QueueThenEvent`] for a store and a
//! queue apart (DynamoDB and SQS: the messages first, then the event, so that a publish that
//! fails midway is completed by repeating it). What differs between them that the delivery
//! engine must know is a declared capability: [`Publisher::records_deliveries`].

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{Delivery, Event};
use crate::queue::{DeliveryTask, Queue, QueueError};
use crate::store::{AtomicPublish, PublishRecord, Store, StoreError, StoreResult};

/// What recording a publish writes: the event, its deliveries, their queue messages.
#[derive(Clone)]
pub struct Plan {
    pub event: Event,
    pub deliveries: Vec<Delivery>,
    pub tasks: Vec<DeliveryTask>,
    /// A publish (counted in the metrics), not a test event.
    pub published: bool,
    /// The event's id is one of a block made for its batch (`EventId::block`): the store may
    /// keep it with the block's other events.
    pub in_block: bool,
}

#[async_trait]
pub trait Publisher: Send + Sync {
    /// Whether a publish writes each delivery's record, so that the delivery function always
    /// finds one. Where it does not, the first attempt's save creates the record, and a
    /// message received for the first time skips the read.
    fn records_deliveries(&self) -> bool;

    /// Records each plan, answered on its own and in order: true when recorded, false when an
    /// event with its id is still live (a repeat, which changes nothing).
    async fn record(&self, plans: &[Plan], now: Timestamp) -> Vec<Result<bool>>;
}

/// Everything of a publish in one transaction of the store that also holds the queue.
pub struct OneTransaction(pub Arc<dyn AtomicPublish>);

#[async_trait]
impl Publisher for OneTransaction {
    fn records_deliveries(&self) -> bool {
        true
    }

    /// A batch in one commit: one flush for all its events (with full durability), and its
    /// messages queued in the batch's order.
    async fn record(&self, plans: &[Plan], now: Timestamp) -> Vec<Result<bool>> {
        let publishes: Vec<PublishRecord<'_>> = plans
            .iter()
            .map(|p| PublishRecord {
                event: &p.event,
                deliveries: &p.deliveries,
                tasks: &p.tasks,
            })
            .collect();
        self.0
            .record_publishes(&publishes, now)
            .await
            .into_iter()
            .map(|r| r.map_err(Into::into))
            .collect()
    }
}

/// A store and a queue apart: every plan's messages together (ten per call on SQS), then the
/// events. A publish writes no delivery records: the delivery function records each after its
/// first attempt (one write per delivery), and until then the event lists its webhooks and the
/// message carries the rest. A test event's one delivery is recorded first, so that the id the
/// API answers with reads.
pub struct QueueThenEvent {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
}

#[async_trait]
impl Publisher for QueueThenEvent {
    fn records_deliveries(&self) -> bool {
        false
    }

    async fn record(&self, plans: &[Plan], now: Timestamp) -> Vec<Result<bool>> {
        let created = futures::future::join_all(plans.iter().map(|p| async move {
            match p.published {
                true => Ok(()),
                false => self.store.create_deliveries(&p.deliveries, now).await,
            }
        }))
        .await;
        let tasks: Vec<DeliveryTask> = plans
            .iter()
            .zip(&created)
            .filter(|(_, c)| c.is_ok())
            .flat_map(|(p, _)| p.tasks.iter().cloned())
            .collect();
        let sent = self.queue.send(&tasks).await;
        // The events whose ids share a block go in together; each hears of its block's write.
        let mut blocks: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
        if sent.is_ok() {
            for (p, c) in plans.iter().zip(&created) {
                if let (true, Ok(()), Some(k)) = (p.in_block, c, p.event.id.block_key()) {
                    blocks.entry(k).or_default().push(&p.event);
                }
            }
        }
        let written: BTreeMap<&String, StoreResult<()>> = futures::future::join_all(
            blocks
                .iter()
                .map(|(k, evs)| async move { (k, self.store.put_event_block(evs, now).await) }),
        )
        .await
        .into_iter()
        .collect();
        futures::future::join_all(plans.iter().zip(created).map(|(p, c)| {
            let (sent, written) = (&sent, &written);
            async move {
                c?;
                if let Err(e) = sent {
                    // Every plan of the batch shared the failed send: each hears of it, and
                    // of whether the queue only refused it for now (throttled: a 503).
                    return Err(match e {
                        QueueError::Backend(b) => QueueError::Backend(b.again()),
                        other => QueueError::backend("queue", other.to_string()),
                    }
                    .into());
                }
                let block = p.in_block.then(|| p.event.id.block_key()).flatten();
                match block.and_then(|k| written.get(&k)) {
                    Some(Ok(())) => Ok(true),
                    // Every event of the block shared the failed write: each hears of it.
                    Some(Err(StoreError::Backend(e))) => Err(StoreError::Backend(e.again()).into()),
                    Some(Err(e)) => Err(StoreError::backend("store", e.to_string()).into()),
                    None => Ok(self.store.put_event(&p.event, now).await?),
                }
            }
        }))
        .await
    }
}
