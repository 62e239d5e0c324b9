//! Secret material never shows in `Debug` output: a webhook's signing secrets, a keyring's
//! private keys and the configuration's JWT secret are redacting types, so a `{:?}` in a log
//! line cannot leak them. The webhook and the keyring are read back from the store, as the
//! engine and the services see them.

use hookline::config::Config;
use hookline_tests::{Backend, Harness, per_backend, tenant_of};
use serde_json::json;

per_backend!(debug_output_carries_no_secret);

async fn debug_output_carries_no_secret(b: Backend) {
    let app = b.app(Config::default()).await;
    let h = Harness::start(app.clone()).await;
    let (wh, secret) = h
        .webhook(
            "https://example.com/hook",
            json!({"signature_scheme": "ed25519"}),
        )
        .await;
    let tenant = tenant_of(&app, &h.key).await;
    let stored = app.store.get_webhook(&tenant, &wh).await.unwrap().unwrap();
    assert_eq!(
        stored.secrets[0].key.expose(),
        secret,
        "the stored secret is the one shown"
    );
    let ring = hookline::service::verification_keys::keyring(&app, &tenant)
        .await
        .unwrap();
    let private = ring.keys[0].private_pkcs8.expose().to_string();
    assert!(private.len() > 40, "a PKCS#8 key pair, base64");

    let jwt_secret = "a-shared-secret-of-at-least-32-characters";
    let config =
        Config::from_lookup(|k| (k == "HOOKLINE_JWT_HS256_SECRET").then(|| jwt_secret.to_string()))
            .unwrap();
    assert!(config.jwt.is_some(), "the JWT secret was read");

    let secret_body = secret.trim_start_matches("whsec_");
    for (what, shown) in [
        ("webhook", format!("{stored:?}")),
        ("webhook (pretty)", format!("{stored:#?}")),
        ("keyring", format!("{ring:?}")),
        ("config", format!("{config:?}")),
    ] {
        for (name, s) in [
            ("signing secret", secret_body),
            ("private key", &private[..]),
            ("JWT secret", jwt_secret),
        ] {
            // Any 8 characters of the secret would be a leak, not only the whole of it.
            // (A PKCS#8 document embeds the public key, which may be shown.)
            let leaked = s.as_bytes().windows(8).any(|w| {
                let w = std::str::from_utf8(w).unwrap();
                shown.contains(w) && !ring.keys[0].public_key.contains(w)
            });
            assert!(
                !leaked,
                "the {what}'s Debug output shows part of the {name}: {shown}"
            );
        }
        assert!(shown.len() > 40, "the {what} is printed at all: {shown}");
    }
    h.stop().await;
}
