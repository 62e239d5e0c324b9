//! Benchmark: deliveries on the receiver's terms, on `hookline serve` (embedded SQLite).
//!
//!   cargo bench -p hookline-tests --bench receiver_terms
//!
//! - FIFO: 1,000 events to one `fifo` webhook whose receiver answers at once: deliveries/s,
//!   publish->receipt p50/p99, and that they arrived in publish order;
//! - rate limit accuracy: a backlog to a webhook limited to 2, 50 and 500 deliveries a second:
//!   the rate the receiver saw and the most it got in any one second, against the limit.
//!
//! Run without `--bench` (as `cargo test` does) it makes a small run of each and checks the
//! order and that no limit was passed by more than 10 %. `HOOKLINE_BENCH_BIN` runs another
//! `hookline` binary.

#[path = "serve.rs"]
mod serve;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::json;
use serve::{KEY, Server, hookline_binary, ms, percentile};

/// What the receiver saw: each event's `n` and when it arrived, in arrival order.
type Seen = Arc<Mutex<Vec<(u64, Instant)>>>;

async fn receiver() -> (String, Seen) {
    let seen = Seen::default();
    let log = seen.clone();
    let app = Router::new().route(
        "/{sub}",
        post(move |body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let n = v["data"]["n"].as_u64().unwrap_or(u64::MAX);
                log.lock().unwrap().push((n, Instant::now()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

async fn webhook(server: &Server, body: serde_json::Value) {
    let r = server
        .http
        .post(format!("{}/v1/webhooks?tenant_id=bench", server.base))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// Publishes events `0..n` in batches of 100, in order; when each batch was accepted.
async fn publish(server: &Server, n: u64) -> Vec<Instant> {
    let mut sent = Vec::with_capacity(n as usize);
    for start in (0..n).step_by(100) {
        let events: Vec<_> = (start..(start + 100).min(n))
            .map(|i| json!({"type": "bench.event", "data": {"n": i}}))
            .collect();
        let r = server
            .http
            .post(format!("{}/v1/events/batch?tenant_id=bench", server.base))
            .bearer_auth(KEY)
            .json(&json!({"events": events}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let now = Instant::now();
        sent.extend(std::iter::repeat_n(now, events.len()));
    }
    sent
}

async fn wait_for(seen: &Seen, n: usize) -> Vec<(u64, Instant)> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen.lock().unwrap().len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} arrived",
            seen.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    seen.lock().unwrap().clone()
}

async fn fifo(bin: &std::path::Path, events: u64) {
    let (url, seen) = receiver().await;
    let server = Server::start(bin, &[]).await;
    webhook(&server, json!({"url": url, "ordering": "fifo"})).await;
    let cpu0 = server.cpu();
    let t0 = Instant::now();
    let sent = publish(&server, events).await;
    let got = wait_for(&seen, events as usize).await;
    let order: Vec<u64> = got.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        order,
        (0..events).collect::<Vec<_>>(),
        "publish order, each once"
    );
    let mut lat: Vec<Duration> = got.iter().map(|(n, at)| *at - sent[*n as usize]).collect();
    lat.sort();
    let took = got.last().unwrap().1 - t0;
    let cpu = server.cpu() - cpu0;
    println!(
        "fifo: {events} events to one fifo webhook: {:.0} deliveries/s (publish start to last receipt, {:.2} s), \
         in publish order; publish->receipt p50 {:.1} ms, p99 {:.1} ms; server CPU {:.3} ms per delivery",
        events as f64 / took.as_secs_f64(),
        took.as_secs_f64(),
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(cpu) / events as f64,
    );
    server.stop(events as usize).await;
}

async fn rate_limit(bin: &std::path::Path, limit: u64, events: u64) {
    let (url, seen) = receiver().await;
    let server = Server::start(bin, &[]).await;
    webhook(&server, json!({"url": url, "rate_limit": limit})).await;
    publish(&server, events).await;
    let got = wait_for(&seen, events as usize).await;
    let at: Vec<Instant> = got.iter().map(|(_, at)| *at).collect();
    let span = (*at.last().unwrap() - at[0]).as_secs_f64();
    // After the first delivery, at the limit: n - 1 intervals of 1/limit.
    let rate = (events - 1) as f64 / span;
    let busiest = (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .take_while(|t| **t - at[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    println!(
        "rate limit {limit}/s: {events} deliveries in {span:.2} s: {rate:.1}/s ({:+.1} % of the limit); \
         at most {busiest} in any one second",
        (rate / limit as f64 - 1.0) * 100.0
    );
    assert!(rate <= limit as f64 * 1.1, "{rate:.1}/s against {limit}/s");
    server.stop(events as usize).await;
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let bin = hookline_binary(bench);
    println!(
        "hookline serve ({}), embedded SQLite, receiver on loopback answering at once",
        if bench { "release" } else { "debug, smoke run" },
    );
    if bench {
        fifo(&bin, 1_000).await;
        for (limit, events) in [(2, 20), (50, 300), (500, 3_000)] {
            rate_limit(&bin, limit, events).await;
        }
    } else {
        fifo(&bin, 100).await;
        rate_limit(&bin, 20, 40).await;
    }
}
