//! Lambda entry point of the delivery function: SQS batches with partial batch responses.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::delivery::{Deliverer, lambda::handle_batch_until};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// mimalloc, as `hookline` and the other function: in the cost benchmark (the handlers as
/// Lambda runs them, twelve alternating pairs of runs) the API's median batch publish took
/// about 8 % less CPU with it; the delivery function's stayed within the runs' spread
/// (docs/benchmarks.md). One allocator for every binary, and the benchmark's process runs with
/// it. Its C compiles with the toolchain that builds aws-lc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread: Lambda hands an execution environment one batch at a time, and at 256 MB gives
// it a seventh of a CPU. A worker thread per core would cost its start at init and a
// cross-thread wake-up for each task the I/O driver readies, for no parallel work.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    hookline::telemetry::init(hookline::telemetry::LogFormat::Lambda);
    let deliverer = Arc::new(Deliverer::new(
        Hookline::from_config(Config::from_env()?).await?,
    )?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let deliverer = deliverer.clone();
        // The invocation's deadline (unix milliseconds), as an instant on this clock.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let left = std::time::Duration::from_millis(event.context.deadline.saturating_sub(now_ms));
        let deadline = std::time::Instant::now() + left;
        async move {
            Ok::<_, Error>(handle_batch_until(&deliverer, event.payload, Some(deadline)).await)
        }
    }))
    .await
}
