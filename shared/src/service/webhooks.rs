//! Webhook rules: what a stored webhook must satisfy, creation under the tenant's cap, updates
//! that re-read on a concurrent change, secret rotation.

use super::webhook_rules::{check, signing_keys_ready};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, EventId, TenantId, WebhookId};
use crate::model::{Page, SignatureScheme, SigningSecret, Timestamp, Webhook};
use crate::queue::DeliveryTask;
use crate::service::Actor;
use crate::service::operational::{self, Announce};
use crate::signing;
use crate::stats::StatsOut;
use crate::store::StoreError;

/// How often an update re-reads and retries after losing a race.
const UPDATE_ATTEMPTS: usize = 5;

/// Longest rotation grace period: 7 days.
pub const MAX_GRACE_SECONDS: u64 = 7 * 86400;

/// What a new webhook is made of (the fields a caller chooses).
#[derive(Debug, Clone, Default)]
pub struct WebhookDraft {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub account_ids: Vec<String>,
    pub metadata: std::collections::BTreeMap<String, String>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub auth: Option<crate::model::ReceiverAuth>,
    pub tls: Option<crate::model::TlsOptions>,
    pub timeout_seconds: Option<u32>,
    pub filter: Option<crate::model::Filter>,
    pub rate_limit: Option<u32>,
    pub ordering: crate::model::Ordering,
    pub signature_scheme: SignatureScheme,
}

/// A fresh signing secret, valid from `now`.
pub fn new_secret(now: Timestamp) -> SigningSecret {
    SigningSecret {
        key: signing::generate_secret().into(),
        created_at: now,
        expires_at: None,
    }
}

/// Creates a webhook, with a new secret, in the actor's tenant. A portal session limited to some webhooks may not
/// add others (its list is fixed when the platform opens it).
pub async fn create(app: &Hookline, actor: &Actor<'_>, draft: WebhookDraft) -> Result<Webhook> {
    if actor.is_narrowed() {
        return Err(Error::NotForSessions(
            "this session is limited to some endpoints and cannot add others",
        ));
    }
    create_as(app, actor.tenant, WebhookId::generate(), draft).await
}

/// Creates a webhook of `tenant` with the id the caller chose (`PUT` as an upsert);
/// `webhook_exists` (409) when the tenant has one by that id already.
pub async fn create_as(
    app: &Hookline,
    tenant: &TenantId,
    id: WebhookId,
    draft: WebhookDraft,
) -> Result<Webhook> {
    let now = app.clock.now();
    let w = Webhook {
        id,
        tenant_id: tenant.clone(),
        url: draft.url,
        description: draft.description.filter(|d| !d.is_empty()),
        events: draft.events,
        enabled: draft.enabled,
        account_ids: draft.account_ids,
        metadata: draft.metadata,
        headers: draft.headers,
        auth: draft.auth,
        tls: draft.tls,
        timeout_seconds: draft.timeout_seconds,
        filter: draft.filter,
        rate_limit: draft.rate_limit,
        ordering: draft.ordering,
        secrets: vec![new_secret(now)],
        signature_scheme: draft.signature_scheme,
        created_at: now,
        updated_at: now,
        last_triggered_at: None,
        version: 1,
        health: Default::default(),
        disabled_reason: None,
        disabled_at: None,
    };
    check(app, None, &w).await?;
    signing_keys_ready(app, None, &w).await?;
    app.store
        .create_webhook(&w, app.config.max_webhooks_per_tenant)
        .await?;
    app.caches.webhook_changed(tenant, &w.id);
    operational::webhook_created(app, &w).await;
    Ok(w)
}

/// The tenant that owns webhook `id`, if any (an admin names a webhook by id alone).
pub async fn owner(app: &Hookline, id: &WebhookId) -> Result<Option<TenantId>> {
    Ok(app.store.webhook_tenant(id).await?)
}

/// A page of webhooks, oldest first: `tenant`'s, or every tenant's when `None` (admins and
/// partners list across tenants); `keep` filters while paging, so a page is full whenever more
/// matches exist.
pub async fn list(
    app: &Hookline,
    tenant: Option<&TenantId>,
    limit: usize,
    start: Option<WebhookId>,
    keep: impl Fn(&Webhook) -> bool,
) -> Result<Page<Webhook, WebhookId>> {
    super::filtered_page(
        limit,
        start,
        |after, n| async move { app.store.list_webhooks(tenant, after.as_ref(), n).await },
        keep,
        |w| w.id.clone(),
    )
    .await
}

