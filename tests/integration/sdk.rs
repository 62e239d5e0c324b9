//! The Python SDK (`clients/python`): generated from the contract and current with it, packaged,
//! and working against a live server: its own check (`clients/python/tests/live_check.py`) and
//! the README's example, as written.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hookline_tests::{Harness, root, sqlite, test_config};

/// The venv's bin directory, beside the test Python.
fn tools_bin() -> PathBuf {
    Path::new(&hookline_tests::python())
        .parent()
        .expect("the venv's bin")
        .to_path_buf()
}

fn generate(args: &[&str]) -> (bool, String) {
    let out = Command::new(root().join("clients/python/generate.sh"))
        .args(args)
        .env("HOOKLINE_TOOLS_BIN", tools_bin())
        .output()
        .expect("run generate.sh");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// The SDK installed from its `pyproject.toml` into a folder of its own (offline: the build
/// tools are the test venv's), once per test run. Built from a copy: a build leaves `build/`
/// and `*.egg-info` beside the sources.
fn installed() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let work = std::env::temp_dir().join(format!("hookline-sdk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let copied = Command::new("cp")
            .arg("-r")
            .arg(root().join("clients/python"))
            .arg(work.join("src"))
            .status()
            .expect("cp");
        assert!(copied.success());
        let dir = work.join("installed");
        let out = Command::new(hookline_tests::python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-deps", "--no-build-isolation", "--target"])
            .arg(&dir)
            .arg(work.join("src"))
            .output()
            .expect("pip install");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// Runs Python `script` with the installed SDK against the server `h` (as `HOOKLINE_URL` and
/// `HOOKLINE`, with its key as `HOOKLINE_KEY` and `KEY`): whether it passed, and what it said.
async fn run(h: &Harness, script: PathBuf) -> (bool, String) {
    let (base, key) = (h.base(), h.key.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(hookline_tests::python())
            .arg(script)
            .envs([("HOOKLINE_URL", &base), ("HOOKLINE", &base)])
            .envs([("HOOKLINE_KEY", &key), ("KEY", &key)])
            // The installed copy, not the source folder.
            .env("PYTHONPATH", installed())
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// The generated client is what the contract makes; a contract changed without regenerating
/// is caught, with the difference shown.
#[test]
fn the_python_client_is_current_with_the_contract() {
    let (ok, said) = generate(&["--check"]);
    assert!(ok, "{said}");
    let changed = std::env::temp_dir().join(format!("openapi-changed-{}.json", std::process::id()));
    let spec = std::fs::read_to_string(root().join("openapi.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&spec).unwrap();
    v["components"]["schemas"]["WebhookIn"]["properties"]["nickname"] = serde_json::json!(
        {"type": ["string", "null"], "description": "A field the client lacks."}
    );
    std::fs::write(&changed, v.to_string()).unwrap();
    let (ok, said) = generate(&["--check", "--spec", changed.to_str().unwrap()]);
    let _ = std::fs::remove_file(&changed);
    assert!(!ok, "a changed contract passed the check:\n{said}");
    assert!(
        said.contains("nickname") && said.contains("run clients/python/generate.sh"),
        "{said}"
    );
}

/// The SDK creates, lists with paging, publishes, reads the log, retries and verifies a
/// delivery of each signature scheme against the server as `hookline serve` runs it.
#[tokio::test]
async fn the_python_sdk_works_against_a_live_server() {
    let h = Harness::start(sqlite(test_config())).await;
    let (ok, said) = run(&h, root().join("clients/python/tests/live_check.py")).await;
    assert!(ok, "the SDK check failed:\n{said}");
    assert!(
        said.contains("SDK OK") && said.contains("rfc9421: verified; tampered refused"),
        "{said}"
    );
    h.stop().await;
}

/// The README's Python example, as written: it creates a webhook and publishes to it.
#[tokio::test]
async fn the_readme_python_example_runs() {
    let h = Harness::start(sqlite(test_config())).await;
    // In a directory of its own: Python puts the script's directory first on its module
    // path, so a stray `attr.py` in the temporary directory would shadow a dependency.
    let dir = std::env::temp_dir().join(format!("readme-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("example.py");
    std::fs::write(&script, hookline_tests::python_example()).unwrap();
    let (ok, said) = run(&h, script.clone()).await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "the README example failed:\n{said}");
    let line = said.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("webhook wh_")
            && line.contains("(secret whsec_")
            && line.contains("gets evt_"),
        "{said}"
    );
    // What it says happened did: the event is there, with a delivery to the new webhook.
    let event = line.rsplit(' ').next().unwrap();
    let v = h.event(&event).await;
    assert_eq!(v.deliveries.len(), 1, "{v:?}");
    h.stop().await;
}
