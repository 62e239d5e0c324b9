//! The embedded backend: store and queue in one SQLite database. It is the default of
//! `hookline serve`, so Hookline runs on a fresh machine with nothing but the Rust toolchain.
//!
//! One file per concern: [`keys`], [`webhooks`], [`catalogue`], [`events`] (events and
//! deliveries), [`stats`] (counters and retention); the queue is in `crate::queue::sqlite`; the
//! schema is `schema.sql`.

mod catalogue;
mod events;
mod keys;
mod stats;
mod webhooks;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{StoreError, StoreResult};
use crate::clock::{Clock, SystemClock};

const SCHEMA: &str = include_str!("schema.sql");

/// One SQLite database holding every table and the delivery queue.
#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
    /// The queue's visibility times follow this clock (tests move it instead of sleeping).
    pub(crate) clock: Arc<dyn Clock>,
    /// The embedded queue's schedule (see `crate::queue::schedule`), guarded with the
    /// connection: always locked after it.
    pub(crate) schedule: Arc<Mutex<crate::queue::schedule::Schedule>>,
    /// Messages of one group (webhook) in flight at once.
    pub(crate) group_share: usize,
    /// Woken when messages are sent or settled, so an idle consumer need not poll.
    pub(crate) queue_signal: Arc<tokio::sync::Notify>,
}

pub(crate) fn be(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend("sqlite", e)
}

pub(crate) fn to_doc<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(be)
}

pub(crate) fn from_doc<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(be)
}

impl SqliteDb {
    /// Opens (creating if needed) `hookline.db` under `dir`.
    pub fn open(dir: impl AsRef<Path>) -> StoreResult<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| be(format!("creating {}: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("hookline.db")).map_err(be)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(be)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(be)?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(be)?)
    }

    /// The same database on another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How many messages of one group (webhook) the queue hands out before that group waits
    /// for one to settle.
    pub fn with_group_share(mut self, share: usize) -> Self {
        self.group_share = share.max(1);
        self
    }

    fn init(conn: Connection) -> StoreResult<Self> {
        conn.busy_timeout(Duration::from_secs(5)).map_err(be)?;
        conn.execute_batch(SCHEMA).map_err(be)?;
        migrate(&conn)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
            clock: Arc::new(SystemClock),
            schedule: Arc::default(),
            group_share: 8,
            queue_signal: Arc::default(),
        })
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Runs `f` on the connection in a blocking task.
    pub(crate) async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| be("connection lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(be)?
    }

    /// The `doc` of the one row `sql` selects with `args`, if any.
    pub(crate) async fn get_doc<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &'static str,
        args: Vec<String>,
    ) -> StoreResult<Option<T>> {
        self.with(move |c| {
            let doc: Option<String> = c
                .prepare_cached(sql)
                .map_err(be)?
                .query_row(rusqlite::params_from_iter(args), |r| r.get(0))
                .optional()
                .map_err(be)?;
            doc.map(|d| from_doc(&d)).transpose()
        })
        .await
    }

    /// The `doc`s of the rows `sql` selects.
    pub(crate) async fn get_docs<T, P>(&self, sql: &'static str, args: P) -> StoreResult<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
        P: rusqlite::Params + Send + 'static,
    {
        self.with(move |c| docs(c, sql, args)).await
    }
}

/// Columns added after a table was first created (`CREATE TABLE IF NOT EXISTS` leaves an
/// existing table as it was).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("webhooks", "health", "TEXT"),
    ("webhooks", "health_rev", "INTEGER NOT NULL DEFAULT 0"),
    ("queue", "grp", "TEXT NOT NULL DEFAULT ''"),
    ("queue", "in_flight", "INTEGER NOT NULL DEFAULT 0"),
];

fn migrate(conn: &Connection) -> StoreResult<()> {
    for (table, column, decl) in ADDED_COLUMNS {
        let exists: bool = conn
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))
            .map_err(be)?
            .exists([column])
            .map_err(be)?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))
                .map_err(be)?;
        }
    }
    Ok(())
}

/// The `doc`s of the rows `sql` selects, on a connection already held.
pub(crate) fn docs<T: DeserializeOwned>(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(be)?;
    let rows = stmt
        .query_map(args, |r| r.get::<_, String>(0))
        .map_err(be)?;
    rows.map(|r| r.map_err(be).and_then(|s| from_doc(&s)))
        .collect()
}
