//! `hookline listen`: a webhook receiver for trying Hookline on one machine (like `stripe
//! listen`). Every request it receives is answered with the chosen status and printed as one
//! line: when, the message id, the event type, whether the signature verifies (in whichever of
//! the three schemes the delivery is signed: `v1` with the given secret, `v1a` and RFC 9421
//! with the tenant's published keys), how old the message was, and the answer. It can also check what a webhook's
//! receiver authentication sends (`--require-header`, `--basic`, `--bearer`), and play an
//! OAuth2 token endpoint (`--oauth2`), refusing with 401 what does not carry it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use hookline::signing::{secret_bytes, verify};
use hookline::verify::{PublicKeys, Refused, verify_rfc9421, verify_v1a};

/// `hookline listen`'s flags.
#[derive(clap::Args)]
pub struct ListenArgs {
    /// The port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 4000)]
    port: u16,
    /// The webhook's signing secret (whsec_...), to verify each delivery.
    #[arg(long, env = "HOOKLINE_LISTEN_SECRET")]
    secret: Option<String>,
    /// The tenant's verification keys (`{server}/v1/tenants/{tenant_id}/verification-keys`), to
    /// verify `ed25519` (v1a) and `http-message-signatures` (RFC 9421) deliveries; fetched on
    /// first need and again when a delivery names a key it does not know (a rotation).
    #[arg(long, value_name = "URL")]
    keys_url: Option<String>,
    /// The status to answer (e.g. 500 to watch the retries).
    #[arg(long, default_value_t = 200)]
    status: u16,
    /// Refuse (401) a request without this header, or without this value of it
    /// (NAME or NAME=VALUE; repeatable).
    #[arg(long = "require-header", value_name = "NAME[=VALUE]")]
    require_header: Vec<String>,
    /// Refuse (401) a request without `Authorization: Basic` for USER:PASS.
    #[arg(long, value_name = "USER:PASS")]
    basic: Option<String>,
    /// Refuse (401) a request without `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "TOKEN")]
    bearer: Option<String>,
    /// Serve an OAuth2 token endpoint at /oauth/token for this client (client credentials,
    /// by Basic or in the form), and refuse (401) a request without a token it issued.
    #[arg(long, value_name = "CLIENT_ID:CLIENT_SECRET")]
    oauth2: Option<String>,
}

/// What a request must carry.
#[derive(Clone, Default)]
struct Checks {
    headers: Vec<(String, Option<String>)>,
    authorization: Option<String>,
    oauth2: Option<(String, String)>,
}

#[derive(Clone)]
struct Listener {
    key: Option<Vec<u8>>,
    keys_url: Option<String>,
    keys: Arc<tokio::sync::Mutex<PublicKeys>>,
    status: StatusCode,
    checks: Checks,
    issued: Arc<Mutex<Vec<String>>>,
}

fn pair(flag: &str, v: &str) -> anyhow::Result<(String, String)> {
    v.split_once(':')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| anyhow::anyhow!("{flag} takes the form A:B"))
}

