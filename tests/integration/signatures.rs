//! Signature schemes receivers verify with a public key: Standard Webhooks `v1a` (Ed25519) and
//! RFC 9421 HTTP message signatures, each checked by an independent implementation against the
//! key fetched from the tenant's public verification-key endpoint (tests/receiver.py:
//! `cryptography` for `v1a`, the `http-message-signatures` package for RFC 9421), beside `v1`
//! checked by the official `standardwebhooks` and `svix` libraries; and key rotation with an
//! overlap.

use std::time::Duration;

use hookline::model::Scope;
use hookline_client::types::{self, DeliveryStatus};
use hookline_client::{Client, ClientInfo};
use hookline_tests::{
    Api, Backend, Harness, PyReceiver, body, calls, mint_key, ok, refused, sqlite, test_config,
    unique,
};
use serde_json::json;

async fn keys(h: &Harness) -> Vec<(String, String)> {
    let v = ok(h.client.verification_keys_list().send()).await;
    v.keys
        .into_iter()
        .map(|k| (k.key_id, k.status.to_string()))
        .collect()
}

/// Rotates the tenant's key pair, keeping the replaced key listed for `overlap` seconds.
async fn rotate(c: &Client, overlap: i64) -> types::VerificationKeysOut {
    let overlap = body::<types::RotateKeysIn>(json!({ "overlap_seconds": overlap }));
    ok(c.verification_keys_rotate().body(overlap).send()).await
}

#[tokio::test]
async fn each_scheme_verifies_with_an_independent_implementation_and_keys_rotate() {
    let receiver = PyReceiver::start();
    let h = Harness::start(sqlite(test_config())).await;
    let keys_url = format!("{}/v1/tenants/{}/verification-keys", h.base(), h.tenant);
    let cfg = json!({"keys_url": keys_url});
    let v1 = receiver.configure("/v1", &[], &[200], None).await;
    let v1a = receiver.configure_with("/v1a", cfg.clone()).await;
    let rfc = receiver.configure_with("/rfc", cfg).await;
    let (_, secret) = h.webhook(&v1, json!({})).await;
    receiver.configure("/v1", &[&secret], &[200], None).await;
    let (w_v1a, _) = h
        .webhook(&v1a, json!({"signature_scheme": "ed25519"}))
        .await;
    let (w_rfc, _) = h
        .webhook(&rfc, json!({"signature_scheme": "http-message-signatures"}))
        .await;

    // The key exists once a webhook needs it, before any delivery; the public endpoint lists
    // the same keys without a key, and no private half anywhere.
    let first = keys(&h).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1, "active");
    let k1 = first[0].0.clone();
    let public = reqwest::get(&keys_url).await.unwrap();
    assert_eq!(public.status(), 200);
    let text = public.text().await.unwrap();
    assert!(text.contains(&k1) && text.contains("whpk_"), "{text}");
    assert!(
        !text.contains("private") && !text.contains("pkcs8"),
        "{text}"
    );

    let e1 = h
        .publish(json!({"type": "order.paid", "data": {"n": 1}}))
        .await;
    for d in h.settled(&e1.id, Duration::from_secs(20)).await {
        assert_eq!(d.status, DeliveryStatus::Succeeded, "{d:?}");
    }
    let got = receiver.log_for("/v1").await;
    assert_eq!(got[0].verified_by, [0], "standardwebhooks: {:?}", got[0]);
    assert_eq!(
        got[0].svix_ok.as_deref(),
        Some(&[0][..]),
        "svix: {:?}",
        got[0]
    );
    let got = receiver.log_for("/v1a").await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].v1a_verified,
        std::slice::from_ref(&k1),
        "{:?}",
        got[0]
    );
    assert_eq!(got[0].key_id.as_deref(), Some(k1.as_str()));
    assert!(
        !got[0].signature.as_deref().unwrap().contains("v1,"),
        "no HMAC signature on an ed25519 webhook: {:?}",
        got[0]
    );
    let got = receiver.log_for("/rfc").await;
    assert_eq!(
        got[0].rfc9421_verified.as_deref(),
        Some(k1.as_str()),
        "{:?}",
        got[0]
    );
    assert!(
        got[0].signature.is_none(),
        "no webhook-signature: {:?}",
        got[0]
    );

    // Rotation with an overlap: both keys listed, deliveries name the new one; `v1a` carries a
    // signature by each, so a receiver holding only the old key still verifies.
    let rotated = rotate(&h.client, 3600).await;
    let listed = keys(&h).await;
    assert_eq!(listed.len(), 2, "{rotated:?}");
    let k2 = listed[0].0.clone();
    assert_eq!(
        listed,
        [
            (k2.clone(), "active".into()),
            (k1.clone(), "retiring".into())
        ]
    );
    assert!(rotated.keys[1].retires_at.is_some(), "{rotated:?}");
    let e2 = h
        .publish(json!({"type": "order.paid", "data": {"n": 2}}))
        .await;
    let settled = h.settled(&e2.id, Duration::from_secs(20)).await;
    let got = receiver.log_for("/v1a").await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].key_id.as_deref(), Some(k2.as_str()));
    assert_eq!(
        got[1].v1a_verified,
        [k2.clone(), k1.clone()],
        "{:?}",
        got[1]
    );
    let got = receiver.log_for("/rfc").await;
    assert_eq!(
        got[1].rfc9421_verified.as_deref(),
        Some(k2.as_str()),
        "{:?}",
        got[1]
    );
    // The delivery log names the key each attempt was signed with.
    for (w, d) in [(&w_v1a, &settled), (&w_rfc, &settled)] {
        let d = d.iter().find(|d| *d.webhook_id == w.to_string()).unwrap();
        let full = h.delivery(w, &d.id).await;
        let attempts = full.attempts.unwrap();
        assert_eq!(attempts[0].key_id.as_deref(), Some(k2.as_str()));
    }

    // Without an overlap the replaced key is gone at once.
    rotate(&h.client, 0).await;
    let listed = keys(&h).await;
    assert_eq!(listed.len(), 1, "{listed:?} {k1} {k2}");
    assert!(listed[0].0 != k2 && listed[0].0 != k1);
    h.stop().await;
}

