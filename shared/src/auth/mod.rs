//! Who is calling, and what they may do.
//!
//! Authenticators ([`Authenticator`]; API keys today, in [`api_key`]) turn a request into an
//! [`Identity`]; the tenant the request acts on is then resolved into a [`Principal`]. A handler
//! gets its principal only through [`Auth<S>`], whose type parameter names the scope the route
//! requires: there is no way to take a `Principal` without declaring a scope, so a route
//! without an authorization rule does not compile.

pub mod api_key;
pub mod jwt;
pub mod scope;
pub mod signature;

use std::marker::PhantomData;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, PartnerId, TenantId, WebhookId};
use crate::model::{Mode, Scope};

/// Who made a request (recorded as the actor of what it changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    ApiKey(ApiKeyId),
    /// A JWT's `sub` (empty when it has none).
    Token(String),
    /// A registered client key (signed requests).
    ClientKey(String),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::ApiKey(id) => write!(f, "{id}"),
            Subject::Token(sub) => write!(f, "jwt:{sub}"),
            Subject::ClientKey(id) => write!(f, "client-key:{id}"),
        }
    }
}

/// What an authenticator establishes: the caller's own tenant, scopes and identity.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `None` only for an admin token that names no tenant: its requests must name one.
    pub tenant: Option<TenantId>,
    pub scopes: Vec<Scope>,
    pub subject: Subject,
    /// `Some`: a customer portal session.
    pub session: Option<SessionReach>,
    /// Live or test (the mode `tenant` is in, when there is one).
    pub mode: Mode,
    /// A partner credential: it acts on the partner's tenants (`tenant` is then `None`).
    pub partner: Option<PartnerId>,
}

/// What a customer portal session sees.
#[derive(Debug, Clone)]
pub struct SessionReach {
    /// `Some`: only these webhooks of its tenant; `None`: all of them.
    pub webhooks: Option<Vec<WebhookId>>,
}

/// A partner principal's partner and its tenants (as callers name them, without a mode).
#[derive(Debug, Clone)]
pub struct PartnerScope {
    pub id: PartnerId,
    pub tenants: Vec<TenantId>,
}

/// What kind of caller a request comes from, with what that kind brings.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A tenant's own API key, token or client key.
    Tenant,
    /// An operator credential (`admin` scope): it acts in any tenant it names (`tenant_id`).
    Admin,
    /// A partner credential: it acts in its partner's tenants.
    Partner(PartnerScope),
    /// A customer portal session: only these webhooks of its tenant are visible (`None`: all
    /// of them).
    Portal(Option<Vec<WebhookId>>),
}

/// Which tenants a request reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The tenant the request named with `tenant_id`, or a tenant credential's own.
    Named(TenantId),
    /// An admin or partner credential that named no tenant: its listings span every tenant it
    /// may list ([`Across`]); elsewhere it acts in its own tenant, and without one ([`Auth`])
    /// the request must name one.
    Unnamed,
}

/// One way of authenticating requests. `Ok(None)`: the request does not carry this kind of
/// credential (the next authenticator is asked); `Err`: it does, and it is not valid.
#[async_trait]
pub trait Authenticator: Send + Sync {
    async fn authenticate(&self, parts: &Parts, app: &Hookline) -> Result<Option<Identity>>;
}

/// The authenticators asked in turn.
fn authenticators() -> &'static [&'static dyn Authenticator] {
    // Signed requests first (they may carry no other credential), then JWTs: the API key
    // authenticator would take any bearer credential for a key.
    &[
        &signature::SignatureAuthenticator,
        &jwt::JwtAuthenticator,
        &api_key::ApiKeyAuthenticator,
    ]
}

/// Who is calling, and which tenants the request reaches. Handlers get it through [`Auth`]
/// (with the one tenant the request acts in) or, on a listing across tenants, [`Across`].
#[derive(Debug, Clone)]
pub struct Principal {
    pub caller: Caller,
    pub reach: Reach,
    /// Live or test: the principal sees and delivers only objects of its mode.
    pub mode: Mode,
    pub scopes: Vec<Scope>,
    pub subject: Subject,
    /// The credential's own tenant (none for a partner key, or an admin token naming none).
    home: Option<TenantId>,
}

