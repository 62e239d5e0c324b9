//! Client keys: the public keys a tenant signs its requests with (RFC 9421). A key grants at
//! most the scopes of whoever registers it, and its PEM must be a key of its algorithm.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{ClientKey, Scope, SignatureAlgorithm, allows};
use crate::validation;

/// DER prefixes of the two SubjectPublicKeyInfo shapes accepted (RFC 8410, RFC 5480).
const ED25519_SPKI: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const P256_SPKI: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A key as its registrant sends it.
#[derive(Debug, Clone)]
pub struct NewClientKey {
    pub key_id: String,
    pub algorithm: SignatureAlgorithm,
    pub public_key: String,
    pub scopes: Vec<Scope>,
}

/// The tenant's keys.
pub async fn list(app: &Hookline, tenant: &TenantId) -> Result<Vec<ClientKey>> {
    Ok(app.store.list_client_keys(tenant).await?)
}

/// Registers a key for `tenant`, granting at most `held` (the registrant's scopes).
pub async fn register(
    app: &Hookline,
    tenant: &TenantId,
    held: &[Scope],
    input: NewClientKey,
) -> Result<ClientKey> {
    validation::identifier("key_id", &input.key_id)?;
    raw_public_key(input.algorithm, &input.public_key)
        .map_err(|why| Error::validation("public_key", why))?;
    if input.scopes.is_empty() {
        return Err(Error::validation(
            "scopes",
            "at least one scope is required",
        ));
    }
    if let Some(s) = input.scopes.iter().find(|s| !allows(held, **s)) {
        return Err(Error::validation(
            "scopes",
            format!("{} is more than this key holds", s.as_str()),
        ));
    }
    let key = ClientKey {
        key_id: input.key_id,
        tenant_id: tenant.clone(),
        algorithm: input.algorithm,
        public_key: input.public_key,
        scopes: input.scopes,
        created_at: app.clock.now(),
    };
    app.store.create_client_key(&key).await?;
    Ok(key)
}

/// Removes a key: its signatures are refused from then on. 404 when the tenant has none by
/// that id.
pub async fn remove(app: &Hookline, tenant: &TenantId, key_id: &str) -> Result<()> {
    match app.store.delete_client_key(tenant, key_id).await? {
        true => Ok(()),
        false => Err(Error::NotFound("client key")),
    }
}

/// The raw public key of a PEM SubjectPublicKeyInfo for `alg`; `Err` with why not.
pub fn raw_public_key(alg: SignatureAlgorithm, pem: &str) -> std::result::Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    if !pem.contains("-----BEGIN PUBLIC KEY-----") {
        return Err("must be a PEM public key (-----BEGIN PUBLIC KEY-----)".into());
    }
    let der = STANDARD
        .decode(body)
        .map_err(|_| "the PEM body is not base64".to_string())?;
    let (prefix, len) = match alg {
        SignatureAlgorithm::Ed25519 => (ED25519_SPKI, 32),
        SignatureAlgorithm::EcdsaP256Sha256 => (P256_SPKI, 65),
    };
    match der.strip_prefix(prefix) {
        Some(raw) if raw.len() == len => Ok(raw.to_vec()),
        _ => Err(format!("is not an {} public key", alg.as_str())),
    }
}
