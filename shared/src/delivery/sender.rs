//! One signed HTTP attempt: POST the body with Standard Webhooks headers, no redirects, a
//! timeout, the address guard, and an excerpt of the answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::redirect::Policy;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use super::guard::{BlockedAddress, GuardedResolver, guarded_url};
use super::oauth2::Tokens;
use crate::error::{Error, Result};
use crate::model::{Attempt, AttemptError, AttemptRule, ReceiverAuth, Timestamp, TlsOptions};
use crate::secret::Secret;
use crate::signing;

/// How much of a response body is kept in the attempt log.
pub const EXCERPT_BYTES: usize = 512;

/// The result of one attempt, with the receiver's `Retry-After` when it sent one on 429/503.
#[derive(Debug, Clone)]
pub struct Sent {
    pub attempt: Attempt,
    pub retry_after: Option<Duration>,
}

/// What every request says it comes from.
const USER_AGENT: &str = concat!("Hookline/", env!("CARGO_PKG_VERSION"));

/// One request to send.
pub struct Outgoing<'a> {
    pub url: &'a str,
    /// The `webhook-id`: the event's id, the same on every attempt.
    pub msg_id: &'a str,
    pub signer: &'a signing::Signer<'a>,
    pub body: &'a str,
    /// The webhook's custom headers (validated when set: none is Hookline's own).
    pub headers: &'a std::collections::BTreeMap<String, String>,
    /// The receiver's authentication, when it asks for one.
    pub auth: Option<&'a ReceiverAuth>,
    /// A CA its receiver's certificate may chain to, besides the system roots.
    pub tls: Option<&'a TlsOptions>,
    /// The webhook's own timeout, instead of the deployment's.
    pub timeout: Option<Duration>,
    pub manual: bool,
    pub at: Timestamp,
}

pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
    /// Clients for webhooks with their own TLS (a client certificate, a private CA), by what
    /// they present and trust: built once, reused like the shared one.
    profiles: Mutex<HashMap<u64, reqwest::Client>>,
    /// OAuth2 tokens of this process.
    pub tokens: Tokens,
}

/// TLS profiles kept at once; beyond this they are built again.
const MAX_PROFILES: usize = 1000;

/// The delivery client's settings: no redirects, the timeouts, the address guard.
fn builder(timeout: Duration, allow_private: bool) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .user_agent(USER_AGENT)
        .pool_max_idle_per_host(32)
}

