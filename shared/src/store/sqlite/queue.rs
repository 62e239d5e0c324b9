//! The embedded queue: a table in the same SQLite database as the store, with SQS's semantics
//! (a received message is hidden for its visibility timeout and comes back unless deleted;
//! `change_visibility` sets the retry delay), and fairness across webhooks: messages are served
//! round-robin by group, and a group with its share in flight waits its turn (see
//! [`crate::queue::schedule`]). Times follow the database's clock.
//!
//! It is made for one consumer, the `hookline serve` process that owns the data directory:
//! the schedule lives in that process's memory.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::params;

use crate::queue::schedule::Schedule;
use crate::queue::{DeliveryTask, Queue, QueueError, QueueResult, Receipt, Received};
use crate::store::sqlite::{Ack, SqliteDb};

fn be(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> QueueError {
    QueueError::backend("sqlite queue", e)
}

/// A receipt handle is `{seq}.{token}`: the message, and which receive of it may settle it.
fn receipt_of(seq: i64, token: u64) -> Receipt {
    Receipt(format!("{seq}.{token}"))
}

fn parse_receipt(receipt: &Receipt) -> QueueResult<(i64, u64)> {
    receipt
        .0
        .split_once('.')
        .and_then(|(seq, token)| Some((seq.parse().ok()?, token.parse().ok()?)))
        .ok_or(QueueError::StaleReceipt)
}

/// Runs `f` on the database thread with the schedule (loaded from the table the first time);
/// store errors become queue errors. Sends are answered once committed; receiving and settling
/// as soon as they ran (lost on a crash, they only make a message come back).
/// How long a message this build cannot read is hidden before it is tried again.
const UNREADABLE_RETRY_MS: i64 = 3_600_000;

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
        .prepare("SELECT seq, grp, visible_at_ms, receive_count FROM queue ORDER BY seq")
        .map_err(be)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(be)?;
    // Nothing is in flight in a process that just started: what a crashed predecessor had in
    // flight is visible again at once.
    for row in rows {
        let (seq, grp, at, receives) = row.map_err(be)?;
        s.add(seq, &grp, at, false, receives as u32);
    }
    s.loaded = true;
    Ok(())
}

