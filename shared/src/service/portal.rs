//! Customer portal sessions: short-lived keys narrowed to one tenant (and optionally some of its
//! webhooks) holding the scopes of what the platform granted (`read`, `retry`, `manage`). A
//! session can only narrow what its maker holds, and never mints another.

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, WebhookId};
use crate::model::{ApiKey, Appearance, Capability, PortalGrant, Scope, Timestamp};
use crate::service::Actor;
use crate::service::keys::{generate_key, new_api_key};

/// How long a session lasts unless asked otherwise, and the bounds of what may be asked.
pub const DEFAULT_TTL_SECONDS: u32 = 3600;
const MIN_TTL_SECONDS: u32 = 60;
const MAX_TTL_SECONDS: u32 = 86_400;
/// A session names at most this many webhooks (more: leave the list out to see them all).
const MAX_WEBHOOKS: usize = 100;
/// At most this many origins may frame the page.
const MAX_FRAME_ANCESTORS: usize = 10;

/// What the platform asks a session to be.
#[derive(Debug, Default)]
pub struct SessionRequest {
    /// Seconds until it ends.
    pub ttl: u32,
    /// Only these webhooks (`None`: all of the tenant's).
    pub webhook_ids: Option<Vec<WebhookId>>,
    /// What the customer may do, as asked (`None`: read and retry, as sessions always could).
    pub capabilities: Option<Vec<String>>,
    pub frame_ancestors: Vec<String>,
    pub appearance: Appearance,
}

/// A new session: its token (shown once) and what it grants.
pub struct Session {
    pub token: String,
    pub key_id: ApiKeyId,
    pub view: SessionView,
}

/// What a session grants, as the page and the platform read it back.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub capabilities: Vec<Capability>,
    pub webhook_ids: Option<Vec<WebhookId>>,
    pub expires_at: Timestamp,
    pub grant: PortalGrant,
}

impl SessionView {
    fn of(key: &ApiKey, grant: PortalGrant) -> Self {
        SessionView {
            capabilities: Capability::of_scopes(&key.scopes),
            webhook_ids: key.webhook_ids.clone(),
            expires_at: key.expires_at.unwrap_or(key.created_at),
            grant,
        }
    }
}

/// Opens a session on the maker's tenant. Every field at fault is named at once; nothing is
/// minted then. A session may grant only what its maker holds (403 otherwise).
pub async fn open(app: &Hookline, maker: &Actor<'_>, req: SessionRequest) -> Result<Session> {
    let tenant = maker.tenant;
    if maker.session {
        return Err(Error::NotForSessions("a session cannot open another"));
    }
    let mut errors = Vec::new();
    if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&req.ttl) {
        errors.push(Err(Error::validation(
            "expires_in",
            format!("must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS} seconds"),
        )));
    }
    let capabilities = capabilities(req.capabilities.as_deref())
        .map_err(|e| errors.push(Err(e)))
        .unwrap_or_default();
    if let Some(ids) = &req.webhook_ids {
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
    errors.push(frame_ancestors(&req.frame_ancestors));
    errors.push(appearance(&req.appearance));
    Error::all(errors)?;
    let scopes: Vec<Scope> = capabilities.iter().map(|c| c.scope()).collect();
    if let Some(missing) = scopes
        .iter()
        .find(|s| !crate::model::allows(maker.scopes, **s))
    {
        return Err(Error::Forbidden(missing.as_str()));
    }
    let now = app.clock.now();
    let token = generate_key();
    let mut key = new_api_key(&token, tenant, scopes, Some("portal session".into()), now);
    key.expires_at = Some(now + chrono::Duration::seconds(req.ttl.into()));
    key.webhook_ids = req.webhook_ids;
    let grant = PortalGrant {
        frame_ancestors: req.frame_ancestors.iter().map(|o| origin_of(o)).collect(),
        appearance: req.appearance,
    };
    key.portal = Some(grant.clone());
    app.store.put_key(&key).await?;
    Ok(Session {
        token,
        key_id: key.id.clone(),
        view: SessionView::of(&key, grant),
    })
}

/// The session a key is, while it lasts: `None` for an unknown, expired or revoked key and for
/// a key that is not a session. The page's framing rule is read from it before the page has
/// its token, so it takes the key's public id.
pub async fn live(app: &Hookline, id: &ApiKeyId) -> Result<Option<SessionView>> {
    let now = app.clock.now();
    Ok(app.store.get_key(id).await?.and_then(|k| {
        let live = k.revoked_at.is_none() && k.expires_at.is_some_and(|t| now < t);
        let grant = k.portal.clone().filter(|_| live)?;
        Some(SessionView::of(&k, grant))
    }))
}

/// The capabilities asked for: `read` is always granted; `None` keeps the grant sessions had
/// before capabilities existed (read and retry).
fn capabilities(asked: Option<&[String]>) -> Result<Vec<Capability>> {
    let Some(asked) = asked else {
        return Ok(vec![Capability::Read, Capability::Retry]);
    };
    let mut caps = vec![Capability::Read];
    for name in asked {
        let c = Capability::parse(name).ok_or_else(|| {
            Error::validation(
                "capabilities",
                format!("{name:?} is not one of \"read\", \"retry\", \"manage\""),
            )
        })?;
        if !caps.contains(&c) {
            caps.push(c);
        }
    }
    caps.sort();
    Ok(caps)
}

/// Each an origin (`https://app.example.com`, a port allowed; `http://` only on a loopback
/// host): the page's `frame-ancestors`.
fn frame_ancestors(origins: &[String]) -> Result<()> {
    if origins.len() > MAX_FRAME_ANCESTORS {
        return Err(Error::validation(
            "frame_ancestors",
            format!("at most {MAX_FRAME_ANCESTORS} origins"),
        ));
    }
    for o in origins {
        let url = web_url("frame_ancestors", o)?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::validation(
                "frame_ancestors",
                format!("{o:?} is not an origin: give scheme, host and port only"),
            ));
        }
    }
    Ok(())
}

fn appearance(a: &Appearance) -> Result<()> {
    if let Some(c) = &a.brand_color {
        let hex = c.strip_prefix('#').unwrap_or("");
        if !matches!(hex.len(), 3 | 6) || !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
            return Err(Error::validation(
                "appearance.brand_color",
                format!("{c:?} is not a colour: use #rgb or #rrggbb"),
            ));
        }
    }
    if let Some(u) = &a.logo_url {
        if u.len() > 2048 {
            return Err(Error::validation(
                "appearance.logo_url",
                "at most 2048 characters",
            ));
        }
        web_url("appearance.logo_url", u)?;
    }
    Ok(())
}

/// An `https://` URL, or `http://` on a loopback host (a platform trying Hookline locally).
fn web_url(field: &str, raw: &str) -> Result<url::Url> {
    let bad = |why: &str| Error::validation(field, format!("{raw:?} {why}"));
    let url = url::Url::parse(raw).map_err(|_| bad("is not a URL"))?;
    let loopback = crate::validation::loopback_host(&url).ok_or_else(|| bad("has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(bad("must use https (http only on a loopback host)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    Ok(url)
}

/// The origin of a valid URL, as a CSP source: `scheme://host[:port]`.
pub fn origin_of(raw: &str) -> String {
    url::Url::parse(raw)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}
