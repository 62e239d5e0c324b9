//! Stage 2, admit: the webhook the delivery goes to (gone or off: cancelled), the breaker's
//! word on a scheduled attempt (open: deferred, without a request, until the breaker's next
//! probe or the delivery's last call, whichever comes first: see `RetryPolicy::last_call`),
//! the body (its event gone: cancelled), a place in the endpoint's window, and the pace its
//! receiver set (a rate limit, a `Retry-After`: held, without a request, until it has room).

use std::ops::ControlFlow;

use super::endpoint::Slot;
use super::health::Admission;
use super::load::Loaded;
use super::pace::Pace;
use super::{Deliverer, Stop};
use crate::error::Result;
use crate::model::{Delivery, ENDPOINT_GONE, Webhook};
use crate::queue::DeliveryTask;

/// A delivery cleared to go: its webhook, its body and its place in the endpoint's window
/// (freed when the attempt is recorded, or when this is dropped).
pub(super) struct Admitted {
    pub delivery: Delivery,
    pub webhook: Webhook,
    pub body: String,
    pub slot: Slot,
    /// Its last call: the retry window is over, so this attempt is its last either way.
    pub last_call: bool,
}

impl Deliverer {
    pub(super) async fn admit(
        &self,
        task: &DeliveryTask,
        loaded: Loaded,
    ) -> Result<ControlFlow<Stop, Admitted>> {
        let Loaded {
            delivery: mut d, ..
        } = loaded;
        let t = task.target();
        let store = &self.app.store;
        let key = (t.tenant_id.clone(), t.webhook_id.clone());
        let webhook = self
            .app
            .caches
            .webhook
            .get_or_load(&key, || store.get_webhook(&t.tenant_id, &t.webhook_id))
            .await?;
        let now = self.app.clock.now();
        // The retry window starts at the first attempt. A delivery never attempted counts it
        // from its creation, except under a rate limit: the wait for a permit is the
        // receiver's own pace, and must not use up the window.
        let start = match (
            d.first_attempt_at(),
            webhook.as_ref().and_then(|w| w.rate_limit),
        ) {
            (Some(first), _) => first,
            (None, Some(_)) => now,
            (None, None) => d.created_at,
        };
        let last_call = self.policy.last_call(start, d.id.as_str());
        let last_call_due = now >= last_call;
        let webhook = match webhook {
            Some(w) if w.enabled => w,
            // A manual retry to a webhook that is gone or off changes nothing.
            _ if task.is_manual() => return Ok(ControlFlow::Break(Stop::Finished)),
            // Its endpoint said 410 Gone: kept for when the webhook is enabled again.
            Some(w) if w.disabled_reason.as_deref() == Some(ENDPOINT_GONE) && !last_call_due => {
                let look =
                    now + chrono::TimeDelta::from_std(self.policy.interval).unwrap_or_default();
                return Ok(ControlFlow::Break(Stop::Park(d, look.min(last_call))));
            }
            Some(_) => return Ok(ControlFlow::Break(Stop::Cancel(d, "webhook disabled"))),
            None => return Ok(ControlFlow::Break(Stop::Cancel(d, "webhook deleted"))),
        };
        // What the user asked for (a manual retry, a test event) goes through an open breaker,
        // and so does a delivery's last call: none ends without an attempt.
        let scheduled = matches!(task, DeliveryTask::Scheduled(_));
        let mut probing = false;
        if scheduled {
            match self.health.admit(&webhook).await? {
                Admission::Send => {}
                Admission::Probe => probing = true,
                Admission::Defer(until) if !last_call_due => {
                    return Ok(ControlFlow::Break(Stop::Defer(d, until.min(last_call))));
                }
                Admission::Defer(_) => {
                    tracing::info!("circuit breaker open, but the retry window is over: last call")
                }
            }
        }
        let body = match &t.body {
            Some(b) => b.clone(),
            None => match store.get_event(&t.tenant_id, &t.event_id).await? {
                Some(ev) => crate::service::events::envelope(&ev),
                None => {
                    return Ok(ControlFlow::Break(Stop::Cancel(
                        d,
                        "event no longer stored",
                    )));
                }
            },
        };
        // While this delivery waited for its place, the breaker may have opened.
        let recheck = scheduled && !probing && !last_call_due;
        let slot = match self.health.place(&webhook, recheck).await {
            Ok(slot) => slot,
            Err(until) => {
                return Ok(ControlFlow::Break(Stop::Defer(d, until.min(last_call))));
            }
        };
        // A place in the window first, then a permit: a permit is for a request made now.
        // What the user asked for, and the breaker's probe, go outside the pace.
        if scheduled && !probing {
            let health = self.health.current(&webhook);
            let now = self.app.clock.now();
            match self.pacer.take(&webhook, &health, d.paced_at, now).await? {
                Pace::Go => d.paced_at = None,
                Pace::Hold {
                    until,
                    why,
                    reserved,
                } => {
                    drop(slot);
                    if reserved {
                        d.paced_at = Some(until);
                    }
                    return Ok(ControlFlow::Break(Stop::Hold(d, until, why)));
                }
            }
        }
        if scheduled {
            let due = d.next_attempt_at.unwrap_or(d.created_at);
            let lag = self.app.clock.now() - due;
            self.app.metrics.lag(lag.to_std().unwrap_or_default());
        }
        Ok(ControlFlow::Continue(Admitted {
            delivery: d,
            webhook,
            body,
            slot,
            last_call: scheduled && last_call_due,
        }))
    }
}
