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
use crate::model::is_live;
use crate::publish::{self, EventIn};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/events", post(create))
        .route("/v1/events/{id}", get(read))
}

#[utoipa::path(post, path = "/v1/events", tag = "events", request_body = crate::publish::EventIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Publishing the same key again answers the first result")),
    responses((status = 202, description = "Accepted: the event id and how many deliveries it made (`replayed` when already published)", body = crate::publish::PublishOut)))]
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

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct EventOut {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub account_id: Option<String>,
    pub data: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deliveries: Vec<DeliveryOut>,
}

#[utoipa::path(get, path = "/v1/events/{id}", tag = "events", params(("id" = EventId, Path, description = "The event")),
    responses((status = 200, description = "The event with its deliveries", body = EventOut)))]
async fn read(
    State(app): State<Hookline>,
    p: Auth<scope::Read>,
    ApiPath(id): ApiPath<EventId>,
) -> Result<Json<EventOut>> {
    let now = app.clock.now();
    let ev = app
        .store
        .get_event(&p.tenant, &id)
        .await?
        .filter(|e| is_live(e.expires_at, now))
        .ok_or(Error::NotFound("event"))?;
    let deliveries = app.store.event_deliveries(&p.tenant, &id).await?;
    Ok(Json(EventOut {
        id: ev.id,
        event_type: ev.event_type,
        account_id: ev.account_id,
        data: ev.data,
        created_at: ev.created_at,
        deliveries: deliveries
            .iter()
            .filter(|d| is_live(d.expires_at, now))
            .map(DeliveryOut::summary)
            .collect(),
    }))
}
