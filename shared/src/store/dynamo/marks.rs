//! Marks on DynamoDB: the first-try successes of tenants whose log level is `failures`, kept
//! compactly. A record of its own would be one write unit per delivery; a mark item holds up
//! to [`PER_ITEM`] of them in one write unit (compressed), written once per batch. Marks sit
//! in a partition per tenant and second of their events' creation, so the id of a delivery
//! (which carries its event's time) leads to its mark with one query.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::DynamoStore;
use super::items::{from_item, insert_doc, key, n, s};
use super::keys::{TTL_ATTRIBUTE, marks_pk};
use crate::ids::{DeliveryId, EventId, TenantId, WebhookId};
use crate::model::{Attempt, AttemptRule, Delivery, DeliveryStatus, Timestamp};
use crate::store::StoreResult;

/// Marks per item: ten stay within one write unit compressed, even with unrelated ids.
const PER_ITEM: usize = 10;

/// One lean success: what the delivery log shows of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Mark {
    /// Event, webhook and the event's creation (milliseconds): the delivery id derives from
    /// them.
    e: EventId,
    w: WebhookId,
    m: i64,
    /// The event's type.
    t: String,
    /// The attempt: when (milliseconds), status code, duration, signing key.
    a: i64,
    c: Option<u16>,
    d: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    /// Expiry (unix seconds).
    x: i64,
}

impl Mark {
    fn of(d: &Delivery) -> Option<Self> {
        let a = d.attempts.last()?;
        Some(Mark {
            e: d.event_id.clone(),
            w: d.webhook_id.clone(),
            m: d.created_at.timestamp_millis(),
            t: d.event_type.clone(),
            a: a.at.timestamp_millis(),
            c: a.status_code,
            d: a.duration_ms,
            k: a.key_id.clone(),
            x: d.expires_at.timestamp(),
        })
    }

    fn delivery(self, tenant: &TenantId) -> Option<Delivery> {
        let created = Timestamp::from_timestamp_millis(self.m)?;
        let at = Timestamp::from_timestamp_millis(self.a)?;
        let expires = Timestamp::from_timestamp(self.x, 0)?;
        let mut d = Delivery::pending(tenant, &self.e, &self.t, &self.w, created, expires);
        d.status = DeliveryStatus::Succeeded;
        d.updated_at = at;
        d.next_attempt_at = None;
        d.record(Attempt {
            at,
            status_code: self.c,
            duration_ms: self.d,
            response_excerpt: None,
            error_kind: None,
            error: None,
            manual: false,
            retry_id: None,
            key_id: self.k,
            rule: Some(AttemptRule::Delivered),
            request_headers: None,
        });
        Some(d)
    }
}

impl DynamoStore {
    /// Writes the marks of `ds`: per tenant and second, items of up to [`PER_ITEM`].
    pub(super) async fn write_marks(&self, ds: &[Delivery]) -> StoreResult<()> {
        let mut groups: BTreeMap<(&TenantId, i64), Vec<Mark>> = BTreeMap::new();
        for d in ds {
            if let Some(m) = Mark::of(d) {
                let second = d.created_at.timestamp_millis().div_euclid(1000);
                groups.entry((&d.tenant_id, second)).or_default().push(m);
            }
        }
        let mut items = Vec::new();
        for ((tenant, second), marks) in groups {
            for chunk in marks.chunks(PER_ITEM) {
                let sk = ulid::Ulid::new().to_string();
                let mut item = key(marks_pk(tenant, second), sk);
                let expires = chunk.iter().map(|m| m.x).max().unwrap_or_default();
                item.insert(TTL_ATTRIBUTE.into(), n(expires));
                insert_doc(&mut item, &chunk)?;
                items.push(item);
            }
        }
        self.put_all(items).await
    }

    /// The deliveries marked for `tenant`'s events created in the second of `created_ms`.
    pub(super) async fn marked(
        &self,
        tenant: &TenantId,
        created_ms: i64,
    ) -> StoreResult<Vec<Delivery>> {
        let q = self
            .query()
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(marks_pk(tenant, created_ms.div_euclid(1000))));
        let mut out = Vec::new();
        for item in self.collect(q, None).await? {
            let marks: Vec<Mark> = from_item(&item)?;
            out.extend(marks.into_iter().filter_map(|m| m.delivery(tenant)));
        }
        Ok(out)
    }

    /// The marked delivery `id`, if it is one.
    pub(super) async fn marked_one(
        &self,
        tenant: &TenantId,
        id: &DeliveryId,
    ) -> StoreResult<Option<Delivery>> {
        let found = self.marked(tenant, id.created_ms()).await?;
        Ok(found.into_iter().find(|d| &d.id == id))
    }
}
