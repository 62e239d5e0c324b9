//! A customer managing an endpoint in the portal, in headless Chromium: the script
//! (`tests/portal_manage_browser.py`) drives the page; this test starts what it needs and
//! checks what reached the receiver. Screenshots go under `target/test-artifacts/`.

use base64::Engine;
use hookline::model::Scope;
use hookline_tests::{Harness, Receiver, mint_key, sqlite, test_config, unique};
use serde_json::json;

/// Whether `secret` (`whsec_…`) verifies the request `d` as a Standard Webhooks receiver would.
fn verifies(secret: &str, d: &hookline_tests::Delivered) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("a base64 secret");
    hookline::signing::verify(
        &key,
        d.webhook_id.as_deref().unwrap_or_default(),
        d.timestamp.as_deref().unwrap_or_default(),
        d.signature.as_deref().unwrap_or_default(),
        d.body.as_deref().unwrap_or_default().as_bytes(),
        d.received_at as i64,
    )
    .is_ok()
}

#[tokio::test]
async fn a_customer_manages_an_endpoint_in_the_browser() {
    let receiver = Receiver::start().await;
    let good = receiver.configure("/good", &[], &[200], None).await;
    let bad = receiver.configure("/bad", &[], &[500], None).await;
    let h = Harness::start(sqlite(test_config())).await;
    let paid = json!({"name": "order.paid", "description": "An order was paid",
                      "example": {"order": 1}});
    let paid = hookline_tests::body::<hookline_client::types::EventTypeIn>(paid);
    hookline_tests::ok(h.client.event_types_create().body(paid).send()).await;
    // Another tenant's endpoint, which the customer's page must never show.
    let stranger = mint_key(&h.api.app, &unique("stranger"), &[Scope::WebhooksWrite]).await;
    let private = "https://private.example.com/stranger-hook";
    let stranger = hookline_client::connect(&h.base(), &stranger).unwrap();
    let foreign = hookline_tests::calls::create_webhook(&stranger, json!({"url": private})).await;

    let artifacts = hookline_tests::root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let args = vec![
        "--base".into(),
        h.base(),
        "--key".into(),
        h.key.clone(),
        "--good".into(),
        good,
        "--bad".into(),
        bad,
        "--foreign".into(),
        foreign.id.to_string(),
        "--foreign-text".into(),
        private.into(),
        "--artifacts".into(),
        artifacts.display().to_string(),
    ];
    let (ok, said) = hookline_tests::run_python("portal_manage_browser.py", args).await;
    assert!(ok, "the browser check failed:\n{said}");
    let value = |name: &str| {
        said.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{said}"))
            .to_string()
    };
    let (before, after) = (value("SECRET_BEFORE"), value("SECRET_AFTER"));

    // What the page did reached the receiver: each event delivered to the good URL, signed
    // with the secret the page showed; during the grace period, with both secrets.
    let log = receiver.log_for("/good").await;
    let of = |event: &str| {
        log.iter()
            .find(|d| d.body.as_deref().unwrap_or_default().contains(event))
            .unwrap_or_else(|| panic!("{event} did not reach the receiver: {log:?}"))
            .clone()
    };
    let delivered = of(&value("EVENT_DELIVERED"));
    assert!(verifies(&before, &delivered) && !verifies(&after, &delivered));
    let recovered = of(&value("EVENT_RECOVERED"));
    assert_eq!(recovered.status, 200);
    assert!(verifies(&before, &recovered));
    let rotated = of(&value("EVENT_ROTATED"));
    assert!(
        verifies(&before, &rotated) && verifies(&after, &rotated),
        "both secrets verify during the grace period: {rotated:?}"
    );
    assert_eq!(
        delivered.headers.get("x-shop").map(String::as_str),
        Some("north"),
        "the custom header set in the page"
    );
    // The failing URL got the recovered event's scheduled attempts, all answered 500.
    let failing = receiver.log_for("/bad").await;
    assert!(!failing.is_empty() && failing.iter().all(|d| d.status == 500));
    for page in [
        "manage-secret",
        "manage-failing",
        "manage-rotated",
        "read-only",
        "framed",
    ] {
        let shot = artifacts.join(format!("portal-{page}.png"));
        assert!(
            std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0) > 10_000,
            "a real screenshot of {page}"
        );
    }
    h.stop().await;
}
