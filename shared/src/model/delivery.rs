//! Events and their deliveries: statuses, attempts, and the inline window of attempts a
//! delivery record keeps.

use serde::{Deserialize, Serialize};

use super::{LogLevel, Timestamp};
use crate::ids::{DeliveryId, EventId, RetryId, TenantId, WebhookId};

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
    /// The tenant's log level when it was published (stored only when not `full`).
    #[serde(default, skip_serializing_if = "LogLevel::is_full")]
    pub log_level: LogLevel,
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
    /// No OAuth2 token could be had from the receiver's token endpoint.
    AuthToken,
}

/// The rule of the Standard Webhooks spec an attempt's answer fell under: what Hookline did
/// next because of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptRule {
    /// 2xx: delivered.
    Delivered,
    /// 410 Gone: the endpoint asked not to be called again; the webhook is disabled at once
    /// (`disabled_reason: "endpoint_gone"`) and its deliveries wait until it is enabled again.
    Gone,
    /// 429, 502, 503 or 504: the receiver asked to slow down; retried on the schedule, later
    /// when it said when (`Retry-After`).
    SlowDown,
    /// 3xx: a failure; redirects are never followed.
    Redirect,
    /// Any other answer, a timeout, or no answer at all: retried on the schedule.
    Retry,
}

impl AttemptRule {
    /// The rule for an answer with `status` (none: no answer).
    pub fn of(status: Option<u16>) -> Self {
        match status {
            Some(200..=299) => AttemptRule::Delivered,
            Some(410) => AttemptRule::Gone,
            Some(429 | 502 | 503 | 504) => AttemptRule::SlowDown,
            Some(300..=399) => AttemptRule::Redirect,
            _ => AttemptRule::Retry,
        }
    }
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
    /// The rule its answer fell under (left out by attempts recorded before rules were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<AttemptRule>,
    /// The headers Hookline set on a request that did not succeed, the receiver's credential
    /// and the custom headers' values masked (a success keeps none: they are for debugging a
    /// failure, and a first-try success then costs no more to record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_headers: Option<std::collections::BTreeMap<String, String>>,
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
    /// The slot of its webhook's rate limit reserved for its next attempt: it goes then
    /// without asking again (see `delivery::pace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paced_at: Option<Timestamp>,
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
            paced_at: None,
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
