//! Verifying a delivery as its receiver does, in each signature scheme: Standard Webhooks `v1`
//! (HMAC with the webhook's secret: [`crate::signing::verify`]), `v1a` (Ed25519 with the
//! tenant's published key that `webhook-key-id` names) and RFC 9421 (`Signature-Input` and
//! `Signature` over `@method`, `@target-uri`, `content-digest` and `webhook-id`, the digest
//! checked against the body). `hookline listen` checks deliveries with it.

use std::collections::HashMap;

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::httpsig::{content_digest, members, parse_input, signature_base};
use crate::signing::{PUBLIC_KEY_PREFIX, TOLERANCE_SECONDS, signed_content};

/// A tenant's public verification keys, by key id (what
/// `/v1/tenants/{tenant_id}/verification-keys` lists).
#[derive(Debug, Clone, Default)]
pub struct PublicKeys(HashMap<String, Vec<u8>>);

impl PublicKeys {
    /// From the list's JSON (`{"keys": [{"key_id", "public_key": "whpk_..."}]}`).
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        let mut keys = HashMap::new();
        for k in v["keys"].as_array().ok_or("no \"keys\" list")? {
            let id = k["key_id"].as_str().ok_or("a key without key_id")?;
            let public = k["public_key"]
                .as_str()
                .and_then(|p| p.strip_prefix(PUBLIC_KEY_PREFIX))
                .ok_or("a public_key without the whpk_ prefix")?;
            let raw = B64
                .decode(public)
                .map_err(|_| format!("key {id}: not base64"))?;
            keys.insert(id.to_string(), raw);
        }
        Ok(PublicKeys(keys))
    }

    pub fn knows(&self, key_id: &str) -> bool {
        self.0.contains_key(key_id)
    }

    fn check(&self, key_id: &str, message: &[u8], signature: &[u8]) -> Result<(), Refused> {
        let raw = self
            .0
            .get(key_id)
            .ok_or_else(|| Refused::UnknownKey(key_id.to_string()))?;
        UnparsedPublicKey::new(&ED25519, raw)
            .verify(message, signature)
            .map_err(|_| Refused::BadSignature)
    }
}

/// Why a delivery does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("a signature header is missing or malformed: {0}")]
    Malformed(&'static str),
    #[error("it was signed {0} s away from now (more than 5 minutes: a replay?)")]
    Stale(i64),
    #[error("no published key {0:?} (fetch the keys again after a rotation)")]
    UnknownKey(String),
    #[error("the Content-Digest does not match the body (altered in transit?)")]
    DigestMismatch,
    #[error("the signature does not match")]
    BadSignature,
}

fn fresh(signed_at: i64, now: i64) -> Result<(), Refused> {
    match (now - signed_at).abs() > TOLERANCE_SECONDS {
        true => Err(Refused::Stale(now - signed_at)),
        false => Ok(()),
    }
}

/// A `v1a` delivery: one of the `v1a,` signatures of `signature_header` is the Ed25519
/// signature of `{msg_id}.{timestamp}.{body}` by key `key_id`.
pub fn verify_v1a(
    keys: &PublicKeys,
    key_id: &str,
    msg_id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), Refused> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refused::Malformed("webhook-timestamp"))?;
    fresh(ts, now)?;
    let content = signed_content(msg_id, ts, body);
    let mut last = Refused::Malformed("webhook-signature has no v1a signature");
    for sig in signature_header.split_whitespace() {
        let Some(raw) = sig.strip_prefix("v1a,").and_then(|b| B64.decode(b).ok()) else {
            continue;
        };
        match keys.check(key_id, &content, &raw) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// An RFC 9421 delivery: the first signature of `Signature-Input`, over the components a
/// Hookline delivery covers, with `header` giving the request's headers by lower-case name
/// and `target_uri` the URL as the request was sent. Answers the key id that signed.
pub fn verify_rfc9421(
    keys: &PublicKeys,
    method: &str,
    target_uri: &str,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    now: i64,
) -> Result<String, Refused> {
    let inputs = header("signature-input").ok_or(Refused::Malformed("no Signature-Input"))?;
    let (label, raw_input) = members(&inputs)
        .into_iter()
        .next()
        .ok_or(Refused::Malformed("an empty Signature-Input"))?;
    let input = parse_input(&raw_input).map_err(Refused::Malformed)?;
    let signatures = header("signature").ok_or(Refused::Malformed("no Signature"))?;
    let sig = members(&signatures)
        .into_iter()
        .find(|(l, _)| *l == label)
        .and_then(|(_, v)| {
            let b = v.strip_prefix(':')?.strip_suffix(':')?.to_string();
            B64.decode(b).ok()
        })
        .ok_or(Refused::Malformed(
            "no Signature for the Signature-Input's label",
        ))?;
    let key_id = input.keyid.ok_or(Refused::Malformed("no keyid"))?;
    fresh(input.created.ok_or(Refused::Malformed("no created"))?, now)?;
    let digest = header("content-digest").ok_or(Refused::Malformed("no Content-Digest"))?;
    if digest != content_digest(body) {
        return Err(Refused::DigestMismatch);
    }
    let mut values = Vec::new();
    for c in &input.components {
        values.push(match c.as_str() {
            "@method" => method.to_string(),
            "@target-uri" => target_uri.to_string(),
            name if name.starts_with('@') => {
                return Err(Refused::Malformed(
                    "a derived component deliveries do not use",
                ));
            }
            name => header(name).ok_or(Refused::Malformed("a covered header is missing"))?,
        });
    }
    let params = raw_input.trim();
    let base = signature_base(
        input
            .components
            .iter()
            .map(String::as_str)
            .zip(values.iter().map(String::as_str)),
        params,
    );
    keys.check(&key_id, base.as_bytes(), &sig)?;
    Ok(key_id)
}