impl Sender {
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self> {
        let client = builder(timeout, allow_private)
            .tls_certs_only(crate::tls::reqwest_roots())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Sender {
            client,
            allow_private,
            timeout,
            profiles: Mutex::new(HashMap::new()),
            tokens: Tokens::default(),
        })
    }

    /// The client for a webhook: the shared one, or one that presents its client certificate
    /// and trusts its CA besides the system roots.
    fn client_for(
        &self,
        auth: Option<&ReceiverAuth>,
        tls: Option<&TlsOptions>,
    ) -> std::result::Result<reqwest::Client, String> {
        let identity = match auth {
            Some(ReceiverAuth::Mtls {
                certificate,
                private_key,
            }) => Some((certificate, private_key)),
            _ => None,
        };
        if identity.is_none() && tls.is_none() {
            return Ok(self.client.clone());
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        identity.map(|(c, k)| (c, k.expose())).hash(&mut h);
        tls.map(|t| &t.ca_certificate).hash(&mut h);
        let key = h.finish();
        let lock = || self.profiles.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = lock().get(&key) {
            return Ok(c.clone());
        }
        let mut roots = crate::tls::reqwest_roots();
        if let Some(t) = tls {
            roots.extend(
                reqwest::Certificate::from_pem_bundle(t.ca_certificate.as_bytes())
                    .map_err(|e| format!("tls.ca_certificate: {e}"))?,
            );
        }
        let mut b = builder(self.timeout, self.allow_private).tls_certs_only(roots);
        if let Some((cert, key)) = identity {
            let pem = format!("{cert}\n{}", key.expose());
            let id = reqwest::Identity::from_pem(pem.as_bytes())
                .map_err(|e| format!("the client certificate or its key: {e}"))?;
            b = b.identity(id);
        }
        let client = b.build().map_err(|e| format!("TLS client: {e}"))?;
        let mut profiles = lock();
        if profiles.len() >= MAX_PROFILES {
            profiles.clear();
        }
        profiles.insert(key, client.clone());
        Ok(client)
    }

    /// POSTs the request's body to its URL at its time, signed, with its webhook's headers and
    /// authentication. An OAuth2 receiver that answers 401 gets one more request with a token
    /// fetched anew (within the same attempt).
    pub async fn send(&self, out: Outgoing<'_>) -> Sent {
        let Outgoing {
            url,
            msg_id,
            signer,
            body,
            headers,
            auth,
            tls,
            timeout,
            manual,
            at,
        } = out;
        let started = Instant::now();
        let fail = |kind: AttemptError, msg: String, started: Instant| Sent {
            attempt: Attempt {
                at,
                status_code: None,
                duration_ms: started.elapsed().as_millis() as u64,
                response_excerpt: None,
                error_kind: Some(kind),
                error: Some(msg),
                manual,
                retry_id: None,
                key_id: None,
                rule: Some(AttemptRule::Retry),
                request_headers: None,
            },
            retry_after: None,
        };
        let parsed = match guarded_url(url, self.allow_private) {
            Ok(u) => u,
            Err((kind, msg)) => return fail(kind, msg, started),
        };
        let timestamp = at.timestamp();
        // The target URI as sent (RFC 9421 signs it): the parsed URL's serialization.
        let signature = match signer.headers(msg_id, timestamp, parsed.as_str(), body.as_bytes()) {
            Ok(s) => s,
            Err(e) => {
                return fail(
                    AttemptError::Request,
                    format!("signing failed: {e}"),
                    started,
                );
            }
        };
        let client = match self.client_for(auth, tls) {
            Ok(c) => c,
            Err(e) => return fail(AttemptError::Request, e, started),
        };
        let oauth = auth.filter(|a| matches!(a, ReceiverAuth::OAuth2ClientCredentials { .. }));
        // The credential header: fixed, or a bearer token fetched for it.
        let credential = |token: Option<&Secret>| -> Option<(String, String)> {
            match token {
                Some(t) => Some(("authorization".into(), format!("Bearer {}", t.expose()))),
                None => auth.and_then(ReceiverAuth::static_header),
            }
        };
        let build = |credential: Option<(String, String)>| {
            let mut request = client
                .post(parsed.clone())
                .header(CONTENT_TYPE, "application/json")
                .header("webhook-id", msg_id)
                .header("webhook-timestamp", timestamp.to_string());
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str());
            }
            if let Some(t) = timeout {
                request = request.timeout(t);
            }
            if let Some((name, value)) = credential {
                let mut value = reqwest::header::HeaderValue::from_str(&value)
                    .map_err(|_| "the receiver authentication is not a valid header")?;
                // Kept out of any debug output of the request.
                value.set_sensitive(true);
                request = request.header(name, value);
            }
            for (name, value) in &signature {
                request = request.header(*name, value.clone());
            }
            Ok::<_, &str>(request.body(body.to_string()))
        };
        let mut token = None;
        if let Some(a) = oauth {
            match self
                .tokens
                .get(&self.client, self.allow_private, a, at)
                .await
            {
                Ok(t) => token = Some(t),
                Err(e) => return fail(AttemptError::AuthToken, e.to_string(), started),
            }
        }
        let request = match build(credential(token.as_ref())) {
            Ok(r) => r,
            Err(e) => return fail(AttemptError::Request, e.into(), started),
        };
        // What a failed attempt's log shows of the request (the credential named, not shown).
        let shown = || {
            Some(shown_headers(
                msg_id,
                timestamp,
                headers,
                credential(None)
                    .map(|(name, _)| name)
                    .or(oauth.map(|_| "authorization".into())),
                &signature,
            ))
        };
        let mut res = request.send().await;
        if let (Some(a), Some(used), Ok(401)) =
            (oauth, &token, res.as_ref().map(|r| r.status().as_u16()))
        {
            // The token may have been revoked or expired early: once more with a new one.
            self.tokens.refused(a, used).await;
            let fresh = match self
                .tokens
                .get(&self.client, self.allow_private, a, at)
                .await
            {
                Ok(t) => t,
                Err(e) => return fail(AttemptError::AuthToken, e.to_string(), started),
            };
            if let Ok(r) = build(credential(Some(&fresh))) {
                res = r.send().await;
            }
        }
        let mut resp = match res {
            Ok(r) => r,
            Err(e) => {
                let (kind, msg) = classify(&e);
                let mut failed = fail(kind, msg, started);
                failed.attempt.request_headers = shown();
                return failed;
            }
        };
        let status = resp.status().as_u16();
        let rule = AttemptRule::of(Some(status));
        let retry_after = match rule {
            AttemptRule::SlowDown => parse_retry_after(resp.headers(), at),
            _ => None,
        };
        let mut excerpt = Vec::new();
        let mut read_error = None;
        while excerpt.len() < EXCERPT_BYTES {
            match resp.chunk().await {
                Ok(Some(chunk)) => excerpt
                    .extend_from_slice(&chunk[..chunk.len().min(EXCERPT_BYTES - excerpt.len())]),
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(classify(&e));
                    break;
                }
            }
        }
        let ok = (200..300).contains(&status);
        let (error_kind, error) = match (ok, read_error) {
            (true, _) => (None, None),
            (false, Some((k, m))) => (Some(k), Some(m)),
            (false, None) => (
                Some(AttemptError::HttpStatus),
                Some(format!("endpoint answered HTTP {status}")),
            ),
        };
        Sent {
            attempt: Attempt {
                at,
                status_code: Some(status),
                duration_ms: started.elapsed().as_millis() as u64,
                response_excerpt: (!excerpt.is_empty())
                    .then(|| String::from_utf8_lossy(&excerpt).into_owned()),
                error_kind,
                error,
                manual,
                retry_id: None,
                key_id: None,
                rule: Some(rule),
                request_headers: if ok { None } else { shown() },
            },
            retry_after,
        }
    }
}

