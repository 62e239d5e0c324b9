//! The embedded backend: store and queue in one SQLite database. It is the default of
//! `hookline serve`, so Hookline runs on a fresh machine with nothing but the Rust toolchain.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    CatalogueStore, Counters, EventStore, KeyStore, Retention, StatsStore, WebhookStore,
    cap_reached, delivery_conflict, delivery_cursor, page_of, parse_delivery_cursor,
    version_conflict,
};
use crate::error::{Error, Result};
use crate::model::{ApiKey, Delivery, DeliveryStatus, Event, EventType, Page, Timestamp, Webhook};
use crate::queue::{DeliveryTask, Queue, Received};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant_id, id);
CREATE TABLE IF NOT EXISTS webhooks (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE IF NOT EXISTS event_types (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, expires_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX IF NOT EXISTS events_by_expiry ON events (expires_ms);
CREATE TABLE IF NOT EXISTS deliveries (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, webhook_id TEXT NOT NULL, event_id TEXT NOT NULL,  status TEXT NOT NULL, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, doc TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE INDEX IF NOT EXISTS deliveries_by_expiry ON deliveries (expires_ms);
CREATE TABLE IF NOT EXISTS webhook_stats (
  tenant_id TEXT NOT NULL, webhook_id TEXT NOT NULL, bucket INTEGER NOT NULL, name TEXT NOT NULL,
  value INTEGER NOT NULL, PRIMARY KEY (tenant_id, webhook_id, bucket, name));
CREATE INDEX IF NOT EXISTS deliveries_by_webhook ON deliveries (tenant_id, webhook_id, created_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (tenant_id, event_id);
CREATE TABLE IF NOT EXISTS queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, visible_at_ms INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT);
CREATE INDEX IF NOT EXISTS queue_by_visibility ON queue (visible_at_ms);
"#;

/// One SQLite database holding every table and the delivery queue.
#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
}

fn be(e: impl std::fmt::Display) -> Error {
    Error::backend(format!("sqlite: {e}"))
}

fn to_doc<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(be)
}

fn from_doc<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(be)
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl SqliteDb {
    /// Opens (creating if needed) `hookline.db` under `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        std::fs::create_dir_all(dir.as_ref())
            .map_err(|e| be(format!("creating {}: {e}", dir.as_ref().display())))?;
        let conn = Connection::open(dir.as_ref().join("hookline.db")).map_err(be)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(be)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(be)?;
        Self::init(conn)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(be)?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5)).map_err(be)?;
        conn.execute_batch(SCHEMA).map_err(be)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection in a blocking task.
    async fn with<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| be("connection lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(be)?
    }
}

impl SqliteDb {
    /// The `doc` of the one row `sql` selects with `args`, if any.
    async fn get_doc<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &'static str,
        args: Vec<String>,
    ) -> Result<Option<T>> {
        self.with(move |c| {
            let doc: Option<String> = c
                .query_row(sql, rusqlite::params_from_iter(args), |r| r.get(0))
                .optional()
                .map_err(be)?;
            doc.map(|d| from_doc(&d)).transpose()
        })
        .await
    }
}

fn docs<T: DeserializeOwned>(
    stmt: &mut rusqlite::Statement<'_>,
    p: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let rows = stmt.query_map(p, |r| r.get::<_, String>(0)).map_err(be)?;
    rows.map(|r| r.map_err(be).and_then(|s| from_doc(&s)))
        .collect()
}

#[async_trait]
impl KeyStore for SqliteDb {
    async fn put_key(&self, key: &ApiKey) -> Result<()> {
        let (id, tenant, doc) = (key.id.clone(), key.tenant_id.clone(), to_doc(key)?);
        self.with(move |c| {
            c.execute(
                "INSERT INTO api_keys (id, tenant_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, doc = excluded.doc",
                params![id, tenant, doc],
            )
            .map_err(be)?;
            Ok(())
        })
        .await
    }

