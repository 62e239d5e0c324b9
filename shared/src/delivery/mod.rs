//! The delivery engine. [`Deliverer::process`] handles one queue message; the two drivers run it:
//! [`lambda`] for SQS batches on Lambda and [`worker`] for the embedded queue of `hookline serve`.
//!
//! A message goes through five stages, each a method in its own file that takes the value the
//! one before produced: load ([`load`]: the delivery, due now) → admit ([`admit`]: its
//! webhook, the breaker's word, its body, a place in the endpoint's window) → send ([`send`]:
//! sign, POST, tell the endpoint's health) → decide ([`decide`]: the retry policy, no I/O) →
//! record ([`record`]: save, statistics, metrics, log). A stage may end the message early with
//! a [`Stop`], which the record stage settles (a cancel or a deferral is saved like an attempt).
//! [`health`] owns the breaker and the per-endpoint window and is the only writer of health;
//! [`pace`] holds deliveries to a webhook's rate limit and its receiver's `Retry-After`.

mod admit;
pub mod breaker;
mod decide;
pub mod endpoint;
pub mod guard;
pub mod health;
#[cfg(feature = "aws")]
pub mod lambda;
mod load;
pub mod oauth2;
pub mod pace;
pub mod policy;
mod record;
mod send;
pub mod sender;
pub mod worker;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::backend::Hookline;
use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::model::{Delivery, DeliveryStatus, Timestamp};
use crate::queue::DeliveryTask;
use crate::stats::StatsBuffer;
use breaker::Breaker;
use endpoint::Endpoints;
use health::EndpointHealth;
use policy::RetryPolicy;
use sender::Sender;

/// `last_triggered_at` is written at most this often per webhook and process, so that a busy
/// endpoint does not cost one extra write per delivery.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Why a message leaves the pipeline before an attempt.
enum Stop {
    /// Nothing to record (a duplicate message, a manual retry to a webhook that is gone).
    Finished,
    /// Not due yet: the message comes back after this long.
    Early(Duration),
    /// The delivery can no longer be sent.
    Cancel(Delivery, &'static str),
    /// The endpoint's breaker is open: try again then (never after the delivery's last call),
    /// without a request now.
    Defer(Delivery, Timestamp),
    /// Paced: the webhook's rate limit is used up for now, or its receiver asked to wait.
    /// Not an attempt and not a failure; it comes back then.
    Hold(Delivery, Timestamp, pace::Held),
    /// Its webhook is disabled because its endpoint answered 410 Gone: kept until then, for
    /// when it is enabled again.
    Park(Delivery, Timestamp),
}

/// A delivery as it was read, before processing changed it: what `save` guards on and counts.
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
    health: EndpointHealth,
    pacer: pace::Pacer,
    touched: Mutex<HashMap<(TenantId, WebhookId), Instant>>,
    stats: StatsBuffer,
    /// Lean first-try successes waiting for the batch's end, to be marked in one write.
    marks: Mutex<Vec<Delivery>>,
    /// First-try successes of `full` tenants with no record yet, waiting for the batch's end
    /// to be recorded together (`EventStore::save_first_tries`).
    first_tries: Mutex<Vec<Delivery>>,
    /// Whether a first-try success gets a log line of its own (`HOOKLINE_LOG_DELIVERIES`).
    log_first_try: bool,
}

/// Runs a stage: its value, or the message's outcome once its [`Stop`] is recorded.
macro_rules! stage {
    ($self:ident, $flow:expr) => {
        match $flow {
            ControlFlow::Continue(next) => next,
            ControlFlow::Break(stop) => return $self.stop(stop).await,
        }
    };
}

impl Deliverer {
    /// OAuth2 token requests this process made (the benchmark counts them).
    pub fn token_fetches(&self) -> u64 {
        self.sender.tokens.fetches()
    }
}

impl Deliverer {
    pub fn new(app: Hookline) -> Result<Self> {
        let c = &app.config;
        let breaker = Breaker {
            threshold: c.breaker_threshold,
            first_open: c.breaker_open,
            max_open: c.retry_interval,
            refresh: TOUCH_EVERY,
        };
        Ok(Deliverer {
            sender: Sender::new(c.delivery_timeout, c.allow_private_targets)?,
            policy: RetryPolicy {
                interval: c.retry_interval,
                window: c.retry_window,
            },
            health: EndpointHealth::new(
                breaker,
                Endpoints::new(c.endpoint_concurrency),
                c.auto_disable_after,
                app.store.clone(),
                app.clock.clone(),
                app.metrics.clone(),
            ),
            pacer: pace::Pacer::new(app.store.clone()),
            log_first_try: c.log_deliveries == crate::config::LogDeliveries::All,
            app,
            touched: Mutex::new(HashMap::new()),
            stats: StatsBuffer::default(),
            marks: Mutex::new(Vec::new()),
            first_tries: Mutex::new(Vec::new()),
        })
    }

    /// Logs every attempt whatever `HOOKLINE_LOG_DELIVERIES` says (`hookline serve`: a line
    /// per delivery is what a person watching it wants, and costs nothing there).
    pub fn log_every_attempt(mut self) -> Self {
        self.log_first_try = true;
        self
    }

    pub fn app(&self) -> &Hookline {
        &self.app
    }

    /// Deliveries in flight to a webhook in this process.
    pub fn in_flight(&self, webhook: &WebhookId) -> usize {
        self.health.in_flight(webhook)
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
        self.pipeline(task, receives).instrument(span).await
    }

    async fn pipeline(&self, task: &DeliveryTask, receives: Option<u32>) -> Result<Outcome> {
        let loaded = stage!(self, self.load(task, receives).await?);
        let keep = record::FirstTry {
            lean: task.target().lean,
            batched: loaded.unrecorded || self.app.publisher.records_deliveries(),
        };
        let admitted = stage!(self, self.admit(task, loaded).await?);
        let attempted = self.send(task, admitted).await?;
        let decided = self.decide(task.is_manual(), attempted);
        self.record(decided, keep).await
    }

    /// Writes what the batch gathered: the first-try successes and the marks of lean ones, then the statistics
    /// counters (drivers call this once per batch, before they settle its messages).
    pub async fn flush_batch(&self) {
        self.flush_first_tries().await;
        if let Err(e) = self
            .stats
            .flush(self.app.store.as_ref(), self.app.config.delivery_shards)
            .await
        {
            tracing::warn!(error = %e, "could not write delivery statistics");
        }
    }
}
