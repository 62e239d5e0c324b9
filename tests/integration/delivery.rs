//! Publish to delivery, end to end: a real receiver on loopback checks every request with a
//! Standard Webhooks verifier and drives retries with its answers.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Utc;
use hookline::backend::Hookline;
use hookline::clock::ManualClock;
use hookline::delivery::{Deliverer, Outcome};
use hookline::ids::EventId;
use hookline::queue::{DeliveryRef, DeliveryTask, Receipt};
use hookline::store::sqlite::SqliteDb;
use hookline_client::types;
use hookline_tests::{
    Harness, PyReceiver, Receiver, aws, body, calls, drain, id, ok, refused, sqlite, test_config,
    typed_client,
};
use serde_json::json;

#[tokio::test]
async fn fails_twice_then_succeeds_with_attempts_spaced_by_the_interval() {
    // The official Python verifiers (standardwebhooks and svix) check every attempt.
    let receiver = PyReceiver::start();
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
    assert_eq!(out.deliveries, 1);
    let ds = h.settled(&out.id, Duration::from_secs(15)).await;
    assert_eq!(ds[0].status, types::DeliveryStatus::Succeeded);

    let got = receiver.log_for("/flaky").await;
    assert_eq!(got.len(), 3, "{got:#?}");
    for r in &got {
        assert_eq!(
            r.verified_by,
            [0],
            "standardwebhooks accepts every attempt: {r:?}"
        );
        assert_eq!(
            r.svix_ok.as_deref(),
            Some(&[0][..]),
            "svix accepts every attempt: {r:?}"
        );
        assert_eq!(
            r.webhook_id.as_deref(),
            Some(out.id.as_str()),
            "webhook-id is stable across retries"
        );
    }
    let body = got[0].json();
    assert_eq!(
        (
            body["type"].clone(),
            body["data"]["amount"].clone(),
            body["id"].clone()
        ),
        (json!("invoice.paid"), json!(42), json!(out.id))
    );

    let d = h.delivery(&wh, &ds[0].id).await;
    let attempts = d.attempts.unwrap();
    let codes: Vec<Option<i32>> = attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(200)]);
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.error_kind == Some(types::AttemptError::HttpStatus))
            .count(),
        2
    );
    assert!(
        attempts[0]
            .response_excerpt
            .as_deref()
            .unwrap()
            .contains("\"status\": 500")
    );
    for w in attempts.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= chrono::TimeDelta::milliseconds(950),
            "attempts spaced by the 1 s interval, got {gap}"
        );
    }
    let hook = ok(h.client.webhooks_read().id(wh.to_string()).send()).await;
    assert!(
        hook.last_triggered_at.is_some(),
        "last_triggered_at is kept"
    );
    h.stop().await;
}

#[tokio::test]
async fn always_failing_endpoint_is_failed_after_the_window() {
    // On a manual clock: the retry schedule and the queue's visibility follow it, so the test
    // advances time instead of sleeping through the window.
    let receiver = Receiver::start().await;
    let clock = ManualClock::new();
    let db = SqliteDb::in_memory()
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    let app = Hookline::with_sqlite(test_config(), db);
    let c = typed_client(&app).await;
    let url = receiver.configure("/down", &[], &[503], None).await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let out = calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let second = Duration::from_secs(1);
    // Attempts at 0, 1 and 2 s: the window of 2 s allows three, and no more are made.
    assert_eq!(drain(&app, &deliverer).await, [Outcome::RetryIn(second)]);
    assert_eq!(
        drain(&app, &deliverer).await,
        [],
        "hidden until its next slot"
    );
    clock.advance(second);
    assert_eq!(drain(&app, &deliverer).await, [Outcome::RetryIn(second)]);
    clock.advance(second);
    assert_eq!(drain(&app, &deliverer).await, [Outcome::Done]);
    clock.advance(second * 10);
    assert_eq!(
        drain(&app, &deliverer).await,
        [],
        "nothing left on the queue"
    );
    let ev = calls::read_event(&c, &out.id).await;
    let d = &ev.deliveries[0];
    assert_eq!(d.status, types::DeliveryStatus::Failed);
    assert!(d.next_attempt_at.is_none());
    assert_eq!(d.attempt_count, 3);
    let full = calls::read_delivery(&c, &w.id, &d.id).await;
    let at: Vec<i64> = full
        .attempts
        .unwrap()
        .iter()
        .map(|a| (a.at - full.created_at).num_seconds())
        .collect();
    assert_eq!(at, [0, 1, 2], "attempt times follow the clock");
    assert_eq!(receiver.log_for("/down").await.len(), 3);
}

