//! One endpoint's trouble stays its own: the circuit breaker (opens, defers without a request,
//! probes, closes; never past the retry window; manual sends go through), the per-endpoint cap
//! in flight, the embedded queue's fairness, `MessageGroupId` on SQS, auto-disable, and nothing
//! lost on the way. Time is a manual clock on SQLite and real time on SQS.

use std::time::Duration;

use hookline::config::Config;
use hookline::delivery::{Deliverer, Outcome};
use hookline_client::Client;
use hookline_client::types::{self, BreakerState, DeliveryOut, DeliveryStatus};
use hookline_tests::{
    Backend, Harness, Receiver, TestTime, body, calls, drain, ok, test_config, typed_client,
};
use serde_json::json;

/// Two failures open the breaker for 1 s (doubling, at most the 4 s retry interval).
fn breaker_config() -> Config {
    Config {
        retry_interval: Duration::from_secs(4),
        retry_window: Duration::from_secs(60),
        breaker_threshold: 2,
        breaker_open: Duration::from_secs(1),
        ..test_config()
    }
}

/// On SQS the delays are real: a little slack for the message to be visible again.
async fn pass(time: &TestTime, d: Duration) {
    match time {
        TestTime::Manual(_) => time.pass(d).await,
        TestTime::Real => time.pass(d + Duration::from_millis(400)).await,
    }
}

pub(crate) async fn webhook(c: &Client, url: &str) -> types::WebhookOut {
    calls::create_webhook(c, json!({"url": url})).await
}

async fn read(c: &Client, w: &types::WebhookOut) -> types::WebhookOut {
    calls::read_webhook(c, &w.id).await
}

pub(crate) async fn publish(c: &Client, n: usize) -> Vec<types::PublishOut> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(calls::publish(c, json!({"type": "a.b", "data": {"i": i}})).await);
    }
    out
}

async fn deliveries(c: &Client, events: &[types::PublishOut]) -> Vec<types::DeliveryOut> {
    let mut out = Vec::new();
    for e in events {
        out.extend(calls::read_event(c, &e.id).await.deliveries);
    }
    out
}

