//! AWS faults: both functions' handlers, as Lambda runs them, on DynamoDB and SQS (moto) behind
//! tests/cost_proxy.py, which fails a share of their calls the ways AWS does: throttling, 500s,
//! a call carried out whose answer is lost, partial batches (failed entries in
//! `SendMessageBatch` and `DeleteMessageBatch`, unprocessed keys in `BatchGetItem`), cancelled
//! transactions. A publisher retries what was not answered 2xx, with the same event id, as a
//! platform does; Lambda's event source hands back what the handler reports as failed.
//!
//! What must hold at 0 %, 5 % and 20 % faults: every event answered 2xx is delivered, none
//! lost, no delivery left pending, and the log (read under the same faults) says so; duplicate
//! POSTs (at-least-once) stay few. Each run prints
//! its figures:
//!
//!   cargo test -p hookline-tests --test integration aws_faults -- --nocapture

use std::collections::HashSet;
use std::time::{Duration, Instant};

use hookline::api::events::EventOut;
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::delivery::Deliverer;
use hookline::ids::WebhookId;
use hookline::model::{DeliveryStatus, Scope};
use hookline_tests::{
    Killed, Receiver, api_event, aws_at, aws_proxy, invoke_api, mint_key, moto_endpoint,
    post_event, test_config, unique,
};
use serde_json::{Value, json};

/// Events per run: four batches of ten and twenty single publishes.
const BATCHES: usize = 4;
const SINGLES: usize = 20;

/// Sets the proxy's faults (`POST /_faults`: see tests/cost_proxy.py).
async fn post_faults(proxy: &str, conf: Value) {
    reqwest::Client::new()
        .post(format!("{proxy}/_faults"))
        .body(conf.to_string())
        .send()
        .await
        .unwrap();
}

async fn set_faults(proxy: &str, rate: f64, seed: u64) {
    post_faults(proxy, json!({"rate": rate, "seed": seed})).await;
}

/// Hookline on moto behind the fault proxy, a receiver path that answers 200, and a key of a
/// fresh tenant that may manage webhooks and publish.
struct Rig {
    proxy: String,
    _proxy: Killed,
    app: Hookline,
    receiver: Receiver,
    /// This run's name (`prefix_…`), in its event ids and its receiver path.
    run: String,
    path: String,
    url: String,
    key: String,
}

