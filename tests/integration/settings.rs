//! Every variable is declared once (config/settings.rs): the code reads no other, and the
//! configuration guide names each.

use std::collections::BTreeSet;

use hookline::config::settings::{lambda_variables, local_variables};
use hookline_tests::root;

#[test]
fn every_environment_variable_the_code_reads_is_listed() {
    let known: BTreeSet<String> = lambda_variables()
        .into_iter()
        .chain(local_variables())
        .collect();
    let read = env_vars_in_source();
    assert!(
        read.contains("HOOKLINE_QUEUE_URL"),
        "the scan finds the variables: {read:?}"
    );
    let unlisted: Vec<&String> = read.difference(&known).collect();
    assert!(
        unlisted.is_empty(),
        "read by the code but not declared in config/settings.rs: {unlisted:?}"
    );
}

#[test]
fn the_configuration_guide_names_every_variable() {
    let guide = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let missing: Vec<String> = lambda_variables()
        .into_iter()
        .chain(local_variables())
        .filter(|v| !guide.contains(&format!("`{v}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not name {missing:?} (declared in config/settings.rs)"
    );
}

/// The `HOOKLINE_*` names the code reads, found as string literals in its source.
fn env_vars_in_source() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root().join("shared/src"), root().join("functions")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let src = std::fs::read_to_string(&path).unwrap();
                for (i, _) in src.match_indices("\"HOOKLINE_") {
                    let name: String = src[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    found.insert(name);
                }
            }
        }
    }
    found
}

/// A setting `hookline serve` cannot use is refused before anything starts, naming it.
#[test]
fn serve_refuses_a_thread_count_that_is_not_one() {
    let data = std::env::temp_dir().join(hookline_tests::unique("threads"));
    for (value, says) in [
        (
            "0",
            "HOOKLINE_WORKER_THREADS must be a positive whole number",
        ),
        ("two", "\"two\" is not a whole number"),
    ] {
        let out = std::process::Command::new(super::serve::hookline_bin())
            .arg("serve")
            .env("HOOKLINE_DATA_DIR", &data)
            .env("HOOKLINE_WORKER_THREADS", value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(says),
            "{value}: {stderr}"
        );
    }
}