    async fn get_key(&self, id: &str) -> Result<Option<ApiKey>> {
        self.get_doc(
            "SELECT doc FROM api_keys WHERE id = ?1",
            vec![id.to_string()],
        )
        .await
    }

    async fn list_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        let t = tenant_id.to_string();
        self.with(move |c| {
            docs(
                &mut c
                    .prepare("SELECT doc FROM api_keys WHERE tenant_id = ?1 ORDER BY id")
                    .map_err(be)?,
                [t],
            )
        })
        .await
    }

    async fn no_keys(&self) -> Result<bool> {
        self.with(|c| {
            let n: i64 = c
                .query_row("SELECT COUNT(*) FROM api_keys", [], |r| r.get(0))
                .map_err(be)?;
            Ok(n == 0)
        })
        .await
    }
}

#[async_trait]
impl WebhookStore for SqliteDb {
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> Result<()> {
        let (tenant, id, version, doc) = (
            wh.tenant_id.clone(),
            wh.id.clone(),
            wh.version as i64,
            to_doc(wh)?,
        );
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            let n: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM webhooks WHERE tenant_id = ?1",
                    [&tenant],
                    |r| r.get(0),
                )
                .map_err(be)?;
            if n >= cap as i64 {
                return Err(cap_reached(cap));
            }
            tx.execute(
                "INSERT INTO webhooks (tenant_id, id, version, doc) VALUES (?1, ?2, ?3, ?4)",
                params![tenant, id, version, doc],
            )
            .map_err(be)?;
            tx.commit().map_err(be)
        })
        .await
    }

    async fn get_webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        self.get_doc(
            "SELECT doc FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
            vec![tenant_id.to_string(), id.to_string()],
        )
        .await
    }
    async fn list_webhooks(
        &self,
        tenant_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Webhook>> {
        let (t, a) = (
            tenant_id.map(str::to_string),
            after.unwrap_or("").to_string(),
        );
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT doc FROM webhooks WHERE (?1 IS NULL OR tenant_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3")
                .map_err(be)?;
            let items: Vec<Webhook> = docs(&mut stmt, params![t, a, limit as i64 + 1])?;
            Ok(page_of(items, limit, |w| w.id.clone()))
        })
        .await
    }

    async fn update_webhook(&self, wh: &Webhook) -> Result<()> {
        let (t, i, v, doc) = (
            wh.tenant_id.clone(),
            wh.id.clone(),
            wh.version as i64,
            to_doc(wh)?,
        );
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE webhooks SET doc = ?1, version = ?2 WHERE tenant_id = ?3 AND id = ?4 AND version = ?5",
                    params![doc, v, t, i, v - 1],
                )
                .map_err(be)?;
            if n == 1 {
                return Ok(());
            }
            let exists: Option<i64> = c
                .query_row("SELECT version FROM webhooks WHERE tenant_id = ?1 AND id = ?2", [&t, &i], |r| r.get(0))
                .optional()
                .map_err(be)?;
            Err(match exists {
                None => Error::NotFound("webhook".into()),
                Some(_) => version_conflict(),
            })
        })
        .await
    }

    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let (t, i) = (tenant_id.to_string(), id.to_string());
        self.with(move |c| {
            let n = c
                .execute(
                    "DELETE FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                    [t, i],
                )
                .map_err(be)?;
            Ok(n == 1)
        })
        .await
    }

    async fn touch_webhook(&self, tenant_id: &str, id: &str, at: Timestamp) -> Result<()> {
        let (t, i) = (tenant_id.to_string(), id.to_string());
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            let doc: Option<String> = tx
                .query_row(
                    "SELECT doc FROM webhooks WHERE tenant_id = ?1 AND id = ?2",
                    [&t, &i],
                    |r| r.get(0),
                )
                .optional()
                .map_err(be)?;
            if let Some(doc) = doc {
                let mut wh: Webhook = from_doc(&doc)?;
                if wh.last_triggered_at.is_none_or(|l| l < at) {
                    wh.last_triggered_at = Some(at);
                    tx.execute(
                        "UPDATE webhooks SET doc = ?1 WHERE tenant_id = ?2 AND id = ?3",
                        params![to_doc(&wh)?, t, i],
                    )
                    .map_err(be)?;
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }
}

#[async_trait]
impl CatalogueStore for SqliteDb {
    async fn create_event_type(&self, et: &EventType) -> Result<()> {
        let (name, doc) = (et.name.clone(), to_doc(et)?);
        self.with(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO event_types (name, doc) VALUES (?1, ?2)",
                    params![name, doc],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(Error::Conflict {
                    code: "event_type_exists",
                    message: format!("event type {name} already exists"),
                });
            }
            Ok(())
        })
        .await
    }

    async fn update_event_type(&self, et: &EventType) -> Result<()> {
        let (name, doc) = (et.name.clone(), to_doc(et)?);
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE event_types SET doc = ?2 WHERE name = ?1",
                    params![name, doc],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(Error::NotFound("event type".into()));
            }
            Ok(())
        })
        .await
    }

    async fn get_event_type(&self, name: &str) -> Result<Option<EventType>> {
        self.get_doc(
            "SELECT doc FROM event_types WHERE name = ?1",
            vec![name.to_string()],
        )
        .await
    }

    async fn list_event_types(&self) -> Result<Vec<EventType>> {
        self.with(|c| {
            docs(
                &mut c
                    .prepare("SELECT doc FROM event_types ORDER BY name")
                    .map_err(be)?,
                [],
            )
        })
        .await
    }

    async fn delete_event_type(&self, name: &str) -> Result<bool> {
        let n = name.to_string();
        self.with(move |c| {
            Ok(c.execute("DELETE FROM event_types WHERE name = ?1", [n])
                .map_err(be)?
                == 1)
        })
        .await
    }
}

