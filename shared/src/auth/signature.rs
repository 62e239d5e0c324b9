//! HTTP message signatures on requests (RFC 9421): a request carrying `Signature-Input` and
//! `Signature`, made with a client key the tenant registered (`/v1/client-keys`), acts as that
//! tenant with the key's scopes.
//!
//! Rules: the covered components include `@method`, `@target-uri`, and `content-digest` when
//! the request has a body (the digest itself is checked against the body by `api::digest`, so
//! the signature covers the body); `created` is required and within 300 s of now; `expires`,
//! when given, has not passed; `alg`, when given, is the key's; a `nonce`, when given, is
//! accepted once (claimed in the store, so across every instance). Algorithms: `ed25519` and
//! `ecdsa-p256-sha256` (raw r||s), keys as PEM SubjectPublicKeyInfo.

use async_trait::async_trait;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey};
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Authenticator, Identity, Subject};
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::httpsig::{Input, members, parse_input};
use crate::model::{ClientKey, SignatureAlgorithm};
use crate::store::IdempotencyRecord;

/// How far `created` may be from now, either way (seconds).
pub const MAX_AGE_SECS: i64 = 300;

pub use crate::service::client_keys::raw_public_key;

fn verify(key: &ClientKey, base: &[u8], signature: &[u8]) -> bool {
    let Ok(raw) = raw_public_key(key.algorithm, &key.public_key) else {
        return false;
    };
    let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = match key.algorithm {
        SignatureAlgorithm::Ed25519 => &ED25519,
        SignatureAlgorithm::EcdsaP256Sha256 => &ECDSA_P256_SHA256_FIXED,
    };
    UnparsedPublicKey::new(alg, raw)
        .verify(base, signature)
        .is_ok()
}

fn bad(why: &str) -> Error {
    tracing::info!(reason = why, "signed request refused");
    Error::Unauthorized
}

/// The request's target URI as the client sent it: the absolute URI behind API Gateway
/// (lambda_http builds one), or scheme (`X-Forwarded-Proto`, else http) and `Host` locally.
fn target_uri(parts: &Parts) -> Option<String> {
    if parts.uri.scheme().is_some() && parts.uri.authority().is_some() {
        return Some(parts.uri.to_string());
    }
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
    let host = header("host")?;
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    Some(format!("{scheme}://{host}{path}"))
}

/// The value of one covered component.
fn component(parts: &Parts, name: &str) -> Result<String> {
    let header = |n: &str| {
        let values: Vec<&str> = parts
            .headers
            .get_all(n)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let v = match name {
        "@method" => Some(parts.method.as_str().to_string()),
        "@target-uri" => target_uri(parts),
        "@authority" => parts
            .uri
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| header("host"))
            .map(|a| a.to_ascii_lowercase()),
        "@path" => Some(parts.uri.path().to_string()),
        "@query" => Some(format!("?{}", parts.uri.query().unwrap_or(""))),
        n if n.starts_with('@') => None,
        n => header(n),
    };
    v.ok_or_else(|| bad("a covered component is missing from the request"))
}

/// The signature base (RFC 9421 §2.5) of `parts` for `input`, whose raw value is `raw`.
fn signature_base(parts: &Parts, input: &Input, raw: &str) -> Result<String> {
    let values = input
        .components
        .iter()
        .map(|c| component(parts, c))
        .collect::<Result<Vec<_>>>()?;
    Ok(crate::httpsig::signature_base(
        input
            .components
            .iter()
            .map(String::as_str)
            .zip(values.iter().map(String::as_str)),
        raw,
    ))
}

/// Accepts requests signed with a registered client key.
pub struct SignatureAuthenticator;

