//! The rate limiter's counters: one row per key and window, counted with an upsert; removed
//! with the other expired items.

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be};
use crate::store::{RateStore, StoreResult};

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
}