/// `PUT`: replaces the webhook's fields with `draft` (a missing `enabled`, `account_ids`,
/// `ordering` or `signature_scheme` keeps what it was: `keep` says which were missing), or creates it with
/// this id when the tenant has none (an upsert: seed 001's clients keep their own ids).
/// `true` with a created webhook.
pub async fn put(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    draft: WebhookDraft,
    keep: PutKeeps,
) -> Result<(Webhook, bool)> {
    if app.store.get_webhook(tenant, id).await?.is_none() {
        // A webhook id is unique across every tenant and mode: one that exists elsewhere is
        // not the caller's to create, and is answered as any webhook it cannot see.
        if owner(app, id).await?.is_some() {
            return Err(Error::NotFound("webhook"));
        }
        let w = create_as(app, tenant, id.clone(), draft).await?;
        return Ok((w, true));
    }
    let w = update_with(app, tenant, id, |w| {
        w.url = draft.url.clone();
        w.events = draft.events.clone();
        w.description = draft.description.clone().filter(|d| !d.is_empty());
        if !keep.enabled {
            w.enabled = draft.enabled;
        }
        if !keep.account_ids {
            w.account_ids = draft.account_ids.clone();
        }
        w.metadata = draft.metadata.clone();
        w.headers = draft.headers.clone();
        w.auth = draft.auth.clone();
        w.tls = draft.tls.clone();
        w.timeout_seconds = draft.timeout_seconds;
        w.filter = draft.filter.clone();
        w.rate_limit = draft.rate_limit;
        if !keep.ordering {
            w.ordering = draft.ordering;
        }
        if !keep.signature_scheme {
            w.signature_scheme = draft.signature_scheme;
        }
        Ok(())
    })
    .await?;
    Ok((w, false))
}

/// The fields a `PUT` left out, which keep their stored values.
#[derive(Debug, Clone, Copy, Default)]
pub struct PutKeeps {
    pub enabled: bool,
    pub account_ids: bool,
    pub signature_scheme: bool,
    pub ordering: bool,
}

/// The type of a test event sent without one.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// A test event sent to one webhook.
pub struct TestSent {
    pub event_id: EventId,
    pub delivery_id: DeliveryId,
    pub event_type: String,
}

/// Sends a test event to this webhook only: `event_type` from the catalogue with its example
/// payload, or `webhook.test`. It goes even through an open breaker (the user asked for it).
pub async fn send_test(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    event_type: Option<String>,
) -> Result<TestSent> {
    let w = load_sendable(app, tenant, id).await?;
    let (event_type, data) = match event_type {
        None => (
            TEST_EVENT_TYPE.to_string(),
            serde_json::json!({"webhook_id": w.id, "message": "A test event from Hookline"}),
        ),
        Some(t) => {
            let example = super::events::example_of(app, "event_type", &t).await?;
            (t, example)
        }
    };
    let event =
        super::events::new_event(app, tenant, EventId::generate(), event_type, None, data).await?;
    let out =
        super::events::fan_out(app, event, std::slice::from_ref(&w), DeliveryTask::Test).await?;
    Ok(TestSent {
        delivery_id: DeliveryId::of(tenant, &out.id, &w.id, out.created_at),
        event_id: out.id,
        event_type: out.event_type,
    })
}

/// The webhook's delivery counts and response times, with the last `hours` hour by hour (1 to
/// [`crate::stats::MAX_HOURS`], a week).
pub async fn stats(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    hours: u32,
) -> Result<StatsOut> {
    if !(1..=crate::stats::MAX_HOURS).contains(&hours) {
        return Err(Error::validation(
            "hours",
            format!("must be between 1 and {}", crate::stats::MAX_HOURS),
        ));
    }
    load(app, tenant, id).await?;
    crate::stats::webhook_stats(app.store.as_ref(), tenant, id, app.clock.now(), hours).await
}

/// Loads a webhook of `tenant`; another tenant's id is simply not found.
pub async fn load(app: &Hookline, tenant: &TenantId, id: &WebhookId) -> Result<Webhook> {
    app.store
        .get_webhook(tenant, id)
        .await?
        .ok_or(Error::NotFound("webhook"))
}

/// Loads a webhook that can be sent to now: manual sends to a disabled one are refused (409).
pub async fn load_sendable(app: &Hookline, tenant: &TenantId, id: &WebhookId) -> Result<Webhook> {
    let w = load(app, tenant, id).await?;
    if !w.enabled {
        return Err(Error::Conflict {
            code: "webhook_disabled",
            message: "the webhook is disabled; enable it first".into(),
        });
    }
    Ok(w)
}

/// Applies `change` to the stored webhook and saves it, re-reading on a concurrent update,
/// and announces the change (`hookline.webhook.*`).
pub async fn update_with(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    change: impl Fn(&mut Webhook) -> Result<()>,
) -> Result<Webhook> {
    update_announcing(app, tenant, id, Announce::Yes, change).await
}

/// [`update_with`], announced as `how` says.
pub async fn update_announcing(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    how: Announce,
    change: impl Fn(&mut Webhook) -> Result<()>,
) -> Result<Webhook> {
    for _ in 0..UPDATE_ATTEMPTS {
        let before = load(app, tenant, id).await?;
        let mut w = before.clone();
        change(&mut w)?;
        check(app, Some(&before), &w).await?;
        signing_keys_ready(app, Some(&before), &w).await?;
        w.version += 1;
        w.updated_at = app.clock.now();
        let re_enabled = w.enabled && !before.enabled;
        if re_enabled {
            w.disabled_reason = None;
            w.disabled_at = None;
        }
        let updated = app.store.update_webhook(&w).await;
        app.caches.webhook_changed(tenant, id);
        let w = match updated {
            Err(StoreError::VersionConflict) => continue,
            Err(e) => return Err(e.into()),
            Ok(()) if re_enabled => fresh_start(app, w).await?,
            Ok(()) => w,
        };
        operational::webhook_changed(app, &before, &w, how).await;
        return Ok(w);
    }
    Err(StoreError::VersionConflict.into())
}

