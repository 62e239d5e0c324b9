//! The local driver of `hookline serve`: a continuous pipeline over the embedded queue.
//!
//! At most `HOOKLINE_DELIVERY_CONCURRENCY` deliveries are in flight; a new message is taken as
//! soon as one finishes, and each message is settled on its own as it finishes (settles that
//! finish together share one write). There is no batch barrier: a slow endpoint holds only its
//! own deliveries, and the queue's fairness keeps it to its share of the slots.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::{Deliverer, Outcome};
use crate::queue::Receipt;

/// How often the local worker removes expired items.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// How often buffered statistics are written.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// The longest idle wait before the worker looks at the queue again on its own.
const IDLE_WAIT: Duration = Duration::from_millis(250);

/// What becomes of a processed message.
enum Settle {
    Delete(Receipt),
    Delay(Receipt, Duration),
}

/// Runs until `stop` turns true; deliveries in flight then finish and are settled.
pub async fn run(deliverer: Arc<Deliverer>, mut stop: watch::Receiver<bool>) {
    let app = deliverer.app().clone();
    // As on AWS: the message stays hidden for six times the delivery timeout while in flight.
    let visibility = app.config.delivery_timeout * 6;
    let bound = app.config.delivery_concurrency;
    // This process owns the queue: what a crashed predecessor had in flight goes out now,
    // not after its visibility timeout.
    match app.queue.release_in_flight().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            messages = n,
            "released the messages a previous run had in flight"
        ),
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "could not release in-flight messages")
        }
    }
    let (settle_tx, settle_rx) = mpsc::unbounded_channel();
    let settler = tokio::spawn(settle(deliverer.clone(), settle_rx));
    let mut running = JoinSet::new();
    let mut last_purge: Option<Instant> = None;
    while !*stop.borrow() {
        // The embedded store has no TTL of its own: expired items are removed here.
        if last_purge.is_none_or(|t| t.elapsed() > PURGE_EVERY) {
            last_purge = Some(Instant::now());
            match app.store.purge_expired(app.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(items = n, "purged expired events and deliveries"),
                Err(e) => {
                    tracing::warn!(error = %crate::error::chain(&e), "purging expired items failed")
                }
            }
        }
        while running.try_join_next().is_some() {}
        let free = bound.saturating_sub(running.len());
        if free > 0 {
            match app.queue.receive(free, visibility).await {
                Ok(batch) if !batch.is_empty() => {
                    for m in batch {
                        let (deliverer, settle_tx) = (deliverer.clone(), settle_tx.clone());
                        running.spawn(async move {
                            if let Some(s) = handle(&deliverer, m).await {
                                let _ = settle_tx.send(s);
                            }
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %crate::error::chain(&e), "queue receive failed"),
            }
        }
        // Full, or nothing to take: wait for a delivery to finish, a message, or the stop.
        tokio::select! {
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = app.queue.wait(IDLE_WAIT), if free > 0 => {}
            _ = stop.changed() => {}
        }
    }
    while running.join_next().await.is_some() {}
    drop(settle_tx);
    let _ = settler.await;
}

/// Processes one message; what to do with it, or nothing (it comes back by itself).
///
/// There is no receive cap: the retry policy ends every delivery (failed once its window has
/// passed), so a message received often is one the policy still wants (a long window, a short
/// interval, breaker deferrals). One that cannot be processed (the store failing) comes back
/// after its visibility timeout, logged each time, instead of being dropped with its delivery
/// left pending for ever.
async fn handle(deliverer: &Deliverer, m: crate::queue::Received) -> Option<Settle> {
    match deliverer.process(&m.task).await {
        Ok(Outcome::Done) => Some(Settle::Delete(m.receipt)),
        Ok(Outcome::RetryIn(delay)) => Some(Settle::Delay(m.receipt, delay)),
        Err(e) => {
            tracing::error!(delivery = %m.task.target().delivery_id, error = %crate::error::chain(&e), "delivery failed to process");
            None
        }
    }
}

/// Applies settles as they come, those that arrive together in one write; writes the
/// statistics once a second.
async fn settle(deliverer: Arc<Deliverer>, mut rx: mpsc::UnboundedReceiver<Settle>) {
    let queue = deliverer.app().queue.clone();
    let mut last_stats = Instant::now();
    let mut pending = Vec::new();
    loop {
        let first = tokio::select! {
            s = rx.recv() => s,
            _ = tokio::time::sleep(STATS_EVERY) => {
                deliverer.flush_batch().await;
                last_stats = Instant::now();
                continue;
            }
        };
        let Some(first) = first else { break };
        pending.push(first);
        while pending.len() < 256 {
            match rx.try_recv() {
                Ok(s) => pending.push(s),
                Err(_) => break,
            }
        }
        let mut deletes = Vec::new();
        for s in pending.drain(..) {
            match s {
                Settle::Delete(r) => deletes.push(r),
                Settle::Delay(r, d) => {
                    if let Err(e) = queue.change_visibility(&r, d).await {
                        tracing::warn!(error = %crate::error::chain(&e), "could not delay the retry");
                    }
                }
            }
        }
        if !deletes.is_empty() {
            // First-try successes are recorded (or marked) before their messages go: a crash
            // in between would leave the delivery looking pending although it was made. Where
            // the queue is in the store's database, both are one transaction (at a light load,
            // a settle holds one delivery: its record and delete were two commits of three).
            let (first_tries, marks) = deliverer.take_first_tries();
            let store = &deliverer.app().store;
            match store
                .record_and_settle(&first_tries, &marks, &deletes)
                .await
            {
                Some(Ok(())) => {}
                together => {
                    if let Some(Err(e)) = together {
                        tracing::warn!(error = %crate::error::chain(&e), "could not settle with the records together; one after the other");
                    }
                    deliverer.write_first_tries(first_tries, marks).await;
                    if let Err(e) = queue.delete(&deletes).await {
                        tracing::error!(error = %crate::error::chain(&e), "queue delete failed");
                    }
                }
            }
        }
        if last_stats.elapsed() >= STATS_EVERY {
            deliverer.flush_batch().await;
            last_stats = Instant::now();
        }
    }
    deliverer.flush_batch().await;
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::backend::Hookline;
    use crate::config::Config;
    use crate::ids::TenantId;
    use crate::service::webhooks::{WebhookDraft, create};

    /// An app on an in-memory database with one webhook of tenant `t1` at `url`, and `events`
    /// events published to it.
    async fn published(
        config: Config,
        url: String,
        events: usize,
    ) -> (Hookline, crate::store::sqlite::SqliteDb) {
        let db = crate::store::sqlite::SqliteDb::in_memory().unwrap();
        let app = Hookline::with_sqlite(config, db.clone());
        let tenant = TenantId::parse("t1").unwrap();
        let draft = WebhookDraft {
            url,
            enabled: true,
            ..Default::default()
        };
        create(&app, &crate::service::Actor::of_tenant(&tenant), draft)
            .await
            .unwrap();
        for n in 0..events {
            let event = crate::service::publish::EventIn {
                event_type: "a.b".into(),
                data: serde_json::json!({ "n": n }),
                id: None,
                account_id: None,
            };
            crate::service::publish::publish(&app, &tenant, event, None)
                .await
                .unwrap();
        }
        (app, db)
    }

    /// A delivery on its 500th receive that the policy still retries is delayed, not dropped.
    #[tokio::test]
    async fn a_message_received_many_times_is_still_retried_by_the_policy() {
        let config = Config {
            allow_private_targets: true,
            retry_window: Duration::from_secs(7 * 24 * 3600),
            delivery_timeout: Duration::from_secs(1),
            ..Config::default()
        };
        // Nothing listens on port 9 of loopback: every attempt fails.
        let (app, _) = published(config, "http://127.0.0.1:9/hook".into(), 1).await;
        let mut m = app
            .queue
            .receive(1, Duration::from_secs(60))
            .await
            .unwrap()
            .pop()
            .unwrap();
        m.receive_count = 500;
        let deliverer = Deliverer::new(app.clone()).unwrap();
        match handle(&deliverer, m).await {
            Some(Settle::Delay(_, delay)) => assert!(delay > Duration::ZERO),
            Some(Settle::Delete(_)) => panic!("dropped a delivery the policy still retries"),
            None => panic!("not processed"),
        }
    }

    /// On the embedded database a publish records its deliveries pending: the first-try
    /// successes that settle together are completed in one transaction with the delete of
    /// their messages (flat out, a transaction per delivery was a fifth of the delivering CPU;
    /// at a light load, the record and the delete were two commits of three).
    #[tokio::test]
    async fn first_try_successes_are_recorded_together_before_they_settle() {
        let config = Config {
            allow_private_targets: true,
            ..Config::default()
        };
        let (receiver, _) = crate::test_server::server(vec![(200, "")]).await;
        let (app, db) = published(config, format!("{receiver}/hook"), 3).await;
        let received = app
            .queue
            .receive(10, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(received.len(), 3);
        let targets: Vec<_> = received.iter().map(|m| m.task.target().clone()).collect();
        let deliverer = Arc::new(Deliverer::new(app.clone()).unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        for m in received {
            let s = handle(&deliverer, m).await;
            assert!(matches!(s, Some(Settle::Delete(_))));
            tx.send(s.unwrap()).unwrap();
        }
        drop(tx);
        let before = db.commits();
        settle(deliverer.clone(), rx).await;
        // The three records with their messages' deletes, then the statistics.
        assert_eq!(
            db.commits().writes - before.writes,
            2,
            "one write for the three"
        );
        // Gone from the queue: nothing comes back, even with nothing in flight.
        app.queue.release_in_flight().await.unwrap();
        let left = app
            .queue
            .receive(10, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(left.is_empty(), "{} messages left", left.len());
        for t in &targets {
            let d = app
                .store
                .get_delivery(&t.tenant_id, &t.webhook_id, &t.delivery_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.status, crate::model::DeliveryStatus::Succeeded);
            assert_eq!(d.attempt_count(), 1);
        }
    }
}
