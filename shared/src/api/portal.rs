//! The customer portal: the page a platform hands to its own customers.
//!
//! The platform mints a session (`POST /v1/portal-sessions`): a short-lived API key scoped to
//! one tenant, optionally to some of its webhooks, holding the scopes of what it granted
//! (`read`, `retry`, `manage`). The page (`GET /portal`, static files compiled into the binary,
//! no build step and no CDN) takes the key from the URL's fragment, which browsers never send to
//! a server nor put in a `Referer`, and calls the same API as every other client. The page's
//! own address carries the session's public id (`?s=key_…`), so that the answer can say which
//! origins may frame it and where its logo comes from.

use axum::extract::{Query, State};
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
use crate::ids::{ApiKeyId, TenantId, WebhookId};
use crate::model::{Appearance, Capability, Mode};
use crate::service::portal::{self as service, SessionRequest, SessionView};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/portal-sessions", post(create))
        .route("/v1/portal-sessions/current", get(current))
}

/// The page and its assets: no key needed (they hold nothing of any tenant).
pub fn assets() -> Router<Hookline> {
    ASSETS.iter().fold(
        Router::new().route("/portal", get(page)),
        |router, &(path, body, kind)| {
            router.route(
                path,
                get(move || async move { asset(body, kind, policy(None)) }),
            )
        },
    )
}

const PAGE: &str = include_str!("portal/index.html");
const SCRIPT: &str = "text/javascript; charset=utf-8";
/// The page's scripts (ES modules) and style sheet, compiled in.
const ASSETS: [(&str, &str, &str); 5] = [
    (
        "/portal/portal.js",
        include_str!("portal/portal.js"),
        SCRIPT,
    ),
    ("/portal/api.js", include_str!("portal/api.js"), SCRIPT),
    ("/portal/form.js", include_str!("portal/form.js"), SCRIPT),
    (
        "/portal/manage.js",
        include_str!("portal/manage.js"),
        SCRIPT,
    ),
    (
        "/portal/portal.css",
        include_str!("portal/portal.css"),
        "text/css; charset=utf-8",
    ),
];

#[derive(Deserialize)]
struct PageQuery {
    /// The session's public id.
    s: Option<String>,
}

/// The page, framed only where its session allows: an unknown, expired or absent session may
/// be shown at the top level only (it will say the link is not valid).
async fn page(State(app): State<Hookline>, Query(q): Query<PageQuery>) -> impl IntoResponse {
    let session = match q.s.as_deref().map(ApiKeyId::parse) {
        Some(Ok(id)) => service::live(&app, &id).await.ok().flatten(),
        _ => None,
    };
    asset(PAGE, "text/html; charset=utf-8", policy(session.as_ref()))
}

/// Scripts and styles from this origin only, API calls to this origin only: a page holding a
/// session key runs nothing it did not ship with. Images also from the session's logo origin;
/// framing only by the session's origins.
fn policy(session: Option<&SessionView>) -> String {
    let grant = session.map(|s| &s.grant);
    let logo = grant
        .and_then(|g| g.appearance.logo_url.as_deref())
        .map(service::origin_of)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let ancestors = match grant.map(|g| g.frame_ancestors.as_slice()) {
        Some(origins) if !origins.is_empty() => origins.join(" "),
        _ => "'none'".into(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         img-src 'self' data:{logo}; base-uri 'none'; form-action 'none'; \
         frame-ancestors {ancestors}"
    )
}

fn asset(body: &'static str, content_type: &'static str, csp: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::REFERRER_POLICY, "no-referrer".into()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CACHE_CONTROL, "no-cache".into()),
        ],
        body,
    )
}

#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"webhook_ids": ["wh_2bXk8bq1QmGv0ld1uZ4Qb9"], "expires_in": 3600,
    "capabilities": ["read", "retry", "manage"], "frame_ancestors": ["https://app.example.com"],
    "appearance": {"theme": "dark", "brand_color": "#0a6cf1"}}))]
