//! The embedded queue: a table in the same SQLite database as the store, with SQS's semantics
//! (a received message is hidden for its visibility timeout and comes back unless deleted;
//! `change_visibility` sets the retry delay), and fairness across webhooks: messages are served
//! round-robin by group, and a group with its share in flight waits its turn (see
//! [`super::schedule`]). Times follow the database's clock.
//!
//! It is made for one consumer, the `hookline serve` process that owns the data directory:
//! the schedule lives in that process's memory.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::params;

use super::schedule::Schedule;
use super::{DeliveryTask, Queue, QueueError, QueueResult, Receipt, Received};
use crate::store::sqlite::{Ack, SqliteDb};

fn be(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> QueueError {
    QueueError::backend("sqlite queue", e)
}

/// The row a receipt handle (`{seq}.{ulid}`) refers to, so settling a message is a key lookup.
fn receipt_seq(receipt: &Receipt) -> QueueResult<i64> {
    receipt
        .0
        .split_once('.')
        .and_then(|(seq, _)| seq.parse().ok())
        .ok_or(QueueError::StaleReceipt)
}

/// Runs `f` on the database thread with the schedule (loaded from the table the first time);
/// store errors become queue errors. Sends are answered once committed; receiving and settling
/// as soon as they ran (lost on a crash, they only make a message come back).
async fn with<T, F>(db: &SqliteDb, ack: Ack, f: F) -> QueueResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut rusqlite::Connection, &mut Schedule) -> QueueResult<T> + Send + 'static,
{
    db.call(ack, move |c, s| {
        Ok((|| {
            if !s.loaded {
                load(c, s)?;
            }
            f(c, s)
        })())
    })
    .await
    .map_err(be)?
}

fn load(c: &rusqlite::Connection, s: &mut Schedule) -> QueueResult<()> {
    s.clear();
    let mut stmt = c
        .prepare("SELECT seq, grp, visible_at_ms, in_flight FROM queue")
        .map_err(be)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })
        .map_err(be)?;
    for row in rows {
        let (seq, grp, at, in_flight) = row.map_err(be)?;
        s.add(seq, &grp, at, in_flight);
    }
    s.loaded = true;
    Ok(())
}

/// The table rows of messages: body and group.
pub(crate) fn rows(tasks: &[DeliveryTask]) -> Vec<(String, String)> {
    tasks
        .iter()
        .map(|t| (t.encode(), t.group().to_string()))
        .collect()
}

/// Inserts messages visible at `now`; their sequence numbers and groups, for the schedule
/// once the write is sure to stay.
pub(crate) fn enqueue(
    c: &rusqlite::Connection,
    rows: &[(String, String)],
    now: i64,
) -> QueueResult<Vec<(i64, String)>> {
    let mut stmt = c
        .prepare_cached("INSERT INTO queue (body, visible_at_ms, grp) VALUES (?1, ?2, ?3)")
        .map_err(be)?;
    let mut added = Vec::with_capacity(rows.len());
    for (body, grp) in rows {
        stmt.execute(params![body, now, grp]).map_err(be)?;
        added.push((c.last_insert_rowid(), grp.clone()));
    }
    Ok(added)
}

/// The schedule of a database, loaded from its table the first time (for store operations
/// that also enqueue).
pub(crate) fn loaded<'a>(
    c: &rusqlite::Connection,
    s: &'a mut Schedule,
) -> QueueResult<&'a mut Schedule> {
    if !s.loaded {
        load(c, s)?;
    }
    Ok(s)
}

