//! Resource extractors: a route on one webhook takes an [`OnWebhook<S>`], which authenticates
//! the caller, checks the scope `S`, parses the webhook id of the path and resolves the tenant
//! the request acts in, once, before the handler runs. An admin that named no tenant acts in
//! the webhook's own (it reads, changes and deletes any webhook it listed, by id); a portal
//! session that does not see the webhook gets a 404, as for an unknown id.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;

use super::ApiPath;
use crate::auth::{Auth, Principal, Reach, RequiredScope};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, TenantId, WebhookId};

/// A request on the webhook `{id}` of the path, by a principal holding scope `S`.
pub struct OnWebhook<S: RequiredScope> {
    pub principal: Principal,
    pub id: WebhookId,
    /// The tenant the request acts in.
    pub tenant: TenantId,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> std::ops::Deref for OnWebhook<S> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

/// The webhook id of a path (other parameters are read by their own extractors).
#[derive(Deserialize)]
struct WebhookParam {
    id: WebhookId,
}

/// The delivery id of a path under a webhook.
#[derive(Deserialize)]
pub struct DeliveryPath {
    pub delivery_id: DeliveryId,
}

impl<S: RequiredScope> FromRequestParts<Hookline> for OnWebhook<S> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Hookline) -> Result<Self> {
        // Credentials first: a request without them is a 401 whatever its path.
        let auth = Auth::<S>::from_request_parts(parts, app).await?;
        let ApiPath(WebhookParam { id }) = ApiPath::from_request_parts(parts, app).await?;
        if !auth.sees(&id) {
            return Err(Error::NotFound("webhook"));
        }
        let tenant = if auth.is_admin() && auth.reach == Reach::Unnamed {
            // The webhook's own tenant; another mode's webhook is not found, for admins too.
            crate::service::webhooks::owner(app, &id)
                .await?
                .filter(|t| t.mode() == auth.mode)
                .unwrap_or(auth.tenant)
        } else {
            auth.tenant
        };
        let principal = auth.principal;
        Ok(OnWebhook {
            principal,
            id,
            tenant,
            scope: PhantomData,
        })
    }
}
