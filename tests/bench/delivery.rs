//! Benchmark: publish events to `hookline serve` (embedded SQLite backend) and measure how fast
//! and how fairly a local receiver gets them.
//!
//!   cargo bench -p hookline-tests --bench delivery
//!
//! Scenarios (each on a fresh data directory and server process):
//! - (a) 10,000 events to one webhook, 32 concurrent publishers: deliveries/s, publish->receipt
//!   p50/p99, and the server's CPU time per delivery (from /proc);
//! - (b) 1,000 events to ten webhooks, 32 publishers: deliveries/s;
//! - (c) paced: 1,000 events/s for 10 s to one webhook: publish->receipt p50/p99;
//! - (e) paced: 200 events/s for 10 s to one webhook, the load a platform mostly runs at:
//!   publish->receipt p50/p99 and CPU per delivery, as (c) prints them;
//! - (d) noisy neighbour: a webhook that never answers (10 s timeout) with 1,000 deliveries
//!   due, and a healthy webhook of another tenant at 50 events/s: the healthy one's p99, and
//!   how many requests reached the dead endpoint.
//!
//! Run without `--bench` (as `cargo test` does) it makes a small run of each scenario and checks
//! that every delivery arrived exactly once. `HOOKLINE_BENCH_AUTH=bearer` (or `oauth2`) gives
//! every webhook that receiver authentication (with `oauth2`, the receiver serves the token
//! endpoint and the run prints how many tokens were fetched); `HOOKLINE_BENCH_FILTER=1` a
//! payload filter of ten conditions that every event meets. `HOOKLINE_BENCH_ONLY=a` (or `bc`,
//! ...) picks scenarios; `HOOKLINE_BENCH_BIN` runs another `hookline` binary (one with symbols,
//! to profile: `perf record -g -- cargo bench ...`, then `perf report --comm hookline`).

#[path = "serve.rs"]
mod serve;
mod webhook_options;

use serve::{KEY, Server, hookline_binary, ms, percentile};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use serde_json::json;

const PUBLISHERS: usize = 32;

/// What a receiver saw: receipt instants per event id (one per webhook).
#[derive(Default)]
struct Seen {
    at: HashMap<String, Vec<Instant>>,
    total: usize,
    /// OAuth2 token requests (`HOOKLINE_BENCH_AUTH=oauth2`).
    tokens: usize,
}

type Shared = Arc<Mutex<Seen>>;

