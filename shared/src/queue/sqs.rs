//! SQS adapter: batched sends and deletes (10 per call), receive, and `ChangeMessageVisibility`
//! for retry delays. Ordered tasks (`fifo` webhooks) go to a FIFO queue, one message group per
//! webhook, deduplicated by delivery id; their receipt handles are marked so that settling
//! them goes to that queue.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use serde::{Deserialize, Serialize};

use crate::aws_json::JsonApi;

use super::MAX_VISIBILITY;
use super::{DeliveryTask, Queue, QueueError, QueueResult, Receipt, Received};

/// SQS accepts at most 10 entries per batch call.
pub const SQS_BATCH: usize = 10;
/// How often a batch's failed entries are sent before the send fails.
const SEND_ROUNDS: usize = 3;
/// The longest delay SQS accepts on a message (`DelaySeconds`).
pub const MAX_DELAY: Duration = Duration::from_secs(900);

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    /// Sends, the publish path's call, go out directly ([`crate::aws_json`]), not through
    /// the SDK's orchestration.
    sends: Arc<JsonApi>,
    url: String,
    /// The FIFO queue of ordered tasks, when the deployment has one.
    fifo_url: Option<String>,
}

/// What a FIFO queue's receipt handle carries in front, here and in the Lambda driver.
pub const FIFO_RECEIPT: &str = "fifo|";

fn be<E: std::error::Error + Send + Sync + 'static>(e: E) -> QueueError {
    QueueError::Backend(crate::fault::BackendError::from_aws("sqs", e))
}