/// The headers Hookline set on a request, as a failed attempt's log shows them: the receiver's
/// credential (`credential` names its header) and the custom headers' values, which may be
/// credentials of the receiver, masked; the signature headers in full (a receiver's
/// verification is what is debugged).
fn shown_headers(
    msg_id: &str,
    timestamp: i64,
    custom: &std::collections::BTreeMap<String, String>,
    credential: Option<String>,
    signature: &[(&'static str, String)],
) -> std::collections::BTreeMap<String, String> {
    const MASK: &str = "********";
    let mut shown: std::collections::BTreeMap<String, String> = [
        ("content-type", "application/json".to_string()),
        ("user-agent", USER_AGENT.to_string()),
        ("webhook-id", msg_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for name in custom.keys() {
        shown.insert(name.to_ascii_lowercase(), MASK.into());
    }
    if let Some(name) = credential {
        shown.insert(name.to_ascii_lowercase(), MASK.into());
    }
    for (name, value) in signature {
        shown.insert((*name).to_string(), value.clone());
    }
    shown
}

/// Maps a client error to an attempt error kind and a readable message.
fn classify(e: &reqwest::Error) -> (AttemptError, String) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut deepest = e.to_string();
    while let Some(s) = source {
        if let Some(b) = s.downcast_ref::<BlockedAddress>() {
            return (AttemptError::BlockedAddress, b.to_string());
        }
        deepest = s.to_string();
        source = s.source();
    }
    let kind = if e.is_timeout() {
        AttemptError::Timeout
    } else if e.is_connect() {
        if deepest.contains("failed to lookup") || deepest.contains("Name or service not known") {
            AttemptError::Dns
        } else {
            AttemptError::Connection
        }
    } else {
        AttemptError::Request
    };
    let msg = match kind {
        AttemptError::Timeout => {
            "the endpoint did not answer within the delivery timeout".to_string()
        }
        _ => format!("{e}: {deepest}"),
    };
    (kind, msg)
}

/// `Retry-After` as seconds or an HTTP date (measured from `now`).
pub fn parse_retry_after(h: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let v = h.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (when.with_timezone(&Utc) - now).to_std().ok()
}
