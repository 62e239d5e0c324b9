//! One component owns a webhook's health: the breaker's gate, this process's window on the
//! endpoint, and the compare-and-swap that stores what an attempt changed. The stages ask it
//! whether a delivery may go ([`EndpointHealth::admit`], [`EndpointHealth::place`]) and tell it
//! what the endpoint answered ([`EndpointHealth::record`]); nothing else writes health.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, Timestamp};
use crate::error::Result;
use crate::ids::WebhookId;
use crate::metrics::Metrics;
use crate::model::{Attempt, Health, Webhook};
use crate::service::operational::HealthNews;
use crate::store::WebhookStore;

use super::breaker::{self, Breaker, Gate};
use super::endpoint::{Endpoints, Slot};
use super::pace::{self, Signal};

/// What the breaker lets a scheduled delivery do.
pub enum Admission {
    Send,
    /// Send it as the probe of an open breaker.
    Probe,
    Defer(Timestamp),
}

pub struct EndpointHealth {
    breaker: Breaker,
    endpoints: Endpoints,
    /// A webhook failing for this long with no success is to be disabled; zero: never.
    auto_disable_after: Duration,
    store: Arc<dyn WebhookStore>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
}

impl EndpointHealth {
    pub fn new(
        breaker: Breaker,
        endpoints: Endpoints,
        auto_disable_after: Duration,
        store: Arc<dyn WebhookStore>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Self {
        EndpointHealth {
            breaker,
            endpoints,
            auto_disable_after,
            store,
            clock,
            metrics,
        }
    }

    /// Deliveries in flight to a webhook in this process.
    pub fn in_flight(&self, webhook: &WebhookId) -> usize {
        self.endpoints.in_flight(webhook)
    }

    /// The freshest health of `webhook` this process knows: as read with it, or as written
    /// since.
    pub fn current(&self, webhook: &Webhook) -> Health {
        self.endpoints.health(&webhook.id, &webhook.health)
    }

    /// Whether a scheduled delivery may go now. When a probe is due, the first delivery to
    /// claim it (a compare-and-swap on the stored health, so one across every instance) is
    /// sent; the others defer.
    pub async fn admit(&self, webhook: &Webhook) -> Result<Admission> {
        let now = self.clock.now();
        let health = self.endpoints.health(&webhook.id, &webhook.health);
        match self.breaker.gate(&health, now) {
            Gate::Closed => Ok(Admission::Send),
            Gate::Open { until } => Ok(Admission::Defer(until)),
            Gate::ProbeDue => {
                let claimed = self.breaker.claim_probe(&health, now);
                if self
                    .store
                    .put_health(&webhook.tenant_id, &webhook.id, &claimed)
                    .await?
                {
                    self.endpoints.learn(&webhook.id, &claimed);
                    tracing::info!(webhook = %webhook.id, "circuit breaker: probing the endpoint");
                    return Ok(Admission::Probe);
                }
                // Another worker claimed it: wait as long as its probe holds the breaker open.
                let fresh = self.stored(webhook).await?;
                Ok(match self.breaker.gate(&fresh, now) {
                    Gate::Open { until } => Admission::Defer(until),
                    Gate::Closed => Admission::Send,
                    Gate::ProbeDue => Admission::Defer(now + chrono::TimeDelta::seconds(1)),
                })
            }
        }
    }

    /// Waits for a place in the endpoint's window. A scheduled delivery that is not the probe
    /// gets none when the breaker opened while it waited: `Err` with when to try again.
    pub async fn place(
        &self,
        webhook: &Webhook,
        recheck: bool,
    ) -> std::result::Result<Slot, Timestamp> {
        let slot = self.endpoints.acquire(&webhook.id).await;
        if recheck {
            let health = self.endpoints.health(&webhook.id, &webhook.health);
            if let Gate::Open { until } = self.breaker.gate(&health, self.clock.now()) {
                return Err(until);
            }
        }
        Ok(slot)
    }

    /// Records what the endpoint answered, then frees the place: the next delivery waiting for
    /// this endpoint must see this outcome. A compare-and-swap, re-read and applied again when
    /// another worker wrote first. Answers what the platform is to be told: the webhook is
    /// due to be disabled, its failing run reached the breaker's threshold, or that run ended
    /// (each decided by the write that won, so told once across every instance).
    pub async fn record(
        &self,
        webhook: &Webhook,
        attempt: &Attempt,
        retry_after: Option<Duration>,
        slot: Slot,
    ) -> HealthNews {
        let failed = breaker::counts_as_failure(attempt);
        let signal = Signal::of(attempt, retry_after);
        if attempt.succeeded() {
            slot.succeeded();
        } else if failed {
            slot.failed();
        }
        let news = match failed || attempt.succeeded() {
            true => self.write(webhook, failed, signal).await,
            false => HealthNews::default(),
        };
        drop(slot);
        news
    }

    async fn write(&self, webhook: &Webhook, failed: bool, signal: Signal) -> HealthNews {
        let threshold = self.breaker.threshold;
        let mut current = self.endpoints.health(&webhook.id, &webhook.health);
        for _ in 0..3 {
            let now = self.clock.now();
            let next = if failed {
                Some(self.breaker.on_failure(&current, now))
            } else {
                self.breaker.on_success(&current, now)
            };
            let next = pace::adjust(next, &current, webhook.rate_limit, signal, now);
            let Some(next) = next else {
                return HealthNews::default();
            };
            match self
                .store
                .put_health(&webhook.tenant_id, &webhook.id, &next)
                .await
            {
                Ok(true) => {
                    self.endpoints.learn(&webhook.id, &next);
                    self.log_change(webhook, &current, &next);
                    let before = current.consecutive_failures;
                    return match failed {
                        true => HealthNews {
                            disable_since: self.disable_due(&next, now),
                            failing: (before < threshold && next.consecutive_failures >= threshold)
                                .then_some(next),
                            recovered_after: None,
                        },
                        false => HealthNews {
                            recovered_after: (before >= threshold).then_some(before),
                            ..HealthNews::default()
                        },
                    };
                }
                Ok(false) => match self.stored(webhook).await {
                    Ok(h) => current = h,
                    Err(e) => {
                        tracing::warn!(error = %crate::error::chain(&e), "could not re-read health");
                        return HealthNews::default();
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %crate::error::chain(&e), "could not record health");
                    return HealthNews::default();
                }
            }
        }
        HealthNews::default()
    }

    fn log_change(&self, webhook: &Webhook, before: &Health, after: &Health) {
        if after.paused_until != before.paused_until
            && let Some(until) = after.paused_until
        {
            tracing::warn!(webhook = %webhook.id, paused_until = %until, "the receiver asked to wait (Retry-After): its deliveries hold until then");
        }
        if after.rate != before.rate {
            let rate = crate::model::rate_in_force(webhook.rate_limit, after);
            tracing::info!(webhook = %webhook.id, rate = ?rate, "rate in force changed (the receiver's 429s lower it, successes raise it)");
        }
        if after.open_until.is_some() && before.open_until.is_none() {
            self.metrics.breaker_opened();
            tracing::warn!(
                webhook = %webhook.id,
                failures = after.consecutive_failures,
                open_until = ?after.open_until,
                "circuit breaker opened: due deliveries wait without a request"
            );
        } else if after.open_until.is_none() && before.open_until.is_some() {
            tracing::info!(webhook = %webhook.id, "circuit breaker closed");
        }
    }

    /// When the webhook started failing, if that is longer ago than the auto-disable period.
    fn disable_due(&self, health: &Health, now: Timestamp) -> Option<Timestamp> {
        let since = health.failing_since?;
        if self.auto_disable_after.is_zero() {
            return None;
        }
        let after = chrono::TimeDelta::from_std(self.auto_disable_after).ok()?;
        (now - since >= after).then_some(since)
    }

    pub fn auto_disable_after(&self) -> Duration {
        self.auto_disable_after
    }

    /// The webhook's health as stored now (after a lost compare-and-swap).
    async fn stored(&self, webhook: &Webhook) -> Result<Health> {
        let stored = self
            .store
            .get_webhook(&webhook.tenant_id, &webhook.id)
            .await?
            .map(|w| w.health)
            .unwrap_or_default();
        Ok(self.endpoints.health(&webhook.id, &stored))
    }
}