#[async_trait]
impl Authenticator for SignatureAuthenticator {
    async fn authenticate(&self, parts: &Parts, app: &Hookline) -> Result<Option<Identity>> {
        let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
        let Some(inputs) = header("signature-input") else {
            return Ok(None);
        };
        let signatures = header("signature").ok_or_else(|| bad("Signature is missing"))?;
        // The first signature made with a key id.
        let (label, raw, input) = members(inputs)
            .into_iter()
            .find_map(|(label, raw)| {
                let input = parse_input(&raw).map_err(bad).ok()?;
                input.keyid.is_some().then_some((label, raw, input))
            })
            .ok_or_else(|| bad("no signature names a keyid"))?;
        let signature = members(signatures)
            .into_iter()
            .find(|(l, _)| *l == label)
            .and_then(|(_, v)| {
                let b64 = v.strip_prefix(':')?.strip_suffix(':')?;
                STANDARD.decode(b64).ok()
            })
            .ok_or_else(|| bad("no signature for the label of the input"))?;
        let has_body = parts
            .headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| n != "0")
            || parts.headers.contains_key("transfer-encoding");
        let covers = |c: &str| input.components.iter().any(|x| x == c);
        if !covers("@method") || !covers("@target-uri") {
            return Err(bad("the signature must cover @method and @target-uri"));
        }
        if has_body && !covers("content-digest") {
            return Err(bad("a request with a body must sign its content-digest"));
        }
        if has_body && !parts.headers.contains_key("content-digest") {
            return Err(bad("a request with a body must carry Content-Digest"));
        }
        let now = app.clock.now().timestamp();
        let created = input.created.ok_or_else(|| bad("created is required"))?;
        if (now - created).abs() > MAX_AGE_SECS {
            return Err(bad("created is more than 300 s from now"));
        }
        if input.expires.is_some_and(|e| e <= now) {
            return Err(bad("the signature has expired"));
        }
        let key_id = input.keyid.as_deref().unwrap_or_default();
        let key = app
            .store
            .get_client_key(key_id)
            .await?
            .ok_or_else(|| bad("unknown keyid"))?;
        if input
            .alg
            .as_deref()
            .is_some_and(|a| a != key.algorithm.as_str())
        {
            return Err(bad("alg is not the key's algorithm"));
        }
        let base = signature_base(parts, &input, &raw)?;
        if !verify(&key, base.as_bytes(), &signature) {
            return Err(bad("the signature does not verify"));
        }
        // A nonce is accepted once, for as long as its signature could be accepted at all.
        if let Some(nonce) = &input.nonce {
            let claim = IdempotencyRecord {
                hash: String::new(),
                answer: None,
            };
            let seen = app
                .store
                .claim_idempotency(
                    &format!("nonce:{key_id}:{nonce}"),
                    &claim,
                    now,
                    created + 2 * MAX_AGE_SECS,
                )
                .await?;
            if seen.is_some() {
                return Err(bad("the nonce was used before"));
            }
        }
        Ok(Some(Identity {
            session: None,
            partner: None,
            // Registered by a principal of one mode, the key acts in that mode.
            mode: key.tenant_id.mode(),
            tenant: Some(key.tenant_id),
            scopes: key.scopes,
            subject: Subject::ClientKey(key.key_id),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_members_keep_commas_inside_strings_and_lists() {
        let m = members(r#"sig1=("@method" "@target-uri");nonce="a,b";keyid="k", sig2=("x")"#);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, "sig1");
        assert_eq!(m[0].1, r#"("@method" "@target-uri");nonce="a,b";keyid="k""#);
        let input = parse_input(&m[0].1).unwrap();
        assert_eq!(input.components, ["@method", "@target-uri"]);
        assert_eq!(input.nonce.as_deref(), Some("a,b"));
        assert_eq!(input.keyid.as_deref(), Some("k"));
    }

    #[test]
    fn keys_must_be_spki_of_their_algorithm() {
        // RFC 8410's example Ed25519 public key.
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            raw_public_key(SignatureAlgorithm::Ed25519, pem)
                .unwrap()
                .len(),
            32
        );
        assert!(raw_public_key(SignatureAlgorithm::EcdsaP256Sha256, pem).is_err());
        assert!(raw_public_key(SignatureAlgorithm::Ed25519, "not a key").is_err());
    }
}
