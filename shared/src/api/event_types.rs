//! `/v1/event-types`: the operator-managed catalogue. Any key may read it; changes need `admin`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiJson, ApiPath, ApiQuery, ListOut, Patch};
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::Result;
use crate::model::EventType;
use crate::service::event_types::{self as service, EventTypeChange, NewEventType};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/event-types", get(list).post(create))
        .route(
            "/v1/event-types/{name}",
            get(read).patch(patch).delete(delete),
        )
}

#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "invoice.paid", "description": "An invoice was paid", "example": {"invoice_id": "inv_1"},
    "schema": {"type": "object", "required": ["invoice_id"], "properties": {"invoice_id": {"type": "string"}}}}))]
pub struct EventTypeIn {
    pub name: String,
    pub description: Option<String>,
    pub example: Option<Value>,
    /// A JSON Schema (draft 2020-12) that every published event's `data` of this type, and
    /// the example, must satisfy; `$ref`s are never fetched.
    #[schema(value_type = Option<Object>)]
    pub schema: Option<Value>,
}

/// `PATCH` body: only the fields present change; `null` clears one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[derive(utoipa::ToSchema, Default)]
pub struct EventTypePatchIn {
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[schema(value_type = Option<Object>)]
    pub example: Patch<Value>,
    #[schema(value_type = Option<Object>)]
    pub schema: Patch<Value>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct EventTypeOut {
    pub name: String,
    pub description: Option<String>,
    pub example: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub schema: Option<Value>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<EventType> for EventTypeOut {
    fn from(e: EventType) -> Self {
        EventTypeOut {
            name: e.name,
            description: e.description,
            example: e.example,
            schema: e.schema,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[utoipa::path(get, path = "/v1/event-types", tag = "event types",
    responses((status = 200, description = "The catalogue", body = ListOut<EventTypeOut>)))]
async fn list(
    State(app): State<Hookline>,
    _p: Auth<scope::Any>,
) -> Result<Json<ListOut<EventTypeOut>>> {
    let all = service::list(&app).await?;
    Ok(Json(ListOut::new(
        all.into_iter().map(Into::into).collect(),
        None,
    )))
}

#[utoipa::path(get, path = "/v1/event-types/{name}", tag = "event types", params(("name" = String, Path, description = "The event type, e.g. invoice.paid")),
    responses((status = 200, description = "One event type", body = EventTypeOut)))]
async fn read(
    State(app): State<Hookline>,
    _p: Auth<scope::Any>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<EventTypeOut>> {
    Ok(Json(service::get(&app, &name).await?.into()))
}

#[utoipa::path(post, path = "/v1/event-types", tag = "event types", request_body = EventTypeIn,
    responses((status = 201, description = "Added to the catalogue (admin)", body = EventTypeOut)))]
async fn create(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiJson(input): ApiJson<EventTypeIn>,
) -> Result<impl IntoResponse> {
    let et = service::create(
        &app,
        NewEventType {
            name: input.name,
            description: input.description,
            example: input.example,
            schema: input.schema,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(EventTypeOut::from(et))))
}

#[utoipa::path(patch, path = "/v1/event-types/{name}", tag = "event types", params(("name" = String, Path, description = "The event type, e.g. invoice.paid")), request_body = EventTypePatchIn,
    responses((status = 200, description = "The event type after the change (admin)", body = EventTypeOut)))]
async fn patch(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<EventTypePatchIn>,
) -> Result<Json<EventTypeOut>> {
    let change = EventTypeChange {
        description: input.description,
        example: input.example,
        schema: input.schema,
    };
    Ok(Json(service::update(&app, &name, change).await?.into()))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteEventTypeIn {
    /// Delete even though webhooks subscribe to it by name: they are unsubscribed from it
    /// (one left with no event type is paused rather than widened to every event).
    pub force: Option<bool>,
    #[allow(dead_code)]
    tenant_id: Option<String>,
}

#[utoipa::path(delete, path = "/v1/event-types/{name}", tag = "event types", params(("name" = String, Path, description = "The event type, e.g. invoice.paid"), DeleteEventTypeIn),
    responses((status = 204, description = "Removed from the catalogue (admin)"),
        (status = 409, description = "Webhooks subscribe to it by name (`event_type_in_use`, the message names them); `?force=true` unsubscribes them", body = crate::api::openapi::ErrorOut)))]
async fn delete(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeleteEventTypeIn>,
) -> Result<StatusCode> {
    service::delete(&app, &name, q.force.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}