async fn verification_keys_api(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("vk");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await;
    let c = api.typed(&key).await;
    // The public list needs no key: a client that sends none reads it.
    let anyone = Client::new(c.baseurl());
    let public = |t: &str| {
        anyone
            .verification_keys_public_list()
            .tenant_id(t.to_string())
            .send()
    };
    // Nobody has asked for keys yet: the public list is empty, for an unknown tenant too.
    for t in [tenant.as_str(), "nobody-at-all"] {
        assert!(ok(public(t)).await.keys.is_empty(), "{t}");
    }
    assert_eq!(refused(public("a b")).await.0, 404);
    // A webhook signed with the tenant's key makes it; a bad scheme is named (raw: the typed
    // client cannot name a scheme that does not exist).
    let (s, v) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": "https://a.example.com/h", "signature_scheme": "rsa"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["field"].as_str()),
        (422, Some("signature_scheme")),
        "{v}"
    );
    let w = calls::create_webhook(&c, json!({"url": "https://a.example.com/h"})).await;
    assert_eq!(json!(w.signature_scheme), json!("hmac-sha256"));
    let w = calls::patch_webhook(&c, &w.id, json!({"signature_scheme": "ed25519"})).await;
    assert_eq!(json!(w.signature_scheme), json!("ed25519"));
    let listed = ok(public(&tenant)).await.keys;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].algorithm, "ed25519");
    // A PUT without the scheme keeps it.
    let put = body::<types::WebhookIn>(json!({"url": "https://a.example.com/h2"}));
    let w = ok(c.webhooks_put().id(w.id.to_string()).body(put).send()).await;
    assert_eq!(json!(w.signature_scheme), json!("ed25519"), "{w:?}");
    // Rotation: too long an overlap changes nothing; a reader may not rotate.
    let long = body::<types::RotateKeysIn>(json!({"overlap_seconds": 31 * 86400}));
    let (s, e) = refused(c.verification_keys_rotate().body(long).send()).await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("overlap_seconds"))
    );
    let reader = api
        .typed(&mint_key(&app, &tenant, &[Scope::WebhooksRead]).await)
        .await;
    let (s, _) = refused(reader.verification_keys_rotate().body(None).send()).await;
    assert_eq!(s, 403);
    assert_eq!(
        ok(reader.verification_keys_list().send()).await.keys.len(),
        1
    );
    let v = ok(c.verification_keys_rotate().body(None).send()).await;
    let status: Vec<String> = v.keys.iter().map(|k| k.status.to_string()).collect();
    assert_eq!(status, ["active", "retiring"], "{v:?}");
}

hookline_tests::per_backend!(verification_keys_api);
