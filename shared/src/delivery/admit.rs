//! Stage 2, admit: the webhook the delivery goes to (gone or off: cancelled), the breaker's
//! word on a scheduled attempt (open: deferred, without a request), the body (its event gone:
//! cancelled), and a place in the endpoint's window.

use std::ops::ControlFlow;

use super::endpoint::Slot;
use super::health::Admission;
use super::load::Loaded;
use super::{Deliverer, Stop};
use crate::error::Result;
use crate::model::{Delivery, Webhook};
use crate::queue::DeliveryTask;

/// A delivery cleared to go: its webhook, its body and its place in the endpoint's window
/// (freed when the attempt is recorded, or when this is dropped).
pub(super) struct Admitted {
    pub delivery: Delivery,
    pub webhook: Webhook,
    pub body: String,
    pub slot: Slot,
}

impl Deliverer {
    pub(super) async fn admit(
        &self,
        task: &DeliveryTask,
        loaded: Loaded,
    ) -> Result<ControlFlow<Stop, Admitted>> {
        let Loaded { delivery: d } = loaded;
        let t = task.target();
        let store = &self.app.store;
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
            _ if task.is_manual() => return Ok(ControlFlow::Break(Stop::Finished)),
            Some(_) => return Ok(ControlFlow::Break(Stop::Cancel(d, "webhook disabled"))),
            None => return Ok(ControlFlow::Break(Stop::Cancel(d, "webhook deleted"))),
        };
        // What the user asked for (a manual retry, a test event) goes through an open breaker.
        let scheduled = matches!(task, DeliveryTask::Scheduled(_));
        let mut probing = false;
        if scheduled {
            match self.health.admit(&webhook).await? {
                Admission::Send => {}
                Admission::Probe => probing = true,
                Admission::Defer(until) => return Ok(ControlFlow::Break(Stop::Defer(d, until))),
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
        let slot = match self.health.place(&webhook, scheduled && !probing).await {
            Ok(slot) => slot,
            Err(until) => return Ok(ControlFlow::Break(Stop::Defer(d, until))),
        };
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
        }))
    }
}