/// The columns of a delivery row.
struct DeliveryRow {
    tenant: String,
    id: String,
    webhook: String,
    event: String,
    status: &'static str,
    created_ms: i64,
    attempts: i64,
    doc: String,
    expires_ms: i64,
}

fn delivery_row(d: &Delivery) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        tenant: d.tenant_id.clone(),
        id: d.id.clone(),
        webhook: d.webhook_id.clone(),
        event: d.event_id.clone(),
        status: d.status.as_str(),
        created_ms: d.created_at.timestamp_millis(),
        attempts: d.attempts.len() as i64,
        doc: to_doc(d)?,
        expires_ms: d.expires_at.timestamp_millis(),
    })
}

#[async_trait]
impl EventStore for SqliteDb {
    async fn put_event(&self, ev: &Event) -> Result<bool> {
        let (t, i, doc, exp) = (
            ev.tenant_id.clone(),
            ev.id.clone(),
            to_doc(ev)?,
            ev.expires_at.timestamp_millis(),
        );
        self.with(move |c| {
            let n = c
                .execute(
                    "INSERT INTO events (tenant_id, id, doc, expires_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (tenant_id, id) DO UPDATE SET doc = excluded.doc, expires_ms = excluded.expires_ms
                     WHERE events.expires_ms <= ?5",
                    params![t, i, doc, exp, now_ms()],)
                .map_err(be)?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>> {
        self.get_doc(
            "SELECT doc FROM events WHERE tenant_id = ?1 AND id = ?2",
            vec![tenant_id.to_string(), id.to_string()],
        )
        .await
    }

    async fn create_deliveries(&self, ds: &[Delivery]) -> Result<()> {
        let rows = ds.iter().map(delivery_row).collect::<Result<Vec<_>>>()?;
        let now = now_ms();
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            {
                let mut stmt = tx
                    .prepare(
                        "INSERT INTO deliveries
                         (tenant_id, id, webhook_id, event_id, status, created_ms, attempts, doc, expires_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (tenant_id, id) DO UPDATE SET webhook_id = excluded.webhook_id,
                           event_id = excluded.event_id, status = excluded.status, created_ms = excluded.created_ms,
                           attempts = excluded.attempts, doc = excluded.doc, expires_ms = excluded.expires_ms
                         WHERE deliveries.expires_ms <= ?10",)
                    .map_err(be)?;
                for r in rows {
                    stmt.execute(params![r.tenant, r.id, r.webhook, r.event, r.status, r.created_ms, r.attempts, r.doc, r.expires_ms, now])
                    .map_err(be)?;
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn get_delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>> {
        self.get_doc(
            "SELECT doc FROM deliveries WHERE tenant_id = ?1 AND id = ?2",
            vec![tenant_id.to_string(), id.to_string()],
        )
        .await
    }

    async fn save_delivery(&self, d: &Delivery, prior_attempts: usize) -> Result<()> {
        let r = delivery_row(d)?;
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE deliveries SET status = ?3, attempts = ?4, doc = ?5
                     WHERE tenant_id = ?1 AND id = ?2 AND attempts = ?6",
                    params![
                        r.tenant,
                        r.id,
                        r.status,
                        r.attempts,
                        r.doc,
                        prior_attempts as i64
                    ],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(delivery_conflict());
            }
            Ok(())
        })
        .await
    }

    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Delivery>> {
        let (t, w) = (tenant_id.to_string(), webhook_id.to_string());
        let status = status.map(|s| s.as_str().to_string());
        let (cms, cid) = match cursor {
            Some(c) => parse_delivery_cursor(c)?,
            None => (i64::MAX, String::new()),
        };
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT doc FROM deliveries WHERE tenant_id = ?1 AND webhook_id = ?2
                     AND (?3 IS NULL OR status = ?3)
                     AND (created_ms < ?4 OR (created_ms = ?4 AND (?5 = '' OR id < ?5)))
                     ORDER BY created_ms DESC, id DESC LIMIT ?6",
                )
                .map_err(be)?;
            let items: Vec<Delivery> =
                docs(&mut stmt, params![t, w, status, cms, cid, limit as i64 + 1])?;
            Ok(page_of(items, limit, delivery_cursor))
        })
        .await
    }

    async fn event_deliveries(&self, tenant_id: &str, event_id: &str) -> Result<Vec<Delivery>> {
        let (t, e) = (tenant_id.to_string(), event_id.to_string());
        self.with(move |c| {
            docs(
                &mut c
                    .prepare("SELECT doc FROM deliveries WHERE tenant_id = ?1 AND event_id = ?2 ORDER BY webhook_id")
                    .map_err(be)?,
                [t, e],
            )
        })
        .await
    }
}

#[async_trait]
impl StatsStore for SqliteDb {
    async fn add_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        hour: i64,
        _shard: u32,
        add: &Counters,
    ) -> Result<()> {
        let (t, w, add) = (tenant_id.to_string(), webhook_id.to_string(), add.clone());
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            {
                let mut stmt = tx
                    .prepare(
                        "INSERT INTO webhook_stats (tenant_id, webhook_id, bucket, name, value) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (tenant_id, webhook_id, bucket, name) DO UPDATE SET value = value + excluded.value",
                    )
                    .map_err(be)?;
                for (name, v) in &add {
                    for bucket in [ALL_TIME_BUCKET, hour] {
                        stmt.execute(params![t, w, bucket, name, v]).map_err(be)?;
                    }
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn read_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since_hour: i64,
    ) -> Result<(Counters, Counters)> {
        let (t, w) = (tenant_id.to_string(), webhook_id.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT bucket = ?3, name, SUM(value) FROM webhook_stats
                     WHERE tenant_id = ?1 AND webhook_id = ?2 AND (bucket = ?3 OR bucket >= ?4)
                     GROUP BY bucket = ?3, name",
                )
                .map_err(be)?;
            let rows = stmt
                .query_map(params![t, w, ALL_TIME_BUCKET, since_hour], |r| {
                    Ok((
                        r.get::<_, bool>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(be)?;
            let (mut all, mut recent) = (Counters::new(), Counters::new());
            for row in rows {
                let (is_all, name, v) = row.map_err(be)?;
                if is_all {
                    all.insert(name, v)
                } else {
                    recent.insert(name, v)
                };
            }
            Ok((all, recent))
        })
        .await
    }
}

/// The bucket number of the all-time counters (hourly buckets are unix hours).
const ALL_TIME_BUCKET: i64 = -1;

#[async_trait]
impl Retention for SqliteDb {
    async fn purge_expired(&self, now: Timestamp) -> Result<u64> {
        let ms = now.timestamp_millis();
        let stats_before = now.timestamp() / 3600 - 48;
        self.with(move |c| {
            let mut n = c
                .execute("DELETE FROM events WHERE expires_ms <= ?1", [ms])
                .map_err(be)?;
            n += c
                .execute("DELETE FROM deliveries WHERE expires_ms <= ?1", [ms])
                .map_err(be)?;
            c.execute(
                "DELETE FROM webhook_stats WHERE bucket >= 0 AND bucket < ?1",
                [stats_before],
            )
            .map_err(be)?;
            Ok(n as u64)
        })
        .await
    }
}

/// The row a receipt handle (`{seq}.{ulid}`) refers to, so settling a message is a key lookup.
fn receipt_seq(receipt: &str) -> Result<i64> {
    receipt
        .split_once('.')
        .and_then(|(seq, _)| seq.parse().ok())
        .ok_or_else(|| Error::BadRequest("malformed receipt handle".into()))
}

#[async_trait]
impl Queue for SqliteDb {
    async fn send(&self, tasks: &[DeliveryTask]) -> Result<()> {
        let bodies = tasks.iter().map(to_doc).collect::<Result<Vec<_>>>()?;
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            {
                let mut stmt = tx
                    .prepare("INSERT INTO queue (body, visible_at_ms) VALUES (?1, ?2)")
                    .map_err(be)?;
                let now = now_ms();
                for b in bodies {
                    stmt.execute(params![b, now]).map_err(be)?;
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Received>> {
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            let now = now_ms();
            let rows: Vec<(i64, String, i64)> = {
                let mut stmt = tx
                    .prepare("SELECT seq, body, receive_count FROM queue WHERE visible_at_ms <= ?1 ORDER BY visible_at_ms, seq LIMIT ?2")
                    .map_err(be)?;
                let it = stmt
                    .query_map(params![now, max as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(be)?;
                it.collect::<rusqlite::Result<_>>().map_err(be)?
            };
            let mut out = Vec::with_capacity(rows.len());
            for (seq, body, count) in rows {
                let receipt = format!("{seq}.{}", ulid::Ulid::new());
                tx.execute(
                    "UPDATE queue SET visible_at_ms = ?1, receive_count = receive_count + 1, receipt = ?2 WHERE seq = ?3",
                    params![now + visibility.as_millis() as i64, receipt, seq],
                )
                .map_err(be)?;
                out.push(Received { receipt, task: from_doc(&body)?, receive_count: count as u32 + 1 });
            }
            tx.commit().map_err(be)?;
            Ok(out)
        })
        .await
    }

    async fn delete(&self, receipts: &[String]) -> Result<()> {
        let receipts = receipts.to_vec();
        self.with(move |c| {
            let tx = c.transaction().map_err(be)?;
            for r in receipts {
                tx.execute(
                    "DELETE FROM queue WHERE seq = ?1 AND receipt = ?2",
                    params![receipt_seq(&r)?, r],
                )
                .map_err(be)?;
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> Result<()> {
        let r = receipt.to_string();
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE queue SET visible_at_ms = ?1 WHERE seq = ?2 AND receipt = ?3",
                    params![now_ms() + timeout.as_millis() as i64, receipt_seq(&r)?, r],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(Error::BadRequest(
                    "receipt handle is no longer valid".into(),
                ));
            }
            Ok(())
        })
        .await
    }
}
