//! Domain types, as stored. The HTTP shapes (`XxxIn`/`XxxOut`) live in [`crate::api`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ApiKeyId, DeliveryId, EventId, PartnerId, RetryId, TenantId, WebhookId};

pub use crate::clock::Timestamp;
pub use crate::ids::Mode;

/// Does a holder of `held` have `scope`? `admin` implies every scope, `webhooks:write` implies
/// `webhooks:read` and `deliveries:retry`.
pub fn allows(held: &[Scope], scope: Scope) -> bool {
    held.iter().any(|s| {
        *s == scope
            || *s == Scope::Admin
            || (*s == Scope::WebhooksWrite
                && matches!(scope, Scope::WebhooksRead | Scope::DeliveriesRetry))
    })
}

/// API key scopes (what implies what: [`allows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Scope {
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    #[serde(rename = "events:publish")]
    EventsPublish,
    /// Asking for a delivery again (`webhooks:write` implies it): what a customer portal
    /// session may change.
    #[serde(rename = "deliveries:retry")]
    DeliveriesRetry,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
        Scope::EventsPublish,
        Scope::DeliveriesRetry,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::WebhooksRead => "webhooks:read",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::EventsPublish => "events:publish",
            Scope::DeliveriesRetry => "deliveries:retry",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

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
    /// Bumped by every write, so that concurrent writers (Lambda instances) compare and swap.
    #[serde(default)]
    pub rev: u64,
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
        self.enabled
            && (self.events.is_empty() || self.events.iter().any(|p| type_matches(p, event_type)))
            && (self.account_ids.is_empty()
                || account_id.is_some_and(|a| self.account_ids.iter().any(|x| x == a)))
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

/// Secrets kept valid at once (the current one and those in their grace period).
pub const MAX_SECRETS: usize = 5;

/// `pattern` is an exact type name, `*`, or `prefix.*` (which matches `prefix.anything`).
pub fn type_matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" {
        return true;
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

/// A published event and the answer its publisher got (replayed on an idempotent repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub tenant_id: TenantId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub account_id: Option<String>,
    pub data: serde_json::Value,
    pub created_at: Timestamp,
    pub deliveries: u32,
    /// The webhooks it was delivered to: its deliveries' ids derive from them
    /// ([`DeliveryId::of`]), so they are found without an index (empty in earlier builds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_ids: Vec<WebhookId>,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl DeliveryStatus {
    pub fn is_final(self) -> bool {
        self != DeliveryStatus::Pending
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Succeeded,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Why an attempt did not get a 2xx answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptError {
    /// The endpoint answered with a non-2xx status.
    HttpStatus,
    Timeout,
    Connection,
    Dns,
    /// The target resolved to an address Hookline refuses (loopback, private, metadata ...).
    BlockedAddress,
    InvalidUrl,
    Request,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub at: chrono::DateTime<chrono::Utc>,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    /// The start of the response body (512 bytes), lossily decoded.
    pub response_excerpt: Option<String>,
    pub error_kind: Option<AttemptError>,
    pub error: Option<String>,
    /// A manual retry, outside the automatic schedule (left out when not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
    /// The retry request a manual attempt answers (so a duplicate message is not sent twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_id: Option<RetryId>,
    /// The verification key that signed it (asymmetric signature schemes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// An item is live until its retention passes; expired items are never returned, even while
/// the store has not deleted them yet (DynamoDB TTL is lazy).
pub fn is_live(expires_at: Timestamp, now: Timestamp) -> bool {
    expires_at > now
}

/// One event for one webhook, with every attempt made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub tenant_id: TenantId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    // Absent fields are left out of the stored record: a first-try delivery, attempt included,
    // then fits DynamoDB's 1 KB write unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    /// The latest attempts, at most [`INLINE_ATTEMPTS`]; earlier ones are stored apart (see
    /// [`Delivery::record`]), so that a delivery record never grows past a few kilobytes however
    /// long its retry schedule.
    pub attempts: Vec<Attempt>,
    /// How many attempts were made, inline or stored apart (0 in records of earlier builds:
    /// see [`Delivery::attempt_count`]).
    #[serde(default)]
    pub attempt_count: u32,
    /// How many of them were automatic (not manual retries).
    #[serde(default)]
    pub automatic_count: u32,
    /// The first automatic attempt: the anchor of the retry schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt: Option<Timestamp>,
    /// Why a delivery was cancelled (webhook deleted or disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    pub expires_at: Timestamp,
    /// Why the next attempt waits without a request (the endpoint's circuit breaker is open);
    /// cleared by the next attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_reason: Option<String>,
}

/// Attempts kept inside a delivery record; earlier ones are stored as their own items.
pub const INLINE_ATTEMPTS: usize = 5;

/// An attempt that left a delivery's inline window, with its number (1 is the first attempt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivedAttempt {
    pub number: usize,
    pub attempt: Attempt,
}

