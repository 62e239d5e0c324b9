//! OAuth2 client credentials per webhook, on both backends: the receiver refuses any request
//! without a token its own token endpoint issued; Hookline fetches one for a hundred concurrent
//! deliveries, again once it expires, and again when the receiver answers 401; a token URL on a
//! private address is refused like a target.

use std::time::Duration;

use hookline::config::Config;
use hookline::delivery::{Deliverer, Outcome};
use hookline::model::ReceiverAuth;
use hookline_client::types::AttemptError;
use hookline_tests::{Backend, Receiver, body, calls, drain, refused, test_config, typed_client};
use serde_json::json;

const SECRET: &str = "client-secret-0123456789";

/// Every message the queue holds, processed at once (as a Lambda batch or the worker would).
async fn process_all_at_once(app: &hookline::backend::Hookline, deliverer: &Deliverer) -> usize {
    let mut received = Vec::new();
    loop {
        let got = app
            .queue
            .receive(10, Duration::from_secs(30))
            .await
            .unwrap();
        if got.is_empty() {
            break;
        }
        received.extend(got);
    }
    let outcomes =
        futures::future::join_all(received.iter().map(|m| deliverer.process(&m.task))).await;
    for (m, o) in received.iter().zip(&outcomes) {
        assert_eq!(o.as_ref().ok(), Some(&Outcome::Done), "{o:?}");
        app.queue
            .delete(std::slice::from_ref(&m.receipt))
            .await
            .unwrap();
    }
    received.len()
}

