//! Publishing: validate, find the matching subscriptions, create one delivery each, enqueue, and
//! record the event with the answer given, so that a repeat returns the same answer.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{EventId, TenantId, WebhookId};
use crate::model::{Delivery, Event, Webhook};
pub use crate::publishing::Plan;
use crate::queue::{DeliveryRef, DeliveryTask, INLINE_PAYLOAD_LIMIT};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct PublishOut {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub deliveries: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// True when this answer replays an earlier publish of the same id or idempotency key.
    pub replayed: bool,
    /// `live` or `test`: the mode of the key that published it (only webhooks of that mode
    /// receive it).
    #[serde(default)]
    pub account_type: crate::model::Mode,
}

impl PublishOut {
    pub(crate) fn of(ev: &Event, replayed: bool) -> Self {
        PublishOut {
            id: ev.id.clone(),
            event_type: ev.event_type.clone(),
            deliveries: ev.deliveries,
            account_type: ev.tenant_id.mode(),
            created_at: ev.created_at,
            replayed,
        }
    }
}

/// The body every endpoint receives for an event. Its keys in the order they always had
/// (sorted, as a JSON object built with `json!` wrote them), written straight from the event:
/// building a `Value` first copied the whole payload.
pub fn envelope(ev: &Event) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        account_id: Option<&'a str>,
        data: &'a serde_json::Value,
        id: &'a crate::ids::EventId,
        timestamp: String,
        #[serde(rename = "type")]
        event_type: &'a str,
    }
    serde_json::to_string(&Body {
        account_id: ev.account_id.as_deref(),
        data: &ev.data,
        id: &ev.id,
        timestamp: ev
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        event_type: &ev.event_type,
    })
    .expect("an event's fields serialize")
}

/// The event type catalogue (cached for a moment; shared, not copied).
pub async fn catalogue(app: &Hookline) -> Result<Arc<Vec<crate::model::EventType>>> {
    Ok(app
        .caches
        .catalogue
        .get_or_load(&(), || async {
            app.store.list_event_types().await.map(Arc::new)
        })
        .await?)
}

/// Every webhook of a tenant (cached for a moment; shared, not copied).
pub async fn all_webhooks(app: &Hookline, tenant: &TenantId) -> Result<Arc<Vec<Webhook>>> {
    app.caches
        .tenant_webhooks
        .get_or_load(tenant, || async {
            read_all_webhooks(app, Some(tenant)).await.map(Arc::new)
        })
        .await
}

