//! Webhook receivers on loopback, scripted per path (the statuses to answer in turn) and
//! logging what arrived with which secrets it verifies.
//!
//! [`Receiver`] runs in process and verifies with the `standardwebhooks` crate; [`PyReceiver`]
//! (tests/receiver.py) verifies with the official Python libraries (`standardwebhooks` and
//! `svix`), the cross-check that what Hookline sends interoperates. Both log [`Delivered`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;

use crate::{python, root};

/// The address receivers listen on: loopback, or `HOOKLINE_TEST_RECEIVER_HOST` (the `sam local`
/// tests give one that the function containers reach: SAM runs them on Docker's bridge).
pub fn receiver_host() -> String {
    std::env::var("HOOKLINE_TEST_RECEIVER_HOST").unwrap_or_else(|_| "127.0.0.1".into())
}

/// One request that reached a receiver.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivered {
    pub path: String,
    pub webhook_id: Option<String>,
    pub timestamp: Option<String>,
    pub signature: Option<String>,
    /// Indexes of the configured secrets that verify this request.
    pub verified_by: Vec<usize>,
    /// The same with the `svix` library (Python receiver only).
    #[serde(default)]
    pub svix_ok: Option<Vec<usize>>,
    /// The status answered.
    pub status: u16,
    /// Unix seconds.
    pub received_at: f64,
    pub body: Option<String>,
    /// `webhook-key-id` (asymmetric `v1a` deliveries).
    #[serde(default)]
    pub key_id: Option<String>,
    /// Python receiver with a keys URL: the key ids whose public half verifies a `v1a`
    /// signature, and the key id of a verified RFC 9421 signature (or why it did not verify).
    #[serde(default)]
    pub v1a_verified: Vec<String>,
    #[serde(default)]
    pub rfc9421_verified: Option<String>,
    #[serde(default)]
    pub rfc9421_error: Option<String>,
    /// Every header, by lower-case name (Rust receiver only).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Delivered {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.body.as_deref().expect("a logged body")).expect("a JSON body")
    }
}

#[derive(Default, Clone)]
struct Script {
    secrets: Vec<String>,
    statuses: Vec<u16>,
    retry_after: Option<u64>,
    served: usize,
    /// How long to wait before answering (a slow endpoint).
    delay: Duration,
    /// The credential a request must carry, or it is answered 401.
    require: Option<Require>,
}

/// What a path requires of a request.
#[derive(Clone)]
enum Require {
    /// This header with this value.
    Header(String, String),
    /// `Authorization: Bearer` with a token this receiver's token endpoint issued.
    IssuedToken,
}

/// The receiver's OAuth2 token endpoint (client credentials): the client it knows, the
/// tokens it issued, and how many it was asked for.
#[derive(Default)]
struct TokenServer {
    client: Option<(String, String)>,
    expires_in: u64,
    issued: Vec<String>,
    revoked: usize,
    requests: Vec<String>,
}

#[derive(Default)]
struct Shared {
    scripts: HashMap<String, Script>,
    log: Vec<Delivered>,
    /// Requests being answered now, and the most at once, per path.
    load: HashMap<String, (usize, usize)>,
    tokens: TokenServer,
}

