//! The Lambda entry points on the sample events of `events/`: API Gateway HTTP API (v2) events
//! through `lambda_http`, and SQS events through the delivery handler with partial batch
//! responses. These keep the events (also used by `sam local invoke`) from going stale.

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{TimeDelta, Utc};
use hookline::auth::api_key::new_api_key;
use hookline::backend::Hookline;
use hookline::delivery::Deliverer;
use hookline::delivery::lambda::handle_batch;
use hookline::model::{Delivery, DeliveryStatus, Event, Scope, Webhook};
use hookline_tests::{
    Backend, PyReceiver, SAMPLE_KEY, SAMPLE_TENANT, event_file, id, invoke_api, test_config,
    webhook_record,
};
use serde_json::json;

fn sample_webhook(url: &str, secret: &str) -> Webhook {
    webhook_record(SAMPLE_TENANT, "wh_sample", url, secret)
}

async fn seed_key(app: &Hookline) {
    let key = new_api_key(
        SAMPLE_KEY,
        &id(SAMPLE_TENANT),
        vec![Scope::WebhooksWrite, Scope::EventsPublish],
        None,
        Utc::now(),
    );
    app.store.put_key(&key).await.unwrap();
}

async fn api_gateway_v2_events_run_through_lambda_http(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    seed_key(&app).await;
    let (s, body) = invoke_api(&app, event_file("api-unauthorized.json")).await;
    assert_eq!(
        (s, body["error"]["code"].clone()),
        (401, json!("unauthorized")),
        "{name}"
    );

    let (s, created) = invoke_api(&app, event_file("api-create-webhook.json")).await;
    assert_eq!(s, 201, "{name}: {created}");
    assert_eq!(created["url"], "https://hooks.example.com/hookline");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));

    let (s, list) = invoke_api(&app, event_file("api-list-webhooks.json")).await;
    assert_eq!(s, 200, "{name}: {list}");
    assert_eq!(list["data"][0]["id"], created["id"]);

    let (s, missing) = invoke_api(&app, event_file("api-get-webhook.json")).await;
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
    let (s, got) = invoke_api(&app, event_file("api-get-webhook.json")).await;
    assert_eq!((s, got["id"].clone()), (200, json!("wh_sample")), "{name}");
    let (s, patched) = invoke_api(&app, event_file("api-patch-webhook.json")).await;
    assert_eq!(
        (s, patched["enabled"].clone()),
        (200, json!(false)),
        "{name}"
    );

    // The created webhook (invoice.*) matches; the disabled sample one does not.
    let (s, published) = invoke_api(&app, event_file("api-publish-event.json")).await;
    assert_eq!(s, 202, "{name}: {published}");
    assert_eq!(
        (published["id"].clone(), published["deliveries"].clone()),
        (json!("evt_sample_2"), json!(1))
    );
    let (s, again) = invoke_api(&app, event_file("api-publish-event.json")).await;
    assert_eq!(
        (s, again["replayed"].clone(), again["deliveries"].clone()),
        (202, json!(true), json!(1)),
        "{name}"
    );

    let (s, d) = invoke_api(&app, event_file("api-get-delivery.json")).await;
    assert_eq!(
        (s, d["error"]["code"].clone()),
        (404, json!("not_found")),
        "{name}"
    );
    let (s, _) = invoke_api(&app, event_file("api-delete-webhook.json")).await;
    assert_eq!(s, 204, "{name}");
}

async fn seed_delivery(app: &Hookline, url: &str, secret: &str) {
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
                expires_at: now + TimeDelta::days(1),
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
                cancel_reason: None,
                deferred_reason: None,
                expires_at: now + TimeDelta::days(1),
            }],
            now,
        )
        .await
        .unwrap();
}

async fn sqs_events_run_through_the_delivery_handler(b: Backend) {
    // The official Python verifiers, as the cross-check of what the Lambda driver sends.
    let receiver = PyReceiver::start();
    let (name, app) = (b.name(), b.app(test_config()).await);
    let secret = hookline::signing::generate_secret();
    let path = format!("/sample-{}", name.replace('+', "-"));
    let url = receiver.configure(&path, &[&secret], &[200], None).await;
    seed_delivery(&app, &url, &secret).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();

    let event: SqsEvent = serde_json::from_value(event_file("sqs-delivery.json")).unwrap();
    let resp = handle_batch(&deliverer, event).await;
    assert!(
        resp.batch_item_failures.is_empty(),
        "{name}: {:?}",
        resp.batch_item_failures
    );
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
        .get_delivery(&id(SAMPLE_TENANT), &id("del_sample"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.status, d.attempts.len(), d.attempts[0].status_code),
        (DeliveryStatus::Succeeded, 1, Some(200)),
        "{name}"
    );

    // The same message again (SQS is at-least-once), in the unversioned format of earlier
    // builds (a deploy with messages in flight), plus a malformed message: only the malformed
    // one is reported, and the receiver is not called again.
    let event: SqsEvent =
        serde_json::from_value(event_file("sqs-batch-with-malformed.json")).unwrap();
    let resp = handle_batch(&deliverer, event).await;
    let failed: Vec<&str> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        failed,
        vec!["7f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"],
        "{name}"
    );
    assert_eq!(
        receiver.log_for(&path).await.len(),
        1,
        "{name}: a settled delivery is not sent twice"
    );
    let v = serde_json::to_value(&resp).unwrap();
    assert_eq!(
        v["batchItemFailures"][0]["itemIdentifier"], "7f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        "wire format Lambda reads"
    );
}

hookline_tests::per_backend!(
    api_gateway_v2_events_run_through_lambda_http,
    sqs_events_run_through_the_delivery_handler,
);
