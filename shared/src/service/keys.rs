//! API key material: generation, hashing and the stored record. Only the SHA-256 of a key is
//! stored; its id is derived from that hash, so the authenticator finds a key in one read.

use rand::RngExt;
use sha2::{Digest, Sha256};

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
        portal: None,
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
}
