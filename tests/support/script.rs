//! Running a Python script of `tests/` (browser checks, verifiers) off the async runtime.

use std::process::Command;

/// Runs `tests/<script>` with `args` under the test Python; whether it exited 0, and what it
/// printed (stdout, then stderr).
pub async fn run_python(script: &str, args: Vec<String>) -> (bool, String) {
    let path = crate::root().join("tests").join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(crate::python())
            .arg(path)
            .args(args)
            .output()
            .expect("run python")
    })
    .await
    .expect("the script's thread");
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}