/// Every webhook of a tenant (of every tenant with `None`), paging through the store.
pub async fn read_all_webhooks(app: &Hookline, tenant: Option<&TenantId>) -> Result<Vec<Webhook>> {
    let mut out = Vec::new();
    let mut after: Option<WebhookId> = None;
    loop {
        let page = app.store.list_webhooks(tenant, after.as_ref(), 100).await?;
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// Checks an event type against the catalogue, when the operator keeps one.
pub async fn check_catalogue(app: &Hookline, field: &str, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    check_names(&catalogue(app).await?, field, names)
}

/// [`check_catalogue`] against a catalogue already read. An operational name (`hookline.*`)
/// must name a built-in type, whether or not the operator keeps a catalogue.
pub(crate) fn check_names(
    catalogue: &[crate::model::EventType],
    field: &str,
    names: &[String],
) -> Result<()> {
    use crate::model::operational::{Notice, is_reserved};
    use crate::model::type_matches;
    for name in names {
        let known = match is_reserved(name) {
            true => Notice::ALL
                .iter()
                .any(|n| type_matches(name, n.event_type())),
            false => {
                catalogue.is_empty()
                    || name == "*"
                    || catalogue.iter().any(|t| type_matches(name, &t.name))
            }
        };
        if !known {
            return Err(Error::validation(
                field,
                format!("{name:?} is not in the event type catalogue"),
            ));
        }
    }
    Ok(())
}

/// A new event of `tenant`, kept for the tenant's retention and logged at its log level.
pub async fn new_event(
    app: &Hookline,
    tenant: &TenantId,
    id: EventId,
    event_type: String,
    account_id: Option<String>,
    data: Value,
) -> Result<Event> {
    let settings = super::settings::cached(app, tenant).await?;
    let now = app.clock.now();
    Ok(Event {
        id,
        tenant_id: tenant.clone(),
        event_type,
        account_id,
        data,
        created_at: now,
        deliveries: 0,
        webhook_ids: Vec::new(),
        expires_at: settings.expires_after(now),
        log_level: settings.log_level(),
    })
}

/// Creates one delivery of `event` per webhook, enqueues a message of the kind `kind` makes
/// for each, and records the event (a test event; publishes go through [`publish`]).
pub async fn fan_out(
    app: &Hookline,
    event: Event,
    webhooks: &[Webhook],
    kind: fn(DeliveryRef) -> DeliveryTask,
) -> Result<PublishOut> {
    record(app, vec![planned(event, webhooks, kind)])
        .await
        .remove(0)
}

/// The deliveries of `event` to `webhooks` and their queue messages, of the kind `kind` makes.
pub(crate) fn planned(
    mut event: Event,
    webhooks: &[Webhook],
    kind: fn(DeliveryRef) -> DeliveryTask,
) -> Plan {
    let tenant = event.tenant_id.clone();
    event.deliveries = webhooks.len() as u32;
    event.webhook_ids = webhooks.iter().map(|w| w.id.clone()).collect();
    let body = envelope(&event);
    let inline = (body.len() <= INLINE_PAYLOAD_LIMIT).then_some(body);
    let deliveries: Vec<Delivery> = webhooks
        .iter()
        .map(|w| {
            Delivery::pending(
                &tenant,
                &event.id,
                &event.event_type,
                &w.id,
                event.created_at,
                event.expires_at,
            )
        })
        .collect();
    let tasks: Vec<DeliveryTask> = deliveries
        .iter()
        .zip(webhooks.iter())
        .map(|(d, w)| {
            let mut task = kind(DeliveryRef {
                tenant_id: tenant.clone(),
                delivery_id: d.id.clone(),
                webhook_id: d.webhook_id.clone(),
                event_id: event.id.clone(),
                event_type: Some(event.event_type.clone()),
                resent: false,
                body: inline.clone(),
                expires_at: Some(event.expires_at),
                lean: false,
                ordered: false,
            });
            // Only the automatic schedule is lean or ordered: a test event is a manual action.
            if let DeliveryTask::Scheduled(t) = &mut task {
                t.lean = !event.log_level.is_full();
                t.ordered = w.ordering == crate::model::Ordering::Fifo;
            }
            task
        })
        .collect();
    Plan {
        event,
        deliveries,
        tasks,
        published: false,
        in_block: false,
    }
}

/// Records planned publishes through the backend's publishing port, each answered on its own,
/// in order.
pub(crate) async fn record(app: &Hookline, plans: Vec<Plan>) -> Vec<Result<PublishOut>> {
    let now = app.clock.now();
    let recorded = app.publisher.record(&plans, now).await;
    futures::future::join_all(
        plans
            .into_iter()
            .zip(recorded)
            .map(|(p, r)| async move { answer(app, p.event, r?, p.published).await }),
    )
    .await
}

/// The answer to a recorded publish, or to a repeat (the first publish's event).
async fn answer(
    app: &Hookline,
    event: Event,
    recorded: bool,
    published: bool,
) -> Result<PublishOut> {
    if recorded {
        if published {
            app.metrics.published(1);
        }
        return Ok(PublishOut::of(&event, false));
    }
    let first = app
        .store
        .get_event(&event.tenant_id, &event.id)
        .await?
        .unwrap_or(event);
    Ok(PublishOut::of(&first, true))
}

/// An event of `actor`'s tenant with its deliveries (those still kept), as the log shows it: the
/// deliveries recorded so far, and a pending one for each webhook the event went to that has
/// none yet. A portal session sees an event only through the deliveries to its own webhooks.
pub async fn read(
    app: &Hookline,
    actor: &crate::service::Actor<'_>,
    id: &EventId,
) -> Result<(Event, Vec<crate::model::Delivery>)> {
    let now = app.clock.now();
    let ev = app
        .store
        .get_event(actor.tenant, id)
        .await?
        .filter(|e| crate::model::is_live(e.expires_at, now))
        .ok_or(Error::NotFound("event"))?;
    let mut deliveries =
        crate::model::Delivery::of_event(&ev, app.store.event_deliveries(&ev).await?);
    deliveries.retain(|d| actor.sees(&d.webhook_id));
    if actor.is_narrowed() && deliveries.is_empty() {
        return Err(Error::NotFound("event"));
    }
    deliveries.retain(|d| crate::model::is_live(d.expires_at, now));
    Ok((ev, deliveries))
}

/// The example payload of catalogue type `name`, for a test event of that type: a 422 naming
/// `field` when the catalogue has no such type.
pub async fn example_of(app: &Hookline, field: &str, name: &str) -> Result<Value> {
    if let Some(builtin) = crate::model::operational::builtin_type(name) {
        return Ok(builtin.example.unwrap_or_else(|| json!({})));
    }
    let et = app.store.get_event_type(name).await?.ok_or_else(|| {
        Error::validation(
            field,
            format!("{name:?} is not in the event type catalogue"),
        )
    })?;
    Ok(et.example.unwrap_or_else(|| json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What receivers get, byte for byte (they may have stored or signed bodies by them): the
    /// keys sorted, compact, the timestamp in milliseconds.
    #[test]
    fn the_envelope_keeps_its_bytes() {
        let mut ev: Event = serde_json::from_value(json!({
            "id": "evt_1", "tenant_id": "t1", "type": "invoice.paid", "account_id": null,
            "data": {"z": 1, "a": [true, null, "é\""]},
            "created_at": "2026-12-04T17:00:00.123456Z", "deliveries": 1,
            "expires_at": "2026-12-05T17:00:00Z",
        }))
        .unwrap();
        assert_eq!(
            envelope(&ev),
            r#"{"data":{"a":[true,null,"é\""],"z":1},"id":"evt_1","timestamp":"2026-12-04T17:00:00.123Z","type":"invoice.paid"}"#
        );
        ev.account_id = Some("acct_9".into());
        assert_eq!(
            envelope(&ev),
            r#"{"account_id":"acct_9","data":{"a":[true,null,"é\""],"z":1},"id":"evt_1","timestamp":"2026-12-04T17:00:00.123Z","type":"invoice.paid"}"#
        );
    }
}
