//! The JWT keys and rules of the configuration, parsed once at start (a bad JWKS document
//! stops the process, not a request). `auth/jwt.rs` turns a verified token's claims into an
//! identity.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;

use super::settings::{JwtSettings, set};
use crate::error::{Error, Result};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY: u64 = 60;

/// The keys and rules tokens are checked against (parsed once, at start).
pub struct JwtKeys {
    hs256: Option<DecodingKey>,
    /// JWKS keys by `kid`, with the algorithm each is for.
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("JwtKeys")
            .field("hs256", &self.hs256.is_some())
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl JwtKeys {
    /// The JWT keys and rules of the environment (through `get`); `None` when no key is set.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        Self::from_settings(super::settings::Settings::from_lookup(get)?.jwt)
    }

    /// The keys and rules the settings give; `None` when no key is configured.
    pub fn from_settings(s: JwtSettings) -> Result<Option<Self>> {
        let hs256 = set(s.jwt_hs256_secret);
        if hs256.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err(Error::Config(
                "HOOKLINE_JWT_HS256_SECRET must be at least 32 characters".into(),
            ));
        }
        let jwks = match (set(s.jwt_jwks_file), set(s.jwt_jwks)) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "set HOOKLINE_JWT_JWKS_FILE or HOOKLINE_JWT_JWKS, not both".into(),
                ));
            }
            (Some(path), None) => Some((
                std::fs::read_to_string(&path).map_err(|e| {
                    Error::Config(format!("HOOKLINE_JWT_JWKS_FILE: cannot read {path}: {e}"))
                })?,
                "HOOKLINE_JWT_JWKS_FILE",
            )),
            (None, Some(inline)) => Some((inline, "HOOKLINE_JWT_JWKS")),
            (None, None) => None,
        };
        if hs256.is_none() && jwks.is_none() {
            return Ok(None);
        }
        let mut keys = HashMap::new();
        if let Some((text, var)) = jwks {
            let set: JwkSet = serde_json::from_str(&text)
                .map_err(|e| Error::Config(format!("{var}: not a JWKS document: {e}")))?;
            for jwk in &set.keys {
                let kid =
                    jwk.common.key_id.clone().ok_or_else(|| {
                        Error::Config(format!("{var}: every key needs a \"kid\""))
                    })?;
                let alg = match jwk.common.key_algorithm.map(|a| a.to_string()).as_deref() {
                    Some("RS256") => Algorithm::RS256,
                    Some("ES256") => Algorithm::ES256,
                    Some("EdDSA") => Algorithm::EdDSA,
                    other => {
                        return Err(Error::Config(format!(
                            "{var}: key {kid:?} has \"alg\" {other:?}; RS256, ES256 or EdDSA expected"
                        )));
                    }
                };
                let key = DecodingKey::from_jwk(jwk)
                    .map_err(|e| Error::Config(format!("{var}: key {kid:?}: {e}")))?;
                keys.insert(kid, (key, alg));
            }
        }
        Ok(Some(JwtKeys {
            hs256: hs256.map(|s| DecodingKey::from_secret(s.expose().as_bytes())),
            keys,
            issuer: set(s.jwt_issuer),
            audience: set(s.jwt_audience),
        }))
    }

    /// What is configured, for the start-up summary (never the secret).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.hs256.is_some() {
            parts.push("HS256 secret".to_string());
        }
        if !self.keys.is_empty() {
            parts.push(format!("{} JWKS key(s)", self.keys.len()));
        }
        if let Some(iss) = &self.issuer {
            parts.push(format!("issuer {iss}"));
        }
        if let Some(aud) = &self.audience {
            parts.push(format!("audience {aud}"));
        }
        parts.join(", ")
    }

    /// The claims of a token that verifies (key, algorithm, time, issuer, audience); `None`
    /// for any other.
    pub fn claims<C: DeserializeOwned>(&self, token: &str) -> Option<C> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            alg => header
                .kid
                .as_deref()
                .and_then(|kid| self.keys.get(kid))
                .filter(|(_, a)| *a == alg)
                .map(|(k, _)| k),
        }?;
        let mut v = Validation::new(header.alg);
        v.leeway = LEEWAY;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp"]);
        match &self.issuer {
            Some(iss) => v.set_issuer(&[iss]),
            None => v.iss = None,
        }
        match &self.audience {
            Some(aud) => v.set_audience(&[aud]),
            None => v.validate_aud = false,
        }
        jsonwebtoken::decode::<C>(token, key, &v)
            .ok()
            .map(|d| d.claims)
    }
}
