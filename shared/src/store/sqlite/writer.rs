//! The database thread: one connection, every operation in arrival order, the operations
//! that arrive together in one transaction and one commit (group commit).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

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

/// What the database thread has done since it started: how well group commit groups.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) writes: AtomicU64,
    pub(super) flushes: AtomicU64,
    pub(super) operations: AtomicU64,
}

/// The database thread: takes the operations waiting, runs them in one transaction, commits,
/// then answers each. Operations that change several rows use savepoints, so one failing
/// leaves the others of its group intact.
pub(super) fn run(
    mut conn: Connection,
    rx: mpsc::Receiver<Job>,
    durability: Durability,
    counters: &Counters,
) {
    let mut schedule = Schedule::default();
    let mut flushing = durability == Durability::Full;
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // With full durability, only a group that answers someone after its commit waits for
        // the disk; bookkeeping alone commits without (the next flush covers it).
        let flush = durability == Durability::Full && group.iter().any(|j| j.ack == Ack::Committed);
        if flush != flushing {
            let mode = if flush { SYNC_FULL } else { SYNC_NORMAL };
            if run_cached(&conn, mode).is_ok() {
                flushing = flush;
            }
        }
        // IMMEDIATE: take the write lock now, so that another process on the same file (the
        // `hookline keys` command) makes this wait (busy timeout) instead of failing a group
        // whose read could not be upgraded to a write.
        let began = run_cached(&conn, "BEGIN IMMEDIATE").map_err(|e| e.to_string());
        let changes = conn.total_changes();
        let operations = group.len() as u64;
        let mut replies: Vec<Reply> = Vec::with_capacity(group.len());
        for job in group {
            let reply = (job.run)(&mut conn, &mut schedule);
            match job.ack {
                Ack::Ran => reply(None),
                Ack::Committed | Ack::ReadCommitted => replies.push(reply),
            }
        }
        let committed = began.and_then(|()| run_cached(&conn, "COMMIT").map_err(|e| e.to_string()));
        if committed.is_err() {
            let _ = run_cached(&conn, "ROLLBACK");
            // What the schedule learned in a rolled-back transaction is not in the table.
            schedule.clear();
        }
        if committed.is_ok() && conn.total_changes() != changes {
            counters.writes.fetch_add(1, Ordering::Relaxed);
            if flushing {
                counters.flushes.fetch_add(1, Ordering::Relaxed);
            }
            counters.operations.fetch_add(operations, Ordering::Relaxed);
        }
        let error = committed.err();
        for reply in replies {
            reply(error.as_deref());
        }
    }
}
