//! Publishing (`POST /v1/events`, `/v1/events/batch`): checks an event against the catalogue
//! and its JSON Schema, finds the tenant's matching webhooks and fans out through
//! [`super::events`]. API-side only: the delivery function never publishes, so it links no
//! JSON Schema validator.

use serde::Deserialize;
use serde_json::Value;

use super::events::{
    Plan, PublishOut, all_webhooks, catalogue, check_names, new_event, planned, record,
};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{EVENT_BLOCK, EventId, TenantId};
use crate::model::{Envelope, Webhook};
use crate::queue::DeliveryTask;
use crate::validation;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "api", schema(example = json!({"id": "evt_order_1", "type": "order.paid", "data": {"order": 7}})))]
pub struct EventIn {
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: Value,
    pub id: Option<String>,
    pub account_id: Option<String>,
}

pub async fn publish(
    app: &Hookline,
    tenant: &TenantId,
    input: EventIn,
    idempotency_key: Option<&str>,
) -> Result<PublishOut> {
    match prepare(app, tenant, input, idempotency_key, None).await? {
        Prepared::Replayed(out) => Ok(out),
        Prepared::Ready(plan) => record(app, vec![*plan]).await.remove(0),
    }
}

/// Publishes several events of `tenant` (the batch endpoint): each is checked and answered on
/// its own, in order, and their messages go to the queue together, ten per call.
pub async fn publish_many(
    app: &Hookline,
    tenant: &TenantId,
    inputs: Vec<EventIn>,
) -> Vec<Result<PublishOut>> {
    // The events that need an id get them in blocks (see `EventId::block`): a store may keep
    // a block's events together (on DynamoDB, several to a write unit).
    let unnamed = inputs.iter().filter(|i| i.id.is_none()).count();
    let mut fresh = (0..unnamed.div_ceil(EVENT_BLOCK))
        .flat_map(|b| EventId::block(EVENT_BLOCK.min(unnamed - b * EVENT_BLOCK)))
        .collect::<Vec<_>>()
        .into_iter();
    let prepared = futures::future::join_all(inputs.into_iter().map(|i| {
        let id = if i.id.is_none() { fresh.next() } else { None };
        prepare(app, tenant, i, None, id)
    }))
    .await;
    // The plans move out to be recorded (a plan holds the event's data: no copy of it); each
    // place keeps what answers it, or `None` for the next recorded result.
    let mut plans: Vec<Plan> = Vec::with_capacity(prepared.len());
    let answers: Vec<Option<Result<PublishOut>>> = prepared
        .into_iter()
        .map(|p| match p {
            Ok(Prepared::Replayed(out)) => Some(Ok(out)),
            Ok(Prepared::Ready(plan)) => {
                plans.push(*plan);
                None
            }
            Err(e) => Some(Err(e)),
        })
        .collect();
    let mut recorded = record(app, plans).await.into_iter();
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| recorded.next().expect("one result per plan")))
        .collect()
}

/// A publish checked and planned, or answered already (a replay).
pub enum Prepared {
    Replayed(PublishOut),
    Ready(Box<Plan>),
}

/// Checks a publish and plans its deliveries (to the tenant's matching webhooks). `fresh` is
/// the id made for it beforehand (one of a block), if the publisher gives none.
pub async fn prepare(
    app: &Hookline,
    tenant: &TenantId,
    input: EventIn,
    idempotency_key: Option<&str>,
    fresh: Option<EventId>,
) -> Result<Prepared> {
    // Every invalid field is reported, not only the first.
    Error::all([
        validation::own_event_type("type", &input.event_type),
        match input.data.is_object() {
            true => Ok(()),
            false => Err(Error::validation("data", "must be a JSON object")),
        },
        input
            .account_id
            .as_deref()
            .map_or(Ok(()), |a| validation::identifier("account_id", a)),
    ])?;
    if crate::model::json_len(&input.data) > app.config.max_payload_bytes {
        return Err(Error::PayloadTooLarge {
            what: "the event's data",
            limit: app.config.max_payload_bytes,
        });
    }
    let (id, chosen) = match (&input.id, idempotency_key) {
        (Some(id), _) => (EventId::field("id", id)?, true),
        (None, Some(k)) => {
            validation::identifier("Idempotency-Key", k)?;
            (EventId::for_idempotency_key(k)?, true)
        }
        (None, None) => (fresh.clone().unwrap_or_else(EventId::generate), false),
    };
    let in_block = input.id.is_none() && idempotency_key.is_none() && fresh.is_some();
    // Only an id the publisher chose can have been published before: a new one costs no read.
    if chosen
        && let Some(existing) = app.store.get_event(tenant, &id).await?
        && crate::model::is_live(existing.expires_at, app.clock.now())
    {
        return Ok(Prepared::Replayed(PublishOut::of(&existing, true)));
    }
    // Unknown to the catalogue: 422; a failure to read the catalogue stays a backend error.
    let catalogue = catalogue(app).await?;
    check_names(&catalogue, "type", std::slice::from_ref(&input.event_type))?;
    // A type with a schema: `data` must satisfy it (every failing path listed).
    if let Some(schema) = catalogue
        .iter()
        .find(|t| t.name == input.event_type)
        .and_then(|t| t.schema.as_ref())
    {
        crate::schema::validate("data", schema, &input.data)?;
    }
    let matching: Vec<Webhook> = all_webhooks(app, tenant)
        .await?
        .iter()
        .filter(|w| {
            w.accepts(&Envelope {
                id: id.as_str(),
                event_type: &input.event_type,
                account_id: input.account_id.as_deref(),
                data: &input.data,
            })
        })
        .cloned()
        .collect();
    let event = new_event(
        app,
        tenant,
        id,
        input.event_type,
        input.account_id,
        input.data,
    )
    .await?;
    let mut plan = planned(event, &matching, DeliveryTask::Scheduled);
    plan.published = true;
    plan.in_block = in_block;
    Ok(Prepared::Ready(Box::new(plan)))
}
