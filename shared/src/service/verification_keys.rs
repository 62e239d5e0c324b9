//! Each tenant's Ed25519 signing keys, for the asymmetric delivery signatures (`ed25519`,
//! `http-message-signatures`). A tenant has one active key, made on first need; a rotation makes
//! a new active key and keeps the old one listed, as `retiring`, for an overlap period, so that
//! receivers that fetched the keys before the rotation go on verifying until they fetch again.
//! The private halves stay in the store: the API lists public halves only.

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::model::{KeyStatus, Keyring, SigningKeyPair, Timestamp};
use crate::signing::LoadedKey;

/// How long a replaced key stays listed unless asked otherwise: a day.
pub const DEFAULT_OVERLAP_SECONDS: u64 = 86_400;
/// The longest overlap: 30 days.
pub const MAX_OVERLAP_SECONDS: u64 = 30 * 86_400;
/// How often a write re-reads and retries after losing a race.
const ATTEMPTS: usize = 5;

fn new_pair(now: Timestamp) -> Result<SigningKeyPair> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| Error::Config("could not generate an Ed25519 key".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| Error::Config("could not read a generated Ed25519 key".into()))?;
    Ok(SigningKeyPair {
        key_id: format!("vk_{}", ulid::Ulid::new().to_string().to_ascii_lowercase()),
        public_key: B64.encode(pair.public_key().as_ref()),
        private_pkcs8: B64.encode(pkcs8.as_ref()).into(),
        status: KeyStatus::Active,
        created_at: now,
        retires_at: None,
    })
}

/// The keys a keyring still lists at `now`: the active one first, then those retiring whose
/// overlap has not ended.
pub fn listed(ring: &Keyring, now: Timestamp) -> Vec<&SigningKeyPair> {
    let mut keys: Vec<&SigningKeyPair> = ring
        .keys
        .iter()
        .filter(|k| k.retires_at.is_none_or(|t| now < t))
        .collect();
    keys.sort_by_key(|k| {
        (
            k.status != KeyStatus::Active,
            std::cmp::Reverse(k.created_at),
        )
    });
    keys
}

/// The tenant's keyring as stored, if it has one (what receivers are shown: no key is made
/// for a tenant that signs nothing with one).
pub async fn published(app: &Hookline, tenant: &TenantId) -> Result<Option<Keyring>> {
    Ok(app.store.get_keyring(tenant).await?)
}

/// The tenant's keyring, made (with one active key) the first time it is needed.
pub async fn keyring(app: &Hookline, tenant: &TenantId) -> Result<Keyring> {
    for _ in 0..ATTEMPTS {
        if let Some(ring) = app.store.get_keyring(tenant).await? {
            return Ok(ring);
        }
        let ring = Keyring {
            tenant_id: tenant.clone(),
            keys: vec![new_pair(app.clock.now())?],
            version: 1,
        };
        // Two first uses at once: one keyring wins, and both sign with it.
        if app.store.put_keyring(&ring).await? {
            return Ok(ring);
        }
    }
    Err(Error::Conflict {
        code: "concurrent_update",
        message: "the signing keys changed concurrently; try again".into(),
    })
}

/// The tenant's keyring as a delivery reads it: through the process cache (a rotation made in
/// this process applies at once; one made elsewhere within the cache's lifetime).
pub async fn cached_keyring(app: &Hookline, tenant: &TenantId) -> Result<Keyring> {
    app.caches
        .keyrings
        .get_or_load(tenant, || keyring(app, tenant))
        .await
}

/// Makes a new active key; the old keys stay listed as `retiring` for `overlap` (or less, when
/// an earlier rotation promised less).
pub async fn rotate(app: &Hookline, tenant: &TenantId, overlap: Duration) -> Result<Keyring> {
    for _ in 0..ATTEMPTS {
        let mut ring = keyring(app, tenant).await?;
        let now = app.clock.now();
        let until = now + chrono::TimeDelta::from_std(overlap).unwrap_or_default();
        // Every older key retires by the end of this overlap at the latest (a rotation without
        // one, after a leak, leaves only the new key); those whose overlap has ended are
        // dropped for good.
        for k in ring.keys.iter_mut() {
            k.status = KeyStatus::Retiring;
            k.retires_at = Some(k.retires_at.map_or(until, |t| t.min(until)));
        }
        ring.keys.retain(|k| k.retires_at.is_none_or(|t| now < t));
        ring.keys.push(new_pair(now)?);
        ring.version += 1;
        if app.store.put_keyring(&ring).await? {
            app.caches.keyrings.invalidate(tenant);
            return Ok(ring);
        }
    }
    Err(Error::Conflict {
        code: "concurrent_update",
        message: "the signing keys changed concurrently; try again".into(),
    })
}

/// A stored key pair, ready to sign.
pub fn load(k: &SigningKeyPair) -> Result<LoadedKey> {
    let pkcs8 = B64
        .decode(k.private_pkcs8.expose())
        .map_err(|_| Error::Config(format!("signing key {} is not base64", k.key_id)))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| Error::Config(format!("signing key {} is not an Ed25519 key", k.key_id)))?;
    Ok(LoadedKey {
        key_id: k.key_id.clone(),
        pair: std::sync::Arc::new(pair),
    })
}
