//! Operational events: Hookline tells the platform about its webhooks through its own engine
//! (signed, retried, logged like any event). Each is published into the tenant it concerns and
//! into the operator tenant (`HOOKLINE_OPERATOR_TENANT`, in the same mode), so that the
//! platform's own webhooks there see every tenant's; only webhooks that name a `hookline.*`
//! type in their filter receive one, and an event nobody subscribed to is not stored.
//!
//! Announcing is best effort and never fails the operation that caused it: the webhook change
//! or delivery outcome is already recorded, and a store or queue error here is logged. An
//! outcome of an operational event's own delivery announces nothing, so that a failing
//! operational endpoint cannot feed itself.

use serde_json::{Value, json};

use crate::backend::Hookline;
use crate::ids::{EventId, TenantId, WebhookId};
use crate::model::operational::{Notice, is_reserved};
use crate::model::{Delivery, Health, Timestamp, Webhook};
use crate::queue::DeliveryTask;

/// Whether a change to a webhook is announced: not when an operational event's own delivery
/// caused it (a loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    Yes,
    Quietly,
}

impl Announce {
    /// Announcing the outcomes of a delivery of `event_type`.
    pub fn for_delivery_of(event_type: &str) -> Self {
        match is_reserved(event_type) {
            true => Announce::Quietly,
            false => Announce::Yes,
        }
    }
}

/// Publishes `notice` about `tenant`'s objects, with `data` (the tenant and mode added), into
/// the tenant and into the operator tenant.
pub async fn announce(app: &Hookline, tenant: &TenantId, notice: Notice, mut data: Value) {
    data["tenant_id"] = json!(tenant.base());
    data["account_type"] = json!(tenant.mode());
    let operator = app.config.operator_tenant.in_mode(tenant.mode());
    let mut targets = vec![tenant.clone()];
    if operator != *tenant {
        targets.push(operator);
    }
    for target in targets {
        if let Err(e) = publish_into(app, &target, notice, data.clone()).await {
            tracing::warn!(
                error = %crate::error::chain(&e),
                event_type = notice.event_type(),
                tenant = %target,
                "could not publish an operational event"
            );
        }
    }
}

async fn publish_into(
    app: &Hookline,
    target: &TenantId,
    notice: Notice,
    data: Value,
) -> crate::error::Result<()> {
    let name = notice.event_type();
    let id = EventId::generate();
    let subscribed: Vec<Webhook> = super::events::all_webhooks(app, target)
        .await?
        .iter()
        .filter(|w| {
            w.accepts(&crate::model::Envelope {
                id: id.as_str(),
                event_type: name,
                account_id: None,
                data: &data,
            })
        })
        .cloned()
        .collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let event = super::events::new_event(app, target, id, name.to_string(), None, data).await?;
    let mut plan = super::events::planned(event, &subscribed, DeliveryTask::Scheduled);
    plan.published = true;
    super::events::record(app, vec![plan])
        .await
        .remove(0)
        .map(|_| ())
}

/// What a webhook event says about the webhook (never its secrets, headers or credentials).
fn about(w: &Webhook) -> Value {
    json!({
        "webhook_id": w.id,
        "url": w.url,
        "events": w.events,
        "enabled": w.enabled,
    })
}

pub async fn webhook_created(app: &Hookline, w: &Webhook) {
    announce(app, &w.tenant_id, Notice::WebhookCreated, about(w)).await;
}

/// A change from `before` to `after`: disabled or enabled when that flipped, updated when
/// anything else changed too.
pub async fn webhook_changed(app: &Hookline, before: &Webhook, after: &Webhook, how: Announce) {
    if how == Announce::Quietly {
        return;
    }
    let tenant = &after.tenant_id;
    let flipped = before.enabled != after.enabled;
    if flipped && !after.enabled {
        let data = json!({
            "webhook_id": after.id,
            "url": after.url,
            "reason": after.disabled_reason,
        });
        announce(app, tenant, Notice::WebhookDisabled, data).await;
    } else if flipped {
        announce(app, tenant, Notice::WebhookEnabled, about(after)).await;
    }
    let mut unflipped = before.clone();
    unflipped.enabled = after.enabled;
    unflipped.disabled_reason = after.disabled_reason.clone();
    unflipped.disabled_at = after.disabled_at;
    unflipped.version = after.version;
    unflipped.updated_at = after.updated_at;
    unflipped.health = after.health.clone();
    if !flipped || unflipped != *after {
        announce(app, tenant, Notice::WebhookUpdated, about(after)).await;
    }
}

pub async fn webhook_deleted(app: &Hookline, tenant: &TenantId, id: &WebhookId) {
    announce(
        app,
        tenant,
        Notice::WebhookDeleted,
        json!({"webhook_id": id}),
    )
    .await;
}

/// What a delivery event says about the delivery.
fn of_delivery(d: &Delivery) -> Value {
    json!({
        "webhook_id": d.webhook_id,
        "delivery_id": d.id,
        "event_id": d.event_id,
        "event_type": d.event_type,
    })
}

/// A delivery failed for good.
pub async fn delivery_failed(app: &Hookline, d: &Delivery) {
    if Announce::for_delivery_of(&d.event_type) == Announce::Quietly {
        return;
    }
    let mut data = of_delivery(d);
    data["attempts"] = json!(d.attempt_count());
    data["last_attempt"] = d.attempts.last().map_or(Value::Null, |a| {
        json!({
            "at": a.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "status_code": a.status_code,
            "error": a.error,
            "rule": a.rule,
        })
    });
    announce(app, &d.tenant_id, Notice::DeliveryFailed, data).await;
}

/// What an attempt changed in its webhook's health, as far as the platform is told.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthNews {
    /// The webhook has failed, with no success, since then for longer than the auto-disable
    /// period: it is to be disabled.
    pub disable_since: Option<Timestamp>,
    /// This attempt's failure made the run reach the threshold (once per run).
    pub failing: Option<Health>,
    /// This attempt succeeded after a failing run of this many failures.
    pub recovered_after: Option<u32>,
}

/// Tells of a failing run reaching the threshold, or of its end, as `d`'s attempt showed.
pub async fn health_changed(app: &Hookline, d: &Delivery, news: &HealthNews) {
    if Announce::for_delivery_of(&d.event_type) == Announce::Quietly {
        return;
    }
    if let Some(h) = &news.failing {
        let mut data = of_delivery(d);
        data["consecutive_failures"] = json!(h.consecutive_failures);
        data["failing_since"] = json!(
            h.failing_since
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        );
        announce(app, &d.tenant_id, Notice::DeliveryFailing, data).await;
    }
    if let Some(n) = news.recovered_after {
        let mut data = of_delivery(d);
        data["failures_before"] = json!(n);
        announce(app, &d.tenant_id, Notice::DeliveryRecovered, data).await;
    }
}