/// The in-process receiver.
pub struct Receiver {
    pub base: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let listener = tokio::net::TcpListener::bind((receiver_host(), 0))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new().fallback(receive).with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Receiver { base, shared, task }
    }

    /// Scripts a path: the secrets to verify with and the statuses to answer in turn (the last
    /// one repeats); returns its URL.
    pub async fn configure(
        &self,
        path: &str,
        secrets: &[&str],
        script: &[u16],
        retry_after: Option<u64>,
    ) -> String {
        self.shared.lock().unwrap().scripts.insert(
            path.to_string(),
            Script {
                secrets: secrets.iter().map(|s| s.to_string()).collect(),
                statuses: script.to_vec(),
                retry_after,
                served: 0,
                delay: Duration::ZERO,
                require: None,
            },
        );
        format!("{}{path}", self.base)
    }

    /// Makes `path` answer 401 to a request without header `name` set to `value`.
    pub fn require_header(&self, path: &str, name: &str, value: &str) {
        self.require(path, Require::Header(name.to_lowercase(), value.into()));
    }

    /// Makes `path` answer 401 to a request without a bearer token that the token endpoint
    /// issued and did not revoke.
    pub fn require_issued_token(&self, path: &str) {
        self.require(path, Require::IssuedToken);
    }

    fn require(&self, path: &str, r: Require) {
        let mut s = self.shared.lock().unwrap();
        s.scripts
            .entry(path.to_string())
            .or_insert_with(|| Script {
                statuses: vec![200],
                ..Script::default()
            })
            .require = Some(r);
    }

    /// Opens the token endpoint (`/oauth/token`) for one client; returns its URL.
    pub fn token_endpoint(&self, client_id: &str, secret: &str, expires_in: u64) -> String {
        let mut s = self.shared.lock().unwrap();
        s.tokens.client = Some((client_id.into(), secret.into()));
        s.tokens.expires_in = expires_in;
        format!("{}/oauth/token", self.base)
    }

    /// The token requests received, as their form bodies.
    pub fn token_requests(&self) -> Vec<String> {
        self.shared.lock().unwrap().tokens.requests.clone()
    }

    /// Revokes every token issued so far (a receiver that rotated its keys).
    pub fn revoke_tokens(&self) {
        let mut s = self.shared.lock().unwrap();
        s.tokens.revoked = s.tokens.issued.len();
    }

    /// Makes `path` answer only after `delay` (a slow endpoint).
    pub fn slow(&self, path: &str, delay: Duration) {
        self.shared
            .lock()
            .unwrap()
            .scripts
            .entry(path.to_string())
            .or_insert_with(|| Script {
                statuses: vec![200],
                ..Script::default()
            })
            .delay = delay;
    }

    /// The most requests `path` was answering at once.
    pub fn max_in_flight(&self, path: &str) -> usize {
        self.shared
            .lock()
            .unwrap()
            .load
            .get(path)
            .map_or(0, |l| l.1)
    }

    pub async fn log(&self) -> Vec<Delivered> {
        self.shared.lock().unwrap().log.clone()
    }

    pub async fn log_for(&self, path: &str) -> Vec<Delivered> {
        filter(self.log().await, path)
    }

    /// Waits until `path` has received `n` requests (or panics after `timeout`).
    pub async fn wait_for(&self, path: &str, n: usize, timeout: Duration) -> Vec<Delivered> {
        wait_for(path, n, timeout, || self.log_for(path)).await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(shared): State<Arc<Mutex<Shared>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let path = uri.path().to_string();
    if path == "/oauth/token" {
        return issue_token(&shared, &headers, &body);
    }
    let delay = {
        let mut s = shared.lock().unwrap();
        let (now, max) = s.load.entry(path.clone()).or_default();
        *now += 1;
        *max = (*max).max(*now);
        s.scripts.get(&path).map(|s| s.delay).unwrap_or_default()
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut shared = shared.lock().unwrap();
    shared.load.get_mut(&path).unwrap().0 -= 1;
    let script = shared
        .scripts
        .entry(path.clone())
        .or_insert_with(|| Script {
            statuses: vec![200],
            ..Script::default()
        });
    let mut status = script.statuses[script.served.min(script.statuses.len() - 1)];
    script.served += 1;
    let header_of = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let allowed = match &script.require {
        None => true,
        Some(Require::Header(n, v)) => header_of(n) == Some(v.as_str()),
        Some(Require::IssuedToken) => {
            let t = &shared.tokens;
            header_of("authorization")
                .and_then(|a| a.strip_prefix("Bearer "))
                .is_some_and(|tok| t.issued[t.revoked..].iter().any(|i| i == tok))
        }
    };
    let script = shared.scripts.get_mut(&path).unwrap();
    if !allowed {
        status = 401;
    }
    let verified_by = script
        .secrets
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            standardwebhooks::Webhook::new(s).is_ok_and(|w| w.verify(&body, &headers).is_ok())
        })
        .map(|(i, _)| i)
        .collect();
    let mut out_headers = HeaderMap::new();
    if let (Some(secs), 429 | 502 | 503 | 504) = (script.retry_after, status) {
        out_headers.insert("retry-after", secs.to_string().parse().unwrap());
    }
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    shared.log.push(Delivered {
        path,
        webhook_id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        verified_by,
        svix_ok: None,
        status,
        received_at: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
        body: Some(String::from_utf8_lossy(&body).into_owned()),
        key_id: header("webhook-key-id"),
        v1a_verified: Vec::new(),
        rfc9421_verified: None,
        rfc9421_error: None,
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
    });
    let reply = serde_json::json!({"received": true, "status": status}).to_string();
    (StatusCode::from_u16(status).unwrap(), out_headers, reply)
}

