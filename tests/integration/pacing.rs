//! Deliveries on the receiver's terms: a webhook's `rate_limit` holds its deliveries to N a
//! second across every delivering process, without counting the wait as an attempt; a 429 or
//! 503 with `Retry-After` pauses the whole webhook; a run of 429s lowers the rate in force and
//! successes raise it back. Time is the injected clock on SQLite and real time on moto.

use std::time::Duration;

use hookline::api::deliveries::DeliveryOut;
use hookline::api::webhooks::WebhookOut;
use hookline::delivery::Deliverer;
use hookline::model::{Attempt, DeliveryStatus};
use hookline::service::events::PublishOut;
use hookline::stats::StatsOut;
use hookline_tests::{Api, Backend, Receiver, TestTime, client, test_config};
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

async fn publish_many(api: &Api, key: &str, n: usize) -> Vec<PublishOut> {
    #[derive(serde::Deserialize)]
    struct Batch {
        data: Vec<PublishOut>,
    }
    let mut out = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10) {
        let events: Vec<_> = chunk
            .iter()
            .map(|i| json!({"type": "order.paid", "data": {"n": i}}))
            .collect();
        let batch: Batch = api
            .post("/v1/events/batch", key, json!({"events": events}))
            .await;
        out.extend(batch.data);
    }
    out
}

/// Every delivery of `webhook`, with its attempts.
async fn deliveries(api: &Api, key: &str, webhook: &str) -> Vec<DeliveryOut> {
    #[derive(serde::Deserialize)]
    struct Listed {
        data: Vec<DeliveryOut>,
    }
    let listed: Listed = api
        .get(&format!("/v1/webhooks/{webhook}/deliveries?limit=100"), key)
        .await;
    let mut full = Vec::new();
    for d in listed.data {
        full.push(
            api.get(&format!("/v1/webhooks/{webhook}/deliveries/{}", d.id), key)
                .await,
        );
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
    let (api, key) = client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/paced", &[], &[200], None).await;
    let w: WebhookOut = api
        .post("/v1/webhooks", &key, json!({"url": url, "rate_limit": 5}))
        .await;
    assert_eq!((w.rate_limit, w.rate_limit_in_force), (Some(5), Some(5)));
    publish_many(&api, &key, 50).await;
    let deliverer = [Deliverer::new(app.clone()).unwrap()];
    deliver_until(&app, &deliverer, &time, &receiver, "/paced", 50).await;
    let ds = deliveries(&api, &key, w.id.as_str()).await;
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
    let stats: StatsOut = api.get(&format!("/v1/webhooks/{}/stats", w.id), &key).await;
    assert!(stats.all_time.held_back >= 45, "{:?}", stats.all_time);
    assert_eq!(stats.all_time.attempts.total, 50);
}

async fn two_processes_together_stay_within_the_limit(b: Backend) {
    let (app, time) = b.app_and_time(test_config()).await;
    let (api, key) = client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/shared", &[], &[200], None).await;
    let w: WebhookOut = api
        .post("/v1/webhooks", &key, json!({"url": url, "rate_limit": 10}))
        .await;
    publish_many(&api, &key, 60).await;
    let two = [
        Deliverer::new(app.clone()).unwrap(),
        Deliverer::new(app.clone()).unwrap(),
    ];
    deliver_until(&app, &two, &time, &receiver, "/shared", 60).await;
    let all = attempts(&deliveries(&api, &key, w.id.as_str()).await);
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
    let (api, key) = client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/busy", &[], &[429, 200], Some(2)).await;
    let other = receiver.configure("/other", &[], &[200], None).await;
    let w: WebhookOut = api.post("/v1/webhooks", &key, json!({"url": url})).await;
    let deliverer = [Deliverer::new(app.clone()).unwrap()];
    publish_many(&api, &key, 1).await;
    deliver_until(&app, &deliverer, &time, &receiver, "/busy", 1).await;
    let paused: WebhookOut = api.get(&format!("/v1/webhooks/{}", w.id), &key).await;
    let until = paused.health.paused_until.expect("paused after the 429");
    // Published while paused: held without a request; a webhook beside it is not.
    let _: WebhookOut = api.post("/v1/webhooks", &key, json!({"url": other})).await;
    publish_many(&api, &key, 2).await;
    deliver_until(&app, &deliverer, &time, &receiver, "/other", 2).await;
    assert_eq!(
        receiver.log_for("/busy").await.len(),
        1,
        "nothing during the pause"
    );
    let held = deliveries(&api, &key, w.id.as_str()).await;
    let waiting: Vec<_> = held.iter().filter(|d| d.attempt_count == 0).collect();
    assert_eq!(waiting.len(), 2);
    for d in &waiting {
        assert_eq!(d.status, DeliveryStatus::Pending);
        let why = d.deferred_reason.as_deref().unwrap_or_default();
        assert!(why.contains("Retry-After"), "{why}");
    }
    deliver_until(&app, &deliverer, &time, &receiver, "/busy", 3).await;
    let all = attempts(&deliveries(&api, &key, w.id.as_str()).await);
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
    let (api, key) = client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver
        .configure("/slow", &[], &[429, 429, 200], None)
        .await;
    let w: WebhookOut = api
        .post("/v1/webhooks", &key, json!({"url": url, "rate_limit": 8}))
        .await;
    let deliverer = [Deliverer::new(app.clone()).unwrap()];
    let in_force = || async {
        let w: WebhookOut = api.get(&format!("/v1/webhooks/{}", w.id), &key).await;
        assert_eq!(w.rate_limit, Some(8), "the limit set does not change");
        w.rate_limit_in_force.unwrap()
    };
    let mut seen = vec![in_force().await];
    for n in 1..=12 {
        publish_many(&api, &key, 1).await;
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
    let (_, list) = api.call("GET", "/v1/webhooks", Some(&key), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "nothing created");
    let w: WebhookOut = api
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": "https://a.example.com/", "rate_limit": 10000}),
        )
        .await;
    assert_eq!(w.rate_limit, Some(10_000));
    let path = format!("/v1/webhooks/{}", w.id);
    let v = api
        .expect(422, "PATCH", &path, &key, Some(json!({"rate_limit": 0})))
        .await;
    assert_eq!(v["error"]["field"], "rate_limit", "{v}");
    let patched: WebhookOut = api
        .ok("PATCH", &path, &key, Some(json!({"rate_limit": null})))
        .await;
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
