//! `/v1/partners`: operators group tenants under partners (admin keys only). A partner key or
//! token acts on any of its partner's tenants with `?tenant_id=`, and lists across them.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiPath, ListOut};
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::Result;
use crate::ids::{PartnerId, TenantId};
use crate::model::Partner;
use crate::service::partners as service;

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/partners", get(list))
        .route("/v1/partners/{partner_id}", get(read))
        .route(
            "/v1/partners/{partner_id}/tenants/{tenant_id}",
            put(add_tenant).delete(remove_tenant),
        )
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct PartnerOut {
    pub partner_id: PartnerId,
    pub tenants: Vec<TenantId>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Partner> for PartnerOut {
    fn from(p: Partner) -> Self {
        PartnerOut {
            partner_id: p.id,
            tenants: p.tenants,
            created_at: p.created_at,
        }
    }
}

#[utoipa::path(get, path = "/v1/partners", tag = "partners",
    responses((status = 200, description = "Every partner and its tenants", body = ListOut<PartnerOut>)))]
async fn list(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
) -> Result<Json<ListOut<PartnerOut>>> {
    let partners = crate::service::partners::list(&app).await?;
    Ok(Json(ListOut::new(
        partners.into_iter().map(Into::into).collect(),
        None,
    )))
}

#[utoipa::path(get, path = "/v1/partners/{partner_id}", tag = "partners",
    params(("partner_id" = PartnerId, Path, description = "The partner")),
    responses((status = 200, description = "The partner and its tenants", body = PartnerOut)))]
async fn read(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiPath(id): ApiPath<PartnerId>,
) -> Result<Json<PartnerOut>> {
    Ok(Json(service::get(&app, &id).await?.into()))
}

#[utoipa::path(put, path = "/v1/partners/{partner_id}/tenants/{tenant_id}", tag = "partners",
    params(("partner_id" = PartnerId, Path, description = "The partner (made with its first tenant)"),
        ("tenant_id" = TenantId, Path, description = "The tenant to add")),
    responses((status = 200, description = "The partner with the tenant (adding it again changes nothing)", body = PartnerOut)))]
async fn add_tenant(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiPath((id, tenant)): ApiPath<(PartnerId, TenantId)>,
) -> Result<Json<PartnerOut>> {
    Ok(Json(service::add_tenant(&app, &id, &tenant).await?.into()))
}

#[utoipa::path(delete, path = "/v1/partners/{partner_id}/tenants/{tenant_id}", tag = "partners",
    params(("partner_id" = PartnerId, Path, description = "The partner"),
        ("tenant_id" = TenantId, Path, description = "The tenant to remove")),
    responses((status = 200, description = "The partner without the tenant", body = PartnerOut)))]
async fn remove_tenant(
    State(app): State<Hookline>,
    _p: Auth<scope::Admin>,
    ApiPath((id, tenant)): ApiPath<(PartnerId, TenantId)>,
) -> Result<Json<PartnerOut>> {
    Ok(Json(
        service::remove_tenant(&app, &id, &tenant).await?.into(),
    ))
}
