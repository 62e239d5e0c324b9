//! The event type catalogue on SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be, to_doc};
use crate::model::EventType;
use crate::store::{CatalogueStore, Entity, StoreError, StoreResult};

#[async_trait]
impl CatalogueStore for SqliteDb {
    async fn create_event_type(&self, et: &EventType) -> StoreResult<()> {
        let (name, doc) = (et.name.clone(), to_doc(et)?);
        self.with(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO event_types (name, doc) VALUES (?1, ?2)",
                    params![name, doc],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(StoreError::Duplicate(Entity::EventType));
            }
            Ok(())
        })
        .await
    }

    async fn update_event_type(&self, et: &EventType) -> StoreResult<()> {
        let (name, doc) = (et.name.clone(), to_doc(et)?);
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE event_types SET doc = ?2 WHERE name = ?1",
                    params![name, doc],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(StoreError::NotFound(Entity::EventType));
            }
            Ok(())
        })
        .await
    }

    async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>> {
        self.get_doc(
            "SELECT doc FROM event_types WHERE name = ?1",
            vec![name.to_string()],
        )
        .await
    }

    async fn list_event_types(&self) -> StoreResult<Vec<EventType>> {
        self.get_docs("SELECT doc FROM event_types ORDER BY name", [])
            .await
    }

    async fn delete_event_type(&self, name: &str) -> StoreResult<bool> {
        let n = name.to_string();
        self.with(move |c| {
            Ok(c.execute("DELETE FROM event_types WHERE name = ?1", [n])
                .map_err(be)?
                == 1)
        })
        .await
    }
}
