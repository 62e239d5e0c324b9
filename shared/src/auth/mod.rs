//! Who is calling, and what they may do.
//!
//! Authenticators ([`Authenticator`]; API keys today, in [`api_key`]) turn a request into an
//! [`Identity`]; the tenant the request acts on is then resolved into a [`Principal`]. A handler
//! gets its principal only through [`Auth<S>`], whose type parameter names the scope the route
//! requires: there is no way to take a `Principal` without declaring a scope, so a route
//! without an authorization rule does not compile.

pub mod api_key;
pub mod jwt;
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
    /// `Some`: the credential sees only these webhooks (a customer portal session).
    pub webhooks: Option<Vec<WebhookId>>,
    /// Live or test (the mode `tenant` is in, when there is one).
    pub mode: Mode,
    /// A partner credential: it acts on the partner's tenants (`tenant` is then `None`).
    pub partner: Option<PartnerId>,
}

/// A partner principal's partner and its tenants (as callers name them, without a mode).
#[derive(Debug, Clone)]
pub struct PartnerScope {
    pub id: PartnerId,
    pub tenants: Vec<TenantId>,
}

/// The only listing that spans tenants (admins, partners): a partner key names no tenant there.
const CROSS_TENANT_LISTING: &str = "/v1/webhooks";

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

/// Who is calling, and the tenant the request acts on.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The tenant the request acts on: the caller's own, or for admins the `tenant_id` asked for.
    pub tenant: TenantId,
    pub scopes: Vec<Scope>,
    pub subject: Subject,
    /// Whether the request named a tenant (`tenant_id`); admin listings without one span all.
    pub tenant_given: bool,
    /// The caller's own tenant (none for an admin token that names none).
    pub home: Option<TenantId>,
    /// `Some`: only these webhooks are visible (a customer portal session); any other is 404.
    pub webhooks: Option<Vec<WebhookId>>,
    /// Live or test: the principal sees and delivers only objects of its mode (`tenant` is in
    /// it).
    pub mode: Mode,
    /// A partner principal's partner and tenants.
    pub partner: Option<PartnerScope>,
    /// A partner request that names no tenant where it must (see `resolve_in`).
    tenant_missing: bool,
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

    /// Resolves the acting tenant for an identity and an optional `tenant_id` query parameter.
    pub fn resolve(id: Identity, tenant_param: Option<&str>) -> Result<Self> {
        Self::resolve_in(id, None, tenant_param, false)
    }

    /// [`Self::resolve`] for a partner identity (its partner's tenants loaded) on a route that
    /// lists across tenants (`listing`) or not.
    fn resolve_in(
        id: Identity,
        partner: Option<PartnerScope>,
        tenant_param: Option<&str>,
        listing: bool,
    ) -> Result<Self> {
        let admin = id.scopes.contains(&Scope::Admin);
        let home = id.tenant.clone();
        let mode = id.mode;
        let member = |t: &str| {
            partner
                .as_ref()
                .is_some_and(|p| p.tenants.iter().any(|x| x.as_str() == t))
        };
        let tenant = match (tenant_param, id.tenant) {
            (None, Some(own)) => own,
            // A partner lists across its tenants without naming one; the tenant is then a
            // placeholder that only the listing's filter (`lists`) reads. Elsewhere it must
            // name one: refused after the scope check (`Auth`), so that a route the partner
            // may not use at all answers 403.
            (None, None) if partner.is_some() => {
                let p = partner.as_ref().map(|p| p.id.as_str()).unwrap_or_default();
                TenantId::field("partner_id", p)?.in_mode(mode)
            }
            (None, None) => {
                return Err(Error::validation(
                    "tenant_id",
                    "required: the credential names no tenant",
                ));
            }
            (Some(t), Some(own)) if t == own.base() => own,
            // Named by callers without a mode: the principal's mode applies.
            (Some(t), _) if admin || member(t) => TenantId::field("tenant_id", t)?.in_mode(mode),
            // Not one of the partner's tenants: as if it did not exist.
            (Some(_), _) if partner.is_some() => return Err(Error::NotFound("tenant")),
            (Some(_), _) => return Err(Error::Forbidden(Scope::Admin.as_str())),
        };
        let tenant_missing =
            partner.is_some() && tenant_param.is_none() && !listing && home.is_none();
        Ok(Principal {
            tenant,
            scopes: id.scopes,
            subject: id.subject,
            tenant_given: tenant_param.is_some(),
            home,
            webhooks: id.webhooks,
            mode,
            tenant_missing,
            partner,
        })
    }

    /// The principal as the services see it.
    pub fn actor(&self) -> crate::service::Actor<'_> {
        crate::service::Actor {
            tenant: &self.tenant,
            scopes: &self.scopes,
            webhooks: self.webhooks.as_deref(),
        }
    }

    /// Whether the credential may see webhook `id` at all (a portal session sees only its own).
    pub fn sees(&self, id: &WebhookId) -> bool {
        self.actor().sees(id)
    }

    /// Whether the credential sees only some webhooks (a portal session).
    pub fn is_narrowed(&self) -> bool {
        self.actor().is_narrowed()
    }

    /// The tenant a listing covers: every tenant (that [`Self::lists`]) for an admin or a
    /// partner that named none.
    pub fn listing_tenant(&self) -> Option<&TenantId> {
        let spans = (self.is_admin() || self.partner.is_some()) && !self.tenant_given;
        (!spans).then_some(&self.tenant)
    }

    /// Whether a listing across tenants shows `tenant`'s objects: those of the principal's
    /// mode, and for a partner those of its tenants.
    pub fn lists(&self, tenant: &TenantId) -> bool {
        tenant.mode() == self.mode
            && self
                .partner
                .as_ref()
                .is_none_or(|p| p.tenants.iter().any(|t| t.as_str() == tenant.base()))
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
        let listing = parts.method == axum::http::Method::GET
            && parts
                .extensions
                .get::<axum::extract::MatchedPath>()
                .is_some_and(|m| m.as_str() == CROSS_TENANT_LISTING);
        Principal::resolve_in(identity, partner, tenant.as_deref(), listing)
    }
}