async fn a_token_is_fetched_once_renewed_at_expiry_and_after_a_401(b: Backend) {
    let name = b.name().replace('+', "-");
    let config = Config {
        endpoint_concurrency: 100,
        ..test_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let token_url = receiver.token_endpoint("hookline", SECRET, 10);
    let path = format!("/oauth-{name}");
    let url = receiver.configure(&path, &[], &[200], None).await;
    receiver.require_issued_token(&path);
    let auth = json!({"type": "oauth2_client_credentials", "token_url": token_url,
        "client_id": "hookline", "client_secret": SECRET, "scope": "events:receive"});
    let w = calls::create_webhook(&c, json!({"url": url, "auth": auth})).await;
    let shown = serde_json::to_value(&w.auth).unwrap();
    assert_eq!(
        shown["type"], "oauth2_client_credentials",
        "{name}: {shown}"
    );
    assert_eq!(shown["client_secret"], "****6789", "{name}: masked");
    for i in 0..100 {
        calls::publish(&c, json!({"type": "a.b", "data": {"i": i}})).await;
    }
    let deliverer = Deliverer::new(app.clone()).unwrap();
    assert_eq!(process_all_at_once(&app, &deliverer).await, 100);
    let got = receiver.log_for(&path).await;
    assert_eq!(got.len(), 100, "{name}");
    assert!(
        got.iter().all(|d| d.status == 200),
        "{name}: all authorized"
    );
    let requests = receiver.token_requests();
    assert_eq!(requests.len(), 1, "{name}: one fetch for 100 deliveries");
    assert!(
        requests[0].contains("grant_type=client_credentials")
            && requests[0].contains("scope=events%3Areceive")
            && !requests[0].contains(SECRET),
        "{name}: the secret goes in Basic, not the form: {}",
        requests[0]
    );
    assert_eq!(deliverer.token_fetches(), 1);

    // Revoked by the receiver: its 401 gets one more request with a new token.
    receiver.revoke_tokens();
    calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    assert_eq!(drain(&app, &deliverer).await, vec![Outcome::Done], "{name}");
    let statuses: Vec<u16> = receiver.log_for(&path).await[100..]
        .iter()
        .map(|d| d.status)
        .collect();
    assert_eq!(statuses, vec![401, 200], "{name}");
    assert_eq!(receiver.token_requests().len(), 2, "{name}");

    // Expired (10 s, renewed 1 s early): the next delivery fetches another.
    time.pass(Duration::from_secs(10)).await;
    calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    assert_eq!(drain(&app, &deliverer).await, vec![Outcome::Done], "{name}");
    assert_eq!(
        receiver.token_requests().len(),
        3,
        "{name}: renewed at expiry"
    );
    assert_eq!(receiver.log_for(&path).await.last().unwrap().status, 200);
}

/// A token endpoint that refuses the client, or one on an address the guard refuses, is an
/// attempt that failed with `auth_token`, retried on the schedule; the receiver gets nothing.
async fn a_token_that_cannot_be_had_fails_the_attempt(b: Backend) {
    let name = b.name().replace('+', "-");
    let app = b.app(test_config()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let token_url = receiver.token_endpoint("hookline", SECRET, 60);
    let path = format!("/oauth-refused-{name}");
    let url = receiver.configure(&path, &[], &[200], None).await;
    let auth = json!({"type": "oauth2_client_credentials", "token_url": token_url,
        "client_id": "hookline", "client_secret": "not-the-secret", "client_auth": "body"});
    calls::create_webhook(&c, json!({"url": url, "auth": auth})).await;
    let e = calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    assert!(matches!(
        drain(&app, &deliverer).await[..],
        [Outcome::RetryIn(_)]
    ));
    let ev = calls::read_event(&c, &e.id).await;
    let d = &ev.deliveries[0];
    let d = calls::read_delivery(&c, &d.webhook_id, &d.id).await;
    let a = &d.attempts.unwrap()[0];
    assert_eq!(a.error_kind, Some(AttemptError::AuthToken), "{name}: {a:?}");
    assert!(
        a.error.as_deref().unwrap().contains("HTTP 401"),
        "{name}: {a:?}"
    );
    assert!(receiver.log_for(&path).await.is_empty(), "{name}");
    let form = &receiver.token_requests()[0];
    assert!(
        form.contains("client_id=hookline"),
        "{name}: in the body: {form}"
    );

    // With private targets refused, a token URL on a private address is refused at the API
    // like a target; and one that reaches the engine anyway is refused by the guard.
    let strict = Config {
        allow_private_targets: false,
        ..test_config()
    };
    let app = b.app(strict).await;
    let c = typed_client(&app).await;
    let private = json!({"url": "https://hooks.example.com/x", "auth": {
        "type": "oauth2_client_credentials", "token_url": "https://10.1.2.3/token",
        "client_id": "a", "client_secret": "b"}});
    let private = body::<hookline_client::types::WebhookIn>(private);
    let (s, e) = refused(c.webhooks_create().body(private).send()).await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("auth.token_url")),
        "{name}: {e:?}"
    );
    let tokens = hookline::delivery::oauth2::Tokens::default();
    let sender = reqwest::Client::new();
    let private = ReceiverAuth::OAuth2ClientCredentials {
        token_url: "https://10.1.2.3/token".into(),
        client_id: "a".into(),
        client_secret: hookline::secret::Secret::new("b"),
        scope: None,
        audience: None,
        client_auth: Default::default(),
    };
    let err = tokens
        .get(&sender, false, &private, chrono::Utc::now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{name}: {err}");
    assert_eq!(tokens.fetches(), 1);
}

/// With every log at `trace`, `hookline serve` delivering to receivers that want a client
/// secret, a bearer token and a Basic pair logs none of them, nor the token it was issued.
#[tokio::test]
async fn credentials_are_not_logged_even_at_trace() {
    use super::serve::{KEY, start_serve};
    let receiver = Receiver::start().await;
    let token_url = receiver.token_endpoint("hookline", SECRET, 3600);
    let bearer = "bearer-token-never-logged-42";
    let password = "basic-password-never-logged";
    let paths = ["/trace-oauth", "/trace-bearer", "/trace-basic"];
    let mut urls = Vec::new();
    for p in paths {
        urls.push(receiver.configure(p, &[], &[200], None).await);
    }
    receiver.require_issued_token(paths[0]);
    receiver.require_header(paths[1], "authorization", &format!("Bearer {bearer}"));
    let data = std::env::temp_dir().join(hookline_tests::unique("hookline-trace"));
    std::fs::create_dir_all(&data).unwrap();
    let log = data.join("serve.log");
    let env = [
        ("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true"),
        ("RUST_LOG", "trace"),
    ];
    let (server, base) = start_serve(&data, &env, std::fs::File::create(&log).unwrap().into());
    hookline_tests::healthy(&base, Duration::from_secs(10)).await;
    let c = hookline_client::connect(&base, KEY).unwrap();
    let auths = [
        json!({"type": "oauth2_client_credentials", "token_url": token_url, "client_id": "hookline", "client_secret": SECRET}),
        json!({"type": "bearer", "token": bearer}),
        json!({"type": "basic", "username": "alice", "password": password}),
    ];
    for (url, auth) in urls.iter().zip(auths) {
        calls::create_webhook(&c, json!({"url": url, "auth": auth})).await;
    }
    calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    for p in paths {
        let got = receiver.wait_for(p, 1, Duration::from_secs(20)).await;
        assert_eq!(got[0].status, 200, "{p}: authorized");
    }
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("TRACE"),
        "the log is at trace: {} bytes",
        text.len()
    );
    use base64::Engine;
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("alice:{password}"));
    for secret in [SECRET, "tok-1", bearer, password, pair.as_str()] {
        assert!(!text.contains(secret), "{secret} is in the trace log");
    }
    let _ = std::fs::remove_dir_all(&data);
}

hookline_tests::per_backend!(
    a_token_is_fetched_once_renewed_at_expiry_and_after_a_401,
    a_token_that_cannot_be_had_fails_the_attempt,
);
