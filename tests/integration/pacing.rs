//! Deliveries on the receiver's terms: a webhook's `rate_limit` holds its deliveries to N a
//! second across every delivering process, without counting the wait as an attempt; a 429 or
//! 503 with `Retry-After` pauses the whole webhook; a run of 429s lowers the rate in force and
//! successes raise it back. Time is the injected clock on SQLite and real time on moto.

use std::time::Duration;

use hookline::delivery::Deliverer;
use hookline_client::Client;
use hookline_client::types::{self, Attempt, DeliveryOut, DeliveryStatus};
use hookline_tests::{
    Backend, Receiver, TestTime, body, calls, client, ok, refused, test_config, typed_client,
};
use serde_json::json;

/// Runs `deliverers` side by side over the queue, as separate processes (or Lambda
/// invocations) would, letting time pass between rounds, until `n` requests reached `path`.
async fn deliver_until(
    app: &hookline::backend::Hookline,
    deliverers: &[Deliverer],
    time: &TestTime,
    receiver: &Receiver,
    path: &str,
    n: usize,
) {
    for _ in 0..3000 {
        if receiver.log_for(path).await.len() >= n {
            return;
        }
        // Held deliveries come back at their slots, not behind fresh ones.
        time.settle(app, deliverers).await;
        // On moto (which serves one call at a time) a slower poll leaves room for the tests
        // beside this one.
        time.pass(Duration::from_millis(match time {
            TestTime::Manual(_) => 100,
            TestTime::Real => 200,
        }))
        .await;
    }
    panic!(
        "{path}: {} of {n} requests arrived",
        receiver.log_for(path).await.len()
    );
}

async fn publish_many(c: &Client, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(10) {
        let events: Vec<_> = chunk
            .iter()
            .map(|i| json!({"type": "order.paid", "data": {"n": i}}))
            .collect();
        calls::publish_batch(c, events).await;
    }
}

/// Every delivery of `webhook`, with its attempts.
async fn deliveries(c: &Client, webhook: &types::WebhookId) -> Vec<DeliveryOut> {
    let list = c.deliveries_list().id(webhook.to_string()).limit(100u64);
    let mut full = Vec::new();
    for d in ok(list.send()).await.data {
        full.push(calls::read_delivery(c, webhook, &d.id).await);
    }
    full
}

fn attempts(ds: &[DeliveryOut]) -> Vec<Attempt> {
    let mut all: Vec<Attempt> = ds
        .iter()
        .flat_map(|d| d.attempts.clone().unwrap_or_default())
        .collect();
    all.sort_by_key(|a| a.at);
    all
}

/// Checks that `attempts` kept to `limit` a second: over the whole run (after the first
/// second's, which may all go at once) at most 10 % over it; on the injected clock, where a
/// hold ends exactly at its slot, no one-second window holds more than `limit`. (On SQS a
/// hold lasts whole seconds, so deliveries go in clumps at the second.)
fn assert_paced(attempts: &[Attempt], limit: usize, time: &TestTime) {
    let (first, last) = (attempts[0].at, attempts.last().unwrap().at);
    let seconds = (last - first).as_seconds_f64();
    let rate = (attempts.len() - limit) as f64 / seconds;
    println!(
        "{} deliveries in {seconds:.2} s: {rate:.2}/s against {limit}/s",
        attempts.len()
    );
    assert!(rate <= limit as f64 * 1.1, "{rate:.2}/s against {limit}/s");
    if let TestTime::Manual(_) = time {
        for (i, a) in attempts.iter().enumerate() {
            let window = attempts[i..]
                .iter()
                .take_while(|b| b.at - a.at < chrono::TimeDelta::seconds(1))
                .count();
            assert!(
                window <= limit,
                "{window} in the second from {}: {:?}",
                a.at,
                attempts.iter().map(|a| a.at.time()).collect::<Vec<_>>()
            );
        }
    }
}

