//! `/v1/webhooks`: create, list, read, update (PATCH and PUT) and delete subscriptions; rotate
//! the secret, send a test event, read the stats.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::resource::OnWebhook;
use super::{ApiJson, ApiJsonOrDefault, ApiQuery, ListOut, page_limit, parse_cursor};
use crate::auth::{Across, Auth, scope};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, EventId, WebhookId};
use crate::model::{
    Filter, Ordering, ReceiverAuth, SignatureScheme, Timestamp, TlsOptions, Webhook,
};
use crate::service::webhooks::{self as service, PutKeeps, WebhookDraft};
use crate::signing;

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
#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://api.example.com/hooks", "events": ["invoice.*"], "description": "Billing"}))]
pub struct WebhookIn {
    pub url: String,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub account_ids: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
    /// Headers sent with every request to the endpoint: at most 20; not `webhook-*`,
    /// `content-*`, `host`, hop-by-hop headers or `authorization`.
    pub headers: Option<BTreeMap<String, String>>,
    /// How the receiver wants requests authenticated: `basic` (`username`, `password`),
    /// `bearer` (`token`), `header` (`name`, `value`), `oauth2_client_credentials`
    /// (`token_url`, `client_id`, `client_secret`, `scope`?, `audience`?, `client_auth`?) or
    /// `mtls` (`certificate`, `private_key`, PEM). Write-only: answers mask it.
    pub auth: Option<ReceiverAuth>,
    /// `{ca_certificate}` (PEM): the receiver's certificate may chain to this CA as well as
    /// to the system roots.
    pub tls: Option<TlsOptions>,
    /// This webhook's per-attempt timeout, 1 to 30 s (default: the deployment's setting).
    pub timeout_seconds: Option<u32>,
    /// A condition the event must meet, shaped like the event: `{"type": {"$startsWith":
    /// "invoice."}, "data": {"amount": {"$gt": 10000}, "customer": {"country": "FR"}}}`.
    /// Nested objects follow the payload, a plain value means `$eq`; operators `$eq $neq $gt
    /// $gte $lt $lte $in $nin $exists $startsWith`, and `$and`/`$or` (arrays of conditions)
    /// and `$not`. At most 4 KB and 8 levels deep. An event that does not meet it makes no
    /// delivery here.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Filter>,
    /// At most this many deliveries a second to the endpoint (1 to 10,000), counted across
    /// every delivering process. Deliveries over it wait (not an attempt, not a failure).
    pub rate_limit: Option<u32>,
    /// `fifo`: deliveries go one at a time in publish order (the next waits while the one
    /// before waits for its retry); `none` (default): as fast as the endpoint takes them.
    /// A change applies to events published after it.
    pub ordering: Option<Ordering>,
    /// `hmac-sha256` (default: Standard Webhooks `v1` with the webhook's secret), `ed25519`
    /// (`v1a`) or `http-message-signatures` (RFC 9421), both with the tenant's key pair (public
    /// halves at `/v1/verification-keys`). On `PUT`, omitted keeps the current scheme.
    pub signature_scheme: Option<SignatureScheme>,
}

/// A new webhook from a create (or an upserting `PUT`): omitted fields take their defaults.
impl From<WebhookIn> for WebhookDraft {
    fn from(input: WebhookIn) -> Self {
        WebhookDraft {
            url: input.url,
            events: input.events.unwrap_or_default(),
            description: input.description,
            enabled: input.enabled.unwrap_or(true),
            account_ids: input.account_ids.unwrap_or_default(),
            metadata: input.metadata.unwrap_or_default(),
            headers: input.headers.unwrap_or_default(),
            auth: input.auth,
            tls: input.tls,
            timeout_seconds: input.timeout_seconds,
            filter: input.filter,
            rate_limit: input.rate_limit,
            ordering: input.ordering.unwrap_or_default(),
            signature_scheme: input.signature_scheme.unwrap_or_default(),
        }
    }
}

pub use super::webhook_patch::WebhookPatchIn;

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct WebhookOut {
    pub id: WebhookId,
    pub tenant_id: crate::ids::TenantId,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
    pub enabled: bool,
    pub account_ids: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    /// Headers sent with every request to the endpoint.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The receiver authentication, its credential masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ReceiverAuth>,
    /// The CA its receiver's certificate may chain to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsOptions>,
    /// This webhook's per-attempt timeout (none: the deployment's).
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// The payload filter (none: every event its types and accounts select).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Filter>,
    /// The rate limit set (deliveries a second; none: unlimited).
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// The rate the engine uses now: the limit, or less while the receiver's 429s hold it
    /// down (it climbs back with successes).
    #[serde(default)]
    pub rate_limit_in_force: Option<u32>,
    /// `fifo` or `none`.
    #[serde(default)]
    pub ordering: Ordering,
    /// The full secret at creation and rotation only; masked everywhere else.
    pub secret: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub last_triggered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why Hookline disabled the webhook (failing for too long); cleared by re-enabling it.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub health: HealthOut,
    /// How deliveries are signed (see `WebhookIn`).
    #[serde(default)]
    pub signature_scheme: SignatureScheme,
    /// `live` or `test`: the mode of the key that created it; it receives only events
    /// published in that mode.
    #[serde(default)]
    pub account_type: crate::model::Mode,
}

