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
//! Each runs with events of three sizes (about 90 bytes, 1 KB and 4 KB of JSON) and for a
//! tenant at each log level (`full`, `failures`), with the delivery function's
//! `HOOKLINE_LOG_DELIVERIES` at its default (`failures`).
//!
//! Prices: HTTP API $1.00 per million requests; Lambda arm64 $0.20 per million invocations and
//! $0.0000133334 per GB-s; DynamoDB on demand $0.625 per million write units and $0.125 per
//! million read units; SQS $0.40 per million requests (64 KB chunks); CloudWatch Logs $0.50
//! per GB ingested and $0.03 per GB-month kept; DynamoDB storage $0.25 per GB-month.
//!
//! Logs are counted, not guessed: every byte the handlers log (JSON lines as on Lambda, and
//! the EMF documents) goes through the counting writer of `hookline::telemetry`, to which
//! this adds Lambda's START, END and REPORT lines per invocation and the HTTP API's access
//! log line per request. EMF metrics cost nothing per delivery beyond those bytes (CloudWatch
//! bills each metric by the month: nine metrics per function). Storage is what the items a
//! scenario wrote take (with DynamoDB's 100 bytes per item), kept 30 days: a monthly charge
//! for a million deliveries a month, printed beside the total.
//!
//! `HOOKLINE_BENCH_ONLY="a10 1KB full"` runs only the scenarios named (any of the words
//! `a1 a10 b b10`, `small 1KB 4KB`, `full failures`; a kind not named runs in full), and
//! `HOOKLINE_BENCH_EVENTS` sets how many events each publishes (300 with `--bench`).
//!
//! Run without `--bench` (as `cargo test` does) it makes a small run of each scenario and checks
//! that every delivery arrived once and that the counts are not empty. It needs moto: the
//! emulator at `HOOKLINE_TEST_AWS_ENDPOINT` (the test command starts one), or one it starts
//! from the test venv.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hookline::backend::Hookline;
use hookline::config::{Config, LogDeliveries};
use hookline::model::Scope;
use hookline_tests::{Killed, Receiver, free_port, mint_key, root, unique};
use serde_json::{Value, json};

mod cost_handlers;
mod cost_scenarios;
use cost_handlers::Handlers;
use cost_scenarios::{Scenario, Size};

/// The allocator both functions run with (`functions/*/src/main.rs`): the handlers run in this
/// process, so their CPU is measured with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const API_GW_PER_M: f64 = 1.00;
const LAMBDA_PER_M: f64 = 0.20;
const LAMBDA_GB_S: f64 = 0.000_013_333_4;
const WRU_PER_M: f64 = 0.625;
const RRU_PER_M: f64 = 0.125;
const SQS_PER_M: f64 = 0.40;
/// Both functions' memory in the template (`ApiMemorySize`, `DeliverMemorySize`).
const MEMORY_GB: f64 = 0.25;
/// CloudWatch Logs: ingestion, and storage per GB-month (of the raw bytes: AWS bills the
/// compressed size, so this is an upper bound).
const LOGS_INGEST_PER_GB: f64 = 0.50;
const LOGS_STORED_PER_GB_MONTH: f64 = 0.03;
/// DynamoDB storage (Standard table class).
const DYNAMO_STORED_PER_GB_MONTH: f64 = 0.25;
/// The retention the storage lines assume: the default of events and deliveries, and of the
/// template's `LogRetentionDays`.
const RETENTION_DAYS: f64 = 30.0;
const MONTHS_KEPT: f64 = RETENTION_DAYS / 30.0;
const GB: f64 = 1024.0 * 1024.0 * 1024.0;

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
    /// The CPU time the API function's invocations took on their thread.
    api_cpu: Duration,
    /// Each invocation's: their median leaves out the few that (re)load the caches (the
    /// first of a tenant, and one a second, as moto answers slower than DynamoDB).
    api_cpus: Vec<Duration>,
    deliver_calls: usize,
    deliver_ms: u64,
    deliver_cpu: Duration,
    /// What both functions logged (lines and EMF documents), as counted by the log writer.
    logged: u64,
    aws: Value,
}

