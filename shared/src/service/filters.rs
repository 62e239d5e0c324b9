//! Whether a sample event would reach a webhook, and if not, why: what a customer asks before
//! trusting a filter with real traffic. The same rules as a publish ([`Webhook::accepts`]),
//! taken one by one so that the answer names the one that refused.

use serde_json::{Value, json};

use crate::backend::Hookline;
use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::model::{Envelope, Mismatch, Webhook};

/// An event as a publisher would send it.
pub struct Sample {
    pub id: Option<String>,
    pub event_type: String,
    pub account_id: Option<String>,
    pub data: Value,
}

/// The answer: none when the sample would be delivered, otherwise what refused it.
pub struct Verdict {
    /// `enabled`, `events`, `account_ids` or `filter`.
    pub field: &'static str,
    pub mismatch: Mismatch,
}

/// Checks `sample` against webhook `id` of `tenant`.
pub async fn check(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    sample: &Sample,
) -> Result<Option<Verdict>> {
    let w = super::webhooks::load(app, tenant, id).await?;
    Ok(verdict(&w, sample))
}

fn verdict(w: &Webhook, s: &Sample) -> Option<Verdict> {
    let refused = |field, path: &str, condition: Value, reason: String| {
        Some(Verdict {
            field,
            mismatch: Mismatch {
                path: path.to_string(),
                condition,
                reason,
            },
        })
    };
    if !w.enabled {
        return refused("enabled", "", json!(true), "the webhook is disabled".into());
    }
    let envelope = Envelope {
        id: s.id.as_deref().unwrap_or("evt_sample"),
        event_type: &s.event_type,
        account_id: s.account_id.as_deref(),
        data: &s.data,
    };
    // The rules of `Webhook::matches`, one at a time.
    if !w.wants_type(&s.event_type) {
        return refused(
            "events",
            "type",
            json!(w.events),
            format!("{:?} is not among the webhook's event types", s.event_type),
        );
    }
    let account = s.account_id.as_deref();
    if !w.wants_account(account) {
        let reason = match account {
            None => "the event has no account_id".to_string(),
            Some(a) => format!("{a:?} is not among the webhook's accounts"),
        };
        return refused("account_ids", "account_id", json!(w.account_ids), reason);
    }
    let filter = w.filter.as_ref()?;
    filter.evaluate(&envelope).err().map(|mismatch| Verdict {
        field: "filter",
        mismatch,
    })
}
