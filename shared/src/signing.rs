//! Delivery signatures. Every delivery carries `webhook-id` and `webhook-timestamp`; then, by
//! the webhook's scheme ([`Signer`]):
//! - Standard Webhooks `v1`: `webhook-signature: v1,<base64 HMAC-SHA256(secret,
//!   "{id}.{timestamp}.{body}")>`, one per valid secret;
//! - Standard Webhooks `v1a`: `webhook-signature: v1a,<base64 Ed25519(key, the same content)>`,
//!   one per listed key of the tenant (active first), and `webhook-key-id` naming the active one;
//! - RFC 9421: `Content-Digest`, `Signature-Input` and `Signature` (label `sig1`) over
//!   `@method`, `@target-uri`, `content-digest` and `webhook-id`, with `created`, `keyid` and
//!   `alg="ed25519"`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use sha2::Sha256;

use crate::error::{Error, Result};

pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of randomness in a generated secret (Standard Webhooks allows 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// A new secret: `whsec_` and the base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill(&mut bytes[..]);
    format!("{SECRET_PREFIX}{}", B64.encode(bytes))
}

/// The key bytes of a `whsec_` secret.
pub fn secret_bytes(secret: &str) -> Result<Vec<u8>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let bytes = B64
        .decode(b64)
        .map_err(|_| Error::validation("secret", "must be whsec_ followed by base64"))?;
    if !(24..=64).contains(&bytes.len()) {
        return Err(Error::validation("secret", "must encode 24 to 64 bytes"));
    }
    Ok(bytes)
}

/// `v1,<signature>` for one secret.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` value: one `v1,` signature per valid secret, space separated.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String> {
    let sigs = secrets
        .into_iter()
        .map(|s| secret_bytes(s).map(|k| sign(&k, msg_id, timestamp, body)))
        .collect::<Result<Vec<_>>>()?;
    Ok(sigs.join(" "))
}

/// The prefix of an Ed25519 public key in Standard Webhooks' notation.
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";

/// An Ed25519 key pair ready to sign, with the id receivers find it by.
#[derive(Clone)]
pub struct LoadedKey {
    pub key_id: String,
    pub pair: std::sync::Arc<aws_lc_rs::signature::Ed25519KeyPair>,
}

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKey")
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// How one delivery is signed.
#[derive(Debug, Clone)]
pub enum Signer<'a> {
    /// `v1`: the webhook's valid secrets, current first.
    Hmac(Vec<&'a str>),
    /// `v1a`: the tenant's listed keys, active first.
    Ed25519(Vec<LoadedKey>),
    /// RFC 9421 with the tenant's active key.
    HttpMessageSignatures(LoadedKey),
}

/// The components an RFC 9421 delivery signature covers.
pub const COVERED: [&str; 4] = ["@method", "@target-uri", "content-digest", "webhook-id"];

impl Signer<'_> {
    /// The id of the key that signs (none for HMAC).
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Signer::Hmac(_) => None,
            Signer::Ed25519(keys) => keys.first().map(|k| k.key_id.as_str()),
            Signer::HttpMessageSignatures(k) => Some(&k.key_id),
        }
    }

    /// The signature headers of a POST of `body` to `url` (as sent) at `timestamp`.
    pub fn headers(
        &self,
        msg_id: &str,
        timestamp: i64,
        url: &str,
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>> {
        Ok(match self {
            Signer::Hmac(secrets) => vec![(
                "webhook-signature",
                signature_header(secrets.iter().copied(), msg_id, timestamp, body)?,
            )],
            Signer::Ed25519(keys) => {
                let content = signed_content(msg_id, timestamp, body);
                let sigs: Vec<String> = keys
                    .iter()
                    .map(|k| format!("v1a,{}", B64.encode(k.pair.sign(&content).as_ref())))
                    .collect();
                let active = keys
                    .first()
                    .ok_or_else(|| Error::Config("a keyring without keys".into()))?;
                vec![
                    ("webhook-signature", sigs.join(" ")),
                    ("webhook-key-id", active.key_id.clone()),
                ]
            }
            Signer::HttpMessageSignatures(k) => {
                let digest = crate::httpsig::content_digest(body);
                let params =
                    crate::httpsig::signature_params(&COVERED, timestamp, &k.key_id, "ed25519");
                let base = crate::httpsig::signature_base(
                    COVERED.into_iter().zip(["POST", url, &digest, msg_id]),
                    &params,
                );
                let sig = B64.encode(k.pair.sign(base.as_bytes()).as_ref());
                vec![
                    ("content-digest", digest),
                    ("signature-input", format!("sig1={params}")),
                    ("signature", format!("sig1=:{sig}:")),
                ]
            }
        })
    }
}

