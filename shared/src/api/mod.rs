//! The HTTP API: one axum [`Router`], served by `lambda_http` on Lambda and by a TCP listener in
//! `hookline serve`. One module per resource; DTOs are named `XxxIn` / `XxxOut`.

pub mod deliveries;
pub mod event_types;
pub mod events;
pub mod webhooks;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::{Principal, hash_key, key_id_from_hash};
use crate::backend::Hookline;
use crate::error::{Error, Result};

/// The whole API.
pub fn router(app: Hookline) -> Router {
    let body_limit = request_body_limit(&app);
    Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .merge(webhooks::routes())
        .merge(deliveries::routes())
        .merge(event_types::routes())
        .merge(events::routes())
        .fallback(|| async { Error::NotFound("route".into()) })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app)
}

/// Authenticates `Authorization: Bearer <key>` or `X-API-Key: <key>` and resolves the tenant
/// (the key's, or for admin keys the `tenant_id` query parameter).
impl FromRequestParts<Hookline> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Hookline) -> Result<Self> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let key = header("x-api-key")
            .or_else(|| {
                header("authorization").and_then(|a| {
                    a.strip_prefix("Bearer ")
                        .or_else(|| a.strip_prefix("bearer "))
                        .map(str::trim)
                })
            })
            .filter(|k| !k.is_empty())
            .ok_or(Error::Unauthorized)?;
        let hash = hash_key(key);
        let stored = app.store.get_key(&key_id_from_hash(&hash)).await?;
        let stored = stored
            .filter(|k| k.hash == hash && k.revoked_at.is_none())
            .ok_or(Error::Unauthorized)?;
        let tenant = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "tenant_id")
                .map(|(_, v)| v.into_owned())
        });
        Principal::resolve(stored, tenant.as_deref())
    }
}

/// The largest request body accepted: the payload limit and room for the envelope.
pub fn request_body_limit(app: &Hookline) -> usize {
    app.config.max_payload_bytes + 64 * 1024
}

/// Reads a request body; 413 over the limit.
async fn read_body(req: Request, app: &Hookline) -> Result<Bytes> {
    Bytes::from_request(req, app).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge {
                what: "the request body",
                limit: request_body_limit(app),
            }
        } else {
            Error::BadRequest(format!("could not read the request body: {e}"))
        }
    })
}

/// A JSON body: 400 for malformed JSON, 422 for a well-formed body with a wrong field,
/// 413 over the size limit. The content type is not required.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Hookline> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Hookline) -> Result<Self> {
        parse_json(&read_body(req, app).await?).map(ApiJson)
    }
}

/// A JSON body that may be left out entirely (then `T::default()`).
pub struct ApiJsonOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<Hookline> for ApiJsonOrDefault<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Hookline) -> Result<Self> {
        let bytes = read_body(req, app).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ApiJsonOrDefault(T::default()));
        }
        parse_json(&bytes).map(ApiJsonOrDefault)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("a JSON body is required".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Error::validation("body", e.to_string()),
        _ => Error::BadRequest(format!("malformed JSON: {e}")),
    })
}

/// Query parameters; a malformed one is a 400 that names it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| Error::BadRequest(format!("invalid query string: {}", e.body_text())))
    }
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 250;

/// The page size of a listing's `limit` query parameter.
pub fn page_limit(limit: Option<usize>) -> Result<usize> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(_) => Err(Error::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// One page of a filtered listing: reads store pages through `fetch` (from a cursor, at most
/// `limit + 1` items), keeps what passes `keep`, and stops once more than `limit` are kept or the
/// store has no more. Filters apply while paging, so a page is full whenever more matches exist.
pub async fn filtered_page<T, F, Fut>(
    limit: usize,
    start: Option<String>,
    mut fetch: F,
    keep: impl Fn(&T) -> bool,
    cursor: impl Fn(&T) -> String,
) -> Result<crate::model::Page<T>>
where
    F: FnMut(Option<String>, usize) -> Fut,
    Fut: std::future::Future<Output = Result<crate::model::Page<T>>>,
{
    let mut kept = Vec::new();
    let mut at = start;
    loop {
        let page = fetch(at.take(), limit + 1).await?;
        kept.extend(page.items.into_iter().filter(|x| keep(x)));
        match page.next {
            Some(next) if kept.len() <= limit => at = Some(next),
            _ => break,
        }
    }
    Ok(crate::store::page_of(kept, limit, cursor))
}

/// A listing's answer.
#[derive(Debug, Serialize)]
pub struct ListOut<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

impl<T> ListOut<T> {
    pub fn new(data: Vec<T>, next_cursor: Option<String>) -> Self {
        ListOut {
            has_more: next_cursor.is_some(),
            data,
            next_cursor,
        }
    }
}
