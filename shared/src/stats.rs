//! Per-webhook delivery statistics, kept as counters (never computed by scanning the log).
//!
//! The delivery engine records status transitions and attempts into a [`StatsBuffer`]; the
//! drivers flush it once per batch, so a busy endpoint costs a few counter writes per batch
//! rather than per delivery. Response times go into a fixed histogram; percentiles are read off
//! it as the upper bound of the bucket that holds them.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::model::{Attempt, DeliveryStatus, Timestamp};
use crate::store::{Counters, Store};

/// Upper bounds (ms) of the response time histogram; the last bucket is open.
pub const RT_BOUNDS_MS: [u64; 11] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/// The counter of deliveries held back by their webhook's rate limit (each hold counts once).
pub const HELD: &str = "held";

fn status_counter(s: DeliveryStatus) -> String {
    format!("d_{}", s.as_str())
}

/// Adds what one processed message changed: a first sighting counts as pending, a status change
/// moves one delivery between statuses, and an attempt counts with its response time.
pub fn record(
    c: &mut Counters,
    first_seen: bool,
    before: DeliveryStatus,
    after: DeliveryStatus,
    attempt: Option<&Attempt>,
) {
    if first_seen {
        *c.entry(status_counter(before)).or_default() += 1;
    }
    if before != after {
        *c.entry(status_counter(before)).or_default() -= 1;
        *c.entry(status_counter(after)).or_default() += 1;
    }
    if let Some(a) = attempt {
        *c.entry("a_total".into()).or_default() += 1;
        *c.entry(
            if a.succeeded() {
                "a_succeeded"
            } else {
                "a_failed"
            }
            .into(),
        )
        .or_default() += 1;
        if a.status_code.is_some() {
            let bucket = RT_BOUNDS_MS
                .iter()
                .position(|b| a.duration_ms <= *b)
                .unwrap_or(RT_BOUNDS_MS.len());
            *c.entry(format!("rt_{bucket:02}")).or_default() += 1;
        }
    }
}

/// Counters waiting to be written, per (tenant, webhook, hour).
#[derive(Default)]
pub struct StatsBuffer {
    pending: Mutex<HashMap<(TenantId, WebhookId, i64), Counters>>,
}

impl StatsBuffer {
    pub fn add(&self, tenant: &TenantId, webhook: &WebhookId, at: Timestamp, c: Counters) {
        if c.is_empty() {
            return;
        }
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let slot = p
            .entry((tenant.clone(), webhook.clone(), at.timestamp() / 3600))
            .or_default();
        for (k, v) in c {
            *slot.entry(k).or_default() += v;
        }
    }