#[tokio::test]
async fn a_duplicate_queue_message_is_not_sent_again() {
    let receiver = Receiver::start().await;
    let h = Harness::start(sqlite(test_config())).await;
    let url = receiver.configure("/once", &[], &[200], None).await;
    let (wh, _) = h.webhook(&url, json!({})).await;
    let out = h.publish(json!({"type": "a.b", "data": {"n": 1}})).await;
    let ds = h.settled(&out.id, Duration::from_secs(10)).await;
    receiver.wait_for("/once", 1, Duration::from_secs(5)).await;
    // SQS may deliver a message twice: put the same task on the queue again.
    let task = DeliveryTask::Scheduled(DeliveryRef {
        tenant_id: h.tenant.clone(),
        delivery_id: id(&ds[0].id),
        webhook_id: wh.clone(),
        event_id: id(&out.id),
        event_type: None,
        resent: false,
        expires_at: None,
        lean: false,
        ordered: false,
        body: Some("{}".into()),
    });
    // The worker stops; both copies are processed here, so that the test knows when they were.
    let (app, tenant) = (h.api.app.clone(), h.tenant.clone());
    h.stop().await;
    app.queue.send(&[task.clone(), task]).await.unwrap();
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let outcomes = drain(&app, &deliverer).await;
    assert_eq!(
        outcomes,
        [Outcome::Done, Outcome::Done],
        "both copies settled"
    );
    assert_eq!(
        receiver.log_for("/once").await.len(),
        1,
        "the receiver is not called again"
    );
    let d = app
        .store
        .get_delivery(&tenant, &wh, &id(&ds[0].id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.attempt_count(), 1);
}

#[tokio::test]
async fn fan_out_follows_event_and_account_filters_and_publish_is_idempotent() {
    let receiver = Receiver::start().await;
    let h = Harness::start(sqlite(test_config())).await;
    for (path, extra) in [
        ("/invoices", json!({"events": ["invoice.*"]})),
        ("/paid", json!({"events": ["order.paid"]})),
        ("/acc1", json!({"account_ids": ["acc_1"]})),
        ("/all", json!({})),
        ("/off", json!({"enabled": false})),
    ] {
        let url = receiver.configure(path, &[], &[200], None).await;
        h.webhook(&url, extra).await;
    }
    let event =
        json!({"id": "evt-a", "type": "invoice.created", "account_id": "acc_2", "data": {}});
    let out = h.publish(event.clone()).await;
    assert_eq!((out.deliveries, out.replayed), (2, false));
    let again = h.publish(event).await;
    assert_eq!(
        (again.deliveries, again.replayed, again.created_at),
        (2, true, out.created_at)
    );
    h.settled(&"evt-a", Duration::from_secs(10)).await;
    let out = h
        .publish(json!({"type": "order.paid", "account_id": "acc_1", "data": {}}))
        .await;
    assert_eq!(
        out.deliveries, 3,
        "order.paid for acc_1: /paid, /acc1, /all"
    );
    h.settled(&out.id, Duration::from_secs(10)).await;

    // Idempotency-Key works the same when no id is given.
    let headers = [("idempotency-key", "req-7")];
    let body = r#"{"type": "misc.thing", "data": {}}"#;
    let (s1, first) = h
        .api
        .call_raw("POST", "/v1/events", Some(&h.key), Some(body), &headers)
        .await;
    let (s2, replayed, second) = h
        .api
        .call_full("POST", "/v1/events", Some(&h.key), Some(body), &headers)
        .await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (202, 202));
    // The first answer again, marked as a replay.
    assert_eq!(first, second);
    assert_eq!(replayed["idempotent-replayed"], "true");
    let first_id: EventId = id(first["id"].as_str().unwrap());
    h.settled(&first_id, Duration::from_secs(10)).await;

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
        (json!({"type": 7, "data": {}}), "type"),
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
    let known = body::<types::EventTypeIn>(json!({"name": "known.type"}));
    ok(h.client.event_types_create().body(known).send()).await;
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
    let (s, _) = refused(h.client.events_read().id("evt-x".to_string()).send()).await;
    assert_eq!(s, 404, "a refused event is not stored");
    h.stop().await;
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
        msg.receipt_handle = Some(m.receipt.0.clone());
        msg.body = Some(m.task.encode());
        event.records.push(msg);
    }
    let resp = hookline::delivery::lambda::handle_batch(deliverer, event).await;
    let failed: Vec<String> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let done: Vec<Receipt> = received
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
    let receiver = Receiver::start().await;
    let mut config = test_config();
    config.retry_interval = Duration::from_secs(3);
    config.retry_window = Duration::from_secs(60);
    let app = aws(config).await;
    let c = typed_client(&app).await;
    let fail_url = receiver
        .configure("/sqs-fail", &[], &[500, 200], None)
        .await;
    let ok_url = receiver.configure("/sqs-ok", &[], &[200], None).await;
    calls::create_webhook(&c, json!({"url": fail_url})).await;
    calls::create_webhook(&c, json!({"url": ok_url})).await;
    let event = json!({"id": "evt-sqs", "type": "a.b", "data": {}});
    let out = calls::publish(&c, event).await;
    assert_eq!(out.deliveries, 2);
    let deliverer = Deliverer::new(app.clone()).unwrap();

    let (n, failed) = lambda_poll(&app, &deliverer).await;
    assert_eq!(
        (n, failed.len()),
        (2, 1),
        "one delivery failed and was reported"
    );
    assert_eq!(receiver.log_for("/sqs-ok").await.len(), 1);
    assert_eq!(receiver.log_for("/sqs-fail").await.len(), 1);
    // The failed message is invisible until its next slot (3 s after the first attempt), the
    // succeeded one is gone. SQS keeps real time, so this test waits for it.
    let ev = calls::read_event(&c, &"evt-sqs").await;
    let next = ev
        .deliveries
        .iter()
        .find_map(|d| d.next_attempt_at)
        .expect("the failed delivery has a next attempt");
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
    // At least its second receive: on a loaded machine moto has twice counted one more (the
    // delay, not the count, is what this test is about).
    assert!(back[0].receive_count >= 2, "{}", back[0].receive_count);
    assert!(receiver.log_for("/sqs-fail").await.len() == 1);
    assert_eq!(
        deliverer.process(&back[0].task).await.unwrap(),
        Outcome::Done
    );
    app.queue.delete(&[back[0].receipt.clone()]).await.unwrap();
    let got = receiver.log_for("/sqs-fail").await;
    assert_eq!((got.len(), got[1].status), (2, 200));
    let ev = calls::read_event(&c, &"evt-sqs").await;
    assert!(
        ev.deliveries
            .iter()
            .all(|d| d.status == types::DeliveryStatus::Succeeded),
        "{ev:?}"
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
