//! Cost benchmark: what a million first-try deliveries cost on AWS, by service, at list prices.
//!
//!   cargo bench -p hookline-tests --bench cost
//!
//! The flow runs end to end through both functions as Lambda runs them: the API function's
//! router behind lambda_http's adapter (one API Gateway request and one invocation per call),
//! and the delivery function's SQS handler given batches of up to ten messages as Lambda's
//! event source does (receive, handle, delete what it did not report as failed). DynamoDB and
//! SQS are moto, behind tests/cost_proxy.py, which counts every call and computes the units AWS
//! would bill from the items themselves. Lambda time is each invocation's wall time here
//! (rounded up to the millisecond, at the template's 256 MB): moto on loopback answers in about
//! the time DynamoDB does in-region, and the receiver answers at once, so real endpoints add
//! their own answer time to the delivery function's bill.
//!
//! Scenarios, each with its own tenant and webhooks:
//! - (a1) 1 event -> 1 webhook, published one by one;
//! - (a10) 1 event -> 1 webhook, published in batches of 10 (`POST /v1/events/batch`);
//! - (b) 1 event -> 10 webhooks, published one by one;
//! - (b10) 1 event -> 10 webhooks, published in batches of 10.
//!
//! Prices: HTTP API $1.00 per million requests; Lambda arm64 $0.20 per million invocations and
//! $0.0000133334 per GB-s; DynamoDB on demand $0.625 per million write units and $0.125 per
//! million read units; SQS $0.40 per million requests (64 KB chunks).
//!
//! Run without `--bench` (as `cargo test` does) it makes a small run of each scenario and checks
//! that every delivery arrived once and that the counts are not empty. It needs moto: the
//! emulator at `HOOKLINE_TEST_AWS_ENDPOINT` (the test command starts one), or one it starts
//! from the test venv.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::delivery::Deliverer;
use hookline::model::Scope;
use hookline_tests::{Killed, Receiver, free_port, lambda_poll, mint_key, root, unique};
use serde_json::{Value, json};

const API_GW_PER_M: f64 = 1.00;
const LAMBDA_PER_M: f64 = 0.20;
const LAMBDA_GB_S: f64 = 0.000_013_333_4;
const WRU_PER_M: f64 = 0.625;
const RRU_PER_M: f64 = 0.125;
const SQS_PER_M: f64 = 0.40;
/// Both functions' memory in the template (`ApiMemorySize`, `DeliverMemorySize`).
const MEMORY_GB: f64 = 0.25;

/// moto: the test command's, or one started here from the test venv.
fn moto() -> (String, Option<Killed>) {
    if let Ok(e) = std::env::var("HOOKLINE_TEST_AWS_ENDPOINT") {
        return (e, None);
    }
    let bin = root().join(".tools/venv/bin/moto_server");
    assert!(
        bin.exists(),
        "moto is not installed: run tests/setup.sh (or tests/run.sh) first"
    );
    let port = free_port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (url, Some(Killed(child)))
}

/// What one scenario used.
#[derive(Default)]
struct Usage {
    deliveries: usize,
    api_calls: usize,
    api_ms: u64,
    deliver_calls: usize,
    deliver_ms: u64,
    aws: Value,
}

impl Usage {
    fn per_million(&self, cost: f64) -> f64 {
        cost / self.deliveries as f64 * 1e6
    }

