//! `hookline serve` as the benchmarks run it: a fresh data directory and process per
//! scenario, the binary built (release with `--bench`) or named by `HOOKLINE_BENCH_BIN`, and the
//! figures' helpers. Included by each benchmark (`#[path]`), which adds what it publishes.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "hl_benchmark_key_0000000000000000";

pub struct Server {
    pub child: Child,
    pub base: String,
    data: std::path::PathBuf,
    pub http: reqwest::Client,
    /// The line the server logs when it stops: how its database grouped commits.
    commits: Arc<Mutex<Option<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub fn hookline_binary(release: bool) -> std::path::PathBuf {
    // A binary built elsewhere (e.g. with symbols, for `perf`).
    if let Ok(bin) = std::env::var("HOOKLINE_BENCH_BIN") {
        return bin.into();
    }
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

impl Server {
    pub async fn start(bin: &std::path::Path, env: &[(&str, &str)]) -> Server {
        let data = std::env::temp_dir().join(format!("hookline-bench-{}", ulid::Ulid::new()));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(bin);
        if let Ok(d) = std::env::var("HOOKLINE_SQLITE_DURABILITY") {
            cmd.env("HOOKLINE_SQLITE_DURABILITY", d);
        }
        cmd.arg("serve")
            .env("HOOKLINE_DATA_DIR", &data)
            .env("HOOKLINE_LISTEN", format!("127.0.0.1:{port}"))
            .env("HOOKLINE_LOCAL_API_KEY", KEY)
            .env("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true")
            .env("HOOKLINE_MAX_WEBHOOKS_PER_TENANT", "100")
            .env("RUST_LOG", "warn,hookline::commits=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start hookline serve");
        let commits: Arc<Mutex<Option<String>>> = Arc::default();
        let stderr = child.stderr.take().unwrap();
        let keep = commits.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                match line.split_once("stopped: ") {
                    Some((_, what)) => *keep.lock().unwrap() = Some(what.to_string()),
                    None => eprintln!("{line}"),
                }
            }
        });
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data,
            http: reqwest::Client::new(),
            commits,
        };
        hookline_tests::healthy(&server.base, Duration::from_secs(20)).await;
        server
    }

    /// Stops the server as Ctrl-C does and prints what it says of its database's commits,
    /// with the `events` published per flush.
    pub async fn stop(mut self, events: usize) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let _ = self.child.wait();
        // The stderr reader may still be on its last line.
        for _ in 0..100 {
            if let Some(line) = self.commits.lock().unwrap().take() {
                let flushes: f64 = line
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("flushes="))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(f64::NAN);
                if flushes > 0.0 {
                    println!(
                        "  database: {line}; {:.1} events published per flush",
                        events as f64 / flushes
                    );
                } else {
                    println!("  database: {line}");
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!("  database: the server said nothing of its commits");
    }

    /// The server process's CPU time so far (user + system), from /proc.
    pub fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which ends with ')'): utime is the 14th, stime the 15th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
        Duration::from_millis(ticks * 1000 / clock_ticks())
    }
}

fn clock_ticks() -> u64 {
    // sysconf(_SC_CLK_TCK) is 100 on Linux.
    100
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