/// The token endpoint: client credentials by Basic or in the form; a new token each time.
fn issue_token(
    shared: &Arc<Mutex<Shared>>,
    headers: &HeaderMap,
    body: &Bytes,
) -> (StatusCode, HeaderMap, String) {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let given = hookline::delivery::oauth2::client_credentials_request(authorization, body);
    let mut s = shared.lock().unwrap();
    s.tokens
        .requests
        .push(String::from_utf8_lossy(body).into_owned());
    let mut json = HeaderMap::new();
    json.insert("content-type", "application/json".parse().unwrap());
    if given.is_none() || given != s.tokens.client {
        let e = serde_json::json!({"error": "invalid_client"}).to_string();
        return (StatusCode::UNAUTHORIZED, json, e);
    }
    let token = format!("tok-{}", s.tokens.issued.len() + 1);
    s.tokens.issued.push(token.clone());
    let answer = serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": s.tokens.expires_in});
    (StatusCode::OK, json, answer.to_string())
}

fn filter(log: Vec<Delivered>, path: &str) -> Vec<Delivered> {
    log.into_iter().filter(|e| e.path == path).collect()
}

async fn wait_for<F, Fut>(path: &str, n: usize, timeout: Duration, mut log: F) -> Vec<Delivered>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<Delivered>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let got = log().await;
        if got.len() >= n {
            return got;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{path}: expected {n} deliveries within {timeout:?}, got {}: {got:#?}",
                got.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Python receiver (tests/receiver.py), verifying each delivery with the official libraries.
pub struct PyReceiver {
    child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl PyReceiver {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(python())
            .arg(root().join("tests/receiver.py"))
            .arg(format!("--host={}", receiver_host()))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("receiver port");
        let port: u16 = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("receiver said {line:?}"));
        PyReceiver {
            child,
            base: format!("http://{}:{port}", receiver_host()),
            http: reqwest::Client::new(),
        }
    }

    pub async fn configure(
        &self,
        path: &str,
        secrets: &[&str],
        script: &[u16],
        retry_after: Option<u64>,
    ) -> String {
        self.configure_with(
            path,
            serde_json::json!({"secrets": secrets, "script": script, "retry_after": retry_after}),
        )
        .await
    }

    /// Scripts a path with any of the receiver's settings (e.g. `keys_url`); returns its URL.
    pub async fn configure_with(&self, path: &str, mut cfg: serde_json::Value) -> String {
        cfg["path"] = path.into();
        if cfg.get("script").is_none() {
            cfg["script"] = serde_json::json!([200]);
        }
        if cfg.get("secrets").is_none() {
            cfg["secrets"] = serde_json::json!([]);
        }
        self.http
            .post(format!("{}/_config", self.base))
            .body(cfg.to_string())
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        format!("{}{path}", self.base)
    }

    pub async fn log(&self) -> Vec<Delivered> {
        self.http
            .get(format!("{}/_log", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn log_for(&self, path: &str) -> Vec<Delivered> {
        filter(self.log().await, path)
    }

    pub async fn wait_for(&self, path: &str, n: usize, timeout: Duration) -> Vec<Delivered> {
        wait_for(path, n, timeout, || self.log_for(path)).await
    }
}

impl Drop for PyReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
