//! Custom headers and receiver authentication per webhook, as the receiver sees them, on both
//! backends: sent on every attempt (published events, test events, manual retries), shown in
//! answers (credentials masked), replaced by PATCH and cleared by `null`, and refused with a
//! 422 naming the field when they are not the webhook's to set; and a webhook's own timeout.

use std::time::Duration;

use hookline_client::types;
use hookline_tests::{Backend, Harness, Receiver, calls, ok, test_config};
use serde_json::json;

async fn custom_headers_reach_the_receiver_on_every_attempt(b: Backend) {
    let name = b.name().replace('+', "-");
    let receiver = Receiver::start().await;
    let h = Harness::start(b.app(test_config()).await).await;
    let path = format!("/headers-{name}");
    let url = receiver.configure(&path, &[], &[500, 200], None).await;
    let made = calls::create_webhook(
        &h.client,
        json!({"url": url, "headers": {"X-Api-Key": "k1", "X-Tenant": "acme"},
                   "auth": {"type": "bearer", "token": "tok-secret-123456"}}),
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
    // The log shows what the failed attempt sent, credentials masked: the custom headers'
    // values and the authorization; the signature as the receiver got it. The success keeps
    // none.
    let d = &h.event(&e.id).await.deliveries[0];
    let read = serde_json::to_value(h.delivery(&made.id, &d.id).await).unwrap();
    let shown = &read["attempts"][0]["request_headers"];
    assert_eq!(shown["x-api-key"], "********", "{name}: {read}");
    assert_eq!(shown["authorization"], "********", "{name}: {read}");
    assert_eq!(shown["webhook-id"], e.id.to_string(), "{name}: {read}");
    assert_eq!(
        shown["webhook-signature"].as_str(),
        got[0].signature.as_deref(),
        "{name}: the signature sent"
    );
    assert!(!read.to_string().contains("tok-secret") && !read.to_string().contains("\"k1\""));
    assert!(
        read["attempts"][1].get("request_headers").is_none(),
        "{name}: {read}"
    );
    // A manual retry and a test event carry them too.
    calls::retry(&h.client, &made.id, &d.id).await;
    let test = h.client.webhooks_send_test().id(made.id.to_string());
    ok(test.body(None).send()).await;
    let got = sent(4).await;
    assert!(
        got.iter()
            .all(|r| r.headers.get("x-api-key").map(String::as_str) == Some("k1")),
        "{name}: {got:#?}"
    );
    // PATCH replaces them all; null clears them.
    let patched =
        calls::patch_webhook(&h.client, &made.id, json!({"headers": {"X-Api-Key": "k2"}})).await;
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
    let made_path = format!("/v1/webhooks/{}", made.id);
    let cleared: types::WebhookOut =
        hookline_client::patch_json(&h.client, &made_path, &json!({"headers": null}))
            .await
            .unwrap();
    assert!(cleared.headers.is_empty(), "{name}");
    h.publish(json!({"type": "a.b", "data": {}})).await;
    let last = sent(6).await.pop().unwrap();
    assert!(!last.headers.contains_key("x-api-key"), "{name}: cleared");
    h.stop().await;
}

/// POSTs a webhook of `body` (with a URL) that must be refused: the field its 422 names.
/// Sent raw: some of these bodies are bad input on purpose.
async fn refused(h: &Harness, mut body: serde_json::Value) -> String {
    body["url"] = json!("https://hooks.example.com/h");
    let (s, e) = h
        .api
        .call("POST", "/v1/webhooks", Some(&h.key), Some(body))
        .await;
    assert_eq!(s.as_u16(), 422, "{e}");
    e["error"]["field"].as_str().unwrap_or_default().to_string()
}

/// Nothing was made by the refused requests.
async fn none_made(h: &Harness) {
    let list = ok(h.client.webhooks_list().send()).await;
    assert!(list.data.is_empty(), "nothing made: {list:?}");
}

async fn headers_that_are_not_the_webhooks_are_refused(b: Backend) {
    let name = b.name();
    let h = Harness::start(b.app(test_config()).await).await;
    for header in [
        "Authorization",
        "webhook-id",
        "Content-Type",
        "Host",
        "Transfer-Encoding",
        "not a token",
    ] {
        let field = refused(&h, json!({"headers": {header: "v"}})).await;
        assert_eq!(field, format!("headers.{header}"), "{name}");
    }
    let many: serde_json::Map<String, serde_json::Value> =
        (0..21).map(|i| (format!("X-{i}"), json!("v"))).collect();
    assert_eq!(
        refused(&h, json!({"headers": many})).await,
        "headers",
        "{name}"
    );
    none_made(&h).await;
    h.stop().await;
}

/// Basic, bearer and API-key header authentication: each receiver gets exactly its credential;
/// answers and `Debug` output never show one; PATCH `auth: null` removes it.
async fn each_receiver_authentication_reaches_its_receiver(b: Backend) {
    use base64::Engine;
    let name = b.name().replace('+', "-");
    let receiver = Receiver::start().await;
    let h = Harness::start(b.app(test_config()).await).await;
    let cases = [
        (
            "basic",
            json!({"type": "basic", "username": "alice", "password": "pw-0123456789-abcd"}),
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("alice:pw-0123456789-abcd")
            ),
        ),
        (
            "bearer",
            json!({"type": "bearer", "token": "tok-0123456789-wxyz"}),
            "authorization",
            "Bearer tok-0123456789-wxyz".to_string(),
        ),
        (
            "header",
            json!({"type": "header", "name": "X-Api-Key", "value": "key-0123456789-qrst"}),
            "x-api-key",
            "key-0123456789-qrst".to_string(),
        ),
    ];
    let c = hookline_client::connect(&h.base(), &h.key).unwrap();
    let mut made = Vec::new();
    for (kind, auth, header, want) in &cases {
        let path = format!("/auth-{kind}-{name}");
        let url = receiver.configure(&path, &[], &[200], None).await;
        // The receiver refuses (401) a request without exactly this credential.
        receiver.require_header(&path, header, want);
        let w = hookline_tests::ok(
            c.webhooks_create()
                .body(hookline_tests::body::<types::WebhookIn>(
                    json!({"url": url, "auth": auth}),
                ))
                .send(),
        )
        .await;
        let shown = serde_json::to_string(&w.auth).unwrap();
        assert!(
            shown.contains("****") && !shown.contains("0123456789"),
            "{name}: {shown}"
        );
        made.push((path, w.id.to_string()));
    }
    let e = h.publish(json!({"type": "a.b", "data": {}})).await;
    h.settled(&e.id, Duration::from_secs(15)).await;
    for ((kind, _, header, want), (path, _)) in cases.iter().zip(&made) {
        let got = receiver.wait_for(path, 1, Duration::from_secs(10)).await;
        assert_eq!(got[0].headers.get(*header), Some(want), "{name}: {kind}");
        assert_eq!(got[0].status, 200, "{name}: {kind}: authorized");
    }
    // The stored webhook prints no credential.
    let tenant = hookline_tests::tenant_of(&h.api.app, &h.key).await;
    for (_, id) in &made {
        let stored = h
            .api
            .app
            .store
            .get_webhook(&tenant, &hookline_tests::id(id))
            .await
            .unwrap()
            .unwrap();
        let printed = format!("{stored:?}");
        assert!(!printed.contains("0123456789"), "{name}: {printed}");
    }
    // Removed by PATCH null: the next request carries none.
    let (path, id) = &made[1];
    let w: types::WebhookOut =
        hookline_client::patch_json(&c, &format!("/v1/webhooks/{id}"), &json!({"auth": null}))
            .await
            .unwrap();
    assert!(w.auth.is_none(), "{name}: {w:?}");
    h.publish(json!({"type": "a.b", "data": {}})).await;
    let got = receiver.wait_for(path, 2, Duration::from_secs(10)).await;
    assert!(!got[1].headers.contains_key("authorization"), "{name}");
    assert_eq!(got[1].status, 401, "{name}: its receiver refused it");
    h.stop().await;
}

