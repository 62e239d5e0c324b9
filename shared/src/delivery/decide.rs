//! Stage 4, decide: what the attempt means for the delivery, by the retry policy. No I/O.

use super::send::Attempted;
use super::{Before, Deliverer, Outcome};
use crate::model::{ArchivedAttempt, AttemptRule, Delivery, DeliveryStatus, Webhook};
use crate::service::operational::HealthNews;

/// The delivery's next state, to be recorded, and what to do with its message.
pub(super) struct Decided {
    pub delivery: Delivery,
    /// The delivery as it was read (what the save guards on and the statistics count).
    pub before: Before,
    /// An attempt that left the inline window, stored apart in the same write.
    pub archived: Option<ArchivedAttempt>,
    pub outcome: Outcome,
    pub webhook: Webhook,
    /// Whether the webhook's health recorded this attempt (and so when it was made).
    pub in_health: bool,
    /// What the attempt changed in the webhook's health that the platform is to hear of.
    pub news: HealthNews,
    /// The endpoint answered 410 Gone: the webhook is to be disabled.
    pub gone: bool,
}

impl Deliverer {
    pub(super) fn decide(&self, manual: bool, attempted: Attempted) -> Decided {
        let Attempted {
            delivery: mut d,
            webhook,
            attempt,
            retry_after,
            last_call,
            news,
        } = attempted;
        let succeeded = attempt.succeeded();
        let gone = attempt.rule == Some(AttemptRule::Gone);
        let in_health = succeeded || super::breaker::counts_as_failure(&attempt);
        let before = Before::of(&d);
        let archived = d.record(attempt);
        d.deferred_reason = None;
        d.updated_at = self.app.clock.now();
        let outcome = if succeeded {
            d.status = DeliveryStatus::Succeeded;
            d.next_attempt_at = None;
            Outcome::Done
        } else if manual {
            // A manual retry is one more attempt; it does not reopen the automatic schedule.
            Outcome::Done
        } else if last_call {
            // Its window is over (it waited for an open breaker, or in a backlog): it ends now.
            d.status = DeliveryStatus::Failed;
            d.next_attempt_at = None;
            Outcome::Done
        } else if gone {
            // The webhook is disabled; the delivery waits for it to be enabled again (admit).
            let wait = self.policy.interval;
            d.status = DeliveryStatus::Pending;
            d.next_attempt_at =
                Some(d.updated_at + chrono::TimeDelta::from_std(wait).unwrap_or_default());
            Outcome::RetryIn(wait)
        } else {
            let first = d.first_attempt_at().unwrap_or(d.updated_at);
            let automatic = d.automatic_attempts();
            match self
                .policy
                .next_delay(first, automatic, d.updated_at, retry_after)
            {
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
        Decided {
            delivery: d,
            before,
            archived,
            outcome,
            webhook,
            in_health,
            news,
            gone,
        }
    }
}
