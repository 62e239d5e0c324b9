//! `/v1/webhooks/{id}/deliveries`: the delivery log of a webhook, newest first, with attempts.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::webhooks::load;
use super::{ApiQuery, ListOut, page_limit};
use crate::auth::Principal;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::{Attempt, Delivery, DeliveryStatus, Scope, Timestamp};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/webhooks/{id}/deliveries", get(list))
        .route("/v1/webhooks/{id}/deliveries/{delivery_id}", get(read))
}

#[derive(Debug, Serialize)]
pub struct DeliveryOut {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: usize,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<u16>,
    pub cancel_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<Attempt>>,
}

impl DeliveryOut {
    pub fn summary(d: &Delivery) -> Self {
        DeliveryOut {
            id: d.id.clone(),
            webhook_id: d.webhook_id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            status: d.status,
            attempt_count: d.attempts.len(),
            created_at: d.created_at,
            updated_at: d.updated_at,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.attempts.last().and_then(|a| a.status_code),
            cancel_reason: d.cancel_reason.clone(),
            attempts: None,
        }
    }

    pub fn full(d: &Delivery) -> Self {
        DeliveryOut {
            attempts: Some(d.attempts.clone()),
            ..Self::summary(d)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListDeliveriesIn {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub status: Option<String>,
    pub event_type: Option<String>,
}

async fn list(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListDeliveriesIn>,
) -> Result<Json<ListOut<DeliveryOut>>> {
    p.require(Scope::WebhooksRead)?;
    let limit = page_limit(q.limit)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            Error::BadRequest("status must be pending, succeeded, failed or cancelled".into())
        })?),
    };
    load(&app, &p, &id).await?;
    let now = Utc::now();
    let keep = |d: &Delivery| {
        d.expires_at > now && q.event_type.as_ref().is_none_or(|t| &d.event_type == t)
    };
    let mut out = Vec::new();
    let mut cursor = q.cursor.clone();
    loop {
        let page = app
            .store
            .list_deliveries(&p.tenant_id, &id, status, cursor.as_deref(), limit + 1)
            .await?;
        out.extend(page.items.into_iter().filter(|d| keep(d)));
        if out.len() > limit || page.next.is_none() {
            break;
        }
        cursor = page.next;
    }
    let next = if out.len() > limit {
        out.truncate(limit);
        out.last().map(crate::store::sqlite::delivery_cursor)
    } else {
        None
    };
    Ok(Json(ListOut::new(
        out.iter().map(DeliveryOut::summary).collect(),
        next,
    )))
}

async fn read(
    State(app): State<Hookline>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryOut>> {
    p.require(Scope::WebhooksRead)?;
    let d = app
        .store
        .get_delivery(&p.tenant_id, &delivery_id)
        .await?
        .filter(|d| d.webhook_id == id && d.expires_at > Utc::now())
        .ok_or_else(|| Error::NotFound("delivery".into()))?;
    Ok(Json(DeliveryOut::full(&d)))
}