/// A re-enabled webhook starts over: its breaker closed and its failures forgotten, so that
/// the auto-disable clock does not carry the old run of failures.
async fn fresh_start(app: &Hookline, mut w: Webhook) -> Result<Webhook> {
    for _ in 0..UPDATE_ATTEMPTS {
        let current = load(app, &w.tenant_id, &w.id).await?.health;
        let reset = crate::model::Health {
            last_success_at: current.last_success_at,
            last_failure_at: current.last_failure_at,
            rev: current.rev + 1,
            ..Default::default()
        };
        let written = app.store.put_health(&w.tenant_id, &w.id, &reset).await?;
        app.caches.webhook_changed(&w.tenant_id, &w.id);
        if written {
            w.health = reset;
            return Ok(w);
        }
    }
    Err(StoreError::VersionConflict.into())
}

pub async fn delete(app: &Hookline, tenant: &TenantId, id: &WebhookId) -> Result<()> {
    let deleted = app.store.delete_webhook(tenant, id).await?;
    app.caches.webhook_changed(tenant, id);
    if deleted {
        operational::webhook_deleted(app, tenant, id).await;
        Ok(())
    } else {
        Err(Error::NotFound("webhook"))
    }
}

/// Rotates the signing secret; the previous ones stay valid for `grace_seconds`. Returns the
/// webhook and until when the previous secrets stay valid.
pub async fn rotate_secret(
    app: &Hookline,
    tenant: &TenantId,
    id: &WebhookId,
    grace_seconds: u64,
) -> Result<(Webhook, Option<Timestamp>)> {
    if grace_seconds > MAX_GRACE_SECONDS {
        return Err(Error::validation(
            "grace_period_seconds",
            format!("must be at most {MAX_GRACE_SECONDS} (7 days)"),
        ));
    }
    let now = app.clock.now();
    let new = new_secret(now);
    let grace = chrono::TimeDelta::seconds(grace_seconds as i64);
    let w = update_with(app, tenant, id, |w| {
        w.rotate_secret(new.clone(), now, grace);
        Ok(())
    })
    .await?;
    let previous_until = w.secrets.iter().skip(1).filter_map(|s| s.expires_at).max();
    Ok((w, previous_until))
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::sqlite::SqliteDb;

    fn app(cap: u32) -> Hookline {
        let config = Config {
            max_webhooks_per_tenant: cap,
            ..Config::default()
        };
        Hookline::with_sqlite(config, SqliteDb::in_memory().unwrap())
    }

    fn draft() -> WebhookDraft {
        WebhookDraft {
            url: "https://hooks.example.com/a".into(),
            enabled: true,
            ..WebhookDraft::default()
        }
    }

    #[tokio::test]
    async fn rules_hold_without_http() {
        let app = app(1);
        let t = TenantId::parse("t1").unwrap();
        let w = create(&app, &Actor::of_tenant(&t), draft()).await.unwrap();
        assert_eq!(w.version, 1);
        let over = create(&app, &Actor::of_tenant(&t), draft())
            .await
            .unwrap_err();
        assert_eq!(
            (over.status().as_u16(), over.code()),
            (409, "webhook_limit_reached")
        );
        let bad = WebhookDraft {
            url: "http://hooks.example.com/".into(),
            ..draft()
        };
        let e = create(
            &app,
            &Actor::of_tenant(&TenantId::parse("t2").unwrap()),
            bad,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&e, Error::Validation { field, .. } if field == "url"),
            "{e:?}"
        );

        // Updates bump the version; another tenant's id is not found.
        let changed = update_with(&app, &t, &w.id, |w| {
            w.description = Some("x".into());
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(
            (changed.version, changed.description.as_deref()),
            (2, Some("x"))
        );
        let other = TenantId::parse("t2").unwrap();
        assert!(matches!(
            update_with(&app, &other, &w.id, |_| Ok(())).await,
            Err(Error::NotFound("webhook"))
        ));

        // Rotation: a new secret, the old one kept for the grace period only.
        let (rotated, until) = rotate_secret(&app, &t, &w.id, 60).await.unwrap();
        assert_eq!(rotated.secrets.len(), 2);
        assert_ne!(rotated.secrets[0].key, w.secrets[0].key);
        assert!(until.is_some());
        let e = rotate_secret(&app, &t, &w.id, MAX_GRACE_SECONDS + 1)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Validation { field, .. } if field == "grace_period_seconds"),
            "{e:?}"
        );
        delete(&app, &t, &w.id).await.unwrap();
        assert!(matches!(
            delete(&app, &t, &w.id).await,
            Err(Error::NotFound("webhook"))
        ));
    }
}
