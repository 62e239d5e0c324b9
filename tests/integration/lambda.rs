//! The Lambda entry points on the sample events of `events/`: API Gateway HTTP API (v2) events
//! through `lambda_http`, and SQS events through the delivery handler with partial batch
//! responses. These keep the events (also used by `sam local invoke`, and by the `sam_local`
//! test, which runs the same scenarios in containers) from going stale.

use hookline_tests::lambda::{InProcess, api_events, sqs_events};
use hookline_tests::{Backend, test_config};

async fn api_gateway_v2_events_run_through_lambda_http(b: Backend) {
    let app = b.app(test_config()).await;
    api_events(&InProcess::new(app.clone()), &app, b.name()).await;
}

async fn sqs_events_run_through_the_delivery_handler(b: Backend) {
    let app = b.app(test_config()).await;
    sqs_events(&InProcess::new(app.clone()), &app, b.name()).await;
}

hookline_tests::per_backend!(
    api_gateway_v2_events_run_through_lambda_http,
    sqs_events_run_through_the_delivery_handler,
);
