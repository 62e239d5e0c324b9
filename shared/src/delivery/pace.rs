//! Pacing a webhook's deliveries to its receiver's terms: its `rate_limit` (at most N a
//! second, across every process that delivers), a pause when the receiver answers 429 or 503
//! with `Retry-After`, and a lower rate while it keeps answering 429.
//!
//! The limit is a schedule kept in the store and shared by every process and Lambda
//! instance (the generic cell rate algorithm): each delivery reserves the next 1/N s of it,
//! one atomic write. A slot that starts now goes now; a later one is the delivery's own: it
//! is held until then (not an attempt), comes back, and goes without asking again. So a
//! backlog drains at exactly the limit, each delivery held at most once, and no second holds
//! more than N. A process that keeps up claims a hundredth of the limit's slots at once (at
//! least one), so a webhook at 10,000/s costs a hundred writes a second, not ten thousand.
//! On SQS a hold lasts whole seconds (its visibility timeout), so there deliveries go in
//! clumps at the second, at the same rate. A webhook without a limit costs nothing here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::ids::WebhookId;
use crate::model::{Attempt, Health, Webhook, rate_in_force};
use crate::store::RateStore;

/// How long a receiver's `Retry-After` may pause a webhook: no longer than an hour (the
/// default retry interval).
const MAX_PAUSE: Duration = Duration::from_secs(3600);

/// The rate in force changes at most once a second: a burst of 429s answered together is one
/// signal, not ten halvings.
const ADJUST_EVERY: TimeDelta = TimeDelta::seconds(1);

/// How late a delivery may still use its reserved slot: SQS holds a message whole seconds
/// (a slot 0.2 s away comes back after 1 s), plus a poll.
const SLOT_GRACE: TimeDelta = TimeDelta::seconds(2);

/// Why a due delivery waits without a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Its turn under the webhook's rate limit (the rate in force) is later.
    RateLimit(u32),
    /// The receiver asked to wait (`Retry-After`).
    Paused,
}

pub enum Pace {
    Go,
    /// Wait until then; `reserved`: the slot at that time is the delivery's.
    Hold {
        until: Timestamp,
        why: Held,
        reserved: bool,
    },
}

/// Slots this process reserved for one webhook and has not used yet.
#[derive(Default)]
struct Claimed {
    /// The start of the latest slot it reserved (µs): when it is past, the webhook's
    /// schedule is not ahead of this process, and claiming several at once wastes none.
    latest: i64,
    left: u32,
}

pub struct Pacer {
    store: Arc<dyn RateStore>,
    claimed: Mutex<HashMap<WebhookId, Claimed>>,
}

