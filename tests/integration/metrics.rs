//! Operational metrics as an operator reads them: `GET /metrics` of the local server (the
//! Prometheus text), and the delivery function's one EMF document per invocation.

use std::collections::HashMap;
use std::time::Duration;

use hookline_client::types::DeliveryStatus;
use hookline_tests::{Harness, Receiver, sqlite, test_config};
use serde_json::json;

/// The samples of a Prometheus text: series (name with labels) to value; panics on a line
/// that is neither a comment nor `series value`.
fn parse(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            let value = value
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {l:?}"));
            (series.to_string(), value)
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_publishes_outcomes_and_attempt_latency() {
    let receiver = Receiver::start().await;
    let ok = receiver.configure("/ok", &[], &[204], None).await;
    let flaky = receiver.configure("/flaky", &[], &[500, 200], None).await;
    let h = Harness::start(sqlite(test_config())).await;
    h.webhook(&ok, json!({"events": ["a.ok"]})).await;
    h.webhook(&flaky, json!({"events": ["a.flaky"]})).await;
    let first = h.publish(json!({"type": "a.ok", "data": {}})).await;
    let second = h.publish(json!({"type": "a.flaky", "data": {}})).await;
    // A replay is not a new event.
    let id = first.id.to_string();
    let replay = h
        .publish(json!({"id": id, "type": "a.ok", "data": {}}))
        .await;
    assert!(replay.replayed);
    for e in [&first.id, &second.id] {
        let ds = h.settled(e, Duration::from_secs(15)).await;
        assert_eq!(ds[0].status, DeliveryStatus::Succeeded);
    }

    let res = reqwest::get(format!("{}/metrics", h.base())).await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let m = parse(&res.text().await.unwrap());
    let outcome = |o: &str| m[&format!("hookline_deliveries_processed_total{{outcome=\"{o}\"}}")];
    assert_eq!(m["hookline_events_published_total"], 2.0);
    assert_eq!(outcome("succeeded"), 2.0);
    assert_eq!(outcome("retry_scheduled"), 1.0);
    assert_eq!(outcome("failed"), 0.0);
    assert_eq!(outcome("cancelled"), 0.0);
    assert_eq!(m["hookline_attempt_duration_seconds_count"], 3.0);
    assert_eq!(
        m["hookline_attempt_duration_seconds_bucket{le=\"+Inf\"}"],
        3.0
    );
    assert_eq!(m["hookline_delivery_lag_seconds_count"], 3.0);
    // The retry was due a second after the failure, not at publish: its lag is small.
    assert!(
        m["hookline_delivery_lag_seconds_bucket{le=\"1\"}"] >= 3.0,
        "{m:?}"
    );
    h.stop().await;
}

#[tokio::test]
async fn the_delivery_function_prints_one_emf_document_per_invocation() {
    use hookline::delivery::{Deliverer, lambda::handle_batch};

    let receiver = Receiver::start().await;
    let url = receiver.configure("/emf", &[], &[204], None).await;
    // No worker runs: the message waits on the queue for the Lambda handler.
    let app = sqlite(test_config());
    let tenant = hookline_tests::unique("t");
    let tenant: hookline::ids::TenantId = hookline_tests::id(&tenant);
    let draft = hookline::service::webhooks::WebhookDraft {
        url,
        enabled: true,
        ..Default::default()
    };
    let actor = hookline::service::Actor::of_tenant(&tenant);
    hookline::service::webhooks::create(&app, &actor, draft)
        .await
        .unwrap();
    let event = hookline::service::publish::EventIn {
        event_type: "a.b".into(),
        data: json!({}),
        id: None,
        account_id: None,
    };
    hookline::service::publish::publish(&app, &tenant, event, None)
        .await
        .unwrap();
    let m = app
        .queue
        .receive(1, Duration::from_secs(60))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let body = m.task.encode();
    let sqs: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(json!({
        "Records": [{"messageId": "m1", "receiptHandle": m.receipt.0, "body": body}]
    }))
    .unwrap();
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let resp = handle_batch(&deliverer, sqs).await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(receiver.log_for("/emf").await.len(), 1);
    // The handler printed its document: what it counted is no longer pending...
    assert!(
        app.metrics.emf("deliver", 0).is_none(),
        "the invocation's document was not emitted"
    );
    // ...and the totals hold it.
    let m = parse(&app.metrics.prometheus());
    assert_eq!(
        m["hookline_deliveries_processed_total{outcome=\"succeeded\"}"],
        1.0
    );
}

/// The API function, through lambda_http as on Lambda: a publish invocation leaves its EMF
/// document (so none is left pending), and the count is in the totals.
#[tokio::test]
async fn the_api_function_prints_one_emf_document_per_invocation() {
    let app = sqlite(test_config());
    let key =
        hookline_tests::mint_key(&app, "emf-api", &[hookline::model::Scope::EventsPublish]).await;
    let mut event = hookline_tests::event_file("api-publish-event.json");
    event["headers"]["authorization"] = json!(format!("Bearer {key}"));
    let (status, body) = hookline_tests::invoke_api(&app, event).await;
    assert_eq!(status, 202, "{body}");
    assert!(
        app.metrics.emf("api", 0).is_none(),
        "the invocation's document was not emitted"
    );
    let m = parse(&app.metrics.prometheus());
    assert_eq!(m["hookline_events_published_total"], 1.0);
}
