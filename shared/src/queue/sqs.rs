//! SQS adapter: batched sends and deletes (10 per call), receive, and `ChangeMessageVisibility`
//! for retry delays.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, SendMessageBatchRequestEntry,
};

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
    url: String,
}

fn be<E: std::error::Error + Send + Sync + 'static>(e: E) -> QueueError {
    QueueError::Backend(crate::fault::BackendError::from_aws("sqs", e))
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            url: url.into(),
        }
    }

    /// Sends in batches of ten, optionally delayed.
    async fn send_batches(
        &self,
        tasks: &[DeliveryTask],
        delay: Option<Duration>,
    ) -> QueueResult<()> {
        for chunk in tasks.chunks(SQS_BATCH) {
            let mut entries = chunk
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    // Fair queues: a slow or backlogged webhook is its own group, so SQS
                    // serves the other webhooks first.
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_group_id(t.group().as_str())
                        .message_body(t.encode())
                        .set_delay_seconds(delay.map(|d| d.as_secs() as i32))
                        .build()
                        .map_err(be)
                })
                .collect::<QueueResult<Vec<_>>>()?;
            // Entries SQS reports as failed are sent again, after a short pause, before
            // giving up (the caller then hears of it: a publish is answered 503).
            for round in 0..SEND_ROUNDS {
                if round > 0 {
                    tokio::time::sleep(Duration::from_millis(20 << round)).await;
                }
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(entries.clone()))
                    .send()
                    .await
                    .map_err(be)?;
                let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
                if failed.is_empty() {
                    break;
                }
                if round == SEND_ROUNDS - 1 {
                    return Err(QueueError::Backend(
                        crate::fault::BackendError::unavailable(
                            "sqs",
                            format!("{} messages could not be sent", failed.len()),
                        ),
                    ));
                }
                entries.retain(|e| failed.contains(&e.id()));
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
        self.send_batches(tasks, None).await
    }

    async fn send_delayed(&self, tasks: &[DeliveryTask], delay: Duration) -> QueueResult<()> {
        self.send_batches(tasks, Some(delay.min(MAX_DELAY))).await
    }

    async fn receive(&self, max: usize, visibility: Duration) -> QueueResult<Vec<Received>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
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
                receipt: Receipt(receipt),
                task,
                receive_count,
            });
        }
        Ok(received)
    }

    async fn delete(&self, receipts: &[Receipt]) -> QueueResult<()> {
        for chunk in receipts.chunks(SQS_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(&r.0)
                        .build()
                        .map_err(be)
                })
                .collect::<QueueResult<Vec<_>>>()?;
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
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

    async fn change_visibility(&self, receipt: &Receipt, timeout: Duration) -> QueueResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(&receipt.0)
            // SQS counts whole seconds: rounded up, so that a message held until a moment
            // (a rate limit's next second) does not come back before it.
            .visibility_timeout(timeout.min(MAX_VISIBILITY).as_secs_f64().ceil() as i32)
            .send()
            .await
            .map_err(be)?;
        Ok(())
    }
}
