//! API keys: generation, hashing, and the authenticator that accepts them.
//!
//! A key is accepted as `Authorization: Bearer <key>` (scheme in any case), as a bare
//! `Authorization: <key>`, or as `X-API-Key: <key>`; an empty header counts as absent. Only the
//! SHA-256 of a key is stored; its id is derived from that hash, so a key is found in one read.

use async_trait::async_trait;
use axum::http::request::Parts;

use super::{Authenticator, Identity, Subject};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::ApiKeyId;

pub use crate::service::keys::{KEY_PREFIX, generate_key, hash_key, new_api_key, parse_scopes};

/// The bearer credential a request carries (an API key or a token), if any.
pub(crate) fn presented_key(parts: &Parts) -> Option<&str> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    header("x-api-key").or_else(|| {
        let a = header("authorization")?;
        match a.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
                Some(rest.trim()).filter(|k| !k.is_empty())
            }
            Some(_) => None,
            None => Some(a),
        }
    })
}

/// Accepts the API keys of the store.
pub struct ApiKeyAuthenticator;

#[async_trait]
impl Authenticator for ApiKeyAuthenticator {
    async fn authenticate(&self, parts: &Parts, app: &Hookline) -> Result<Option<Identity>> {
        let Some(key) = presented_key(parts) else {
            return Ok(None);
        };
        let hash = hash_key(key);
        let id = ApiKeyId::from_hash(&hash);
        let stored = app
            .caches
            .keys
            .get_or_load(&id, || app.store.get_key(&id))
            .await?;
        let now = app.clock.now();
        let stored = stored
            .filter(|k| {
                k.hash == hash && k.revoked_at.is_none() && k.expires_at.is_none_or(|t| now < t)
            })
            .ok_or(Error::Unauthorized)?;
        // A partner key files under its partner's id and acts for no tenant of its own.
        let tenant = match &stored.partner_id {
            Some(_) => None,
            None => Some(stored.tenant_id.in_mode(stored.mode)),
        };
        Ok(Some(Identity {
            tenant,
            partner: stored.partner_id,
            mode: stored.mode,
            scopes: stored.scopes,
            subject: Subject::ApiKey(stored.id),
            // A key with a list of webhooks is a session even if minted before sessions
            // carried a grant: it must never see more than its list.
            session: (stored.portal.is_some() || stored.webhook_ids.is_some()).then_some(
                super::SessionReach {
                    webhooks: stored.webhook_ids,
                },
            ),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_the_usual_headers() {
        let parts = |headers: &[(&str, &str)]| {
            let mut b = axum::http::Request::builder();
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            b.body(()).unwrap().into_parts().0
        };
        let p = parts(&[("authorization", "Bearer hl_1")]);
        assert_eq!(presented_key(&p), Some("hl_1"));
        let p = parts(&[("authorization", "BEARER hl_1")]);
        assert_eq!(presented_key(&p), Some("hl_1"));
        let p = parts(&[("authorization", "hl_1")]);
        assert_eq!(presented_key(&p), Some("hl_1"), "a bare key");
        let p = parts(&[("x-api-key", ""), ("authorization", "Bearer hl_2")]);
        assert_eq!(presented_key(&p), Some("hl_2"), "an empty header is absent");
        let p = parts(&[("authorization", "Basic abc")]);
        assert_eq!(presented_key(&p), None);
        assert_eq!(presented_key(&parts(&[])), None);
    }
}
