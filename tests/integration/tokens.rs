//! JWT bearer tokens beside API keys, minted by PyJWT (an implementation independent of
//! Hookline's) with HS256 and with RS256, ES256 and EdDSA keys from a JWKS: accepted, expired,
//! wrong issuer, audience or key, missing scope, another tenant's resources, no tenant.

use std::collections::HashMap;

use hookline::config::Config;
use hookline_client::types::WebhookIn;
use hookline_tests::{Api, Backend, body, ok, python, refused, root, test_config, unique};
use serde_json::{Value, json};

const SECRET: &str = "hookline-test-shared-secret-0123456789";
const ISSUER: &str = "https://id.platform.example";
const AUDIENCE: &str = "hookline";

/// PyJWT's tokens for `tenant` (and `other`), and the JWKS of their keys.
fn mint(tenant: &str, other: &str) -> (Value, HashMap<String, String>) {
    let out = std::process::Command::new(python())
        .arg(root().join("tests/jwt_tokens.py"))
        .args([SECRET, ISSUER, AUDIENCE, tenant, other])
        .output()
        .expect("run tests/jwt_tokens.py");
    assert!(
        out.status.success(),
        "jwt_tokens.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tokens = serde_json::from_value(v["tokens"].clone()).unwrap();
    (v["jwks"].clone(), tokens)
}

/// The test configuration with JWTs on, read the way the functions read their environment.
fn config(jwks: &Value) -> Config {
    let env: HashMap<&str, String> = HashMap::from([
        ("HOOKLINE_JWT_HS256_SECRET", SECRET.to_string()),
        ("HOOKLINE_JWT_JWKS", jwks.to_string()),
        ("HOOKLINE_JWT_ISSUER", ISSUER.to_string()),
        ("HOOKLINE_JWT_AUDIENCE", AUDIENCE.to_string()),
    ]);
    let from_env = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    Config {
        jwt: from_env.jwt,
        ..test_config()
    }
}

async fn jwt_bearer_tokens_authenticate_as_their_tenant(b: Backend) {
    let (tenant, other) = (unique("jwt"), unique("jwt-other"));
    let (jwks, t) = mint(&tenant, &other);
    let api = Api::new(b.app(config(&jwks)).await);
    // Each token as the generated client's bearer key.
    let mut as_token = HashMap::new();
    for (name, token) in &t {
        as_token.insert(name.as_str(), api.typed(token).await);
    }
    let hook = || body::<WebhookIn>(json!({"url": "https://hooks.example.com/in"}));
    let create = |name: &str| as_token[name].webhooks_create().body(hook()).send();
    let count = |name: &'static str| {
        let c = &as_token[name];
        async move { ok(c.webhooks_list().send()).await.data.len() }
    };
    let code = |e: (u16, hookline_client::types::ErrorOut)| (e.0, e.1.error.code);

    // HS256 with the shared secret; ES256 and EdDSA by kid from the JWKS.
    let id = ok(create("hs256")).await.id;
    for alg in ["es256", "eddsa"] {
        ok(create(alg)).await;
    }
    // RS256, read-only scope: reads the tenant's webhooks, may not write.
    assert_eq!(count("rs256_read").await, 3);
    assert_eq!(
        code(refused(create("rs256_read")).await),
        (403, "forbidden".into()),
        "missing scope"
    );

    // Tokens that do not verify, or name no tenant without being admin: 401, nothing written.
    for name in [
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "wrong_key",
        "no_tenant",
    ] {
        assert_eq!(
            code(refused(create(name)).await),
            (401, "unauthorized".into()),
            "{name}"
        );
    }
    // Another tenant's token does not see this tenant's webhook.
    let foreign = refused(
        as_token["other_tenant"]
            .webhooks_read()
            .id(id.clone())
            .send(),
    )
    .await;
    assert_eq!(foreign.0, 404);
    // An admin token naming no tenant acts where `tenant_id` says, and must say it.
    let admin = &as_token["admin_no_tenant"];
    let unnamed = refused(admin.webhooks_list().send()).await;
    assert_eq!(
        (unnamed.0, unnamed.1.error.field.as_deref()),
        (422, Some("tenant_id"))
    );
    ok(admin
        .webhooks_read()
        .id(id.clone())
        .tenant_id(tenant.clone())
        .send())
    .await;
    // Nothing the refused tokens sent was written.
    assert_eq!(count("rs256_read").await, 3);
}

/// Without JWT settings a token is refused, not taken for an API key.
async fn tokens_are_refused_when_no_keys_are_configured(b: Backend) {
    let (tenant, other) = (unique("jwt"), unique("jwt-other"));
    let (_, t) = mint(&tenant, &other);
    let api = Api::new(b.app(test_config()).await);
    let c = api.typed(&t["hs256"]).await;
    assert_eq!(refused(c.webhooks_list().send()).await.0, 401);
}

hookline_tests::per_backend!(
    jwt_bearer_tokens_authenticate_as_their_tenant,
    tokens_are_refused_when_no_keys_are_configured,
);
