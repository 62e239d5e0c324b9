//! The delivery queue: a small trait with an SQS adapter ([`sqs`]) and an embedded SQLite
//! adapter (`store::sqlite::queue`, in the store's database) that share SQS's semantics (at-least-once, visibility timeout, receive
//! count).
//!
//! Messages are a tagged, versioned enum ([`DeliveryTask`]): `{"v": 1, "kind": "scheduled" |
//! "manual" | "test", ...}`. A deploy can change the format while messages are in flight: this
//! build still reads the untagged messages of earlier builds, and refuses (leaves on the queue
//! for a newer build, or the DLQ) a version it does not know.

#[cfg(feature = "sqlite")]
pub mod schedule;
#[cfg(feature = "aws")]
pub mod sqs;

/// The longest delay SQS accepts for `ChangeMessageVisibility` (12 hours).
pub const MAX_VISIBILITY: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::fault::BackendError;
use crate::ids::{DeliveryId, EventId, RetryId, TenantId, WebhookId};

/// Payloads up to this size travel inside the queue message, so the delivery function does not
/// read the event; larger ones are loaded from the store.
pub const INLINE_PAYLOAD_LIMIT: usize = 200 * 1024;

/// The message format this build writes.
pub const MESSAGE_VERSION: u32 = 1;

pub type QueueResult<T> = std::result::Result<T, QueueError>;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The receipt handle no longer names a message this receiver holds (it was settled, or
    /// received again after its visibility ran out).
    #[error("the receipt handle is no longer valid")]
    StaleReceipt,
    #[error("malformed queue message: {0}")]
    Malformed(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl QueueError {
    pub fn backend(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        QueueError::Backend(BackendError::new(backend, source))
    }
}

/// Which delivery a message is about, and what it needs so that the hot path reads little.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRef {
    pub tenant_id: TenantId,
    pub delivery_id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    /// The event's type: with the time in the delivery id, what the delivery's record needs
    /// when the message is processed before any record exists (absent in earlier builds'
    /// messages, whose deliveries were recorded at publish).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The exact body to POST, when small enough to travel in the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A copy sent in place of a message near the queue's receive limit: its delivery has a
    /// record, although the copy's first receive says otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resent: bool,
    /// When the delivery expires (the tenant's retention; absent in earlier builds' messages:
    /// the deployment's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<crate::model::Timestamp>,
    /// The tenant's log level is `failures`: a first-try success is kept as a mark, not a
    /// record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lean: bool,
    /// Its webhook's deliveries go one at a time in publish order (`ordering: fifo`): the
    /// message travels in its webhook's ordered group (an SQS FIFO queue; the embedded
    /// queue's ordered groups). Scheduled deliveries only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ordered: bool,
}

/// One queue message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeliveryTask {
    /// An attempt of the automatic schedule (first try or retry).
    Scheduled(DeliveryRef),
    /// One attempt asked for through the API (retry, recover); it does not reopen the schedule.
    Manual {
        #[serde(flatten)]
        target: DeliveryRef,
        retry_id: RetryId,
    },
    /// A test event sent from the API (`POST /v1/webhooks/{id}/test`), retried like any other.
    Test(DeliveryRef),
}

/// The message of earlier builds: no version, no kind.
#[derive(Deserialize)]
struct LegacyTask {
    #[serde(flatten)]
    target: DeliveryRef,
    #[serde(default)]
    retry_id: Option<RetryId>,
}

#[derive(Serialize)]
struct Wire<'a> {
    v: u32,
    #[serde(flatten)]
    task: &'a DeliveryTask,
}

impl DeliveryTask {
    /// The fairness group of the message: its webhook (SQS `MessageGroupId`).
    pub fn group(&self) -> &WebhookId {
        &self.target().webhook_id
    }

    /// Whether the message waits its turn in its webhook's ordered group.
    pub fn ordered(&self) -> bool {
        matches!(self, DeliveryTask::Scheduled(t) if t.ordered)
    }

    pub fn target(&self) -> &DeliveryRef {
        match self {
            DeliveryTask::Scheduled(t) | DeliveryTask::Test(t) => t,
            DeliveryTask::Manual { target, .. } => target,
        }
    }

    pub fn target_mut(&mut self) -> &mut DeliveryRef {
        match self {
            DeliveryTask::Scheduled(t) | DeliveryTask::Test(t) => t,
            DeliveryTask::Manual { target, .. } => target,
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self, DeliveryTask::Manual { .. })
    }

    pub fn retry_id(&self) -> Option<&RetryId> {
        match self {
            DeliveryTask::Manual { retry_id, .. } => Some(retry_id),
            _ => None,
        }
    }

