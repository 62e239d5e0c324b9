//! The database thread: one connection, the operations that arrive together in one
//! transaction and one commit (group commit). An operation runs on its caller's thread instead
//! when the connection is free and, if it waits for the disk, while writes are quiet (see
//! [`try_inline`]).

use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Durability;
use crate::queue::schedule::Schedule;

/// How many queued operations one transaction (and one commit) may take.
const MAX_GROUP: usize = 512;

/// Work for the database thread: runs on the connection inside the current transaction, and
/// returns what to do once that transaction has committed (or failed to).
pub(super) struct Job {
    pub(super) run: Work,
    pub(super) ack: Ack,
}
pub(super) type Work = Box<dyn FnOnce(&mut Connection, &mut Schedule) -> Reply + Send>;
pub(super) type Reply = Box<dyn FnOnce(Option<&str>) + Send>;

/// When a caller is answered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ack {
    /// Once the transaction holding its work has committed (flushed, with full durability):
    /// every write the API or the engine relies on.
    Committed,
    /// As soon as its work has run: reads, and queue bookkeeping whose loss on a crash only
    /// makes a message come back (SQS is at-least-once; deliveries dedupe on their record).
    /// A group made only of these commits without waiting for the disk: the next flush (of
    /// a group that holds a [`Ack::Committed`] write) covers it, since the log is written in
    /// order and recovery keeps its valid prefix.
    Ran,
    /// Once the transaction holding it has committed, without making that commit wait for the
    /// disk: reads that must not see what could still roll back. What they read was flushed
    /// when it was written (a [`Ack::Committed`] write) or is bookkeeping, so a group of reads
    /// and bookkeeping need not flush (the delivery engine reads an event per delivery; one
    /// flush each would bound a FIFO webhook, delivered one at a time, to the disk's flush
    /// rate).
    ReadCommitted,
}

const SYNC_FULL: &str = "PRAGMA synchronous = FULL";
const SYNC_NORMAL: &str = "PRAGMA synchronous = NORMAL";

/// Runs one of the statements every group runs (begin, commit, the flush setting) from the
/// connection's statement cache: parsing them again for each group was 5 % of the database
/// thread's CPU at 200 publishes a second, where every group is one operation.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    stmt.raw_execute().map(|_| ())
}

/// What the database has done since it opened: how well group commit groups, and how many
/// operations ran on their callers' threads.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) writes: AtomicU64,
    pub(super) flushes: AtomicU64,
    pub(super) operations: AtomicU64,
    pub(super) inline: AtomicU64,
    /// Operations sent to the database thread and not yet answered.
    pub(super) queued: AtomicUsize,
    /// The queue schedule's version after the last operation that ran (see
    /// [`super::queue::Idle`]).
    pub(super) schedule: AtomicU64,
    /// When commits that someone waited for ended and how long they took: whether the next
    /// is worth grouping.
    pub(super) flush_times: FlushTimes,
}

/// The last commit someone waited for (flushed, with full durability): when it ended and how
/// long it took (nanoseconds; the former since `born`), and the longest such commit a caller's
/// thread makes itself (see [`try_inline`]).
pub(super) struct FlushTimes {
    born: Instant,
    ended: AtomicU64,
    took: AtomicU64,
    /// [`QUICK_FLUSH`] unless set (`SqliteDb::with_quick_flush`).
    pub(super) quick: AtomicU64,
}

impl Default for FlushTimes {
    fn default() -> Self {
        FlushTimes {
            born: Instant::now(),
            ended: AtomicU64::new(0),
            took: AtomicU64::new(0),
            quick: AtomicU64::new(QUICK_FLUSH.as_nanos() as u64),
        }
    }
}

impl FlushTimes {
    /// Now, in nanoseconds since `born`.
    fn now(&self) -> u64 {
        self.born.elapsed().as_nanos() as u64
    }

    /// Notes a commit someone waited for that began at `began` (see [`Self::now`]).
    fn flushed(&self, began: u64) {
        let now = self.now();
        self.took
            .store(now.saturating_sub(began), Ordering::Relaxed);
        self.ended.store(now, Ordering::Relaxed);
    }