/// `SendMessageBatch`'s input and answer, as the JSON protocol names them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendBatch<'a> {
    queue_url: &'a str,
    entries: &'a [Entry],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    id: String,
    message_body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_seconds: Option<u64>,
    message_group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_deduplication_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sent {
    #[serde(default)]
    failed: Vec<Unsent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Unsent {
    id: String,
}

impl SqsQueue {
    /// The queue at `url`: `client` for most calls, `sends` for `SendMessageBatch`.
    pub fn new(client: Client, sends: JsonApi, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            sends: Arc::new(sends),
            url: url.into(),
            fifo_url: None,
        }
    }

    /// Sends ordered tasks to `fifo_url` (none: the deployment has no FIFO queue).
    pub fn with_fifo(mut self, fifo_url: Option<&str>) -> Self {
        self.fifo_url = fifo_url.map(String::from);
        self
    }

    /// The queue a receipt settles on, and the handle SQS knows.
    fn queue_of<'r>(&self, receipt: &'r Receipt) -> (&str, &'r str) {
        match (receipt.0.strip_prefix(FIFO_RECEIPT), &self.fifo_url) {
            (Some(handle), Some(fifo)) => (fifo, handle),
            _ => (&self.url, &receipt.0),
        }
    }

    /// Sends tasks in order: ordered ones to the FIFO queue (when there is one), the others
    /// to the delivery queue.
    async fn send_split(&self, tasks: &[DeliveryTask], delay: Option<Duration>) -> QueueResult<()> {
        let (ordered, other): (Vec<&DeliveryTask>, Vec<&DeliveryTask>) = match self.fifo_url {
            Some(_) => tasks.iter().partition(|t| t.ordered()),
            None => (Vec::new(), tasks.iter().collect()),
        };
        if !other.is_empty() {
            self.send_batches(&self.url, false, &other, delay).await?;
        }
        if let (Some(fifo), false) = (&self.fifo_url, ordered.is_empty()) {
            // A FIFO queue takes no per-message delay: an early message is put off by the
            // engine, as any early one is.
            self.send_batches(fifo, true, &ordered, None).await?;
        }
        Ok(())
    }

    /// Sends in batches of ten to `url` (`fifo`: with deduplication ids), optionally delayed.
    async fn send_batches(
        &self,
        url: &str,
        fifo: bool,
        tasks: &[&DeliveryTask],
        delay: Option<Duration>,
    ) -> QueueResult<()> {
        for chunk in tasks.chunks(SQS_BATCH) {
            let mut entries: Vec<Entry> = chunk
                .iter()
                .enumerate()
                .map(|(i, t)| Entry {
                    id: i.to_string(),
                    message_body: t.encode(),
                    delay_seconds: delay.map(|d| d.as_secs()),
                    // Fair queues: a slow or backlogged webhook is its own group, so SQS
                    // serves the other webhooks first. FIFO: the group keeps the webhook's
                    // order; the delivery id makes a send repeated after a lost answer one
                    // message.
                    message_group_id: t.group().as_str().to_string(),
                    message_deduplication_id: fifo.then(|| t.target().delivery_id.to_string()),
                })
                .collect();
            // Entries SQS reports as failed are sent again, after a short pause, before
            // giving up (the caller then hears of it: a publish is answered 503).
            for round in 0..SEND_ROUNDS {
                if round > 0 {
                    tokio::time::sleep(Duration::from_millis(20 << round)).await;
                }
                let batch = SendBatch {
                    queue_url: url,
                    entries: &entries,
                };
                let sent: Sent = self
                    .sends
                    .call("SendMessageBatch", &batch)
                    .await
                    .map_err(QueueError::Backend)?;
                if sent.failed.is_empty() {
                    break;
                }
                if round == SEND_ROUNDS - 1 {
                    return Err(QueueError::Backend(
                        crate::fault::BackendError::unavailable(
                            "sqs",
                            format!("{} messages could not be sent", sent.failed.len()),
                        ),
                    ));
                }
                entries.retain(|e| sent.failed.iter().any(|f| f.id == e.id));
            }
        }
        Ok(())
    }

    /// Receives from one queue; `mark` goes in front of each receipt handle.
    async fn receive_from(
        &self,
        url: &str,
        mark: &str,
        max: usize,
        visibility: Duration,
    ) -> QueueResult<Vec<Received>> {
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, SQS_BATCH) as i32)
            .visibility_timeout(visibility.min(MAX_VISIBILITY).as_secs() as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(be)?;
        let mut received = Vec::new();
        for m in out.messages.unwrap_or_default() {
            let (Some(receipt), Some(body)) = (m.receipt_handle.clone(), m.body.as_deref()) else {
                continue;
            };
            let task = DeliveryTask::decode(body)?;
            let receive_count = m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            received.push(Received {
                receipt: Receipt(format!("{mark}{receipt}")),
                task,
                receive_count,
            });
        }
        Ok(received)
    }

    async fn delete_from(&self, url: &str, handles: &[&str]) -> QueueResult<()> {
        for chunk in handles.chunks(SQS_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(*h)
                        .build()
                        .map_err(be)
                })
                .collect::<QueueResult<Vec<_>>>()?;
            let out = self
                .client
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(be)?;
            if !out.failed().is_empty() {
                return Err(QueueError::backend(
                    "sqs",
                    format!("{} messages could not be deleted", out.failed().len()),
                ));
            }
        }
        Ok(())
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, tasks: &[DeliveryTask]) -> QueueResult<()> {
        self.send_split(tasks, None).await
    }

    async fn send_delayed(&self, tasks: &[DeliveryTask], delay: Duration) -> QueueResult<()> {
        self.send_split(tasks, Some(delay.min(MAX_DELAY))).await
    }

    fn keeps_order(&self) -> bool {
        self.fifo_url.is_some()
    }

    /// The delivery queue first, then the FIFO queue for what is left of `max`.
    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        let mut received = self.receive_from(&self.url, "", max, visibility).await?;
        if let Some(fifo) = &self.fifo_url
            && received.len() < max
        {
            let more = self
                .receive_from(fifo, FIFO_RECEIPT, max - received.len(), visibility)
                .await?;
            received.extend(more);
        }
        Ok(received)
    }

    async fn delete(&self, receipts: &[Receipt]) -> QueueResult<()> {
        let mut by_queue: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in receipts {
            let (url, handle) = self.queue_of(r);
            match by_queue.iter_mut().find(|(u, _)| *u == url) {
                Some((_, handles)) => handles.push(handle),
                None => by_queue.push((url, vec![handle])),
            }
        }
        for (url, handles) in by_queue {
            self.delete_from(url, &handles).await?;
        }
        Ok(())
    }

    async fn change_visibility(&self, receipt: &Receipt, timeout: Duration) -> QueueResult<()> {
        let (url, handle) = self.queue_of(receipt);
        self.client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(handle)
            // SQS counts whole seconds: rounded up, so that a message held until a moment
            // (a rate limit's next second) does not come back before it.
            .visibility_timeout(timeout.min(MAX_VISIBILITY).as_secs_f64().ceil() as i32)
            .send()
            .await
            .map_err(be)?;
        Ok(())
    }
}
