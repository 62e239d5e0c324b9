//! Request bookkeeping of the API: the rate limiter's counters (one item per key and window,
//! counted with an `ADD` that returns the new count: one write, no read) and idempotency keys
//! (a conditional put claims a key), both expiring by TTL.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::items::{from_item, idempotency_item, key, n};
use super::keys::{IDEMPOTENCY_SK, TTL_ATTRIBUTE, idempotency_pk, rate_pk, rate_sk};
use super::{DynamoStore, be, is_condition_failed};
use crate::store::{IdempotencyRecord, IdempotencyStore, RateStore, StoreResult};

#[async_trait]
impl RateStore for DynamoStore {
    async fn count_request(&self, k: &str, window: i64, expires: i64) -> StoreResult<u64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(rate_pk(k), rate_sk(window))))
            .update_expression(format!("ADD #n :one SET {TTL_ATTRIBUTE} = :exp"))
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(expires))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(be)?;
        out.attributes()
            .and_then(|a| a.get("n"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| be("the counter's new value is missing from the answer"))
    }

    /// Two conditional updates, no read: while the schedule is ahead of `now`, `ADD` the span
    /// to it (the usual case under load, one write); when it fell behind (or is new), set it
    /// to `now` plus the span. A race between the two is lost by one and tried again.
    async fn reserve_slot(&self, k: &str, now: i64, span: i64, expires: i64) -> StoreResult<i64> {
        let item_key = key(rate_pk(k), SCHEDULE_SK.to_string());
        for _ in 0..4 {
            let ahead = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(item_key.clone()))
                .update_expression(format!("ADD #n :span SET {TTL_ATTRIBUTE} = :exp"))
                .condition_expression("#n >= :now")
                .expression_attribute_names("#n", "n")
                .expression_attribute_values(":span", n(span))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":exp", n(expires))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match ahead {
                Ok(out) => return next_of(out.attributes()).map(|next| next - span),
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(be(e)),
            }
            let behind = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(item_key.clone()))
                .update_expression(format!("SET #n = :next, {TTL_ATTRIBUTE} = :exp"))
                .condition_expression("attribute_not_exists(#n) OR #n < :now")
                .expression_attribute_names("#n", "n")
                .expression_attribute_values(":next", n(now + span))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":exp", n(expires))
                .send()
                .await;
            match behind {
                Ok(_) => return Ok(now),
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(be(e)),
            }
        }
        Err(be("the rate schedule kept changing under four tries"))
    }
}

/// The `n` an update answered with.
fn next_of(
    attributes: Option<&std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
) -> StoreResult<i64> {
    attributes
        .and_then(|a| a.get("n"))
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| be("the schedule's new value is missing from the answer"))
}

/// The sort key of a webhook's rate schedule, beside the API's counter windows.
const SCHEDULE_SK: &str = "SCHEDULE";

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim_idempotency(
        &self,
        k: &str,
        record: &IdempotencyRecord,
        now: i64,
        expires: i64,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        // TTL deletes late: an expired record is claimed over, as if it were gone.
        let claimed = self
            .put_if(
                idempotency_item(k, record, expires)?,
                &format!("attribute_not_exists(PK) OR {TTL_ATTRIBUTE} <= :now"),
                vec![(":now", n(now))],
            )
            .await?;
        if claimed {
            return Ok(None);
        }
        match self.get(idempotency_pk(k), IDEMPOTENCY_SK).await? {
            Some(item) => from_item(&item).map(Some),
            // Released between the two calls: the next try claims it.
            None => Ok(Some(record.clone())),
        }
    }

    async fn complete_idempotency(
        &self,
        k: &str,
        record: &IdempotencyRecord,
        expires: i64,
    ) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(idempotency_item(k, record, expires)?))
            .send()
            .await
            .map(drop)
            .map_err(be)
    }

    async fn release_idempotency(&self, k: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(idempotency_pk(k), IDEMPOTENCY_SK)))
            .send()
            .await
            .map(drop)
            .map_err(be)
    }
}
