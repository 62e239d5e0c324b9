//! The documented walkthroughs, run as written against a real `hookline serve`: `hookline
//! listen`, the delivery walkthrough with its retries, and the JWT and signed-request examples
//! of docs/api.md.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::serve::KEY;
use super::serve::{hookline_bin, start_serve};
use hookline_tests::free_port;
use serde_json::Value;

/// `hookline listen` as the README uses it: a receiver on this machine that prints a line per
/// delivery and says whether its signature verifies with the secret it was given.
#[tokio::test]
async fn hookline_listen_prints_each_delivery_and_whether_it_verifies() {
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-listen"));
    let env = [("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true")];
    let (_server, base) = start_serve(&data, &env, Stdio::null());
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let c = hookline_client::connect(&base, KEY).unwrap();
    // Two listeners: one given the webhook's secret, one given another.
    let mut lines = Vec::new();
    let mut listeners = Vec::new();
    for right in [true, false] {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}/hook");
        let created =
            hookline_tests::calls::create_webhook(&c, serde_json::json!({"url": url})).await;
        let secret = if right {
            created.secret
        } else {
            hookline::signing::generate_secret()
        };
        let port = port.to_string();
        let (listener, rx) = super::serve::spawn_listen(&["--port", &port, "--secret", &secret]);
        listeners.push(listener);
        lines.push(rx);
    }
    let event = serde_json::json!({"id": "evt_listen", "type": "order.paid", "data": {}});
    hookline_tests::calls::publish(&c, event).await;
    let right = lines[0].recv_timeout(Duration::from_secs(10)).unwrap();
    let wrong = lines[1].recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        right.contains("evt_listen order.paid verified") && right.ends_with("-> 200"),
        "{right}"
    );
    assert!(
        wrong.contains("evt_listen order.paid BAD SIGNATURE"),
        "{wrong}"
    );
    drop(listeners);
    let _ = std::fs::remove_dir_all(&data);
}

