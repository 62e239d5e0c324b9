//! Signature schemes receivers verify with a public key: Standard Webhooks `v1a` (Ed25519) and
//! RFC 9421 HTTP message signatures, each checked by an independent implementation against the
//! key fetched from the tenant's public verification-key endpoint (tests/receiver.py:
//! `cryptography` for `v1a`, the `http-message-signatures` package for RFC 9421), beside `v1`
//! checked by the official `standardwebhooks` and `svix` libraries; and key rotation with an
//! overlap.

use std::time::Duration;

use hookline::model::Scope;
use hookline_client::types::DeliveryStatus;
use hookline_tests::{Api, Backend, Harness, PyReceiver, mint_key, sqlite, test_config, unique};
use serde_json::{Value, json};

async fn keys(h: &Harness) -> Vec<(String, String)> {
    let v: Value = h.api.get("/v1/verification-keys", &h.key).await;
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key_id"].as_str().unwrap().to_string(),
                k["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
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
    let rotated: Value = h
        .api
        .post(
            "/v1/verification-keys/rotate",
            &h.key,
            json!({"overlap_seconds": 3600}),
        )
        .await;
    let listed = keys(&h).await;
    assert_eq!(listed.len(), 2, "{rotated}");
    let k2 = listed[0].0.clone();
    assert_eq!(
        listed,
        [
            (k2.clone(), "active".into()),
            (k1.clone(), "retiring".into())
        ]
    );
    assert!(rotated["keys"][1]["retires_at"].is_string(), "{rotated}");
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
    let _: Value = h
        .api
        .post(
            "/v1/verification-keys/rotate",
            &h.key,
            json!({"overlap_seconds": 0}),
        )
        .await;
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
    // Nobody has asked for keys yet: the public list is empty, for an unknown tenant too.
    for t in [tenant.as_str(), "nobody-at-all"] {
        let (s, v) = api
            .call(
                "GET",
                &format!("/v1/tenants/{t}/verification-keys"),
                None,
                None,
            )
            .await;
        assert_eq!((s.as_u16(), &v), (200, &json!({"keys": []})));
    }
    let (s, v) = api
        .call("GET", "/v1/tenants/a%20b/verification-keys", None, None)
        .await;
    assert_eq!(s, 404, "{v}");
    // A webhook signed with the tenant's key makes it; a bad scheme is named.
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
    let (s, w) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": "https://a.example.com/h"})),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(w["signature_scheme"], "hmac-sha256");
    let path = format!("/v1/webhooks/{}", w["id"].as_str().unwrap());
    let (s, w) = api
        .call(
            "PATCH",
            &path,
            Some(&key),
            Some(json!({"signature_scheme": "ed25519"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), w["signature_scheme"].as_str()),
        (200, Some("ed25519")),
        "{w}"
    );
    let (_, public) = api
        .call(
            "GET",
            &format!("/v1/tenants/{tenant}/verification-keys"),
            None,
            None,
        )
        .await;
    let listed = public["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{public}");
    assert_eq!(listed[0]["algorithm"], "ed25519");
    // A PUT without the scheme keeps it.
    let (_, w) = api
        .call(
            "PUT",
            &path,
            Some(&key),
            Some(json!({"url": "https://a.example.com/h2"})),
        )
        .await;
    assert_eq!(w["signature_scheme"], "ed25519", "{w}");
    // Rotation: too long an overlap changes nothing; a reader may not rotate.
    let (s, v) = api
        .call(
            "POST",
            "/v1/verification-keys/rotate",
            Some(&key),
            Some(json!({"overlap_seconds": 31 * 86400})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["field"].as_str()),
        (422, Some("overlap_seconds"))
    );
    let reader = mint_key(&app, &tenant, &[Scope::WebhooksRead]).await;
    let (s, _) = api
        .call("POST", "/v1/verification-keys/rotate", Some(&reader), None)
        .await;
    assert_eq!(s, 403);
    let (s, v) = api
        .call("GET", "/v1/verification-keys", Some(&reader), None)
        .await;
    assert_eq!(
        (s.as_u16(), v["keys"].as_array().unwrap().len()),
        (200, 1),
        "{v}"
    );
    let (s, v) = api
        .call("POST", "/v1/verification-keys/rotate", Some(&key), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["keys"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["keys"][0]["status"], "active");
    assert_eq!(v["keys"][1]["status"], "retiring");
}

hookline_tests::per_backend!(verification_keys_api);