    /// Writes everything buffered (one write per webhook and hour, on a random shard).
    pub async fn flush(&self, store: &dyn Store, shards: u32) -> Result<()> {
        let batch: Vec<_> = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        // Every webhook's counters at once (a batch to ten webhooks is ten writes' time, not
        // the sum of them); one webhook's failure does not keep the others from being written.
        use futures::StreamExt;
        let results: Vec<_> = futures::stream::iter(batch)
            .map(|((tenant, webhook, hour), counters)| async move {
                let shard = rand::random::<u32>() % shards.max(1);
                store
                    .add_stats(&tenant, &webhook, hour, shard, &counters)
                    .await
            })
            .buffer_unordered(8)
            .collect()
            .await;
        results
            .into_iter()
            .collect::<std::result::Result<Vec<()>, _>>()?;
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    pub pending: Option<i64>,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct AttemptCounts {
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct ResponseTimes {
    /// Upper bound of the histogram bucket holding the median (ms); `None` without responses.
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct Period {
    /// Deliveries by status. For the last 24 hours: deliveries that reached each final status
    /// in that time (`pending` is only given all-time).
    pub deliveries: StatusCounts,
    pub attempts: AttemptCounts,
    /// Succeeded / (succeeded + failed) deliveries; `None` before any settled.
    pub success_rate: Option<f64>,
    pub response_time: ResponseTimes,
    /// Times a due delivery was held back by the webhook's rate limit (not attempts).
    #[serde(default)]
    pub held_back: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct StatsOut {
    pub webhook_id: WebhookId,
    pub all_time: Period,
    pub last_24h: Period,
    /// The last 24 hours (or the `hours` asked for) hour by hour, oldest first (hours without
    /// activity included).
    pub hourly: Vec<HourOut>,
    pub computed_at: chrono::DateTime<chrono::Utc>,
}

/// One hour of a webhook's activity.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct HourOut {
    /// The start of the hour.
    pub hour: chrono::DateTime<chrono::Utc>,
    /// Deliveries that reached a final status in this hour.
    pub succeeded: i64,
    pub failed: i64,
    /// Attempts made in this hour, and their response time.
    pub attempts: i64,
    pub failed_attempts: i64,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    /// Times a due delivery was held back by the rate limit in this hour.
    #[serde(default)]
    pub held_back: i64,
}

fn percentile(c: &Counters, p: f64) -> Option<u64> {
    let counts: Vec<i64> = (0..=RT_BOUNDS_MS.len())
        .map(|i| c.get(&format!("rt_{i:02}")).copied().unwrap_or(0))
        .collect();
    let total: i64 = counts.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = (p * total as f64).ceil() as i64;
    let mut seen = 0;
    for (i, n) in counts.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return Some(RT_BOUNDS_MS.get(i).copied().unwrap_or(u64::MAX));
        }
    }
    None
}

fn period(c: &Counters, with_pending: bool) -> Period {
    let g = |k: &str| c.get(k).copied().unwrap_or(0);
    let (ok, failed) = (g("d_succeeded"), g("d_failed"));
    Period {
        deliveries: StatusCounts {
            pending: with_pending.then(|| g("d_pending")),
            succeeded: ok,
            failed,
            cancelled: g("d_cancelled"),
        },
        attempts: AttemptCounts {
            total: g("a_total"),
            succeeded: g("a_succeeded"),
            failed: g("a_failed"),
        },
        success_rate: (ok + failed > 0).then(|| ok as f64 / (ok + failed) as f64),
        held_back: g(HELD),
        response_time: ResponseTimes {
            p50_ms: percentile(c, 0.50),
            p95_ms: percentile(c, 0.95),
        },
    }
}

/// The most hours a stats read covers hour by hour (a week).
pub use crate::store::STATS_MAX_HOURS as MAX_HOURS;

/// The statistics of one webhook: all time, the last 24 hours, and the last `span` hours hour
/// by hour.
pub async fn webhook_stats(
    store: &dyn Store,
    tenant: &TenantId,
    webhook: &WebhookId,
    now: Timestamp,
    span: u32,
) -> Result<StatsOut> {
    let now_hour = now.timestamp() / 3600;
    let first_hour = now_hour - i64::from(span.clamp(1, MAX_HOURS)) + 1;
    let day_start = now_hour - 23;
    let (all, hours) = store
        .read_stats(tenant, webhook, first_hour.min(day_start))
        .await?;
    // In the last 24 hours, a delivery counts once it has reached a final status.
    let mut recent = Counters::new();
    for (name, v) in hours.range(day_start..).flat_map(|(_, c)| c) {
        if name != "d_pending" {
            *recent.entry(name.clone()).or_default() += v;
        }
    }
    let empty = Counters::new();
    let hourly = (first_hour..=now_hour)
        .map(|h| {
            let c = hours.get(&h).unwrap_or(&empty);
            let g = |k: &str| c.get(k).copied().unwrap_or(0);
            HourOut {
                hour: chrono::DateTime::from_timestamp(h * 3600, 0).unwrap_or_default(),
                succeeded: g("d_succeeded"),
                failed: g("d_failed"),
                attempts: g("a_total"),
                failed_attempts: g("a_failed"),
                p50_ms: percentile(c, 0.50),
                p95_ms: percentile(c, 0.95),
                held_back: g(HELD),
            }
        })
        .collect();
    Ok(StatsOut {
        webhook_id: webhook.clone(),
        all_time: period(&all, true),
        last_24h: period(&recent, false),
        hourly,
        computed_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(code: u16, ms: u64) -> Attempt {
        Attempt {
            at: chrono::Utc::now(),
            status_code: Some(code),
            duration_ms: ms,
            response_excerpt: None,
            error_kind: None,
            error: None,
            manual: false,
            retry_id: None,
            key_id: None,
            rule: None,
            request_headers: None,
        }
    }

    #[test]
    fn transitions_and_percentiles() {
        let mut c = Counters::new();
        record(
            &mut c,
            true,
            DeliveryStatus::Pending,
            DeliveryStatus::Pending,
            Some(&attempt(500, 30)),
        );
        record(
            &mut c,
            false,
            DeliveryStatus::Pending,
            DeliveryStatus::Succeeded,
            Some(&attempt(200, 200)),
        );
        record(
            &mut c,
            true,
            DeliveryStatus::Pending,
            DeliveryStatus::Failed,
            Some(&attempt(503, 7)),
        );
        let p = period(&c, true);
        assert_eq!(
            p.deliveries,
            StatusCounts {
                pending: Some(0),
                succeeded: 1,
                failed: 1,
                cancelled: 0
            }
        );
        assert_eq!(
            p.attempts,
            AttemptCounts {
                total: 3,
                succeeded: 1,
                failed: 2
            }
        );
        assert_eq!(p.success_rate, Some(0.5));
        assert_eq!(
            p.response_time,
            ResponseTimes {
                p50_ms: Some(50),
                p95_ms: Some(250)
            }
        );
    }
}
