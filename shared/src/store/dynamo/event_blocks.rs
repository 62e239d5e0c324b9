//! The events of a batch publish on DynamoDB, kept together. A 1 KB event of JSON deflates to
//! about 450 bytes, yet an item of its own is billed a whole write unit; the events of one
//! batch share their keys and much of their shape, so deflated together several fit in one.
//! Their ids come from one block (`EventId::block`), so each id names its block's partition:
//! pages of at most one write unit each (an event too large for one gets a page of its own),
//! written once, never changed, expiring with their events.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{Line, from_item, key, n, pack, page_budget, s};
use super::keys::{TTL_ATTRIBUTE, event_block_pk, event_block_sk};
use super::{DynamoStore, be};
use crate::ids::{EventId, TenantId};
use crate::model::Event;
use crate::store::StoreResult;

thread_local! {
    /// The line the last packing of a block on this thread found (`pack`): the next
    /// batch is most likely alike.
    static LAST_LINE: std::cell::Cell<Option<Line>> = const { std::cell::Cell::new(None) };
}

impl DynamoStore {
    /// Writes `events` (one tenant's, ids of one block) as pages of their block's partition.
    pub(super) async fn write_event_block(&self, events: &[&Event]) -> StoreResult<()> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        let block = first
            .id
            .block_key()
            .ok_or_else(|| be("an event id outside any block"))?;
        let pk = event_block_pk(&first.tenant_id, &block);
        let jsons = events
            .iter()
            .map(|e| serde_json::to_string(e).map_err(be))
            .collect::<StoreResult<Vec<_>>>()?;
        let expires = events.iter().map(|e| e.expires_at.timestamp()).max();
        let item = |page: usize, z: Vec<u8>| {
            let mut item = key(pk.clone(), event_block_sk(page));
            item.insert(TTL_ATTRIBUTE.into(), n(expires.unwrap_or_default()));
            item.insert("docz".into(), AttributeValue::B(Blob::new(z)));
            item
        };
        let template = item(0, Vec::new());
        let budget = page_budget(&template);
        let items: Vec<_> = LAST_LINE
            .with(|last| pack(&jsons, budget, last))
            .into_iter()
            .enumerate()
            .map(|(page, (_, z))| item(page, z))
            .collect();
        self.put_all(items).await
    }

    /// The event `id` of `tenant`, if its block's partition holds it (strongly consistent: a
    /// publish's answer names ids that must read at once).
    pub(super) async fn block_event(
        &self,
        tenant: &TenantId,
        block: &str,
        id: &EventId,
    ) -> StoreResult<Option<Event>> {
        let q = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(event_block_pk(tenant, block)))
            .consistent_read(true);
        for item in self.collect(q, None).await? {
            let page: Vec<Event> = from_item(&item)?;
            if let Some(ev) = page.into_iter().find(|e| &e.id == id) {
                return Ok(Some(ev));
            }
        }
        Ok(None)
    }
}
