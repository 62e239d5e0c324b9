//! The SQS-triggered Lambda driver, with partial batch responses: a message to retry later gets
//! `ChangeMessageVisibility` with its delay and is reported as a batch item failure; every other
//! message is left for Lambda to delete. Messages of the FIFO queue (`fifo` webhooks) are
//! handled one group at a time, in order: once one of a group must come back, the rest of its
//! group in the batch is handed back unattempted, so that they return in order behind it.

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
    let failures: Vec<BatchItemFailure> = futures::stream::iter(in_turns(records))
        .map(|turn| handle_turn(deliverer, turn, deadline))
        .buffer_unordered(bound)
        .flat_map(futures::stream::iter)
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

/// The batch as units of work that may run side by side: each message of the delivery queue
/// alone, and each FIFO group's messages together, in their order.
fn in_turns(records: Vec<SqsMessage>) -> Vec<Vec<SqsMessage>> {
    let mut turns: Vec<Vec<SqsMessage>> = Vec::new();
    let mut groups: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for m in records {
        let group = m
            .attributes
            .get("MessageGroupId")
            .filter(|_| from_fifo(&m))
            .cloned();
        match group {
            Some(g) => match groups.get(&g) {
                Some(&i) => turns[i].push(m),
                None => {
                    groups.insert(g, turns.len());
                    turns.push(vec![m]);
                }
            },
            None => turns.push(vec![m]),
        }
    }
    turns
}

/// Handles a unit in order; after a message that must come back, the others are handed back
/// unattempted (visible again at once, behind it in their group).
async fn handle_turn(
    deliverer: &Deliverer,
    turn: Vec<SqsMessage>,
    deadline: Option<Instant>,
) -> Vec<BatchItemFailure> {
    let mut failures = Vec::new();
    for m in turn {
        if !failures.is_empty() {
            failures.extend(hand_back(deliverer, &m).await);
            continue;
        }
        failures.extend(handle_message(deliverer, m, deadline).await);
    }
    failures
}

fn from_fifo(m: &SqsMessage) -> bool {
    m.event_source_arn
        .as_deref()
        .is_some_and(|arn| arn.ends_with(".fifo"))
}

/// The receipt to settle `m` with (marked when it is the FIFO queue's).
fn receipt_of(m: &SqsMessage) -> Option<Receipt> {
    let handle = m.receipt_handle.clone()?;
    Some(Receipt(match from_fifo(m) {
        true => format!("{}{handle}", crate::queue::sqs::FIFO_RECEIPT),
        false => handle,
    }))
}

/// Hands `m` back without handling it: visible again at once, reported as a failure.
async fn hand_back(deliverer: &Deliverer, m: &SqsMessage) -> Option<BatchItemFailure> {
    let id = m.message_id.clone().filter(|id| !id.is_empty())?;
    if let Some(receipt) = receipt_of(m)
        && let Err(e) = deliverer
            .app()
            .queue
            .change_visibility(&receipt, Duration::ZERO)
            .await
    {
        tracing::warn!(message_id = %id, error = %e, "could not hand a message back");
    }
    let mut f = BatchItemFailure::default();
    f.item_identifier = id;
    Some(f)
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
        return hand_back(deliverer, &m).await;
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
            // Not an ordered message: its copy would join the end of its group.
            if !task.ordered() && receives >= cap.saturating_sub(cap / 5).max(1) {
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
            if let Some(receipt) = receipt_of(&m)
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