/// The table rows of messages: body and group.
pub(crate) fn rows(tasks: &[DeliveryTask]) -> Vec<(String, String)> {
    tasks
        .iter()
        .map(|t| {
            let group = match t.ordered() {
                true => format!("{}{}", crate::queue::schedule::ORDERED, t.group()),
                false => t.group().to_string(),
            };
            (t.encode(), group)
        })
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
        self.send_delayed(tasks, Duration::ZERO).await
    }

    async fn send_delayed(&self, tasks: &[DeliveryTask], delay: Duration) -> QueueResult<()> {
        let rows = rows(tasks);
        let now = self.now_ms() + delay.as_millis() as i64;
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

    /// Receiving writes nothing: which messages are in flight, and how often they were
    /// received, is kept in the schedule (a restart makes them visible again anyway).
    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        let now = self.now_ms();
        let hidden_until = now + visibility.as_millis() as i64;
        let share = self.group_share;
        // The bodies are decoded here, off the database thread that every operation waits on.
        let picked = with(self, Ack::Ran, move |c, s| {
            let picked = s.take(now, max, share, hidden_until);
            let mut out = Vec::with_capacity(picked.len());
            let mut body = c
                .prepare_cached("SELECT body FROM queue WHERE seq = ?1")
                .map_err(be)?;
            for (seq, token, receives) in picked {
                let text: String = body.query_row([seq], |r| r.get(0)).map_err(be)?;
                out.push((seq, token, receives, text));
            }
            Ok(out)
        })
        .await?;
        let mut out = Vec::with_capacity(picked.len());
        let mut unreadable = Vec::new();
        for (seq, token, receives, text) in picked {
            match DeliveryTask::decode(&text) {
                Ok(task) => out.push(Received {
                    receipt: receipt_of(seq, token),
                    task,
                    receive_count: receives,
                }),
                Err(e) => {
                    // A message this build cannot read (of a newer format, or damaged) would
                    // fail every receive that picks it, holding up the others. It stays on the
                    // queue for a build that can, hidden for an hour between tries, and each
                    // try is logged with its body.
                    tracing::error!(seq, error = %e, body = %text, "queue message cannot be read by this build; left on the queue, retried in an hour");
                    unreadable.push((seq, token));
                }
            }
        }
        if !unreadable.is_empty() {
            with(self, Ack::Ran, move |_, s| {
                for (seq, token) in unreadable {
                    if s.holds(seq, token) {
                        s.delay(seq, now + UNREADABLE_RETRY_MS);
                    }
                }
                Ok(())
            })
            .await?;
        }
        Ok(out)
    }

    async fn delete(&self, receipts: &[Receipt]) -> QueueResult<()> {
        let receipts = receipts.to_vec();
        with(self, Ack::Ran, move |c, s| {
            let mut del = c
                .prepare_cached("DELETE FROM queue WHERE seq = ?1")
                .map_err(be)?;
            for r in receipts {
                let (seq, token) = parse_receipt(&r)?;
                // A stale receipt (the message was received again since) settles nothing.
                if s.holds(seq, token) {
                    del.execute([seq]).map_err(be)?;
                    s.remove(seq);
                }
            }
            Ok(())
        })
        .await?;
        self.queue_signal.notify_waiters();
        Ok(())
    }

    /// The retry delay is written (with the receive count), so it survives a restart.
    async fn change_visibility(&self, receipt: &Receipt, timeout: Duration) -> QueueResult<()> {
        let r = receipt.clone();
        let visible_at = self.now_ms() + timeout.as_millis() as i64;
        with(self, Ack::Ran, move |c, s| {
            let (seq, token) = parse_receipt(&r)?;
            if !s.holds(seq, token) {
                return Err(QueueError::StaleReceipt);
            }
            c.prepare_cached(
                "UPDATE queue SET visible_at_ms = ?1, receive_count = ?2 WHERE seq = ?3",
            )
            .map_err(be)?
            .execute(params![visible_at, s.receives(seq), seq])
            .map_err(be)?;
            s.delay(seq, visible_at);
            Ok(())
        })
        .await?;
        self.queue_signal.notify_waiters();
        Ok(())
    }

    fn keeps_order(&self) -> bool {
        true
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

    /// Nothing is written as in flight (see `receive`): a restart already sends at once what
    /// a crashed predecessor had in flight. Reloading the schedule does the same in a running
    /// process.
    async fn release_in_flight(&self) -> QueueResult<u64> {
        with(self, Ack::Ran, move |c, s| {
            let before = s.in_flight_count();
            load(c, s)?;
            Ok(before as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{DeliveryRef, Queue};

    fn task(n: u32) -> DeliveryTask {
        DeliveryTask::Scheduled(DeliveryRef {
            tenant_id: "t".parse().unwrap(),
            delivery_id: format!("del_{n}").parse().unwrap(),
            webhook_id: format!("wh_{n}").parse().unwrap(),
            event_id: format!("evt_{n}").parse().unwrap(),
            event_type: None,
            resent: false,
            body: None,
            expires_at: None,
            lean: false,
            ordered: false,
        })
    }

    #[tokio::test]
    async fn a_message_that_cannot_be_read_does_not_hold_up_the_others_and_is_kept() {
        let db = SqliteDb::in_memory().unwrap();
        db.send(&[task(1), task(2)]).await.unwrap();
        db.with(|c| {
            c.execute(
                "UPDATE queue SET body = 'not a task' WHERE body LIKE '%del_1%'",
                [],
            )
            .map(drop)
            .map_err(crate::store::sqlite::be)
        })
        .await
        .unwrap();
        let got = db.receive(10, Duration::from_secs(30)).await.unwrap();
        assert_eq!(
            got.iter().map(|m| m.task.clone()).collect::<Vec<_>>(),
            [task(2)]
        );
        let left: i64 = db
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get(0))
                    .map_err(crate::store::sqlite::be)
            })
            .await
            .unwrap();
        assert_eq!(
            left, 2,
            "the unreadable one stays for a build that can read it"
        );
        assert!(
            db.receive(10, Duration::from_secs(30))
                .await
                .unwrap()
                .is_empty(),
            "not offered again at once"
        );
    }
}