/// The endpoint's circuit breaker and recent record.
#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize, PartialEq)]
pub struct HealthOut {
    /// `closed` (deliveries go out), `open` (due deliveries wait without a request until
    /// `open_until`), `half_open` (the next delivery goes out as a probe).
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub open_until: Option<chrono::DateTime<chrono::Utc>>,
    pub last_success_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_failure_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The receiver asked to wait (`Retry-After` on a 429 or 503): scheduled deliveries hold
    /// until then.
    #[serde(default)]
    pub paused_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(utoipa::ToSchema, Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl HealthOut {
    pub fn of(h: &crate::model::Health, now: Timestamp) -> Self {
        HealthOut {
            state: match h.open_until {
                None => BreakerState::Closed,
                Some(until) if until > now => BreakerState::Open,
                Some(_) => BreakerState::HalfOpen,
            },
            consecutive_failures: h.consecutive_failures,
            open_until: h.open_until,
            last_success_at: h.last_success_at,
            last_failure_at: h.last_failure_at,
            paused_until: h.paused_until.filter(|p| *p > now),
        }
    }
}

impl WebhookOut {
    pub fn masked(w: &Webhook, now: Timestamp) -> Self {
        Self::of(w, false, now)
    }

    pub fn revealed(w: &Webhook, now: Timestamp) -> Self {
        Self::of(w, true, now)
    }

    fn of(w: &Webhook, reveal: bool, now: Timestamp) -> Self {
        let secret = w
            .secrets
            .first()
            .map(|s| s.key.expose())
            .unwrap_or_default();
        WebhookOut {
            id: w.id.clone(),
            tenant_id: w.tenant_id.in_mode(crate::model::Mode::Live),
            account_type: w.tenant_id.mode(),
            url: w.url.clone(),
            description: w.description.clone(),
            events: w.events.clone(),
            enabled: w.enabled,
            account_ids: w.account_ids.clone(),
            metadata: w.metadata.clone(),
            headers: w.headers.clone(),
            auth: w.auth.as_ref().map(ReceiverAuth::masked),
            tls: w.tls.clone(),
            timeout_seconds: w.timeout_seconds,
            filter: w.filter.clone(),
            rate_limit: w.rate_limit,
            rate_limit_in_force: crate::model::rate_in_force(w.rate_limit, &w.health),
            ordering: w.ordering,
            secret: if reveal {
                secret.to_string()
            } else {
                signing::mask(secret)
            },
            created_at: w.created_at,
            updated_at: w.updated_at,
            last_triggered_at: w.last_triggered(),
            disabled_reason: w.disabled_reason.clone(),
            disabled_at: w.disabled_at,
            health: HealthOut::of(&w.health, now),
            signature_scheme: w.signature_scheme,
        }
    }
}

/// A parameter not listed here is a 400 that names it, not silently ignored.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListWebhooksIn {
    /// Admin keys only: the tenant to act on.
    #[allow(dead_code)]
    tenant_id: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub account_id: Option<String>,
    pub enabled: Option<bool>,
    /// Admin keys only: only the webhooks of this partner's tenants.
    pub partner_id: Option<String>,
}

#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, description = "Created; the only answer with the full secret", body = WebhookOut)))]
async fn create(
    State(app): State<Hookline>,
    p: Auth<scope::Write>,
    ApiJson(input): ApiJson<WebhookIn>,
) -> Result<impl IntoResponse> {
    let draft = WebhookDraft::from(input);
    let w = service::create(&app, &p.actor(), draft).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookOut::revealed(&w, app.clock.now())),
    ))
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(ListWebhooksIn),
    responses((status = 200, description = "A page of webhooks, oldest first", body = ListOut<WebhookOut>)))]
async fn list(
    State(app): State<Hookline>,
    p: Across<scope::Read>,
    ApiQuery(q): ApiQuery<ListWebhooksIn>,
) -> Result<Json<ListOut<WebhookOut>>> {
    let limit = page_limit(q.limit)?;
    let start = parse_cursor(q.cursor.as_deref(), |c| WebhookId::parse(c).ok())?;
    // `partner_id`: admins narrow their listing to one partner's tenants.
    let partner = match &q.partner_id {
        None => None,
        Some(_) if !p.is_admin() => {
            return Err(Error::Forbidden(crate::model::Scope::Admin.as_str()));
        }
        Some(id) => {
            let id = crate::ids::PartnerId::field("partner_id", id)?;
            Some(crate::service::partners::tenants(&app, &id).await?)
        }
    };
    let keep = |w: &Webhook| {
        p.sees(&w.id)
            && p.lists(&w.tenant_id)
            && partner
                .as_ref()
                .is_none_or(|ts| ts.iter().any(|t| t.as_str() == w.tenant_id.base()))
            && q.enabled.is_none_or(|e| w.enabled == e)
            && q.account_id
                .as_ref()
                .is_none_or(|a| w.account_ids.iter().any(|x| x == a))
    };
    let page = service::list(&app, p.listing_tenant(), limit, start, keep).await?;
    Ok(Json(ListOut::new(
        page.items
            .iter()
            .map(|w| WebhookOut::masked(w, app.clock.now()))
            .collect(),
        page.next.map(|id| id.to_string()),
    )))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook")),
    responses((status = 200, description = "The webhook (secret masked), with its health", body = WebhookOut)))]
