//! The delivery engine. [`Deliverer::process`] handles one queue message; the two drivers run it:
//! [`lambda`] for SQS batches on Lambda and [`worker`] for the embedded queue of `hookline serve`.

pub mod guard;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod policy;
pub mod sender;
pub mod worker;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::backend::Hookline;
use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::model::{Delivery, DeliveryStatus};
use crate::queue::DeliveryTask;
use crate::stats::{self, StatsBuffer};
use crate::store::{Counters, StoreError};
use policy::RetryPolicy;
use sender::Sender;

/// `last_triggered_at` is written at most this often per webhook and process, so that a busy
/// endpoint does not cost one extra write per delivery.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// What to do with the queue message after processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Finished (succeeded, failed for good, cancelled, or a duplicate): delete the message.
    Done,
    /// Failed inside the retry window: make the message visible again after this delay.
    RetryIn(Duration),
}

pub struct Deliverer {
    app: Hookline,
    sender: Sender,
    policy: RetryPolicy,
    touched: Mutex<HashMap<(TenantId, WebhookId), Instant>>,
    stats: StatsBuffer,
}

impl Deliverer {
    pub fn new(app: Hookline) -> Result<Self> {
        let c = &app.config;
        Ok(Deliverer {
            sender: Sender::new(c.delivery_timeout, c.allow_private_targets)?,
            policy: RetryPolicy {
                interval: c.retry_interval,
                window: c.retry_window,
            },
            app,
            touched: Mutex::new(HashMap::new()),
            stats: StatsBuffer::default(),
        })
    }

    pub fn app(&self) -> &Hookline {
        &self.app
    }

    /// Processes one queue message: one attempt at most, recorded before the message is settled.
    pub async fn process(&self, task: &DeliveryTask) -> Result<Outcome> {
        let t = task.target();
        let span = tracing::info_span!(
            "delivery",
            tenant = %t.tenant_id,
            webhook = %t.webhook_id,
            delivery = %t.delivery_id,
            attempt = tracing::field::Empty,
        );
        self.process_in_span(task).instrument(span).await
    }

    async fn process_in_span(&self, task: &DeliveryTask) -> Result<Outcome> {
        let store = &self.app.store;
        let t = task.target();
        let Some(mut d) = store.get_delivery(&t.tenant_id, &t.delivery_id).await? else {
            tracing::warn!("delivery record not found; dropping message");
            return Ok(Outcome::Done);
        };
        tracing::Span::current().record("attempt", d.attempts.len() + 1);
        // A manual retry whose attempt is already recorded arrived twice.
        if let Some(rid) = task.retry_id()
            && d.attempts.iter().any(|a| a.retry_id.as_ref() == Some(rid))
        {
            return Ok(Outcome::Done);
        }
        // SQS is at-least-once: a delivery that is already settled is never sent again.
        if d.status.is_final() && !task.is_manual() {
            tracing::info!(status = d.status.as_str(), "duplicate message ignored");
            return Ok(Outcome::Done);
        }
        let webhook = store.get_webhook(&t.tenant_id, &t.webhook_id).await?;
        let webhook = match webhook {
            Some(w) if w.enabled => w,
            // A manual retry to a webhook that is gone or off changes nothing.
            _ if task.is_manual() => return Ok(Outcome::Done),
            Some(_) => return self.cancel(d, "webhook disabled").await,
            None => return self.cancel(d, "webhook deleted").await,
        };
        let body = match &t.body {
            Some(b) => b.clone(),
            None => match store.get_event(&t.tenant_id, &t.event_id).await? {
                Some(ev) => crate::publish::envelope(&ev),
                None => return self.cancel(d, "event no longer stored").await,
            },
        };
        let now = self.app.clock.now();
        let secrets: Vec<&str> = webhook.valid_secrets(now).map(|s| s.key.as_str()).collect();
        let mut sent = self
            .sender
            .send(
                &webhook.url,
                &t.event_id,
                &secrets,
                &body,
                task.is_manual(),
                now,
            )
            .await;
        sent.attempt.retry_id = task.retry_id().cloned();
        let succeeded = sent.attempt.succeeded();
        let prior = d.attempts.len();
        let before = d.status;
        d.attempts.push(sent.attempt);
        d.updated_at = self.app.clock.now();
        let outcome = if succeeded {
            d.status = DeliveryStatus::Succeeded;
            d.next_attempt_at = None;
            Outcome::Done
        } else if task.is_manual() {
            // A manual retry is one more attempt; it does not reopen the automatic schedule.
            Outcome::Done
        } else {
            let first = d.first_attempt_at().unwrap_or(now);
            match self.policy.next_delay(
                first,
                d.automatic_attempts(),
                d.updated_at,
                sent.retry_after,
            ) {
                Some(delay) => {
                    d.status = DeliveryStatus::Pending;
                    d.next_attempt_at =
                        Some(d.updated_at + chrono::TimeDelta::from_std(delay).unwrap_or_default());
                    Outcome::RetryIn(delay)
                }
                None => {
                    d.status = DeliveryStatus::Failed;
                    d.next_attempt_at = None;
                    Outcome::Done
                }
            }
        };
        if !self.save(&d, prior, before).await? {
            return Ok(Outcome::Done);
        }
        if let Some(a) = d.attempts.last() {
            tracing::debug!(
                status_code = a.status_code,
                duration_ms = a.duration_ms,
                status = d.status.as_str(),
                next_attempt_at = ?d.next_attempt_at,
                "attempt recorded"
            );
        }
        self.touch(&webhook.tenant_id, &webhook.id).await;
        Ok(outcome)
    }

    /// Cancels a delivery that can no longer be sent.
    async fn cancel(&self, mut d: Delivery, reason: &str) -> Result<Outcome> {
        let (prior, before) = (d.attempts.len(), d.status);
        d.status = DeliveryStatus::Cancelled;
        d.cancel_reason = Some(reason.into());
        d.next_attempt_at = None;
        d.updated_at = self.app.clock.now();
        self.save(&d, prior, before).await?;
        Ok(Outcome::Done)
    }

    /// Records `d` if it still has `prior` attempts and counts what changed since `before`;
    /// false when another worker recorded it meanwhile (a duplicate message: that one owns it).
    async fn save(&self, d: &Delivery, prior: usize, before: DeliveryStatus) -> Result<bool> {
        match self.app.store.save_delivery(d, prior).await {
            Ok(()) => {
                let attempt = (d.attempts.len() > prior)
                    .then(|| d.attempts.last())
                    .flatten();
                let mut c = Counters::new();
                stats::record(&mut c, prior == 0, before, d.status, attempt);
                self.stats.add(&d.tenant_id, &d.webhook_id, d.updated_at, c);
                Ok(true)
            }
            Err(StoreError::AlreadyRecorded) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the statistics counters gathered since the last flush (drivers call this once
    /// per batch).
    pub async fn flush_stats(&self) {
        if let Err(e) = self
            .stats
            .flush(self.app.store.as_ref(), self.app.config.delivery_shards)
            .await
        {
            tracing::warn!(error = %e, "could not write delivery statistics");
        }
    }

    async fn touch(&self, tenant: &TenantId, webhook: &WebhookId) {
        let key = (tenant.clone(), webhook.clone());
        {
            let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
            if touched.get(&key).is_some_and(|t| t.elapsed() < TOUCH_EVERY) {
                return;
            }
            touched.insert(key, Instant::now());
        }
        if let Err(e) = self
            .app
            .store
            .touch_webhook(tenant, webhook, self.app.clock.now())
            .await
        {
            tracing::warn!(error = %e, "could not record last_triggered_at");
        }
    }
}
