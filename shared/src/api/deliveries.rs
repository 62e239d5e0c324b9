//! `/v1/webhooks/{id}/deliveries`: the delivery log of a webhook, newest first, with attempts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::webhooks::{load, load_sendable};
use super::{ApiJson, ApiQuery, ListOut, filtered_page, page_limit};
use crate::auth::Principal;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::{Attempt, Delivery, DeliveryStatus, Scope, Timestamp, is_live};
use crate::queue::DeliveryTask;

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/webhooks/{id}/deliveries", get(list))
        .route("/v1/webhooks/{id}/deliveries/{delivery_id}", get(read))
        .route(
            "/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
            post(retry),
        )
        .route("/v1/webhooks/{id}/recover", post(recover))
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
        is_live(d.expires_at, now) && q.event_type.as_ref().is_none_or(|t| &d.event_type == t)
    };
    let page = filtered_page(
        limit,
        q.cursor.clone(),
        |cursor, n| {
            let (app, p, id) = (&app, &p, &id);
            async move {
                app.store
                    .list_deliveries(&p.tenant_id, id, status, cursor.as_deref(), n)
                    .await
            }
        },
        keep,
        crate::store::delivery_cursor,
    )
    .await?;
    Ok(Json(ListOut::new(
        page.items.iter().map(DeliveryOut::summary).collect(),
        page.next,
    )))
}

async fn read(
    State(app): State<Hookline>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryOut>> {
    p.require(Scope::WebhooksRead)?;
    let d = load_delivery(&app, &p, &id, &delivery_id, Utc::now()).await?;
    Ok(Json(DeliveryOut::full(&d)))
}

/// A live delivery of the webhook `id`; anything else (another webhook's, expired) is not found.
async fn load_delivery(
    app: &Hookline,
    p: &Principal,
    id: &str,
    delivery_id: &str,
    now: Timestamp,
) -> Result<Delivery> {
    app.store
        .get_delivery(&p.tenant_id, delivery_id)
        .await?
        .filter(|d| d.webhook_id == id && is_live(d.expires_at, now))
        .ok_or_else(|| Error::NotFound("delivery".into()))
}

fn manual_task(d: &Delivery, body: Option<String>, retry_id: &str) -> DeliveryTask {
    DeliveryTask {
        tenant_id: d.tenant_id.clone(),
        delivery_id: d.id.clone(),
        webhook_id: d.webhook_id.clone(),
        event_id: d.event_id.clone(),
        body,
        retry_id: Some(retry_id.to_string()),
    }
}

#[derive(Debug, Serialize)]
pub struct RetryOut {
    pub delivery_id: String,
    pub retry_id: String,
    pub status: &'static str,
}

/// Sends a delivery again now, as one manual attempt; the automatic schedule is not reopened.
async fn retry(
    State(app): State<Hookline>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<impl IntoResponse> {
    p.require(Scope::WebhooksWrite)?;
    load_sendable(&app, &p, &id).await?;
    let now = Utc::now();
    let d = load_delivery(&app, &p, &id, &delivery_id, now).await?;
    let event = app
        .store
        .get_event(&p.tenant_id, &d.event_id)
        .await?
        .filter(|e| is_live(e.expires_at, now))
        .ok_or_else(|| Error::NotFound("event of this delivery".into()))?;
    let retry_id = crate::ids::new_id("rty");
    app.queue
        .send(&[manual_task(
            &d,
            Some(crate::publish::envelope(&event)),
            &retry_id,
        )])
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RetryOut {
            delivery_id: d.id,
            retry_id,
            status: "queued",
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverIn {
    pub since: Timestamp,
    pub until: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
pub struct RecoverOut {
    pub queued: usize,
    pub since: Timestamp,
    pub until: Timestamp,
}

/// Re-queues every failed delivery of the webhook created in `[since, until)`, each as one
/// manual attempt.
async fn recover(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RecoverIn>,
) -> Result<impl IntoResponse> {
    p.require(Scope::WebhooksWrite)?;
    let now = Utc::now();
    let until = input.until.unwrap_or(now);
    if until <= input.since {
        return Err(Error::validation("until", "must be after since"));
    }
    load_sendable(&app, &p, &id).await?;
    let retry_id = crate::ids::new_id("rcv");
    let mut queued = 0;
    let mut cursor: Option<String> = None;
    'pages: loop {
        let page = app
            .store
            .list_deliveries(
                &p.tenant_id,
                &id,
                Some(DeliveryStatus::Failed),
                cursor.as_deref(),
                crate::api::MAX_LIMIT,
            )
            .await?;
        let mut tasks = Vec::new();
        let mut done = false;
        for d in &page.items {
            if d.created_at < input.since {
                done = true;
                break;
            }
            if d.created_at < until && is_live(d.expires_at, now) {
                tasks.push(manual_task(d, None, &retry_id));
            }
        }
        app.queue.send(&tasks).await?;
        queued += tasks.len();
        match page.next {
            Some(n) if !done => cursor = Some(n),
            _ => break 'pages,
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RecoverOut {
            queued,
            since: input.since,
            until,
        }),
    ))
}