    /// Whether a write whose caller waits for its commit is better committed at once on its
    /// caller's thread than grouped (see [`quiet`]).
    fn quiet(&self) -> bool {
        let since = self
            .now()
            .saturating_sub(self.ended.load(Ordering::Relaxed));
        quiet(
            since,
            self.took.load(Ordering::Relaxed),
            self.quick.load(Ordering::Relaxed),
        )
    }

    /// As if the last flush were long ago (tests).
    #[cfg(test)]
    pub(super) fn forget(&self) {
        self.ended.store(0, Ordering::Relaxed);
        self.took.store(0, Ordering::Relaxed);
    }
}

impl Counters {
    /// Whether operations wait for the database thread (callers' threads then leave the
    /// connection to it).
    pub(super) fn busy(&self) -> bool {
        self.queued.load(Ordering::Acquire) > 0
    }

    /// Publishes the schedule's version once an operation has run on it, before its caller is
    /// answered.
    fn ran_on(&self, schedule: &Schedule) {
        self.schedule.store(schedule.version(), Ordering::Release);
    }

    /// [`Self::ran_on`] for an operation that ran on its caller's thread, counted as such.
    fn ran_inline(&self, schedule: &Schedule) {
        self.ran_on(schedule);
        self.inline.fetch_add(1, Ordering::Relaxed);
    }
}

/// The connection for an operation on its caller's thread: when nothing waits for the
/// database thread (which must not wait for the connection) and no one holds it.
fn free<'a>(held: &'a Mutex<Held>, counters: &Counters) -> Option<MutexGuard<'a, Held>> {
    if counters.busy() {
        return None;
    }
    held.try_lock().ok()
}

/// Pages in the write-ahead log past which the database thread copies them into the database
/// file (SQLite's own threshold for the checkpoints it would otherwise make itself).
const CHECKPOINT_PAGES: i32 = 1000;

/// The longest flush a caller's thread makes itself (see [`try_inline`]): a disk slower than
/// this keeps its flushes on the database thread, where they would not hold up a thread that
/// serves requests. Flushes here take 0.1 to 0.3 ms.
const QUICK_FLUSH: Duration = Duration::from_millis(1);
/// How many flushes' length must have passed since the last flush for a write to flush on its
/// caller's thread.
const QUIET_FLUSHES: u64 = 4;

/// Whether a flush is worth making alone, `since` nanoseconds after the last one, which took
/// `took`: that one was quicker than `quick`, and ended long enough ago (a few times its
/// length) that another write is unlikely to arrive while this one flushes. In a burst,
/// writes go to the database thread and share its flushes.
fn quiet(since: u64, took: u64, quick: u64) -> bool {
    took < quick && since >= took.saturating_mul(QUIET_FLUSHES)
}

/// How long the database thread waits for work before it checkpoints whatever is in the log.
const IDLE: Duration = Duration::from_secs(1);

/// The connection and what goes with it, held by whoever runs operations: the database
/// thread for a group, or a caller for its own operation.
pub(super) struct Held {
    conn: Connection,
    schedule: Schedule,
    /// Whether commits currently wait for the disk (`synchronous = FULL`).
    flushing: bool,
    /// Whether a commit someone waits for flushes (`Durability::Full`).
    durability: Durability,
    /// The pages in the write-ahead log after the last commit.
    wal_pages: Arc<AtomicI32>,
}

