//! The delivery queue: a small trait with an SQS adapter and an embedded SQLite adapter that
//! share SQS's semantics (at-least-once, visibility timeout, receive count).

pub mod sqs;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Payloads up to this size travel inside the queue message, so the delivery function does not
/// read the event; larger ones are loaded from the store.
pub const INLINE_PAYLOAD_LIMIT: usize = 200 * 1024;

/// One queue message: what a delivery needs, so that the hot path reads little.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryTask {
    pub tenant_id: String,
    pub delivery_id: String,
    pub webhook_id: String,
    pub event_id: String,
    /// The exact body to POST, when small enough to travel in the message.
    pub body: Option<String>,
    /// Set for a manual retry asked for through the API (retry, recover): the request's id.
    #[serde(default)]
    pub retry_id: Option<String>,
}

impl DeliveryTask {
    pub fn is_manual(&self) -> bool {
        self.retry_id.is_some()
    }
}

/// A received message: its task, the handle to delete or delay it, and how often it was received.
#[derive(Debug, Clone)]
pub struct Received {
    pub receipt: String,
    pub task: DeliveryTask,
    pub receive_count: u32,
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues tasks, visible at once (the adapter batches as its backend allows).
    async fn send(&self, tasks: &[DeliveryTask]) -> Result<()>;
    /// Receives up to `max` visible messages and hides them for `visibility`.
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Received>>;
    async fn delete(&self, receipts: &[String]) -> Result<()>;
    /// Hides a received message for `timeout` from now: the retry delay.
    async fn change_visibility(&self, receipt: &str, timeout: Duration) -> Result<()>;
}
