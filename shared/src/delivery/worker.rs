//! The local driver of `hookline serve`: polls the embedded queue with the same visibility
//! semantics as SQS, and settles each message as the Lambda driver does.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;

use super::{Deliverer, Outcome};
use crate::queue::Receipt;

/// A message received this often without settling is dropped (the local stand-in for the DLQ).
pub const MAX_RECEIVES: u32 = 100;

/// How often the local worker removes expired items.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Runs until `stop` turns true.
pub async fn run(deliverer: Arc<Deliverer>, mut stop: watch::Receiver<bool>) {
    let app = deliverer.app().clone();
    // As on AWS: the message stays hidden for six times the delivery timeout while in flight.
    let visibility = app.config.delivery_timeout * 6;
    let bound = app.config.delivery_concurrency;
    let mut idle = Duration::from_millis(5);
    let mut last_purge: Option<std::time::Instant> = None;
    while !*stop.borrow() {
        // The embedded store has no TTL of its own: expired items are removed here.
        if last_purge.is_none_or(|t| t.elapsed() > PURGE_EVERY) {
            last_purge = Some(std::time::Instant::now());
            match app.store.purge_expired(app.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(items = n, "purged expired events and deliveries"),
                Err(e) => tracing::warn!(error = %e, "purging expired items failed"),
            }
        }
        let batch = match app.queue.receive(bound.max(10), visibility).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "queue receive failed");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = stop.changed() => {}
            }
            idle = (idle * 2).min(Duration::from_millis(200));
            continue;
        }
        idle = Duration::from_millis(5);
        let done: Vec<Receipt> = futures::stream::iter(batch)
            .map(|m| {
                let deliverer = deliverer.clone();
                async move {
                    if m.receive_count > MAX_RECEIVES {
                        tracing::error!(delivery = %m.task.target().delivery_id, "message received too often; dropped");
                        return Some(m.receipt);
                    }
                    match deliverer.process(&m.task).await {
                        Ok(Outcome::Done) => Some(m.receipt),
                        Ok(Outcome::RetryIn(delay)) => {
                            if let Err(e) = deliverer.app().queue.change_visibility(&m.receipt, delay).await {
                                tracing::warn!(error = %e, "could not delay the retry");
                            }
                            None
                        }
                        Err(e) => {
                            tracing::error!(delivery = %m.task.target().delivery_id, error = %crate::error::chain(&e), "delivery failed to process");
                            None
                        }
                    }
                }
            })
            .buffer_unordered(bound)
            .filter_map(|r| async move { r })
            .collect()
            .await;
        if let Err(e) = app.queue.delete(&done).await {
            tracing::error!(error = %e, "queue delete failed");
        }
        deliverer.flush_stats().await;
    }
}