/// Lambda writes these three lines for every invocation (START, END, REPORT): ingested like
/// the function's own.
fn platform_log_bytes() -> u64 {
    let id = "8f3c1a52-6d0e-4b7a-9c21-5e4f7a9b0c3d";
    [
        format!("START RequestId: {id} Version: $LATEST\n"),
        format!("END RequestId: {id}\n"),
        format!(
            "REPORT RequestId: {id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 38 MB\t\n"
        ),
    ]
    .iter()
    .map(|l| l.len() as u64)
    .sum()
}

/// The HTTP API's access log line for one request (the template's `AccessLogSettings`).
fn access_log_bytes(path: &str) -> u64 {
    format!(
        r#"{{"requestId":"dHbR5iTxIAMEbXw=","ip":"203.0.113.24","method":"POST","path":"{path}","status":"202","latency":"14","integrationError":"-"}}"#
    )
    .len() as u64
        + 1
}

/// What a scenario costs per million deliveries, by charge.
struct Charges {
    api_gw: f64,
    lambda: f64,
    dynamo: f64,
    sqs: f64,
    logs: f64,
    /// Keeping what a million deliveries wrote for the stated retention (per month).
    storage: f64,
}

impl Charges {
    /// What delivering costs: every per-request charge, logs included. Storage is a monthly
    /// charge for what is kept, printed beside it.
    fn total(&self) -> f64 {
        self.api_gw + self.lambda + self.dynamo + self.sqs + self.logs
    }
}

impl Usage {
    fn per_million(&self, cost: f64) -> f64 {
        cost / self.deliveries as f64 * 1e6
    }

    fn f(&self, field: &str) -> f64 {
        self.aws[field].as_f64().unwrap_or_default()
    }

    /// Bytes ingested by CloudWatch Logs: the functions' own lines, Lambda's three lines per
    /// invocation and the API's access log.
    fn log_bytes(&self, api_path: &str) -> u64 {
        self.logged
            + (self.api_calls + self.deliver_calls) as u64 * platform_log_bytes()
            + self.api_calls as u64 * access_log_bytes(api_path)
    }

    fn charges(&self, api_path: &str) -> Charges {
        let log_bytes = self.log_bytes(api_path) as f64;
        Charges {
            api_gw: self.per_million(self.api_calls as f64 * API_GW_PER_M / 1e6),
            lambda: self.per_million(
                (self.api_calls + self.deliver_calls) as f64 * LAMBDA_PER_M / 1e6
                    + (self.api_ms + self.deliver_ms) as f64 / 1000.0 * MEMORY_GB * LAMBDA_GB_S,
            ),
            dynamo: self
                .per_million(self.f("wru") * WRU_PER_M / 1e6 + self.f("rru") * RRU_PER_M / 1e6),
            sqs: self.per_million(self.f("sqs_requests") * SQS_PER_M / 1e6),
            logs: self.per_million(
                log_bytes / GB * (LOGS_INGEST_PER_GB + LOGS_STORED_PER_GB_MONTH * MONTHS_KEPT),
            ),
            storage: self.per_million(
                self.f("stored_bytes") / GB * DYNAMO_STORED_PER_GB_MONTH * MONTHS_KEPT,
            ),
        }
    }

    fn report(&self, s: &Scenario) -> Charges {
        let c = self.charges(s.api_path());
        let d = self.deliveries as f64;
        println!(
            "({:>3}) {:>5} {:>8}  API GW ${:.2}  Lambda ${:.2}  DynamoDB ${:.2}  SQS ${:.2}  logs ${:.2}  = ${:.2}   (storage ${:.2} a month)",
            s.name,
            s.size.label(),
            s.level,
            c.api_gw,
            c.lambda,
            c.dynamo,
            c.sqs,
            c.logs,
            c.total(),
            c.storage,
        );
        println!(
            "      per delivery: {:.2} WRU ({}), {:.2} RRU, {:.2} SQS requests, {:.0} log bytes, {:.0} stored bytes; largest item {} B; {} + {} invocations, {} + {} ms",
            self.f("wru") / d,
            self.aws["wru_by_call"],
            self.f("rru") / d,
            self.f("sqs_requests") / d,
            self.log_bytes(s.api_path()) as f64 / d,
            self.f("stored_bytes") / d,
            self.aws["largest_item"],
            self.api_calls,
            self.deliver_calls,
            self.api_ms,
            self.deliver_ms,
        );
        let mut cpus = self.api_cpus.clone();
        cpus.sort();
        println!(
            "      Lambda CPU: API {:.2} ms per invocation (median {:.2} ms), delivery function {:.3} ms per delivery",
            self.api_cpu.as_secs_f64() * 1000.0 / self.api_calls.max(1) as f64,
            cpus.get(cpus.len() / 2)
                .map_or(0.0, |c| c.as_secs_f64() * 1000.0),
            self.deliver_cpu.as_secs_f64() * 1000.0 / d,
        );
        c
    }
}