impl Held {
    /// Takes over `conn`. SQLite would checkpoint in whichever commit crosses its threshold,
    /// a caller's thread among them (copying pages and flushing the file twice: milliseconds
    /// on a thread that serves requests); the log's size is watched instead, and the database
    /// thread checkpoints (see [`run`]).
    pub(super) fn new(mut conn: Connection, durability: Durability) -> rusqlite::Result<Self> {
        let wal_pages = Arc::new(AtomicI32::new(0));
        let pages = wal_pages.clone();
        // Replaces SQLite's automatic checkpoints (they are this same hook).
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, n: i32| {
            pages.store(n, Ordering::Relaxed);
            Ok(())
        }))?;
        Ok(Held {
            conn,
            schedule: Schedule::default(),
            flushing: durability == Durability::Full,
            durability,
            wal_pages,
        })
    }

    /// Copies the log into the database file if it holds at least `pages` pages (a passive
    /// checkpoint, as SQLite's own: it never waits for readers).
    fn checkpoint(&mut self, pages: i32) {
        if self.wal_pages.load(Ordering::Relaxed) < pages.max(1) {
            return;
        }
        let done = self
            .conn
            .prepare_cached("PRAGMA wal_checkpoint(PASSIVE)")
            .and_then(|mut s| s.query_row([], |_| Ok(())));
        match done {
            Ok(()) => self.wal_pages.store(0, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "checkpointing the database's log failed"),
        }
    }

    /// Sets whether the next commit waits for the disk: when someone waits for it (`awaited`)
    /// and the durability is full (a no-op when it already does so).
    fn flush_if_awaited(&mut self, awaited: bool) {
        let flush = awaited && self.durability == Durability::Full;
        if flush != self.flushing {
            let mode = if flush { SYNC_FULL } else { SYNC_NORMAL };
            if run_cached(&self.conn, mode).is_ok() {
                self.flushing = flush;
            }
        }
    }

    /// Commits the open transaction, or rolls it back if that fails; counts a commit that
    /// wrote (`changes`: the connection's total before the transaction).
    fn commit(&mut self, changes: u64, operations: u64, counters: &Counters) -> Result<(), String> {
        let committed = run_cached(&self.conn, "COMMIT").map_err(|e| e.to_string());
        if committed.is_err() {
            let _ = run_cached(&self.conn, "ROLLBACK");
            // What the schedule learned in a rolled-back transaction is not in the table.
            self.schedule.clear();
        } else if self.conn.total_changes() != changes {
            counters.writes.fetch_add(1, Ordering::Relaxed);
            if self.flushing {
                counters.flushes.fetch_add(1, Ordering::Relaxed);
            }
            counters.operations.fetch_add(operations, Ordering::Relaxed);
        }
        committed
    }
}

/// The connection, for the database thread. An operation that panicked on a caller's thread
/// left the lock poisoned and its transaction open: that transaction is rolled back (its
/// caller was never answered), and callers' threads may take the connection again.
fn take(held: &Mutex<Held>) -> MutexGuard<'_, Held> {
    let mut guard = held.lock().unwrap_or_else(|poisoned| {
        held.clear_poison();
        poisoned.into_inner()
    });
    if !guard.conn.is_autocommit() {
        let _ = run_cached(&guard.conn, "ROLLBACK");
        guard.schedule.clear();
    }
    guard
}

/// How long the database thread waits for another process (`hookline keys`) to release the
/// file's write lock. A caller's thread never waits for it: the operation goes to the
/// database thread instead.
pub(super) const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Runs `work` at once on the caller's thread, in a transaction of its own, if the database
/// thread has nothing to do and the connection is free; hands it back otherwise (to join the
/// next group: under load, grouping is what saves the commits, and the database thread must
/// not wait for the connection), or when another process holds the write lock. `awaited`: the
/// caller waits for the commit (with full durability it flushes); such a write runs here only
/// while writes are quiet ([`FlushTimes::quiet`]), and goes to the database thread in a burst,
/// where one commit (and flush) serves the writes that arrive together. With `normal`
/// durability too: when every publish committed on its own caller's thread, flat out made
/// two and a half times the commits and cost two fifths more CPU a delivery
/// (docs/benchmarks.md).
///
/// Why: at a steady, light load (a delivery every few milliseconds) each operation that went
/// through the database thread cost two thread wake-ups (the thread, then the caller), and a
/// delivery makes several (receive, load, record, settle). The profile at 200 deliveries a
/// second put a third of the CPU in waking and parking threads. A publish at that load
/// shares its flush with nothing: flushed here, it saves the two wake-ups (at 200/s, 0.65 ->
/// 0.58 ms of CPU a delivery) and blocks this thread for the flush's 0.1 to 0.3 ms, which the
/// database thread's answer took as well. Order is kept where it matters: a caller is
/// answered once its operation ran, so what it does next follows; operations of different
/// callers still waiting for an answer have no order between them.
pub(super) fn try_inline(
    held: &Mutex<Held>,
    work: Work,
    awaited: bool,
    counters: &Counters,
) -> Result<(), Work> {
    if awaited && !counters.flush_times.quiet() {
        return Err(work);
    }
    let Some(mut h) = free(held, counters) else {
        return Err(work);
    };
    h.flush_if_awaited(awaited);
    let _ = h.conn.busy_timeout(Duration::ZERO);
    let began = run_cached(&h.conn, "BEGIN IMMEDIATE");
    let _ = h.conn.busy_timeout(BUSY_WAIT);
    if began.is_err() {
        return Err(work);
    }
    let started = awaited.then(|| counters.flush_times.now());
    let changes = h.conn.total_changes();
    let h = &mut *h;
    let reply = work(&mut h.conn, &mut h.schedule);
    let committed = h.commit(changes, 1, counters);
    if let Some(started) = started {
        counters.flush_times.flushed(started);
    }
    counters.ran_inline(&h.schedule);
    reply(committed.err().as_deref());
    Ok(())
}

