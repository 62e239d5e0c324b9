//! `POST /v1/webhooks/{id}/filter-check`: would this sample event reach the webhook?

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ApiJson;
use super::resource::OnWebhook;
use crate::auth::scope;
use crate::backend::Hookline;
use crate::error::Result;
use crate::model::Mismatch;
use crate::service::filters::{self as service, Sample};

pub fn routes() -> Router<Hookline> {
    Router::new().route("/v1/webhooks/{id}/filter-check", post(check))
}

/// A sample event, as a publisher would send it.
#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "invoice.paid", "account_id": "acc_1", "data": {"amount": 12000}}))]
pub struct FilterCheckIn {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub account_id: Option<String>,
    #[serde(default)]
    pub data: Value,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
#[schema(example = json!({"matches": false, "field": "filter", "failed": {"path": "data.amount", "condition": {"$gt": 10000}, "reason": "it is 50"}}))]
pub struct FilterCheckOut {
    /// Whether the event would be delivered to this webhook.
    pub matches: bool,
    /// What refused it: `enabled`, `events`, `account_ids` or `filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The condition that failed, where in the event, and what the event has there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub failed: Option<Value>,
}

#[utoipa::path(post, path = "/v1/webhooks/{id}/filter-check", tag = "webhooks", params(("id" = crate::ids::WebhookId, Path, description = "The webhook")), request_body = FilterCheckIn,
    responses((status = 200, description = "Whether the sample would be delivered here, and if not which condition failed", body = FilterCheckOut)))]
async fn check(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Read>,
    ApiJson(input): ApiJson<FilterCheckIn>,
) -> Result<Json<FilterCheckOut>> {
    let sample = Sample {
        id: input.id,
        event_type: input.event_type,
        account_id: input.account_id,
        data: input.data,
    };
    let verdict = service::check(&app, &w.tenant, &w.id, &sample).await?;
    Ok(Json(match verdict {
        None => FilterCheckOut {
            matches: true,
            field: None,
            failed: None,
        },
        Some(v) => FilterCheckOut {
            matches: false,
            field: Some(v.field.to_string()),
            failed: Some(failed(v.mismatch)),
        },
    }))
}

fn failed(m: Mismatch) -> Value {
    serde_json::json!({"path": m.path, "condition": m.condition, "reason": m.reason})
}
