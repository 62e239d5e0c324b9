//! `/v1/client-keys`: the public keys a tenant signs its requests with (RFC 9421 HTTP message
//! signatures; see `auth::signature`). A key grants at most the scopes of whoever registers it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiPath, ListOut};
use crate::auth::{Auth, scope};
use crate::backend::Hookline;
use crate::error::Result;
use crate::model::{ClientKey, Scope, SignatureAlgorithm};
use crate::service::client_keys::{self as service, NewClientKey};

pub fn routes() -> Router<Hookline> {
    Router::new()
        .route("/v1/client-keys", get(list).post(create))
        .route("/v1/client-keys/{key_id}", delete(remove))
}

#[derive(utoipa::ToSchema, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key_id": "billing-service-2026", "algorithm": "ed25519",
    "public_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
    "scopes": ["webhooks:write", "events:publish"]}))]
pub struct ClientKeyIn {
    /// Names the key in `Signature-Input` (`keyid`); unique across every tenant.
    pub key_id: String,
    pub algorithm: SignatureAlgorithm,
    /// PEM SubjectPublicKeyInfo.
    pub public_key: String,
    #[schema(value_type = Vec<String>)]
    pub scopes: Vec<Scope>,
}

#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
pub struct ClientKeyOut {
    pub key_id: String,
    pub algorithm: SignatureAlgorithm,
    pub public_key: String,
    #[schema(value_type = Vec<String>)]
    pub scopes: Vec<Scope>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `live` or `test`: requests signed with it act in the mode of the key that registered it.
    #[serde(default)]
    pub account_type: crate::model::Mode,
}

impl From<ClientKey> for ClientKeyOut {
    fn from(k: ClientKey) -> Self {
        ClientKeyOut {
            account_type: k.tenant_id.mode(),
            key_id: k.key_id,
            algorithm: k.algorithm,
            public_key: k.public_key,
            scopes: k.scopes,
            created_at: k.created_at,
        }
    }
}

#[utoipa::path(get, path = "/v1/client-keys", tag = "client keys",
    responses((status = 200, description = "The tenant's client keys", body = ListOut<ClientKeyOut>)))]
async fn list(
    State(app): State<Hookline>,
    // A portal session is about its webhooks, not the platform's credentials.
    p: Auth<scope::Platform<scope::Read>>,
) -> Result<Json<ListOut<ClientKeyOut>>> {
    let keys = service::list(&app, &p.tenant).await?;
    Ok(Json(ListOut::new(
        keys.into_iter().map(Into::into).collect(),
        None,
    )))
}

#[utoipa::path(post, path = "/v1/client-keys", tag = "client keys", request_body = ClientKeyIn,
    responses((status = 201, description = "Registered: requests signed with it act as this tenant with its scopes", body = ClientKeyOut)))]
async fn create(
    State(app): State<Hookline>,
    p: Auth<scope::Platform<scope::Write>>,
    ApiJson(input): ApiJson<ClientKeyIn>,
) -> Result<impl IntoResponse> {
    let input = NewClientKey {
        key_id: input.key_id,
        algorithm: input.algorithm,
        public_key: input.public_key,
        scopes: input.scopes,
    };
    let key = service::register(&app, &p.tenant, &p.scopes, input).await?;
    Ok((StatusCode::CREATED, Json(ClientKeyOut::from(key))))
}

#[utoipa::path(delete, path = "/v1/client-keys/{key_id}", tag = "client keys",
    params(("key_id" = String, Path, description = "The key's id")),
    responses((status = 204, description = "Removed: its signatures are refused from now on")))]
async fn remove(
    State(app): State<Hookline>,
    p: Auth<scope::Platform<scope::Write>>,
    ApiPath(key_id): ApiPath<String>,
) -> Result<StatusCode> {
    service::remove(&app, &p.tenant, &key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
