//! The running server of a test: the API and the delivery worker, as `hookline serve` runs
//! them, with the generated client against it and helpers for the requests most tests make.

use std::time::Duration;

use hookline::backend::Hookline;
use hookline::ids::{TenantId, WebhookId};
use hookline::model::Scope;
use hookline_client::types;
use serde_json::Value;

use crate::{Api, calls, eventually, id, mint_key, unique};

/// The API and the delivery worker running, as `hookline serve` runs them: `client` is the
/// generated client against the running server, `api` the same app called in process (for
/// requests a test sends malformed on purpose).
pub struct Harness {
    pub api: Api,
    pub client: hookline_client::Client,
    pub key: String,
    pub tenant: TenantId,
    running: Option<hookline::server::Running>,
}

impl Harness {
    /// Starts the worker on `app`'s store and queue; the key has every scope.
    pub async fn start(app: Hookline) -> Self {
        let tenant = unique("t");
        let key = mint_key(
            &app,
            &tenant,
            &[Scope::WebhooksWrite, Scope::EventsPublish, Scope::Admin],
        )
        .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = hookline::server::start(app.clone(), listener)
            .await
            .unwrap();
        let client = hookline_client::connect(&format!("http://{}", running.addr), &key).unwrap();
        Harness {
            api: Api::new(app),
            client,
            key,
            tenant: id(&tenant),
            running: Some(running),
        }
    }

    /// Creates a webhook to `url` (with `extra` fields); returns its id and secret.
    pub async fn webhook(&self, url: &str, extra: Value) -> (WebhookId, String) {
        let mut body = serde_json::json!({"url": url});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        let w = calls::create_webhook(&self.client, body).await;
        (id(&w.id), w.secret)
    }

    pub async fn publish(&self, body: Value) -> types::PublishOut {
        calls::publish(&self.client, body).await
    }

    pub async fn event(&self, event_id: &impl std::fmt::Display) -> types::EventOut {
        calls::read_event(&self.client, event_id).await
    }

    /// The event's deliveries once all are settled (not pending).
    pub async fn settled(
        &self,
        event_id: &impl std::fmt::Display,
        timeout: Duration,
    ) -> Vec<types::DeliveryOut> {
        eventually(
            &format!("the deliveries of {event_id} to settle"),
            timeout,
            || async {
                let ds = self.event(event_id).await.deliveries;
                (!ds.is_empty()
                    && ds
                        .iter()
                        .all(|d| d.status != types::DeliveryStatus::Pending))
                .then_some(ds)
            },
        )
        .await
    }

    pub async fn delivery(
        &self,
        webhook: &impl std::fmt::Display,
        delivery: &impl std::fmt::Display,
    ) -> types::DeliveryOut {
        calls::read_delivery(&self.client, webhook, delivery).await
    }

    /// Where the local server listens (for what the API does not cover, e.g. `/metrics`).
    pub fn base(&self) -> String {
        let addr = self.running.as_ref().expect("running").addr;
        format!("http://{addr}")
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}
