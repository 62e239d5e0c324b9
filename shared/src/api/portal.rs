//! The customer portal: a delivery-log page a platform hands to its own customers.
//!
//! The platform mints a session (`POST /v1/portal-sessions`): a short-lived API key scoped to
//! one tenant, optionally to some of its webhooks, that may read them and retry deliveries and
//! nothing else. The page (`GET /portal`, static files compiled into the binary, no build step
//! and no CDN) takes the key from the URL's fragment, which browsers never send to a server nor
//! put in a `Referer`, and calls the same API as every other client.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ApiJsonOrDefault;
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::service::portal as service;

pub fn routes() -> Router<Hookline> {
    Router::new().route("/v1/portal-sessions", post(create))
}

/// The page and its assets: no key needed (they hold nothing of any tenant).
pub fn assets() -> Router<Hookline> {
    Router::new()
        .route("/portal", get(|| asset(PAGE, "text/html; charset=utf-8")))
        .route(
            "/portal/portal.js",
            get(|| asset(SCRIPT, "text/javascript; charset=utf-8")),
        )
        .route(
            "/portal/portal.css",
            get(|| asset(STYLE, "text/css; charset=utf-8")),
        )
}

const PAGE: &str = include_str!("portal/index.html");
const SCRIPT: &str = include_str!("portal/portal.js");
const STYLE: &str = include_str!("portal/portal.css");

async fn asset(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Scripts and styles from this origin only, API calls to this origin only, and no
            // framing: a page holding a session key runs nothing it did not ship with.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                 img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"webhook_ids": ["wh_2bXk8bq1QmGv0ld1uZ4Qb9"], "expires_in": 3600}))]
pub struct PortalSessionIn {
    /// Only these webhooks (of the acting tenant); omitted: all of them.
    pub webhook_ids: Option<Vec<WebhookId>>,
    /// Seconds until the session ends (60 to 86400; default 3600).
    pub expires_in: Option<u32>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct PortalSessionOut {
    /// The page, with the session in its fragment: hand it to the customer as it is.
    pub url: String,
    /// The session's key, for a page of your own: it reads the tenant's (or the listed)
    /// webhooks, their deliveries and stats, and retries deliveries; nothing else.
    pub token: String,
    pub tenant_id: TenantId,
    /// `live` or `test`: the session sees only objects of this mode.
    pub account_type: crate::model::Mode,
    pub webhook_ids: Option<Vec<WebhookId>>,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/v1/portal-sessions", tag = "portal", request_body = PortalSessionIn,
    responses((status = 201, description = "A session for the customer portal", body = PortalSessionOut)))]
async fn create(
    State(app): State<Hookline>,
    p: Auth<scope::Write>,
    headers: HeaderMap,
    ApiJsonOrDefault(input): ApiJsonOrDefault<PortalSessionIn>,
) -> Result<impl IntoResponse> {
    let session = service::open(
        &app,
        &p.actor(),
        input.expires_in.unwrap_or(service::DEFAULT_TTL_SECONDS),
        input.webhook_ids,
    )
    .await?;
    let url = format!("{}/portal#session={}", origin(&headers), session.token);
    Ok((
        StatusCode::CREATED,
        Json(PortalSessionOut {
            url,
            token: session.token,
            tenant_id: p.tenant.in_mode(crate::model::Mode::Live),
            account_type: p.mode,
            webhook_ids: session.webhook_ids,
            expires_at: session.expires_at,
        }),
    ))
}

/// Where the caller reached this API: the `Host` it asked for, over the scheme a proxy in front
/// (API Gateway) says it used.
fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .unwrap_or("localhost");
    let scheme = match get("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        Some(_) => "http",
        // Without a proxy's word: plain HTTP on loopback (`hookline serve`), HTTPS elsewhere.
        None if host.starts_with("127.") || host.starts_with("localhost") => "http",
        None => "https",
    };
    format!("{scheme}://{host}")
}
