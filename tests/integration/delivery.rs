//! Publish to delivery, end to end: a real receiver on loopback checks every request with the
//! official Standard Webhooks verifier and drives retries with its answers.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use hookline::backend::Hookline;
use hookline::delivery::{Deliverer, Outcome};
use hookline::model::{AttemptError, Scope};
use hookline_tests::{
    Api, Harness, Receiver, aws, mint_key, sqlite, tenant_of, test_config, unique, webhook_record,
};
use serde_json::{Value, json};

fn at(v: &Value) -> DateTime<Utc> {
    v["at"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn fails_twice_then_succeeds_with_attempts_spaced_by_the_interval() {
    let receiver = Receiver::start();
    let h = Harness::start(sqlite(test_config())).await;
    let url = receiver
        .configure("/flaky", &[], &[500, 500, 200], None)
        .await;
    let (wh, secret) = h.webhook(&url, json!({})).await;
    receiver
        .configure("/flaky", &[&secret], &[500, 500, 200], None)
        .await;
    let out = h
        .publish(json!({"type": "invoice.paid", "data": {"invoice": "inv_1", "amount": 42}}))
        .await;
    assert_eq!(out["deliveries"], 1);
    let event_id = out["id"].as_str().unwrap();
    let ds = h.settled(event_id, Duration::from_secs(15)).await;
    assert_eq!(ds[0]["status"], "succeeded");

    let got = receiver.log_for("/flaky").await;
    assert_eq!(got.len(), 3, "{got:#?}");
    for r in &got {
        assert_eq!(
            r["verified_by"],
            json!([0]),
            "standardwebhooks accepts every attempt: {r}"
        );
        assert_eq!(r["svix_ok"], json!([0]), "svix accepts every attempt: {r}");
        assert_eq!(
            r["webhook_id"], event_id,
            "webhook-id is stable across retries"
        );
    }
    let body: Value = serde_json::from_str(got[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            body["type"].clone(),
            body["data"]["amount"].clone(),
            body["id"].clone()
        ),
        (json!("invoice.paid"), json!(42), json!(event_id))
    );

    let d = h.delivery(&wh, ds[0]["id"].as_str().unwrap()).await;
    let attempts = d["attempts"].as_array().unwrap();
    let codes: Vec<Value> = attempts.iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(codes, vec![json!(500), json!(500), json!(200)]);
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a["error_kind"] == "http_status")
            .count(),
        2
    );
    assert!(
        attempts[0]["response_excerpt"]
            .as_str()
            .unwrap()
            .contains("\"status\": 500")
    );
    for w in attempts.windows(2) {
        let gap = at(&w[1]) - at(&w[0]);
        assert!(
            gap >= chrono::TimeDelta::milliseconds(950),
            "attempts spaced by the 1 s interval, got {gap}"
        );
    }
    let (_, hook) = h
        .api
        .call("GET", &format!("/v1/webhooks/{wh}"), Some(&h.key), None)
        .await;
    assert!(
        hook["last_triggered_at"].is_string(),
        "last_triggered_at is kept: {hook}"
    );
    h.stop().await;
}