async fn read(State(app): State<Hookline>, w: OnWebhook<scope::Read>) -> Result<Json<WebhookOut>> {
    let hook = service::load(&app, &w.tenant, &w.id).await?;
    Ok(Json(WebhookOut::masked(&hook, app.clock.now())))
}

#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook")), request_body = WebhookPatchIn,
    responses((status = 200, description = "The webhook after the change", body = WebhookOut)))]
async fn patch(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Write>,
    ApiJson(input): ApiJson<WebhookPatchIn>,
) -> Result<Json<WebhookOut>> {
    let hook = service::update_with(&app, &w.tenant, &w.id, |h| input.apply(h)).await?;
    Ok(Json(WebhookOut::masked(&hook, app.clock.now())))
}

#[utoipa::path(put, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook")), request_body = WebhookIn,
    responses((status = 200, description = "The webhook as replaced", body = WebhookOut),
        (status = 201, description = "No webhook had this id: created with it (upsert); the only answer with the full secret", body = WebhookOut)))]
async fn put(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Write>,
    ApiJson(input): ApiJson<WebhookIn>,
) -> Result<axum::response::Response> {
    // Omitted (or null): `enabled`, the account filter and the scheme stay as they are.
    let keep = PutKeeps {
        enabled: input.enabled.is_none(),
        account_ids: input.account_ids.is_none(),
        signature_scheme: input.signature_scheme.is_none(),
        ordering: input.ordering.is_none(),
    };
    let (hook, created) = service::put(&app, &w.tenant, &w.id, input.into(), keep).await?;
    Ok(if created {
        let out = Json(WebhookOut::revealed(&hook, app.clock.now()));
        (StatusCode::CREATED, out).into_response()
    } else {
        Json(WebhookOut::masked(&hook, app.clock.now())).into_response()
    })
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook")),
    responses((status = 204, description = "Deleted; its pending deliveries are cancelled")))]
async fn delete(State(app): State<Hookline>, w: OnWebhook<scope::Write>) -> Result<StatusCode> {
    service::delete(&app, &w.tenant, &w.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretIn {
    /// How long the previous secret stays valid (default 0: it stops at once).
    pub grace_period_seconds: Option<u64>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct RotateSecretOut {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// Until when deliveries also carry a signature with the previous secret(s).
    pub previous_secret_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook")), request_body(content = Option<RotateSecretIn>),
    responses((status = 200, description = "The new secret, shown once; the old one stays valid for the grace period", body = RotateSecretOut)))]
async fn rotate_secret(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Write>,
    ApiJsonOrDefault(input): ApiJsonOrDefault<RotateSecretIn>,
) -> Result<Json<RotateSecretOut>> {
    let grace = input.grace_period_seconds.unwrap_or(0);
    let (hook, previous_secret_expires_at) =
        service::rotate_secret(&app, &w.tenant, &w.id, grace).await?;
    Ok(Json(RotateSecretOut {
        webhook: WebhookOut::revealed(&hook, app.clock.now()),
        previous_secret_expires_at,
    }))
}

#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestIn {
    /// A catalogue event type to send with its example payload; default `webhook.test`.
    pub event_type: Option<String>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct TestOut {
    pub event_id: EventId,
    pub delivery_id: DeliveryId,
    pub event_type: String,
}

pub use service::TEST_EVENT_TYPE;

#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook")), request_body(content = Option<TestIn>),
    responses((status = 202, description = "A test event queued for this webhook only", body = TestOut)))]
async fn send_test(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Write>,
    ApiJsonOrDefault(input): ApiJsonOrDefault<TestIn>,
) -> Result<impl IntoResponse> {
    let sent = service::send_test(&app, &w.tenant, &w.id, input.event_type).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(TestOut {
            event_id: sent.event_id,
            delivery_id: sent.delivery_id,
            event_type: sent.event_type,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsIn {
    /// Admin keys only: the tenant to act on.
    #[allow(dead_code)]
    tenant_id: Option<String>,
    /// How many hours `hourly` covers, ending now: 1 to 168 (a week); default 24.
    pub hours: Option<u32>,
}

#[utoipa::path(get, path = "/v1/webhooks/{id}/stats", tag = "webhooks", params(("id" = WebhookId, Path, description = "The webhook"), StatsIn),
    responses((status = 200, description = "Delivery counts and response times", body = crate::stats::StatsOut)))]
async fn stats(
    State(app): State<Hookline>,
    w: OnWebhook<scope::Read>,
    ApiQuery(q): ApiQuery<StatsIn>,
) -> Result<Json<crate::stats::StatsOut>> {
    let hours = q.hours.unwrap_or(24);
    Ok(Json(service::stats(&app, &w.tenant, &w.id, hours).await?))
}