/// Receiver authentications that cannot be sent are refused with a 422 naming the field.
async fn bad_receiver_authentication_is_refused(b: Backend) {
    let name = b.name();
    let h = Harness::start(b.app(test_config()).await).await;
    for (body, field) in [
        (
            json!({"auth": {"type": "basic", "username": "a", "password": ""}}),
            "auth.password",
        ),
        (
            json!({"auth": {"type": "basic", "username": "a:b", "password": "p"}}),
            "auth.username",
        ),
        (
            json!({"auth": {"type": "bearer", "token": "two\nlines"}}),
            "auth.token",
        ),
        (
            json!({"auth": {"type": "header", "name": "Content-Type", "value": "v"}}),
            "auth.name",
        ),
        (
            json!({"auth": {"type": "header", "name": "x-key", "value": "v"}, "headers": {"X-Key": "w"}}),
            "auth.name",
        ),
    ] {
        assert_eq!(refused(&h, body).await, field, "{name}");
    }
    let unknown = refused(&h, json!({"auth": {"type": "kerberos"}})).await;
    assert!(unknown.starts_with("auth"), "{name}: {unknown}");
    none_made(&h).await;
    h.stop().await;
}

/// A webhook's own `timeout_seconds` bounds its attempts instead of the deployment's (5 s in
/// the tests); out of 1 to 30 it is refused; `null` goes back to the deployment's.
async fn a_webhook_timeout_bounds_its_attempts(b: Backend) {
    let name = b.name().replace('+', "-");
    let receiver = Receiver::start().await;
    let h = Harness::start(b.app(test_config()).await).await;
    let path = format!("/slow-{name}");
    let url = receiver.configure(&path, &[], &[200], None).await;
    receiver.slow(&path, Duration::from_secs(3));
    for bad in [0, 31] {
        let field = refused(&h, json!({"timeout_seconds": bad})).await;
        assert_eq!(field, "timeout_seconds", "{name}");
    }
    let w = calls::create_webhook(&h.client, json!({"url": url, "timeout_seconds": 1})).await;
    assert_eq!(w.timeout_seconds, Some(1));
    let e = h.publish(json!({"type": "a.b", "data": {}})).await;
    let ds = h.settled(&e.id, Duration::from_secs(20)).await;
    let d = h.delivery(&w.id, &ds[0].id).await;
    let first = &d.attempts.unwrap()[0];
    assert_eq!(
        first.error_kind,
        Some(types::AttemptError::Timeout),
        "{name}: {first:?}"
    );
    assert!(
        first.duration_ms < 2500,
        "{name}: cut at 1 s, took {} ms",
        first.duration_ms
    );
    let path = format!("/v1/webhooks/{}", w.id);
    let back: types::WebhookOut =
        hookline_client::patch_json(&h.client, &path, &json!({"timeout_seconds": null}))
            .await
            .unwrap();
    assert_eq!(back.timeout_seconds, None, "{name}");
    h.stop().await;
}

hookline_tests::per_backend!(
    a_webhook_timeout_bounds_its_attempts,
    each_receiver_authentication_reaches_its_receiver,
    bad_receiver_authentication_is_refused,
    custom_headers_reach_the_receiver_on_every_attempt,
    headers_that_are_not_the_webhooks_are_refused,
);
