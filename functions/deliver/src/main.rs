//! Lambda entry point of the delivery function: SQS batches with partial batch responses.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::delivery::{Deliverer, lambda::handle_batch};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hookline::telemetry::init(hookline::telemetry::LogFormat::Lambda);
    let deliverer = Arc::new(Deliverer::new(
        Hookline::from_config(Config::from_env()?).await?,
    )?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let deliverer = deliverer.clone();
        async move { Ok::<_, Error>(handle_batch(&deliverer, event.payload).await) }
    }))
    .await
}
