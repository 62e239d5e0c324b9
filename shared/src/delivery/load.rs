//! Stage 1, load: the delivery a message names, as recorded (or as its message describes it,
//! before its first save), and whether it is due now.

use std::ops::ControlFlow;
use std::time::Duration;

use super::{Deliverer, Stop};
use crate::error::Result;
use crate::model::{Delivery, Timestamp};
use crate::queue::DeliveryTask;

/// How early a scheduled attempt may run (queue and clock granularity).
const EARLY_TOLERANCE: Duration = Duration::from_secs(1);

/// A delivery that is due: neither settled nor already attempted for this message.
pub(super) struct Loaded {
    pub delivery: Delivery,
    /// A scheduled delivery the store holds no record of yet (its message's first sight,
    /// where publishes write none): a first-try success may be recorded with the batch's
    /// others.
    pub unrecorded: bool,
}

impl Deliverer {
    pub(super) async fn load(
        &self,
        task: &DeliveryTask,
        receives: Option<u32>,
    ) -> Result<ControlFlow<Stop, Loaded>> {
        let t = task.target();
        // A publish's message received for the first time has no record to read where
        // publishes write none (DynamoDB): the read is skipped, and the first save creates the
        // record only if there is still none. (A duplicate copy SQS hands out as a first
        // receive may POST once more, with the same webhook-id, and records nothing; every
        // later receive reads.)
        let first_sight = receives == Some(1)
            && !self.app.publisher.records_deliveries()
            && !t.resent
            && t.event_type.is_some()
            && matches!(task, DeliveryTask::Scheduled(_) | DeliveryTask::Test(_));
        let recorded = match first_sight {
            true => None,
            false => {
                self.app
                    .store
                    .get_delivery(&t.tenant_id, &t.webhook_id, &t.delivery_id)
                    .await?
            }
        };
        let unrecorded = recorded.is_none() && matches!(task, DeliveryTask::Scheduled(_));
        let d = match recorded {
            Some(d) => d,
            None => match self.unrecorded(task).await? {
                Some(d) => d,
                None => {
                    tracing::warn!("delivery record not found; dropping message");
                    return Ok(ControlFlow::Break(Stop::Finished));
                }
            },
        };
        tracing::Span::current().record("attempt", d.attempt_count() + 1);
        // A manual retry whose attempt is already recorded arrived twice.
        if let Some(rid) = task.retry_id()
            && d.attempts.iter().any(|a| a.retry_id.as_ref() == Some(rid))
        {
            return Ok(ControlFlow::Break(Stop::Finished));
        }
        // SQS is at-least-once: a delivery that is already settled is never sent again.
        if d.status.is_final() && !task.is_manual() {
            tracing::info!(status = d.status.as_str(), "duplicate message ignored");
            return Ok(ControlFlow::Break(Stop::Finished));
        }
        // A scheduled attempt that arrives early (a duplicate message, or a replacement whose
        // queue delay is shorter than the retry's) waits for its time.
        if let (DeliveryTask::Scheduled(_), Some(due)) = (task, d.next_attempt_at) {
            let early = (due - self.app.clock.now()).to_std().unwrap_or_default();
            if early > EARLY_TOLERANCE {
                return Ok(ControlFlow::Break(Stop::Early(early)));
            }
        }
        Ok(ControlFlow::Continue(Loaded {
            delivery: d,
            unrecorded,
        }))
    }

    /// A delivery the store holds no record of yet: a publish's message processed for the
    /// first time (where publishing writes no delivery records, the first save creates it). A
    /// manual retry always names a recorded delivery.
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
            t.expires_at
                .unwrap_or_else(|| self.app.config.expires_after(created_at)),
        );
        d.id = t.delivery_id.clone();
        Ok(Some(d))
    }
}
