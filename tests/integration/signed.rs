//! Request integrity: `Content-Digest` (RFC 9530) is checked whenever a request carries it,
//! on every route and with every kind of credential; requests signed per RFC 9421 (by the
//! independent `http-message-signatures` package) with a registered client key act as its
//! tenant, and tampered, replayed, stale or narrowly signed ones are refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hookline::model::Scope;
use hookline_tests::{Api, Backend, mint_key, ok, refused, test_config, unique};
use sha2::{Digest, Sha256, Sha512};

fn sha256(body: &str) -> String {
    format!(
        "sha-256=:{}:",
        STANDARD.encode(Sha256::digest(body.as_bytes()))
    )
}

fn sha512(body: &str) -> String {
    format!(
        "sha-512=:{}:",
        STANDARD.encode(Sha512::digest(body.as_bytes()))
    )
}

async fn a_body_that_fails_its_content_digest_is_refused_and_changes_nothing(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let key = mint_key(
        &app,
        &unique("cd"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    let body = r#"{"url": "https://hooks.example.com/a"}"#;
    let other = r#"{"url": "https://hooks.example.com/evil"}"#;
    let post = |digest: String, body: &'static str| {
        let api = &api;
        let key = &key;
        async move {
            api.call_raw(
                "POST",
                "/v1/webhooks",
                Some(key),
                Some(body),
                &[("content-digest", &digest)],
            )
            .await
        }
    };
    let (s, v) = post(sha256(body), body).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = post(format!("{}, {}", sha256(body), sha512(body)), body).await;
    assert_eq!(s, 201, "both digests match: {v}");
    // The digest of another body: 400, nothing created.
    for digest in [
        sha256(other),
        sha512(other),
        format!("{}, {}", sha256(body), sha512(other)),
    ] {
        let (s, v) = post(digest.clone(), body).await;
        assert_eq!(s, 400, "{digest}: {v}");
        assert_eq!(v["error"]["code"], "content_digest_mismatch", "{v}");
    }
    // Malformed: 400; an algorithm Hookline does not know is ignored.
    let (s, v) = post("sha-256=abc".into(), body).await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
    let (s, _) = post("md5=:AAAA:".into(), body).await;
    assert_eq!(s, 201);
    let list = ok(api.typed(&key).await.webhooks_list().send()).await;
    assert_eq!(list.data.len(), 3, "{list:?}");
    // Publishing too.
    let event = r#"{"type": "a.b", "data": {}}"#;
    let (s, v) = api
        .call_raw(
            "POST",
            "/v1/events",
            Some(&key),
            Some(event),
            &[("content-digest", &sha256(body))],
        )
        .await;
    assert_eq!(s, 400, "{v}");
}

/// Headers that `tests/sign_request.py` (the `http-message-signatures` package) makes.
fn sign(spec: serde_json::Value) -> Vec<(String, String)> {
    use std::io::Write;
    let mut child = std::process::Command::new(hookline_tests::python())
        .arg(hookline_tests::root().join("tests/sign_request.py"))
        .arg("sign")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run tests/sign_request.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sign_request.py failed");
    let headers: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&out.stdout).unwrap();
    headers.into_iter().collect()
}

fn keygen(algorithm: &str) -> (String, String) {
    let out = std::process::Command::new(hookline_tests::python())
        .arg(hookline_tests::root().join("tests/sign_request.py"))
        .args(["keygen", algorithm])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["private"].as_str().unwrap().to_string(),
        v["public"].as_str().unwrap().to_string(),
    )
}

/// Sends a request with `headers` (and `body`) over HTTP; status and JSON answer.
async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new().request(method.parse().unwrap(), url);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// Registers a client key as `key` (JSON) says.
async fn register_with(
    c: &hookline_client::Client,
    key: serde_json::Value,
) -> Result<
    hookline_client::ResponseValue<hookline_client::types::ClientKeyOut>,
    hookline_client::Error<hookline_client::types::ErrorOut>,
