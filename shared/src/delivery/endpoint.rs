//! Per-endpoint limits inside one process: at most `max` deliveries in flight to a webhook, and
//! a slow start, so that an endpoint that has not answered yet gets one request at a time.
//!
//! The window starts at one request, doubles with each success up to `max`, and falls back to
//! one at the first failure. A healthy endpoint reaches full concurrency within a few answers;
//! a dead one is tried one request at a time until its circuit breaker opens, so it costs the
//! breaker's threshold in requests, not the concurrency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::ids::WebhookId;
use crate::model::Health;

#[derive(Default)]
struct State {
    in_flight: usize,
    window: usize,
    /// The freshest health this process has seen or written (highest revision).
    health: Health,
}

struct Gate {
    state: Mutex<State>,
    freed: Notify,
}

pub struct Endpoints {
    max: usize,
    gates: Mutex<HashMap<WebhookId, Arc<Gate>>>,
}

/// One delivery's place in its endpoint's window; released when dropped.
pub struct Slot {
    gate: Arc<Gate>,
    max: usize,
}

fn lock(g: &Gate) -> std::sync::MutexGuard<'_, State> {
    g.state.lock().unwrap_or_else(|p| p.into_inner())
}

impl Endpoints {
    pub fn new(max: usize) -> Self {
        Endpoints {
            max: max.max(1),
            gates: Mutex::new(HashMap::new()),
        }
    }

    fn gate(&self, webhook: &WebhookId) -> Arc<Gate> {
        self.gates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(webhook.clone())
            .or_insert_with(|| {
                Arc::new(Gate {
                    state: Mutex::new(State {
                        window: 1,
                        ..State::default()
                    }),
                    freed: Notify::new(),
                })
            })
            .clone()
    }

    /// The freshest of `stored` and what this process knows of the webhook's health.
    pub fn health(&self, webhook: &WebhookId, stored: &Health) -> Health {
        let gate = self.gate(webhook);
        let mut s = lock(&gate);
        if stored.rev > s.health.rev {
            s.health = stored.clone();
        }
        s.health.clone()
    }

    /// Records a health this process wrote (or learned of).
    pub fn learn(&self, webhook: &WebhookId, health: &Health) {
        self.health(webhook, health);
    }

    /// Waits for a place in the webhook's window.
    pub async fn acquire(&self, webhook: &WebhookId) -> Slot {
        let gate = self.gate(webhook);
        loop {
            let freed = gate.freed.notified();
            {
                let mut s = lock(&gate);
                if s.in_flight < s.window.clamp(1, self.max) {
                    s.in_flight += 1;
                    break;
                }
            }
            freed.await;
        }
        Slot {
            gate,
            max: self.max,
        }
    }

    /// Deliveries in flight to `webhook` now (tests and metrics).
    pub fn in_flight(&self, webhook: &WebhookId) -> usize {
        lock(&self.gate(webhook)).in_flight
    }
}

impl Slot {
    /// The endpoint answered: it may take more at once.
    pub fn succeeded(&self) {
        let mut s = lock(&self.gate);
        s.window = (s.window * 2).clamp(1, self.max);
        drop(s);
        self.gate.freed.notify_waiters();
    }

    /// The endpoint failed: one request at a time until it answers again.
    pub fn failed(&self) {
        lock(&self.gate).window = 1;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        lock(&self.gate).in_flight -= 1;
        self.gate.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn slow_start_then_the_cap() {
        let e = Endpoints::new(4);
        let w = WebhookId::generate();
        let first = e.acquire(&w).await;
        // The window is one until the endpoint has answered.
        let waiting = tokio::time::timeout(Duration::from_millis(20), e.acquire(&w)).await;
        assert!(
            waiting.is_err(),
            "a second request waits for the first answer"
        );
        first.succeeded();
        drop(first);
        let mut held = Vec::new();
        for _ in 0..2 {
            let s = e.acquire(&w).await;
            s.succeeded();
            held.push(s);
        }
        let more = tokio::time::timeout(Duration::from_millis(20), async {
            let a = e.acquire(&w).await;
            let b = e.acquire(&w).await;
            (a, b)
        })
        .await
        .expect("the window grew to the cap of 4");
        assert_eq!(e.in_flight(&w), 4);
        let fifth = tokio::time::timeout(Duration::from_millis(20), e.acquire(&w)).await;
        assert!(fifth.is_err(), "never more than the cap");
        more.0.failed();
        drop(more);
        drop(held);
        assert_eq!(e.in_flight(&w), 0);
        let one = e.acquire(&w).await;
        let two = tokio::time::timeout(Duration::from_millis(20), e.acquire(&w)).await;
        assert!(two.is_err(), "after a failure: one at a time");
        drop(one);
    }
}
