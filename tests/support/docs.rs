//! The walkthroughs of the README and the API guide, read from the documents themselves so
//! that the tests run them exactly as written, and what running one must show.

use crate::root;

/// The README walkthrough: the first `sh` block after "Then, as written:", run by the serve
/// test against `hookline serve` and by the `sam_local` test against `sam local start-api`.
pub fn walkthrough() -> String {
    readme_block("Then, as written:")
}

/// The README's second walkthrough, which delivers to `hookline listen` and watches retries.
pub fn delivery_walkthrough() -> String {
    readme_block("on your `PATH` (`export PATH=$PWD/target/local:$PATH`), as written:")
}

/// The API guide's signed-request example (registers a client key, then signs a request).
pub fn signed_request_walkthrough() -> String {
    doc_block(
        "docs/api.md",
        "`http-message-signatures` (`pip install http-message-signatures requests`), as written:",
    )
}

/// The API guide's JWT example (mints a token with PyJWT and lists webhooks with it).
pub fn jwt_walkthrough() -> String {
    doc_block(
        "docs/api.md",
        "in a shell with the same\nvariable and PyJWT (`pip install PyJWT`), as written:",
    )
}

/// The README's Python example ("Use it from your code").
pub fn python_example() -> String {
    fenced("README.md", "## Use it from your code", "python")
}

/// The first `sh` block after `marker` in README.md.
fn readme_block(marker: &str) -> String {
    doc_block("README.md", marker)
}

/// The first `sh` block after `marker` in the document `path` (from the repository root).
fn doc_block(path: &str, marker: &str) -> String {
    fenced(path, marker, "sh")
}

/// The first block fenced as `lang` after `marker` in the document `path`.
fn fenced(path: &str, marker: &str, lang: &str) -> String {
    let doc = std::fs::read_to_string(root().join(path)).unwrap();
    let after = doc
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("{path} has {marker:?}"));
    let block = after.split(&format!("```{lang}\n")).nth(1).unwrap();
    block.split("\n```").next().unwrap().to_string()
}

/// What a user reading the walkthrough expects to see from running it.
pub fn check_walkthrough(out: &std::process::Output) {
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
}