/// The README's second walkthrough, as written: a webhook to `hookline listen`, a delivery that
/// verifies, then the listener answering 500 and the retries in the delivery log.
#[tokio::test]
async fn the_delivery_walkthrough_delivers_and_shows_the_retries() {
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-walk2"));
    std::fs::create_dir_all(&data).unwrap();
    let log = data.join("serve.log");
    let env = [
        ("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true"),
        ("HOOKLINE_RETRY_INTERVAL_SECONDS", "2"),
        ("HOOKLINE_LOG_FORMAT", "json"),
    ];
    let (_server, base) = start_serve(&data, &env, std::fs::File::create(&log).unwrap().into());
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let bin_dir = hookline_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .args([
                "-euo",
                "pipefail",
                "-c",
                &hookline_tests::delivery_walkthrough(),
            ])
            .env("HOOKLINE", &base)
            .env("KEY", KEY)
            .env("PATH", path)
            .output()
            .expect("run the walkthrough")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("evt_order_1 order.paid verified") && l.ends_with("-> 200")),
        "{stdout}"
    );
    let refused = stdout
        .lines()
        .filter(|l| l.contains("evt_order_2 order.refunded verified") && l.ends_with("-> 500"))
        .count();
    assert!(refused >= 2, "the first attempt and a retry: {stdout}");
    let log: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .find(|l| l.starts_with("{\"data\""))
            .expect("the delivery log"),
    )
    .unwrap();
    let d = &log["data"][0];
    assert_eq!(d["status"], "pending", "{log}");
    assert_eq!(d["event_id"], "evt_order_2");
    assert!(d["attempt_count"].as_u64().unwrap() >= 2, "{log}");
    assert_eq!(d["last_status_code"], 500, "{log}");

    // HOOKLINE_LOG_FORMAT=json: every log line is a JSON object with its time; the failed
    // attempts say when the next one is.
    let said = std::fs::read_to_string(data.join("serve.log")).unwrap();
    let lines: Vec<Value> = said
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["timestamp"].is_string()), "{said}");
    // No secret and no key in any line.
    assert!(
        !said.contains("whsec_") && !said.contains(KEY),
        "a secret or key was logged: {said}"
    );
    // One line per attempt: delivery, webhook, tenant, attempt number (the span), status,
    // duration, outcome and the next attempt.
    let retried = lines
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("attempt failed: 500; next attempt at"))
        })
        .unwrap_or_else(|| panic!("no failed attempt line: {said}"));
    let f = &retried["fields"];
    assert_eq!(
        (f["outcome"].as_str(), f["status_code"].as_u64()),
        (Some("retry_scheduled"), Some(500)),
        "{retried}"
    );
    assert!(
        f["duration_ms"].is_u64() && f["next_attempt_at"].is_string(),
        "{retried}"
    );
    let span = &retried["span"];
    for field in ["delivery", "webhook", "tenant", "attempt"] {
        assert!(
            span[field].is_string() || span[field].is_u64(),
            "{field}: {retried}"
        );
    }
    // One line per request: method, route, status, duration, tenant and request id.
    let request = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "finished processing request"
                && l["span"]["route"] == "/v1/webhooks/{id}/deliveries"
        })
        .unwrap_or_else(|| panic!("no request line for the delivery log: {said}"));
    assert_eq!(request["fields"]["status"], 200, "{request}");
    assert!(request["fields"]["latency"].is_string(), "{request}");
    let span = &request["span"];
    assert_eq!(
        (span["method"].as_str(), span["tenant"].as_str()),
        (Some("GET"), Some("default")),
        "{request}"
    );
    assert!(
        span["request_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("req_")),
        "{request}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The README's JWT example, as written, against a server started with a shared secret: the
/// token PyJWT mints there lists the local tenant's webhooks, and a token with another secret
/// is refused.
#[tokio::test]
async fn the_readme_jwt_example_works_as_written() {
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-jwt"));
    let secret = "readme-example-secret-0123456789abcdef";
    let env = [("HOOKLINE_JWT_HS256_SECRET", secret)];
    let (_server, base) = start_serve(&data, &env, Stdio::null());
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    // `python3` with PyJWT: the test suite's venv first on the PATH.
    let python = std::path::PathBuf::from(hookline_tests::python());
    let path = format!(
        "{}:{}",
        python.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |secret: &str| {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &hookline_tests::jwt_walkthrough()])
            .env("HOOKLINE", &base)
            .env("HOOKLINE_JWT_HS256_SECRET", secret)
            .env("PATH", &path)
            .output()
            .expect("run the JWT example")
    };
    let out = run(secret);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_str(stdout.trim()).expect("a JSON listing");
    assert!(list["data"].is_array(), "{list}");
    let out = run("another-secret-0123456789abcdef-xyz");
    assert!(
        !out.status.success(),
        "a token with another secret was accepted"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"unauthorized\""),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The README's signed-request example, as written, against a fresh server: the key is
/// registered and the signed request (no API key) answers the tenant's webhooks.
#[tokio::test]
async fn the_readme_signed_request_example_works_as_written() {
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-sig"));
    let work = data.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let (_server, base) = start_serve(&data, &[], Stdio::null());
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let python = std::path::PathBuf::from(hookline_tests::python());
    let path = format!(
        "{}:{}",
        python.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args([
            "-euo",
            "pipefail",
            "-c",
            &hookline_tests::signed_request_walkthrough(),
        ])
        .current_dir(&work)
        .env("HOOKLINE", &base)
        .env("KEY", KEY)
        .env("PATH", &path)
        .output()
        .expect("run the signed-request example");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines().filter(|l| !l.trim().is_empty());
    let registered: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(registered["key_id"], "docs-example", "{stdout}");
    let answer = lines.next().unwrap();
    let (status, body) = answer.split_once(' ').unwrap();
    assert_eq!(status, "200", "{stdout}");
    let list: Value = serde_json::from_str(body).unwrap();
    assert!(list["data"].is_array(), "{stdout}");
    let _ = std::fs::remove_dir_all(&data);
}