async fn breaker_opens_defers_probes_and_closes(b: Backend) {
    let name = b.name().replace('+', "-");
    // On SQS time is real, and moto serves one call at a time: twice the periods, so that a
    // busy machine still looks again well inside each one.
    let unit = match b {
        Backend::Sqlite => Duration::from_secs(1),
        Backend::Dynamo => Duration::from_secs(2),
    };
    let config = Config {
        retry_interval: unit * 4,
        breaker_open: unit,
        ..breaker_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/dead-{name}");
    let url = receiver.configure(&path, &[], &[503], None).await;
    let w = webhook(&c, &url).await;
    assert_eq!(w.health.state, BreakerState::Closed);
    let events = publish(&c, 4).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();

    // Two failures open the breaker; the other two deliveries wait without a request.
    let outcomes = drain(&app, &deliverer).await;
    assert_eq!(outcomes.len(), 4, "{name}: {outcomes:?}");
    assert_eq!(receiver.log_for(&path).await.len(), 2, "{name}");
    let open = read(&c, &w).await;
    assert_eq!(
        open.health.state,
        BreakerState::Open,
        "{name}: {:?}",
        open.health
    );
    assert_eq!(open.health.consecutive_failures, 2);
    assert!(open.health.open_until.is_some() && open.health.last_failure_at.is_some());
    let ds = deliveries(&c, &events).await;
    let deferred: Vec<&DeliveryOut> = ds.iter().filter(|d| d.attempt_count == 0).collect();
    assert_eq!(deferred.len(), 2, "{name}");
    for d in &deferred {
        assert_eq!(d.status, DeliveryStatus::Pending);
        assert!(
            d.deferred_reason
                .as_deref()
                .unwrap()
                .contains("circuit breaker is open"),
            "{name}: the log says why: {d:?}"
        );
        assert!(d.next_attempt_at.is_some());
    }

    // The open period ends: one delivery goes out as the probe; it fails, and the breaker
    // opens again for twice as long, the other due delivery deferred.
    pass(&time, unit).await;
    drain(&app, &deliverer).await;
    assert_eq!(receiver.log_for(&path).await.len(), 3, "{name}: one probe");
    let reopened = read(&c, &w).await;
    assert_eq!(reopened.health.state, BreakerState::Open);
    assert_eq!(reopened.health.consecutive_failures, 3);

    // Nothing is sent while it is open.
    pass(&time, unit).await;
    drain(&app, &deliverer).await;
    assert_eq!(receiver.log_for(&path).await.len(), 3, "{name}: still open");

    // The endpoint recovers: the next probe succeeds and closes the breaker.
    receiver.configure(&path, &[], &[200], None).await;
    pass(&time, unit).await;
    drain(&app, &deliverer).await;
    assert!(
        receiver.log_for(&path).await.len() >= 4,
        "{name}: the probe"
    );
    assert_eq!(
        read(&c, &w).await.health.state,
        BreakerState::Closed,
        "{name}"
    );
    // The failed ones come back on their schedule and go out.
    pass(&time, unit * 2).await;
    for _ in 0..3 {
        drain(&app, &deliverer).await;
    }
    let ds = deliveries(&c, &events).await;
    assert!(
        ds.iter().all(|d| d.status == DeliveryStatus::Succeeded),
        "{name}: {ds:#?}"
    );
    assert!(ds.iter().all(|d| d.deferred_reason.is_none()));
    assert_eq!(
        receiver.log_for(&path).await.len(),
        3 + 4,
        "{name}: two failures, a failed probe, then each delivery once"
    );
    let closed = read(&c, &w).await;
    assert_eq!(closed.health.state, BreakerState::Closed);
    assert_eq!(closed.health.consecutive_failures, 0);
    assert!(closed.health.last_success_at.is_some());
}

/// A delivery the breaker holds back until its window ends gets a last attempt anyway: none
/// ends `failed` without a request, and each ends by its window's end, plus the spread of last
/// calls, plus one attempt's timeout.
async fn a_deferred_delivery_gets_its_last_call_when_its_window_ends(b: Backend) {
    let name = b.name().replace('+', "-");
    // Open for 10 s, but the window ends after 2 s (and allows one automatic attempt each).
    let config = Config {
        retry_interval: Duration::from_secs(4),
        retry_window: Duration::from_secs(2),
        breaker_open: Duration::from_secs(10),
        ..breaker_config()
    };
    let policy = hookline::delivery::policy::RetryPolicy {
        interval: config.retry_interval,
        window: config.retry_window,
    };
    let bound = config.retry_window + policy.spread() + config.delivery_timeout;
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/window-{name}");
    let url = receiver.configure(&path, &[], &[503], None).await;
    webhook(&c, &url).await;
    let events = publish(&c, 3).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let outcomes = drain(&app, &deliverer).await;
    // Two failures open the breaker; the third waits for its last call (window plus its share
    // of the spread), not for the breaker's 10 s.
    let Outcome::RetryIn(wait) = outcomes[2] else {
        panic!("{name}: {outcomes:?}")
    };
    assert!(
        wait <= Duration::from_secs(2) + policy.spread(),
        "{name}: {wait:?}"
    );
    let deferred: Vec<DeliveryOut> = deliveries(&c, &events).await;
    assert!(
        deferred.iter().any(|d| d.attempt_count == 0
            && d.deferred_reason
                .as_deref()
                .is_some_and(|r| r.contains("circuit breaker"))),
        "{name}: one is deferred, with the reason: {deferred:#?}"
    );
    for _ in 0..8 {
        pass(&time, Duration::from_secs(1)).await;
        drain(&app, &deliverer).await;
    }
    let ds = deliveries(&c, &events).await;
    for d in &ds {
        assert_eq!(d.status, DeliveryStatus::Failed, "{name}: {d:#?}");
        assert!(
            d.attempt_count >= 1,
            "{name}: failed without an attempt: {d:#?}"
        );
        let ended = (d.updated_at - d.created_at).to_std().unwrap();
        assert!(
            ended <= bound + Duration::from_secs(1),
            "{name}: ended after {ended:?}: {d:#?}"
        );
    }
    assert_eq!(
        receiver.log_for(&path).await.len(),
        3,
        "{name}: two requests opened the breaker, the third is the last call"
    );
}

async fn a_manual_retry_and_a_test_event_go_through_an_open_breaker(b: Backend) {
    let name = b.name().replace('+', "-");
    let (app, _time) = b.app_and_time(breaker_config()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/manual-{name}");
    let url = receiver.configure(&path, &[], &[503], None).await;
    let w = webhook(&c, &url).await;
    let events = publish(&c, 2).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    assert_eq!(read(&c, &w).await.health.state, BreakerState::Open);
    let d = &deliveries(&c, &events[..1]).await[0];
    let retry = c.deliveries_retry().id(w.id.to_string());
    ok(retry.delivery_id(d.id.clone()).send()).await;
    let test = c.webhooks_send_test().id(w.id.to_string());
    ok(test.body(body::<types::TestIn>(json!({}))).send()).await;
    drain(&app, &deliverer).await;
    let got = receiver.log_for(&path).await;
    assert_eq!(
        got.len(),
        4,
        "{name}: the retry and the test event were sent"
    );
    assert!(got[3].json()["type"] == "webhook.test" || got[2].json()["type"] == "webhook.test");
}

async fn auto_disable_after_failing_for_the_period(b: Backend) {
    let name = b.name().replace('+', "-");
    let config = Config {
        retry_interval: Duration::from_secs(1),
        breaker_threshold: 100,
        auto_disable_after: Duration::from_secs(2),
        ..breaker_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/failing-{name}");
    let url = receiver.configure(&path, &[], &[500], None).await;
    let w = webhook(&c, &url).await;
    publish(&c, 1).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    pass(&time, Duration::from_secs(1)).await;
    drain(&app, &deliverer).await;
    assert!(read(&c, &w).await.enabled, "{name}: failing for 1 s only");
    pass(&time, Duration::from_secs(1)).await;
    drain(&app, &deliverer).await;
    let off = read(&c, &w).await;
    assert!(!off.enabled, "{name}: disabled after 2 s of failures");
    assert!(
        off.disabled_reason
            .as_deref()
            .unwrap()
            .contains("no successful delivery"),
        "{name}: {:?}",
        off.disabled_reason
    );
    assert!(off.disabled_at.is_some());
    // Re-enabling clears the reason and starts the endpoint's record over.
    let on = calls::patch_webhook(&c, &w.id, json!({"enabled": true})).await;
    assert!(on.enabled && on.disabled_reason.is_none() && on.disabled_at.is_none());
    assert_eq!(on.health.consecutive_failures, 0, "{name}");
    assert_eq!(read(&c, &w).await.health.consecutive_failures, 0);
}

async fn nothing_is_lost_and_the_healthy_endpoint_gets_each_event_once(b: Backend) {
    let name = b.name().replace('+', "-");
    let config = Config {
        retry_window: Duration::from_secs(3),
        breaker_threshold: 2,
        breaker_open: Duration::from_secs(1),
        ..test_config()
    };
    let h = Harness::start(b.app(config).await).await;
    let receiver = Receiver::start().await;
    let (ok, dead) = (format!("/ok-{name}"), format!("/down-{name}"));
    h.webhook(&receiver.configure(&ok, &[], &[200], None).await, json!({}))
        .await;
    h.webhook(
        &receiver.configure(&dead, &[], &[503], None).await,
        json!({}),
    )
    .await;
    let mut events = Vec::new();
    for i in 0..20 {
        events.push(h.publish(json!({"type": "a.b", "data": {"i": i}})).await);
    }
    let mut dead_attempts = 0;
    for e in &events {
        let ds = h.settled(&e.id, Duration::from_secs(30)).await;
        assert_eq!(ds.len(), 2);
        for d in ds {
            if receiver_is(&h, &d, &ok).await {
                assert_eq!(d.status, DeliveryStatus::Succeeded, "{name}: {d:?}");
            } else {
                assert_eq!(d.status, DeliveryStatus::Failed, "{name}: {d:?}");
                // Held back by the open breaker, it still got its last call.
                assert!(d.attempt_count >= 1, "{name}: failed unsent: {d:?}");
                dead_attempts += d.attempt_count;
            }
        }
    }
    let got = receiver.log_for(&ok).await;
    let mut ids: Vec<String> = got.iter().map(|r| r.webhook_id.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (20, 20), "{name}: each event once");
    // The dead endpoint got the threshold, the probes, and each delivery's last call: every
    // request it got is an attempt in the log, and no more than the schedule allows.
    let dead_log = receiver.log_for(&dead).await;
    let t0 = dead_log[0].received_at;
    let at: Vec<String> = dead_log
        .iter()
        .map(|r| format!("{:.3}", r.received_at - t0))
        .collect();
    println!(
        "{name}: {} requests reached the dead endpoint, at {at:?}",
        dead_log.len()
    );
    let mut tried: Vec<String> = dead_log
        .iter()
        .map(|r| r.webhook_id.clone().unwrap())
        .collect();
    tried.sort();
    tried.dedup();
    assert_eq!(tried.len(), 20, "{name}: each delivery tried: {at:?}");
    assert_eq!(
        dead_log.len() as u64,
        dead_attempts,
        "{name}: every request is logged"
    );
    h.stop().await;
}

/// Whether a delivery's webhook points at `path` of the receiver.
async fn receiver_is(h: &Harness, d: &types::DeliveryOut, path: &str) -> bool {
    let w = ok(h.client.webhooks_read().id(d.webhook_id.to_string()).send()).await;
    w.url.ends_with(path)
}

hookline_tests::per_backend!(
    breaker_opens_defers_probes_and_closes,
    a_deferred_delivery_gets_its_last_call_when_its_window_ends,
    a_manual_retry_and_a_test_event_go_through_an_open_breaker,
    auto_disable_after_failing_for_the_period,
    nothing_is_lost_and_the_healthy_endpoint_gets_each_event_once,
);