/// Listens until Ctrl-C.
pub async fn run(args: &ListenArgs) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let key = args.secret.as_deref().map(secret_bytes).transpose()?;
    let status = StatusCode::from_u16(args.status)
        .map_err(|_| anyhow::anyhow!("--status must be an HTTP status, not {}", args.status))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let checks = Checks {
        headers: args
            .require_header
            .iter()
            .map(|h| match h.split_once('=') {
                Some((n, v)) => (n.to_lowercase(), Some(v.to_string())),
                None => (h.to_lowercase(), None),
            })
            .collect(),
        authorization: match (&args.basic, &args.bearer) {
            (Some(_), Some(_)) => anyhow::bail!("give --basic or --bearer, not both"),
            (Some(b), None) => {
                pair("--basic", b)?;
                Some(format!("Basic {}", b64.encode(b)))
            }
            (None, Some(t)) => Some(format!("Bearer {t}")),
            (None, None) => None,
        },
        oauth2: args
            .oauth2
            .as_deref()
            .map(|o| pair("--oauth2", o))
            .transpose()?,
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!(
        "Listening on {base} (answering {status}{}); point a webhook here, with \
         HOOKLINE_ALLOW_PRIVATE_TARGETS=true on the server.",
        match (key.is_some(), args.keys_url.is_some()) {
            (true, true) => ", verifying signatures",
            (true, false) => ", verifying v1 signatures (give --keys-url for v1a and RFC 9421)",
            (false, true) => ", verifying v1a and RFC 9421 signatures (give --secret for v1)",
            (false, false) => "; give --secret whsec_... and --keys-url to verify signatures",
        },
    );
    if checks.oauth2.is_some() {
        println!("OAuth2 token endpoint: {base}/oauth/token (auth.token_url)");
    }
    let app = Router::new().fallback(receive).with_state(Listener {
        key,
        keys_url: args.keys_url.clone(),
        keys: Arc::default(),
        status,
        checks,
        issued: Arc::default(),
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Runs `check` with the tenant's public keys, fetched first when none are known or when
/// `check` names a key not among them (none without `--keys-url`).
async fn with_keys<T>(
    l: &Listener,
    check: impl Fn(&PublicKeys) -> Result<T, Refused>,
) -> Option<Result<T, Refused>> {
    let url = l.keys_url.as_deref()?;
    let mut keys = l.keys.lock().await;
    let first = check(&keys);
    if !matches!(first, Err(Refused::UnknownKey(_))) {
        return Some(first);
    }
    match fetch_keys(url).await {
        Ok(fetched) => *keys = fetched,
        Err(e) => println!("could not fetch the verification keys from {url}: {e}"),
    }
    Some(check(&keys))
}

async fn fetch_keys(url: &str) -> anyhow::Result<PublicKeys> {
    let body: serde_json::Value = reqwest::get(url).await?.error_for_status()?.json().await?;
    PublicKeys::from_json(&body).map_err(|e| anyhow::anyhow!(e))
}

/// What the request lacks of what it must carry, if anything.
fn refusal(l: &Listener, headers: &HeaderMap) -> Option<String> {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    for (name, value) in &l.checks.headers {
        match (get(name), value) {
            (None, _) => return Some(format!("REFUSED: no {name} header")),
            (Some(got), Some(want)) if got != want => {
                return Some(format!("REFUSED: {name} is not the value required"));
            }
            _ => {}
        }
    }
    if let Some(want) = &l.checks.authorization
        && get("authorization") != Some(want.as_str())
    {
        return Some("REFUSED: not the required Authorization".into());
    }
    if l.checks.oauth2.is_some() {
        let token = get("authorization").and_then(|a| a.strip_prefix("Bearer "));
        let issued = l.issued.lock().unwrap_or_else(|p| p.into_inner());
        if !token.is_some_and(|t| issued.iter().any(|i| i == t)) {
            return Some("REFUSED: no token this listener issued".into());
        }
    }
    None
}

/// The token endpoint: client credentials by Basic or in the form; a new token each time.
fn token(l: &Listener, headers: &HeaderMap, body: &[u8]) -> (StatusCode, String) {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let given = hookline::delivery::oauth2::client_credentials_request(authorization, body);
    if given.is_none() || given != l.checks.oauth2 {
        println!("token request REFUSED: not this listener's client credentials");
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"invalid_client"}"#.into(),
        );
    }
    let token = format!("hl-listen-{}", ulid::Ulid::new().to_string().to_lowercase());
    l.issued
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(token.clone());
    println!("token issued");
    let answer =
        serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600});
    (StatusCode::OK, answer.to_string())
}

async fn receive(
    State(l): State<Listener>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    if l.checks.oauth2.is_some() && uri.path() == "/oauth/token" {
        return token(&l, &headers, &body);
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let now = chrono::Utc::now().timestamp();
    let verified = if headers.contains_key("signature-input") {
        let target = format!("http://{}{uri}", header("host"));
        let get = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let check = |keys: &PublicKeys| verify_rfc9421(keys, "POST", &target, get, &body, now);
        match with_keys(&l, check).await {
            Some(Ok(key)) => format!("verified (RFC 9421, key {key})"),
            Some(Err(e)) => format!("BAD SIGNATURE (RFC 9421): {e}"),
            None => "not verified (RFC 9421; give --keys-url)".to_string(),
        }
    } else if signature.split_whitespace().any(|s| s.starts_with("v1a,")) {
        let key_id = header("webhook-key-id");
        let check =
            |keys: &PublicKeys| verify_v1a(keys, &key_id, &id, &timestamp, &signature, &body, now);
        match with_keys(&l, check).await {
            Some(Ok(())) => format!("verified (v1a, key {key_id})"),
            Some(Err(e)) => format!("BAD SIGNATURE (v1a): {e}"),
            None => "not verified (v1a; give --keys-url)".to_string(),
        }
    } else {
        match &l.key {
            None => "not verified (no --secret)".to_string(),
            Some(_) if id.is_empty() || timestamp.is_empty() || signature.is_empty() => {
                "NOT SIGNED".to_string()
            }
            Some(key) => match verify(key, &id, &timestamp, &signature, &body, now) {
                Ok(()) => "verified".to_string(),
                Err(e) => format!("BAD SIGNATURE: {e}"),
            },
        }
    };
    let event_type = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_else(|| "(no type)".into());
    let age = timestamp
        .parse::<i64>()
        .map(|t| format!("{}s old", now - t))
        .unwrap_or_else(|_| "age unknown".into());
    let refused = refusal(&l, &headers);
    let status = match refused {
        Some(_) => StatusCode::UNAUTHORIZED,
        None => l.status,
    };
    println!(
        "{} {} {event_type} {verified} {age}{} -> {}",
        chrono::Utc::now().format("%H:%M:%S"),
        if id.is_empty() { "(no id)" } else { &id },
        refused
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default(),
        status.as_u16()
    );
    let answer = match (&refused, status.is_success()) {
        (Some(r), _) => r.clone(),
        (None, true) => "received".into(),
        (None, false) => "refused by hookline listen --status".into(),
    };
    (status, answer)
}
