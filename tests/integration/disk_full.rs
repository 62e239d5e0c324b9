//! The embedded backend when its disk fills: `hookline serve` on a small tmpfs, publishing
//! while deliveries are in flight until writes fail, then space freed. What a user relies on:
//! nothing answered 202 is lost, a publish that could not be written is refused with a JSON
//! 503 to retry (never answered 202), the server keeps running and serves again once there is room,
//! and the database opens cleanly afterwards.
//!
//! A tmpfs needs `mount` (root, as the test command runs on the project's machines and CI);
//! without it the test fails and says so.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use hookline_tests::{Receiver, calls, eventually, healthy, unique};
use serde_json::json;

use super::serve::{KEY, start_serve};

/// A tmpfs of `mb` megabytes at `dir`, unmounted on drop.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, mb: u32) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it, which needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir.to_path_buf())
    }

    fn free_bytes(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.0)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the publishers saw: ids answered 202, and the other answers (status, body).
#[derive(Default)]
struct Burst {
    answered: Vec<String>,
    refused: Vec<(u16, String)>,
}

/// `publishers` clients publish 2 KB events until `refusals` answers were not 202.
async fn publish_until_refused(base: &str, publishers: usize, refusals: usize) -> Burst {
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let (base, refused) = (base.to_string(), refused.clone());
        tasks.push(tokio::spawn(async move {
            // Raw, with a timeout: a server that stopped answering fails the test here.
            let http = reqwest::Client::new();
            let mut burst = Burst::default();
            let pad = "x".repeat(2048);
            for n in 0..20_000 {
                if refused.load(std::sync::atomic::Ordering::Relaxed) >= refusals {
                    break;
                }
                let id = format!("evt_full_{p}_{n}");
                let r = http
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(KEY)
                    .json(&json!({"id": id, "type": "disk.test", "data": {"pad": pad}}))
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await
                    .expect("the server keeps answering while its disk is full");
                let status = r.status().as_u16();
                if status == 202 {
                    burst.answered.push(id);
                } else {
                    burst
                        .refused
                        .push((status, r.text().await.unwrap_or_default()));
                    refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            burst
        }));
    }
    let mut all = Burst::default();
    for t in tasks {
        let b = t.await.unwrap();
        all.answered.extend(b.answered);
        all.refused.extend(b.refused);
    }
    all
}

#[tokio::test]
async fn a_full_disk_refuses_publishes_loses_nothing_answered_and_recovers() {
    let receiver = Receiver::start().await;
    let url = receiver.configure("/full", &[], &[200], None).await;
    // Deliveries stay in flight while the disk fills.
    receiver.slow("/full", Duration::from_millis(50));
    let data = std::env::temp_dir().join(unique("hookline-full"));
    let disk = Tmpfs::mount(&data, 48);
    let log = std::env::temp_dir().join(unique("hookline-full-log"));
    let env = [
        ("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true"),
        ("HOOKLINE_RETRY_INTERVAL_SECONDS", "1"),
    ];
    let (server, base) = start_serve(&data, &env, std::fs::File::create(&log).unwrap().into());
    healthy(&base, Duration::from_secs(10)).await;
    let c = hookline_client::connect(&base, KEY).unwrap();
    calls::create_webhook(&c, json!({"url": url})).await;

    // Leave about 4 MB: some hundred events fit, then writes fail.
    let filler = data.join("filler");
    let room = 4_000_000;
    let fill = disk.free_bytes().saturating_sub(room);
    std::fs::write(&filler, vec![0u8; fill as usize]).unwrap();
    let burst = publish_until_refused(&base, 8, 40).await;
    eprintln!(
        "{} events answered 202, {} refused, while the disk filled",
        burst.answered.len(),
        burst.refused.len()
    );
    if let Some((status, body)) = burst.refused.first() {
        eprintln!("the first refusal: {status} {body}");
    }
    assert!(burst.answered.len() > 20, "only {}", burst.answered.len());
    for (status, body) in &burst.refused {
        let v: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|_| panic!("a JSON error, got {status} {body:?}"));
        assert_eq!(
            (*status, v["error"]["code"].as_str()),
            (503, Some("unavailable")),
            "a full disk refuses for now, to be retried: {body}"
        );
    }

    // Room again: the server serves without a restart, and delivers everything it answered.
    std::fs::remove_file(&filler).unwrap();
    eventually(
        "a publish answered 202 once there is room",
        Duration::from_secs(20),
        || async {
            let event = json!({"id": "evt_after_full", "type": "disk.test", "data": {}});
            let event = hookline_tests::body::<hookline_client::types::EventIn>(event);
            c.events_create().body(event).send().await.ok().map(|_| ())
        },
    )
    .await;
    let mut expected: HashSet<String> = burst.answered.iter().cloned().collect();
    expected.insert("evt_after_full".into());
    let missing = eventually(
        "every answered event delivered after the disk had room again",
        Duration::from_secs(90),
        || async {
            let got: HashSet<String> = receiver
                .log_for("/full")
                .await
                .into_iter()
                .filter_map(|d| d.webhook_id)
                .collect();
            let missing = expected.iter().filter(|id| !got.contains(*id)).count();
            (missing == 0).then_some(missing)
        },
    )
    .await;
    assert_eq!(missing, 0);
    drop(server);

    // The database opens cleanly after all that.
    let (_again, base) = start_serve(&data, &env, Stdio::null());
    healthy(&base, Duration::from_secs(10)).await;
    let c = hookline_client::connect(&base, KEY).unwrap();
    calls::read_event(&c, &"evt_after_full").await;
    let _ = std::fs::remove_file(&log);
}
