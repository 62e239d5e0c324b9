//! The body of `PATCH /v1/webhooks/{id}`: the fields present change the webhook, `null`
//! clears what can be cleared. Kept apart from the handlers (`api/webhooks.rs`) because every
//! new webhook field adds a line to each.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Patch;
use crate::error::{Error, Result};
use crate::model::{Filter, Ordering, ReceiverAuth, SignatureScheme, TlsOptions, Webhook};

/// `PATCH` body: only the fields present change; `null` clears a field that can be cleared
/// (`description`, `account_ids`, `metadata`, `headers`; an empty `description` clears it too)
/// and keeps
/// `events`.
#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookPatchIn {
    #[schema(value_type = Option<String>)]
    pub url: Patch<String>,
    #[schema(value_type = Option<Vec<String>>)]
    pub events: Patch<Vec<String>>,
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[schema(value_type = Option<bool>)]
    pub enabled: Patch<bool>,
    #[schema(value_type = Option<Vec<String>>)]
    pub account_ids: Patch<Vec<String>>,
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub metadata: Patch<BTreeMap<String, String>>,
    /// Replaces every custom header; `null` clears them.
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub headers: Patch<BTreeMap<String, String>>,
    /// Replaces the receiver authentication; `null` removes it.
    #[schema(value_type = Option<ReceiverAuth>)]
    pub auth: Patch<ReceiverAuth>,
    /// Replaces the TLS options; `null` removes them.
    #[schema(value_type = Option<TlsOptions>)]
    pub tls: Patch<TlsOptions>,
    /// `null` goes back to the deployment's timeout.
    #[schema(value_type = Option<u32>)]
    pub timeout_seconds: Patch<u32>,
    /// Replaces the payload filter; `null` removes it.
    #[schema(value_type = Option<Object>)]
    pub filter: Patch<Filter>,
    /// `null` removes the limit.
    #[schema(value_type = Option<u32>)]
    pub rate_limit: Patch<u32>,
    /// `null` goes back to `none`. Applies to events published after the change.
    #[schema(value_type = Option<Ordering>)]
    pub ordering: Patch<Ordering>,
    /// `null` goes back to the default, `hmac-sha256`.
    #[schema(value_type = Option<SignatureScheme>)]
    pub signature_scheme: Patch<SignatureScheme>,
}

impl WebhookPatchIn {
    /// Applies the fields present to `w`; `null` on a field that cannot be cleared is a 422.
    pub fn apply(&self, w: &mut Webhook) -> Result<()> {
        fn required<T>(field: &'static str) -> impl FnOnce() -> Result<T> {
            move || Err(Error::validation(field, "cannot be null"))
        }
        self.url.clone().apply_to(&mut w.url, required("url"))?;
        self.enabled
            .clone()
            .apply_to(&mut w.enabled, required("enabled"))?;
        // `events: null` keeps the subscription, as the seed APIs read it (an empty list is
        // how a caller subscribes to every type).
        if let Patch::Value(events) = self.events.clone() {
            w.events = events;
        }
        self.account_ids
            .clone()
            .apply_to(&mut w.account_ids, || Ok(Vec::new()))?;
        self.metadata
            .clone()
            .apply_to(&mut w.metadata, || Ok(BTreeMap::new()))?;
        self.headers
            .clone()
            .apply_to(&mut w.headers, || Ok(BTreeMap::new()))?;
        self.auth.clone().apply_to_option(&mut w.auth);
        self.tls.clone().apply_to_option(&mut w.tls);
        self.timeout_seconds
            .clone()
            .apply_to_option(&mut w.timeout_seconds);
        self.filter.clone().apply_to_option(&mut w.filter);
        self.rate_limit.clone().apply_to_option(&mut w.rate_limit);
        self.ordering
            .clone()
            .apply_to(&mut w.ordering, || Ok(Ordering::None))?;
        self.signature_scheme
            .clone()
            .apply_to(&mut w.signature_scheme, || Ok(SignatureScheme::default()))?;
        let mut description = w.description.clone().unwrap_or_default();
        self.description
            .clone()
            .apply_to(&mut description, || Ok(String::new()))?;
        w.description = (!description.is_empty()).then_some(description);
        Ok(())
    }
}
