//! The SQS-triggered Lambda driver, with partial batch responses: a message to retry later gets
//! `ChangeMessageVisibility` with its delay and is reported as a batch item failure; every other
//! message is left for Lambda to delete.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;

use super::{Deliverer, Outcome};
use crate::queue::{DeliveryTask, Receipt};

/// Handles one SQS batch; messages are delivered concurrently up to the configured bound.
pub async fn handle_batch(deliverer: &Deliverer, event: SqsEvent) -> SqsBatchResponse {
    let bound = deliverer.app().config.delivery_concurrency;
    let failures: Vec<BatchItemFailure> = futures::stream::iter(event.records)
        .map(|m| handle_message(deliverer, m))
        .buffer_unordered(bound)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    deliverer.flush_stats().await;
    // One EMF document per invocation.
    deliverer.app().metrics.print_emf("deliver");
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failures;
    resp
}

/// Returns the batch item failure for `m`, if it must come back.
async fn handle_message(deliverer: &Deliverer, m: SqsMessage) -> Option<BatchItemFailure> {
    // An empty item identifier would fail the whole batch: such a message is left alone.
    let id = m.message_id.clone().filter(|id| !id.is_empty())?;
    let failure = || {
        let mut f = BatchItemFailure::default();
        f.item_identifier = id.clone();
        Some(f)
    };
    let task = match m.body.as_deref().map(DeliveryTask::decode) {
        Some(Ok(t)) => t,
        other => {
            // A malformed message can never succeed: let the redrive policy move it to the DLQ.
            tracing::error!(message_id = %id, error = ?other.map(|r| r.err()), "malformed delivery message");
            return failure();
        }
    };
    match deliverer.process(&task).await {
        Ok(Outcome::Done) => None,
        Ok(Outcome::RetryIn(delay)) => {
            // SQS counts receives, not attempts: one near the queue's `maxReceiveCount` would
            // move to the dead-letter queue although the schedule still wants it. A fresh copy
            // (its count starts again) takes its place, and this one is deleted.
            let receives = m
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse::<u32>().ok())
                .unwrap_or(1);
            let cap = deliverer.app().config.max_receive_count;
            if receives >= cap.saturating_sub(cap / 5).max(1) {
                match deliverer
                    .app()
                    .queue
                    .send_delayed(std::slice::from_ref(&task), delay)
                    .await
                {
                    Ok(()) => return None,
                    Err(e) => {
                        tracing::warn!(message_id = %id, error = %e, "could not replace a message near the receive limit")
                    }
                }
            }
            if let Some(receipt) = m.receipt_handle.clone().map(Receipt)
                && let Err(e) = deliverer
                    .app()
                    .queue
                    .change_visibility(&receipt, delay)
                    .await
            {
                tracing::warn!(message_id = %id, error = %e, "could not delay the retry; it comes back after the queue's visibility timeout");
            }
            failure()
        }
        Err(e) => {
            tracing::error!(message_id = %id, delivery = %task.target().delivery_id, error = %crate::error::chain(&e), "delivery failed to process");
            failure()
        }
    }
}
