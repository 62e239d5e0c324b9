//! `hookline serve` as a new user meets it: the real binary on a fresh data directory, and the
//! README's curl walkthrough run exactly as written.

use std::process::{Command, Stdio};
use std::time::Duration;

use hookline_tests::calls;
use serde_json::json;

/// The `hookline` binary that `cargo build --workspace --all-targets` puts beside this test binary.
pub(crate) fn hookline_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("hookline");
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build --workspace --all-targets` (tests/run.sh does)",
        bin.display()
    );
    bin
}

use hookline_tests::{Killed as Server, free_port};

#[tokio::test]
async fn first_start_prints_a_key_and_the_readme_walkthrough_works() {
    let bin = hookline_bin();
    let data = std::env::temp_dir().join(format!("hookline-serve-{}", ulid::Ulid::new()));
    let port = free_port();
    let mut child = Command::new(&bin)
        .arg("serve")
        .env("HOOKLINE_DATA_DIR", &data)
        .env("HOOKLINE_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("HOOKLINE_LOCAL_API_KEY")
        .env_remove("HOOKLINE_BACKEND")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hookline serve");
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let key = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut key = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(k) = line.split_whitespace().find(|w| w.starts_with("hl_")) {
                key = Some(k.to_string());
            }
            if line.starts_with("Hookline listening on") {
                break;
            }
        }
        key
    })
    .await
    .unwrap()
    .expect("the first start prints an admin key");
    let base = format!("http://127.0.0.1:{port}");
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;

    // A webhook made before: the walkthrough works on the one it creates, never on this one.
    let c = hookline_client::connect(&base, &key).unwrap();
    let older = json!({"url": "https://older.example.com/hook", "events": ["order.*"]});
    let older = calls::create_webhook(&c, older).await;
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &hookline_tests::walkthrough()])
        .env("HOOKLINE", &base)
        .env("KEY", &key)
        .output()
        .expect("run the walkthrough");
    hookline_tests::check_walkthrough(&out);
    let after = calls::read_webhook(&c, &older.id).await;
    assert_eq!(
        (&after.url, after.enabled),
        (&older.url, true),
        "the older webhook is untouched: {after:?}"
    );

    // A second start on the same data prints no new key, and the first key still works.
    drop(_server);
    let port2 = free_port();
    let out = Command::new(&bin)
        .arg("keys")
        .arg("list")
        .args(["--tenant", "default"])
        .env("HOOKLINE_DATA_DIR", &data)
        .env("HOOKLINE_LISTEN", format!("127.0.0.1:{port2}"))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        listed.lines().next(),
        Some("ID\tSTATE\tMODE\tSCOPES\tCREATED\tNAME"),
        "a header: {listed}"
    );
    assert_eq!(listed.lines().count(), 2, "one bootstrap key: {listed}");
    assert!(listed.contains("active\tlive\tadmin"), "{listed}");
    // A test-mode key, listed with its mode.
    let out = Command::new(&bin)
        .args([
            "keys",
            "create",
            "--tenant",
            "default",
            "--scopes",
            "webhooks:read",
        ])
        .args(["--mode", "test"])
        .env("HOOKLINE_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&bin)
        .args([
            "keys",
            "create",
            "--tenant",
            "default",
            "--scopes",
            "webhooks:read",
        ])
        .args(["--mode", "staging"])
        .env("HOOKLINE_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mode must be live or test"));
    let out = Command::new(&bin)
        .args(["keys", "list", "--tenant", "default"])
        .env("HOOKLINE_DATA_DIR", &data)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("active\ttest\twebhooks:read"), "{listed}");
    // Partners from the command line, and a partner key.
    let cli = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(args)
            .env("HOOKLINE_DATA_DIR", &data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    cli(&[
        "partners",
        "add-tenant",
        "--partner",
        "resellers",
        "--tenant",
        "default",
    ]);
    cli(&[
        "partners",
        "add-tenant",
        "--partner",
        "resellers",
        "--tenant",
        "acme",
    ]);
    let partners = cli(&["partners", "list"]);
    assert!(partners.contains("resellers\tacme,default"), "{partners}");
    let key = cli(&[
        "keys",
        "create",
        "--partner",
        "resellers",
        "--scopes",
        "webhooks:read",
    ]);
    assert!(key.trim().starts_with("hl_"), "{key}");
    let _ = std::fs::remove_dir_all(&data);
}

pub(crate) const KEY: &str = "hl_crash_test_key_000000000000000";

/// `hookline serve` on `data` with a fixed admin key, answering on a free port.
pub(crate) fn serve(data: &std::path::Path, durability: &str) -> (Server, String) {
    let env = [
        ("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true"),
        ("HOOKLINE_SQLITE_DURABILITY", durability),
    ];
    start_serve(data, &env, Stdio::null())
}

/// Starts `hookline serve` on the embedded store in `data`, on a free port, with the fixed admin
/// key [`KEY`] and the variables `env` besides; its log goes to `stderr`. The process is killed
/// when the handle drops. Answers the handle and the base URL.
pub(crate) fn start_serve(
    data: &std::path::Path,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> (Server, String) {
    let port = free_port();
    let child = Command::new(hookline_bin())
        .arg("serve")
        .env("HOOKLINE_DATA_DIR", data)
        .env("HOOKLINE_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOOKLINE_LOCAL_API_KEY", KEY)
        .env_remove("HOOKLINE_BACKEND")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start hookline serve");
    (Server(child), format!("http://127.0.0.1:{port}"))
}

/// `hookline listen` with `args`, once it has said where it listens: the process and its
/// output lines after that first one.
pub(crate) fn spawn_listen(args: &[&str]) -> (Server, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(hookline_bin())
        .arg("listen")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        first.starts_with("Listening on http://127.0.0.1:"),
        "{first}"
    );
    (Server(child), rx)
}

/// A thousand connections that send nothing (a slowloris, or a misbehaving pool) do not stop
/// the API or the deliveries, and the server closes them once the header timeout passes.
#[tokio::test]
async fn a_thousand_idle_connections_stop_neither_the_api_nor_deliveries() {
    // This process holds the client side of every connection.
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let receiver = hookline_tests::Receiver::start().await;
    let url = receiver.configure("/idle", &[], &[200], None).await;
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-idle"));
    std::fs::create_dir_all(&data).unwrap();
    let log = data.join("serve.log");
    let env = [
        ("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true"),
        ("HOOKLINE_HEADER_TIMEOUT_SECONDS", "2"),
        // One thread serves them all, and the deliveries.
        ("HOOKLINE_WORKER_THREADS", "1"),
    ];
    let (_server, base) = start_serve(&data, &env, std::fs::File::create(&log).unwrap().into());
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let c = hookline_client::connect(&base, KEY).unwrap();
    calls::create_webhook(&c, json!({"url": url})).await;

    let idle: Vec<std::net::TcpStream> = (0..1000)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let started = std::time::Instant::now();
    // Raw, with its own timeout: the question is whether the server answers at all.
    let fresh = reqwest::Client::new();
    let r = fresh
        .post(format!("{base}/v1/events"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"type": "idle.test", "data": {}}))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("the API answers beside a thousand idle connections");
    assert_eq!(r.status(), 202);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered after {:?}",
        started.elapsed()
    );
    receiver.wait_for("/idle", 1, Duration::from_secs(5)).await;

    // Past the header timeout, the server has closed them: reading finds the end.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closed = tokio::task::spawn_blocking(move || {
        idle.into_iter()
            .filter(|mut s| {
                use std::io::Read;
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                // The end of the stream, or a reset: closed. A timeout: still open.
                match s.read(&mut [0u8; 1]) {
                    Ok(0) => true,
                    Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
                    Ok(_) => false,
                }
            })
            .count()
    })
    .await
    .unwrap();
    assert_eq!(closed, 1000, "idle connections closed by the server");

    // At the default level the server says what it did: a line per request, one per attempt.
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.lines()
            .any(|l| l.contains("POST") && l.contains("/v1/events") && l.contains("status=202")),
        "{said}"
    );
    assert!(
        said.lines()
            .any(|l| l.contains("delivered: 200") && l.contains("attempt")),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&data);
}
