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
use crate::error::{Error, Result};
use crate::model::EventType;
use crate::validation;

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

/// The example is a JSON object within 64 KiB that satisfies the schema, if there is one.
fn check_example(example: &Option<Value>, schema: &Option<Value>) -> Result<()> {
    if let (Some(e), Some(s)) = (example, schema) {
        check_example(example, &None)?;
        return crate::schema::validate("example", s, e);
    }
    match example {
        Some(v) if !v.is_object() => Err(Error::validation(
            "example",
            "must be a JSON object (the event's data)",
        )),
        Some(v) if v.to_string().len() > 64 * 1024 => {
            Err(Error::validation("example", "must be at most 64 KiB"))
        }
        _ => Ok(()),
    }
}

#[utoipa::path(get, path = "/v1/event-types", tag = "event types",
    responses((status = 200, description = "The catalogue", body = ListOut<EventTypeOut>)))]
async fn list(
    State(app): State<Hookline>,
    _p: Auth<scope::Any>,
) -> Result<Json<ListOut<EventTypeOut>>> {
    let all = crate::publish::catalogue(&app).await?;
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
    let et = app
        .store
        .get_event_type(&name)
        .await?
        .ok_or(Error::NotFound("event type"))?;
    Ok(Json(et.into()))
}

#[utoipa::path(post, path = "/v1/event-types", tag = "event types", request_body = EventTypeIn,
    responses((status = 201, description = "Added to the catalogue (admin)", body = EventTypeOut)))]
async fn create(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiJson(input): ApiJson<EventTypeIn>,
) -> Result<impl IntoResponse> {
    Error::all([
        validation::event_type_name("name", &input.name),
        validation::description(input.description.as_deref()),
        input
            .schema
            .as_ref()
            .map_or(Ok(()), |s| crate::schema::check("schema", s)),
    ])?;
    check_example(&input.example, &input.schema)?;
    let now = app.clock.now();
    let et = EventType {
        name: input.name,
        description: input.description,
        example: input.example,
        schema: input.schema,
        created_at: now,
        updated_at: now,
    };
    app.store.create_event_type(&et).await?;
    app.caches.catalogue.invalidate(&());
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
    let mut et = app
        .store
        .get_event_type(&name)
        .await?
        .ok_or(Error::NotFound("event type"))?;
    let mut description = et.description.take();
    let mut example = et.example.take();
    let mut schema = et.schema.take();
    match input.schema {
        Patch::Absent => {}
        Patch::Null => schema = None,
        Patch::Value(s) => {
            crate::schema::check("schema", &s)?;
            schema = Some(s);
        }
    }
    match input.description {
        Patch::Absent => {}
        Patch::Null => description = None,
        Patch::Value(d) => description = (!d.is_empty()).then_some(d),
    }
    match input.example {
        Patch::Absent => {}
        Patch::Null => example = None,
        Patch::Value(e) => example = Some(e),
    }
    validation::description(description.as_deref())?;
    check_example(&example, &schema)?;
    et.description = description;
    et.example = example;
    et.schema = schema;
    et.updated_at = app.clock.now();
    app.store.update_event_type(&et).await?;
    app.caches.catalogue.invalidate(&());
    Ok(Json(et.into()))
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
    if app.store.get_event_type(&name).await?.is_none() {
        return Err(Error::NotFound("event type"));
    }
    let subscribed = crate::service::webhooks::subscribed_to(&app, &name).await?;
    if !subscribed.is_empty() && !q.force.unwrap_or(false) {
        let ids: Vec<String> = subscribed.iter().map(|w| w.id.to_string()).collect();
        return Err(Error::Conflict {
            code: "event_type_in_use",
            message: format!(
                "{} webhook(s) subscribe to {name}: {}; unsubscribe them, or delete with \
                 ?force=true to unsubscribe them",
                ids.len(),
                ids.join(", ")
            ),
        });
    }
    // Unsubscribed first: a delete that fails midway leaves the type, and running it again
    // finishes the job.
    for w in &subscribed {
        crate::service::webhooks::unsubscribe(&app, w, &name).await?;
    }
    let deleted = app.store.delete_event_type(&name).await?;
    app.caches.catalogue.invalidate(&());
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound("event type"))
    }
}
