//! JWT bearer tokens beside API keys, minted by PyJWT (an implementation independent of
//! Hookline's) with HS256 and with RS256, ES256 and EdDSA keys from a JWKS: accepted, expired,
//! wrong issuer, audience or key, missing scope, another tenant's resources, no tenant.

use std::collections::HashMap;

use hookline::config::Config;
use hookline_tests::{Api, Backend, python, root, test_config, unique};
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
    let hook = json!({"url": "https://hooks.example.com/in"});

    // HS256 with the shared secret; ES256 and EdDSA by kid from the JWKS.
    let (s, created) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&t["hs256"]),
            Some(hook.clone()),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    for alg in ["es256", "eddsa"] {
        let (s, v) = api
            .call("POST", "/v1/webhooks", Some(&t[alg]), Some(hook.clone()))
            .await;
        assert_eq!(s, 201, "{alg}: {v}");
    }
    // RS256, read-only scope: reads the tenant's webhooks, may not write.
    let (s, list) = api
        .call("GET", "/v1/webhooks", Some(&t["rs256_read"]), None)
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    let (s, v) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&t["rs256_read"]),
            Some(hook.clone()),
        )
        .await;
    assert_eq!(s, 403, "missing scope: {v}");
    assert_eq!(v["error"]["code"], "forbidden", "{v}");

    // Tokens that do not verify, or name no tenant without being admin: 401, nothing written.
    for name in [
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "wrong_key",
        "no_tenant",
    ] {
        let (s, v) = api
            .call("POST", "/v1/webhooks", Some(&t[name]), Some(hook.clone()))
            .await;
        assert_eq!(s, 401, "{name}: {v}");
        assert_eq!(v["error"]["code"], "unauthorized", "{name}: {v}");
    }
    // Another tenant's token does not see this tenant's webhook.
    let (s, v) = api
        .call(
            "GET",
            &format!("/v1/webhooks/{id}"),
            Some(&t["other_tenant"]),
            None,
        )
        .await;
    assert_eq!(s, 404, "{v}");
    // An admin token naming no tenant acts where `tenant_id` says, and must say it.
    let (s, v) = api
        .call("GET", "/v1/webhooks", Some(&t["admin_no_tenant"]), None)
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["field"], "tenant_id", "{v}");
    let (s, v) = api
        .call(
            "GET",
            &format!("/v1/webhooks/{id}?tenant_id={tenant}"),
            Some(&t["admin_no_tenant"]),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // Nothing the refused tokens sent was written.
    let (_, list) = api
        .call("GET", "/v1/webhooks", Some(&t["rs256_read"]), None)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
}

/// Without JWT settings a token is refused, not taken for an API key.
async fn tokens_are_refused_when_no_keys_are_configured(b: Backend) {
    let (tenant, other) = (unique("jwt"), unique("jwt-other"));
    let (_, t) = mint(&tenant, &other);
    let api = Api::new(b.app(test_config()).await);
    let (s, v) = api
        .call("GET", "/v1/webhooks", Some(&t["hs256"]), None)
        .await;
    assert_eq!(s, 401, "{v}");
}

hookline_tests::per_backend!(
    jwt_bearer_tokens_authenticate_as_their_tenant,
    tokens_are_refused_when_no_keys_are_configured,
);
