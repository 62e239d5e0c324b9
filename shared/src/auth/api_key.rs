//! API keys: generation, hashing, and the authenticator that accepts them.
//!
//! A key is accepted as `Authorization: Bearer <key>` (scheme in any case), as a bare
//! `Authorization: <key>`, or as `X-API-Key: <key>`; an empty header counts as absent. Only the
//! SHA-256 of a key is stored; its id is derived from that hash, so a key is found in one read.

use async_trait::async_trait;
use axum::http::request::Parts;
use rand::RngExt;
use sha2::{Digest, Sha256};

use super::{Authenticator, Identity, Subject};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, TenantId};
use crate::model::{ApiKey, Scope, Timestamp};

pub const KEY_PREFIX: &str = "hl_";

/// A new random API key (`hl_` and 40 hex characters).
pub fn generate_key() -> String {
    let mut b = [0u8; 20];
    rand::rng().fill(&mut b[..]);
    format!("{KEY_PREFIX}{}", hex(&b))
}

/// The SHA-256 of a key, hex encoded: the only form in which keys are stored.
pub fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses a comma-separated scope list.
pub fn parse_scopes(s: &str) -> Result<Vec<Scope>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let scope = Scope::parse(part).ok_or_else(|| {
            Error::validation(
                "scopes",
                format!("unknown scope {part:?}; use webhooks:read, webhooks:write, events:publish, deliveries:retry or admin"),
            )
        })?;
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    if out.is_empty() {
        return Err(Error::validation(
            "scopes",
            "at least one scope is required",
        ));
    }
    Ok(out)
}

/// Builds the stored record of a key (the key itself is not kept), in the mode `tenant` is in.
pub fn new_api_key(
    key: &str,
    tenant: &TenantId,
    scopes: Vec<Scope>,
    name: Option<String>,
    now: Timestamp,
) -> ApiKey {
    let hash = hash_key(key);
    ApiKey {
        id: ApiKeyId::from_hash(&hash),
        tenant_id: tenant.in_mode(crate::model::Mode::Live),
        hash,
        scopes,
        name,
        created_at: now,
        revoked_at: None,
        expires_at: None,
        webhook_ids: None,
        mode: tenant.mode(),
        partner_id: None,
    }
}

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
            webhooks: stored.webhook_ids,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_and_scopes_parse() {
        let k = generate_key();
        assert!(k.starts_with("hl_") && k.len() == 43);
        assert_eq!(hash_key(&k), hash_key(&k));
        assert_ne!(hash_key(&k), hash_key(&generate_key()));
        assert_eq!(
            parse_scopes("webhooks:read, admin").unwrap(),
            vec![Scope::WebhooksRead, Scope::Admin]
        );
        assert!(parse_scopes("root").is_err());
        assert!(parse_scopes("").is_err());
    }

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
