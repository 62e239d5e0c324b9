//! The delivery engine. [`Deliverer::process`] handles one queue message; the two drivers run it:
//! [`lambda`] for SQS batches on Lambda and [`worker`] for the embedded queue of `hookline serve`.

pub mod breaker;
pub mod endpoint;
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
use crate::metrics::Processed;
use crate::model::{
    ArchivedAttempt, Attempt, Delivery, DeliveryStatus, Health, SignatureScheme, Timestamp, Webhook,
};
use crate::queue::DeliveryTask;
use crate::signing::Signer;
use crate::stats::{self, StatsBuffer};
use crate::store::{Counters, StoreError};
use breaker::{Breaker, Gate};
use endpoint::Endpoints;
use policy::RetryPolicy;
use sender::Sender;

/// `last_triggered_at` is written at most this often per webhook and process, so that a busy
/// endpoint does not cost one extra write per delivery.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// A delivery as it was read, before processing changed it: what `save` guards on and counts.
/// How early a scheduled attempt may run (queue and clock granularity).
const EARLY_TOLERANCE: Duration = Duration::from_secs(1);

#[derive(Clone, Copy)]
struct Before {
    attempts: usize,
    status: DeliveryStatus,
    /// Not processed before (no attempt, never deferred): counted as pending once.
    first_seen: bool,
}

impl Before {
    fn of(d: &Delivery) -> Self {
        Before {
            attempts: d.attempt_count(),
            status: d.status,
            first_seen: d.attempt_count() == 0 && d.deferred_reason.is_none(),
        }
    }
}