/// What Standard Webhooks signs: `{id}.{timestamp}.{body}`.
pub(crate) fn signed_content(msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{msg_id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// Why a received request does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    #[error("no webhook-id, webhook-timestamp or webhook-signature header")]
    MissingHeaders,
    #[error("the timestamp is {0} s away from now (more than 5 minutes: a replay?)")]
    Stale(i64),
    #[error("no signature matches the secret")]
    NoMatch,
}

/// How far a timestamp may be from now (Standard Webhooks' recommended tolerance).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Verifies a received request as a Standard Webhooks receiver does: one of the `v1,`
/// signatures of `signature_header` matches `key` (compared in constant time), and the
/// timestamp is within [`TOLERANCE_SECONDS`] of `now`.
pub fn verify(
    key: &[u8],
    msg_id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
) -> std::result::Result<(), Unverified> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Unverified::MissingHeaders)?;
    if (now - ts).abs() > TOLERANCE_SECONDS {
        return Err(Unverified::Stale(now - ts));
    }
    let matches = signature_header.split_whitespace().any(|s| {
        let Some(sig) = s.strip_prefix("v1,").and_then(|b| B64.decode(b).ok()) else {
            return false;
        };
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(ts.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(Unverified::NoMatch)
    }
}

/// The masked form shown everywhere but at creation and rotation: the last 4 characters.
pub fn mask(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{SECRET_PREFIX}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example in the Standard Webhooks specification.
        let key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn generated_secrets_are_valid_and_masked() {
        let s = generate_secret();
        assert!(s.starts_with("whsec_"));
        assert_eq!(secret_bytes(&s).unwrap().len(), SECRET_BYTES);
        assert_ne!(s, generate_secret());
        let m = mask(&s);
        assert!(m.ends_with(&s[s.len() - 4..]) && !m.contains(&s[6..20]));
        let h = signature_header([s.as_str(), generate_secret().as_str()], "id", 1, b"{}").unwrap();
        assert_eq!(h.split(' ').count(), 2);
    }

    #[test]
    fn verify_accepts_what_sign_makes_and_nothing_else() {
        let secret = generate_secret();
        let key = secret_bytes(&secret).unwrap();
        let header = signature_header([secret.as_str()], "msg_1", 1_000, b"{}").unwrap();
        assert_eq!(verify(&key, "msg_1", "1000", &header, b"{}", 1_010), Ok(()));
        assert_eq!(
            verify(&key, "msg_1", "1000", &header, b"{ }", 1_010),
            Err(Unverified::NoMatch)
        );
        assert_eq!(
            verify(&key, "msg_2", "1000", &header, b"{}", 1_010),
            Err(Unverified::NoMatch)
        );
        assert_eq!(
            verify(&key, "msg_1", "1000", &header, b"{}", 2_000),
            Err(Unverified::Stale(1_000))
        );
        let other = secret_bytes(&generate_secret()).unwrap();
        assert_eq!(
            verify(&other, "msg_1", "1000", &header, b"{}", 1_010),
            Err(Unverified::NoMatch)
        );
    }
}
