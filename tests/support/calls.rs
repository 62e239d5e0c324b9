//! The requests most tests make, through the generated client ([`hookline_client`]), each one
//! line at the call site: bodies written as JSON (checked against the client's request type),
//! answers in the client's types, any refusal a panic that shows the API's error body.

use std::fmt::Display;

use hookline_client::Client;
use hookline_client::types;
use serde_json::Value;

use crate::{body, ok};

pub async fn create_webhook(c: &Client, webhook: Value) -> types::WebhookOut {
    ok(c.webhooks_create()
        .body(body::<types::WebhookIn>(webhook))
        .send())
    .await
}

pub async fn read_webhook(c: &Client, id: &impl Display) -> types::WebhookOut {
    ok(c.webhooks_read().id(id.to_string()).send()).await
}

pub async fn patch_webhook(c: &Client, id: &impl Display, patch: Value) -> types::WebhookOut {
    let patch = body::<types::WebhookPatchIn>(patch);
    ok(c.webhooks_patch().id(id.to_string()).body(patch).send()).await
}

/// Deletes the webhook; the API answers 204.
pub async fn delete_webhook(c: &Client, id: &impl Display) {
    let r = c.webhooks_delete().id(id.to_string()).send().await;
    let status = r.unwrap_or_else(|e| panic!("{e:?}")).status();
    assert_eq!(status.as_u16(), 204, "deleting {id}");
}

pub async fn publish(c: &Client, event: Value) -> types::PublishOut {
    ok(c.events_create().body(body::<types::EventIn>(event)).send()).await
}

pub async fn read_event(c: &Client, id: &impl Display) -> types::EventOut {
    ok(c.events_read().id(id.to_string()).send()).await
}

/// One delivery of a webhook, with its attempts.
pub async fn read_delivery(
    c: &Client,
    webhook: &impl Display,
    delivery: &impl Display,
) -> types::DeliveryOut {
    let read = c.deliveries_read().id(webhook.to_string());
    ok(read.delivery_id(delivery.to_string()).send()).await
}

/// Publishes `events` as one batch, every one of which must be accepted; answers their ids,
/// in order.
pub async fn publish_batch(c: &Client, events: Vec<Value>) -> Vec<types::EventId> {
    let batch = body::<types::EventBatchIn>(serde_json::json!({ "events": events }));
    let out = ok(c.events_create_batch().body(batch).send()).await.data;
    out.into_iter()
        .map(|r| r.id.clone().unwrap_or_else(|| panic!("refused: {r:?}")))
        .collect()
}

/// Queues a manual retry of the delivery (202).
pub async fn retry(c: &Client, webhook: &impl Display, delivery: &impl Display) -> types::RetryOut {
    let retry = c.deliveries_retry().id(webhook.to_string());
    ok(retry.delivery_id(delivery.to_string()).send()).await
}