async fn a_limit_of_5_a_second_holds_50_deliveries_to_9_seconds(b: Backend) {
    let (app, time) = b.app_and_time(test_config()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/paced", &[], &[200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url, "rate_limit": 5})).await;
    assert_eq!((w.rate_limit, w.rate_limit_in_force), (Some(5), Some(5)));
    publish_many(&c, 50).await;
    let deliverer = [Deliverer::new(app.clone()).unwrap()];
    deliver_until(&app, &deliverer, &time, &receiver, "/paced", 50).await;
    let ds = deliveries(&c, &w.id).await;
    assert_eq!(ds.len(), 50);
    for d in &ds {
        assert_eq!(d.status, DeliveryStatus::Succeeded, "{d:?}");
        assert_eq!(d.attempt_count, 1, "the wait is not an attempt: {d:?}");
    }
    let all = attempts(&ds);
    let span = all.last().unwrap().at - all[0].at;
    assert!(
        span >= chrono::TimeDelta::seconds(9),
        "50 at 5/s took {span}"
    );
    assert_paced(&all, 5, &time);
    assert_eq!(receiver.log_for("/paced").await.len(), 50, "each sent once");
    let stats = ok(c.webhooks_stats().id(w.id.to_string()).send()).await;
    assert!(stats.all_time.held_back >= Some(45), "{:?}", stats.all_time);
    assert_eq!(stats.all_time.attempts.total, 50);
}

async fn two_processes_together_stay_within_the_limit(b: Backend) {
    let (app, time) = b.app_and_time(test_config()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/shared", &[], &[200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url, "rate_limit": 10})).await;
    publish_many(&c, 60).await;
    let two = [
        Deliverer::new(app.clone()).unwrap(),
        Deliverer::new(app.clone()).unwrap(),
    ];
    deliver_until(&app, &two, &time, &receiver, "/shared", 60).await;
    let all = attempts(&deliveries(&c, &w.id).await);
    assert_eq!(all.len(), 60);
    assert_paced(&all, 10, &time);
}

/// The test schedule, except that a failed attempt's retry comes after the test is over.
fn retries_after_the_test() -> hookline::config::Config {
    hookline::config::Config {
        retry_interval: Duration::from_secs(60),
        retry_window: Duration::from_secs(600),
        ..test_config()
    }
}

async fn retry_after_pauses_the_whole_webhook(b: Backend) {
    let (app, time) = b.app_and_time(retries_after_the_test()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/busy", &[], &[429, 200], Some(2)).await;
    let other = receiver.configure("/other", &[], &[200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let deliverer = [Deliverer::new(app.clone()).unwrap()];
    publish_many(&c, 1).await;
    deliver_until(&app, &deliverer, &time, &receiver, "/busy", 1).await;
    let paused = calls::read_webhook(&c, &w.id).await;
    let until = paused.health.paused_until.expect("paused after the 429");
    // Published while paused: held without a request; a webhook beside it is not.
    calls::create_webhook(&c, json!({"url": other})).await;
    publish_many(&c, 2).await;
    deliver_until(&app, &deliverer, &time, &receiver, "/other", 2).await;
    assert_eq!(
        receiver.log_for("/busy").await.len(),
        1,
        "nothing during the pause"
    );
    let held = deliveries(&c, &w.id).await;
    let waiting: Vec<_> = held.iter().filter(|d| d.attempt_count == 0).collect();
    assert_eq!(waiting.len(), 2);
    for d in &waiting {
        assert_eq!(d.status, DeliveryStatus::Pending);
        let why = d.deferred_reason.as_deref().unwrap_or_default();
        assert!(why.contains("Retry-After"), "{why}");
    }
    deliver_until(&app, &deliverer, &time, &receiver, "/busy", 3).await;
    let all = attempts(&deliveries(&c, &w.id).await);
    let first = all[0].at;
    assert_eq!(all[0].status_code, Some(429));
    assert!(until - first >= chrono::TimeDelta::milliseconds(1900));
    for a in &all[1..] {
        assert!(
            a.at - first >= chrono::TimeDelta::seconds(2),
            "an attempt {} after the 429 that asked for 2 s",
            a.at - first
        );
    }
}

async fn a_run_of_429s_lowers_the_rate_and_successes_raise_it(b: Backend) {
    let (app, time) = b.app_and_time(retries_after_the_test()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver
        .configure("/slow", &[], &[429, 429, 200], None)
        .await;
    let w = calls::create_webhook(&c, json!({"url": url, "rate_limit": 8})).await;
    let deliverer = [Deliverer::new(app.clone()).unwrap()];
    let in_force = || async {
        let w = calls::read_webhook(&c, &w.id).await;
        assert_eq!(w.rate_limit, Some(8), "the limit set does not change");
        w.rate_limit_in_force.unwrap()
    };
    let mut seen = vec![in_force().await];
    for n in 1..=12 {
        publish_many(&c, 1).await;
        deliver_until(&app, &deliverer, &time, &receiver, "/slow", n).await;
        seen.push(in_force().await);
        time.pass(Duration::from_millis(1100)).await;
    }
    assert_eq!(&seen[..3], [8, 4, 2], "each 429 halves it: {seen:?}");
    assert!(
        seen.windows(2).skip(2).all(|p| p[1] >= p[0]),
        "successes only raise it: {seen:?}"
    );
    assert_eq!(*seen.last().unwrap(), 8, "back at the limit: {seen:?}");
}

async fn a_rate_limit_out_of_range_is_a_422_and_null_removes_it(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    // Out of range or not a number: bad input on purpose, sent raw.
    for bad in [json!(0), json!(10_001), json!(-1), json!("fast")] {
        let (s, v) = api
            .call(
                "POST",
                "/v1/webhooks",
                Some(&key),
                Some(json!({"url": "https://a.example.com/", "rate_limit": bad})),
            )
            .await;
        assert!(s == 422 || s == 400, "{bad}: {s} {v}");
        assert!(v["error"].to_string().contains("rate_limit"), "{v}");
    }
    let list = ok(c.webhooks_list().send()).await;
    assert!(list.data.is_empty(), "nothing created");
    let w = calls::create_webhook(
        &c,
        json!({"url": "https://a.example.com/", "rate_limit": 10000}),
    )
    .await;
    assert_eq!(w.rate_limit, Some(10_000));
    let patch = c.webhooks_patch().id(w.id.to_string());
    let zero = body::<types::WebhookPatchIn>(json!({"rate_limit": 0}));
    let (s, e) = refused(patch.body(zero).send()).await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("rate_limit")),
        "{e:?}"
    );
    // `null` removes it: a body only patch_json can send.
    let path = format!("/v1/webhooks/{}", w.id);
    let patched: types::WebhookOut =
        hookline_client::patch_json(&c, &path, &json!({"rate_limit": null}))
            .await
            .unwrap();
    assert_eq!(
        (patched.rate_limit, patched.rate_limit_in_force),
        (None, None)
    );
}

hookline_tests::per_backend!(
    a_limit_of_5_a_second_holds_50_deliveries_to_9_seconds,
    two_processes_together_stay_within_the_limit,
    retry_after_pauses_the_whole_webhook,
    a_run_of_429s_lowers_the_rate_and_successes_raise_it,
    a_rate_limit_out_of_range_is_a_422_and_null_removes_it,
);
