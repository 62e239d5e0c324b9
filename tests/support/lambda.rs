//! The sample events of `events/` run through both functions, as scenarios that take the way the
//! functions are invoked: in process through the same adapters `lambda_http::run` and
//! `lambda_runtime::run` use ([`InProcess`]), or in containers by `sam local invoke` (the
//! `sam_local` test). Both answer what Lambda would put on the wire.

use std::future::Future;

use chrono::{TimeDelta, Utc};
use hookline::auth::api_key::new_api_key;
use hookline::backend::Hookline;
use hookline::delivery::Deliverer;
use hookline::model::{Delivery, DeliveryStatus, Event, Scope, Webhook};
use serde_json::{Value, json};

use crate::{PyReceiver, SAMPLE_KEY, SAMPLE_TENANT, event_file, id, invoke_api, webhook_record};

/// How a test reaches the two functions.
pub trait Invoke {
    /// The API function on an API Gateway (HTTP API, v2) event: status and JSON body.
    fn api(&self, event: Value) -> impl Future<Output = (u16, Value)>;
    /// The delivery function on an SQS event: its partial batch response, as JSON.
    fn deliver(&self, event: Value) -> impl Future<Output = Value>;
}

/// Both functions in this process, on `app`'s store and queue.
pub struct InProcess {
    pub app: Hookline,
    pub deliverer: Deliverer,
}

impl InProcess {
    pub fn new(app: Hookline) -> Self {
        let deliverer = Deliverer::new(app.clone()).unwrap();
        InProcess { app, deliverer }
    }
}

impl Invoke for InProcess {
    async fn api(&self, event: Value) -> (u16, Value) {
        invoke_api(&self.app, event).await
    }

    async fn deliver(&self, event: Value) -> Value {
        let event = serde_json::from_value(event).expect("an SQS event");
        let resp = hookline::delivery::lambda::handle_batch(&self.deliverer, event).await;
        serde_json::to_value(resp).unwrap()
    }
}

fn sample_webhook(url: &str, secret: &str) -> Webhook {
    webhook_record(SAMPLE_TENANT, "wh_sample", url, secret)
}

/// The key the sample API events carry.
pub async fn seed_sample_key(app: &Hookline) {
    let key = new_api_key(
        SAMPLE_KEY,
        &id(SAMPLE_TENANT),
        vec![Scope::WebhooksWrite, Scope::EventsPublish],
        None,
        Utc::now(),
    );
    app.store.put_key(&key).await.unwrap();
}

/// Every `api-*.json` event, in the order a user would send them, with the answers each must
/// get. `app` is the store the functions use (to seed what the events refer to).
pub async fn api_events(inv: &impl Invoke, app: &Hookline, name: &str) {
    seed_sample_key(app).await;
    let (s, body) = inv.api(event_file("api-unauthorized.json")).await;
    assert_eq!(
        (s, body["error"]["code"].clone()),
        (401, json!("unauthorized")),
        "{name}"
    );

    let (s, created) = inv.api(event_file("api-create-webhook.json")).await;
    assert_eq!(s, 201, "{name}: {created}");
    assert_eq!(created["url"], "https://hooks.example.com/hookline");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));

    let (s, list) = inv.api(event_file("api-list-webhooks.json")).await;
    assert_eq!(s, 200, "{name}: {list}");
    assert_eq!(list["data"][0]["id"], created["id"]);

    let (s, missing) = inv.api(event_file("api-get-webhook.json")).await;
    assert_eq!(
        (s, missing["error"]["code"].clone()),
        (404, json!("not_found")),
        "{name}"
    );
    app.store
        .create_webhook(
            &sample_webhook(
                "https://sample.example.com/",
                &hookline::signing::generate_secret(),
            ),
            50,
        )
        .await
        .unwrap();
    let (s, got) = inv.api(event_file("api-get-webhook.json")).await;
    assert_eq!((s, got["id"].clone()), (200, json!("wh_sample")), "{name}");
    let (s, patched) = inv.api(event_file("api-patch-webhook.json")).await;
    assert_eq!(
        (s, patched["enabled"].clone()),
        (200, json!(false)),
        "{name}"
    );

    // The created webhook (invoice.*) matches; the disabled sample one does not.
    let (s, published) = inv.api(event_file("api-publish-event.json")).await;
    assert_eq!(s, 202, "{name}: {published}");
    assert_eq!(
        (published["id"].clone(), published["deliveries"].clone()),
        (json!("evt_sample_2"), json!(1))
    );
    // The sample carries an Idempotency-Key: the repeat is the first answer again.
    let (s, again) = inv.api(event_file("api-publish-event.json")).await;
    assert_eq!((s, &again), (202, &published), "{name}");

    let (s, d) = inv.api(event_file("api-get-delivery.json")).await;
    assert_eq!(
        (s, d["error"]["code"].clone()),
        (404, json!("not_found")),
        "{name}"
    );
    let (s, _) = inv.api(event_file("api-delete-webhook.json")).await;
    assert_eq!(s, 204, "{name}");
}

