//! Stage 5, record: save the delivery (guarded against a duplicate message that got there
//! first), count it in the statistics and metrics, log one line per attempt, and act on what
//! the attempt showed (a webhook to disable, `last_triggered_at`). A delivery that left the
//! pipeline early is recorded here too: cancelled, deferred by an open breaker, or held by
//! its webhook's pace.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::decide::Decided;
use super::pace::Held;
use super::{Before, Deliverer, Outcome, Stop, TOUCH_EVERY};
use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::metrics::Processed;
use crate::model::{
    ArchivedAttempt, Attempt, Delivery, DeliveryStatus, ENDPOINT_GONE, Timestamp, Webhook,
};
use crate::service::operational::{self, Announce};
use crate::stats;
use crate::store::{Counters, StoreError};

/// What the record stage may do with a first-try success instead of saving it at once.
#[derive(Clone, Copy)]
pub(super) struct FirstTry {
    /// Its tenant's log level is `failures`: a mark, not a record.
    pub lean: bool,
    /// It may be written with the batch's others: no record of it exists yet (a publish's
    /// message seen first where publishes record nothing), or the publish recorded it pending
    /// (where the queue is in the store's database, the settle completes it with the delete of
    /// its message).
    pub batched: bool,
}

impl Deliverer {
    pub(super) async fn record(&self, decided: Decided, keep: FirstTry) -> Result<Outcome> {
        let Decided {
            delivery: mut d,
            before,
            archived,
            outcome,
            webhook,
            in_health,
            news,
            gone,
        } = decided;
        let how = Announce::for_delivery_of(&d.event_type);
        if gone {
            tracing::warn!(
                webhook = %webhook.id,
                "the endpoint answered 410 Gone: webhook disabled; its deliveries wait until it is enabled again"
            );
            self.disable(&webhook, ENDPOINT_GONE.to_string(), how).await;
        } else if let Some(since) = news.disable_since {
            let reason = format!(
                "no successful delivery since {} (failing for more than {} s)",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                self.health.auto_disable_after().as_secs()
            );
            self.disable(&webhook, reason, how).await;
        }
        // Told even when a duplicate message records the delivery: the health write that
        // decided it was this one's.
        operational::health_changed(&self.app, &d, &news).await;
        let first_try_success = d.status == DeliveryStatus::Succeeded && d.attempt_count() == 1;
        // Only a delivery with no record yet: one held or deferred before has a record that
        // must say how it ended.
        let lean_success = keep.lean && first_try_success && before.first_seen;
        if lean_success {
            // Kept as a mark, written with the batch's others: its time, status code and
            // duration, not the response.
            if let Some(a) = d.attempts.last_mut() {
                a.response_excerpt = None;
            }
            self.count(&d, before);
            self.marks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(d.clone());
        } else if keep.batched && first_try_success && before.first_seen && archived.is_none() {
            // Its record is created with the batch's others (on DynamoDB, several to a write
            // unit), or, where the publish recorded it pending, completed with theirs in one
            // transaction (the embedded database: flat out, a transaction per delivery was a
            // fifth of the delivering CPU). Unlike a save, that write cannot tell a duplicate
            // message from the first: SQS's rare second copy is counted twice, as a mark
            // would be.
            self.count(&d, before);
            self.first_tries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(d.clone());
        } else if !self.save_with(&d, before, archived.as_ref()).await? {
            return self.after_another_recorded(&d).await;
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
            // A first-try success is counted (statistics, EMF) rather than logged, unless
            // asked for.
            if self.log_first_try || !first_try_success {
                log_attempt(&d, a);
            }
        }
        if d.status == DeliveryStatus::Failed && before.status != DeliveryStatus::Failed {
            operational::delivery_failed(&self.app, &d).await;
        }
        // The health write of a success or a failure also says when (see
        // `Webhook::last_triggered`); only an attempt it does not record is written apart.
        if !in_health {
            self.touch(&webhook.tenant_id, &webhook.id).await;
        }
        Ok(outcome)
    }

