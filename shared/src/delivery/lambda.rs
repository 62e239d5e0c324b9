//! The SQS-triggered Lambda driver, with partial batch responses: a message to retry later gets
//! `ChangeMessageVisibility` with its delay and is reported as a batch item failure; every other
//! message is left for Lambda to delete.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;

use super::{Deliverer, Outcome};
use crate::queue::{DeliveryTask, Receipt};

/// The most messages one invocation gets (the template's `BatchSize`): a batch's statistics are
/// one write per webhook, so the larger the batch, the fewer the writes.
pub const BATCH_SIZE: usize = 100;

/// Time kept free at the end of an invocation, beyond one delivery timeout.
const DEADLINE_MARGIN: Duration = Duration::from_secs(2);

/// Handles one SQS batch; messages are delivered concurrently up to the configured bound.
pub async fn handle_batch(deliverer: &Deliverer, event: SqsEvent) -> SqsBatchResponse {
    handle_batch_until(deliverer, event, None).await
}

/// [`handle_batch`] within an invocation that ends at `deadline`: a message whose attempt could
/// not finish in time is not started but handed back at once (visible again, for the next
/// invocation), so that a batch of slow endpoints never times the function out with attempts
/// made and not recorded.
pub async fn handle_batch_until(
    deliverer: &Deliverer,
    event: SqsEvent,
    deadline: Option<Instant>,
) -> SqsBatchResponse {
    let bound = deliverer.app().config.delivery_concurrency;
    let records = distinct(event.records);
    let failures: Vec<BatchItemFailure> = futures::stream::iter(records)
        .map(|m| handle_message(deliverer, m, deadline))
        .buffer_unordered(bound)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    deliverer.flush_batch().await;
    // One EMF document per invocation.
    deliverer.app().metrics.print_emf("deliver");
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failures;
    resp
}

/// The batch without repeated messages. SQS may hold one task twice (a `SendMessageBatch`
/// whose answer was lost is sent again by the SDK's retry); two copies in one batch would be
/// sent concurrently, before either is recorded, so only the first is handled and the others
/// are left for Lambda to delete. Copies in different batches are caught by the delivery's
/// record (the later copy finds it settled).
fn distinct(records: Vec<SqsMessage>) -> Vec<SqsMessage> {
    // Compared by reference: no body is copied on this path.
    let first: Vec<bool> = {
        let mut seen = std::collections::HashSet::new();
        records
            .iter()
            .map(|m| m.body.as_deref().is_none_or(|b| seen.insert(b)))
            .collect()
    };
    let before = records.len();
    let kept: Vec<SqsMessage> = records
        .into_iter()
        .zip(first)
        .filter_map(|(m, first)| first.then_some(m))
        .collect();
    if kept.len() < before {
        tracing::info!(
            duplicates = before - kept.len(),
            "the batch held the same message more than once: handled once"
        );
    }
    kept
}

/// Returns the batch item failure for `m`, if it must come back.
async fn handle_message(
    deliverer: &Deliverer,
    m: SqsMessage,
    deadline: Option<Instant>,
) -> Option<BatchItemFailure> {
    // An empty item identifier would fail the whole batch: such a message is left alone.
    let id = m.message_id.clone().filter(|id| !id.is_empty())?;
    let failure = || {
        let mut f = BatchItemFailure::default();
        f.item_identifier = id.clone();
        Some(f)
    };
    let needed = deliverer.app().config.delivery_timeout + DEADLINE_MARGIN;
    if deadline.is_some_and(|d| Instant::now() + needed > d) {
        if let Some(receipt) = m.receipt_handle.clone().map(Receipt)
            && let Err(e) = deliverer
                .app()
                .queue
                .change_visibility(&receipt, Duration::ZERO)
                .await
        {
            tracing::warn!(message_id = %id, error = %e, "could not hand a message back");
        }
        return failure();
    }
    let task = match m.body.as_deref().map(DeliveryTask::decode) {
        Some(Ok(t)) => t,
        other => {
            // A malformed message can never succeed: let the redrive policy move it to the DLQ.
            tracing::error!(message_id = %id, error = ?other.map(|r| r.err()), "malformed delivery message");
            return failure();
        }
    };
    let receives = m
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse::<u32>().ok());
    match deliverer.process_received(&task, receives).await {
        Ok(Outcome::Done) => None,
        Ok(Outcome::RetryIn(delay)) => {
            // SQS counts receives, not attempts: one near the queue's `maxReceiveCount` would
            // move to the dead-letter queue although the schedule still wants it. A fresh copy
            // (its count starts again) takes its place, and this one is deleted.
            let receives = receives.unwrap_or(1);
            let cap = deliverer.app().config.max_receive_count;
            if receives >= cap.saturating_sub(cap / 5).max(1) {
                let mut copy = task.clone();
                copy.target_mut().resent = true;
                match deliverer
                    .app()
                    .queue
                    .send_delayed(std::slice::from_ref(&copy), delay)
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