/// What the breaker lets a scheduled delivery do.
enum Admission {
    Send,
    /// Send it as the probe of an open breaker.
    Probe,
    Defer(Timestamp),
}

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
    breaker: Breaker,
    endpoints: Endpoints,
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
            breaker: Breaker {
                threshold: c.breaker_threshold,
                first_open: c.breaker_open,
                max_open: c.retry_interval,
                refresh: TOUCH_EVERY,
            },
            endpoints: Endpoints::new(c.endpoint_concurrency),
            app,
            touched: Mutex::new(HashMap::new()),
            stats: StatsBuffer::default(),
        })
    }

    pub fn app(&self) -> &Hookline {
        &self.app
    }

    /// Deliveries in flight to a webhook in this process.
    pub fn in_flight(&self, webhook: &WebhookId) -> usize {
        self.endpoints.in_flight(webhook)
    }

    /// Processes one queue message: one attempt at most, recorded before the message is settled.
    pub async fn process(&self, task: &DeliveryTask) -> Result<Outcome> {
        self.process_received(task, None).await
    }

    /// [`Self::process`] for a message received `receives` times (as SQS counts them).
    pub async fn process_received(
        &self,
        task: &DeliveryTask,
        receives: Option<u32>,
    ) -> Result<Outcome> {
        let t = task.target();
        let span = tracing::info_span!(
            "delivery",
            tenant = %t.tenant_id,
            webhook = %t.webhook_id,
            delivery = %t.delivery_id,
            attempt = tracing::field::Empty,
        );
        self.process_in_span(task, receives).instrument(span).await
    }

    async fn process_in_span(&self, task: &DeliveryTask, receives: Option<u32>) -> Result<Outcome> {
        let store = &self.app.store;
        let t = task.target();
        // A publish's message received for the first time has no record to read where publishes
        // write none (DynamoDB): the read is skipped, and the first save creates the record only
        // if there is still none. (A duplicate copy SQS hands out as a first receive may POST
        // once more, with the same webhook-id, and records nothing; every later receive reads.)
        let first_sight = receives == Some(1)
            && self.app.atomic_publish.is_none()
            && !t.resent
            && t.event_type.is_some()
            && matches!(task, DeliveryTask::Scheduled(_) | DeliveryTask::Test(_));
        let recorded = match first_sight {
            true => None,
            false => {
                store
                    .get_delivery(&t.tenant_id, &t.webhook_id, &t.delivery_id)
                    .await?
            }
        };
        let Some(mut d) = (match recorded {
            Some(d) => Some(d),
            None => self.unrecorded(task).await?,
        }) else {
            tracing::warn!("delivery record not found; dropping message");
            return Ok(Outcome::Done);
        };
        tracing::Span::current().record("attempt", d.attempt_count() + 1);
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
        // A scheduled attempt that arrives early (a duplicate message, or a replacement whose
        // queue delay is shorter than the retry's) waits for its time.
        if let (DeliveryTask::Scheduled(_), Some(due)) = (task, d.next_attempt_at) {
            let early = (due - self.app.clock.now()).to_std().unwrap_or_default();
            if early > EARLY_TOLERANCE {
                return Ok(Outcome::RetryIn(early));
            }
        }
        let key = (t.tenant_id.clone(), t.webhook_id.clone());
        let webhook = self
            .app
            .caches
            .webhook
            .get_or_load(&key, || store.get_webhook(&t.tenant_id, &t.webhook_id))
            .await?;
        let webhook = match webhook {
            Some(w) if w.enabled => w,
            // A manual retry to a webhook that is gone or off changes nothing.
            _ if task.is_manual() => return Ok(Outcome::Done),
            Some(_) => return self.cancel(d, "webhook disabled").await,
            None => return self.cancel(d, "webhook deleted").await,
        };
        // What the user asked for (a manual retry, a test event) goes through an open breaker.
        let scheduled = matches!(task, DeliveryTask::Scheduled(_));
        let mut probing = false;
        if scheduled {
            match self.admit(&webhook).await? {
                Admission::Send => {}
                Admission::Probe => probing = true,
                Admission::Defer(until) => return self.defer(d, until).await,
            }
        }
        let body = match &t.body {
            Some(b) => b.clone(),
            None => match store.get_event(&t.tenant_id, &t.event_id).await? {
                Some(ev) => crate::service::events::envelope(&ev),
                None => return self.cancel(d, "event no longer stored").await,
            },
        };
        let slot = self.endpoints.acquire(&webhook.id).await;
        // While this delivery waited for its place, the breaker may have opened.
        if scheduled && !probing {
            let now = self.app.clock.now();
            if let Gate::Open { until } = self
                .breaker
                .gate(&self.endpoints.health(&webhook.id, &webhook.health), now)
            {
                drop(slot);
                return self.defer(d, until).await;
            }
        }
        let now = self.app.clock.now();
        if scheduled {
            let due = d.next_attempt_at.unwrap_or(d.created_at);
            self.app
                .metrics
                .lag((now - due).to_std().unwrap_or_default());
        }
        let signer = match self.signer(&webhook, now).await {
            Ok(s) => s,
            Err(e) => {
                drop(slot);
                return Err(e);
            }
        };
        let mut sent = self
            .sender
            .send(
                &webhook.url,
                &t.event_id,
                &signer,
                &body,
                task.is_manual(),
                now,
            )
            .await;
        sent.attempt.retry_id = task.retry_id().cloned();
        sent.attempt.key_id = signer.key_id().map(String::from);
        let succeeded = sent.attempt.succeeded();
        // Whether the webhook's health records this attempt (and so when it was made).
        let in_health = succeeded || breaker::counts_as_failure(&sent.attempt);
        if succeeded {
            slot.succeeded();
        } else if breaker::counts_as_failure(&sent.attempt) {
            slot.failed();
        }
        // The next delivery waiting for this endpoint must see this outcome: record it first.
        self.record_health(&webhook, &sent.attempt).await;
        drop(slot);
        let before = Before::of(&d);
        let archived = d.record(sent.attempt);
        d.deferred_reason = None;
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
        if !self.save_with(&d, before, archived.as_ref()).await? {
            return Ok(Outcome::Done);
        }
        if let Some(a) = d.attempts.last() {
            self.app
                .metrics
                .attempt(Duration::from_millis(a.duration_ms));
            self.app.metrics.processed(match (d.status, outcome) {
                (DeliveryStatus::Succeeded, _) => Processed::Succeeded,
                (_, Outcome::RetryIn(_)) => Processed::RetryScheduled,
                _ => Processed::Failed,
            });
            // One line per attempt at the default level (the span names the delivery, webhook
            // and attempt): what the endpoint answered and what happens next.
            let answer = a
                .status_code
                .map(|c| c.to_string())
                .or_else(|| a.error.clone())
                .unwrap_or_default();
            match (&d.status, d.next_attempt_at) {
                (DeliveryStatus::Succeeded, _) => {
                    tracing::info!(
                        outcome = "succeeded",
                        status_code = a.status_code,
                        duration_ms = a.duration_ms,
                        "delivered: {answer}"
                    )
                }
                (_, Some(next)) => tracing::info!(
                    outcome = "retry_scheduled",
                    status_code = a.status_code,
                    duration_ms = a.duration_ms,
                    next_attempt_at = %next,
                    "attempt failed: {answer}; next attempt at {next}"
                ),
                _ => tracing::warn!(
                    outcome = "failed",
                    status_code = a.status_code,
                    duration_ms = a.duration_ms,
                    "attempt failed: {answer}; retries are over, the delivery failed (it can be retried by hand)"
                ),
            }
        }
        // The health write of a success or a failure also says when (see
        // `Webhook::last_triggered`); only an attempt it does not record is written apart.
        if !in_health {
            self.touch(&webhook.tenant_id, &webhook.id).await;
        }
        Ok(outcome)
    }

    /// A delivery the store holds no record of yet: a publish's message processed for the
    /// first time (publishing writes no delivery records; the first save creates it). A manual
    /// retry always names a recorded delivery.
    async fn unrecorded(&self, task: &DeliveryTask) -> Result<Option<Delivery>> {
        let t = task.target();
        if task.is_manual() {
            return Ok(None);
        }
        let created_ms = t.delivery_id.created_ms();
        let (event_type, created_at) =
            match (&t.event_type, Timestamp::from_timestamp_millis(created_ms)) {
                (Some(ty), Some(at)) if created_ms > 0 => (ty.clone(), at),
                // A message of an earlier build: its event says what the message does not.
                _ => match self.app.store.get_event(&t.tenant_id, &t.event_id).await? {
                    Some(ev) => (ev.event_type, ev.created_at),
                    None => return Ok(None),
                },
            };
        let mut d = Delivery::pending(
            &t.tenant_id,
            &t.event_id,
            &event_type,
            &t.webhook_id,
            created_at,
            self.app.config.expires_after(created_at),
        );
        d.id = t.delivery_id.clone();
        Ok(Some(d))
    }

    /// How this webhook's deliveries are signed at `now`: its valid secrets, or the tenant's
    /// listed key pairs (active first).
    async fn signer<'w>(&self, webhook: &'w Webhook, now: Timestamp) -> Result<Signer<'w>> {
        use crate::service::verification_keys as keys;
        Ok(match webhook.signature_scheme {
            SignatureScheme::HmacSha256 => {
                Signer::Hmac(webhook.valid_secrets(now).map(|s| s.key.expose()).collect())
            }
            scheme => {
                let ring = keys::cached_keyring(&self.app, &webhook.tenant_id).await?;
                let listed = keys::listed(&ring, now);
                let mut loaded = listed.into_iter().map(keys::load);
                if scheme == SignatureScheme::Ed25519 {
                    Signer::Ed25519(loaded.collect::<Result<Vec<_>>>()?)
                } else {
                    Signer::HttpMessageSignatures(loaded.next().ok_or_else(|| {
                        crate::error::Error::Config("a keyring without keys".into())
                    })??)
                }
            }
        })
    }

    /// Asks the webhook's breaker whether a scheduled delivery may go now. When a probe is due,
    /// the first delivery to claim it (a compare-and-swap on the stored health, so one across
    /// every instance) is sent; the others defer.
    async fn admit(&self, webhook: &Webhook) -> Result<Admission> {
        let now = self.app.clock.now();
        let health = self.endpoints.health(&webhook.id, &webhook.health);
        match self.breaker.gate(&health, now) {
            Gate::Closed => Ok(Admission::Send),
            Gate::Open { until } => Ok(Admission::Defer(until)),
            Gate::ProbeDue => {
                let claimed = self.breaker.claim_probe(&health, now);
                if self
                    .app
                    .store
                    .put_health(&webhook.tenant_id, &webhook.id, &claimed)
                    .await?
                {
                    self.endpoints.learn(&webhook.id, &claimed);
                    tracing::info!(webhook = %webhook.id, "circuit breaker: probing the endpoint");
                    return Ok(Admission::Probe);
                }
                // Another worker claimed it: wait as long as its probe holds the breaker open.
                let fresh = self.stored_health(webhook).await?;
                Ok(match self.breaker.gate(&fresh, now) {
                    Gate::Open { until } => Admission::Defer(until),
                    Gate::Closed => Admission::Send,
                    Gate::ProbeDue => Admission::Defer(now + chrono::TimeDelta::seconds(1)),
                })
            }
        }
    }

    /// The webhook's health as stored now (after a lost compare-and-swap).
    async fn stored_health(&self, webhook: &Webhook) -> Result<Health> {
        let stored = self
            .app
            .store
            .get_webhook(&webhook.tenant_id, &webhook.id)
            .await?
            .map(|w| w.health)
            .unwrap_or_default();
        Ok(self.endpoints.health(&webhook.id, &stored))
    }

    /// Updates the webhook's health after an attempt, when it changes: a compare-and-swap,
    /// re-read and applied again when another worker wrote first. Failing for longer than the
    /// auto-disable period disables the webhook.
    async fn record_health(&self, webhook: &Webhook, attempt: &Attempt) {
        let failed = breaker::counts_as_failure(attempt);
        if !failed && !attempt.succeeded() {
            return;
        }
        let mut current = self.endpoints.health(&webhook.id, &webhook.health);
        for _ in 0..3 {
            let now = self.app.clock.now();
            let next = if failed {
                Some(self.breaker.on_failure(&current, now))
            } else {
                self.breaker.on_success(&current, now)
            };
            let Some(next) = next else { return };
            match self
                .app
                .store
                .put_health(&webhook.tenant_id, &webhook.id, &next)
                .await
            {
                Ok(true) => {
                    self.endpoints.learn(&webhook.id, &next);
                    if next.open_until.is_some() && current.open_until.is_none() {
                        self.app.metrics.breaker_opened();
                        tracing::warn!(
                            webhook = %webhook.id,
                            failures = next.consecutive_failures,
                            open_until = ?next.open_until,
                            "circuit breaker opened: due deliveries wait without a request"
                        );
                    } else if next.open_until.is_none() && current.open_until.is_some() {
                        tracing::info!(webhook = %webhook.id, "circuit breaker closed");
                    }
                    if failed {
                        self.maybe_disable(webhook, &next).await;
                    }
                    return;
                }
                Ok(false) => match self.stored_health(webhook).await {
                    Ok(h) => current = h,
                    Err(e) => {
                        tracing::warn!(error = %crate::error::chain(&e), "could not re-read health");
                        return;
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %crate::error::chain(&e), "could not record health");
                    return;
                }
            }
        }
    }

    /// Disables a webhook that has failed, with no success, for the auto-disable period.
    async fn maybe_disable(&self, webhook: &Webhook, health: &Health) {
        let after = self.app.config.auto_disable_after;
        let (Some(since), false) = (health.failing_since, after.is_zero()) else {
            return;
        };
        let now = self.app.clock.now();
        if now - since < chrono::TimeDelta::from_std(after).unwrap_or(chrono::TimeDelta::MAX) {
            return;
        }
        let reason = format!(
            "no successful delivery since {} (failing for more than {} s)",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            after.as_secs()
        );
        let res = crate::service::webhooks::update_with(
            &self.app,
            &webhook.tenant_id,
            &webhook.id,
            |w| {
                w.enabled = false;
                w.disabled_reason = Some(reason.clone());
                w.disabled_at = Some(now);
                Ok(())
            },
        )
        .await;
        match res {
            Ok(_) => tracing::warn!(webhook = %webhook.id, reason = %reason, "webhook disabled"),
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "could not disable a failing webhook")
            }
        }
    }

    /// Puts a due delivery off until the breaker's next probe, without a request; never past
    /// its retry window: a delivery whose window ends while the breaker is open fails then.
    async fn defer(&self, mut d: Delivery, until: Timestamp) -> Result<Outcome> {
        let now = self.app.clock.now();
        let window_end = d.first_attempt_at().unwrap_or(d.created_at)
            + chrono::TimeDelta::from_std(self.policy.window).unwrap_or(chrono::TimeDelta::MAX);
        let before = Before::of(&d);
        d.updated_at = now;
        if window_end <= now {
            d.status = DeliveryStatus::Failed;
            d.next_attempt_at = None;
            d.deferred_reason =
                Some("the retry window ended while the endpoint's circuit breaker was open".into());
            if self.save(&d, before).await? {
                self.app.metrics.processed(Processed::Failed);
            }
            return Ok(Outcome::Done);
        }
        let at = until.min(window_end);
        d.next_attempt_at = Some(at);
        d.deferred_reason = Some(format!(
            "the endpoint's circuit breaker is open (too many failed attempts); next try at {}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
        if self.save(&d, before).await? {
            self.app.metrics.processed(Processed::Deferred);
        }
        let delay = (at - now).to_std().unwrap_or_default();
        Ok(Outcome::RetryIn(delay.max(Duration::from_millis(100))))
    }

    /// Cancels a delivery that can no longer be sent.
    async fn cancel(&self, mut d: Delivery, reason: &str) -> Result<Outcome> {
        let before = Before::of(&d);
        d.status = DeliveryStatus::Cancelled;
        d.cancel_reason = Some(reason.into());
        d.next_attempt_at = None;
        d.updated_at = self.app.clock.now();
        if self.save(&d, before).await? {
            self.app.metrics.processed(Processed::Cancelled);
        }
        Ok(Outcome::Done)
    }

    /// Records `d` if it still has `prior` attempts and counts what changed since `before`;
    /// false when another worker recorded it meanwhile (a duplicate message: that one owns it).
    async fn save(&self, d: &Delivery, before: Before) -> Result<bool> {
        self.save_with(d, before, None).await
    }

    /// [`Self::save`] with an attempt that left the inline window, stored apart in the same
    /// write.
    async fn save_with(
        &self,
        d: &Delivery,
        before: Before,
        archived: Option<&ArchivedAttempt>,
    ) -> Result<bool> {
        let Before {
            attempts: prior,
            status: before,
            first_seen,
        } = before;
        match self.app.store.save_delivery(d, prior, archived).await {
            Ok(()) => {
                let attempt = (d.attempt_count() > prior)
                    .then(|| d.attempts.last())
                    .flatten();
                let mut c = Counters::new();
                stats::record(&mut c, first_seen, before, d.status, attempt);
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
