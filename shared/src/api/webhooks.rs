//! `/v1/webhooks`: create, list, read, update (PATCH and PUT) and delete subscriptions.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiJsonOrDefault, ApiQuery, ListOut, filtered_page, page_limit};
use crate::auth::Principal;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::{Scope, SigningSecret, Timestamp, Webhook};
use crate::publish::check_catalogue;
use crate::{ids, signing, validation};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/webhooks", get(list).post(create))
        .route(
            "/v1/webhooks/{id}",
            get(read).patch(patch).put(put).delete(delete),
        )
        .route("/v1/webhooks/{id}/rotate-secret", post(rotate_secret))
        .route("/v1/webhooks/{id}/test", post(send_test))
        .route("/v1/webhooks/{id}/stats", get(stats))
}

/// `POST` and `PUT` body. On `PUT`, `url` is required, a missing `enabled` keeps its value (as
/// the reference APIs document) and every other missing field is reset to its default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    pub url: String,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub account_ids: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// `PATCH` body: only the fields present change. An empty `description` clears it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatchIn {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub account_ids: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
pub struct WebhookOut {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
    pub enabled: bool,
    pub account_ids: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    /// The full secret at creation and rotation only; masked everywhere else.
    pub secret: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_triggered_at: Option<Timestamp>,
}

impl WebhookOut {
    pub fn masked(w: &Webhook) -> Self {
        Self::of(w, false)
    }

    pub fn revealed(w: &Webhook) -> Self {
        Self::of(w, true)
    }