/// Calls the API function with one API Gateway (HTTP API) event; returns the body.
async fn invoke(
    handlers: &Handlers,
    key: &str,
    method: &str,
    path: &str,
    body: Value,
    usage: &mut Usage,
) -> Value {
    let event = hookline_tests::api_event(method, path, key, Some(&body));
    let started = Instant::now();
    let ((status, out), cpu) = handlers.api(event).await;
    usage.api_calls += 1;
    usage.api_ms += started.elapsed().as_millis() as u64 + 1;
    usage.api_cpu += cpu;
    usage.api_cpus.push(cpu);
    assert!((200..300).contains(&status), "{path}: {status} {out}");
    out
}

/// Lambda's SQS event source: batches as `lambda_receive` gathers them to the delivery
/// function's handler, deletes of what it did not report as failed, until the queue is empty
/// and `expected` deliveries arrived.
async fn deliver_all(
    (app, handlers): (&Hookline, &Handlers),
    receiver: &Receiver,
    path: &str,
    expected: usize,
    usage: &mut Usage,
) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let received = hookline_tests::lambda_receive(app).await;
        if received.is_empty() {
            if receiver.log_for(path).await.len() >= expected {
                break;
            }
            assert!(Instant::now() < deadline, "deliveries missing");
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let (event, receipts) = hookline_tests::sqs_event(&received);
        let started = Instant::now();
        let (resp, cpu) = handlers.deliver(event).await;
        usage.deliver_calls += 1;
        usage.deliver_ms += started.elapsed().as_millis() as u64 + 1;
        usage.deliver_cpu += cpu;
        assert!(
            resp.batch_item_failures.is_empty(),
            "first-try deliveries only"
        );
        let done: Vec<_> = receipts.into_values().collect();
        app.queue.delete(&done).await.unwrap();
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

async fn scenario(
    (app, handlers): (&Hookline, &Handlers),
    proxy: &str,
    receiver: &Receiver,
    s: &Scenario,
) -> Usage {
    let tenant = unique("cost");
    let key = mint_key(
        app,
        &tenant,
        &[Scope::WebhooksWrite, Scope::EventsPublish, Scope::Admin],
    )
    .await;
    let path = format!("/{tenant}");
    let url = receiver.configure(&path, &[], &[200], None).await;
    let mut usage = Usage::default();
    invoke(
        handlers,
        &key,
        "PATCH",
        "/v1/settings",
        json!({"log_level": s.level}),
        &mut usage,
    )
    .await;
    for _ in 0..s.webhooks {
        invoke(
            handlers,
            &key,
            "POST",
            "/v1/webhooks",
            json!({"url": url}),
            &mut usage,
        )
        .await;
    }
    // Only the publishing and the deliveries count.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    reset(proxy).await;
    usage = Usage::default();
    let logged = hookline::telemetry::logged_bytes();
    let mut sent = 0;
    while sent < s.events {
        let n = s.batch.min(s.events - sent);
        let body = match s.batch {
            1 => s.size.event(sent),
            _ => json!({"events": (sent..sent + n).map(|i| s.size.event(i)).collect::<Vec<_>>()}),
        };
        invoke(handlers, &key, "POST", s.api_path(), body, &mut usage).await;
        sent += n;
    }
    let functions = (app, handlers);
    deliver_all(
        functions,
        receiver,
        &path,
        s.events * s.webhooks,
        &mut usage,
    )
    .await;
    usage.deliveries = s.events * s.webhooks;
    usage.logged = hookline::telemetry::logged_bytes() - logged;
    usage.aws = costs(proxy).await;
    usage
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // What the functions log, counted as Lambda's log capture would ingest it (and not shown).
    hookline::telemetry::init_counted_only(hookline::telemetry::LogFormat::Lambda);
    let (upstream, _moto) = moto();
    let (proxy_url, _proxy) = hookline_tests::aws_proxy(&upstream);
    // SAFETY: set before any other thread reads the environment (the test support reads the
    // emulator's address from it).
    unsafe { std::env::set_var("HOOKLINE_TEST_AWS_ENDPOINT", &proxy_url) };
    // The handlers' own wiring reads credentials and region as a function does: from the
    // environment, set as Lambda sets it (the emulator takes any).
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ] {
        // SAFETY: as above, no other thread reads the environment yet.
        unsafe { std::env::set_var(name, value) };
    }
    let config = Config {
        allow_private_targets: true,
        rate_limit_per_minute: 0,
        rate_limit_patch_per_minute: 0,
        log_deliveries: LogDeliveries::Failures,
        ..Config::default()
    };
    let app = hookline_tests::aws(config).await;
    let (handlers, init) = Handlers::start((*app.config).clone());
    let receiver = Receiver::start().await;
    // `HOOKLINE_BENCH_EVENTS=3000`: more events per scenario (a profile wants more samples).
    let events = match std::env::var("HOOKLINE_BENCH_EVENTS").ok() {
        Some(n) => n
            .parse()
            .expect("HOOKLINE_BENCH_EVENTS: a number of events"),
        None if full => 300,
        None => 20,
    };
    let sizes = match full {
        true => vec![Size::Small, Size::Bytes(1024), Size::Bytes(4096)],
        false => vec![Size::Bytes(1024)],
    };
    println!(
        "Hookline cost per million first-try deliveries (moto behind a counting proxy; logs: \
         ingested at ${LOGS_INGEST_PER_GB}/GB and kept {RETENTION_DAYS} days; storage, apart: \
         what a million deliveries leave in DynamoDB, kept {RETENTION_DAYS} days)\n"
    );
    println!(
        "Lambda init (configuration, SDK clients, router, engine; in process): {:.1} ms, {:.1} ms of CPU\n",
        init.wall.as_secs_f64() * 1000.0,
        init.cpu.as_secs_f64() * 1000.0
    );
    // `HOOKLINE_BENCH_ONLY="a10 1KB full"`: only the scenarios whose name, size and level
    // are among the words given (a missing kind of word takes every one of it).
    let words: Vec<String> = std::env::var("HOOKLINE_BENCH_ONLY")
        .map(|w| w.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let only = |s: &Scenario| {
        let size = s.size.label();
        [
            (["a1", "a10", "b", "b10"].as_slice(), s.name),
            (["small", "1KB", "4KB"].as_slice(), size.as_str()),
            (["full", "failures"].as_slice(), s.level),
        ]
        .iter()
        .all(|(kind, this)| {
            !words.iter().any(|w| kind.contains(&w.as_str())) || words.iter().any(|w| w == this)
        })
    };
    let mut summary = Vec::new();
    for size in sizes {
        for level in ["full", "failures"] {
            for (name, events, webhooks, batch) in [
                ("a1", events, 1, 1),
                ("a10", events, 1, 10),
                ("b", events / 10, 10, 1),
                ("b10", events / 10, 10, 10),
            ] {
                let s = Scenario {
                    name,
                    events,
                    webhooks,
                    batch,
                    size,
                    level,
                };
                if !only(&s) {
                    continue;
                }
                let usage = scenario((&app, &handlers), &proxy_url, &receiver, &s).await;
                assert!(usage.f("wru") > 0.0, "nothing counted");
                assert!(usage.logged > 0, "no log bytes counted");
                let c = usage.report(&s);
                summary.push(format!(
                    "({name} {} {level}) ${:.2}",
                    size.label(),
                    c.total()
                ));
            }
        }
    }
    println!("\nsummary: {}", summary.join("  "));
}