    /// Records a delivery that left the pipeline before it was sent.
    pub(super) async fn stop(&self, stop: Stop) -> Result<Outcome> {
        match stop {
            Stop::Finished => Ok(Outcome::Done),
            Stop::Early(wait) => Ok(Outcome::RetryIn(wait)),
            Stop::Cancel(d, reason) => self.cancel(d, reason).await,
            // Until the breaker's next probe, or the delivery's last call when that is sooner.
            Stop::Defer(d, at) => {
                let reason = format!(
                    "the endpoint's circuit breaker is open (too many failed attempts); next try at {}",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                self.hold(d, at, reason).await
            }
            Stop::Hold(d, at, why) => {
                let when = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let reason = match why {
                    Held::RateLimit(rate) => {
                        // Counted apart in the statistics: how often the limit held one back.
                        let mut c = Counters::new();
                        c.insert(stats::HELD.into(), 1);
                        self.stats
                            .add(&d.tenant_id, &d.webhook_id, self.app.clock.now(), c);
                        format!(
                            "held back by the webhook's rate limit ({rate}/s); its turn is at {when}"
                        )
                    }
                    Held::Paused => {
                        format!("the receiver asked to wait (Retry-After); next try at {when}")
                    }
                };
                self.hold(d, at, reason).await
            }
            // Sent once the webhook is enabled again; cancelled if it is not by its last call.
            Stop::Park(d, at) => {
                let reason = format!(
                    "the webhook is disabled: its endpoint answered 410 Gone; kept until it is \
                     enabled again (next look at {})",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                self.hold(d, at, reason).await
            }
        }
    }

    /// Holds a due delivery until `at`, without a request, saying why in the log.
    async fn hold(&self, mut d: Delivery, at: Timestamp, reason: String) -> Result<Outcome> {
        let now = self.app.clock.now();
        let before = Before::of(&d);
        d.updated_at = now;
        d.next_attempt_at = Some(at);
        d.deferred_reason = Some(reason);
        if self.save_with(&d, before, None).await? {
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
        if !self.save_with(&d, before, None).await? {
            return self.after_another_recorded(&d).await;
        }
        self.app.metrics.processed(Processed::Cancelled);
        Ok(Outcome::Done)
    }

    /// What a copy of a message does when another copy recorded the delivery first. The
    /// queue hands a message out again when its lease runs out (an attempt that outlasted the
    /// visibility timeout), and then only the newest receipt settles it: the copy that won
    /// may hold the stale one, so its retry delay is lost, while this copy's delete would take
    /// the message for good. While the delivery is pending this copy keeps the message for
    /// its next slot; a delivery that ended needs it no more.
    async fn after_another_recorded(&self, d: &Delivery) -> Result<Outcome> {
        let stored = self
            .app
            .store
            .get_delivery(&d.tenant_id, &d.webhook_id, &d.id)
            .await?;
        let now = self.app.clock.now();
        Ok(match stored {
            Some(s) if s.status == DeliveryStatus::Pending => {
                let at = s.next_attempt_at.unwrap_or(now);
                let wait = (at - now).to_std().unwrap_or_default();
                Outcome::RetryIn(wait.max(Duration::from_millis(100)))
            }
            _ => Outcome::Done,
        })
    }

    /// Records `d` if it still has the attempts it had `before`, with an attempt that left the
    /// inline window stored apart in the same write, and counts what changed; false when
    /// another copy of the message recorded it meanwhile (see [`Self::after_another_recorded`]).
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
                self.count(
                    d,
                    Before {
                        attempts: prior,
                        status: before,
                        first_seen,
                    },
                );
                Ok(true)
            }
            Err(StoreError::AlreadyRecorded) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Counts in the statistics what recording `d` changed since `before`.
    fn count(&self, d: &Delivery, before: Before) {
        let attempt = (d.attempt_count() > before.attempts)
            .then(|| d.attempts.last())
            .flatten();
        let mut c = Counters::new();
        stats::record(&mut c, before.first_seen, before.status, d.status, attempt);
        self.stats.add(&d.tenant_id, &d.webhook_id, d.updated_at, c);
    }

    /// Writes the first-try successes and the marks gathered since the last flush. Should
    /// that fail, each is saved as a record of its own instead: the delivery was made, and its
    /// log must not say pending.
    pub(super) async fn flush_first_tries(&self) {
        let (first_tries, marks) = self.take_first_tries();
        self.write_first_tries(first_tries, marks).await;
    }

    /// The first-try successes and marks gathered since the last flush, taken to be written.
    pub(super) fn take_first_tries(&self) -> (Vec<Delivery>, Vec<Delivery>) {
        let take = |m: &Mutex<Vec<Delivery>>| {
            std::mem::take(&mut *m.lock().unwrap_or_else(|p| p.into_inner()))
        };
        (take(&self.first_tries), take(&self.marks))
    }

    /// Writes first-try successes and marks (see [`Self::flush_first_tries`]).
    pub(super) async fn write_first_tries(&self, first_tries: Vec<Delivery>, marks: Vec<Delivery>) {
        let mut alone = Vec::new();
        if !first_tries.is_empty()
            && let Err(e) = self.app.store.save_first_tries(&first_tries).await
        {
            tracing::warn!(error = %e, "could not write first-try records together; saving each alone");
            alone.extend(first_tries);
        }
        if !marks.is_empty()
            && let Err(e) = self.app.store.save_marks(&marks).await
        {
            tracing::warn!(error = %e, "could not write delivery marks; saving records instead");
            alone.extend(marks);
        }
        for d in &alone {
            match self.app.store.save_delivery(d, 0, None).await {
                Ok(()) | Err(StoreError::AlreadyRecorded) => {}
                Err(e) => tracing::error!(
                    delivery = %d.id,
                    error = %crate::error::chain(&e),
                    "a delivered first try could not be recorded: its log shows it pending"
                ),
            }
        }
    }

    /// Disables a webhook, saying why (and announcing it as `how` says).
    async fn disable(&self, webhook: &Webhook, reason: String, how: Announce) {
        let now = self.app.clock.now();
        let res = crate::service::webhooks::update_announcing(
            &self.app,
            &webhook.tenant_id,
            &webhook.id,
            how,
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

    /// Writes `last_triggered_at`, at most once per [`TOUCH_EVERY`] per webhook and process.
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

/// One line per attempt at the default level (the span names the delivery, webhook and
/// attempt): what the endpoint answered and what happens next.
fn log_attempt(d: &Delivery, a: &Attempt) {
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
