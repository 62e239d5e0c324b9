//! What a stored webhook must satisfy: each field it sets or an update changes, and the
//! signing keys its scheme needs. Kept apart from the operations (`webhooks.rs`), which grow
//! with every new webhook field.

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::Webhook;
use crate::service::events::check_catalogue;
use crate::validation;

/// Validates the fields of a webhook as it will be stored: all of them for a new one (`before`
/// is `None`), only those an update changed otherwise, so that a webhook stored under older
/// rules (an event type since removed from the catalogue, a private target no longer allowed)
/// can always be paused, renamed or have its secret rotated, above all after a leak. Every
/// invalid field is reported, not only the first.
pub(super) async fn check(app: &Hookline, before: Option<&Webhook>, w: &Webhook) -> Result<()> {
    let changed = |differs: &dyn Fn(&Webhook) -> bool| before.is_none_or(differs);
    let mut checks = Vec::new();
    if changed(&|b| b.url != w.url) {
        checks.push(validation::webhook_url(&w.url, app.config.allow_private_targets).map(drop));
    }
    // The catalogue is asked only about a well-formed filter, and answers last.
    let mut known = Ok(());
    if changed(&|b| b.events != w.events) {
        let filter = validation::event_filter(&w.events);
        if filter.is_ok() {
            known = check_catalogue(app, "events", &w.events).await;
        }
        checks.push(filter);
    }
    if changed(&|b| b.description != w.description) {
        checks.push(validation::description(w.description.as_deref()));
    }
    if changed(&|b| b.account_ids != w.account_ids) {
        checks.push(validation::account_ids(&w.account_ids));
    }
    if changed(&|b| b.metadata != w.metadata) {
        checks.push(validation::metadata(&w.metadata));
    }
    if changed(&|b| b.headers != w.headers) {
        checks.push(validation::custom_headers(&w.headers));
    }
    if let Some(t) = w.timeout_seconds
        && changed(&|b| b.timeout_seconds != w.timeout_seconds)
    {
        checks.push(validation::timeout_seconds(t));
    }
    if let Some(r) = w.rate_limit
        && changed(&|b| b.rate_limit != w.rate_limit)
    {
        checks.push(validation::rate_limit(r));
    }
    if w.ordering == crate::model::Ordering::Fifo
        && changed(&|b| b.ordering != w.ordering)
        && !app.queue.keeps_order()
    {
        checks.push(Err(Error::validation(
            "ordering",
            "this deployment has no FIFO queue (HOOKLINE_FIFO_QUEUE_URL), so deliveries cannot be ordered",
        )));
    }
    if let Some(f) = &w.filter
        && changed(&|b| b.filter != w.filter)
    {
        checks.push(validation::payload_filter(f));
    }
    if let Some(auth) = &w.auth
        && changed(&|b| b.auth != w.auth || b.headers != w.headers)
    {
        checks.push(validation::receiver_auth(
            auth,
            &w.headers,
            app.config.allow_private_targets,
        ));
    }
    if let Some(tls) = &w.tls
        && changed(&|b| b.tls != w.tls)
    {
        checks.push(validation::pem_certificates(
            "tls.ca_certificate",
            &tls.ca_certificate,
        ));
    }
    checks.push(known);
    Error::all(checks)
}

/// A webhook that now signs with the tenant's key pair: the key exists before the webhook
/// says so, so that its receiver can fetch the public half before the first delivery.
pub(super) async fn signing_keys_ready(
    app: &Hookline,
    before: Option<&Webhook>,
    w: &Webhook,
) -> Result<()> {
    let newly = before.is_none_or(|b| !b.signature_scheme.is_asymmetric());
    if w.signature_scheme.is_asymmetric() && newly {
        crate::service::verification_keys::keyring(app, &w.tenant_id).await?;
    }
    Ok(())
}