#[tokio::test]
async fn always_failing_endpoint_is_failed_after_the_window() {
    let receiver = Receiver::start();
    let h = Harness::start(sqlite(test_config())).await;
    let url = receiver.configure("/down", &[], &[503], None).await;
    let (wh, _) = h.webhook(&url, json!({})).await;
    let out = h.publish(json!({"type": "a.b", "data": {}})).await;
    let ds = h
        .settled(out["id"].as_str().unwrap(), Duration::from_secs(15))
        .await;
    assert_eq!(ds[0]["status"], "failed");
    assert!(ds[0]["next_attempt_at"].is_null());
    // Attempts at 0, 1 and 2 s: the window of 2 s allows three, and no more are made.
    let d = h.delivery(&wh, ds[0]["id"].as_str().unwrap()).await;
    assert_eq!(d["attempts"].as_array().unwrap().len(), 3, "{d}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.log_for("/down").await.len(), 3);
    h.stop().await;
}

#[tokio::test]
async fn a_duplicate_queue_message_is_not_sent_again() {
    let receiver = Receiver::start();
    let h = Harness::start(sqlite(test_config())).await;
    let url = receiver.configure("/once", &[], &[200], None).await;
    let (wh, _) = h.webhook(&url, json!({})).await;
    let out = h.publish(json!({"type": "a.b", "data": {"n": 1}})).await;
    let ds = h
        .settled(out["id"].as_str().unwrap(), Duration::from_secs(10))
        .await;
    receiver.wait_for("/once", 1, Duration::from_secs(5)).await;
    // SQS may deliver a message twice: put the same task on the queue again.
    let app = &h.api.app;
    let tenant = tenant_of(app, &h.key).await;
    let task = hookline::queue::DeliveryTask {
        tenant_id: tenant,
        delivery_id: ds[0]["id"].as_str().unwrap().into(),
        webhook_id: wh.clone(),
        event_id: out["id"].as_str().unwrap().into(),
        body: Some("{}".into()),
        retry_id: None,
    };
    app.queue.send(&[task.clone(), task]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        receiver.log_for("/once").await.len(),
        1,
        "the receiver is not called again"
    );
    assert_eq!(
        h.delivery(&wh, ds[0]["id"].as_str().unwrap()).await["attempts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    h.stop().await;
}

#[tokio::test]
async fn fan_out_follows_event_and_account_filters_and_publish_is_idempotent() {
    let receiver = Receiver::start();
    let h = Harness::start(sqlite(test_config())).await;
    let mut hooks = Vec::new();
    for (path, extra) in [
        ("/invoices", json!({"events": ["invoice.*"]})),
        ("/paid", json!({"events": ["order.paid"]})),
        ("/acc1", json!({"account_ids": ["acc_1"]})),
        ("/all", json!({})),
        ("/off", json!({"enabled": false})),
    ] {
        let url = receiver.configure(path, &[], &[200], None).await;
        hooks.push(h.webhook(&url, extra).await);
    }
    let out = h
        .publish(
            json!({"id": "evt-a", "type": "invoice.created", "account_id": "acc_2", "data": {}}),
        )
        .await;
    assert_eq!(
        (out["deliveries"].clone(), out["replayed"].clone()),
        (json!(2), json!(false))
    );
    let again = h
        .publish(
            json!({"id": "evt-a", "type": "invoice.created", "account_id": "acc_2", "data": {}}),
        )
        .await;
    assert_eq!(
        (
            again["deliveries"].clone(),
            again["replayed"].clone(),
            again["created_at"].clone()
        ),
        (json!(2), json!(true), out["created_at"].clone())
    );
    h.settled("evt-a", Duration::from_secs(10)).await;
    let out = h
        .publish(json!({"type": "order.paid", "account_id": "acc_1", "data": {}}))
        .await;
    assert_eq!(
        out["deliveries"], 3,
        "order.paid for acc_1: /paid, /acc1, /all"
    );
    h.settled(out["id"].as_str().unwrap(), Duration::from_secs(10))
        .await;

    // Idempotency-Key works the same when no id is given.
    let headers = [("idempotency-key", "req-7")];
    let body = r#"{"type": "misc.thing", "data": {}}"#;
    let (s1, first) = h
        .api
        .call_raw("POST", "/v1/events", Some(&h.key), Some(body), &headers)
        .await;
    let (s2, second) = h
        .api
        .call_raw("POST", "/v1/events", Some(&h.key), Some(body), &headers)
        .await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (202, 202));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["replayed"], true);
    h.settled(first["id"].as_str().unwrap(), Duration::from_secs(10))
        .await;

    let count = |p: &'static str| {
        let r = &receiver;
        async move { r.log_for(p).await.len() }
    };
    assert_eq!(
        count("/invoices").await,
        1,
        "a repeated publish sends nothing twice"
    );
    assert_eq!(count("/paid").await, 1);
    assert_eq!(count("/acc1").await, 1);
    assert_eq!(count("/all").await, 3);
    assert_eq!(count("/off").await, 0);
    h.stop().await;
}

