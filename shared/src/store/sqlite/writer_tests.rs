//! The database thread's tests: where operations run, group commit, checkpoints.

use std::thread::{ThreadId, current};
use std::time::Duration;

use rusqlite::Connection;

use crate::store::sqlite::{Durability, SqliteDb, be};

fn here() -> ThreadId {
    current().id()
}

/// A database in a directory of its own, with durability `durability` and a table `t` of
/// one column declared as `column`.
async fn with_table(
    name: &str,
    durability: Durability,
    column: &'static str,
) -> (std::path::PathBuf, SqliteDb) {
    let d = dir(name);
    let db = SqliteDb::open_with(&d, durability).unwrap();
    db.with(move |c| {
        c.execute_batch(&format!("CREATE TABLE t ({column})"))
            .map_err(be)
    })
    .await
    .unwrap();
    (d, db)
}

/// The rows of table `t`.
async fn rows(db: &SqliteDb) -> i64 {
    db.read(|c| {
        c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .map_err(be)
    })
    .await
    .unwrap()
}

/// An operation that inserts `n` into table `t`.
fn insert(n: i64) -> impl FnOnce(&mut Connection) -> crate::store::StoreResult<()> + Send {
    move |c| {
        c.execute("INSERT INTO t (n) VALUES (?1)", [n])
            .map(drop)
            .map_err(be)
    }
}

/// Closes the database (its thread finishes and the file is closed), then removes its
/// directory.
fn close(d: std::path::PathBuf, db: SqliteDb) {
    drop(db);
    let _ = std::fs::remove_dir_all(&d);
}

fn dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("hookline-{name}-{}", ulid::Ulid::new()))
}

#[tokio::test]
async fn what_need_not_wait_for_the_disk_runs_on_the_callers_thread() {
    let d = dir("inline");
    // A disk too slow for a caller's thread to flush on.
    let db = SqliteDb::open(&d).unwrap().with_quick_flush(Duration::ZERO);
    let me = here();
    assert_eq!(db.read(|_| Ok(here())).await.unwrap(), me);
    assert_eq!(db.read_committed(|_| Ok(here())).await.unwrap(), me);
    assert_eq!(db.record(|_| Ok(here())).await.unwrap(), me);
    // A write acknowledged once flushed goes to the thread that shares flushes.
    assert_ne!(db.with(|_| Ok(here())).await.unwrap(), me);
    assert_eq!(db.commits().inline, 3);
    drop(db);
    // Without flushes, every operation may run where it is asked for.
    let db = SqliteDb::open_with(&d, Durability::Normal).unwrap();
    assert_eq!(db.with(|_| Ok(here())).await.unwrap(), me);
    close(d, db);
}

/// A write that waits for the disk, while no other write is under way, flushes on its
/// caller's thread before it is answered: it would share its flush with nothing, and the
/// database thread's answer costs two thread wake-ups.
#[tokio::test]
async fn a_quiet_write_flushes_on_the_callers_thread() {
    let (d, db) = with_table("quiet", Durability::Full, "n INTEGER").await;
    db.counters.flush_times.forget();
    let before = db.commits();
    let ran_on = db
        .with(|c| {
            insert(1)(c)?;
            Ok(here())
        })
        .await
        .unwrap();
    assert_eq!(ran_on, here());
    let after = db.commits();
    assert_eq!(
        after.flushes - before.flushes,
        1,
        "flushed before it was answered"
    );
    assert_eq!(after.inline - before.inline, 1);
    db.counters.flush_times.forget();
    assert_eq!(db.synchronous().await.unwrap(), "FULL");
    assert_eq!(rows(&db).await, 1);
    close(d, db);
}

/// The rule: a flush alone when the last was quick and a few of its lengths ago.
#[test]
fn a_flush_is_made_alone_only_when_writes_are_quiet() {
    use super::quiet;
    let (ms, quick) = (1_000_000, 1_000_000);
    assert!(
        quiet(5 * ms, ms / 5, quick),
        "200/s: 5 ms apart, 0.2 ms flushes"
    );
    assert!(
        !quiet(ms / 10, ms / 5, quick),
        "a burst: the last flush just ended"
    );
    assert!(
        !quiet(60_000 * ms, 2 * ms, quick),
        "a slow disk: never alone"
    );
    assert!(quiet(ms, 0, quick), "nothing flushed yet");
    assert!(
        !quiet(60_000 * ms, 1, 0),
        "flushes kept on the database thread"
    );
}

/// While the database thread runs a group, an operation is queued behind it and answered
/// after it: the caller's thread never waits on the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_waits_its_turn_while_a_group_holds_the_connection() {
    let db = SqliteDb::in_memory()
        .unwrap()
        .with_quick_flush(Duration::ZERO);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let holder = tokio::spawn({
        let db = db.clone();
        async move {
            db.with(move |_| {
                started_tx.send(here()).unwrap();
                go_rx.recv().unwrap();
                Ok(())
            })
            .await
        }
    });
    let writer = tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
        .await
        .unwrap();
    // The read is asked for first (join! polls in order), then the group is let go.
    let (ran_on, ()) = tokio::join!(db.read(|_| Ok(here())), async { go_tx.send(()).unwrap() });
    assert_eq!(ran_on.unwrap(), writer);
    holder.await.unwrap().unwrap();
    assert_eq!(db.commits().inline, 0);
}

