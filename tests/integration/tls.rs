//! Receivers on a private PKI, on both backends (tests/tls_receiver.py): a webhook's
//! `tls.ca_certificate` lets Hookline verify such a receiver (and nothing turns verification
//! off), and `auth: mtls` presents the webhook's client certificate to a receiver that requires
//! one. A bad PEM is a 422 naming its field, and the private key is never shown again.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use hookline::delivery::Deliverer;
use hookline_client::Client;
use hookline_client::types::DeliveryStatus;
use hookline_tests::{
    Backend, Killed, calls, client, drain, id, ok, python, root, test_config, typed_client,
};
use serde_json::{Value, json};

/// The receivers and the PEMs they were made with.
fn tls_receiver() -> (Value, Killed) {
    let mut child = Command::new(python())
        .arg(root().join("tests/tls_receiver.py"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the TLS receiver");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        serde_json::from_str(&line).expect("its PEMs and ports"),
        Killed(child),
    )
}

/// Paths the HTTPS ports received, and the client certificate each request showed.
async fn received(pki: &Value) -> Vec<(String, Option<String>)> {
    let log: Vec<Value> = reqwest::get(format!("http://127.0.0.1:{}/_log", pki["control_port"]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log.iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["client"].as_str().map(String::from),
            )
        })
        .collect()
}

/// The one attempt of the one delivery of event `id`.
async fn attempt(c: &Client, id: &impl std::fmt::Display) -> (DeliveryStatus, Option<String>) {
    let ev = calls::read_event(c, id).await;
    let d = &ev.deliveries[0];
    let d = calls::read_delivery(c, &d.webhook_id, &d.id).await;
    (d.status, d.attempts.unwrap()[0].error.clone())
}

async fn private_pki_receivers_are_verified_and_get_client_certificates(b: Backend) {
    let name = b.name();
    let (pki, _receiver) = tls_receiver();
    let app = b.app(test_config()).await;
    let c = typed_client(&app).await;
    let ca = pki["ca"].clone();
    let mtls = json!({"type": "mtls", "certificate": pki["client_cert"], "private_key": pki["client_key"]});
    let other = json!({"type": "mtls", "certificate": pki["other_client_cert"], "private_key": pki["other_client_key"]});
    let (tls, mport) = (&pki["tls_port"], &pki["mtls_port"]);
    // (path, webhook body, delivered?)
    let cases = [
        (
            "/ca",
            json!({"url": format!("https://127.0.0.1:{tls}/ca"), "tls": {"ca_certificate": ca}}),
            true,
        ),
        (
            "/no-ca",
            json!({"url": format!("https://127.0.0.1:{tls}/no-ca")}),
            false,
        ),
        (
            "/mtls",
            json!({"url": format!("https://127.0.0.1:{mport}/mtls"), "tls": {"ca_certificate": ca}, "auth": mtls}),
            true,
        ),
        (
            "/no-cert",
            json!({"url": format!("https://127.0.0.1:{mport}/no-cert"), "tls": {"ca_certificate": ca}}),
            false,
        ),
        (
            "/other-cert",
            json!({"url": format!("https://127.0.0.1:{mport}/other-cert"), "tls": {"ca_certificate": ca}, "auth": other}),
            false,
        ),
    ];
    let deliverer = Deliverer::new(app.clone()).unwrap();
    for (path, mut body, delivered) in cases {
        // Each webhook takes only its own account's events.
        let account = path.trim_start_matches('/');
        body["account_ids"] = json!([account]);
        let w = calls::create_webhook(&c, body).await;
        if path == "/mtls" {
            let shown = serde_json::to_value(&w.auth).unwrap();
            assert_eq!(shown["private_key"], "****", "{name}: never shown again");
            assert_eq!(shown["certificate"], pki["client_cert"], "{name}");
            let (tenant, wh) = (id(&w.tenant_id), id(&w.id));
            let stored = app.store.get_webhook(&tenant, &wh).await.unwrap();
            let debug = format!("{stored:?}");
            assert!(!debug.contains("PRIVATE KEY"), "{name}: Debug shows no key");
        }
        let event = json!({"type": "a.b", "data": {}, "account_id": account});
        let e = calls::publish(&c, event).await;
        drain(&app, &deliverer).await;
        let (status, error) = attempt(&c, &e.id).await;
        let arrived = received(&pki).await.into_iter().find(|(p, _)| p == path);
        match delivered {
            true => {
                assert_eq!(
                    status,
                    DeliveryStatus::Succeeded,
                    "{name} {path}: {error:?}"
                );
                let client = arrived.expect("received").1;
                let want = (path == "/mtls").then(|| "hookline-client".to_string());
                assert_eq!(client, want, "{name} {path}: the client certificate shown");
            }
            false => {
                assert_eq!(
                    status,
                    DeliveryStatus::Pending,
                    "{name} {path}: retried later"
                );
                assert!(
                    arrived.is_none(),
                    "{name} {path}: nothing reached the receiver"
                );
                // What TLS said: an unknown issuer, no client certificate, an unknown one.
                let why = match path {
                    "/no-ca" => "UnknownIssuer",
                    "/no-cert" => "CertificateRequired",
                    _ => "UnknownCA",
                };
                let error = error.unwrap_or_default();
                assert!(error.contains(why), "{name} {path}: {error}");
            }
        }
    }
}

/// A PEM that is not one is a 422 naming its field, and nothing is created.
async fn bad_pems_are_refused(b: Backend) {
    let name = b.name();
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let cert = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    for (body, field) in [
        (
            json!({"auth": {"type": "mtls", "certificate": "a certificate", "private_key": "k"}}),
            "auth.certificate",
        ),
        (
            json!({"auth": {"type": "mtls", "certificate": cert, "private_key": "k"}}),
            "auth.certificate",
        ),
        (
            json!({"tls": {"ca_certificate": "nope"}}),
            "tls.ca_certificate",
        ),
        (json!({"tls": {}}), "tls"),
    ] {
        let mut body = body;
        body["url"] = json!("https://hooks.example.com/x");
        let (s, out) = api
            .call("POST", "/v1/webhooks", Some(&key), Some(body))
            .await;
        assert_eq!(s.as_u16(), 422, "{name}: {out}");
        let got = out["error"]["field"].as_str().unwrap_or_default();
        assert!(got.starts_with(field), "{name}: {field}: {out}");
    }
    let list = ok(api.typed(&key).await.webhooks_list().send()).await;
    assert!(list.data.is_empty(), "{name}: nothing was created");
}

hookline_tests::per_backend!(
    private_pki_receivers_are_verified_and_get_client_certificates,
    bad_pems_are_refused,
);