/// Runs `f` on the caller's thread with the connection and the schedule but no transaction,
/// when the connection is free and nothing waits for the database thread; `None` otherwise.
/// For reads only: a statement runs in autocommit (a read transaction of its own), and
/// nothing `f` does is committed or rolled back with anything.
pub(super) fn try_outside<T>(
    held: &Mutex<Held>,
    counters: &Counters,
    f: impl FnOnce(&Connection, &mut Schedule) -> T,
) -> Option<T> {
    let mut h = free(held, counters)?;
    let h = &mut *h;
    let out = f(&h.conn, &mut h.schedule);
    counters.ran_inline(&h.schedule);
    Some(out)
}

/// The database thread: takes the operations waiting, runs them in one transaction, commits,
/// then answers each. Operations that change several rows use savepoints, so one failing
/// leaves the others of its group intact.
pub(super) fn run(held: &Mutex<Held>, rx: mpsc::Receiver<Job>, counters: &Counters) {
    // Read without the lock after each group: the connection is taken again only when a
    // checkpoint is due.
    let wal_pages = take(held).wal_pages.clone();
    loop {
        let first = match rx.recv_timeout(IDLE) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                take(held).checkpoint(1);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // A caller running its own operation holds the connection for microseconds.
        let mut guard = take(held);
        let h = &mut *guard;
        // With full durability, only a group that answers someone after its commit waits for
        // the disk; bookkeeping alone commits without (the next flush covers it).
        let awaited = group.iter().any(|j| j.ack == Ack::Committed);
        h.flush_if_awaited(awaited);
        // IMMEDIATE: take the write lock now, so that another process on the same file (the
        // `hookline keys` command) makes this wait (busy timeout) instead of failing a group
        // whose read could not be upgraded to a write.
        let began = run_cached(&h.conn, "BEGIN IMMEDIATE").map_err(|e| e.to_string());
        let started = awaited.then(|| counters.flush_times.now());
        let changes = h.conn.total_changes();
        let operations = group.len() as u64;
        let mut replies: Vec<Reply> = Vec::with_capacity(group.len());
        for job in group {
            let reply = (job.run)(&mut h.conn, &mut h.schedule);
            counters.ran_on(&h.schedule);
            match job.ack {
                Ack::Ran => reply(None),
                Ack::Committed | Ack::ReadCommitted => replies.push(reply),
            }
        }
        let error = match began {
            Ok(()) => {
                let error = h.commit(changes, operations, counters).err();
                if let Some(started) = started {
                    counters.flush_times.flushed(started);
                }
                error
            }
            Err(e) => {
                h.schedule.clear();
                Some(e)
            }
        };
        counters.ran_on(&h.schedule);
        counters
            .queued
            .fetch_sub(operations as usize, Ordering::Release);
        // The connection is free before the answers: a caller answered may run its next
        // operation itself.
        drop(guard);
        for reply in replies {
            reply(error.as_deref());
        }
        if wal_pages.load(Ordering::Relaxed) >= CHECKPOINT_PAGES {
            take(held).checkpoint(CHECKPOINT_PAGES);
        }
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