/// Another process holding the file's write lock (`hookline keys`) sends the operation to
/// the database thread, which waits for the lock; the caller's thread does not.
#[tokio::test]
async fn another_process_writing_sends_the_operation_to_the_database_thread() {
    let (d, db) = with_table("busy", Durability::Full, "n INTEGER").await;
    let other = rusqlite::Connection::open(d.join("hookline.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let write = db.record(|c| {
        c.execute("INSERT INTO t (n) VALUES (1)", []).map_err(be)?;
        Ok(here())
    });
    let (ran_on, ()) = tokio::join!(write, async {
        other.execute_batch("COMMIT").unwrap();
    });
    assert_ne!(ran_on.unwrap(), here());
    assert_eq!(rows(&db).await, 1);
    close(d, db);
}

/// Writes that arrive together share a commit, and with `full` durability its flush. With
/// `normal` too: each commit writes its pages to the log, and one per publish cost flat out
/// two fifths more CPU a delivery than grouped ones.
#[tokio::test]
async fn concurrent_writes_share_commits_and_reads_flush_nothing() {
    for durability in [Durability::Full, Durability::Normal] {
        let (d, db) = with_table("group", durability, "n INTEGER").await;
        db.counters.flush_times.forget();
        let before = db.commits();
        let writes = (0..200).map(|n| db.with(insert(n)));
        futures::future::try_join_all(writes).await.unwrap();
        let after = db.commits();
        assert_eq!(after.operations - before.operations, 200);
        let commits = after.writes - before.writes;
        assert!(
            (1..100).contains(&commits),
            "{durability:?}: 200 concurrent writes took {commits} commits"
        );
        let flushes = after.flushes - before.flushes;
        match durability {
            Durability::Full => assert_eq!(flushes, commits, "each commit flushed"),
            Durability::Normal => assert_eq!(flushes, 0, "none flushed"),
        }
        db.flush().await.unwrap();
        assert_eq!(rows(&db).await, 200);
        assert_eq!(db.commits().flushes, after.flushes, "reads wrote nothing");
        close(d, db);
    }
}

/// Bookkeeping (receives, settles, attempt records) commits without waiting for the disk;
/// the next acknowledged write's flush covers it; `normal` never flushes.
#[tokio::test]
async fn only_acknowledged_writes_wait_for_the_disk() {
    for (durability, flushed) in [(Durability::Full, 1), (Durability::Normal, 0)] {
        let (d, db) = with_table("ran", durability, "n INTEGER").await;
        let before = db.commits();
        db.record(insert(1)).await.unwrap();
        db.record(insert(2)).await.unwrap();
        // Bookkeeping is answered without waiting for the disk (here, on this thread, once
        // committed; in a group, as soon as it ran): an empty acknowledged group waits for it.
        db.flush().await.unwrap();
        let mid = db.commits();
        assert_eq!(mid.writes - before.writes, 2);
        assert_eq!(
            mid.flushes, before.flushes,
            "{durability:?}: bookkeeping flushed"
        );
        db.with(insert(3)).await.unwrap();
        let after = db.commits();
        assert_eq!(after.flushes - mid.flushes, flushed, "{durability:?}");
        assert_eq!(
            db.synchronous().await.unwrap(),
            match durability {
                Durability::Full => "FULL",
                Durability::Normal => "NORMAL",
            }
        );
        drop(db);
        // Everything reached the file.
        let c = Connection::open(d.join("hookline.db")).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// A commit on a caller's thread never copies the log into the file (milliseconds of
/// writes and flushes); the database thread does, after its next group.
#[tokio::test]
async fn the_log_is_checkpointed_on_the_database_thread() {
    let (d, db) = with_table("checkpoint", Durability::Full, "b BLOB").await;
    let db = db.with_quick_flush(Duration::ZERO);
    let inline = db.commits().inline;
    let pages = || {
        db.held
            .lock()
            .unwrap()
            .wal_pages
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    for _ in 0..50 {
        db.record(|c| {
            c.execute("INSERT INTO t (b) VALUES (zeroblob(100000))", [])
                .map(drop)
                .map_err(be)
        })
        .await
        .unwrap();
    }
    assert_eq!(db.commits().inline - inline, 50);
    let grown = pages();
    assert!(
        grown >= 1000,
        "the log holds {grown} pages: checkpointed by a caller"
    );
    // The first group checkpoints after it answers; the second runs after that.
    db.flush().await.unwrap();
    db.flush().await.unwrap();
    assert_eq!(pages(), 0, "checkpointed");
    assert_eq!(rows(&db).await, 50);
    close(d, db);
}

/// A bug that panics inside an operation on a caller's thread neither keeps its write nor
/// leaves the database stuck in its transaction.
#[tokio::test]
async fn an_operation_that_panics_leaves_the_database_usable() {
    let (d, db) = with_table("panic", Durability::Full, "n INTEGER").await;
    let other = db.clone();
    let panicked = tokio::spawn(async move {
        other
            .record(|c| -> crate::store::StoreResult<()> {
                c.execute("INSERT INTO t (n) VALUES (1)", []).unwrap();
                panic!("a bug in an operation")
            })
            .await
    })
    .await;
    assert!(panicked.is_err());
    db.with(insert(2)).await.unwrap();
    assert_eq!(
        rows(&db).await,
        1,
        "the panicking operation's write is gone"
    );
    assert_eq!(
        db.read(|_| Ok(here())).await.unwrap(),
        here(),
        "callers' threads run operations again"
    );
    close(d, db);
}
