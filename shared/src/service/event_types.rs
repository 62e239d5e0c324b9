//! The event type catalogue: operators add, change and remove types; a type's example and
//! schema are checked together; removing a type others subscribe to by name unsubscribes them
//! first (or is refused without `force`). Every change invalidates the process's catalogue cache.

use serde_json::Value;

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::operational;
use crate::model::{EventType, Webhook};
use crate::patch::Patch;
use crate::validation;

/// A new catalogue entry, as the caller chose it.
#[derive(Debug, Clone)]
pub struct NewEventType {
    pub name: String,
    pub description: Option<String>,
    pub example: Option<Value>,
    pub schema: Option<Value>,
}

/// A change to an entry: absent fields stay, `null` clears.
#[derive(Debug, Clone, Default)]
pub struct EventTypeChange {
    pub description: Patch<String>,
    pub example: Patch<Value>,
    pub schema: Patch<Value>,
}

/// The whole catalogue (cached per process): the operator's entries, then the built-in
/// operational types (`hookline.*`).
pub async fn list(app: &Hookline) -> Result<Vec<EventType>> {
    let mut all = Vec::clone(&*crate::service::events::catalogue(app).await?);
    all.extend(operational::builtin_types());
    Ok(all)
}

/// One entry; 404 when the catalogue has none by that name.
pub async fn get(app: &Hookline, name: &str) -> Result<EventType> {
    if let Some(builtin) = operational::builtin_type(name) {
        return Ok(builtin);
    }
    app.store
        .get_event_type(name)
        .await?
        .ok_or(Error::NotFound("event type"))
}

/// The operator's own entry `name`: a built-in one cannot be changed (409).
async fn own(app: &Hookline, name: &str) -> Result<EventType> {
    if operational::is_reserved(name) {
        return Err(Error::Conflict {
            code: "event_type_built_in",
            message: format!("{name} is a built-in operational event type; it cannot be changed"),
        });
    }
    get(app, name).await
}

/// Adds an entry; every invalid field is reported at once.
pub async fn create(app: &Hookline, input: NewEventType) -> Result<EventType> {
    Error::all([
        validation::own_event_type("name", &input.name),
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
    Ok(et)
}

/// Changes an entry; the example is checked against the schema as they will be stored.
pub async fn update(app: &Hookline, name: &str, change: EventTypeChange) -> Result<EventType> {
    let mut et = own(app, name).await?;
    let mut description = et.description.take();
    let mut example = et.example.take();
    let mut schema = et.schema.take();
    if let Patch::Value(s) = &change.schema {
        crate::schema::check("schema", s)?;
    }
    change.schema.apply_to_option(&mut schema);
    change
        .description
        .map(|d| (!d.is_empty()).then_some(d))
        .apply_to(&mut description, || Ok(None))?;
    change.example.apply_to_option(&mut example);
    validation::description(description.as_deref())?;
    check_example(&example, &schema)?;
    et.description = description;
    et.example = example;
    et.schema = schema;
    et.updated_at = app.clock.now();
    app.store.update_event_type(&et).await?;
    app.caches.catalogue.invalidate(&());
    Ok(et)
}

/// Removes an entry. Webhooks that name it in their filter are a 409 that lists them, unless
/// `force`: then they are unsubscribed from it first (one left with no type is paused, not
/// widened to every event), so that a delete that fails midway can simply be run again.
pub async fn delete(app: &Hookline, name: &str, force: bool) -> Result<()> {
    own(app, name).await?;
    let subscribed = subscribed_to(app, name).await?;
    if !subscribed.is_empty() && !force {
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
    for w in &subscribed {
        unsubscribe(app, w, name).await?;
    }
    let deleted = app.store.delete_event_type(name).await?;
    app.caches.catalogue.invalidate(&());
    if deleted {
        Ok(())
    } else {
        Err(Error::NotFound("event type"))
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
        Some(v) if crate::model::json_len(v) > 64 * 1024 => {
            Err(Error::validation("example", "must be at most 64 KiB"))
        }
        _ => Ok(()),
    }
}

/// Every tenant's webhooks that name `event_type` in their filter (not through a wildcard).
async fn subscribed_to(app: &Hookline, event_type: &str) -> Result<Vec<Webhook>> {
    let mut all = crate::service::events::read_all_webhooks(app, None).await?;
    all.retain(|w| w.events.iter().any(|e| e == event_type));
    Ok(all)
}

/// Removes `event_type` from a webhook's filter; one left with none is paused, not widened to
/// every event (an empty filter means all).
async fn unsubscribe(app: &Hookline, w: &Webhook, event_type: &str) -> Result<Webhook> {
    let now = app.clock.now();
    crate::service::webhooks::update_with(app, &w.tenant_id, &w.id, |w| {
        w.events.retain(|e| e != event_type);
        if w.events.is_empty() {
            w.events = vec![event_type.to_string()];
            if w.enabled {
                w.enabled = false;
                w.disabled_reason = Some(format!(
                    "its only event type, {event_type}, was deleted from the catalogue"
                ));
                w.disabled_at = Some(now);
            }
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every publish reads the catalogue: it is shared while cached, not copied (a catalogue
    /// of forty types with schemas took 0.2 ms to copy and drop), and a change is read at once.
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn the_cached_catalogue_is_shared_not_copied() {
        let app = Hookline::with_sqlite(
            crate::config::Config::default(),
            crate::store::sqlite::SqliteDb::in_memory().unwrap(),
        );
        let new = |name: &str| NewEventType {
            name: name.into(),
            description: None,
            example: None,
            schema: Some(json!({"type": "object"})),
        };
        create(&app, new("a.one")).await.unwrap();
        let (first, again) = (
            crate::service::events::catalogue(&app).await.unwrap(),
            crate::service::events::catalogue(&app).await.unwrap(),
        );
        assert!(
            std::sync::Arc::ptr_eq(&first, &again),
            "one copy while cached"
        );
        create(&app, new("a.two")).await.unwrap();
        let names: Vec<String> = crate::service::events::catalogue(&app)
            .await
            .unwrap()
            .iter()
            .map(|t| t.name.clone())
            .collect();
        assert_eq!(names, ["a.one", "a.two"]);
    }
}
