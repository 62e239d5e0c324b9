//! OAuth2 client credentials (RFC 6749 §4.4) for receivers that want a bearer token: one token
//! per credential set and process, fetched by the first delivery that needs it while the others
//! wait for it (one fetch, not one per delivery), kept until shortly before it expires, and
//! dropped when a receiver answers 401 to it. Each Lambda instance keeps its own: a few fetches
//! per token lifetime across a fleet, which token endpoints expect of clients.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::model::{ClientAuthMethod, ReceiverAuth, Timestamp};
use crate::secret::Secret;

/// A token without `expires_in` is kept this long.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// Credential sets kept at once; the oldest ones are forgotten beyond this.
const MAX_ENTRIES: usize = 10_000;

struct Token {
    value: Secret,
    /// On the engine's clock (the attempt's time), so that tests can let it pass.
    until: Timestamp,
}

type Cell = Arc<tokio::sync::Mutex<Option<Token>>>;

/// The tokens of this process, by credential set.
#[derive(Default)]
pub struct Tokens {
    cells: Mutex<HashMap<u64, Cell>>,
    fetches: AtomicU64,
}

/// Why no token could be had (an attempt that failed with `auth_token`).
#[derive(Debug, thiserror::Error)]
#[error("the OAuth2 token request failed: {0}")]
pub struct TokenError(pub String);

impl Tokens {
    /// Token requests made by this process (the benchmark counts them).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn cell(&self, auth: &ReceiverAuth) -> Cell {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        auth.hash_credentials(&mut h);
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if cells.len() >= MAX_ENTRIES {
            cells.clear();
        }
        cells.entry(h.finish()).or_default().clone()
    }

    /// The token for `auth` (an OAuth2 client credentials set): the one kept, or a new one
    /// fetched through `http` (the delivery client, behind the address guard).
    pub async fn get(
        &self,
        http: &reqwest::Client,
        allow_private: bool,
        auth: &ReceiverAuth,
        now: Timestamp,
    ) -> Result<Secret, TokenError> {
        let cell = self.cell(auth);
        let mut held = cell.lock().await;
        if let Some(t) = held.as_ref().filter(|t| t.until > now) {
            return Ok(t.value.clone());
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let token = fetch(http, allow_private, auth, now).await?;
        let value = token.value.clone();
        *held = Some(token);
        Ok(value)
    }

    /// Forgets `used` for `auth`, when it is still the one kept (a receiver refused it).
    pub async fn refused(&self, auth: &ReceiverAuth, used: &Secret) {
        let cell = self.cell(auth);
        let mut held = cell.lock().await;
        if held
            .as_ref()
            .is_some_and(|t| t.value.expose() == used.expose())
        {
            *held = None;
        }
    }
}

impl ReceiverAuth {
    fn hash_credentials(&self, h: &mut impl Hasher) {
        if let ReceiverAuth::OAuth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
            audience,
            client_auth,
        } = self
        {
            (
                token_url,
                client_id,
                client_secret.expose(),
                scope,
                audience,
            )
                .hash(h);
            (*client_auth == ClientAuthMethod::Body).hash(h);
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

async fn fetch(
    http: &reqwest::Client,
    allow_private: bool,
    auth: &ReceiverAuth,
    now: Timestamp,
) -> Result<Token, TokenError> {
    let ReceiverAuth::OAuth2ClientCredentials {
        token_url,
        client_id,
        client_secret,
        scope,
        audience,
        client_auth,
    } = auth
    else {
        return Err(TokenError("not an OAuth2 client credentials set".into()));
    };
    let url = super::guard::guarded_url(token_url, allow_private)
        .map_err(|(_, e)| TokenError(format!("token URL: {e}")))?;
    let mut pairs = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        pairs.push(("scope", s));
    }
    if let Some(a) = audience {
        pairs.push(("audience", a));
    }
    let mut request = http.post(url);
    match client_auth {
        ClientAuthMethod::Body => {
            pairs.push(("client_id", client_id));
            pairs.push(("client_secret", client_secret.expose()));
        }
        ClientAuthMethod::Basic => {
            // RFC 6749 §2.3.1: each part form-encoded, then the pair in Basic.
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            let (id, secret): (String, String) = (enc(client_id), enc(client_secret.expose()));
            request = request.basic_auth(id, Some(secret));
        }
    }
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let res = request
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(form)
        .send()
        .await
        .map_err(|e| TokenError(crate::error::chain(&e)))?;
    let status = res.status();
    if !status.is_success() {
        return Err(TokenError(format!(
            "the token endpoint answered HTTP {status}"
        )));
    }
    let answer: TokenAnswer = res
        .json()
        .await
        .map_err(|_| TokenError("the token endpoint's answer has no access_token".into()))?;
    let lifetime = answer
        .expires_in
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_LIFETIME);
    // Renewed a little before it expires: a tenth of its life, at most 30 s.
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    let keep = chrono::TimeDelta::from_std(lifetime.saturating_sub(margin)).unwrap_or_default();
    Ok(Token {
        value: Secret::new(answer.access_token),
        until: now + keep,
    })
}

/// A client credentials token request as a token endpoint reads it (RFC 6749 §4.4): the
/// client's id and secret, from `Authorization: Basic` (each part form-encoded) or the form,
/// when the request asks for that grant. `hookline listen --oauth2` serves one with it.
pub fn client_credentials_request(
    authorization: Option<&str>,
    body: &[u8],
) -> Option<(String, String)> {
    use base64::Engine;
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return None;
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let basic = authorization
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|p| {
            let (id, secret) = p.split_once(':')?;
            Some((decode(id)?, decode(secret)?))
        });
    basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    })
}
