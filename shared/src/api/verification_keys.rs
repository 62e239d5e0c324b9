//! `/v1/verification-keys`: the public halves of the tenant's delivery signing keys
//! (`ed25519` and `http-message-signatures` webhooks), and their rotation. Receivers fetch them
//! without a key at `/v1/tenants/{tenant_id}/verification-keys`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiJsonOrDefault, ApiPath, ApiQuery};
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{KeyStatus, Keyring, Mode};
use crate::service::verification_keys as service;
use crate::signing::PUBLIC_KEY_PREFIX;

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/verification-keys", get(list))
        .route("/v1/verification-keys/rotate", post(rotate))
}

/// What receivers read: no key needed.
pub fn public_routes() -> Router<Hookline> {
    Router::new().route(
        "/v1/tenants/{tenant_id}/verification-keys",
        get(public_list),
    )
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct VerificationKeyOut {
    /// Named by each delivery: `webhook-key-id` (`ed25519`), `keyid` in `Signature-Input`
    /// (`http-message-signatures`), and `key_id` in the attempt log.
    pub key_id: String,
    /// `ed25519`.
    pub algorithm: String,
    /// `whpk_` and the base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// `active` signs deliveries; `retiring` verified deliveries before the last rotation and
    /// is listed until `retires_at`.
    pub status: KeyStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub retires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct VerificationKeysOut {
    /// The active key first.
    pub keys: Vec<VerificationKeyOut>,
}

impl VerificationKeysOut {
    fn of(ring: Option<&Keyring>, now: chrono::DateTime<chrono::Utc>) -> Self {
        let keys = ring.map(|r| service::listed(r, now)).unwrap_or_default();
        VerificationKeysOut {
            keys: keys
                .into_iter()
                .map(|k| VerificationKeyOut {
                    key_id: k.key_id.clone(),
                    algorithm: "ed25519".into(),
                    public_key: format!("{PUBLIC_KEY_PREFIX}{}", k.public_key),
                    status: k.status,
                    created_at: k.created_at,
                    retires_at: k.retires_at,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/v1/verification-keys", tag = "verification keys",
    responses((status = 200, description = "The tenant's public keys (made on first need)", body = VerificationKeysOut)))]
async fn list(
    State(app): State<Hookline>,
    p: Auth<scope::Any>,
) -> Result<Json<VerificationKeysOut>> {
    let ring = service::keyring(&app, &p.tenant).await?;
    Ok(Json(VerificationKeysOut::of(Some(&ring), app.clock.now())))
}

/// The public list's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicKeysIn {
    /// `live` (default) or `test`: test-mode deliveries are signed with the test keys.
    pub account_type: Option<Mode>,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/verification-keys", tag = "verification keys", security(()),
    params(("tenant_id" = String, Path, description = "The tenant whose deliveries you verify"), PublicKeysIn),
    responses((status = 200, description = "The tenant's public keys; none before it has any", body = VerificationKeysOut)))]
async fn public_list(
    State(app): State<Hookline>,
    ApiPath(tenant): ApiPath<TenantId>,
    ApiQuery(q): ApiQuery<PublicKeysIn>,
) -> Result<impl IntoResponse> {
    let tenant = tenant.in_mode(q.account_type.unwrap_or_default());
    let ring = crate::service::verification_keys::published(&app, &tenant).await?;
    Ok((
        // Receivers may keep the list for a few minutes; a rotation keeps the old key listed
        // far longer than that.
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(VerificationKeysOut::of(ring.as_ref(), app.clock.now())),
    ))
}

#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"overlap_seconds": 86400}))]
pub struct RotateKeysIn {
    /// How long the replaced key stays listed (default 86400, at most 30 days).
    pub overlap_seconds: Option<u64>,
}

#[utoipa::path(post, path = "/v1/verification-keys/rotate", tag = "verification keys", request_body(content = Option<RotateKeysIn>),
    responses((status = 200, description = "A new active key; the previous one is retiring", body = VerificationKeysOut)))]
async fn rotate(
    State(app): State<Hookline>,
    p: Auth<scope::Platform<scope::Write>>,
    ApiJsonOrDefault(input): ApiJsonOrDefault<RotateKeysIn>,
) -> Result<Json<VerificationKeysOut>> {
    let overlap = input
        .overlap_seconds
        .unwrap_or(service::DEFAULT_OVERLAP_SECONDS);
    if overlap > service::MAX_OVERLAP_SECONDS {
        return Err(Error::validation(
            "overlap_seconds",
            format!("at most {} (30 days)", service::MAX_OVERLAP_SECONDS),
        ));
    }
    let ring = service::rotate(&app, &p.tenant, std::time::Duration::from_secs(overlap)).await?;
    Ok(Json(VerificationKeysOut::of(Some(&ring), app.clock.now())))
}