impl Delivery {
    /// A delivery of an event to a webhook before anything happened to it: what the log shows
    /// until its first attempt is recorded.
    pub fn pending(
        tenant: &TenantId,
        event: &EventId,
        event_type: &str,
        webhook: &WebhookId,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Self {
        Delivery {
            id: DeliveryId::of(tenant, event, webhook, created_at),
            tenant_id: tenant.clone(),
            webhook_id: webhook.clone(),
            event_id: event.clone(),
            event_type: event_type.to_string(),
            status: DeliveryStatus::Pending,
            created_at,
            updated_at: created_at,
            next_attempt_at: Some(created_at),
            attempts: Vec::new(),
            attempt_count: 0,
            automatic_count: 0,
            first_attempt: None,
            cancel_reason: None,
            deferred_reason: None,
            expires_at,
        }
    }

    /// The deliveries of `event`, one per webhook it was published to: those recorded, in
    /// `recorded`, and pending ones for the others (not processed yet: on DynamoDB a delivery
    /// is first written after its first attempt).
    pub fn of_event(event: &Event, mut recorded: Vec<Delivery>) -> Vec<Delivery> {
        for w in &event.webhook_ids {
            if !recorded.iter().any(|d| &d.webhook_id == w) {
                recorded.push(Delivery::pending(
                    &event.tenant_id,
                    &event.id,
                    &event.event_type,
                    w,
                    event.created_at,
                    event.expires_at,
                ));
            }
        }
        recorded.sort_by(|a, b| a.webhook_id.cmp(&b.webhook_id));
        recorded
    }

    /// The time of the first automatic attempt: the anchor of the retry schedule.
    pub fn first_attempt_at(&self) -> Option<Timestamp> {
        self.first_attempt
            .or_else(|| self.attempts.iter().find(|a| !a.manual).map(|a| a.at))
    }

    /// Every attempt made so far (records of earlier builds kept them all inline).
    pub fn attempt_count(&self) -> usize {
        (self.attempt_count as usize).max(self.attempts.len())
    }

    pub fn automatic_attempts(&self) -> usize {
        (self.automatic_count as usize).max(self.attempts.iter().filter(|a| !a.manual).count())
    }

    /// Adds an attempt. When the inline window overflows, the oldest inline attempt leaves it:
    /// returned, to be stored apart in the same write.
    pub fn record(&mut self, a: Attempt) -> Option<ArchivedAttempt> {
        let (count, automatic) = (self.attempt_count(), self.automatic_attempts());
        if !a.manual {
            self.first_attempt = self.first_attempt_at().or(Some(a.at));
        }
        self.automatic_count = (automatic + usize::from(!a.manual)) as u32;
        self.attempt_count = (count + 1) as u32;
        self.attempts.push(a);
        if self.attempts.len() <= INLINE_ATTEMPTS {
            return None;
        }
        let number = self.attempt_count() - self.attempts.len() + 1;
        Some(ArchivedAttempt {
            number,
            attempt: self.attempts.remove(0),
        })
    }
}

/// A page of a listing, with where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_beyond_the_inline_window_are_handed_out_numbered() {
        let at = chrono::Utc::now();
        let attempt = |manual: bool| Attempt {
            at,
            status_code: Some(500),
            duration_ms: 1,
            response_excerpt: None,
            error_kind: None,
            error: None,
            manual,
            retry_id: None,
            key_id: None,
        };
        let mut d: Delivery = serde_json::from_value(serde_json::json!({
            "id": "del_1", "tenant_id": "t", "webhook_id": "wh_1", "event_id": "e",
            "event_type": "a.b", "status": "pending", "created_at": at, "updated_at": at,
            "next_attempt_at": null, "attempts": [], "cancel_reason": null, "expires_at": at
        }))
        .unwrap();
        let mut archived = Vec::new();
        for i in 0..12 {
            archived.extend(d.record(attempt(i == 3)));
        }
        assert_eq!(d.attempts.len(), INLINE_ATTEMPTS);
        assert_eq!((d.attempt_count(), d.automatic_attempts()), (12, 11));
        assert_eq!(d.first_attempt_at(), Some(at));
        let numbers: Vec<usize> = archived.iter().map(|a| a.number).collect();
        assert_eq!(numbers, (1..=12 - INLINE_ATTEMPTS).collect::<Vec<_>>());
        assert!(archived[3].attempt.manual, "attempt 4 was the manual one");
    }

    #[test]
    fn wildcards_match_on_dot_boundaries() {
        assert!(type_matches("invoice.*", "invoice.created"));
        assert!(type_matches("invoice.*", "invoice.line.added"));
        assert!(!type_matches("invoice.*", "invoice"));
        assert!(!type_matches("invoice.*", "invoices.created"));
        assert!(type_matches("*", "anything"));
        assert!(type_matches("a.b", "a.b"));
        assert!(!type_matches("a.b", "a.bc"));
    }

    #[test]
    fn rotation_keeps_previous_secrets_for_the_grace_period_only() {
        let t0 = chrono::Utc::now();
        let secret = |k: &str| SigningSecret {
            key: k.into(),
            created_at: t0,
            expires_at: None,
        };
        let mut w = Webhook {
            id: WebhookId::generate(),
            tenant_id: TenantId::parse("t").unwrap(),
            url: "https://a.example.com/".into(),
            description: None,
            events: vec![],
            enabled: true,
            account_ids: vec![],
            metadata: BTreeMap::new(),
            secrets: vec![secret("s0")],
            signature_scheme: SignatureScheme::default(),
            created_at: t0,
            updated_at: t0,
            last_triggered_at: None,
            version: 1,
            health: Health::default(),
            disabled_reason: None,
            disabled_at: None,
        };
        let hour = chrono::TimeDelta::hours(1);
        assert_eq!(w.rotate_secret(secret("s1"), t0, hour), Some(t0 + hour));
        let keys = |w: &Webhook, at| {
            w.valid_secrets(at)
                .map(|s| s.key.expose().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&w, t0), ["s1", "s0"]);
        assert_eq!(keys(&w, t0 + hour), ["s1"], "s0 ends with its grace period");
        // A second rotation never extends s0 past the end it already had.
        let later = t0 + chrono::TimeDelta::minutes(30);
        w.rotate_secret(secret("s2"), later, chrono::TimeDelta::days(1));
        assert_eq!(w.secrets[2].expires_at, Some(t0 + hour));
        for i in 0..10 {
            w.rotate_secret(secret(&format!("x{i}")), later, hour);
        }
        assert_eq!(w.secrets.len(), MAX_SECRETS);
        assert_eq!(
            w.rotate_secret(secret("now"), later, chrono::TimeDelta::zero()),
            None
        );
        assert_eq!(keys(&w, later), ["now"]);
    }
}