#[tokio::test]
async fn publish_refuses_bad_events_and_writes_nothing() {
    let mut config = test_config();
    config.max_payload_bytes = 1024;
    let h = Harness::start(sqlite(config)).await;
    let k = Some(h.key.as_str());
    let big = json!({"type": "a.b", "data": {"blob": "x".repeat(2000)}});
    let (s, e) = h.api.call("POST", "/v1/events", k, Some(big)).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].clone()),
        (413, json!("payload_too_large")),
        "{e}"
    );
    assert_eq!(
        e["error"]["message"],
        "the event's data is larger than the limit of 1024 bytes"
    );
    assert_eq!(e["error"]["limit_bytes"], 1024);
    let huge = json!({"type": "a.b", "data": {"blob": "x".repeat(100 * 1024)}});
    let (s, e) = h.api.call("POST", "/v1/events", k, Some(huge)).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].clone()),
        (413, json!("payload_too_large")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("the request body is larger"),
        "{e}"
    );
    for (body, field) in [
        (json!({"type": "a.b", "data": [1]}), "data"),
        (json!({"type": "bad type", "data": {}}), "type"),
        (json!({"type": "a.b", "data": {}, "id": "has space"}), "id"),
        (json!({"type": "a.b"}), "body"),
    ] {
        let (s, e) = h
            .api
            .call("POST", "/v1/events", k, Some(body.clone()))
            .await;
        assert_eq!(
            (s.as_u16(), e["error"]["field"].clone()),
            (422, json!(field)),
            "{body}: {e}"
        );
    }
    // With a catalogue, unknown types are refused.
    let (s, _) = h
        .api
        .call(
            "POST",
            "/v1/event-types",
            k,
            Some(json!({"name": "known.type"})),
        )
        .await;
    assert_eq!(s.as_u16(), 201);
    let (s, e) = h
        .api
        .call(
            "POST",
            "/v1/events",
            k,
            Some(json!({"id": "evt-x", "type": "other.type", "data": {}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("type")),
        "{e}"
    );
    let (s, _) = h.api.call("GET", "/v1/events/evt-x", k, None).await;
    assert_eq!(s.as_u16(), 404, "a refused event is not stored");
    h.stop().await;
}

#[tokio::test]
async fn retry_after_pushes_the_next_attempt_later() {
    let receiver = Receiver::start();
    let mut config = test_config();
    config.retry_window = Duration::from_secs(20);
    let h = Harness::start(sqlite(config)).await;
    let url = receiver.configure("/busy", &[], &[429, 200], Some(3)).await;
    h.webhook(&url, json!({})).await;
    let out = h.publish(json!({"type": "a.b", "data": {}})).await;
    h.settled(out["id"].as_str().unwrap(), Duration::from_secs(15))
        .await;
    let got = receiver.log_for("/busy").await;
    assert_eq!(got.len(), 2);
    let gap = got[1]["received_at"].as_f64().unwrap() - got[0]["received_at"].as_f64().unwrap();
    assert!(
        gap >= 2.9,
        "Retry-After: 3 delays the retry past the 1 s interval, got {gap:.2}s"
    );
    h.stop().await;
}

/// Processes whatever the queue holds right now with `deliverer` (no worker running).
async fn drain(app: &Hookline, deliverer: &Deliverer) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for m in app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap()
    {
        outcomes.push(deliverer.process(&m.task).await.unwrap());
        app.queue.delete(&[m.receipt]).await.unwrap();
    }
    outcomes
}

