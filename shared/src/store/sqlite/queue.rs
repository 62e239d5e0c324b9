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
use crate::store::{StoreError, StoreResult};

fn be(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> QueueError {
    QueueError::backend("sqlite queue", e)
}

/// What the last look at the schedule found: nothing to receive before `at` (`None`: nothing
/// waits at all), for as long as the schedule stays at `version`.
///
/// Why: at a light load the consumer looks at the queue each time it is told of a change and
/// each time a delivery of its own finishes, and a look that finds nothing is followed by a
/// wait that asks when to look next. Those were six of a delivery's eleven operations at 200
/// a second. A look the schedule cannot have changed since (its version, which the database
/// publishes after each operation, is the same, and `at` has not come) is answered here.
/// Nothing is missed: a change is published before its caller is answered, and only then
/// does it signal the queue, so a waiter sees either the new version or the signal.
///
/// Under load (operations queued for the database thread) the consumer does not wait for a
/// settle's signal when ready messages wait only for their webhook's share: it asks again at
/// once, and its receive joins the group right behind the settles that free the share. Waiting
/// for the signal would cost it a group commit each time (one webhook's deliveries flat out
/// went from about 6,000 a second to 5,300).
#[derive(Default)]
pub(crate) struct Idle(std::sync::Mutex<Option<Look>>);

#[derive(Clone, Copy)]
struct Look {
    version: u64,
    at: Option<i64>,
    held_back: bool,
}

impl Look {
    fn of(s: &Schedule, share: usize) -> Look {
        Look {
            version: s.version(),
            at: s.next_visible(share),
            held_back: s.held_back(),
        }
    }
}

impl Idle {
    fn set(&self, look: Look) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(look);
    }

    /// The last look, if it still holds at `version`.
    fn get(&self, version: u64) -> Option<Look> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .filter(|l| l.version == version)
    }
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
    db.call(ack, move |c, s| Ok(loaded(c, s).and_then(|s| f(c, s))))
        .await
        .map_err(be)?
}

/// Deletes the messages `receipts` still hold: a stale receipt (the message was received
/// again since) settles nothing.
fn delete_held(
    c: &rusqlite::Connection,
    s: &mut Schedule,
    receipts: &[Receipt],
) -> QueueResult<()> {
    let mut del = c
        .prepare_cached("DELETE FROM queue WHERE seq = ?1")
        .map_err(be)?;
    for r in receipts {
        let (seq, token) = parse_receipt(r)?;
        if s.holds(seq, token) {
            del.execute([seq]).map_err(be)?;
            s.remove(seq);
        }
    }
    Ok(())
}

impl SqliteDb {
    /// Runs `write`, then deletes the messages of `receipts`, in one transaction (the engine's
    /// settle of first-try successes: their records, then their messages).
    pub(crate) async fn settle_after<F>(&self, receipts: &[Receipt], write: F) -> StoreResult<()>
    where
        F: FnOnce(&mut rusqlite::Connection) -> StoreResult<()> + Send + 'static,
    {
        let receipts = receipts.to_vec();
        let done = self
            .call(Ack::Ran, move |c, s| {
                let queue = |e: QueueError| StoreError::backend("queue", e.to_string());
                let s = loaded(c, s).map_err(queue)?;
                write(c)?;
                delete_held(c, s, &receipts).map_err(queue)
            })
            .await;
        self.queue_signal.notify_waiters();
        done
    }
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

/// Puts messages `enqueue` added (`rows`, its input) on the schedule, with their bodies for
/// their first receive.
pub(crate) fn keep_added(
    s: &mut Schedule,
    added: Vec<(i64, String)>,
    rows: Vec<(String, String)>,
    now: i64,
) {
    let seqs: Vec<i64> = added.iter().map(|(seq, _)| *seq).collect();
    s.add_all(added, now);
    s.keep(seqs.into_iter().zip(rows.into_iter().map(|(body, _)| body)));
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
            keep_added(s, added, rows, now);
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
        if !self.busy()
            && let Some(look) = self.idle.get(self.schedule_version())
            && look.at.is_none_or(|at| at > now)
        {
            return Ok(Vec::new());
        }
        let idle = self.idle.clone();
        let pick = move |c: &rusqlite::Connection, s: &mut Schedule| {
            let s = loaded(c, s)?;
            let picked = s.take(now, max, share, hidden_until);
            if picked.len() < max {
                idle.set(Look::of(s, share));
            }
            let mut out = Vec::with_capacity(picked.len());
            for (seq, token, receives) in picked {
                let text = match s.fresh_body(seq) {
                    Some(text) => text,
                    None => c
                        .prepare_cached("SELECT body FROM queue WHERE seq = ?1")
                        .map_err(be)?
                        .query_row([seq], |r| r.get(0))
                        .map_err(be)?,
                };
                out.push((seq, token, receives, text));
            }
            Ok::<_, QueueError>(out)
        };
        // Receiving writes nothing, and a message this process sent a moment ago has its body
        // in memory: on a free connection a receive takes no transaction (at 200 publishes a
        // second, its own transaction and read were 9 % of the server's CPU). Otherwise it
        // joins the database thread's next group. The bodies are decoded here, off the
        // database thread that every operation waits on.
        let picked = match self.try_outside(pick.clone()) {
            Some(picked) => picked?,
            None => with(self, Ack::Ran, move |c, s| pick(c, s)).await?,
        };
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
        with(self, Ack::Ran, move |c, s| delete_held(c, s, &receipts)).await?;
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
        let share = self.group_share;
        let look = match self.idle.get(self.schedule_version()) {
            Some(look) => Some(look),
            None => {
                let idle = self.idle.clone();
                with(self, Ack::Ran, move |_, s| {
                    let look = Look::of(s, share);
                    idle.set(look);
                    Ok(look)
                })
                .await
                .ok()
            }
        };
        if look.is_some_and(|l| l.held_back) && self.busy() {
            return;
        }
        let next = look.and_then(|l| l.at);
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
#[path = "queue_tests.rs"]
mod tests;
