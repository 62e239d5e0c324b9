//! A tenant's own settings: how much of its delivery log is kept, and for how long. A
//! platform sets them per customer (what the log costs is the platform's bill).

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::ids::TenantId;

/// The longest a tenant's events and deliveries may be kept.
pub const MAX_RETENTION_DAYS: u32 = 90;

/// How much of a tenant's delivery log is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Every delivery has its record: attempts with status, duration, response excerpt.
    #[default]
    Full,
    /// Failures, retries, deferrals and manual actions keep full records; a first-try
    /// success is kept as a compact mark (time, status code, duration), counted in the
    /// statistics and shown as succeeded on its event, but not listed in the webhook's log.
    Failures,
}

impl LogLevel {
    pub fn is_full(&self) -> bool {
        *self == LogLevel::Full
    }
}

/// What a tenant chose; absent fields take the deployment's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub tenant_id: TenantId,
    #[serde(default)]
    pub log_level: LogLevel,
    /// Days events and deliveries are kept (1 to [`MAX_RETENTION_DAYS`]); none: the
    /// deployment's `HOOKLINE_RETENTION_DAYS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    pub updated_at: Timestamp,
    /// Optimistic-concurrency version: bumped by every write.
    pub version: u64,
}

impl TenantSettings {
    /// A tenant that never changed its settings.
    pub fn defaults(tenant: &TenantId, now: Timestamp) -> Self {
        TenantSettings {
            tenant_id: tenant.clone(),
            log_level: LogLevel::Full,
            retention_days: None,
            updated_at: now,
            version: 0,
        }
    }
}
