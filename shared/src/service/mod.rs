//! The domain operations behind the API, with no HTTP in them: handlers parse and authorize,
//! then call these. Each takes the acting tenant explicitly, so a foreign id is simply not
//! found.

#[cfg(feature = "api")]
pub mod client_keys;
pub mod deliveries;
#[cfg(feature = "api")]
pub mod event_types;
pub mod events;
#[cfg(feature = "api")]
pub mod filters;
#[cfg(feature = "api")]
pub mod idempotency;
#[cfg(feature = "api")]
pub mod keys;
pub mod operational;
pub mod partners;
#[cfg(feature = "api")]
pub mod portal;
#[cfg(feature = "api")]
pub mod publish;
pub mod settings;
pub mod verification_keys;
mod webhook_rules;
pub mod webhooks;

use crate::error::Result;
use crate::ids::{TenantId, WebhookId};
use crate::model::Scope;

/// A listing's page size unless asked otherwise, and the largest it may ask for.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 250;

/// Who acts, as far as the rules need to know: the tenant, the scopes held, and for a customer
/// portal session the webhooks it may see. The API's principal hands this down (services do
/// not know how a caller authenticated).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub tenant: &'a TenantId,
    pub scopes: &'a [Scope],
    /// `Some`: only these webhooks are visible; any other is not found.
    pub webhooks: Option<&'a [WebhookId]>,
    /// A customer portal session (what it may do is bounded by its scopes and webhooks).
    pub session: bool,
}

impl<'a> Actor<'a> {
    /// The tenant's own, unnarrowed: what an operator's tool or a test acts as (it holds no
    /// scope, so nothing that checks one lets it through).
    pub fn of_tenant(tenant: &'a TenantId) -> Self {
        Actor {
            tenant,
            scopes: &[],
            webhooks: None,
            session: false,
        }
    }

    /// Whether the actor sees only some webhooks (a portal session).
    pub fn is_narrowed(&self) -> bool {
        self.webhooks.is_some()
    }

    /// Whether webhook `id` is visible to the actor.
    pub fn sees(&self, id: &WebhookId) -> bool {
        self.webhooks.is_none_or(|w| w.contains(id))
    }
}

/// One page of a filtered listing: reads store pages through `fetch` (from a cursor, at most
/// `limit + 1` items), keeps what passes `keep`, and stops once more than `limit` are kept or the
/// store has no more. Filters apply while paging, so a page is full whenever more matches exist.
pub async fn filtered_page<T, C, F, Fut>(
    limit: usize,
    start: Option<C>,
    mut fetch: F,
    keep: impl Fn(&T) -> bool,
    cursor: impl Fn(&T) -> C,
) -> Result<crate::model::Page<T, C>>
where
    F: FnMut(Option<C>, usize) -> Fut,
    Fut: std::future::Future<Output = crate::store::StoreResult<crate::model::Page<T, C>>>,
{
    let mut kept = Vec::new();
    let mut at = start;
    loop {
        let page = fetch(at.take(), limit + 1).await?;
        kept.extend(page.items.into_iter().filter(|x| keep(x)));
        match page.next {
            Some(next) if kept.len() <= limit => at = Some(next),
            _ => break,
        }
    }
    Ok(crate::store::page_of(kept, limit, cursor))
}
