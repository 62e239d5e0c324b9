//! The Rust client (`clients/rust`, generated from `openapi.json` when it builds) against a
//! live server: typed requests and answers, the API's error body as a typed error, a listing as
//! a stream; and the README's Rust example (`clients/rust/examples/quickstart.rs`), as written.

use futures::TryStreamExt;
use hookline_client::types::{EventIn, WebhookIn};
use hookline_tests::{Harness, root, sqlite, test_config};

#[tokio::test]
async fn the_rust_client_speaks_the_contract() {
    let h = Harness::start(sqlite(test_config())).await;
    let client = hookline_client::connect(&h.base(), &h.key).unwrap();
    let mut made = Vec::new();
    for n in 0..3 {
        let body = WebhookIn::builder()
            .url(format!("https://receiver.example.com/{n}"))
            .events(vec!["rust.check".to_string()]);
        let w = client
            .webhooks_create()
            .body(body)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(w.secret.starts_with("whsec_"), "{w:?}");
        made.push(w.id.to_string());
    }
    // A page at a time, as a stream.
    let listed: Vec<String> = hookline_client::paged(|cursor| {
        let client = &client;
        async move {
            let mut req = client.webhooks_list().limit(1u64);
            if let Some(c) = cursor {
                req = req.cursor(c);
            }
            let page = req.send().await?.into_inner();
            Ok::<_, hookline_client::Error<_>>((page.data, page.next_cursor))
        }
    })
    .map_ok(|w| w.id.to_string())
    .try_collect()
    .await
    .unwrap();
    assert_eq!(listed, made, "every webhook, one page each");

    let event = client
        .events_create()
        .body(
            EventIn::builder()
                .type_("rust.check")
                .data(serde_json::json!({"n": 1})),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let log = client
        .deliveries_list()
        .id(made[0]
            .parse::<hookline_client::types::WebhookId>()
            .unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(log.data.len(), 1);
    assert_eq!(log.data[0].event_id.to_string(), event.id.to_string());

    // Bad input: the API's error body, typed, naming the field.
    let refused = client
        .webhooks_create()
        .body(WebhookIn::builder().url("not a url"))
        .send()
        .await
        .unwrap_err();
    match refused {
        hookline_client::Error::ErrorResponse(r) => {
            assert_eq!(r.status().as_u16(), 422);
            let body = r.into_inner();
            assert_eq!(body.error.field.as_deref(), Some("url"), "{body:?}");
            assert_eq!(body.error.code, "validation_failed");
        }
        other => panic!("expected the API's error body: {other:?}"),
    }
    h.stop().await;
}

/// The README's Rust example is `clients/rust/examples/quickstart.rs`, word for word, and it
/// runs: it creates a webhook and publishes to it.
#[tokio::test]
async fn the_readme_rust_example_runs() {
    let example =
        std::fs::read_to_string(root().join("clients/rust/examples/quickstart.rs")).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "README.md shows clients/rust/examples/quickstart.rs as it is"
    );
    let bin = root().join("target/debug/examples/quickstart");
    assert!(
        bin.exists(),
        "{} is built by `cargo build --all-targets` (the test command does it)",
        bin.display()
    );
    let h = Harness::start(sqlite(test_config())).await;
    let (base, key) = (h.base(), h.key.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .env("HOOKLINE", base)
            .env("KEY", key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with("webhook wh_")
            && said.contains("(secret whsec_")
            && said.contains("gets evt_"),
        "{said}"
    );
    h.stop().await;
}
