//! Credentials and their owners: API keys, partners, client keys (RFC 9421 request
//! signing) and the tenants' Ed25519 keyrings (delivery signing).

use serde::{Deserialize, Serialize};

use super::{Mode, Scope, Timestamp};
use crate::ids::{ApiKeyId, PartnerId, TenantId, WebhookId};

/// An API key as stored: only the SHA-256 hash of the key is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub hash: String,
    pub scopes: Vec<Scope>,
    pub name: Option<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// A short-lived key (a customer portal session) is refused after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When set, the key sees only these webhooks (and their deliveries); any other is a 404.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_ids: Option<Vec<WebhookId>>,
    /// Live or test: the key sees and delivers only objects of its mode.
    #[serde(default)]
    pub mode: Mode,
    /// A partner key: acts on any tenant of the partner (`tenant_id` then files the key
    /// under the partner's id, which names no tenant of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<PartnerId>,
    /// A customer portal session: what the page may do and how it is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<super::PortalGrant>,
}

/// A partner: a group of tenants (a reseller, an agency) whose partner keys and tokens act on
/// any of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    /// The tenants, as callers name them (without a mode).
    pub tenants: Vec<TenantId>,
    pub created_at: Timestamp,
    /// Optimistic-concurrency version: bumped by every write.
    pub version: u64,
}

/// How a client key signs requests (RFC 9421 algorithm names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub enum SignatureAlgorithm {
    #[serde(rename = "ed25519")]
    Ed25519,
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
}

impl SignatureAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }
}

/// A public key a tenant registered to sign its requests with (RFC 9421): requests signed by
/// it act as the tenant with its scopes. `key_id` is global (a request names only it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientKey {
    pub key_id: String,
    pub tenant_id: TenantId,
    pub algorithm: SignatureAlgorithm,
    /// PEM SubjectPublicKeyInfo, as registered.
    pub public_key: String,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
}

/// Whether a verification key signs deliveries or only still verifies older ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Retiring,
}

/// One of a tenant's Ed25519 key pairs. The private half (PKCS#8) never leaves the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningKeyPair {
    pub key_id: String,
    /// The 32 bytes of the public key, base64.
    pub public_key: String,
    /// PKCS#8 of the key pair, base64.
    pub private_pkcs8: crate::secret::Secret,
    pub status: KeyStatus,
    pub created_at: Timestamp,
    /// A retiring key is listed (receivers still verify with it) until then.
    pub retires_at: Option<Timestamp>,
}

/// A tenant's signing key pairs: one active, and those retiring after a rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyring {
    pub tenant_id: TenantId,
    pub keys: Vec<SigningKeyPair>,
    /// Optimistic-concurrency version: bumped by every write.
    pub version: u64,
}
