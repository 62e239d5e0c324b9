//! `hookline serve` as a new user meets it: the real binary on a fresh data directory, and the
//! README's curl walkthrough run exactly as written.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hookline_tests::{eventually, root};

/// The `hookline` binary that `cargo build --workspace --all-targets` puts beside this test binary.
fn hookline_bin() -> std::path::PathBuf {
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

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The walkthrough: the first `sh` block after "Then, as written:" in README.md.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split("Then, as written:")
        .nth(1)
        .expect("README has the walkthrough");
    let block = after.split("```sh\n").nth(1).unwrap();
    block.split("\n```").next().unwrap().to_string()
}

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
    let http = reqwest::Client::new();
    eventually("the server to answer", Duration::from_secs(10), || async {
        http.get(format!("{base}/health"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await;

    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthrough()])
        .env("HOOKLINE", &base)
        .env("KEY", &key)
        .output()
        .expect("run the walkthrough");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "walkthrough failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""secret":"whsec_"#), "{stdout}");
    assert!(
        stdout.contains(r#""secret":"whsec_****"#),
        "masked afterwards: {stdout}"
    );
    assert!(stdout.contains(r#""enabled":false"#), "{stdout}");
    assert!(
        stdout.contains(r#""url":"https://api.example.com/v2/hooks""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""deliveries":0"#),
        "a disabled webhook gets no delivery: {stdout}"
    );
    let codes: Vec<&str> = stdout.lines().rev().take(2).collect();
    assert_eq!(codes, vec!["404", "204"], "{stdout}");

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
    assert_eq!(listed.lines().count(), 1, "one bootstrap key: {listed}");
    assert!(
        listed.contains("active") && listed.contains("admin"),
        "{listed}"
    );
    let _ = std::fs::remove_dir_all(&data);
}
