//! Benchmark: publish events to `hookline serve` (embedded SQLite backend) and measure how fast
//! a fast local receiver gets them.
//!
//!   cargo bench -p hookline-tests --bench delivery
//!
//! Prints deliveries per second and publish→receipt latency (p50, p99) for 10,000 events to one
//! subscription and for 1,000 events to ten subscriptions. Run without `--bench` (as `cargo
//! test` does) it makes a small run of each scenario and checks every delivery arrived.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use serde_json::json;

const KEY: &str = "hl_benchmark_key_0000000000000000";
const PUBLISHERS: usize = 32;

#[derive(Default)]
struct Seen {
    /// Receipt instants per event id (one per subscription).
    at: HashMap<String, Vec<Instant>>,
    total: usize,
}

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hookline_binary(release: bool) -> std::path::PathBuf {
    let root = hookline_tests::root();
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| root.join("target"));
    let bin = target
        .join(if release { "release" } else { "debug" })
        .join("hookline");
    if !bin.exists() || release {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["build", "-q", "-p", "hookline-cli", "--bin", "hookline"])
            .current_dir(&root);
        if release {
            cmd.arg("--release");
        }
        assert!(
            cmd.status().expect("cargo build").success(),
            "building hookline failed"
        );
    }
    bin
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn scenario(
    bin: &std::path::Path,
    events: usize,
    subscriptions: usize,
) -> (f64, Duration, Duration) {
    // A fast receiver: records when each event arrived and answers 204.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let recorder = seen.clone();
    let receiver = Router::new().route(
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
    let receiver_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let data = std::env::temp_dir().join(format!("hookline-bench-{}", ulid::Ulid::new()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg("serve")
        .env("HOOKLINE_DATA_DIR", &data)
        .env("HOOKLINE_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOOKLINE_LOCAL_API_KEY", KEY)
        .env("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true")
        .env("HOOKLINE_MAX_WEBHOOKS_PER_TENANT", "100")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start hookline serve");
    let _server = ServerProcess(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    hookline_tests::eventually(
        "hookline serve to answer",
        Duration::from_secs(20),
        || async {
            http.get(format!("{base}/health"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
        },
    )
    .await;
    for s in 0..subscriptions {
        let r = http
            .post(format!("{base}/v1/webhooks"))
            .bearer_auth(KEY)
            .json(&json!({"url": format!("http://{receiver_addr}/{s}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    futures::stream::iter(0..events)
        .map(|i| {
            let (http, base, sent) = (http.clone(), base.clone(), sent.clone());
            async move {
                let id = format!("evt_bench_{i}");
                sent.lock().unwrap().insert(id.clone(), Instant::now());
                let r = http
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(KEY)
                    .json(&json!({"id": id, "type": "bench.event", "data": {"n": i, "note": "x".repeat(200)}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
            }
        })
        .buffer_unordered(PUBLISHERS)
        .collect::<Vec<()>>()
        .await;
    let published = started.elapsed();
    let want = events * subscriptions;
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen.lock().unwrap().total < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} deliveries arrived",
            seen.lock().unwrap().total
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let seen = seen.lock().unwrap();
    let sent = sent.lock().unwrap();
    assert_eq!(seen.total, want, "each delivery exactly once");
    let mut latencies: Vec<Duration> = seen
        .at
        .iter()
        .flat_map(|(id, ats)| {
            let t0 = sent[id];
            ats.iter().map(move |t| t.duration_since(t0))
        })
        .collect();
    latencies.sort();
    let rate = want as f64 / elapsed.as_secs_f64();
    println!(
        "{events} events x {subscriptions} subscription(s): {want} deliveries in {:.2}s (publishing took {:.2}s): \
         {rate:.0} deliveries/s; publish->receipt p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        published.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
    let _ = std::fs::remove_dir_all(&data);
    (
        rate,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
    )
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let bin = hookline_binary(bench);
    let (n1, n10) = if bench { (10_000, 1_000) } else { (200, 20) };
    println!(
        "hookline serve ({}), embedded SQLite, {PUBLISHERS} concurrent publishers",
        if bench { "release" } else { "debug, smoke run" }
    );
    scenario(&bin, n1, 1).await;
    scenario(&bin, n10, 10).await;
}