pub use crate::model::allows;

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.scopes.contains(&Scope::Admin)
    }

    pub fn allows(&self, scope: Scope) -> bool {
        allows(&self.scopes, scope)
    }

    /// Whose limit a request counts against: the key, or the token's subject in its tenant.
    pub fn rate_key(&self) -> String {
        match &self.subject {
            Subject::ApiKey(id) => id.to_string(),
            Subject::ClientKey(id) => format!("client-key:{id}"),
            Subject::Token(sub) => {
                let home = self.home.as_ref().map_or("", |t| t.as_str());
                format!("jwt:{home}:{sub}")
            }
        }
    }

    /// Resolves which tenants an identity reaches, with an optional `tenant_id` query parameter.
    pub fn resolve(id: Identity, tenant_param: Option<&str>) -> Result<Self> {
        Self::resolve_in(id, None, tenant_param)
    }

    /// [`Self::resolve`] for an identity whose partner's tenants are loaded (`partner`).
    fn resolve_in(
        id: Identity,
        partner: Option<PartnerScope>,
        tenant_param: Option<&str>,
    ) -> Result<Self> {
        let admin = id.scopes.contains(&Scope::Admin);
        let mode = id.mode;
        let member = |t: &str| {
            partner
                .as_ref()
                .is_some_and(|p| p.tenants.iter().any(|x| x.as_str() == t))
        };
        let spans = admin || partner.is_some();
        let reach = match (tenant_param, &id.tenant) {
            (None, None) if partner.is_none() => {
                return Err(Error::validation(
                    "tenant_id",
                    "required: the credential names no tenant",
                ));
            }
            (None, _) if spans => Reach::Unnamed,
            (None, Some(own)) => Reach::Named(own.clone()),
            (None, None) => Reach::Unnamed,
            (Some(t), Some(own)) if t == own.base() => Reach::Named(own.clone()),
            // Named by callers without a mode: the principal's mode applies.
            (Some(t), _) if admin || member(t) => {
                Reach::Named(TenantId::field("tenant_id", t)?.in_mode(mode))
            }
            // Not one of the partner's tenants: as if it did not exist.
            (Some(_), _) if partner.is_some() => return Err(Error::NotFound("tenant")),
            (Some(_), _) => return Err(Error::Forbidden(Scope::Admin.as_str())),
        };
        let caller = match (id.session, partner) {
            (Some(session), _) => Caller::Portal(session.webhooks),
            (None, Some(p)) => Caller::Partner(p),
            (None, None) if admin => Caller::Admin,
            (None, None) => Caller::Tenant,
        };
        Ok(Principal {
            caller,
            reach,
            mode,
            scopes: id.scopes,
            subject: id.subject,
            home: id.tenant,
        })
    }

    /// The one tenant the request acts in: the one it named, or the credential's own. A
    /// credential with neither (a partner's) is asked to name one: a 422 naming `tenant_id`.
    pub fn tenant(&self) -> Result<&TenantId> {
        match (&self.reach, &self.home) {
            (Reach::Named(t), _) | (Reach::Unnamed, Some(t)) => Ok(t),
            (Reach::Unnamed, None) => Err(Error::validation(
                "tenant_id",
                "required: a partner credential names the tenant it acts on",
            )),
        }
    }

    /// The webhooks a portal session is limited to.
    fn webhooks(&self) -> Option<&[WebhookId]> {
        match &self.caller {
            Caller::Portal(w) => w.as_deref(),
            _ => None,
        }
    }

    /// The principal as the services see it, acting in `tenant`.
    pub fn actor<'a>(&'a self, tenant: &'a TenantId) -> crate::service::Actor<'a> {
        crate::service::Actor {
            tenant,
            scopes: &self.scopes,
            webhooks: self.webhooks(),
            session: self.is_session(),
        }
    }

    /// Whether the credential may see webhook `id` at all (a portal session sees only its own).
    pub fn sees(&self, id: &WebhookId) -> bool {
        self.webhooks().is_none_or(|w| w.contains(id))
    }

    /// Whether the credential sees only some webhooks (a portal session).
    pub fn is_narrowed(&self) -> bool {
        self.webhooks().is_some()
    }

    /// Whether the credential is a customer portal session.
    pub fn is_session(&self) -> bool {
        matches!(self.caller, Caller::Portal(_))
    }

    /// The tenant a listing covers: every tenant (that [`Self::lists`]) for an admin or a
    /// partner that named none.
    pub fn listing_tenant(&self) -> Option<&TenantId> {
        match &self.reach {
            Reach::Named(t) => Some(t),
            Reach::Unnamed => None,
        }
    }

    /// Whether a listing across tenants shows `tenant`'s objects: those of the principal's
    /// mode, and for a partner those of its tenants.
    pub fn lists(&self, tenant: &TenantId) -> bool {
        tenant.mode() == self.mode
            && match &self.caller {
                Caller::Partner(p) => p.tenants.iter().any(|t| t.as_str() == tenant.base()),
                _ => true,
            }
    }

    /// The principal of a request's credentials (no scope checked, nothing counted),
    /// authenticated once per request: a layer that needs it before the handler (the
    /// idempotency layer) leaves it in the request, so that the handler's `Auth` neither pays
    /// for it twice nor sees a signed request's nonce as replayed.
    pub(crate) async fn of_request(parts: &mut Parts, app: &Hookline) -> Result<Self> {
        if let Some(Authenticated(p)) = parts.extensions.get::<Authenticated>() {
            return Ok(p.clone());
        }
        let p = Self::authenticate(parts, app).await?;
        parts.extensions.insert(Authenticated(p.clone()));
        Ok(p)
    }

    async fn authenticate(parts: &Parts, app: &Hookline) -> Result<Self> {
        let mut identity = None;
        for a in authenticators() {
            if let Some(id) = a.authenticate(parts, app).await? {
                identity = Some(id);
                break;
            }
        }
        let identity = identity.ok_or(Error::Unauthorized)?;
        let tenant = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "tenant_id")
                .map(|(_, v)| v.into_owned())
        });
        let partner = match &identity.partner {
            Some(id) => Some(PartnerScope {
                id: id.clone(),
                tenants: crate::service::partners::tenants(app, id).await?,
            }),
            None => None,
        };
        Principal::resolve_in(identity, partner, tenant.as_deref())
    }
}

