//! `hookline listen` checks what a webhook's receiver authentication sends: a required header,
//! Basic, and its own OAuth2 token endpoint; what lacks it is refused with 401 and says why.
//! It verifies deliveries in every signature scheme.

use std::sync::mpsc::Receiver as Lines;
use std::time::Duration;

use hookline::delivery::{Deliverer, Outcome};
use hookline_tests::{
    Killed as Server, calls, drain, free_port, sqlite, test_config, typed_client,
};
use serde_json::json;

/// `hookline listen` on a free port with `flags`; its URL and its output lines.
fn listen(flags: &[&str]) -> (String, Server, Lines<String>) {
    let port = free_port().to_string();
    let mut args = vec!["--port", port.as_str()];
    args.extend_from_slice(flags);
    let (server, lines) = super::serve::spawn_listen(&args);
    (format!("http://127.0.0.1:{port}"), server, lines)
}

/// The next line about a delivery (token lines are skipped).
fn delivery_line(lines: &Lines<String>) -> String {
    loop {
        let l = lines.recv_timeout(Duration::from_secs(10)).unwrap();
        if !l.starts_with("token") && !l.starts_with("OAuth2") {
            return l;
        }
    }
}

#[tokio::test]
async fn listen_checks_headers_basic_and_its_own_oauth2_tokens() {
    let app = sqlite(test_config());
    let c = typed_client(&app).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();

    // A required header and OAuth2 tokens it issues itself.
    let (base, _oauth, lines) = listen(&[
        "--require-header",
        "X-Env=prod",
        "--oauth2",
        "hookline:listen-secret",
    ]);
    let auth = json!({"type": "oauth2_client_credentials", "token_url": format!("{base}/oauth/token"),
        "client_id": "hookline", "client_secret": "listen-secret"});
    calls::create_webhook(&c, json!({"url": format!("{base}/hook"), "auth": auth, "headers": {"X-Env": "prod"}, "account_ids": ["ok"]})).await;
    calls::create_webhook(&c, json!({"url": format!("{base}/hook"), "headers": {"X-Env": "prod"}, "account_ids": ["no-token"]})).await;
    for account in ["ok", "no-token"] {
        calls::publish(
            &c,
            json!({"type": "a.b", "data": {}, "account_id": account}),
        )
        .await;
        let outcome = drain(&app, &deliverer).await;
        let line = delivery_line(&lines);
        match account {
            "ok" => {
                assert_eq!(outcome, vec![Outcome::Done], "{line}");
                assert!(line.ends_with("-> 200"), "{line}");
            }
            _ => {
                assert!(matches!(outcome[..], [Outcome::RetryIn(_)]), "{line}");
                assert!(
                    line.contains("REFUSED: no token this listener issued")
                        && line.ends_with("-> 401"),
                    "{line}"
                );
            }
        }
    }

    // Basic: the right pair passes, another is refused.
    let (base, _basic, lines) = listen(&["--basic", "alice:s3cret"]);
    for (account, password, status) in [("right", "s3cret", "200"), ("wrong", "guess", "401")] {
        calls::create_webhook(
            &c,
            json!({"url": format!("{base}/b"), "account_ids": [account],
                    "auth": {"type": "basic", "username": "alice", "password": password}}),
        )
        .await;
        calls::publish(
            &c,
            json!({"type": "a.b", "data": {}, "account_id": account}),
        )
        .await;
        drain(&app, &deliverer).await;
        let line = delivery_line(&lines);
        assert!(line.ends_with(&format!("-> {status}")), "{account}: {line}");
    }
}

/// With `--keys-url`, `hookline listen` verifies `ed25519` (v1a) and `http-message-signatures`
/// (RFC 9421) deliveries with the tenant's published keys, fetched when a delivery names a key
/// it does not know; a tampered request is refused as such.
#[tokio::test]
async fn listen_verifies_v1a_and_rfc9421_with_the_published_keys() {
    use base64::Engine;
    let app = sqlite(test_config());
    let c = typed_client(&app).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    // The API on a port, where listen fetches the keys (served by this test's runtime while
    // it waits on the deliveries).
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_base = format!("http://{}", tcp.local_addr().unwrap());
    let served = hookline::api::router(app.clone());
    tokio::spawn(async move { axum::serve(tcp, served).await });
    let port = free_port().to_string();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let mut tenant = String::new();
    for (scheme, account) in [("ed25519", "v1a"), ("http-message-signatures", "rfc")] {
        let w = calls::create_webhook(
            &c,
            json!({"url": hook, "signature_scheme": scheme, "account_ids": [account]}),
        )
        .await;
        tenant = w.tenant_id.to_string();
    }
    let keys_url = format!("{api_base}/v1/tenants/{tenant}/verification-keys");
    let (_listen, lines) = super::serve::spawn_listen(&["--port", &port, "--keys-url", &keys_url]);
    let mut key_id = String::new();
    for (account, says) in [
        ("v1a", "verified (v1a, key vk_"),
        ("rfc", "verified (RFC 9421, key vk_"),
    ] {
        calls::publish(
            &c,
            json!({"type": "a.b", "data": {"n": 1}, "account_id": account}),
        )
        .await;
        assert_eq!(drain(&app, &deliverer).await, vec![Outcome::Done]);
        let line = delivery_line(&lines);
        assert!(
            line.contains(says) && line.ends_with("-> 200"),
            "{account}: {line}"
        );
        key_id = line
            .split("key ")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap()
            .to_string();
    }

    // Tampered: a v1a signature that is not the key's, a body its digest does not describe,
    // and a signature base the signature does not match.
    let http = reqwest::Client::new();
    let b64 = base64::engine::general_purpose::STANDARD;
    let now = chrono::Utc::now().timestamp().to_string();
    let body = r#"{"type":"a.b","data":{"n":2}}"#;
    http.post(&hook)
        .header("webhook-id", "msg_forged")
        .header("webhook-timestamp", &now)
        .header(
            "webhook-signature",
            format!("v1a,{}", b64.encode([7u8; 64])),
        )
        .header("webhook-key-id", &key_id)
        .body(body)
        .send()
        .await
        .unwrap();
    let line = delivery_line(&lines);
    assert!(
        line.contains("BAD SIGNATURE (v1a): the signature does not match"),
        "{line}"
    );
    let input = format!(
        r#"sig1=("@method" "@target-uri" "content-digest" "webhook-id");created={now};keyid="{key_id}";alg="ed25519""#
    );
    for (digest, says) in [
        (
            hookline::httpsig::content_digest(b"{}"),
            "the Content-Digest does not match",
        ),
        (
            hookline::httpsig::content_digest(body.as_bytes()),
            "the signature does not match",
        ),
    ] {
        http.post(&hook)
            .header("webhook-id", "msg_forged")
            .header("content-digest", digest)
            .header("signature-input", &input)
            .header("signature", format!("sig1=:{}:", b64.encode([9u8; 64])))
            .body(body)
            .send()
            .await
            .unwrap();
        let line = delivery_line(&lines);
        assert!(
            line.contains(&format!("BAD SIGNATURE (RFC 9421): {says}")),
            "{line}"
        );
    }
}
