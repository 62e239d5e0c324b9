//! `/v1/webhooks/{id}/deliveries`: the delivery log of a webhook, newest first, with attempts;
//! manual retry and recover.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::resource::{DeliveryPath, OnWebhook};
use super::{ApiJson, ApiPath, ApiQuery, ListOut, page_limit, parse_cursor};
use crate::auth::scope;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, EventId, RetryId, WebhookId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::service::deliveries as service;
use crate::service::deliveries::DeliveryCursor;

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

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct DeliveryOut {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: usize,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_status_code: Option<u16>,
    pub cancel_reason: Option<String>,
    /// Why the next attempt waits without a request (the endpoint's circuit breaker is open).
    #[serde(default)]
    pub deferred_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<Attempt>>,
    /// When the record is deleted (the tenant's `retention_days` after the event).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl DeliveryOut {
    pub fn summary(d: &Delivery) -> Self {
        DeliveryOut {
            id: d.id.clone(),
            webhook_id: d.webhook_id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            status: d.status,
            attempt_count: d.attempt_count(),
            created_at: d.created_at,
            updated_at: d.updated_at,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.attempts.last().and_then(|a| a.status_code),
            cancel_reason: d.cancel_reason.clone(),
            deferred_reason: d.deferred_reason.clone(),
            attempts: None,
            expires_at: d.expires_at,
        }
    }

    /// With every attempt: those stored apart (`archived`, oldest first), then the inline ones.
    pub fn full(d: &Delivery, archived: Vec<crate::model::ArchivedAttempt>) -> Self {
        // An archived copy of an attempt still inline (a write interrupted between the two)
        // is shown once.
        let inline_from = d.attempt_count() - d.attempts.len() + 1;
        let mut attempts: Vec<Attempt> = archived
            .into_iter()
            .filter(|a| a.number < inline_from)
            .map(|a| a.attempt)
            .collect();
        attempts.extend(d.attempts.iter().cloned());
        DeliveryOut {
            attempts: Some(attempts),
            ..Self::summary(d)
        }
    }
}

/// A parameter not listed here is a 400 that names it, not silently ignored.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveriesIn {
    /// Admin keys only: the tenant to act on.
    #[allow(dead_code)]
    tenant_id: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub status: Option<String>,
    pub event_type: Option<String>,
    /// Only deliveries created at or after this time (RFC 3339).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only deliveries created at or before this time (RFC 3339).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "deliveries", params(("id" = WebhookId, Path, description = "The webhook"), ListDeliveriesIn),
    responses((status = 200, description = "A page of the delivery log, newest first", body = ListOut<DeliveryOut>)))]
async fn list(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Read>,
    ApiQuery(q): ApiQuery<ListDeliveriesIn>,
) -> Result<Json<ListOut<DeliveryOut>>> {
    let limit = page_limit(q.limit)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            Error::BadRequest("status must be pending, succeeded, failed or cancelled".into())
        })?),
    };
    let start = parse_cursor(q.cursor.as_deref(), DeliveryCursor::decode)?;
    let filter = service::LogFilter {
        status,
        event_type: q.event_type.as_deref(),
        since: q.since,
        until: q.until,
    };
    let page = service::list(&app, &w.tenant, &w.id, &filter, limit, start).await?;
    Ok(Json(ListOut::new(
        page.items.iter().map(DeliveryOut::summary).collect(),
        page.next.map(|c| c.encode()),
    )))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "deliveries", params(("id" = WebhookId, Path, description = "The webhook"), ("delivery_id" = DeliveryId, Path, description = "The delivery")),
    responses((status = 200, description = "One delivery with every attempt", body = DeliveryOut)))]
async fn read(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Read>,
    ApiPath(DeliveryPath { delivery_id }): ApiPath<DeliveryPath>,
) -> Result<Json<DeliveryOut>> {
    let (d, archived) = service::load_with_attempts(&app, &w.tenant, &w.id, &delivery_id).await?;
    Ok(Json(DeliveryOut::full(&d, archived)))
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct RetryOut {
    pub delivery_id: DeliveryId,
    pub retry_id: RetryId,
    pub status: String,
}

#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "deliveries", params(("id" = WebhookId, Path, description = "The webhook"), ("delivery_id" = DeliveryId, Path, description = "The delivery")),
    responses((status = 202, description = "A manual attempt queued (sent even through an open breaker)", body = RetryOut)))]
async fn retry(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Retry>,
    ApiPath(DeliveryPath { delivery_id }): ApiPath<DeliveryPath>,
) -> Result<impl IntoResponse> {
    let (d, retry_id) = service::retry(&app, &w.tenant, &w.id, &delivery_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RetryOut {
            delivery_id: d.id,
            retry_id,
            status: "queued".into(),
        }),
    ))
}

#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"since": "2026-11-24T00:00:00Z"}))]
pub struct RecoverIn {
    pub since: chrono::DateTime<chrono::Utc>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct RecoverOut {
    pub queued: usize,
    pub since: chrono::DateTime<chrono::Utc>,
    pub until: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(post, path = "/v1/webhooks/{id}/recover", tag = "deliveries", params(("id" = WebhookId, Path, description = "The webhook")), request_body = RecoverIn,
    responses((status = 202, description = "Failed deliveries since `since` queued again", body = RecoverOut)))]
async fn recover(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Retry>,
    ApiJson(input): ApiJson<RecoverIn>,
) -> Result<impl IntoResponse> {
    let until = input.until.unwrap_or_else(|| app.clock.now());
    let queued = service::recover(&app, &w.tenant, &w.id, input.since, until).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RecoverOut {
            queued,
            since: input.since,
            until,
        }),
    ))
}
