//! Webhooks: the subscription, its signing secrets and scheme, its health, and the event
//! type catalogue it subscribes from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::ids::{TenantId, WebhookId};

/// One signing secret of a webhook. The first of [`Webhook::secrets`] is current; the others
/// are previous secrets still valid until `expires_at` (rotation grace period).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningSecret {
    pub key: crate::secret::Secret,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// A webhook subscription: an endpoint of a tenant and the events it wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    pub tenant_id: TenantId,
    pub url: String,
    pub description: Option<String>,
    /// Event type filter: exact names, `prefix.*` or `*`; empty means every event.
    pub events: Vec<String>,
    pub enabled: bool,
    /// Account filter: when non-empty, only events of these accounts are delivered.
    pub account_ids: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    /// Headers sent with every request to the endpoint (names as given; see
    /// `validation::custom_headers` for the names refused).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// How the endpoint's receiver wants requests authenticated (credentials write-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<super::ReceiverAuth>,
    /// A certificate authority its receiver's certificate may chain to (a private PKI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<super::TlsOptions>,
    /// This webhook's per-attempt timeout, 1 to 30 s (none: `HOOKLINE_DELIVERY_TIMEOUT_SECONDS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    /// A condition on the event (type, account, payload) it must meet to be delivered here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<super::Filter>,
    /// At most this many deliveries a second to the endpoint, 1 to 10,000, counted across every
    /// process that delivers (none: as fast as the engine and the endpoint's window allow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// `fifo`: its scheduled deliveries go one at a time, in publish order.
    #[serde(default, skip_serializing_if = "Ordering::is_default")]
    pub ordering: Ordering,
    pub secrets: Vec<SigningSecret>,
    /// How deliveries are signed (the HMAC secrets above, or the tenant's key pair).
    #[serde(default, skip_serializing_if = "SignatureScheme::is_default")]
    pub signature_scheme: SignatureScheme,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_triggered_at: Option<Timestamp>,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
    /// The endpoint's recent record and its circuit breaker, written by the delivery engine
    /// (stored apart from the rest, see [`crate::store::WebhookStore::put_health`]).
    #[serde(default)]
    pub health: Health,
    /// Why the webhook was disabled by Hookline (e.g. failing for days); cleared on re-enable.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    #[serde(default)]
    pub disabled_at: Option<Timestamp>,
}

/// In what order a webhook's deliveries go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Ordering {
    /// As fast as the engine and the endpoint's window allow, several at once.
    #[default]
    None,
    /// One at a time, in the order Hookline accepted the events (a batch in its order): the
    /// next waits while the one before waits for a retry, until it has succeeded or failed
    /// for good. Manual retries and test events go outside the order.
    Fifo,
}

impl Ordering {
    pub fn is_default(&self) -> bool {
        *self == Ordering::None
    }
}

/// How a webhook's deliveries are signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub enum SignatureScheme {
    /// Standard Webhooks `v1`: HMAC-SHA256 with the webhook's secret.
    #[default]
    #[serde(rename = "hmac-sha256")]
    HmacSha256,
    /// Standard Webhooks `v1a`: the same signed content, signed with the tenant's Ed25519 key.
    #[serde(rename = "ed25519")]
    Ed25519,
    /// RFC 9421 `Signature` and `Signature-Input` (Ed25519, the tenant's key) over `@method`,
    /// `@target-uri`, `content-digest` (RFC 9530) and `webhook-id`.
    #[serde(rename = "http-message-signatures")]
    HttpMessageSignatures,
}

impl SignatureScheme {
    pub const ALL: [SignatureScheme; 3] = [
        SignatureScheme::HmacSha256,
        SignatureScheme::Ed25519,
        SignatureScheme::HttpMessageSignatures,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignatureScheme::HmacSha256 => "hmac-sha256",
            SignatureScheme::Ed25519 => "ed25519",
            SignatureScheme::HttpMessageSignatures => "http-message-signatures",
        }
    }

    pub fn is_default(&self) -> bool {
        *self == SignatureScheme::HmacSha256
    }

    /// Whether deliveries are signed with the tenant's key pair (not the webhook's secret).
    pub fn is_asymmetric(self) -> bool {
        self != SignatureScheme::HmacSha256
    }
}