/// A request's principal, once authenticated (see [`Principal::of_request`]).
#[derive(Clone)]
struct Authenticated(Principal);

pub use scope::RequiredScope;

/// An authenticated principal holding the scope `S`, and the one tenant the request acts in:
/// 401 without valid credentials, 403 without the scope, 422 when it must name a tenant.
pub struct Auth<S: RequiredScope> {
    pub principal: Principal,
    pub tenant: TenantId,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> Auth<S> {
    /// The principal as the services see it, in the request's tenant.
    pub fn actor(&self) -> crate::service::Actor<'_> {
        self.principal.actor(&self.tenant)
    }
}

impl<S: RequiredScope> std::ops::Deref for Auth<S> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<S: RequiredScope> FromRequestParts<Hookline> for Auth<S> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Hookline) -> Result<Self> {
        let principal = admit::<S>(parts, app).await?;
        let tenant = principal.tenant()?.clone();
        Ok(Auth {
            principal,
            tenant,
            scope: PhantomData,
        })
    }
}

/// A principal holding the scope `S` on a route that lists across tenants, the only kind of
/// route where an admin or partner credential need not name one: the route declares it by
/// taking this extractor instead of [`Auth`].
pub struct Across<S: RequiredScope>(pub Principal, PhantomData<S>);

