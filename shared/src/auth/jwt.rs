//! JWT bearer tokens, beside API keys: for platforms whose own identity provider mints tokens
//! for their services (no API Gateway authorizer needed; Lambda and `hookline serve` run this
//! same code).
//!
//! Keys: a shared HS256 secret (`HOOKLINE_JWT_HS256_SECRET`) and/or a JWKS document
//! (`HOOKLINE_JWT_JWKS_FILE`, or inline as `HOOKLINE_JWT_JWKS`) holding RS256, ES256 and EdDSA
//! public keys by `kid`. `HOOKLINE_JWT_ISSUER` and `HOOKLINE_JWT_AUDIENCE` are checked when
//! set; `exp` is required; `exp` and `nbf` get 60 s of leeway for clock skew.
//!
//! Claims: `tenant_id` (the caller's tenant), `partner_id` (a partner token, acting on the
//! partner's tenants), `mode` (`live`, the default, or `test`), `scope` (space-separated Hookline scopes; others
//! are ignored), `sub` (recorded as the actor). A token naming no tenant is accepted only with
//! the `admin` scope, and then every request names its tenant with `tenant_id`.

use async_trait::async_trait;
use axum::http::request::Parts;
use serde::Deserialize;

use super::{Authenticator, Identity, Subject};
use crate::backend::Hookline;
use crate::config::jwt::JwtKeys;
use crate::error::{Error, Result};
use crate::ids::{PartnerId, TenantId};
use crate::model::{Mode, Scope};

/// The claims Hookline reads.
#[derive(Deserialize)]
struct Claims {
    tenant_id: Option<String>,
    /// `live` (default) or `test`.
    mode: Option<String>,
    /// A partner token: it acts on the partner's tenants (and then needs no `tenant_id`).
    partner_id: Option<String>,
    #[serde(default)]
    scope: String,
    sub: Option<String>,
}

/// The identity a token establishes; `Unauthorized` for any token that does not verify.
pub fn verify(keys: &JwtKeys, token: &str) -> Result<Identity> {
    let claims: Claims = keys.claims(token).ok_or(Error::Unauthorized)?;
    let scopes: Vec<Scope> = claims
        .scope
        .split_whitespace()
        .filter_map(Scope::parse)
        .collect();
    let mode = match claims.mode.as_deref() {
        None => Mode::Live,
        Some(m) => Mode::parse(m).ok_or(Error::Unauthorized)?,
    };
    let partner = claims
        .partner_id
        .map(|p| PartnerId::parse(&p).map_err(|_| Error::Unauthorized))
        .transpose()?;
    let tenant = match claims.tenant_id {
        Some(t) => Some(
            TenantId::parse(&t)
                .map_err(|_| Error::Unauthorized)?
                .in_mode(mode),
        ),
        None if scopes.contains(&Scope::Admin) || partner.is_some() => None,
        None => return Err(Error::Unauthorized),
    };
    Ok(Identity {
        session: None,
        partner,
        mode,
        tenant,
        scopes,
        subject: Subject::Token(claims.sub.unwrap_or_default()),
    })
}

/// Whether a bearer credential is a JWT (three base64url parts; API keys have no dots).
fn looks_like_jwt(credential: &str) -> bool {
    credential.starts_with("eyJ") && credential.matches('.').count() == 2
}

/// Accepts JWTs when keys are configured; a JWT without them is refused, not passed on.
pub struct JwtAuthenticator;

