//! First-try successes of `full` tenants on DynamoDB, kept in pages. A delivery record of its
//! own is one write unit, most of what a delivery costs; the records a delivery batch creates
//! for one webhook share most of their text, so several deflate into one write unit together.
//!
//! A page holds records of one webhook whose events were created in the same second, in a
//! partition of the webhook's own, sorted by the newest record's place in the log (its
//! cursor, then a unique suffix: two pages never share a key). So a delivery id (which
//! carries its event's time) leads to its page with one query of a second's pages, and the
//! log is listed by merging pages with the records of the sharded log partitions: a page
//! sorts at its newest record, and all of its records lie within that record's second.
//!
//! A record that changes later (a manual retry) becomes a record of its own, at the key its id
//! gives, and leaves its page; until it has left, readers prefer the record of its own.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{Line, deflate, from_item, key, n, pack, page_budget, s};
use super::keys::{TTL_ATTRIBUTE, record_pages_pk};
use super::{DynamoStore, be, is_condition_failed};
use crate::ids::{DeliveryId, TenantId, WebhookId};
use crate::model::{Delivery, DeliveryStatus};
use crate::store::{DeliveryCursor, StoreResult};

/// The sort keys of the pages of unix second `second` lie in `[lower, upper)`.
fn second_bounds(second: i64) -> (String, String) {
    (
        format!("{:013}", second * 1000),
        format!("{:013}", (second + 1) * 1000),
    )
}

fn second_of(d: &Delivery) -> i64 {
    d.created_at.timestamp_millis().div_euclid(1000)
}

/// How many times a page is read and written again when a retry takes a record out of it
/// while another does the same.
const REWRITES: usize = 3;

thread_local! {
    /// The line the last packing of records on this thread found (`pack`).
    static LAST_LINE: std::cell::Cell<Option<Line>> = const { std::cell::Cell::new(None) };
}

impl DynamoStore {
    /// Writes `ds` (first-try successes with no record yet) as pages: per tenant, webhook and
    /// second of their events' creation, as many to a page as fit one write unit.
    pub(super) async fn write_record_pages(&self, ds: &[Delivery]) -> StoreResult<()> {
        let mut groups: BTreeMap<(&TenantId, &WebhookId, i64), Vec<&Delivery>> = BTreeMap::new();
        for d in ds {
            groups
                .entry((&d.tenant_id, &d.webhook_id, second_of(d)))
                .or_default()
                .push(d);
        }
        let mut items = Vec::new();
        for ((tenant, webhook, _), mut group) in groups {
            // Newest first, as the log reads: each page's key is its first record's place.
            group.sort_by(|a, b| crate::store::newest_first(a, b));
            let jsons = group
                .iter()
                .map(|d| serde_json::to_string(d).map_err(be))
                .collect::<StoreResult<Vec<_>>>()?;
            let pk = record_pages_pk(tenant, webhook);
            let budget = page_budget(&page_item(&pk, &group, Vec::new()));
            let pages = LAST_LINE.with(|last| pack(&jsons, budget, last));
            for (range, z) in pages {
                items.push(page_item(&pk, &group[range], z));
            }
        }
        self.put_all(items).await
    }

    /// The pages of `webhook`'s records whose events were created in `second`, as items.
    async fn pages_of_second(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        second: i64,
    ) -> StoreResult<Vec<super::items::Item>> {
        let (lower, upper) = second_bounds(second);
        let q = self
            .query()
            .key_condition_expression("PK = :pk AND SK BETWEEN :lo AND :hi")
            .expression_attribute_values(":pk", s(record_pages_pk(tenant, webhook)))
            .expression_attribute_values(":lo", s(lower))
            .expression_attribute_values(":hi", s(upper))
            .consistent_read(true);
        self.collect(q, None).await
    }

    /// Delivery `id` of `webhook`, if a page holds it.
    pub(super) async fn paged_one(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        id: &DeliveryId,
    ) -> StoreResult<Option<Delivery>> {
        let second = id.created_ms().div_euclid(1000);
        for item in self.pages_of_second(tenant, webhook, second).await? {
            let page: Vec<Delivery> = from_item(&item)?;
            if let Some(d) = page.into_iter().find(|d| &d.id == id) {
                return Ok(Some(d));
            }
        }
        Ok(None)
    }