async fn rig(config: Config, prefix: &str) -> Rig {
    let (proxy, _proxy) = aws_proxy(&moto_endpoint());
    let app = aws_at(config, &proxy).await;
    let receiver = Receiver::start().await;
    let run = unique(prefix).replace('-', "_");
    let path = format!("/{run}");
    let url = receiver.configure(&path, &[], &[200], None).await;
    let key = mint_key(
        &app,
        &unique("t"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    Rig {
        proxy,
        _proxy,
        app,
        receiver,
        run,
        path,
        url,
        key,
    }
}

async fn get(proxy: &str, path: &str) -> Value {
    reqwest::get(format!("{proxy}{path}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One API call, retried (up to 8 tries, 100 ms apart) while it is answered 5xx, as a client
/// does; its 2xx body.
async fn call(
    app: &hookline::backend::Hookline,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> Value {
    let mut last = (0, Value::Null);
    for _ in 0..8 {
        last = invoke_api(app, api_event(method, path, key, body.as_ref())).await;
        match last.0 {
            200..=299 => return last.1,
            s if s >= 500 => tokio::time::sleep(Duration::from_millis(100)).await,
            _ => break,
        }
    }
    panic!("{method} {path}: {} {}", last.0, last.1)
}

/// Publishes every event, retrying each one not answered 2xx (up to 8 tries, 100 ms apart);
/// answers the ids answered 2xx and how many tries were refused.
async fn publish_all(
    app: &hookline::backend::Hookline,
    key: &str,
    run: &str,
) -> (Vec<String>, usize) {
    let mut answered = Vec::new();
    let mut refused = 0;
    let mut pending: Vec<Vec<String>> = (0..BATCHES)
        .map(|b| (0..10).map(|i| format!("evt_{run}_b{b}_{i}")).collect())
        .collect();
    pending.extend((0..SINGLES).map(|i| vec![format!("evt_{run}_s{i}")]));
    for group in pending {
        let mut left = group.clone();
        for _ in 0..8 {
            if left.is_empty() {
                break;
            }
            let events: Vec<Value> = left
                .iter()
                .map(|id| json!({"id": id, "type": "fault.test", "data": {"id": id}}))
                .collect();
            let single = group.len() == 1;
            let (path, body) = match single {
                true => ("/v1/events", events[0].clone()),
                false => ("/v1/events/batch", json!({ "events": events })),
            };
            let (status, out) = invoke_api(app, post_event(path, key, &body)).await;
            let mut still = Vec::new();
            match (single, status) {
                (true, 202) => answered.append(&mut left),
                (false, 200 | 202 | 207) => {
                    for (id, r) in left.iter().zip(out["data"].as_array().unwrap()) {
                        match r.get("error").filter(|e| !e.is_null()) {
                            None => answered.push(id.clone()),
                            Some(_) => {
                                refused += 1;
                                still.push(id.clone());
                            }
                        }
                    }
                }
                (_, s) => {
                    assert!(s >= 500, "only a server-side error is retried: {s} {out}");
                    refused += left.len();
                    still = left.clone();
                }
            }
            left = still;
            if !left.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    (answered, refused)
}

/// Lambda's SQS event source, once: receive (the messages stay hidden 3 s), run the handler,
/// delete what it did not report as failed. A failed receive or delete is what SQS does to
/// Lambda too: the messages come back later. Answers how many messages it handled.
async fn poll_once(app: &hookline::backend::Hookline, deliverer: &Deliverer) -> usize {
    let Ok(received) = app.queue.receive(10, Duration::from_secs(3)).await else {
        return 0;
    };
    // A failed delete is what SQS does to Lambda too: the messages come back later.
    let (polled, _deleted) = hookline_tests::handle_as_lambda(app, deliverer, received).await;
    polled.messages
}

async fn faults_at(rate: f64, seed: u64) {
    let config = Config {
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(30),
        ..test_config()
    };
    let Rig {
        proxy,
        _proxy,
        app,
        receiver,
        run,
        path,
        url,
        key,
    } = rig(config, "f").await;

    set_faults(&proxy, rate, seed).await;
    // The webhook under faults too: a `PUT` with its own id, retried as a client would.
    let webhook = WebhookId::generate();
    let created = call(
        &app,
        "PUT",
        &format!("/v1/webhooks/{webhook}"),
        &key,
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(created["id"], json!(webhook));
    let started = Instant::now();
    let (answered, refused) = publish_all(&app, &key, &run).await;
    let published_in = started.elapsed();
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let want: HashSet<&String> = answered.iter().collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut quiet_since: Option<Instant> = None;
    // Until every answered event arrived and the queue has stayed empty for 4 s (what was
    // hidden by a failed settle is back by then).
    loop {
        let handled = poll_once(&app, &deliverer).await;
        let got: HashSet<String> = receiver
            .log_for(&path)
            .await
            .into_iter()
            .filter_map(|d| d.webhook_id)
            .collect();
        let all_in = want.iter().all(|id| got.contains(*id));
        quiet_since = match handled {
            0 => quiet_since.or(Some(Instant::now())),
            _ => None,
        };
        if all_in && quiet_since.is_some_and(|t| t.elapsed() > Duration::from_secs(4)) {
            break;
        }
        if Instant::now() > deadline {
            break;
        }
        if handled == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let delivered_in = started.elapsed() - published_in;
    // What the log says, read with the faults still on (retried as a client would).
    let mut stuck = Vec::new();
    for id in &answered {
        let ev = call(&app, "GET", &format!("/v1/events/{id}"), &key, None).await;
        let ev: EventOut = serde_json::from_value(ev).unwrap();
        if ev
            .deliveries
            .iter()
            .any(|d| d.status != DeliveryStatus::Succeeded)
        {
            stuck.push(id.clone());
        }
    }
    let listed = call(
        &app,
        "GET",
        &format!("/v1/webhooks/{webhook}/deliveries?limit=250"),
        &key,
        None,
    )
    .await;
    let listed = listed["data"].as_array().unwrap().len();
    let injected = get(&proxy, "/_faults").await["injected"].clone();
    let calls: u64 = get(&proxy, "/_costs").await["calls"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    set_faults(&proxy, 0.0, 0).await;

    // What the receiver got and what the log says, read with the faults off.
    let log = receiver.log_for(&path).await;
    let got: HashSet<String> = log.iter().filter_map(|d| d.webhook_id.clone()).collect();
    let lost: Vec<&String> = answered.iter().filter(|id| !got.contains(*id)).collect();
    let duplicates = log.len() - got.len();
    let events = BATCHES * 10 + SINGLES;
    println!(
        "AWS faults {:>2.0} %: {events} events, {} answered 2xx ({refused} publish tries \
         refused and retried), {} delivered, {} lost, {} stuck, {duplicates} duplicate POSTs, \
         {listed} deliveries in the log; {calls} calls reached moto, faults injected {injected}; \
         published in {published_in:.1?}, delivered in {delivered_in:.1?}",
        rate * 100.0,
        answered.len(),
        got.len(),
        lost.len(),
        stuck.len(),
    );
    assert!(
        answered.len() * 10 >= events * 9,
        "retried publishes get through: {} of {events}",
        answered.len()
    );
    assert!(
        lost.is_empty(),
        "answered 2xx and never delivered: {lost:?}"
    );
    assert!(stuck.is_empty(), "not succeeded in the log: {stuck:?}");
    // A publish refused after its messages were queued (the event's write failed) is
    // delivered anyway, and its retry once more: the log shows both.
    assert!(
        listed >= answered.len() && (listed - answered.len()) * 5 <= answered.len(),
        "the webhook's delivery log lists every answered event: {listed} for {}",
        answered.len()
    );
    assert!(
        duplicates * 5 <= answered.len(),
        "duplicate POSTs bounded: {duplicates} for {} events",
        answered.len()
    );
    if rate > 0.0 {
        let kinds = ["throttle", "500", "lost_answer", "partial", "cancelled"];
        assert!(
            kinds.iter().all(|k| injected.get(k).is_some()),
            "every kind of fault was tried: {injected}"
        );
    }
}

#[tokio::test]
async fn no_faults() {
    faults_at(0.0, 1).await;
}

#[tokio::test]
async fn five_percent_of_aws_calls_fail() {
    faults_at(0.05, 5).await;
}

#[tokio::test]
async fn twenty_percent_of_aws_calls_fail() {
    faults_at(0.20, 20).await;
}

/// SQS refusing every send, throttled past the send's retries and the queue's own rounds: a
/// publish is answered 503 `unavailable` (come back later), not a 500, and nothing of it is
/// kept; once SQS takes sends again, the same publish is accepted and delivered.
#[tokio::test]
async fn a_queue_that_keeps_throttling_answers_503_and_keeps_nothing() {
    let Rig {
        proxy,
        _proxy,
        app,
        receiver,
        run,
        path,
        url,
        key,
    } = rig(test_config(), "thr").await;
    call(
        &app,
        "POST",
        "/v1/webhooks",
        &key,
        Some(json!({"url": url})),
    )
    .await;

    post_faults(
        &proxy,
        json!({"always": "SendMessageBatch", "kind": "throttle"}),
    )
    .await;
    let id = format!("evt_{run}");
    let event = json!({"id": id, "type": "fault.test", "data": {"n": 1}});
    let (status, out) = invoke_api(&app, post_event("/v1/events", &key, &event)).await;
    assert_eq!(status, 503, "{out}");
    assert_eq!(out["error"]["code"], "unavailable", "{out}");
    let injected = get(&proxy, "/_faults").await;
    assert!(
        injected["injected"]["throttle"].as_u64() >= Some(2),
        "{injected}"
    );
    let (status, out) = invoke_api(
        &app,
        api_event("GET", &format!("/v1/events/{id}"), &key, None),
    )
    .await;
    assert_eq!(status, 404, "nothing of the refused publish is kept: {out}");

    set_faults(&proxy, 0.0, 1).await;
    let (status, out) = invoke_api(&app, post_event("/v1/events", &key, &event)).await;
    assert_eq!(status, 202, "{out}");
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.log_for(&path).await.is_empty() && Instant::now() < deadline {
        if poll_once(&app, &deliverer).await == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let got = receiver.log_for(&path).await;
    assert_eq!(got.len(), 1, "delivered once the queue took it");
    assert_eq!(got[0].webhook_id.as_deref(), Some(id.as_str()));
}

/// A conditional write whose answer is lost (the connection drops after DynamoDB made it) is
/// retried, and the retry finds the item already as it would write it: that is this write,
/// so the create is answered 201, not 409 as a duplicate of itself.
#[tokio::test]
async fn a_write_whose_answer_was_lost_is_not_a_duplicate_of_itself() {
    let Rig {
        proxy,
        _proxy,
        app,
        run,
        ..
    } = rig(test_config(), "lost").await;
    let admin = mint_key(&app, &unique("t"), &[Scope::Admin]).await;
    let name = format!("lost.{run}");
    let create = |body: Value| {
        invoke_api(
            &app,
            api_event("POST", "/v1/event-types", &admin, Some(&body)),
        )
    };
    post_faults(&proxy, json!({"once": "PutItem", "kind": "lost_answer"})).await;
    let (status, out) = create(json!({"name": name, "description": "made once"})).await;
    assert_eq!(status, 201, "{out}");
    let injected = get(&proxy, "/_faults").await;
    assert_eq!(injected["injected"]["lost_answer"], 1, "{injected}");
    let path = format!("/v1/event-types/{name}");
    let (status, out) = invoke_api(&app, api_event("GET", &path, &admin, None)).await;
    assert_eq!((status, &out["description"]), (200, &json!("made once")));
    // A create of a name that exists with other content is still a duplicate.
    let (status, out) = create(json!({"name": name, "description": "another"})).await;
    assert_eq!(status, 409, "{out}");
}