impl Pacer {
    pub fn new(store: Arc<dyn RateStore>) -> Self {
        Pacer {
            store,
            claimed: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a scheduled delivery to `webhook`, whose freshest health is `health`, may go
    /// at `now`: its pause is over, and its slot (`reserved` when it holds one) has come.
    pub async fn take(
        &self,
        webhook: &Webhook,
        health: &Health,
        reserved: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Pace> {
        if let Some(until) = health.paused_until.filter(|p| *p > now) {
            return Ok(Pace::Hold {
                until,
                why: Held::Paused,
                reserved: false,
            });
        }
        let Some(rate) = rate_in_force(webhook.rate_limit, health) else {
            return Ok(Pace::Go);
        };
        match reserved {
            // Back before its time (a duplicate message): it keeps its slot.
            Some(at) if at > now => {
                return Ok(Pace::Hold {
                    until: at,
                    why: Held::RateLimit(rate),
                    reserved: true,
                });
            }
            Some(at) if now - at <= SLOT_GRACE => return Ok(Pace::Go),
            // Its slot is long gone (the queue or the function lagged): sent now, with every
            // other latecomer, it would be a burst; it takes a new one.
            _ => {}
        }
        let now_us = now.timestamp_micros();
        let block = {
            let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
            let c = claimed.entry(webhook.id.clone()).or_default();
            if c.left > 0 && c.latest <= now_us {
                c.left -= 1;
                return Ok(Pace::Go);
            }
            // Behind the schedule, one slot at a time: a held delivery uses one.
            match c.latest <= now_us {
                true => (rate / 100).max(1),
                false => 1,
            }
        };
        let interval = 1_000_000 / i64::from(rate);
        let key = format!("deliver:{}:{}", webhook.tenant_id, webhook.id);
        // Kept a day past the slot: a schedule far ahead (a long backlog) stays.
        let slot = self
            .store
            .reserve_slot(
                &key,
                now_us,
                interval * i64::from(block),
                now.timestamp() + 86_400,
            )
            .await?;
        let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
        let c = claimed.entry(webhook.id.clone()).or_default();
        c.latest = c.latest.max(slot);
        if slot <= now_us {
            c.left = block - 1;
            return Ok(Pace::Go);
        }
        Ok(Pace::Hold {
            until: Timestamp::from_timestamp_micros(slot).unwrap_or(now),
            why: Held::RateLimit(rate),
            reserved: true,
        })
    }
}

/// What an attempt tells the pacing of its webhook.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signal {
    /// The receiver's `Retry-After`, on a 429 or a 503.
    pub pause: Option<Duration>,
    /// A 429: the receiver is over its own limit.
    pub too_many: bool,
    pub succeeded: bool,
}

impl Signal {
    pub fn of(attempt: &Attempt, retry_after: Option<Duration>) -> Self {
        let code = attempt.status_code;
        Signal {
            pause: retry_after.filter(|_| matches!(code, Some(429 | 503))),
            too_many: code == Some(429),
            succeeded: attempt.succeeded(),
        }
    }
}

/// The health after an attempt as pacing sees it, from what the breaker made of it
/// (`proposal`, `None` when it changed nothing) and the health it was made from. A pause
/// lasts until the latest `Retry-After`; under a limit, a 429 halves the rate in force and a
/// success raises it by a quarter, each at most once a second, until it is the limit again.
/// `None` when nothing changed (a healthy webhook costs no write).
pub fn adjust(
    proposal: Option<Health>,
    current: &Health,
    limit: Option<u32>,
    signal: Signal,
    now: Timestamp,
) -> Option<Health> {
    let mut h = proposal.clone().unwrap_or_else(|| current.clone());
    let mut changed = false;
    if let Some(wait) = signal.pause {
        let until = now + TimeDelta::from_std(wait.min(MAX_PAUSE)).unwrap_or_default();
        if h.paused_until.is_none_or(|p| p < until) {
            h.paused_until = Some(until);
            changed = true;
        }
    }
    let settled = h.rate_changed_at.is_none_or(|at| now - at >= ADJUST_EVERY);
    match limit {
        Some(limit) if signal.too_many && settled => {
            let lower = (rate_in_force(Some(limit), &h).unwrap_or(limit) / 2).max(1);
            if lower < limit && h.rate != Some(lower) {
                h.rate = Some(lower);
                h.rate_changed_at = Some(now);
                changed = true;
            }
        }
        Some(limit) if signal.succeeded && settled => {
            if let Some(rate) = h.rate {
                let up = rate.saturating_add((rate / 4).max(1));
                h.rate = (up < limit).then_some(up);
                h.rate_changed_at = Some(now);
                changed = true;
            }
        }
        // The limit was removed (or raised past it): nothing holds the rate down any more.
        None if h.rate.is_some() => {
            h.rate = None;
            changed = true;
        }
        _ => {}
    }
    match (proposal, changed) {
        (Some(_), _) => Some(h),
        (None, true) => {
            h.rev = current.rev + 1;
            Some(h)
        }
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreResult;

    /// The schedule as the stores keep it, counting the writes.
    #[derive(Default)]
    struct Schedules {
        next: Mutex<HashMap<String, i64>>,
        writes: std::sync::atomic::AtomicUsize,
    }

    #[async_trait::async_trait]
    impl RateStore for Schedules {
        async fn count_request(&self, _: &str, _: i64, _: i64) -> StoreResult<u64> {
            unreachable!("the API's counters")
        }
        async fn reserve_slot(&self, key: &str, now: i64, span: i64, _: i64) -> StoreResult<i64> {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut next = self.next.lock().unwrap();
            let n = next.entry(key.to_string()).or_insert(now);
            let slot = (*n).max(now);
            *n = slot + span;
            Ok(slot)
        }
    }

    fn limited(rate: u32) -> Webhook {
        let mut w: Webhook = serde_json::from_value(serde_json::json!({
            "id": WebhookId::generate(), "tenant_id": "t1", "url": "https://a.example.com/",
            "description": null, "events": [], "enabled": true, "account_ids": [],
            "metadata": {}, "secrets": [], "created_at": at(0), "updated_at": at(0),
            "last_triggered_at": null, "version": 1,
        }))
        .unwrap();
        w.rate_limit = Some(rate);
        w
    }

    #[tokio::test]
    async fn a_backlog_is_held_to_evenly_spaced_slots_each_reserved_once() {
        let store = Arc::new(Schedules::default());
        let pacer = Pacer::new(store.clone());
        let w = limited(5);
        let h = Health::default();
        let mut held = Vec::new();
        for _ in 0..10 {
            match pacer.take(&w, &h, None, at(0)).await.unwrap() {
                Pace::Go => held.push(None),
                Pace::Hold {
                    until, reserved, ..
                } => {
                    assert!(reserved);
                    held.push(Some(until));
                }
            }
        }
        assert_eq!(held[0], None, "the first goes now");
        for (i, until) in held.iter().enumerate().skip(1) {
            assert_eq!(
                *until,
                Some(at(0) + TimeDelta::milliseconds(200 * i as i64))
            );
        }
        // Back at its slot, a held delivery goes without another write.
        let writes = store.writes.load(std::sync::atomic::Ordering::SeqCst);
        let back = pacer.take(&w, &h, held[3], held[3].unwrap()).await.unwrap();
        assert!(matches!(back, Pace::Go));
        assert_eq!(
            store.writes.load(std::sync::atomic::Ordering::SeqCst),
            writes
        );
        // Long past its slot (the queue lagged): it reserves a new one, after the others.
        let late = pacer.take(&w, &h, held[4], at(60)).await.unwrap();
        assert!(
            matches!(late, Pace::Go),
            "the schedule fell behind: now is free"
        );
    }

    #[tokio::test]
    async fn a_process_keeping_up_at_10000_a_second_writes_a_hundred_times_a_second() {
        let store = Arc::new(Schedules::default());
        let pacer = Pacer::new(store.clone());
        let w = limited(10_000);
        let h = Health::default();
        let mut went = 0;
        // One delivery every 100 µs for a second: the limit exactly.
        for i in 0..10_000 {
            let now = at(0) + TimeDelta::microseconds(100 * i);
            if let Pace::Go = pacer.take(&w, &h, None, now).await.unwrap() {
                went += 1;
            }
        }
        let writes = store.writes.load(std::sync::atomic::Ordering::SeqCst);
        assert!(went >= 9_900, "{went} went at once");
        assert!(writes <= 110, "{writes} writes for a second at 10,000/s");
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_run_of_429s_halves_the_rate_and_successes_raise_it_back() {
        let signal = |code: u16| Signal {
            too_many: code == 429,
            succeeded: code == 200,
            pause: None,
        };
        let h = Health::default();
        let h1 = adjust(None, &h, Some(100), signal(429), at(0)).unwrap();
        assert_eq!(rate_in_force(Some(100), &h1), Some(50));
        assert_eq!(h1.rev, 1);
        // Within the same second: one signal.
        assert!(adjust(None, &h1, Some(100), signal(429), at(0)).is_none());
        let h2 = adjust(None, &h1, Some(100), signal(429), at(1)).unwrap();
        assert_eq!(rate_in_force(Some(100), &h2), Some(25));
        let mut h = h2;
        let mut seconds = 1;
        while h.rate.is_some() {
            seconds += 1;
            h = adjust(None, &h, Some(100), signal(200), at(seconds)).unwrap();
        }
        assert_eq!(rate_in_force(Some(100), &h), Some(100));
        assert!(seconds < 12, "back at the limit after {seconds} s");
        // A healthy webhook at its limit writes nothing.
        assert!(adjust(None, &h, Some(100), signal(200), at(60)).is_none());
        assert!(adjust(None, &Health::default(), None, signal(429), at(0)).is_none());
    }

    #[test]
    fn retry_after_pauses_until_the_latest_it_asked_for() {
        let pause = |s: u64| Signal {
            pause: Some(Duration::from_secs(s)),
            too_many: true,
            succeeded: false,
        };
        let h = adjust(None, &Health::default(), None, pause(2), at(0)).unwrap();
        assert_eq!(h.paused_until, Some(at(2)));
        let h = adjust(None, &h, None, pause(1), at(0)).unwrap_or(h);
        assert_eq!(
            h.paused_until,
            Some(at(2)),
            "a shorter wait does not shorten it"
        );
        let h = adjust(None, &h, None, pause(100_000), at(0)).unwrap();
        assert_eq!(h.paused_until, Some(at(3600)), "at most the retry interval");
    }
}
