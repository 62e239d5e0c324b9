//! Customer portal sessions: short-lived keys narrowed to one tenant (and optionally some of its
//! webhooks) that may read them and retry deliveries, and nothing else. A session can only
//! narrow what its maker sees.

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::WebhookId;
use crate::model::{Scope, Timestamp};
use crate::service::keys::{generate_key, new_api_key};

/// How long a session lasts unless asked otherwise, and the bounds of what may be asked.
pub const DEFAULT_TTL_SECONDS: u32 = 3600;
const MIN_TTL_SECONDS: u32 = 60;
const MAX_TTL_SECONDS: u32 = 86_400;
/// A session names at most this many webhooks (more: leave the list out to see them all).
const MAX_WEBHOOKS: usize = 100;

/// A new session: its token (shown once) and what it sees.
pub struct Session {
    pub token: String,
    pub webhook_ids: Option<Vec<WebhookId>>,
    pub expires_at: Timestamp,
}

/// Opens a session on the maker's tenant for `ttl` seconds, seeing `webhook_ids` (every webhook
/// when `None`). A maker that is itself a session may not mint another (403).
pub async fn open(
    app: &Hookline,
    maker: &crate::service::Actor<'_>,
    ttl: u32,
    webhook_ids: Option<Vec<WebhookId>>,
) -> Result<Session> {
    let tenant = maker.tenant;
    if maker.is_narrowed() {
        return Err(Error::Forbidden(Scope::WebhooksWrite.as_str()));
    }
    let mut errors = Vec::new();
    if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl) {
        errors.push(Err(Error::validation(
            "expires_in",
            format!("must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS} seconds"),
        )));
    }
    if let Some(ids) = &webhook_ids {
        if ids.is_empty() || ids.len() > MAX_WEBHOOKS {
            errors.push(Err(Error::validation(
                "webhook_ids",
                format!("list 1 to {MAX_WEBHOOKS} webhooks, or leave it out for all of them"),
            )));
        }
        for id in ids.iter().take(MAX_WEBHOOKS) {
            if app.store.get_webhook(tenant, id).await?.is_none() {
                errors.push(Err(Error::validation(
                    "webhook_ids",
                    format!("no webhook {id} in tenant {tenant}"),
                )));
            }
        }
    }
    Error::all(errors)?;
    let now = app.clock.now();
    let expires_at = now + chrono::Duration::seconds(ttl.into());
    let token = generate_key();
    let mut key = new_api_key(
        &token,
        tenant,
        vec![Scope::WebhooksRead, Scope::DeliveriesRetry],
        Some("portal session".into()),
        now,
    );
    key.expires_at = Some(expires_at);
    key.webhook_ids = webhook_ids.clone();
    app.store.put_key(&key).await?;
    Ok(Session {
        token,
        webhook_ids,
        expires_at,
    })
}
