//! `/v1/events`: publish (fan-out to matching webhooks) and read an event with its deliveries.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::deliveries::DeliveryOut;
use super::{ApiJson, ApiPath};
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::EventId;
use crate::service::publish::{self, EventIn};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/events", post(create))
        .route("/v1/events/batch", post(create_batch))
        .route("/v1/events/{id}", get(read))
}

#[utoipa::path(post, path = "/v1/events", tag = "events", request_body = crate::service::publish::EventIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters. The event's id when `id` is not given, so publishing with the same key never makes a second event; within 24 hours a repeat of the same request gets the first answer again (`Idempotent-Replayed: true`), and the same key with another body is refused (422 `idempotency_key_mismatch`)")),
    responses((status = 202, description = "Accepted: the event id and how many deliveries it made (`replayed` when already published)", body = crate::service::events::PublishOut)))]
async fn create(
    State(app): State<Hookline>,
    p: Auth<scope::Publish>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EventIn>,
) -> Result<impl IntoResponse> {
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| Error::validation("Idempotency-Key", "must be visible ASCII"))?,
        ),
        None => None,
    };
    let out = publish::publish(&app, &p.tenant, input, key).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// The most events one batch may carry.
pub const MAX_BATCH: usize = 100;

/// `POST /v1/events/batch` body: up to 100 events, each as `POST /v1/events` takes it.
#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": [
    {"id": "evt_order_1", "type": "order.paid", "data": {"order": 1}},
    {"id": "evt_order_2", "type": "order.paid", "data": {"order": 2}}
]}))]
pub struct EventBatchIn {
    pub events: Vec<EventIn>,
}

/// One result per event, in the order sent.
#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct EventBatchOut {
    pub data: Vec<EventResultOut>,
}

/// What became of one event of a batch: published (the fields `POST /v1/events` answers), or
/// why not (`error`, the object of an error answer; that event changed nothing).
#[derive(utoipa::ToSchema, Debug, Default, Serialize, Deserialize)]
pub struct EventResultOut {
    /// Its position in the batch, from 0.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<EventId>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::api::openapi::ErrorDetail>)]
    pub error: Option<Value>,
}

impl EventResultOut {
    fn of(index: usize, result: Result<crate::service::events::PublishOut>) -> Self {
        match result {
            Ok(out) => EventResultOut {
                index,
                id: Some(out.id),
                event_type: Some(out.event_type),
                deliveries: Some(out.deliveries),
                created_at: Some(out.created_at),
                replayed: Some(out.replayed),
                error: None,
            },
            Err(e) => EventResultOut {
                index,
                error: Some(e.body()),
                ..Default::default()
            },
        }
    }
}

#[utoipa::path(post, path = "/v1/events/batch", tag = "events", request_body = EventBatchIn,
    responses((status = 202, description = "Each event published or refused on its own, idempotent per event id; one result per event, in order", body = EventBatchOut)))]
async fn create_batch(
    State(app): State<Hookline>,
    p: Auth<scope::Publish>,
    ApiJson(input): ApiJson<EventBatchIn>,
) -> Result<impl IntoResponse> {
    if input.events.is_empty() || input.events.len() > MAX_BATCH {
        return Err(Error::validation(
            "events",
            format!("must hold 1 to {MAX_BATCH} events"),
        ));
    }
    // Each on its own (one event's failure changes nothing of the others), their messages
    // sent together.
    let results = publish::publish_many(&app, &p.tenant, input.events)
        .await
        .into_iter()
        .enumerate()
        .map(|(index, r)| EventResultOut::of(index, r))
        .collect();
    Ok((StatusCode::ACCEPTED, Json(EventBatchOut { data: results })))
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct EventOut {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub account_id: Option<String>,
    pub data: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deliveries: Vec<DeliveryOut>,
    /// `live` or `test`.
    #[serde(default)]
    pub account_type: crate::model::Mode,
    /// When the event and its deliveries are deleted (the tenant's `retention_days`).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(get, path = "/v1/events/{id}", tag = "events", params(("id" = EventId, Path, description = "The event")),
    responses((status = 200, description = "The event with its deliveries", body = EventOut)))]
async fn read(
    State(app): State<Hookline>,
    p: Auth<scope::Read>,
    ApiPath(id): ApiPath<EventId>,
) -> Result<Json<EventOut>> {
    let (ev, deliveries) = crate::service::events::read(&app, &p.actor(), &id).await?;
    Ok(Json(EventOut {
        id: ev.id,
        event_type: ev.event_type,
        account_id: ev.account_id,
        data: ev.data,
        created_at: ev.created_at,
        account_type: ev.tenant_id.mode(),
        expires_at: ev.expires_at,
        deliveries: deliveries.iter().map(DeliveryOut::summary).collect(),
    }))
}
