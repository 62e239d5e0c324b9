//! Partners: groups of tenants. A partner key or token acts on any tenant of its partner (naming
//! it with `tenant_id`) and lists across them; admins filter listings by partner.

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{PartnerId, TenantId};
use crate::model::{Mode, Partner};

/// How often a write re-reads and retries after losing a race.
const ATTEMPTS: usize = 5;

fn lost_race() -> Error {
    Error::Conflict {
        code: "concurrent_update",
        message: "the partner changed concurrently; try again".into(),
    }
}

pub async fn get(app: &Hookline, id: &PartnerId) -> Result<Partner> {
    app.store
        .get_partner(id)
        .await?
        .ok_or(Error::NotFound("partner"))
}

/// Every partner.
pub async fn list(app: &Hookline) -> Result<Vec<Partner>> {
    Ok(app.store.list_partners().await?)
}

/// The partner's tenants (none for a partner nobody has made yet).
pub async fn tenants(app: &Hookline, id: &PartnerId) -> Result<Vec<TenantId>> {
    Ok(app
        .store
        .get_partner(id)
        .await?
        .map(|p| p.tenants)
        .unwrap_or_default())
}

/// Adds `tenant` to `partner`, making the partner on its first tenant.
pub async fn add_tenant(app: &Hookline, id: &PartnerId, tenant: &TenantId) -> Result<Partner> {
    let tenant = tenant.in_mode(Mode::Live);
    for _ in 0..ATTEMPTS {
        let mut p = app.store.get_partner(id).await?.unwrap_or_else(|| Partner {
            id: id.clone(),
            tenants: Vec::new(),
            created_at: app.clock.now(),
            version: 0,
        });
        if p.tenants.contains(&tenant) {
            return Ok(p);
        }
        p.tenants.push(tenant.clone());
        p.tenants.sort();
        p.version += 1;
        if app.store.put_partner(&p).await? {
            return Ok(p);
        }
    }
    Err(lost_race())
}

/// Removes `tenant` from `partner`; 404 when it is not one of its tenants.
pub async fn remove_tenant(app: &Hookline, id: &PartnerId, tenant: &TenantId) -> Result<Partner> {
    let tenant = tenant.in_mode(Mode::Live);
    for _ in 0..ATTEMPTS {
        let mut p = get(app, id).await?;
        if !p.tenants.contains(&tenant) {
            return Err(Error::NotFound("tenant"));
        }
        p.tenants.retain(|t| t != &tenant);
        p.version += 1;
        if app.store.put_partner(&p).await? {
            return Ok(p);
        }
    }
    Err(lost_race())
}