/// The webhook, event and pending delivery that `sqs-delivery.json` refers to.
pub async fn seed_sample_delivery(app: &Hookline, url: &str, secret: &str) {
    let now = Utc::now();
    app.store
        .create_webhook(&sample_webhook(url, secret), 50)
        .await
        .unwrap();
    app.store
        .put_event(
            &Event {
                id: id("evt_sample"),
                tenant_id: id(SAMPLE_TENANT),
                event_type: "invoice.created".into(),
                account_id: None,
                data: json!({"invoice_id": "inv_42"}),
                created_at: now,
                deliveries: 1,
                webhook_ids: Vec::new(),
                expires_at: now + TimeDelta::days(1),
                log_level: Default::default(),
            },
            now,
        )
        .await
        .unwrap();
    app.store
        .create_deliveries(
            &[Delivery {
                id: id("del_sample"),
                tenant_id: id(SAMPLE_TENANT),
                webhook_id: id("wh_sample"),
                event_id: id("evt_sample"),
                event_type: "invoice.created".into(),
                status: DeliveryStatus::Pending,
                created_at: now,
                updated_at: now,
                next_attempt_at: Some(now),
                attempts: vec![],
                attempt_count: 0,
                automatic_count: 0,
                first_attempt: None,
                cancel_reason: None,
                deferred_reason: None,
                paced_at: None,
                expires_at: now + TimeDelta::days(1),
            }],
            now,
        )
        .await
        .unwrap();
}

/// Both `sqs-*.json` events: a delivery reaches the receiver signed so that the official
/// Python verifiers accept it and is recorded; the same message again (SQS is at-least-once,
/// in the unversioned format of earlier builds) beside a malformed one reports only the
/// malformed one and sends nothing twice.
pub async fn sqs_events(inv: &impl Invoke, app: &Hookline, name: &str) {
    let receiver = PyReceiver::start();
    let secret = hookline::signing::generate_secret();
    let path = format!("/sample-{}", name.replace(['+', ' '], "-"));
    let url = receiver.configure(&path, &[&secret], &[200], None).await;
    seed_sample_delivery(app, &url, &secret).await;

    let resp = inv.deliver(event_file("sqs-delivery.json")).await;
    assert_eq!(resp["batchItemFailures"], json!([]), "{name}: {resp}");
    let got = receiver.log_for(&path).await;
    assert_eq!(got.len(), 1, "{name}");
    assert_eq!(got[0].webhook_id.as_deref(), Some("evt_sample"));
    assert_eq!(
        got[0].verified_by,
        [0],
        "{name}: the official verifier accepts it"
    );
    assert_eq!(got[0].svix_ok.as_deref(), Some(&[0][..]));
    let d = app
        .store
        .get_delivery(&id(SAMPLE_TENANT), &id("wh_sample"), &id("del_sample"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.status, d.attempts.len(), d.attempts[0].status_code),
        (DeliveryStatus::Succeeded, 1, Some(200)),
        "{name}"
    );

    let resp = inv
        .deliver(event_file("sqs-batch-with-malformed.json"))
        .await;
    assert_eq!(
        resp,
        json!({"batchItemFailures": [{"itemIdentifier": "7f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"}]}),
        "{name}: only the malformed message is reported, in the wire format Lambda reads"
    );
    assert_eq!(
        receiver.log_for(&path).await.len(),
        1,
        "{name}: a settled delivery is not sent twice"
    );
}
