//! The API's metrics routes: one EMF document per request on Lambda, and `GET /metrics` for
//! `hookline serve`. The counts themselves are `crate::metrics`.

use crate::metrics::Metrics;

/// `router` printing one EMF document after each request it answers (the API function: one
/// request per invocation).
pub fn emf_per_request(
    router: axum::Router,
    metrics: std::sync::Arc<Metrics>,
    function: &'static str,
) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let metrics = metrics.clone();
            async move {
                let res = next.run(req).await;
                metrics.print_emf(function);
                res
            }
        },
    ))
}

/// `GET /metrics` of `hookline serve`: the Prometheus text (no key needed: it holds no
/// tenant's data, only process-wide counts).
pub fn prometheus_route(router: axum::Router, metrics: std::sync::Arc<Metrics>) -> axum::Router {
    router.route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    metrics.prometheus(),
                )
            }
        }),
    )
}
