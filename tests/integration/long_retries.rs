//! A retry schedule of any length loses nothing: a delivery failing for its whole window (1 s
//! apart) has every attempt recorded and sent once, ends `failed` on time, and its record stays
//! small (the latest attempts inline, the rest stored apart). On the manual clock the window
//! is 150 s: 151 attempts. On SQS, whose delays are real seconds, it is 60 s (fewer attempts
//! where real processing time makes them later than their slots, since the window's end is
//! kept), run through the delivery function's handler with a receive limit of 20, well below
//! the attempt count: the message is replaced, at least twice, before SQS would move it to the
//! dead-letter queue.

use std::time::Duration;

use hookline::config::Config;
use hookline::delivery::Deliverer;
use hookline::model::INLINE_ATTEMPTS;
use hookline_client::types::{self, DeliveryStatus};
use hookline_tests::{Backend, Receiver, TestTime, calls, client, drain, lambda_poll, test_config};
use serde_json::json;

async fn a_long_schedule_is_recorded_in_full(b: Backend) {
    let window_s = match b {
        Backend::Sqlite => 150,
        Backend::Dynamo => 60,
    };
    let config = Config {
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(window_s),
        // The test queue moves a message to its DLQ after 100 receives.
        max_receive_count: 20,
        ..test_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    let receiver = Receiver::start().await;
    let path = format!("/long-{}", b.name().replace('+', "-"));
    let url = receiver.configure(&path, &[], &[500], None).await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let e = calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let started = std::time::Instant::now();
    loop {
        match &time {
            TestTime::Manual(_) => {
                drain(&app, &deliverer).await;
            }
            TestTime::Real => {
                lambda_poll(&app, &deliverer).await;
            }
        }
        let d = delivery(&c, &e.id).await;
        if d.status != DeliveryStatus::Pending {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "still pending after 10 minutes: {d:?}"
        );
        match &time {
            TestTime::Manual(_) => time.pass(Duration::from_secs(1)).await,
            TestTime::Real => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let d = delivery(&c, &e.id).await;
    assert_eq!(d.status, DeliveryStatus::Failed, "{d:?}");
    let full = calls::read_delivery(&c, &w.id, &d.id).await;
    let attempts = full.attempts.unwrap();
    match time {
        TestTime::Manual(_) => assert_eq!(attempts.len(), 151, "one per slot"),
        // Each receive and settle takes real time: the attempts drift behind their slots (on a
        // busy machine, 39 of 61). What must hold is that the message was replaced at least
        // twice: a copy is sent in its place from its 16th receive (a fifth below the limit
        // of 20), so more than 32 attempts took at least two copies.
        TestTime::Real => {
            let replaced_from = 20 - 20 / 5;
            assert!(
                attempts.len() > 2 * replaced_from,
                "{} attempts: fewer than two replacements",
                attempts.len()
            )
        }
    }
    // The window's end is kept: the last attempt starts no later than its last call (on SQS,
    // plus the time a visible message may wait for this test's next poll on a busy machine).
    let window = chrono::TimeDelta::seconds(window_s as i64);
    let spread = chrono::TimeDelta::seconds(1);
    let slack = match time {
        TestTime::Manual(_) => chrono::TimeDelta::zero(),
        TestTime::Real => chrono::TimeDelta::seconds(3),
    };
    let last = attempts.last().unwrap().at;
    let over = last - (attempts[0].at + window + spread);
    assert!(
        over <= slack,
        "the last attempt came {over} after its last call"
    );
    assert_eq!(attempts.len() as u64, full.attempt_count);
    assert!(attempts.iter().all(|a| a.status_code == Some(500)));
    assert!(attempts.windows(2).all(|p| p[0].at <= p[1].at), "in order");
    // Every attempt was one POST: none sent twice, none lost.
    let got = receiver.log_for(&path).await;
    assert_eq!(got.len(), attempts.len(), "POSTs vs recorded attempts");
    // The record holds the latest few; it stays far below DynamoDB's limits.
    let record = app
        .store
        .get_delivery(
            &hookline_tests::tenant_of(&app, &key).await,
            &hookline_tests::id(&d.webhook_id),
            &hookline_tests::id(&d.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.attempts.len(), INLINE_ATTEMPTS);
    let size = serde_json::to_string(&record).unwrap().len();
    assert!(size < 8 * 1024, "the record is {size} bytes");
}

async fn delivery(c: &hookline_client::Client, event: &types::EventId) -> types::DeliveryOut {
    calls::read_event(c, event).await.deliveries.remove(0)
}

hookline_tests::per_backend!(a_long_schedule_is_recorded_in_full);
