//! `/v1/settings`: the tenant's own settings, its delivery log level and retention. Every key
//! of the tenant reads them; only an admin changes them (they set what the log costs).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery, Patch};
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::Result;
use crate::model::LogLevel;
use crate::service::settings::{self as service, Change, InForce};

pub fn routes() -> Router<Hookline> {
    Router::new().route("/v1/settings", get(read).patch(update))
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
#[schema(example = json!({"log_level": "failures", "retention_days": 14, "updated_at": "2026-12-03T10:00:00Z"}))]
pub struct SettingsOut {
    /// `full`: every delivery keeps its record (attempts with status code, duration,
    /// response excerpt), listed in its webhook's log. `failures`: failures, retries,
    /// deferrals, manual retries and test events keep full records; a first-try success is
    /// kept as a mark: its event lists it as `succeeded` with its attempt's time, status code
    /// and duration (no response excerpt), the statistics count it, and the webhook's log
    /// does not list it.
    pub log_level: LogLevel,
    /// Days events, deliveries and attempts are kept after the event (1 to 90); events and
    /// deliveries say when they expire (`expires_at`). A change applies to events published
    /// after it.
    pub retention_days: u32,
    /// When they were last changed (now, for a tenant that never changed them).
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl SettingsOut {
    fn of(s: InForce) -> Self {
        SettingsOut {
            log_level: s.log_level(),
            retention_days: s.retention_days,
            updated_at: s.settings.updated_at,
        }
    }
}

#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[schema(example = json!({"log_level": "failures", "retention_days": 14}))]
pub struct SettingsPatchIn {
    /// `full` or `failures`.
    pub log_level: Option<LogLevel>,
    /// 1 to 90; `null` goes back to the deployment's default (`HOOKLINE_RETENTION_DAYS`).
    #[schema(value_type = Option<u32>)]
    pub retention_days: Patch<u32>,
}

/// The query of both operations.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SettingsQueryIn {
    /// Admin keys only: the tenant to act on.
    #[allow(dead_code)]
    tenant_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/settings", tag = "settings", params(SettingsQueryIn),
    responses((status = 200, description = "The tenant's settings in force", body = SettingsOut)))]
async fn read(
    State(app): State<Hookline>,
    p: Auth<scope::Read>,
    ApiQuery(_): ApiQuery<SettingsQueryIn>,
) -> Result<Json<SettingsOut>> {
    Ok(Json(SettingsOut::of(service::get(&app, &p.tenant).await?)))
}

#[utoipa::path(patch, path = "/v1/settings", tag = "settings", params(SettingsQueryIn), request_body = SettingsPatchIn,
    responses((status = 200, description = "The settings now in force", body = SettingsOut)))]
async fn update(
    State(app): State<Hookline>,
    p: Auth<scope::Admin>,
    ApiQuery(_): ApiQuery<SettingsQueryIn>,
    ApiJson(input): ApiJson<SettingsPatchIn>,
) -> Result<Json<SettingsOut>> {
    let change = Change {
        log_level: input.log_level,
        retention_days: match input.retention_days {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(d) => Some(Some(d)),
        },
    };
    Ok(Json(SettingsOut::of(
        service::update(&app, &p.tenant, change).await?,
    )))
}