    /// `webhook`'s paged records older than `before`, newest first: at least every one among
    /// the `limit + 1` newest of them (with more, which the caller's merge cuts).
    pub(super) async fn paged_log(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        before: Option<&DeliveryCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        let pk = record_pages_pk(tenant, webhook);
        // Pages whose second is the cursor's may hold records on both sides of it: all of
        // them are read. Every page of an earlier second lies wholly before the cursor, and
        // the `limit + 1` newest such pages hold at least `limit + 1` records newer than any
        // page after them.
        let (same_second, upper) = match before {
            Some(c) => {
                let second = c.created_ms.div_euclid(1000);
                let lower = second_bounds(second).0;
                (self.pages_of_second(tenant, webhook, second).await?, lower)
            }
            None => (Vec::new(), "~".to_string()),
        };
        let q = self
            .query()
            .key_condition_expression("PK = :pk AND SK < :upper")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":upper", s(upper))
            .scan_index_forward(false)
            .consistent_read(true);
        let earlier = self.collect(q, Some(limit + 1)).await?;
        let mut out = Vec::new();
        // A duplicate queue message may have paged a record twice: it is listed once.
        let mut seen = std::collections::HashSet::new();
        for item in same_second.iter().chain(&earlier) {
            let page: Vec<Delivery> = from_item(item)?;
            out.extend(page.into_iter().filter(|d| {
                before.is_none_or(|c| {
                    (d.created_at.timestamp_millis(), &d.id) < (c.created_ms, &c.id)
                }) && seen.insert(d.id.clone())
            }));
        }
        Ok(out)
    }

    /// Takes delivery `d` out of its page, if one holds it (it now has a record of its own).
    /// The page is written again only if no one changed it meanwhile; a page left empty goes.
    pub(super) async fn unpage(&self, d: &Delivery) -> StoreResult<()> {
        for _ in 0..REWRITES {
            let pages = self
                .pages_of_second(&d.tenant_id, &d.webhook_id, second_of(d))
                .await?;
            let found = pages.into_iter().find_map(|item| {
                let page: Vec<Delivery> = from_item(&item).ok()?;
                page.iter().any(|p| p.id == d.id).then_some((item, page))
            });
            let Some((item, page)) = found else {
                return Ok(());
            };
            let old = item
                .get("docz")
                .cloned()
                .unwrap_or(AttributeValue::Null(true));
            let rest: Vec<Delivery> = page.into_iter().filter(|p| p.id != d.id).collect();
            // Only over the page as read: a retry of another of its records may have
            // rewritten it meanwhile, and then this one reads it again.
            let unchanged = "docz = :old";
            let written = if rest.is_empty() {
                let key_of = ["PK", "SK"]
                    .into_iter()
                    .filter_map(|k| Some((k.to_string(), item.get(k)?.clone())))
                    .collect();
                let deleted = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key_of))
                    .condition_expression(unchanged)
                    .expression_attribute_values(":old", old)
                    .send()
                    .await;
                match deleted {
                    Ok(_) => true,
                    Err(e) if is_condition_failed(&e) => false,
                    Err(e) => return Err(be(e)),
                }
            } else {
                let mut next = item.clone();
                let json = serde_json::to_string(&rest).map_err(be)?;
                next.insert(
                    "docz".into(),
                    AttributeValue::B(Blob::new(deflate(json.as_bytes()))),
                );
                self.put_if(next, unchanged, vec![(":old", old)]).await?
            };
            if written {
                return Ok(());
            }
        }
        Err(be("a page kept changing while a record left it"))
    }
}

/// A page of `records` (one webhook's, one second's, newest first, at least one) whose
/// deflated array is `z`, keyed by its newest record.
fn page_item(pk: &str, records: &[&Delivery], z: Vec<u8>) -> super::items::Item {
    let sk = format!(
        "{}#{}",
        DeliveryCursor::of(records[0]).encode(),
        ulid::Ulid::new()
    );
    let mut item = key(pk, sk);
    item.insert("st".into(), s(DeliveryStatus::Succeeded.as_str()));
    let expires = records.iter().map(|d| d.expires_at.timestamp()).max();
    item.insert(TTL_ATTRIBUTE.into(), n(expires.unwrap_or_default()));
    item.insert("docz".into(), AttributeValue::B(Blob::new(z)));
    item
}
