//! `Idempotency-Key` on every write (`POST`, `PUT`, `PATCH`, `DELETE`): the first request with
//! a key runs and its answer is kept for 24 hours; a repeat of the same request (method, path
//! and query, body) gets that answer again with `Idempotent-Replayed: true`, without running;
//! the same key with a different request is refused (422 `idempotency_key_mismatch`); a repeat
//! while the first still runs gets 409 `idempotency_key_in_use`. Keys are per principal and
//! acting tenant, and live in the store, so every instance sees them. An answer that is a
//! server error is not kept: a retry runs again.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::extract::buffer_body;
use crate::auth::Principal;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::service::idempotency::{self as service, Claimed};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// Where a key is kept: per principal (`Principal::rate_key`) and acting tenant.
pub fn record_key(principal: &str, tenant: &str, key: &str) -> String {
    format!("{principal}:{tenant}:{key}")
}

pub async fn layer(State(app): State<Hookline>, req: Request, next: Next) -> Response {
    match run(&app, req, next).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

/// The key a request carries; `Err` for one that is not 1 to 255 visible ASCII characters.
fn key_of(req: &Request) -> Result<Option<String>> {
    let Some(v) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let bad = || {
        Error::validation(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )
    };
    let k = v.to_str().map_err(|_| bad())?.trim();
    if k.is_empty() {
        return Ok(None);
    }
    if k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(k.to_string()))
}

async fn run(app: &Hookline, req: Request, next: Next) -> Result<Response> {
    let writes = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = match writes {
        true => key_of(&req)?,
        false => None,
    };
    let Some(key) = key else {
        return Ok(next.run(req).await);
    };
    let (mut parts, body) = req.into_parts();
    // Unauthenticated: the handler answers that (401) and nothing is kept.
    let Ok(principal) = Principal::of_request(&mut parts, app).await else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let bytes = buffer_body(app, body).await?;
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update(b" ");
    h.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    h.update(b"\n");
    h.update(&bytes);
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    // A partner credential that named no tenant is refused by the handler (`Auth`); its key
    // is kept apart from any tenant's meanwhile.
    let tenant = principal.tenant().map(|t| t.as_str()).unwrap_or_default();
    let record_key = record_key(&principal.rate_key(), tenant, &key);
    let claimed_at = app.clock.now();
    match service::claim(app, &record_key, &hash, claimed_at).await? {
        Claimed::Replay { status, body } => Ok(replay(status, body)),
        Claimed::Run => {
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            if res.status().is_server_error() {
                service::release(app, &record_key).await;
                return Ok(res);
            }
            let (res_parts, res_body) = res.into_parts();
            let body = axum::body::to_bytes(res_body, usize::MAX)
                .await
                .unwrap_or_default();
            let answer = (
                res_parts.status.as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            );
            service::complete(app, &record_key, hash, answer, claimed_at).await;
            Ok(Response::from_parts(res_parts, Body::from(body)))
        }
    }
}

fn replay(status: u16, body: String) -> Response {
    let mut res = Response::new(Body::from(body.clone()));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = res.headers_mut();
    if !body.is_empty() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    h.insert(REPLAYED, HeaderValue::from_static("true"));
    res
}
