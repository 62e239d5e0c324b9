//! A killed `hookline serve`: what it answered survives, and a log damaged afterwards stops
//! the next start instead of silently dropping what it held.

use std::process::{Command, Stdio};
use std::time::Duration;

use hookline_tests::{Killed as Server, calls, eventually, free_port};
use serde_json::json;

use crate::serve::{KEY, hookline_bin, serve};

/// Publishes from `publishers` concurrent clients until the server stops answering; returns the
/// ids it answered 202.
async fn publish_until_killed(base: &str, publishers: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let base = base.to_string();
        tasks.push(tokio::spawn(async move {
            // Raw, with a timeout: a request the dying server never answers ends the loop.
            let http = reqwest::Client::new();
            let mut answered = Vec::new();
            for n in 0.. {
                let id = format!("evt_crash_{p}_{n}");
                let r = http
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(KEY)
                    .json(&serde_json::json!({"id": id, "type": "crash.test", "data": {"n": n}}))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 202 => answered.push(id),
                    Ok(r) => panic!("publish answered {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
            answered
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn kill_9(server: &mut Server) {
    let status = Command::new("kill")
        .args(["-KILL", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = server.0.wait();
}

/// What a user relies on: every event answered 202 is delivered, even when the process is
/// killed mid-burst (SIGKILL: no shutdown, the operating system keeps what was written). And a
/// write-ahead log damaged afterwards stops the next start with a message naming the file,
/// instead of silently starting without the transactions in it.
#[tokio::test]
async fn a_killed_server_loses_nothing_it_answered_and_a_damaged_log_stops_the_next_start() {
    let receiver = hookline_tests::Receiver::start().await;
    let url = receiver.configure("/crash", &[], &[200], None).await;
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-crash"));
    let (mut server, base) = serve(&data, "full");
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let c = hookline_client::connect(&base, KEY).unwrap();
    calls::create_webhook(&c, json!({"url": url})).await;
    let publishing = tokio::spawn({
        let base = base.clone();
        async move { publish_until_killed(&base, 8).await }
    });
    // Killed mid-burst: publishes, deliveries and settles in flight.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill_9(&mut server);
    let answered = publishing.await.unwrap();
    assert!(answered.len() > 50, "only {} published", answered.len());
    eprintln!("{} events answered before the kill", answered.len());

    // The next start sends whatever was answered and not yet delivered.
    let (mut server, mut base) = serve(&data, "full");
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let missing = eventually(
        "every answered event delivered after the restart",
        Duration::from_secs(60),
        || async {
            let got: std::collections::HashSet<String> = receiver
                .log_for("/crash")
                .await
                .into_iter()
                .filter_map(|d| d.webhook_id)
                .collect();
            let missing: Vec<&String> = answered.iter().filter(|id| !got.contains(*id)).collect();
            missing.is_empty().then_some(missing.len())
        },
    )
    .await;
    assert_eq!(missing, 0);

    // Some more committed transactions, one event at a time, then another crash. The damage
    // must have committed transactions after it: a checkpoint may have restarted the log just
    // before the kill, leaving one transaction in it, so then another round.
    let wal = data.join("hookline.db-wal");
    let mut bytes = Vec::new();
    for round in 0.. {
        let c = hookline_client::connect(&base, KEY).unwrap();
        for n in 0..40 {
            calls::publish(&c, json!({"type": "crash.test", "data": {"after": n}})).await;
        }
        kill_9(&mut server);
        bytes = std::fs::read(&wal).expect("a crash leaves the write-ahead log");
        if commits_in_log(&bytes) >= 2 {
            break;
        }
        assert!(
            round < 5,
            "every round's log held fewer than two transactions"
        );
        (server, base) = serve(&data, "full");
        hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    }
    // A byte of the first frame's page (header 32 bytes, frame header 24).
    bytes[32 + 24 + 100] ^= 0xff;
    std::fs::write(&wal, &bytes).unwrap();
    let (status, stderr) = run_bounded(
        Command::new(hookline_bin())
            .arg("serve")
            .env("HOOKLINE_DATA_DIR", &data)
            .env("HOOKLINE_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("HOOKLINE_LOCAL_API_KEY", KEY)
            .env("RUST_BACKTRACE", "1")
            .env_remove("HOOKLINE_BACKEND"),
        Duration::from_secs(30),
    );
    assert!(!status.success(), "started on a damaged log: {stderr}");
    assert!(
        stderr.contains(&wal.display().to_string()) && stderr.contains("damaged"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: ") && l.contains("damaged"))
            && !stderr.to_lowercase().contains("backtrace"),
        "one line that says why, no stack trace: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The commit frames of the log's current generation (those carrying the salts of its
/// header; frames left from before its last restart carry others). SQLite's WAL format: a
/// 32-byte header, then frames of a 24-byte header and a page.
fn commits_in_log(b: &[u8]) -> usize {
    let u32_at = |at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    if b.len() < 32 {
        return 0;
    }
    let page = u32_at(8) as usize;
    let frame = 24 + page;
    (0..(b.len() - 32) / frame)
        .map(|i| 32 + i * frame)
        .filter(|&at| u32_at(at + 8) == u32_at(16) && u32_at(at + 12) == u32_at(20))
        .filter(|&at| u32_at(at + 4) != 0)
        .count()
}

/// Runs `cmd` to its end, killing it after `limit` (a start that wrongly succeeds would serve
/// forever): its status and standard error.
fn run_bounded(cmd: &mut Command, limit: Duration) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, reader.join().unwrap())
}
