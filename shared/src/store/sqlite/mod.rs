//! The embedded backend: store and queue in one SQLite database. It is the default of
//! `hookline serve`, so Hookline runs on a fresh machine with nothing but the Rust toolchain.
//!
//! One file per concern: [`keys`], [`webhooks`], [`catalogue`], [`events`] (events and
//! deliveries), [`stats`] (counters and retention); the queue is in [`queue`]; the
//! schema is `schema.sql`.

mod catalogue;
mod client_keys;
mod events;
mod keyrings;
mod keys;
mod migrate;
mod partners;
pub mod queue;
mod rate;
mod stats;
mod tenants;
mod wal;
mod webhooks;
mod writer;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{StoreError, StoreResult};
use crate::clock::{Clock, SystemClock};
use crate::queue::schedule::Schedule;
pub(crate) use writer::Ack;
use writer::{Counters, Held, Job, Reply, Work};

const SCHEMA: &str = include_str!("schema.sql");

/// How much a commit promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit is flushed to disk before its callers are answered: nothing acknowledged
    /// is lost, even on power loss.
    #[default]
    Full,
    /// The log is flushed at checkpoints only: a power cut may lose the last commits (a killed
    /// process loses nothing).
    Normal,
}

/// One SQLite database holding every table and the delivery queue.
///
/// One thread runs the operations that wait for the disk; operations that arrive together
/// share one transaction and one commit (group commit), and each caller is answered once the
/// commit that covers its work is done. An operation that need not wait for the disk runs on
/// its caller's thread when the connection is free, and goes to that thread when it is not;
/// one that waits for the disk does the same while writes are quiet (no flush shared).
/// No caller ever waits on a lock, and a burst of writes costs one flush, not one each.
#[derive(Clone)]
pub struct SqliteDb {
    jobs: mpsc::Sender<Job>,
    held: Arc<Mutex<Held>>,
    /// The queue's visibility times follow this clock (tests move it instead of sleeping).
    pub(crate) clock: Arc<dyn Clock>,
    /// Messages of one group (webhook) in flight at once.
    pub(crate) group_share: usize,
    /// Woken when messages are sent or settled, so an idle consumer need not poll.
    pub(crate) queue_signal: Arc<tokio::sync::Notify>,
    /// What the consumer's last look at the queue found.
    idle: Arc<queue::Idle>,
    counters: Arc<Counters>,
}

/// A reading of [`SqliteDb::commits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commits {
    /// Commits that wrote something.
    pub writes: u64,
    /// Those of them that waited for the log to reach the disk (`full` durability, and a
    /// write in the group that someone waits on).
    pub flushes: u64,
    /// The operations the writing commits carried (publishes, receives, settles, attempt records,
    /// changes through the API, and the reads that arrived with them).
    pub operations: u64,
    /// Operations that ran on their callers' threads (the connection was free, and they did
    /// not wait for the disk), reads included (a receive, outside any transaction).
    pub inline: u64,
}

pub(crate) fn be(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    let e = e.into();
    let full = e
        .downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code)
        == Some(rusqlite::ErrorCode::DiskFull);
    match full {
        true => StoreError::Backend(crate::fault::BackendError::unavailable("sqlite", e)),
        false => StoreError::backend("sqlite", e),
    }
}

/// A transaction that could not commit; a full disk is a refusal for now (503), not a fault.
fn commit_failed(e: &str) -> StoreError {
    let e = format!("commit failed: {e}");
    // SQLite's own text for SQLITE_FULL (the writer hands the commit's error on as text).
    match e.contains("database or disk is full") {
        true => StoreError::Backend(crate::fault::BackendError::unavailable("sqlite", e)),
        false => be(e),
    }
}

pub(crate) fn to_doc<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(be)
}

pub(crate) fn from_doc<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(be)
}

impl SqliteDb {
    /// Opens (creating if needed) `hookline.db` under `dir`, flushing every commit.
    pub fn open(dir: impl AsRef<Path>) -> StoreResult<Self> {
        Self::open_with(dir, Durability::Full)
    }

