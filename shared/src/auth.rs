//! API keys: generation, hashing, and the request principal they resolve to.

use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{ApiKey, Scope};

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

/// A key's id is derived from its hash, so a key is found by one direct read.
pub fn key_id_from_hash(hash: &str) -> String {
    format!("key_{}", &hash[..20])
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
                format!("unknown scope {part:?}; use webhooks:read, webhooks:write, events:publish or admin"),
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

/// Builds the stored record of a key (the key itself is not kept).
pub fn new_api_key(key: &str, tenant_id: &str, scopes: Vec<Scope>, name: Option<String>) -> ApiKey {
    let hash = hash_key(key);
    ApiKey {
        id: key_id_from_hash(&hash),
        tenant_id: tenant_id.to_string(),
        hash,
        scopes,
        name,
        created_at: chrono::Utc::now(),
        revoked_at: None,
    }
}

/// Who is calling: the key, and the tenant the request acts on.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key: ApiKey,
    /// The tenant the request acts on: the key's own, or for admin keys the `tenant_id` asked for.
    pub tenant_id: String,
    /// Whether the request named a tenant (`tenant_id`); admin listings without one span all.
    pub tenant_given: bool,
}

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.key.allows(scope) {
            Ok(())
        } else {
            Err(Error::Forbidden(scope.as_str().to_string()))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.key.scopes.contains(&Scope::Admin)
    }

    /// Resolves the acting tenant for a key and an optional `tenant_id` query parameter.
    pub fn resolve(key: ApiKey, tenant_param: Option<&str>) -> Result<Self> {
        let tenant_id = match tenant_param {
            None => key.tenant_id.clone(),
            Some(t) if t == key.tenant_id => key.tenant_id.clone(),
            Some(t) if key.scopes.contains(&Scope::Admin) => {
                crate::validation::identifier("tenant_id", t)?;
                t.to_string()
            }
            Some(_) => return Err(Error::Forbidden(Scope::Admin.as_str().to_string())),
        };
        Ok(Principal {
            key,
            tenant_id,
            tenant_given: tenant_param.is_some(),
        })
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
    fn only_admins_act_for_other_tenants() {
        let key = new_api_key("k", "t1", vec![Scope::WebhooksRead], None);
        assert_eq!(
            Principal::resolve(key.clone(), None).unwrap().tenant_id,
            "t1"
        );
        assert!(matches!(
            Principal::resolve(key, Some("t2")),
            Err(Error::Forbidden(_))
        ));
        let admin = new_api_key("k", "t1", vec![Scope::Admin], None);
        assert_eq!(
            Principal::resolve(admin, Some("t2")).unwrap().tenant_id,
            "t2"
        );
    }
}
