//! Request integrity: `Content-Digest` (RFC 9530) is checked whenever a request carries it,
//! on every route and with every kind of credential.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hookline::model::Scope;
use hookline_tests::{Api, Backend, mint_key, test_config, unique};
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
    let (_, list) = api.call("GET", "/v1/webhooks", Some(&key), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 3, "{list}");
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

hookline_tests::per_backend!(a_body_that_fails_its_content_digest_is_refused_and_changes_nothing);