    pub fn open_with(dir: impl AsRef<Path>, durability: Durability) -> StoreResult<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| be(format!("creating {}: {e}", dir.display())))?;
        let file = dir.join("hookline.db");
        wal::check_wal(&file).map_err(be)?;
        if durability == Durability::Full
            && let Some(fs) = wal::ignores_flushes(dir)
        {
            tracing::warn!(
                data_dir = %dir.display(),
                "the data directory is on {fs}, which keeps everything in memory: \
                 HOOKLINE_SQLITE_DURABILITY=full cannot keep acknowledged writes across a reboot"
            );
        }
        let conn = Connection::open(&file).map_err(be)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(be)?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync).map_err(be)?;
        Self::init(conn, durability)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(be)?, Durability::Full)
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

    /// The longest commit that waits for the disk which a caller's thread makes itself, when
    /// no other write is under way (see `writer::try_inline`); `Duration::ZERO`: every such
    /// commit goes to the database thread.
    pub fn with_quick_flush(self, longest: std::time::Duration) -> Self {
        let nanos = longest.as_nanos().min(u64::MAX as u128) as u64;
        self.counters
            .flush_times
            .quick
            .store(nanos, Ordering::Relaxed);
        self
    }

    fn init(conn: Connection, durability: Durability) -> StoreResult<Self> {
        conn.busy_timeout(writer::BUSY_WAIT).map_err(be)?;
        // Savepoints inside a group's transaction journal in memory, not in a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(be)?;
        conn.execute_batch(SCHEMA).map_err(be)?;
        migrate::migrate(&conn)?;
        let (jobs, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let held = Arc::new(Mutex::new(Held::new(conn, durability).map_err(be)?));
        let h = held.clone();
        std::thread::Builder::new()
            .name("hookline-sqlite".into())
            .spawn(move || writer::run(&h, rx, &c))
            .map_err(be)?;
        Ok(SqliteDb {
            jobs,
            held,
            clock: Arc::new(SystemClock),
            group_share: 8,
            queue_signal: Arc::default(),
            idle: Arc::default(),
            counters,
        })
    }

    /// How many commits wrote, and how many acknowledged operations they carried.
    pub fn commits(&self) -> Commits {
        Commits {
            writes: self.counters.writes.load(Ordering::Relaxed),
            flushes: self.counters.flushes.load(Ordering::Relaxed),
            operations: self.counters.operations.load(Ordering::Relaxed),
            inline: self.counters.inline.load(Ordering::Relaxed),
        }
    }

    /// The `synchronous` setting the connection commits acknowledged writes with, read back
    /// from SQLite (`FULL` or `NORMAL`; in-memory databases say `FULL`, having nothing to
    /// flush). Read inside such a commit: groups of bookkeeping only commit with `NORMAL`.
    pub async fn synchronous(&self) -> StoreResult<&'static str> {
        self.with(|c| {
            let v: i64 = c
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .map_err(be)?;
            Ok(match v {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                _ => "EXTRA",
            })
        })
        .await
    }

    /// Whether operations wait for the database thread.
    fn busy(&self) -> bool {
        self.counters.busy()
    }

    /// The queue schedule's version after the last operation that ran.
    fn schedule_version(&self) -> u64 {
        self.counters.schedule.load(Ordering::Acquire)
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Runs `f` with the queue's schedule, on the caller's thread or the database thread (see
    /// [`writer::try_inline`]); answers as `ack` says.
    pub(crate) async fn call<T, F>(&self, ack: Ack, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut Schedule) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let run: Work = Box::new(move |c: &mut Connection, s: &mut Schedule| -> Reply {
            let result = f(c, s);
            Box::new(move |commit_error: Option<&str>| {
                let _ = tx.send(match commit_error {
                    Some(e) if result.is_ok() => Err(commit_failed(e)),
                    _ => result,
                });
            })
        });
        let awaited = ack == Ack::Committed;
        let run = match writer::try_inline(&self.held, run, awaited, &self.counters) {
            Ok(()) => return rx.await.map_err(|_| be("the operation was dropped"))?,
            Err(run) => run,
        };
        self.counters.queued.fetch_add(1, Ordering::AcqRel);
        if self.jobs.send(Job { run, ack }).is_err() {
            self.counters.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(be("the database thread has stopped"));
        }
        rx.await
            .map_err(|_| be("the database thread has stopped"))?
    }

    /// [`writer::try_outside`]: `f` with the connection and the schedule, outside any
    /// transaction, if the connection is free now.
    pub(crate) fn try_outside<T>(
        &self,
        f: impl FnOnce(&Connection, &mut Schedule) -> T,
    ) -> Option<T> {
        writer::try_outside(&self.held, &self.counters, f)
    }

    /// Runs `f` on the database thread, with the queue's schedule; answers once the
    /// transaction holding it has committed.
    pub(crate) async fn with_schedule<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut Schedule) -> StoreResult<T> + Send + 'static,
    {
        self.call(Ack::Committed, f).await
    }

    /// Runs `f` on the database thread; answers once its transaction has committed.
    pub(crate) async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.call(Ack::Committed, move |c, _| f(c)).await
    }

    /// Waits until everything asked of the database before has been committed.
    pub async fn flush(&self) -> StoreResult<()> {
        self.with(|_| Ok(())).await
    }

    /// Runs bookkeeping of the delivery engine (recording an attempt, the endpoint's health,
    /// counters) on the database thread; answers as soon as it ran, not after the flush. The
    /// engine settles the queue message after this, in a later operation: if the commit
    /// failed, the schedule is reloaded, the receipt no longer settles anything, and the
    /// message comes back to be sent and recorded again.
    /// Writes a versioned document (keyrings, partners): inserted at version 1, otherwise
    /// only over version `version - 1`; false when another writer got there first.
    pub(crate) async fn put_versioned(
        &self,
        table: &'static str,
        key_column: &'static str,
        key: String,
        version: u64,
        doc: String,
    ) -> StoreResult<bool> {
        let version = version as i64;
        self.with(move |c| {
            let sql = if version <= 1 {
                format!(
                    "INSERT INTO {table} ({key_column}, version, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT ({key_column}) DO NOTHING"
                )
            } else {
                format!(
                    "UPDATE {table} SET version = ?2, doc = ?3
                     WHERE {key_column} = ?1 AND version = ?2 - 1"
                )
            };
            let written = c
                .execute(&sql, rusqlite::params![key, version, doc])
                .map_err(be)?;
            Ok(written == 1)
        })
        .await
    }

    pub(crate) async fn record<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.call(Ack::Ran, move |c, _| f(c)).await
    }

    /// Runs a read on the database thread; answers once the transaction holding it has
    /// committed (it never sees what could still roll back), without flushing for it.
    pub(crate) async fn read_committed<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.call(Ack::ReadCommitted, move |c, _| f(c)).await
    }

    /// Runs a read on the database thread; answers at once.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        self.call(Ack::Ran, move |c, _| f(c)).await
    }

    /// The `doc` of the one row `sql` selects with `args`, if any. Decoded here, off the
    /// database thread that every operation waits on.
    pub(crate) async fn get_doc<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &'static str,
        args: Vec<String>,
    ) -> StoreResult<Option<T>> {
        let doc: Option<String> = self
            .read(move |c| {
                c.prepare_cached(sql)
                    .map_err(be)?
                    .query_row(rusqlite::params_from_iter(args), |r| r.get(0))
                    .optional()
                    .map_err(be)
            })
            .await?;
        doc.map(|d| from_doc(&d)).transpose()
    }

    /// The `doc`s of the rows `sql` selects, decoded off the database thread.
    pub(crate) async fn get_docs<T, P>(&self, sql: &'static str, args: P) -> StoreResult<Vec<T>>
    where
        T: DeserializeOwned + Send + 'static,
        P: rusqlite::Params + Send + 'static,
    {
        let docs: Vec<String> = self.read(move |c| raw_docs(c, sql, args)).await?;
        docs.iter().map(|d| from_doc(d)).collect()
    }
}

/// The `doc`s of the rows `sql` selects, on a connection already held.
pub(crate) fn docs<T: DeserializeOwned>(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<T>> {
    raw_docs(c, sql, args)?
        .iter()
        .map(|d| from_doc(d))
        .collect()
}

/// The `doc`s of the rows `sql` selects, as stored.
fn raw_docs(c: &Connection, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<String>> {
    let mut stmt = c.prepare_cached(sql).map_err(be)?;
    let rows = stmt
        .query_map(args, |r| r.get::<_, String>(0))
        .map_err(be)?;
    rows.map(|r| r.map_err(be)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("hookline-{name}-{}", ulid::Ulid::new()))
    }

    #[tokio::test]
    async fn the_durability_setting_reaches_sqlite() {
        for (durability, pragma) in [(Durability::Full, "FULL"), (Durability::Normal, "NORMAL")] {
            let d = dir("sync");
            let db = SqliteDb::open_with(&d, durability).unwrap();
            assert_eq!(db.synchronous().await.unwrap(), pragma);
            drop(db);
            let _ = std::fs::remove_dir_all(&d);
        }
    }
}