    fn of(w: &Webhook, reveal: bool) -> Self {
        let secret = w
            .secrets
            .first()
            .map(|s| s.key.as_str())
            .unwrap_or_default();
        WebhookOut {
            id: w.id.clone(),
            tenant_id: w.tenant_id.clone(),
            url: w.url.clone(),
            description: w.description.clone(),
            events: w.events.clone(),
            enabled: w.enabled,
            account_ids: w.account_ids.clone(),
            metadata: w.metadata.clone(),
            secret: if reveal {
                secret.to_string()
            } else {
                signing::mask(secret)
            },
            created_at: w.created_at,
            updated_at: w.updated_at,
            last_triggered_at: w.last_triggered_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListWebhooksIn {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub account_id: Option<String>,
    pub enabled: Option<bool>,
}

/// Validates the fields of a webhook as it will be stored.
async fn check(app: &Hookline, w: &Webhook) -> Result<()> {
    validation::webhook_url(&w.url, app.config.allow_private_targets)?;
    validation::event_filter(&w.events)?;
    validation::description(w.description.as_deref())?;
    validation::account_ids(&w.account_ids)?;
    validation::metadata(&w.metadata)?;
    check_catalogue(app, "events", &w.events).await
}

async fn create(
    State(app): State<Hookline>,
    p: Principal,
    ApiJson(input): ApiJson<WebhookIn>,
) -> Result<impl IntoResponse> {
    p.require(Scope::WebhooksWrite)?;
    let now = Utc::now();
    let w = Webhook {
        id: ids::new_id("wh"),
        tenant_id: p.tenant_id.clone(),
        url: input.url,
        description: input.description.filter(|d| !d.is_empty()),
        events: input.events.unwrap_or_default(),
        enabled: input.enabled.unwrap_or(true),
        account_ids: input.account_ids.unwrap_or_default(),
        metadata: input.metadata.unwrap_or_default(),
        secrets: vec![SigningSecret {
            key: signing::generate_secret(),
            created_at: now,
            expires_at: None,
        }],
        created_at: now,
        updated_at: now,
        last_triggered_at: None,
        version: 1,
    };
    check(&app, &w).await?;
    app.store
        .create_webhook(&w, app.config.max_webhooks_per_tenant)
        .await?;
    Ok((StatusCode::CREATED, Json(WebhookOut::revealed(&w))))
}

async fn list(
    State(app): State<Hookline>,
    p: Principal,
    ApiQuery(q): ApiQuery<ListWebhooksIn>,
) -> Result<Json<ListOut<WebhookOut>>> {
    p.require(Scope::WebhooksRead)?;
    let limit = page_limit(q.limit)?;
    let keep = |w: &Webhook| {
        q.enabled.is_none_or(|e| w.enabled == e)
            && q.account_id
                .as_ref()
                .is_none_or(|a| w.account_ids.iter().any(|x| x == a))
    };
    // Admin keys that name no tenant see every tenant's webhooks.
    let tenant = (!p.is_admin() || p.tenant_given).then_some(p.tenant_id.as_str());
    let page = filtered_page(
        limit,
        q.cursor.clone(),
        |after, n| {
            let store = &app.store;
            async move { store.list_webhooks(tenant, after.as_deref(), n).await }
        },
        keep,
        |w| w.id.clone(),
    )
    .await?;
    Ok(Json(ListOut::new(
        page.items.iter().map(WebhookOut::masked).collect(),
        page.next,
    )))
}

/// Loads a webhook of the acting tenant; another tenant's id is simply not found.
pub async fn load(app: &Hookline, p: &Principal, id: &str) -> Result<Webhook> {
    app.store
        .get_webhook(&p.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound("webhook".into()))
}

/// Loads a webhook that can be sent to now: manual sends to a disabled one are refused (409).
pub async fn load_sendable(app: &Hookline, p: &Principal, id: &str) -> Result<Webhook> {
    let w = load(app, p, id).await?;
    if !w.enabled {
        return Err(Error::Conflict {
            code: "webhook_disabled",
            message: "the webhook is disabled; enable it first".into(),
        });
    }
    Ok(w)
}

async fn read(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<WebhookOut>> {
    p.require(Scope::WebhooksRead)?;
    Ok(Json(WebhookOut::masked(&load(&app, &p, &id).await?)))
}

/// Applies `change` to the stored webhook and saves it, re-reading on a concurrent update.
pub async fn update_with(
    app: &Hookline,
    p: &Principal,
    id: &str,
    change: impl Fn(&mut Webhook) -> Result<()>,
) -> Result<Webhook> {
    for _ in 0..5 {
        let mut w = load(app, p, id).await?;
        change(&mut w)?;
        check(app, &w).await?;
        w.version += 1;
        w.updated_at = Utc::now();
        match app.store.update_webhook(&w).await {
            Err(Error::Conflict {
                code: "concurrent_update",
                ..
            }) => continue,
            other => return other.map(|()| w),
        }
    }
    Err(Error::Conflict {
        code: "concurrent_update",
        message: "the webhook is being changed concurrently; retry".into(),
    })
}

async fn patch(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WebhookPatchIn>,
) -> Result<Json<WebhookOut>> {
    p.require(Scope::WebhooksWrite)?;
    let w = update_with(&app, &p, &id, |w| {
        if let Some(u) = &input.url {
            w.url = u.clone();
        }
        if let Some(e) = &input.events {
            w.events = e.clone();
        }
        if let Some(d) = &input.description {
            w.description = (!d.is_empty()).then(|| d.clone());
        }
        if let Some(e) = input.enabled {
            w.enabled = e;
        }
        if let Some(a) = &input.account_ids {
            w.account_ids = a.clone();
        }
        if let Some(m) = &input.metadata {
            w.metadata = m.clone();
        }
        Ok(())
    })
    .await?;
    Ok(Json(WebhookOut::masked(&w)))
}

async fn put(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WebhookIn>,
) -> Result<Json<WebhookOut>> {
    p.require(Scope::WebhooksWrite)?;
    let w = update_with(&app, &p, &id, |w| {
        w.url = input.url.clone();
        w.events = input.events.clone().unwrap_or_default();
        w.description = input.description.clone().filter(|d| !d.is_empty());
        w.enabled = input.enabled.unwrap_or(w.enabled);
        w.account_ids = input.account_ids.clone().unwrap_or_default();
        w.metadata = input.metadata.clone().unwrap_or_default();
        Ok(())
    })
    .await?;
    Ok(Json(WebhookOut::masked(&w)))
}

async fn delete(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    p.require(Scope::WebhooksWrite)?;
    if app.store.delete_webhook(&p.tenant_id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound("webhook".into()))
    }
}

/// Longest rotation grace period: 7 days.
pub const MAX_GRACE_SECONDS: u64 = 7 * 86400;
/// Secrets kept valid at once (the current one and those in their grace period).
pub const MAX_SECRETS: usize = 5;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretIn {
    /// How long the previous secret stays valid (default 0: it stops at once).
    pub grace_period_seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct RotateSecretOut {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// Until when deliveries also carry a signature with the previous secret(s).
    pub previous_secret_expires_at: Option<Timestamp>,
}

async fn rotate_secret(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
    ApiJsonOrDefault(input): ApiJsonOrDefault<RotateSecretIn>,
) -> Result<Json<RotateSecretOut>> {
    p.require(Scope::WebhooksWrite)?;
    let grace = input.grace_period_seconds.unwrap_or(0);
    if grace > MAX_GRACE_SECONDS {
        return Err(Error::validation(
            "grace_period_seconds",
            format!("must be at most {MAX_GRACE_SECONDS} (7 days)"),
        ));
    }
    let now = Utc::now();
    let until = now + chrono::TimeDelta::seconds(grace as i64);
    let new = SigningSecret {
        key: signing::generate_secret(),
        created_at: now,
        expires_at: None,
    };
    let w = update_with(&app, &p, &id, |w| {
        let mut previous: Vec<SigningSecret> = if grace == 0 {
            Vec::new()
        } else {
            w.valid_secrets(now)
                .map(|s| SigningSecret {
                    expires_at: Some(s.expires_at.map_or(until, |e| e.min(until))),
                    ..s.clone()
                })
                .collect()
        };
        previous.truncate(MAX_SECRETS - 1);
        w.secrets = std::iter::once(new.clone()).chain(previous).collect();
        Ok(())
    })
    .await?;
    let previous_secret_expires_at = w.secrets.iter().skip(1).filter_map(|s| s.expires_at).max();
    Ok(Json(RotateSecretOut {
        webhook: WebhookOut::revealed(&w),
        previous_secret_expires_at,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestIn {
    /// A catalogue event type to send with its example payload; default `webhook.test`.
    pub event_type: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TestOut {
    pub event_id: String,
    pub delivery_id: String,
    pub event_type: String,
}

pub const TEST_EVENT_TYPE: &str = "webhook.test";

async fn send_test(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
    ApiJsonOrDefault(input): ApiJsonOrDefault<TestIn>,
) -> Result<impl IntoResponse> {
    p.require(Scope::WebhooksWrite)?;
    let w = load_sendable(&app, &p, &id).await?;
    let (event_type, data) = match input.event_type {
        None => (
            TEST_EVENT_TYPE.to_string(),
            serde_json::json!({"webhook_id": w.id, "message": "A test event from Hookline"}),
        ),
        Some(t) => {
            let et = app.store.get_event_type(&t).await?.ok_or_else(|| {
                Error::validation(
                    "event_type",
                    format!("{t:?} is not in the event type catalogue"),
                )
            })?;
            (t, et.example.unwrap_or_else(|| serde_json::json!({})))
        }
    };
    let event = crate::publish::new_event(
        &app,
        &p.tenant_id,
        ids::new_id("evt"),
        event_type,
        None,
        data,
    );
    let out = crate::publish::fan_out(&app, event, std::slice::from_ref(&w)).await?;
    let delivery_id = ids::delivery_id(&p.tenant_id, &out.id, &w.id);
    Ok((
        StatusCode::ACCEPTED,
        Json(TestOut {
            event_id: out.id,
            delivery_id,
            event_type: out.event_type,
        }),
    ))
}

async fn stats(
    State(app): State<Hookline>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<crate::stats::StatsOut>> {
    p.require(Scope::WebhooksRead)?;
    load(&app, &p, &id).await?;
    Ok(Json(
        crate::stats::webhook_stats(app.store.as_ref(), &p.tenant_id, &id).await?,
    ))
}