/// A request's principal, once authenticated (see [`Principal::of_request`]).
#[derive(Clone)]
struct Authenticated(Principal);

/// The scope a route requires, as a type (see [`scope`]).
pub trait RequiredScope: Send + Sync + 'static {
    /// `None`: any authenticated caller.
    const SCOPE: Option<Scope>;
}

/// The scopes routes can require.
pub mod scope {
    use super::RequiredScope;
    use crate::model::Scope;

    /// Reading webhooks, deliveries, events and stats.
    pub struct Read;
    /// Changing webhooks and asking for deliveries (retry, recover, test).
    pub struct Write;
    /// Asking for a delivery again (a portal session may; `webhooks:write` implies it).
    pub struct Retry;
    /// Publishing events.
    pub struct Publish;
    /// Operator tasks (the catalogue, other tenants).
    pub struct Admin;
    /// Any valid credential (e.g. reading the event type catalogue).
    pub struct Any;

    impl RequiredScope for Read {
        const SCOPE: Option<Scope> = Some(Scope::WebhooksRead);
    }
    impl RequiredScope for Write {
        const SCOPE: Option<Scope> = Some(Scope::WebhooksWrite);
    }
    impl RequiredScope for Retry {
        const SCOPE: Option<Scope> = Some(Scope::DeliveriesRetry);
    }
    impl RequiredScope for Publish {
        const SCOPE: Option<Scope> = Some(Scope::EventsPublish);
    }
    impl RequiredScope for Admin {
        const SCOPE: Option<Scope> = Some(Scope::Admin);
    }
    impl RequiredScope for Any {
        const SCOPE: Option<Scope> = None;
    }
}

/// An authenticated principal holding the scope `S`: 401 without valid credentials, 403
/// without the scope.
pub struct Auth<S: RequiredScope>(pub Principal, PhantomData<S>);

impl<S: RequiredScope> std::ops::Deref for Auth<S> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S: RequiredScope> FromRequestParts<Hookline> for Auth<S> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Hookline) -> Result<Self> {
        let p = Principal::of_request(parts, app).await?;
        tracing::Span::current().record("tenant", p.tenant.as_str());
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
        if p.tenant_missing {
            return Err(Error::validation(
                "tenant_id",
                "required: a partner credential names the tenant it acts on",
            ));
        }
        Ok(Auth(p, PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(scopes: Vec<Scope>) -> Identity {
        Identity {
            tenant: Some(TenantId::parse("t1").unwrap()),
            scopes,
            subject: Subject::ApiKey(ApiKeyId::from_hash("00000000000000000000")),
            webhooks: None,
            mode: Mode::Live,
            partner: None,
        }
    }

    #[test]
    fn only_admins_act_for_other_tenants() {
        let p = Principal::resolve(identity(vec![Scope::WebhooksRead]), None).unwrap();
        assert_eq!(p.tenant, "t1");
        assert_eq!(p.listing_tenant(), Some(&p.tenant));
        assert!(matches!(
            Principal::resolve(identity(vec![Scope::WebhooksRead]), Some("t2")),
            Err(Error::Forbidden(_))
        ));
        let admin = Principal::resolve(identity(vec![Scope::Admin]), Some("t2")).unwrap();
        assert_eq!(admin.tenant, "t2");
        let admin = Principal::resolve(identity(vec![Scope::Admin]), None).unwrap();
        assert_eq!(admin.listing_tenant(), None, "an admin lists every tenant");
        assert!(matches!(
            Principal::resolve(identity(vec![Scope::Admin]), Some("bad tenant")),
            Err(Error::Validation { .. })
        ));
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