#[async_trait]
impl Queue for SqliteDb {
    async fn send(&self, tasks: &[DeliveryTask]) -> QueueResult<()> {
        let rows = rows(tasks);
        let now = self.now_ms();
        with(self, Ack::Committed, move |c, s| {
            let sp = c.savepoint().map_err(be)?;
            let added = enqueue(&sp, &rows, now)?;
            sp.commit().map_err(be)?;
            s.add_all(added, now);
            Ok(())
        })
        .await?;
        self.queue_signal.notify_waiters();
        Ok(())
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        let now = self.now_ms();
        let hidden_until = now + visibility.as_millis() as i64;
        let share = self.group_share;
        with(self, Ack::Ran, move |c, s| {
            let picked = s.take(now, max, share, hidden_until);
            if picked.is_empty() {
                return Ok(Vec::new());
            }
            let tx = c.savepoint().map_err(be)?;
            let mut out = Vec::with_capacity(picked.len());
            {
                let mut hide = tx
                    .prepare_cached(
                        "UPDATE queue SET visible_at_ms = ?1, receive_count = receive_count + 1,
                         receipt = ?2, in_flight = 1 WHERE seq = ?3
                         RETURNING body, receive_count",
                    )
                    .map_err(be)?;
                for seq in picked {
                    let receipt = format!("{seq}.{}", ulid::Ulid::new());
                    let (body, count): (String, i64) = hide
                        .query_row(params![hidden_until, receipt, seq], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .map_err(be)?;
                    out.push(Received {
                        receipt: Receipt(receipt),
                        task: DeliveryTask::decode(&body)?,
                        receive_count: count as u32,
                    });
                }
            }
            tx.commit().map_err(be)?;
            Ok(out)
        })
        .await
    }

    async fn delete(&self, receipts: &[Receipt]) -> QueueResult<()> {
        let receipts = receipts.to_vec();
        with(self, Ack::Ran, move |c, s| {
            let tx = c.savepoint().map_err(be)?;
            let mut gone = Vec::with_capacity(receipts.len());
            {
                let mut del = tx
                    .prepare_cached("DELETE FROM queue WHERE seq = ?1 AND receipt = ?2")
                    .map_err(be)?;
                for r in receipts {
                    let seq = receipt_seq(&r)?;
                    if del.execute(params![seq, r.0]).map_err(be)? == 1 {
                        gone.push(seq);
                    }
                }
            }
            tx.commit().map_err(be)?;
            for seq in gone {
                s.remove(seq);
            }
            Ok(())
        })
        .await?;
        self.queue_signal.notify_waiters();
        Ok(())
    }

    async fn change_visibility(&self, receipt: &Receipt, timeout: Duration) -> QueueResult<()> {
        let r = receipt.clone();
        let visible_at = self.now_ms() + timeout.as_millis() as i64;
        with(self, Ack::Ran, move |c, s| {
            let seq = receipt_seq(&r)?;
            let n = c
                .prepare_cached(
                    "UPDATE queue SET visible_at_ms = ?1, in_flight = 0 WHERE seq = ?2 AND receipt = ?3",
                )
                .map_err(be)?
                .execute(params![visible_at, seq, r.0])
                .map_err(be)?;
            if n == 0 {
                return Err(QueueError::StaleReceipt);
            }
            s.delay(seq, visible_at);
            Ok(())
        })
        .await?;
        self.queue_signal.notify_waiters();
        Ok(())
    }

    async fn wait(&self, timeout: Duration) {
        let signal = self.queue_signal.notified();
        let now = self.now_ms();
        let next = with(self, Ack::Ran, |_, s| Ok(s.next_visible()))
            .await
            .ok()
            .flatten();
        let wait = match next {
            Some(at) if at <= now => return,
            Some(at) => timeout.min(Duration::from_millis((at - now) as u64)),
            None => timeout,
        };
        tokio::select! {
            _ = signal => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }

    async fn release_in_flight(&self) -> QueueResult<u64> {
        let now = self.now_ms();
        with(self, Ack::Committed, move |c, s| {
            let n = c
                .execute(
                    "UPDATE queue SET visible_at_ms = ?1, in_flight = 0 WHERE in_flight = 1",
                    [now],
                )
                .map_err(be)?;
            load(c, s)?;
            Ok(n as u64)
        })
        .await
    }
}