impl Server {
    async fn webhook(&self, tenant: &str, url: &str) {
        let r = self
            .http
            .post(format!("{}/v1/webhooks?tenant_id={tenant}", self.base))
            .bearer_auth(KEY)
            .json(&json!({"url": url, "auth": webhook_options::auth(url), "filter": webhook_options::filter()}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    async fn publish(&self, tenant: &str, id: &str, n: usize) {
        let r = self
            .http
            .post(format!("{}/v1/events?tenant_id={tenant}", self.base))
            .bearer_auth(KEY)
            .json(&json!({"id": id, "type": "bench.event", "data": {"n": n, "note": "x".repeat(200)}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
}

/// A receiver that records when each event arrived and answers 204.
async fn fast_receiver() -> (std::net::SocketAddr, Shared) {
    let seen = Shared::default();
    let recorder = seen.clone();
    let counter = seen.clone();
    let receiver = Router::new()
        .route(
            "/oauth/token",
            post(move || {
                let seen = counter.clone();
                async move {
                    seen.lock().unwrap().tokens += 1;
                    axum::Json(json!({"access_token": "bench-token", "expires_in": 3600}))
                }
            }),
        )
        .route(
            "/{sub}",
            post(move |headers: HeaderMap| {
                let seen = recorder.clone();
                async move {
                    let id = headers
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let mut s = seen.lock().unwrap();
                    s.at.entry(id).or_default().push(Instant::now());
                    s.total += 1;
                    StatusCode::NO_CONTENT
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    (addr, seen)
}

/// A receiver that accepts requests and never answers; counts them.
async fn dead_receiver() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let receiver = Router::new().route(
        "/{sub}",
        post(move || {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    (addr, count)
}

/// Waits until `want` deliveries arrived; their publish->receipt latencies, sorted.
async fn latencies(
    seen: &Shared,
    sent: &Mutex<HashMap<String, Instant>>,
    want: usize,
) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen.lock().unwrap().total < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} deliveries arrived",
            seen.lock().unwrap().total
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seen = seen.lock().unwrap();
    let sent = sent.lock().unwrap();
    assert_eq!(seen.total, want, "each delivery exactly once");
    let mut out: Vec<Duration> = seen
        .at
        .iter()
        .flat_map(|(id, ats)| {
            let t0 = sent[id];
            ats.iter().map(move |t| t.duration_since(t0))
        })
        .collect();
    out.sort();
    out
}

/// (a) and (b): `events` to `webhooks` webhooks, published as fast as 32 publishers go.
async fn flat_out(bin: &std::path::Path, events: usize, webhooks: usize) {
    let (addr, seen) = fast_receiver().await;
    let server = Server::start(bin, &[]).await;
    for s in 0..webhooks {
        server
            .webhook("default", &format!("http://{addr}/{s}"))
            .await;
    }
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let cpu0 = server.cpu();
    let started = Instant::now();
    let mut answered: Vec<Duration> = futures::stream::iter(0..events)
        .map(|i| {
            let (server, sent) = (&server, sent.clone());
            async move {
                let id = format!("evt_bench_{i}");
                let t0 = Instant::now();
                sent.lock().unwrap().insert(id.clone(), t0);
                server.publish("default", &id, i).await;
                t0.elapsed()
            }
        })
        .buffer_unordered(PUBLISHERS)
        .collect()
        .await;
    answered.sort();
    let published = started.elapsed();
    let want = events * webhooks;
    let lat = latencies(&seen, &sent, want).await;
    let elapsed = started.elapsed();
    let cpu = server.cpu().saturating_sub(cpu0);
    println!(
        "flat out: {events} events x {webhooks} webhook(s): {want} deliveries in {:.2}s (publishing {:.2}s, \
         publish answered p50 {:.1} ms, p99 {:.1} ms): {:.0} deliveries/s; publish->receipt p50 {:.1} ms, \
         p99 {:.1} ms; server CPU {:.3} ms per delivery",
        elapsed.as_secs_f64(),
        published.as_secs_f64(),
        ms(percentile(&answered, 0.50)),
        ms(percentile(&answered, 0.99)),
        want as f64 / elapsed.as_secs_f64(),
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(cpu) / want as f64,
    );
    print_tokens(&seen, want);
    server.stop(events).await;
}

/// With `HOOKLINE_BENCH_AUTH=oauth2`: the token requests the run made.
fn print_tokens(seen: &Shared, deliveries: usize) {
    let tokens = seen.lock().unwrap().tokens;
    if tokens > 0 {
        println!(
            "  OAuth2 token fetches: {tokens} for {deliveries} deliveries ({:.2} per 1,000)",
            tokens as f64 * 1000.0 / deliveries as f64
        );
    }
}

/// (c), (e): `rate` events per second for `seconds` to one webhook; the server's CPU time per
/// delivery counts from the first publish to the last receipt.
async fn paced(bin: &std::path::Path, rate: u64, seconds: u64) {
    let (addr, seen) = fast_receiver().await;
    let server = Server::start(bin, &[]).await;
    server.webhook("default", &format!("http://{addr}/0")).await;
    let cpu0 = server.cpu();
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let events = (rate * seconds) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let server = Arc::new(server);
    let mut tasks = Vec::new();
    for i in 0..events {
        tick.tick().await;
        let (server, sent) = (server.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let id = format!("evt_paced_{i}");
            sent.lock().unwrap().insert(id.clone(), Instant::now());
            server.publish("default", &id, i).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let lat = latencies(&seen, &sent, events).await;
    let cpu = server.cpu().saturating_sub(cpu0);
    println!(
        "paced: {rate} events/s for {seconds} s to 1 webhook: publish->receipt p50 {:.1} ms, p99 {:.1} ms; \
         server CPU {:.3} ms per delivery",
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(cpu) / events as f64,
    );
    print_tokens(&seen, events);
    if let Ok(server) = Arc::try_unwrap(server) {
        server.stop(events).await;
    }
}

/// (d): a dead webhook with `backlog` deliveries due, and a healthy one of another tenant at
/// `rate` events/s for `seconds`.
async fn noisy_neighbour(
    bin: &std::path::Path,
    timeout_s: u64,
    backlog: usize,
    rate: u64,
    seconds: u64,
) {
    let (dead_addr, dead_requests) = dead_receiver().await;
    let (ok_addr, seen) = fast_receiver().await;
    let timeout = timeout_s.to_string();
    let server = Server::start(
        bin,
        &[
            ("HOOKLINE_DELIVERY_TIMEOUT_SECONDS", timeout.as_str()),
            ("HOOKLINE_RETRY_INTERVAL_SECONDS", "60"),
        ],
    )
    .await;
    server
        .webhook("noisy", &format!("http://{dead_addr}/dead"))
        .await;
    server
        .webhook("quiet", &format!("http://{ok_addr}/ok"))
        .await;
    futures::stream::iter(0..backlog)
        .map(|i| {
            let server = &server;
            async move { server.publish("noisy", &format!("evt_dead_{i}"), i).await }
        })
        .buffer_unordered(PUBLISHERS)
        .collect::<Vec<()>>()
        .await;
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let events = (rate * seconds) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let started = Instant::now();
    for i in 0..events {
        tick.tick().await;
        let id = format!("evt_ok_{i}");
        sent.lock().unwrap().insert(id.clone(), Instant::now());
        server.publish("quiet", &id, i).await;
    }
    let lat = latencies(&seen, &sent, events).await;
    let elapsed = started.elapsed();
    let requests = dead_requests.load(Ordering::SeqCst);
    println!(
        "noisy neighbour: dead webhook ({timeout_s} s timeout, {backlog} due) beside a healthy one at {rate}/s \
         for {seconds} s: healthy p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {requests} requests reached the dead \
         endpoint in {:.1} s",
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap()),
        elapsed.as_secs_f64(),
    );
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let only = std::env::var("HOOKLINE_BENCH_ONLY").ok();
    let run = |s: &str| only.as_deref().is_none_or(|o| o.contains(s));
    let bin = hookline_binary(bench);
    println!(
        "hookline serve ({}), embedded SQLite (durability {}), load client and receivers on loopback",
        if bench { "release" } else { "debug, smoke run" },
        std::env::var("HOOKLINE_SQLITE_DURABILITY").unwrap_or_else(|_| "full".into()),
    );
    if bench {
        if run("a") {
            flat_out(&bin, 10_000, 1).await;
        }
        if run("b") {
            flat_out(&bin, 1_000, 10).await;
        }
        if run("c") {
            paced(&bin, 1_000, 10).await;
        }
        if run("d") {
            noisy_neighbour(&bin, 10, 1_000, 50, 20).await;
        }
        if run("e") {
            paced(&bin, 200, 10).await;
        }
    } else {
        flat_out(&bin, 200, 1).await;
        flat_out(&bin, 20, 10).await;
        paced(&bin, 200, 1).await;
        noisy_neighbour(&bin, 1, 20, 50, 2).await;
    }
}
