//! The embedded queue: a table in the same SQLite database as the store, with SQS's semantics
//! (a received message is hidden for its visibility timeout and comes back unless deleted;
//! `change_visibility` sets the retry delay). Times follow the database's clock.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::params;

use super::{DeliveryTask, Queue, QueueError, QueueResult, Receipt, Received};
use crate::store::sqlite::SqliteDb;

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

/// Runs `f` on the shared connection; store errors become queue errors.
async fn with<T, F>(db: &SqliteDb, f: F) -> QueueResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut rusqlite::Connection) -> QueueResult<T> + Send + 'static,
{
    db.with(move |c| Ok(f(c))).await.map_err(be)?
}

#[async_trait]
impl Queue for SqliteDb {
    async fn send(&self, tasks: &[DeliveryTask]) -> QueueResult<()> {
        let bodies: Vec<String> = tasks.iter().map(DeliveryTask::encode).collect();
        let now = self.now_ms();
        with(self, move |c| {
            let tx = c.transaction().map_err(be)?;
            {
                let mut stmt = tx
                    .prepare_cached("INSERT INTO queue (body, visible_at_ms) VALUES (?1, ?2)")
                    .map_err(be)?;
                for b in bodies {
                    stmt.execute(params![b, now]).map_err(be)?;
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        let now = self.now_ms();
        with(self, move |c| {
            let tx = c.transaction().map_err(be)?;
            let rows: Vec<(i64, String, i64)> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT seq, body, receive_count FROM queue WHERE visible_at_ms <= ?1
                         ORDER BY visible_at_ms, seq LIMIT ?2",
                    )
                    .map_err(be)?;
                let it = stmt
                    .query_map(params![now, max as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .map_err(be)?;
                it.collect::<rusqlite::Result<_>>().map_err(be)?
            };
            let mut out = Vec::with_capacity(rows.len());
            {
                let mut hide = tx
                    .prepare_cached(
                        "UPDATE queue SET visible_at_ms = ?1, receive_count = receive_count + 1,
                         receipt = ?2 WHERE seq = ?3",
                    )
                    .map_err(be)?;
                for (seq, body, count) in rows {
                    let receipt = format!("{seq}.{}", ulid::Ulid::new());
                    hide.execute(params![now + visibility.as_millis() as i64, receipt, seq])
                        .map_err(be)?;
                    out.push(Received {
                        receipt: Receipt(receipt),
                        task: DeliveryTask::decode(&body)?,
                        receive_count: count as u32 + 1,
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
        with(self, move |c| {
            let tx = c.transaction().map_err(be)?;
            {
                let mut del = tx
                    .prepare_cached("DELETE FROM queue WHERE seq = ?1 AND receipt = ?2")
                    .map_err(be)?;
                for r in receipts {
                    del.execute(params![receipt_seq(&r)?, r.0]).map_err(be)?;
                }
            }
            tx.commit().map_err(be)
        })
        .await
    }

    async fn change_visibility(&self, receipt: &Receipt, timeout: Duration) -> QueueResult<()> {
        let r = receipt.clone();
        let visible_at = self.now_ms() + timeout.as_millis() as i64;
        with(self, move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE queue SET visible_at_ms = ?1 WHERE seq = ?2 AND receipt = ?3",
                )
                .map_err(be)?
                .execute(params![visible_at, receipt_seq(&r)?, r.0])
                .map_err(be)?;
            if n == 0 {
                return Err(QueueError::StaleReceipt);
            }
            Ok(())
        })
        .await
    }
}