    /// The message body as this build writes it.
    pub fn encode(&self) -> String {
        serde_json::to_string(&Wire {
            v: MESSAGE_VERSION,
            task: self,
        })
        .expect("a task always serializes")
    }

    /// Reads a message of this build or of an earlier one.
    pub fn decode(body: &str) -> QueueResult<Self> {
        let bad = |e: serde_json::Error| QueueError::Malformed(e.to_string());
        let value: serde_json::Value = serde_json::from_str(body).map_err(bad)?;
        match value.get("v").map(|v| v.as_u64()) {
            None => {
                let legacy: LegacyTask = serde_json::from_value(value).map_err(bad)?;
                Ok(match legacy.retry_id {
                    Some(retry_id) => DeliveryTask::Manual {
                        target: legacy.target,
                        retry_id,
                    },
                    None => DeliveryTask::Scheduled(legacy.target),
                })
            }
            Some(Some(1)) => serde_json::from_value(value).map_err(bad),
            Some(v) => Err(QueueError::Malformed(format!(
                "message version {v:?} is not known to this build (it writes {MESSAGE_VERSION})"
            ))),
        }
    }
}

/// A received message's handle, to delete it or change its visibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt(pub String);

/// A received message: its task, the handle to settle it, and how often it was received.
#[derive(Debug, Clone)]
pub struct Received {
    pub receipt: Receipt,
    pub task: DeliveryTask,
    pub receive_count: u32,
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues tasks, visible at once (the adapter batches as its backend allows).
    async fn send(&self, tasks: &[DeliveryTask]) -> QueueResult<()>;
    /// Enqueues tasks visible after `delay` (SQS: at most 15 minutes; a task that arrives
    /// before it is due is put off again by the engine).
    async fn send_delayed(&self, tasks: &[DeliveryTask], delay: Duration) -> QueueResult<()>;
    /// Receives up to `max` visible messages and hides them for `visibility`.
    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>>;
    async fn delete(&self, receipts: &[Receipt]) -> QueueResult<()>;
    /// Hides a received message for `timeout` from now: the retry delay.
    async fn change_visibility(&self, receipt: &Receipt, timeout: Duration) -> QueueResult<()>;

    /// Whether ordered tasks (`DeliveryRef::ordered`) keep their order: the embedded queue's
    /// ordered groups, an SQS FIFO queue when one is configured. Without it, a webhook
    /// cannot be made `fifo`.
    fn keeps_order(&self) -> bool {
        false
    }

    /// Waits until a message may be ready to receive, at most `timeout` (a local consumer's
    /// idle wait; the default just sleeps).
    async fn wait(&self, timeout: Duration) {
        tokio::time::sleep(timeout).await;
    }

    /// Makes the messages a crashed predecessor had in flight visible again, for a consumer
    /// that knows it is the only one (the local server at start); returns how many. SQS has
    /// no such thing: its visibility timeouts run out by themselves.
    async fn release_in_flight(&self) -> QueueResult<u64> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> DeliveryRef {
        DeliveryRef {
            tenant_id: TenantId::parse("t").unwrap(),
            delivery_id: DeliveryId::parse("del_1").unwrap(),
            webhook_id: WebhookId::parse("wh_1").unwrap(),
            event_id: EventId::parse("evt_1").unwrap(),
            event_type: None,
            resent: false,
            body: Some("{}".into()),
            expires_at: None,
            lean: false,
            ordered: false,
        }
    }

    #[test]
    fn messages_round_trip_with_version_and_kind() {
        for task in [
            DeliveryTask::Scheduled(target()),
            DeliveryTask::Test(target()),
            DeliveryTask::Manual {
                target: target(),
                retry_id: RetryId::generate(),
            },
        ] {
            let body = task.encode();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["v"], 1, "{body}");
            assert!(v["kind"].is_string(), "{body}");
            assert_eq!(DeliveryTask::decode(&body).unwrap(), task);
        }
    }

    #[test]
    fn earlier_messages_are_read_and_unknown_versions_refused() {
        let old = r#"{"tenant_id":"t","delivery_id":"del_1","webhook_id":"wh_1","event_id":"evt_1","body":"{}","retry_id":null}"#;
        assert_eq!(
            DeliveryTask::decode(old).unwrap(),
            DeliveryTask::Scheduled(target())
        );
        let old_manual = old.replace("null", "\"rcv_1\"");
        assert!(DeliveryTask::decode(&old_manual).unwrap().is_manual());
        let newer = r#"{"v":2,"kind":"scheduled","tenant_id":"t"}"#;
        assert!(matches!(
            DeliveryTask::decode(newer),
            Err(QueueError::Malformed(m)) if m.contains("version")
        ));
        assert!(DeliveryTask::decode(r#"{"v":1,"kind":"scheduled","tenant_id":"t"}"#).is_err());
    }
}
