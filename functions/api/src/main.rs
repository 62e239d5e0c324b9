//! Lambda entry point of the HTTP API: the shared router behind API Gateway.

use hookline::backend::Hookline;
use hookline::config::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    hookline::telemetry::init(hookline::telemetry::LogFormat::Lambda);
    let app = Hookline::from_config(Config::from_env()?).await?;
    lambda_http::run(hookline::api::lambda_router(app)).await
}