#[async_trait]
impl Authenticator for JwtAuthenticator {
    async fn authenticate(&self, parts: &Parts, app: &Hookline) -> Result<Option<Identity>> {
        let Some(token) = super::api_key::presented_key(parts).filter(|c| looks_like_jwt(c)) else {
            return Ok(None);
        };
        let config = app.config.jwt.as_ref().ok_or(Error::Unauthorized)?;
        verify(config, token).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;
    use std::collections::HashMap;

    const SECRET: &str = "a-shared-secret-of-at-least-32-chars!";

    fn config(extra: &[(&str, &str)]) -> JwtKeys {
        let mut env: HashMap<String, String> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.entry("HOOKLINE_JWT_HS256_SECRET".into())
            .or_insert_with(|| SECRET.into());
        JwtKeys::from_lookup(|k: &str| env.get(k).cloned())
            .unwrap()
            .unwrap()
    }

    fn token(claims: serde_json::Value, secret: &str) -> String {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn hs256_tokens_are_checked_for_key_time_issuer_audience_and_tenant() {
        let c = config(&[
            ("HOOKLINE_JWT_ISSUER", "https://id.example"),
            ("HOOKLINE_JWT_AUDIENCE", "hookline"),
        ]);
        let good = json!({"tenant_id": "t1", "scope": "webhooks:read other:scope", "sub": "svc-1",
            "iss": "https://id.example", "aud": "hookline", "exp": now() + 300});
        let id = verify(&c, &token(good.clone(), SECRET)).unwrap();
        assert_eq!(id.tenant.unwrap(), "t1");
        assert_eq!(
            id.scopes,
            vec![Scope::WebhooksRead],
            "unknown scopes are ignored"
        );
        assert_eq!(id.subject.to_string(), "jwt:svc-1");
        assert_eq!(id.mode, Mode::Live);
        let mut test = good.clone();
        test["mode"] = json!("test");
        let id = verify(&c, &token(test, SECRET)).unwrap();
        assert_eq!((id.mode, id.tenant.unwrap().base()), (Mode::Test, "t1"));
        // A partner token needs no tenant.
        let mut partner = good.clone();
        partner["tenant_id"] = json!(null);
        partner["partner_id"] = json!("resellers-1");
        let id = verify(&c, &token(partner, SECRET)).unwrap();
        assert_eq!(
            (id.tenant, id.partner.map(|p| p.to_string())),
            (None, Some("resellers-1".into()))
        );

        let with = |k: &str, v: serde_json::Value| {
            let mut c = good.clone();
            c[k] = v;
            c
        };
        let refused = [
            (
                "wrong secret",
                token(good.clone(), "another-secret-of-at-least-32-chars"),
            ),
            (
                "expired past the leeway",
                token(with("exp", json!(now() - 120)), SECRET),
            ),
            (
                "not yet valid",
                token(with("nbf", json!(now() + 600)), SECRET),
            ),
            (
                "other issuer",
                token(with("iss", json!("https://evil.example")), SECRET),
            ),
            (
                "other audience",
                token(with("aud", json!("someone-else")), SECRET),
            ),
            (
                "unknown mode",
                token(with("mode", json!("staging")), SECRET),
            ),
            (
                "no tenant, not admin",
                token(with("tenant_id", json!(null)), SECRET),
            ),
            (
                "malformed tenant",
                token(with("tenant_id", json!("bad tenant")), SECRET),
            ),
            ("no exp", {
                let mut c = good.clone();
                c.as_object_mut().unwrap().remove("exp");
                token(c, SECRET)
            }),
        ];
        for (why, t) in refused {
            assert!(matches!(verify(&c, &t), Err(Error::Unauthorized)), "{why}");
        }
        // Within the leeway, an expired token still passes.
        assert!(verify(&c, &token(with("exp", json!(now() - 30)), SECRET)).is_ok());
        // An admin token may name no tenant.
        let admin = token(
            json!({"scope": "admin", "iss": "https://id.example", "aud": "hookline", "exp": now() + 60}),
            SECRET,
        );
        assert_eq!(verify(&c, &admin).unwrap().tenant, None);
    }

    #[test]
    fn an_alg_none_or_a_key_confusion_token_is_refused() {
        let c = config(&[]);
        // alg "none": header {"alg":"none"}, no signature.
        let none = "eyJhbGciOiJub25lIn0.eyJ0ZW5hbnRfaWQiOiJ0MSIsImV4cCI6OTk5OTk5OTk5OX0.";
        assert!(matches!(verify(&c, none), Err(Error::Unauthorized)));
        // A valid HS256 token relabelled RS256 (the key-confusion attack): no JWKS key is
        // trusted for it, and the shared secret is never used for another algorithm.
        let t = token(json!({"tenant_id": "t1", "exp": now() + 60}), SECRET);
        assert!(verify(&c, &t).is_ok());
        let (_, rest) = t.split_once('.').unwrap();
        // {"alg":"RS256","kid":"nope"}
        let forged = format!("eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.{rest}");
        assert!(matches!(verify(&c, &forged), Err(Error::Unauthorized)));
    }

    #[test]
    fn settings_are_checked_at_start() {
        let bad = |env: &[(&str, &str)]| {
            let env: HashMap<String, String> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            JwtKeys::from_lookup(|k: &str| env.get(k).cloned()).unwrap_err()
        };
        assert!(JwtKeys::from_lookup(|_: &str| None).unwrap().is_none());
        assert!(
            bad(&[("HOOKLINE_JWT_HS256_SECRET", "short")])
                .to_string()
                .contains("32 characters")
        );
        assert!(
            bad(&[("HOOKLINE_JWT_JWKS", "{\"keys\": [{\"kty\": \"oct\"}]}")])
                .to_string()
                .contains("HOOKLINE_JWT_JWKS")
        );
        assert!(
            bad(&[("HOOKLINE_JWT_JWKS_FILE", "/nonexistent/jwks.json")])
                .to_string()
                .contains("/nonexistent/jwks.json")
        );
    }
}
