//! The rate limiter's counters: one item per key and window, counted with an `ADD` that returns
//! the new count (one write, no read), expiring by TTL.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::items::{key, n};
use super::keys::{TTL_ATTRIBUTE, rate_pk, rate_sk};
use super::{DynamoStore, be};
use crate::store::{RateStore, StoreResult};

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
