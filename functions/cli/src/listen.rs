//! `hookline listen`: a webhook receiver for trying Hookline on one machine (like `stripe
//! listen`). Every request it receives is answered with the chosen status and printed as one
//! line: when, the message id, the event type, whether the signature verifies with the given
//! secret, how old the message was, and the answer.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hookline::signing::{secret_bytes, verify};

#[derive(Clone)]
struct Listener {
    key: Option<Vec<u8>>,
    status: StatusCode,
}

/// Listens on `addr` until Ctrl-C; `secret` is the webhook's `whsec_` secret.
pub async fn run(addr: SocketAddr, secret: Option<&str>, status: u16) -> anyhow::Result<()> {
    let key = secret.map(secret_bytes).transpose()?;
    let status = StatusCode::from_u16(status)
        .map_err(|_| anyhow::anyhow!("--status must be an HTTP status, not {status}"))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "Listening on http://{} (answering {status}{}); point a webhook here, with \
         HOOKLINE_ALLOW_PRIVATE_TARGETS=true on the server.",
        listener.local_addr()?,
        if key.is_some() {
            ", verifying signatures"
        } else {
            "; give --secret whsec_... to verify signatures"
        },
    );
    let app = Router::new()
        .fallback(receive)
        .with_state(Listener { key, status });
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn receive(
    State(l): State<Listener>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
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
    let verified = match &l.key {
        None => "not verified (no --secret)".to_string(),
        Some(_) if id.is_empty() || timestamp.is_empty() || signature.is_empty() => {
            "NOT SIGNED".to_string()
        }
        Some(key) => match verify(key, &id, &timestamp, &signature, &body, now) {
            Ok(()) => "verified".to_string(),
            Err(e) => format!("BAD SIGNATURE: {e}"),
        },
    };
    let event_type = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_else(|| "(no type)".into());
    let age = timestamp
        .parse::<i64>()
        .map(|t| format!("{}s old", now - t))
        .unwrap_or_else(|_| "age unknown".into());
    println!(
        "{} {} {event_type} {verified} {age} -> {}",
        chrono::Utc::now().format("%H:%M:%S"),
        if id.is_empty() { "(no id)" } else { &id },
        l.status.as_u16()
    );
    (
        l.status,
        if l.status.is_success() {
            "received"
        } else {
            "refused by hookline listen --status"
        },
    )
}
