//! Request bookkeeping of the API: the rate limiter's counters (one item per key and window,
//! counted with an `ADD` that returns the new count: one write, no read) and idempotency keys
//! (a conditional put claims a key), both expiring by TTL.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::items::{from_item, idempotency_item, key, n};
use super::keys::{IDEMPOTENCY_SK, TTL_ATTRIBUTE, idempotency_pk, rate_pk, rate_sk};
use super::{DynamoStore, be};
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
}

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