impl<S: RequiredScope> std::ops::Deref for Across<S> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S: RequiredScope> FromRequestParts<Hookline> for Across<S> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Hookline) -> Result<Self> {
        Ok(Across(admit::<S>(parts, app).await?, PhantomData))
    }
}

/// Authenticates, counts the request against its principal's limit, and checks scope `S`.
async fn admit<S: RequiredScope>(parts: &mut Parts, app: &Hookline) -> Result<Principal> {
    let p = Principal::of_request(parts, app).await?;
    if let Ok(t) = p.tenant() {
        tracing::Span::current().record("tenant", t.as_str());
    }
    // Every authenticated request counts against its principal's limit.
    let class = crate::ratelimit::Class::of(parts);
    if let Some(standing) = crate::ratelimit::count(app, &p.rate_key(), class).await?
        && let Some(slot) = parts.extensions.get::<crate::ratelimit::Slot>()
    {
        slot.set(standing);
    }
    if let Some(scope) = S::SCOPE
        && !p.allows(scope)
    {
        return Err(Error::Forbidden(scope.as_str()));
    }
    if !S::SESSIONS && p.is_session() {
        return Err(Error::NotForSessions(
            "it acts on the tenant's credentials or settings, which are the platform's",
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(scopes: Vec<Scope>) -> Identity {
        Identity {
            tenant: Some(TenantId::parse("t1").unwrap()),
            scopes,
            subject: Subject::ApiKey(ApiKeyId::from_hash("00000000000000000000")),
            session: None,
            mode: Mode::Live,
            partner: None,
        }
    }

    #[test]
    fn only_admins_act_for_other_tenants() {
        let p = Principal::resolve(identity(vec![Scope::WebhooksRead]), None).unwrap();
        assert_eq!(p.tenant().unwrap(), "t1");
        assert_eq!(p.listing_tenant(), p.tenant().ok());
        assert!(matches!(
            Principal::resolve(identity(vec![Scope::WebhooksRead]), Some("t2")),
            Err(Error::Forbidden(_))
        ));
        let admin = Principal::resolve(identity(vec![Scope::Admin]), Some("t2")).unwrap();
        assert_eq!(admin.tenant().unwrap(), "t2");
        let admin = Principal::resolve(identity(vec![Scope::Admin]), None).unwrap();
        assert_eq!(admin.listing_tenant(), None, "an admin lists every tenant");
        assert!(matches!(
            Principal::resolve(identity(vec![Scope::Admin]), Some("bad tenant")),
            Err(Error::Validation { .. })
        ));
    }

    #[test]
    fn a_session_is_a_session_with_or_without_a_list() {
        let w = WebhookId::parse("wh_1").unwrap();
        for (webhooks, narrowed, sees_other) in
            [(None, false, true), (Some(vec![w.clone()]), true, false)]
        {
            let mut id = identity(vec![Scope::WebhooksWrite]);
            id.session = Some(SessionReach { webhooks });
            let p = Principal::resolve(id, None).unwrap();
            assert!(p.is_session() && p.actor(p.tenant().unwrap()).session);
            assert_eq!(p.is_narrowed(), narrowed);
            assert!(p.sees(&w));
            assert_eq!(p.sees(&WebhookId::parse("wh_2").unwrap()), sees_other);
        }
        let key = Principal::resolve(identity(vec![Scope::WebhooksWrite]), None).unwrap();
        assert!(!key.is_session());
    }

    #[test]
    fn scopes_imply_what_they_should() {
        assert!(allows(&[Scope::WebhooksWrite], Scope::WebhooksRead));
        assert!(!allows(&[Scope::WebhooksRead], Scope::WebhooksWrite));
        assert!(allows(&[Scope::WebhooksWrite], Scope::DeliveriesRetry));
        assert!(!allows(&[Scope::WebhooksRead], Scope::DeliveriesRetry));
        assert!(!allows(&[Scope::DeliveriesRetry], Scope::WebhooksWrite));
        assert!(!allows(&[Scope::EventsPublish], Scope::WebhooksRead));
        assert!(allows(&[Scope::Admin], Scope::EventsPublish));
    }
}
