//! Custom headers per webhook, as the receiver sees them, on both backends: sent on every
//! attempt (published events, test events, manual retries), shown in answers, replaced by
//! PATCH and cleared by `null`, and refused with a 422 naming the header when they are not the
//! webhook's to set.

use std::time::Duration;

use hookline::api::webhooks::WebhookOut;
use hookline_tests::{Backend, Harness, Receiver, test_config};
use serde_json::json;

async fn custom_headers_reach_the_receiver_on_every_attempt(b: Backend) {
    let name = b.name().replace('+', "-");
    let receiver = Receiver::start().await;
    let h = Harness::start(b.app(test_config()).await).await;
    let path = format!("/headers-{name}");
    let url = receiver.configure(&path, &[], &[500, 200], None).await;
    let made: WebhookOut = h
        .api
        .post(
            "/v1/webhooks",
            &h.key,
            json!({"url": url, "headers": {"X-Api-Key": "k1", "X-Tenant": "acme"}}),
        )
        .await;
    assert_eq!(
        made.headers["X-Api-Key"], "k1",
        "{name}: shown in the answer"
    );
    let sent = |n: usize| {
        let (receiver, path) = (&receiver, &path);
        async move { receiver.wait_for(path, n, Duration::from_secs(15)).await }
    };
    // A published event: the first attempt fails, the retry succeeds; both carry them.
    let e = h.publish(json!({"type": "a.b", "data": {}})).await;
    h.settled(&e.id, Duration::from_secs(15)).await;
    let got = sent(2).await;
    for r in &got {
        assert_eq!(
            r.headers.get("x-api-key").map(String::as_str),
            Some("k1"),
            "{name}"
        );
        assert_eq!(
            r.headers.get("x-tenant").map(String::as_str),
            Some("acme"),
            "{name}"
        );
        assert!(
            r.webhook_id.is_some(),
            "{name}: Hookline's own headers are still there"
        );
    }
    // A manual retry and a test event carry them too.
    let d = &h.event(&e.id).await.deliveries[0];
    let (s, _) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{}/deliveries/{}/retry", made.id, d.id),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 202);
    let (s, _) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{}/test", made.id),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 202);
    let got = sent(4).await;
    assert!(
        got.iter()
            .all(|r| r.headers.get("x-api-key").map(String::as_str) == Some("k1")),
        "{name}: {got:#?}"
    );
    // PATCH replaces them all; null clears them.
    let patched: WebhookOut = h
        .api
        .ok(
            "PATCH",
            &format!("/v1/webhooks/{}", made.id),
            &h.key,
            Some(json!({"headers": {"X-Api-Key": "k2"}})),
        )
        .await;
    assert_eq!(patched.headers.len(), 1, "{name}");
    h.publish(json!({"type": "a.b", "data": {}})).await;
    let last = sent(5).await.pop().unwrap();
    assert_eq!(
        last.headers.get("x-api-key").map(String::as_str),
        Some("k2")
    );
    assert!(
        !last.headers.contains_key("x-tenant"),
        "{name}: replaced, not merged"
    );
    let cleared: WebhookOut = h
        .api
        .ok(
            "PATCH",
            &format!("/v1/webhooks/{}", made.id),
            &h.key,
            Some(json!({"headers": null})),
        )
        .await;
    assert!(cleared.headers.is_empty(), "{name}");
    h.publish(json!({"type": "a.b", "data": {}})).await;
    let last = sent(6).await.pop().unwrap();
    assert!(!last.headers.contains_key("x-api-key"), "{name}: cleared");
    h.stop().await;
}

async fn headers_that_are_not_the_webhooks_are_refused(b: Backend) {
    let name = b.name();
    let h = Harness::start(b.app(test_config()).await).await;
    let url = "https://hooks.example.com/h";
    for (header, field) in [
        ("Authorization", "headers.Authorization"),
        ("webhook-id", "headers.webhook-id"),
        ("Content-Type", "headers.Content-Type"),
        ("Host", "headers.Host"),
        ("Transfer-Encoding", "headers.Transfer-Encoding"),
        ("not a token", "headers.not a token"),
    ] {
        let (s, e) = h
            .api
            .call(
                "POST",
                "/v1/webhooks",
                Some(&h.key),
                Some(json!({"url": url, "headers": {header: "v"}})),
            )
            .await;
        assert_eq!(s.as_u16(), 422, "{name}: {header}: {e}");
        assert_eq!(e["error"]["field"], field, "{name}: {e}");
    }
    let many: serde_json::Map<String, serde_json::Value> =
        (0..21).map(|i| (format!("X-{i}"), json!("v"))).collect();
    let (s, e) = h
        .api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&h.key),
            Some(json!({"url": url, "headers": many})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("headers")),
        "{name}"
    );
    // Nothing was made by the refused requests.
    let (_, list) = h.api.call("GET", "/v1/webhooks", Some(&h.key), None).await;
    assert_eq!(list["data"], json!([]), "{name}");
    h.stop().await;
}

hookline_tests::per_backend!(
    custom_headers_reach_the_receiver_on_every_attempt,
    headers_that_are_not_the_webhooks_are_refused,
);
