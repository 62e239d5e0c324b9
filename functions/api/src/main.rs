//! Lambda entry point of the HTTP API: the shared router behind API Gateway.

use hookline::backend::Hookline;
use hookline::config::Config;

/// mimalloc, as `hookline` and the other function: in the cost benchmark (the handlers as
/// Lambda runs them, twelve alternating pairs of runs) the API's median batch publish took
/// about 8 % less CPU with it; the delivery function's stayed within the runs' spread
/// (docs/benchmarks.md). One allocator for every binary, and the benchmark's process runs with
/// it. Its C compiles with the toolchain that builds aws-lc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// One thread: Lambda hands an execution environment one request at a time, and at 256 MB gives
// it a seventh of a CPU. A worker thread per core would cost its start at init and a
// cross-thread wake-up for each task the I/O driver readies, for no parallel work.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    hookline::telemetry::init(hookline::telemetry::LogFormat::Lambda);
    let app = Hookline::from_config(Config::from_env()?).await?;
    lambda_http::run(hookline::api::lambda_router(app)).await
}