> {
    let key = hookline_tests::body::<hookline_client::types::ClientKeyIn>(key);
    c.client_keys_create().body(key).send().await
}

async fn requests_signed_with_a_registered_client_key_act_as_its_tenant(b: Backend) {
    use serde_json::json;
    let h = hookline_tests::Harness::start(b.app(test_config()).await).await;
    let base = h.base();
    let (ed_private, ed_public) = keygen("ed25519");
    let (ec_private, ec_public) = keygen("ecdsa-p256-sha256");
    let ed_id = unique("ed");
    let ec_id = unique("ec");
    let register = |key_id: &str, algorithm: &str, public: &str, scopes: serde_json::Value| json!({"key_id": key_id, "algorithm": algorithm, "public_key": public, "scopes": scopes});
    let c = &h.client;
    let ed_scopes = json!(["webhooks:write", "events:publish"]);
    ok(register_with(
        c,
        register(&ed_id, "ed25519", &ed_public, ed_scopes),
    ))
    .await;
    let ec = register(
        &ec_id,
        "ecdsa-p256-sha256",
        &ec_public,
        json!(["webhooks:read"]),
    );
    ok(register_with(c, ec)).await;
    // Refused registrations: the id taken, a key of another algorithm, more than one holds.
    let taken = register(&ed_id, "ed25519", &ed_public, json!(["webhooks:read"]));
    let (s, e) = refused(register_with(c, taken)).await;
    assert_eq!((s, e.error.code.as_str()), (409, "client_key_exists"));
    let mismatched = register(
        "other",
        "ecdsa-p256-sha256",
        &ed_public,
        json!(["webhooks:read"]),
    );
    let (s, e) = refused(register_with(c, mismatched)).await;
    assert_eq!((s, e.error.field.as_deref()), (422, Some("public_key")));
    let reader = mint_key(&h.api.app, h.tenant.as_str(), &[Scope::WebhooksRead]).await;
    let reader = hookline_client::connect(&base, &reader).unwrap();
    let more = register("more", "ed25519", &ed_public, json!(["webhooks:read"]));
    let (s, _) = refused(register_with(&reader, more)).await;
    assert_eq!(s, 403, "a reader may not register keys");

    let webhooks = format!("{base}/v1/webhooks");
    let body = r#"{"url": "https://hooks.example.com/signed"}"#;
    let spec = |key_id: &str, private: &str, algorithm: &str, method: &str, body: Option<&str>| {
        json!({"method": method, "url": webhooks, "body": body, "private": private,
               "key_id": key_id, "algorithm": algorithm})
    };
    // Ed25519, with a body (its Content-Digest signed): created as the tenant.
    let mut s1 = spec(&ed_id, &ed_private, "ed25519", "POST", Some(body));
    s1["nonce"] = json!(unique("n"));
    let headers = sign(s1.clone());
    let (s, created) = send("POST", &webhooks, &headers, Some(body)).await;
    assert_eq!(s, 201, "{created}");
    // The same signed request again (its nonce seen): refused.
    let (s, v) = send("POST", &webhooks, &headers, Some(body)).await;
    assert_eq!(s, 401, "a replayed nonce: {v}");
    // With an Idempotency-Key too: the request is authenticated once, so its nonce is not
    // taken for a replay by the handler after the idempotency layer has checked it.
    let mut s2 = spec(&ed_id, &ed_private, "ed25519", "POST", Some(body));
    s2["nonce"] = json!(unique("n"));
    let mut headers = sign(s2);
    headers.push(("idempotency-key".into(), unique("idem")));
    let (s, v) = send("POST", &webhooks, &headers, Some(body)).await;
    assert_eq!(
        s, 201,
        "a signed request with a nonce and an Idempotency-Key: {v}"
    );
    // ECDSA P-256, no body, read scope: lists the tenant's webhook; may not write.
    let headers = sign(spec(&ec_id, &ec_private, "ecdsa-p256-sha256", "GET", None));
    let (s, list) = send("GET", &webhooks, &headers, None).await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["id"] == created["id"]),
        "{list}"
    );
    let headers = sign(spec(
        &ec_id,
        &ec_private,
        "ecdsa-p256-sha256",
        "POST",
        Some(body),
    ));
    let (s, v) = send("POST", &webhooks, &headers, Some(body)).await;
    assert_eq!(s, 403, "{v}");

    // Another tenant's webhook (made with the harness's admin key) is not found.
    let other_tenant = unique("other");
    let theirs = json!({"url": "https://hooks.example.com/theirs"});
    let theirs = hookline_tests::body::<hookline_client::types::WebhookIn>(theirs);
    let create = h.client.webhooks_create().tenant_id(other_tenant);
    let foreign = ok(create.body(theirs).send()).await;
    let foreign_url = format!("{webhooks}/{}", foreign.id);
    let mut s2 = spec(&ec_id, &ec_private, "ecdsa-p256-sha256", "GET", None);
    s2["url"] = json!(foreign_url);
    let (s, v) = send("GET", &foreign_url, &sign(s2), None).await;
    assert_eq!(s, 404, "another tenant's webhook: {v}");

    // A tampered body: its digest no longer matches (400); with the digest recomputed, the
    // signature no longer verifies (401).
    let tampered = r#"{"url": "https://evil.example.com/x"}"#;
    let headers = sign(spec(&ed_id, &ed_private, "ed25519", "POST", Some(body)));
    let (s, v) = send("POST", &webhooks, &headers, Some(tampered)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("content_digest_mismatch")),
        "{v}"
    );
    let redigested: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| match k.eq_ignore_ascii_case("content-digest") {
            true => (k.clone(), sha256(tampered)),
            false => (k.clone(), v.clone()),
        })
        .collect();
    let (s, v) = send("POST", &webhooks, &redigested, Some(tampered)).await;
    assert_eq!(s, 401, "{v}");
    // Too old, an unknown key, a body whose digest is not signed, no @target-uri: 401.
    let mut old = spec(&ed_id, &ed_private, "ed25519", "GET", None);
    old["created_offset"] = json!(-400);
    let mut unknown = spec("nobody", &ed_private, "ed25519", "GET", None);
    unknown["key_id"] = json!("no-such-key");
    let mut unsigned_body = spec(&ed_id, &ed_private, "ed25519", "POST", Some(body));
    unsigned_body["unsigned_body"] = json!(true);
    let mut narrow = spec(&ed_id, &ed_private, "ed25519", "GET", None);
    narrow["covered"] = json!(["@method"]);
    for (why, s, method, body) in [
        ("created 400 s ago", old, "GET", None),
        ("unknown keyid", unknown, "GET", None),
        ("body digest not signed", unsigned_body, "POST", Some(body)),
        ("@target-uri not covered", narrow, "GET", None),
    ] {
        let headers = sign(s);
        let (status, v) = send(method, &webhooks, &headers, body).await;
        assert_eq!(status, 401, "{why}: {v}");
    }
    // Nothing the refused requests sent was written.
    let own = ok(h
        .client
        .webhooks_list()
        .tenant_id(h.tenant.to_string())
        .send())
    .await;
    assert_eq!(own.data.len(), 2, "{own:?}");

    // A deleted key's signatures are refused.
    let keys = ok(h.client.client_keys_list().send()).await;
    assert_eq!(keys.data.len(), 2, "{keys:?}");
    let removed = h
        .client
        .client_keys_remove()
        .key_id(ec_id.clone())
        .send()
        .await;
    assert_eq!(removed.unwrap().status().as_u16(), 204);
    let headers = sign(spec(&ec_id, &ec_private, "ecdsa-p256-sha256", "GET", None));
    let (s, _) = send("GET", &webhooks, &headers, None).await;
    assert_eq!(s, 401);
    h.stop().await;
}

hookline_tests::per_backend!(
    a_body_that_fails_its_content_digest_is_refused_and_changes_nothing,
    requests_signed_with_a_registered_client_key_act_as_its_tenant,
);
