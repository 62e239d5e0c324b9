//! A tenant's settings: its log level and how long its events and deliveries are kept. The
//! platform decides them per customer (they decide what the customer's log costs), so only an
//! admin changes them; every key of the tenant may read them.

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{LogLevel, MAX_RETENTION_DAYS, TenantSettings};

/// How often a change re-reads and retries after losing a race.
const ATTEMPTS: usize = 5;

/// The settings in force for a tenant: its own, with the deployment's defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct InForce {
    pub settings: TenantSettings,
    /// Whole days, as the API shows it.
    pub retention_days: u32,
    /// Exactly (the deployment's default need not be whole days).
    retention: chrono::TimeDelta,
}

impl InForce {
    pub fn log_level(&self) -> LogLevel {
        self.settings.log_level
    }

    /// When what is created at `t` (an event, its deliveries and attempts) expires.
    pub fn expires_after(&self, t: crate::model::Timestamp) -> crate::model::Timestamp {
        t + self.retention
    }
}

/// A change: each field given replaces the stored one (`retention_days: null` goes back to
/// the deployment's default).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub log_level: Option<LogLevel>,
    pub retention_days: Option<Option<u32>>,
}

/// `stored` (none: a tenant that never changed its settings) with the deployment's defaults.
fn in_force(app: &Hookline, tenant: &TenantId, stored: Option<TenantSettings>) -> InForce {
    let settings = stored.unwrap_or_else(|| TenantSettings::defaults(tenant, app.clock.now()));
    let default =
        chrono::TimeDelta::from_std(app.config.retention).unwrap_or(chrono::TimeDelta::days(30));
    let retention = settings
        .retention_days
        .map_or(default, |d| chrono::TimeDelta::days(d.into()));
    InForce {
        retention_days: (retention.num_seconds().max(0) as u64).div_ceil(86_400) as u32,
        retention,
        settings,
    }
}

/// The tenant's settings as a publish uses them: read through the cache (a change made in
/// another process applies within `HOOKLINE_CACHE_TTL_MS`).
pub async fn cached(app: &Hookline, tenant: &TenantId) -> Result<InForce> {
    let stored = app
        .caches
        .tenant_settings
        .get_or_load(tenant, || app.store.get_tenant_settings(tenant))
        .await?;
    Ok(in_force(app, tenant, stored))
}

/// The tenant's settings as stored now.
pub async fn get(app: &Hookline, tenant: &TenantId) -> Result<InForce> {
    let stored = app.store.get_tenant_settings(tenant).await?;
    Ok(in_force(app, tenant, stored))
}

/// Applies `change`; a bad value is refused before anything is written.
pub async fn update(app: &Hookline, tenant: &TenantId, change: Change) -> Result<InForce> {
    if let Some(Some(days)) = change.retention_days
        && !(1..=MAX_RETENTION_DAYS).contains(&days)
    {
        return Err(Error::validation(
            "retention_days",
            format!("must be between 1 and {MAX_RETENTION_DAYS}"),
        ));
    }
    for _ in 0..ATTEMPTS {
        let mut s = get(app, tenant).await?.settings;
        if let Some(level) = change.log_level {
            s.log_level = level;
        }
        if let Some(days) = change.retention_days {
            s.retention_days = days;
        }
        s.version += 1;
        s.updated_at = app.clock.now();
        if app.store.put_tenant_settings(&s).await? {
            app.caches.tenant_settings.invalidate(tenant);
            return Ok(in_force(app, tenant, Some(s)));
        }
    }
    Err(Error::Conflict {
        code: "settings_conflict",
        message: "the settings were changed by another request; read them again and retry".into(),
    })
}
