//! Lambda entry point of the HTTP API: the shared router behind API Gateway.

use hookline::backend::Hookline;
use hookline::config::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hookline::telemetry::init(hookline::telemetry::LogFormat::Lambda);
    let app = Hookline::from_config(Config::from_env()?).await?;
    let metrics = app.metrics.clone();
    let router = hookline::api::router(app);
    lambda_http::run(hookline::metrics::emf_per_request(router, metrics, "api")).await
}
