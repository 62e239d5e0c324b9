//! `hookline listen` checks what a webhook's receiver authentication sends: a required header,
//! Basic, and its own OAuth2 token endpoint; what lacks it is refused with 401 and says why.

use std::sync::mpsc::Receiver as Lines;
use std::time::Duration;

use hookline::api::webhooks::WebhookOut;
use hookline::delivery::{Deliverer, Outcome};
use hookline::service::events::PublishOut;
use hookline_tests::{Killed as Server, client, drain, free_port, sqlite, test_config};
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
    let (api, key) = client(&app).await;
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
    let _: WebhookOut = api
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": format!("{base}/hook"), "auth": auth, "headers": {"X-Env": "prod"}, "account_ids": ["ok"]}),
        )
        .await;
    let _: WebhookOut = api
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": format!("{base}/hook"), "headers": {"X-Env": "prod"}, "account_ids": ["no-token"]}),
        )
        .await;
    for account in ["ok", "no-token"] {
        let _: PublishOut = api
            .post(
                "/v1/events",
                &key,
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
        let _: WebhookOut = api
            .post(
                "/v1/webhooks",
                &key,
                json!({"url": format!("{base}/b"), "account_ids": [account],
                    "auth": {"type": "basic", "username": "alice", "password": password}}),
            )
            .await;
        let _: PublishOut = api
            .post(
                "/v1/events",
                &key,
                json!({"type": "a.b", "data": {}, "account_id": account}),
            )
            .await;
        drain(&app, &deliverer).await;
        let line = delivery_line(&lines);
        assert!(line.ends_with(&format!("-> {status}")), "{account}: {line}");
    }
}