/// An endpoint's health: its run of failures and its circuit breaker (ARCHITECTURE.md §4).
/// The breaker is open while `open_until` is in the future: due deliveries are deferred
/// without a request. Once it passes, one delivery is sent as a probe; its success closes the
/// breaker, its failure opens it again for twice as long.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    #[serde(default)]
    pub consecutive_failures: u32,
    #[serde(default)]
    pub open_until: Option<Timestamp>,
    /// The length of the current open period, in seconds (0 while closed).
    #[serde(default)]
    pub open_seconds: u64,
    #[serde(default)]
    pub last_success_at: Option<Timestamp>,
    #[serde(default)]
    pub last_failure_at: Option<Timestamp>,
    /// The first failure since the last success: how long the endpoint has been failing.
    #[serde(default)]
    pub failing_since: Option<Timestamp>,
    /// The receiver asked to wait (`Retry-After` on a 429 or 503): no scheduled delivery
    /// goes before then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<Timestamp>,
    /// The rate the engine uses while the receiver's 429s hold it below `rate_limit`
    /// (none: the limit itself), and when it last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_changed_at: Option<Timestamp>,
    /// Bumped by every write, so that concurrent writers (Lambda instances) compare and swap.
    #[serde(default)]
    pub rev: u64,
}

/// The rate a webhook's deliveries go at now: its limit, or less while its receiver's 429s
/// hold it down; none without a limit.
pub fn rate_in_force(limit: Option<u32>, h: &Health) -> Option<u32> {
    limit.map(|l| h.rate.map_or(l, |r| r.clamp(1, l)))
}

impl Webhook {
    /// When a delivery was last attempted: what was written for it (`last_triggered_at`), or
    /// the endpoint's last success or failure as its health records them (a health write
    /// already made for an attempt is not made again to say when it was).
    pub fn last_triggered(&self) -> Option<Timestamp> {
        [
            self.last_triggered_at,
            self.health.last_success_at,
            self.health.last_failure_at,
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Does this subscription want an event of `event_type` for `account_id`?
    pub fn matches(&self, event_type: &str, account_id: Option<&str>) -> bool {
        self.enabled && self.wants_type(event_type) && self.wants_account(account_id)
    }

    /// The event type rule: a listed pattern matches, or none is listed (every type but
    /// Hookline's own `hookline.*`).
    pub fn wants_type(&self, event_type: &str) -> bool {
        self.events.iter().any(|p| type_matches(p, event_type))
            || (self.events.is_empty() && !super::operational::is_reserved(event_type))
    }

    /// The account rule: no account listed, or the event's is among them.
    pub fn wants_account(&self, account_id: Option<&str>) -> bool {
        self.account_ids.is_empty()
            || account_id.is_some_and(|a| self.account_ids.iter().any(|x| x == a))
    }

    /// Whether `event` is delivered here: [`Self::matches`], and the payload filter.
    pub fn accepts(&self, event: &super::Envelope) -> bool {
        self.matches(event.event_type, event.account_id)
            && self
                .filter
                .as_ref()
                .is_none_or(|f| f.evaluate(event).is_ok())
    }

    /// The secrets valid at `now`, current first.
    pub fn valid_secrets(&self, now: Timestamp) -> impl Iterator<Item = &SigningSecret> {
        self.secrets
            .iter()
            .filter(move |s| s.expires_at.is_none_or(|e| e > now))
    }

    /// Makes `new` the current secret. With a grace period, the secrets valid now stay valid
    /// until `now + grace` (never longer than they already were), at most [`MAX_SECRETS`] in
    /// all; without one, they stop at once. Returns until when the previous ones stay valid.
    pub fn rotate_secret(
        &mut self,
        new: SigningSecret,
        now: Timestamp,
        grace: chrono::TimeDelta,
    ) -> Option<Timestamp> {
        let until = now + grace;
        let mut previous: Vec<SigningSecret> = if grace <= chrono::TimeDelta::zero() {
            Vec::new()
        } else {
            self.valid_secrets(now)
                .map(|s| SigningSecret {
                    expires_at: Some(s.expires_at.map_or(until, |e| e.min(until))),
                    ..s.clone()
                })
                .collect()
        };
        previous.truncate(MAX_SECRETS - 1);
        self.secrets = std::iter::once(new).chain(previous).collect();
        self.secrets
            .iter()
            .skip(1)
            .filter_map(|s| s.expires_at)
            .max()
    }
}

/// The `disabled_reason` of a webhook whose endpoint answered 410 Gone.
pub const ENDPOINT_GONE: &str = "endpoint_gone";

/// Secrets kept valid at once (the current one and those in their grace period).
pub const MAX_SECRETS: usize = 5;

/// `pattern` is an exact type name, `*`, or `prefix.*` (which matches `prefix.anything`).
/// Operational types (`hookline.*`) are matched only by a pattern that names them: `*` does
/// not reach them.
pub fn type_matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" {
        return !super::operational::is_reserved(event_type);
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => {
            event_type.len() > prefix.len() + 1
                && event_type.starts_with(prefix)
                && event_type.as_bytes()[prefix.len()] == b'.'
        }
        None => pattern == event_type,
    }
}

/// An entry of the operator-managed event type catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventType {
    pub name: String,
    pub description: Option<String>,
    pub example: Option<serde_json::Value>,
    /// A JSON Schema (draft 2020-12) every published `data` of this type must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