#[tokio::test]
async fn deleted_or_disabled_webhooks_cancel_their_deliveries() {
    let receiver = Receiver::start();
    let app = sqlite(test_config());
    let api = Api::new(app.clone());
    let key = mint_key(
        &app,
        &unique("t"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    let k = Some(key.as_str());
    let url = receiver.configure("/gone", &[], &[200], None).await;
    let (_, a) = api
        .call("POST", "/v1/webhooks", k, Some(json!({"url": url})))
        .await;
    let (_, b) = api
        .call("POST", "/v1/webhooks", k, Some(json!({"url": url})))
        .await;
    let (_, out) = api
        .call(
            "POST",
            "/v1/events",
            k,
            Some(json!({"id": "evt-c", "type": "a.b", "data": {}})),
        )
        .await;
    assert_eq!(out["deliveries"], 2);
    api.call(
        "DELETE",
        &format!("/v1/webhooks/{}", a["id"].as_str().unwrap()),
        k,
        None,
    )
    .await;
    api.call(
        "PATCH",
        &format!("/v1/webhooks/{}", b["id"].as_str().unwrap()),
        k,
        Some(json!({"enabled": false})),
    )
    .await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    assert_eq!(
        drain(&app, &deliverer).await,
        vec![Outcome::Done, Outcome::Done]
    );
    let (_, ev) = api.call("GET", "/v1/events/evt-c", k, None).await;
    let mut reasons: Vec<String> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["status"], "cancelled");
            d["cancel_reason"].as_str().unwrap().to_string()
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons, vec!["webhook deleted", "webhook disabled"]);
    assert!(
        receiver.log_for("/gone").await.is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn refused_addresses_are_recorded_as_failed_attempts() {
    let mut config = test_config();
    config.allow_private_targets = false;
    let app = sqlite(config);
    let tenant = unique("t");
    let deliverer = Deliverer::new(app.clone()).unwrap();
    // Stored directly: the API already refuses these URLs at creation; the guard is the
    // second line, for names that resolve to a refused address later (DNS changes).
    for url in [
        "https://localhost:9/hook",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://224.0.0.1/",
        "https://0.0.0.0/",
    ] {
        let id = hookline::ids::new_id("wh");
        let w = webhook_record(&tenant, &id, url, &hookline::signing::generate_secret());
        app.store.create_webhook(&w, 100).await.unwrap();
        let out = hookline::publish::publish(
            &app,
            &tenant,
            serde_json::from_value(json!({"type": "a.b", "data": {}})).unwrap(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(out.deliveries, 1);
        let outcomes = drain(&app, &deliverer).await;
        assert!(
            matches!(outcomes[..], [Outcome::RetryIn(_)]),
            "{url}: retried later like any failure: {outcomes:?}"
        );
        let d = app
            .store
            .event_deliveries(&tenant, &out.id)
            .await
            .unwrap()
            .remove(0);
        let a = &d.attempts[0];
        assert_eq!(
            a.error_kind,
            Some(AttemptError::BlockedAddress),
            "{url}: {a:?}"
        );
        assert!(
            a.error
                .as_deref()
                .unwrap()
                .contains("not allowed as a webhook target"),
            "{url}: {a:?}"
        );
        assert_eq!(a.status_code, None);
        app.store.delete_webhook(&tenant, &id).await.unwrap();
    }
}

/// What Lambda's SQS event source does: receive, invoke the handler, delete what it did not
/// report as failed.
async fn lambda_poll(app: &Hookline, deliverer: &Deliverer) -> (usize, Vec<String>) {
    let received = app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap();
    let mut event = SqsEvent::default();
    for (i, m) in received.iter().enumerate() {
        let mut msg = SqsMessage::default();
        msg.message_id = Some(format!("m{i}"));
        msg.receipt_handle = Some(m.receipt.clone());
        msg.body = Some(serde_json::to_string(&m.task).unwrap());
        event.records.push(msg);
    }
    let resp = hookline::delivery::lambda::handle_batch(deliverer, event).await;
    let failed: Vec<String> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let done: Vec<String> = received
        .iter()
        .enumerate()
        .filter(|(i, _)| !failed.contains(&format!("m{i}")))
        .map(|(_, m)| m.receipt.clone())
        .collect();
    app.queue.delete(&done).await.unwrap();
    (received.len(), failed)
}

#[tokio::test]
async fn sqs_in_moto_hides_a_failed_delivery_for_the_retry_delay() {
    let receiver = Receiver::start();
    let mut config = test_config();
    config.retry_interval = Duration::from_secs(3);
    config.retry_window = Duration::from_secs(60);
    let app = aws(config).await;
    let api = Api::new(app.clone());
    let key = mint_key(
        &app,
        &unique("t"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    let k = Some(key.as_str());
    let fail_url = receiver
        .configure("/sqs-fail", &[], &[500, 200], None)
        .await;
    let ok_url = receiver.configure("/sqs-ok", &[], &[200], None).await;
    api.call("POST", "/v1/webhooks", k, Some(json!({"url": fail_url})))
        .await;
    api.call("POST", "/v1/webhooks", k, Some(json!({"url": ok_url})))
        .await;
    let (_, out) = api
        .call(
            "POST",
            "/v1/events",
            k,
            Some(json!({"id": "evt-sqs", "type": "a.b", "data": {}})),
        )
        .await;
    assert_eq!(out["deliveries"], 2);
    let deliverer = Deliverer::new(app.clone()).unwrap();

    let (n, failed) = lambda_poll(&app, &deliverer).await;
    assert_eq!(
        (n, failed.len()),
        (2, 1),
        "one delivery failed and was reported"
    );
    assert_eq!(receiver.log_for("/sqs-ok").await.len(), 1);
    assert_eq!(receiver.log_for("/sqs-fail").await.len(), 1); // The failed message is invisible until its next slot (3 s after the first attempt), the
    // succeeded one is gone.
    let (_, ev) = api.call("GET", "/v1/events/evt-sqs", k, None).await;
    let next: chrono::DateTime<Utc> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|d| d["next_attempt_at"].as_str())
        .expect("the failed delivery has a next attempt")
        .parse()
        .unwrap();
    let remaining = (next - Utc::now()).to_std().unwrap_or_default();
    assert!(
        remaining > Duration::from_millis(1000),
        "the retry is scheduled later: {remaining:?}"
    );
    tokio::time::sleep(remaining / 2).await;
    assert!(
        app.queue
            .receive(10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "nothing visible during the delay"
    );
    tokio::time::sleep(
        (next - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(500),
    )
    .await;
    let back = app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        back.len(),
        1,
        "the failed delivery came back after its delay"
    );
    assert_eq!(back[0].receive_count, 2);
    assert!(receiver.log_for("/sqs-fail").await.len() == 1);
    assert_eq!(
        deliverer.process(&back[0].task).await.unwrap(),
        Outcome::Done
    );
    app.queue.delete(&[back[0].receipt.clone()]).await.unwrap();
    let got = receiver.log_for("/sqs-fail").await;
    assert_eq!((got.len(), got[1]["status"].clone()), (2, json!(200)));
    let (_, ev) = api.call("GET", "/v1/events/evt-sqs", k, None).await;
    assert!(
        ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "succeeded"),
        "{ev}"
    );
    assert!(
        app.queue
            .receive(10, Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty(),
        "queue is empty"
    );
}
