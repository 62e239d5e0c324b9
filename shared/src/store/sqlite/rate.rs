//! Request bookkeeping of the API: the rate limiter's counters (one row per key and window,
//! counted with an upsert) and idempotency keys (one row per key); both removed with the other
//! expired items.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be, from_doc, to_doc};
use crate::store::{IdempotencyRecord, IdempotencyStore, RateStore, StoreResult};

#[async_trait]
impl RateStore for SqliteDb {
    async fn count_request(&self, key: &str, window: i64, expires: i64) -> StoreResult<u64> {
        let key = key.to_string();
        // Answered once counted, not after the flush: a count lost to a power cut only lets
        // a few more requests through.
        self.record(move |c| {
            c.prepare_cached(
                "INSERT INTO rate_counters (key, window_start, count, expires) VALUES (?1, ?2, 1, ?3) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count",
            )
            .map_err(be)?
            .query_row(params![key, window, expires], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(be)
        })
        .await
    }

    async fn reserve_slot(&self, key: &str, now: i64, span: i64, expires: i64) -> StoreResult<i64> {
        let key = key.to_string();
        // Like a counter, answered once written: a reservation lost to a power cut only lets
        // a few deliveries go sooner.
        self.record(move |c| {
            c.prepare_cached(
                "INSERT INTO rate_schedules (key, next_ms, expires) VALUES (?1, ?2 + ?3, ?4) \
                 ON CONFLICT (key) DO UPDATE SET next_ms = max(next_ms, ?2) + ?3, expires = ?4 \
                 RETURNING next_ms",
            )
            .map_err(be)?
            .query_row(params![key, now, span, expires], |r| r.get::<_, i64>(0))
            .map(|next| next - span)
            .map_err(be)
        })
        .await
    }
}

#[async_trait]
impl IdempotencyStore for SqliteDb {
    async fn claim_idempotency(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        now: i64,
        expires: i64,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let (key, doc) = (key.to_string(), to_doc(record)?);
        // Acknowledged after the flush: the claim is what stops a second request.
        let held: Option<String> = self
            .with(move |c| {
                let claimed = c
                    .prepare_cached(
                        "INSERT INTO idempotency (key, doc, expires) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (key) DO UPDATE SET doc = ?2, expires = ?3 WHERE expires <= ?4",
                    )
                    .map_err(be)?
                    .execute(params![key, doc, expires, now])
                    .map_err(be)?;
                if claimed == 1 {
                    return Ok(None);
                }
                c.prepare_cached("SELECT doc FROM idempotency WHERE key = ?1")
                    .map_err(be)?
                    .query_row([&key], |r| r.get(0))
                    .map(Some)
                    .map_err(be)
            })
            .await?;
        held.map(|d| from_doc(&d)).transpose()
    }

    async fn complete_idempotency(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        expires: i64,
    ) -> StoreResult<()> {
        let (key, doc) = (key.to_string(), to_doc(record)?);
        self.with(move |c| {
            c.prepare_cached("UPDATE idempotency SET doc = ?2, expires = ?3 WHERE key = ?1")
                .map_err(be)?
                .execute(params![key, doc, expires])
                .map(drop)
                .map_err(be)
        })
        .await
    }

    async fn release_idempotency(&self, key: &str) -> StoreResult<()> {
        let key = key.to_string();
        self.with(move |c| {
            c.execute("DELETE FROM idempotency WHERE key = ?1", [key])
                .map(drop)
                .map_err(be)
        })
        .await
    }
}
