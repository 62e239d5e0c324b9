//! `/v1/event-types`: the operator-managed catalogue. Any key may read it; changes need `admin`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiJson, ListOut};
use crate::auth::Principal;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::{EventType, Scope, Timestamp};
use crate::validation;

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/event-types", get(list).post(create))
        .route(
            "/v1/event-types/{name}",
            get(read).patch(patch).delete(delete),
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTypeIn {
    pub name: String,
    pub description: Option<String>,
    pub example: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTypePatchIn {
    pub description: Option<String>,
    pub example: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct EventTypeOut {
    pub name: String,
    pub description: Option<String>,
    pub example: Option<Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<EventType> for EventTypeOut {
    fn from(e: EventType) -> Self {
        EventTypeOut {
            name: e.name,
            description: e.description,
            example: e.example,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

fn check_example(example: &Option<Value>) -> Result<()> {
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

async fn list(State(app): State<Hookline>, _p: Principal) -> Result<Json<ListOut<EventTypeOut>>> {
    let all = app.store.list_event_types().await?;
    Ok(Json(ListOut::new(
        all.into_iter().map(Into::into).collect(),
        None,
    )))
}

async fn read(
    State(app): State<Hookline>,
    _p: Principal,
    Path(name): Path<String>,
) -> Result<Json<EventTypeOut>> {
    let et = app
        .store
        .get_event_type(&name)
        .await?
        .ok_or_else(|| Error::NotFound("event type".into()))?;
    Ok(Json(et.into()))
}

async fn create(
    State(app): State<Hookline>,
    p: Principal,
    ApiJson(input): ApiJson<EventTypeIn>,
) -> Result<impl IntoResponse> {
    p.require(Scope::Admin)?;
    validation::event_type_name("name", &input.name)?;
    validation::description(input.description.as_deref())?;
    check_example(&input.example)?;
    let now = Utc::now();
    let et = EventType {
        name: input.name,
        description: input.description,
        example: input.example,
        created_at: now,
        updated_at: now,
    };
    app.store.create_event_type(&et).await?;
    Ok((StatusCode::CREATED, Json(EventTypeOut::from(et))))
}

async fn patch(
    State(app): State<Hookline>,
    p: Principal,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<EventTypePatchIn>,
) -> Result<Json<EventTypeOut>> {
    p.require(Scope::Admin)?;
    validation::description(input.description.as_deref())?;
    check_example(&input.example)?;
    let mut et = app
        .store
        .get_event_type(&name)
        .await?
        .ok_or_else(|| Error::NotFound("event type".into()))?;
    if let Some(d) = input.description {
        et.description = (!d.is_empty()).then_some(d);
    }
    if input.example.is_some() {
        et.example = input.example;
    }
    et.updated_at = Utc::now();
    app.store.update_event_type(&et).await?;
    Ok(Json(et.into()))
}

async fn delete(
    State(app): State<Hookline>,
    p: Principal,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    p.require(Scope::Admin)?;
    if app.store.delete_event_type(&name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound("event type".into()))
    }
}