pub struct PortalSessionIn {
    /// Only these webhooks (of the acting tenant); omitted: all of them. A session limited to
    /// some webhooks cannot create others.
    pub webhook_ids: Option<Vec<WebhookId>>,
    /// Seconds until the session ends (60 to 86400; default 3600).
    pub expires_in: Option<u32>,
    /// What the customer may do: `read` (always), `retry` (retry a delivery, recover failed
    /// ones), `manage` (create, edit, pause and delete endpoints, rotate secrets, send test
    /// events). Default `["read", "retry"]`. The key minting it must hold each.
    pub capabilities: Option<Vec<String>>,
    /// Origins whose pages may show the portal in a frame (`https://app.example.com`; `http`
    /// only on a loopback host; at most 10). Default: none, the page refuses to be framed.
    pub frame_ancestors: Option<Vec<String>>,
    /// `theme` (`auto`, `light`, `dark`), `brand_color` (`#rrggbb`), `logo_url` (`https`).
    pub appearance: Option<Appearance>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct PortalSessionOut {
    /// The page, with the session in its fragment: hand it to the customer as it is (or put it
    /// in an iframe on one of `frame_ancestors`).
    pub url: String,
    /// The session's key, for a page of your own: it holds the scopes of `capabilities`, on
    /// the tenant's (or the listed) webhooks; nothing else.
    pub token: String,
    pub tenant_id: TenantId,
    /// `live` or `test`: the session sees only objects of this mode.
    pub account_type: Mode,
    #[serde(flatten)]
    pub session: SessionOut,
}

/// What a session grants, as the page reads it (`GET /v1/portal-sessions/current`).
#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct SessionOut {
    pub capabilities: Vec<Capability>,
    pub webhook_ids: Option<Vec<WebhookId>>,
    pub expires_at: DateTime<Utc>,
    pub frame_ancestors: Vec<String>,
    pub appearance: Appearance,
}

impl From<SessionView> for SessionOut {
    fn from(v: SessionView) -> Self {
        SessionOut {
            capabilities: v.capabilities,
            webhook_ids: v.webhook_ids,
            expires_at: v.expires_at,
            frame_ancestors: v.grant.frame_ancestors,
            appearance: v.grant.appearance,
        }
    }
}

#[utoipa::path(post, path = "/v1/portal-sessions", tag = "portal", request_body = PortalSessionIn,
    responses((status = 201, description = "A session for the customer portal", body = PortalSessionOut)))]
async fn create(
    State(app): State<Hookline>,
    p: Auth<scope::Platform<scope::Write>>,
    headers: HeaderMap,
    ApiJsonOrDefault(input): ApiJsonOrDefault<PortalSessionIn>,
) -> Result<impl IntoResponse> {
    let request = SessionRequest {
        ttl: input.expires_in.unwrap_or(service::DEFAULT_TTL_SECONDS),
        webhook_ids: input.webhook_ids,
        capabilities: input.capabilities,
        frame_ancestors: input.frame_ancestors.unwrap_or_default(),
        appearance: input.appearance.unwrap_or_default(),
    };
    let session = service::open(&app, &p.actor(), request).await?;
    let url = format!(
        "{}/portal?s={}#session={}",
        origin(&headers),
        session.key_id,
        session.token
    );
    Ok((
        StatusCode::CREATED,
        Json(PortalSessionOut {
            url,
            token: session.token,
            tenant_id: p.tenant.in_mode(Mode::Live),
            account_type: p.mode,
            session: session.view.into(),
        }),
    ))
}

#[utoipa::path(get, path = "/v1/portal-sessions/current", tag = "portal",
    responses((status = 200, description = "What the calling session grants (a portal session's own key only)", body = SessionOut)))]
async fn current(State(app): State<Hookline>, p: Auth<scope::Any>) -> Result<Json<SessionOut>> {
    let crate::auth::Subject::ApiKey(id) = &p.subject else {
        return Err(crate::error::Error::NotFound("portal session"));
    };
    let view = service::live(&app, id)
        .await?
        .ok_or(crate::error::Error::NotFound("portal session"))?;
    Ok(Json(view.into()))
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
