//! Webhooks on DynamoDB: the per-tenant cap is a counter item updated in the same transaction
//! as the insert or delete; updates are guarded by the `ver` attribute.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

use super::items::{key, n, s, webhook_from_item, webhook_item};
use super::keys::{
    ALL_WEBHOOKS, GSI2, WEBHOOK_COUNT_SK, WEBHOOK_SK_END, kind_pk, tenant_of_pk, tenant_pk,
    webhook_sk,
};
use super::{DynamoStore, be, is_condition_failed};
use crate::ids::{TenantId, WebhookId};
use crate::model::{Health, Page, Timestamp, Webhook};
use crate::store::{Entity, StoreError, StoreResult, WebhookStore, page_of};

#[async_trait]
impl WebhookStore for DynamoStore {
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> StoreResult<()> {
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(&wh.tenant_id), WEBHOOK_COUNT_SK)))
            .update_expression("SET c = if_not_exists(c, :zero) + :one")
            .condition_expression("attribute_not_exists(c) OR c < :cap")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap))
            .build()
            .map_err(be)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(webhook_item(wh)?))
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
        let Err(e) = res else { return Ok(()) };
        // Which of the two conditions failed tells the cap from a duplicate id.
        let reasons: Vec<Option<String>> = match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(tc)) => tc
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().map(str::to_string))
                .collect(),
            _ => return Err(be(e)),
        };
        let failed = |i: usize| {
            reasons.get(i).cloned().flatten().as_deref() == Some("ConditionalCheckFailed")
        };
        if failed(0) {
            Err(StoreError::CapReached { cap })
        } else if failed(1) {
            Err(StoreError::Duplicate(Entity::Webhook))
        } else {
            Err(be(e))
        }
    }

    async fn webhook_tenant(&self, id: &WebhookId) -> StoreResult<Option<TenantId>> {
        // The index entry's table key names the tenant.
        let q = self
            .query()
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :pk AND GSI2SK = :id")
            .expression_attribute_values(":pk", s(kind_pk(ALL_WEBHOOKS, id.as_str())))
            .expression_attribute_values(":id", s(id.as_str()));
        let found = self.collect(q, Some(1)).await?;
        let tenant = found
            .first()
            .and_then(|i| tenant_of_pk(i.get("PK")?.as_s().ok()?));
        tenant.map(|t| TenantId::parse(t).map_err(be)).transpose()
    }

    async fn get_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<Option<Webhook>> {
        self.get(tenant_pk(tenant), webhook_sk(id))
            .await?
            .map(|i| webhook_from_item(&i))
            .transpose()
    }

    async fn list_webhooks(
        &self,
        tenant: Option<&TenantId>,
        after: Option<&WebhookId>,
        limit: usize,
    ) -> StoreResult<Page<Webhook, WebhookId>> {
        let after_s = after.map(|a| a.as_str()).unwrap_or("");
        let items = match tenant {
            Some(t) => {
                let q = self
                    .query()
                    .key_condition_expression("PK = :pk AND SK BETWEEN :lo AND :hi")
                    .expression_attribute_values(":pk", s(tenant_pk(t)))
                    .expression_attribute_values(":lo", s(format!("WH#{after_s}")))
                    .expression_attribute_values(":hi", s(WEBHOOK_SK_END));
                // BETWEEN includes `after` itself: read one more and drop it.
                self.collect(q, Some(limit + 2)).await?
            }
            None => {
                self.list_kind(ALL_WEBHOOKS, after.map(|a| a.as_str()), limit + 1)
                    .await?
            }
        };
        let mut hooks = items
            .iter()
            .map(webhook_from_item)
            .collect::<StoreResult<Vec<_>>>()?;
        hooks.retain(|w| w.id.as_str() > after_s);
        hooks.truncate(limit + 1);
        Ok(page_of(hooks, limit, |w| w.id.clone()))
    }

    async fn update_webhook(&self, wh: &Webhook) -> StoreResult<()> {
        if self
            .put_if(
                webhook_item(wh)?,
                "ver = :prev",
                vec![(":prev", n(wh.version - 1))],
            )
            .await?
        {
            return Ok(());
        }
        match self.get_webhook(&wh.tenant_id, &wh.id).await? {
            None => Err(StoreError::NotFound(Entity::Webhook)),
            Some(_) => Err(StoreError::VersionConflict),
        }
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<bool> {
        let del = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), webhook_sk(id))))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(be)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), WEBHOOK_COUNT_SK)))
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

    async fn put_health(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        health: &Health,
    ) -> StoreResult<bool> {
        let body = serde_json::to_string(health).map_err(be)?;
        let mut u = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), webhook_sk(id))))
            .update_expression("SET health = :h, hrev = :rev")
            .expression_attribute_values(":h", s(body))
            .expression_attribute_values(":rev", n(health.rev));
        // Items written before health existed have no `hrev`: revision 0.
        u = if health.rev <= 1 {
            u.condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(hrev) OR hrev = :prev)",
            )
        } else {
            u.condition_expression("attribute_exists(PK) AND hrev = :prev")
        }
        .expression_attribute_values(":prev", n(health.rev.saturating_sub(1)));
        match u.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(be(e)),
        }
    }

    async fn touch_webhook(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        at: Timestamp,
    ) -> StoreResult<()> {
        let res = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), webhook_sk(id))))
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
