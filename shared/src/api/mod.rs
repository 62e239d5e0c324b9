//! The HTTP API: one axum [`Router`], served by `lambda_http` on Lambda and by a TCP listener in
//! `hookline serve`. One module per resource; DTOs are named `XxxIn` / `XxxOut` / `XxxPatchIn`;
//! handlers parse, authorize (by the scope in their signature) and call the domain in
//! [`crate::service`]; every failure is an [`Error`] answered as JSON in one place.

pub mod client_keys;
pub mod deliveries;
pub mod digest;
pub mod error;
pub mod event_types;
pub mod events;
pub mod extract;
pub mod filters;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod partners;
pub mod portal;
pub mod resource;
pub mod settings;
pub mod verification_keys;
pub mod webhook_patch;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::backend::Hookline;
use crate::error::{Error, Result};

pub use crate::patch::Patch;
pub use extract::{ApiJson, ApiJsonOrDefault, ApiPath, ApiQuery, request_body_limit};

/// The header that carries a request's id (set by the caller, or made here), echoed back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router as the API function serves it behind API Gateway: one EMF metrics document
/// after each request (each is one invocation).
pub fn lambda_router(app: Hookline) -> Router {
    let metrics = app.metrics.clone();
    crate::api::metrics::emf_per_request(router(app), metrics, "api")
}

/// The whole API.
pub fn router(app: Hookline) -> Router {
    let body_limit = request_body_limit(&app);
    Router::new()
        .route("/health", get(health))
        // The API contract (no key needed: it holds nothing of any tenant).
        .route(
            "/openapi.json",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi::json(),
                )
            }),
        )
        .merge(webhooks::routes())
        .merge(filters::routes())
        .merge(deliveries::routes())
        .merge(event_types::routes())
        .merge(events::routes())
        .merge(client_keys::routes())
        .merge(portal::routes())
        .merge(partners::routes())
        .merge(settings::routes())
        .merge(verification_keys::routes())
        .merge(verification_keys::public_routes())
        // Inside the query check: a request refused for its parameters claims no key.
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            idempotency::layer,
        ))
        // Outside the idempotency layer: a body that fails its digest claims no key.
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            digest::layer,
        ))
        .route_layer(axum::middleware::from_fn(only_known_query))
        // The customer portal's page (static; the API calls it makes pass the layers above).
        .merge(portal::assets())
        .layer(axum::middleware::from_fn(crate::ratelimit::headers_layer))
        .fallback(|| async { Error::NotFound("route") })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // One line per request at the default level: method, path (the span), status,
                // latency. Server errors are logged where they happen, with their cause.
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                )
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
        .with_state(app)
}

/// Whether the API answers (no key needed).
#[utoipa::path(get, path = "/health", tag = "health", security(()),
    responses((status = 200, description = "The API answers", body = Object,
        example = json!({"status": "ok"}))))]
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// Other operations' query parameters (beside `tenant_id`), by method and route.
const OPTIONS: &[(&str, &str, &[&str])] = &[("DELETE", "/v1/event-types/{name}", &["force"])];

/// The listings (and the stats), whose query types name the parameters they take (`ApiQuery`
/// refuses others).
const LISTINGS: &[&str] = &[
    "/v1/webhooks",
    "/v1/webhooks/{id}/deliveries",
    "/v1/webhooks/{id}/stats",
    "/v1/tenants/{tenant_id}/verification-keys",
];

/// A query parameter an operation does not take is a 400 that names it, not silently ignored
/// (a typo like `?limt=5` would otherwise look like it worked). Listings check theirs in their
/// query type; every other operation takes only `tenant_id` (admin keys).
async fn only_known_query(
    path: axum::extract::MatchedPath,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let listing = req.method() == axum::http::Method::GET && LISTINGS.contains(&path.as_str());
    if !listing {
        let options: &[&str] = OPTIONS
            .iter()
            .find(|(m, p, _)| *m == req.method().as_str() && *p == path.as_str())
            .map_or(&[], |(_, _, o)| o);
        let query = req.uri().query().unwrap_or_default();
        let unknown = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, _)| k.into_owned())
            .find(|k| k != "tenant_id" && !options.contains(&k.as_str()));
        if let Some(name) = unknown {
            return Error::BadRequest(format!(
                "unknown query parameter `{name}`: this operation takes none (admin keys may pass tenant_id)"
            ))
            .into_response();
        }
    }
    next.run(req).await
}

/// A span per request: every log line of the request carries its id, method, path and route
/// (the template, to group by), and once authenticated the tenant it acts on.
fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str())
        .unwrap_or("unmatched");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        route,
        tenant = tracing::field::Empty,
    )
}

/// Request ids for requests that come without one: `req_` and a ULID.
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = format!("req_{}", ulid::Ulid::new());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

pub use crate::service::{DEFAULT_LIMIT, MAX_LIMIT};

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

/// Parses a listing's `cursor` with `decode`; one that this listing did not hand out is a 400.
pub fn parse_cursor<C>(
    cursor: Option<&str>,
    decode: impl Fn(&str) -> Option<C>,
) -> Result<Option<C>> {
    cursor
        .map(|c| {
            decode(c)
                .ok_or_else(|| Error::BadRequest("cursor is not valid for this listing".into()))
        })
        .transpose()
}

/// A listing's answer.
#[derive(utoipa::ToSchema, Debug, Serialize, Deserialize)]
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