    fn report(&self, name: &str) -> f64 {
        let wru = self.aws["wru"].as_f64().unwrap();
        let rru = self.aws["rru"].as_f64().unwrap();
        let sqs = self.aws["sqs_requests"].as_f64().unwrap();
        let calls: u64 = self.aws["calls"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        let api_gw = self.per_million(self.api_calls as f64 * API_GW_PER_M / 1e6);
        let lambda = self.per_million(
            (self.api_calls + self.deliver_calls) as f64 * LAMBDA_PER_M / 1e6
                + (self.api_ms + self.deliver_ms) as f64 / 1000.0 * MEMORY_GB * LAMBDA_GB_S,
        );
        let dynamo = self.per_million(wru * WRU_PER_M / 1e6 + rru * RRU_PER_M / 1e6);
        let sqs_cost = self.per_million(sqs * SQS_PER_M / 1e6);
        let total = api_gw + lambda + dynamo + sqs_cost;
        let d = self.deliveries as f64;
        println!("\n({name}) {} first-try deliveries", self.deliveries);
        println!(
            "  API Gateway  ${api_gw:>6.2} per million ({} requests)",
            self.api_calls
        );
        println!(
            "  Lambda       ${lambda:>6.2} per million ({} + {} invocations, {} + {} ms)",
            self.api_calls, self.deliver_calls, self.api_ms, self.deliver_ms
        );
        println!(
            "  DynamoDB     ${dynamo:>6.2} per million ({:.2} write units and {:.2} read units per delivery)",
            wru / d,
            rru / d
        );
        println!(
            "  SQS          ${sqs_cost:>6.2} per million ({:.2} requests per delivery)",
            sqs / d
        );
        println!("  total        ${total:>6.2} per million first-try deliveries");
        println!(
            "  AWS calls per delivery: {:.2}  ({})",
            calls as f64 / d,
            self.aws["calls"]
        );
        println!("  write units by call: {}", self.aws["wru_by_call"]);
        total
    }
}

/// Calls the API function with one API Gateway (HTTP API) event; returns status and body.
async fn invoke_api(
    app: &Hookline,
    key: &str,
    path: &str,
    body: Value,
    usage: &mut Usage,
) -> Value {
    let event = hookline_tests::post_event(path, key, &body);
    let started = Instant::now();
    let (status, out) = hookline_tests::invoke_api(app, event).await;
    usage.api_calls += 1;
    usage.api_ms += started.elapsed().as_millis() as u64 + 1;
    assert!((200..300).contains(&status), "{path}: {status} {out}");
    out
}

/// Lambda's SQS event source (`lambda_poll`): batches of up to ten to the delivery
/// function's handler until the queue is empty and `expected` deliveries arrived.
async fn deliver_all(
    app: &Hookline,
    receiver: &Receiver,
    path: &str,
    expected: usize,
    usage: &mut Usage,
) {
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let polled = lambda_poll(app, &deliverer).await;
        if polled.messages == 0 {
            if receiver.log_for(path).await.len() >= expected {
                break;
            }
            assert!(Instant::now() < deadline, "deliveries missing");
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        usage.deliver_calls += 1;
        usage.deliver_ms += polled.handler_time.as_millis() as u64 + 1;
        assert_eq!(polled.failures, 0, "first-try deliveries only");
    }
    let got = receiver.log_for(path).await;
    assert_eq!(got.len(), expected, "every delivery arrived once");
}

async fn reset(proxy: &str) {
    reqwest::Client::new()
        .post(format!("{proxy}/_reset"))
        .send()
        .await
        .unwrap();
}

async fn costs(proxy: &str) -> Value {
    reqwest::get(format!("{proxy}/_costs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One scenario: `events` events to `webhooks` webhooks, published `batch` at a time.
async fn scenario(
    app: &Hookline,
    proxy: &str,
    receiver: &Receiver,
    events: usize,
    webhooks: usize,
    batch: usize,
) -> Usage {
    let tenant = unique("cost");
    let key = mint_key(app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let path = format!("/{tenant}");
    let url = receiver.configure(&path, &[], &[200], None).await;
    let mut usage = Usage::default();
    for _ in 0..webhooks {
        invoke_api(app, &key, "/v1/webhooks", json!({"url": url}), &mut usage).await;
    }
    // Only the publishing and the deliveries count.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    reset(proxy).await;
    usage = Usage::default();
    let mut sent = 0;
    while sent < events {
        let n = batch.min(events - sent);
        let body = |i: usize| json!({"type": "order.paid", "data": {"order": i, "amount": 1250, "currency": "EUR"}});
        if batch == 1 {
            invoke_api(app, &key, "/v1/events", body(sent), &mut usage).await;
        } else {
            let list: Vec<Value> = (sent..sent + n).map(body).collect();
            invoke_api(
                app,
                &key,
                "/v1/events/batch",
                json!({"events": list}),
                &mut usage,
            )
            .await;
        }
        sent += n;
    }
    deliver_all(app, receiver, &path, events * webhooks, &mut usage).await;
    usage.deliveries = events * webhooks;
    usage.aws = costs(proxy).await;
    usage
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (upstream, _moto) = moto();
    let (proxy_url, _proxy) = hookline_tests::aws_proxy(&upstream);
    // SAFETY: set before any other thread reads the environment (the test support reads the
    // emulator's address from it).
    unsafe { std::env::set_var("HOOKLINE_TEST_AWS_ENDPOINT", &proxy_url) };
    let config = Config {
        allow_private_targets: true,
        rate_limit_per_minute: 0,
        rate_limit_patch_per_minute: 0,
        ..Config::default()
    };
    let app = hookline_tests::aws(config).await;
    let receiver = Receiver::start().await;
    let events = if full { 300 } else { 20 };
    println!("Hookline cost per million first-try deliveries (moto behind a counting proxy)");
    let mut totals = Vec::new();
    for (name, events, webhooks, batch) in [
        ("a1", events, 1, 1),
        ("a10", events, 1, 10),
        ("b", events / 10, 10, 1),
        ("b10", events / 10, 10, 10),
    ] {
        let usage = scenario(&app, &proxy_url, &receiver, events, webhooks, batch).await;
        assert!(usage.aws["wru"].as_f64().unwrap() > 0.0, "nothing counted");
        totals.push((name, usage.report(name)));
    }
    println!(
        "\nsummary: {}",
        totals
            .iter()
            .map(|(n, t)| format!("({n}) ${t:.2}"))
            .collect::<Vec<_>>()
            .join("  ")
    );
}
