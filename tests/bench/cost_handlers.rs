//! The two functions' handlers on a thread of their own, as a Lambda execution environment
//! runs them: one single-threaded runtime, the production wiring (`Hookline::from_config`,
//! its own SDK clients), the router behind lambda_http's adapter and the SQS batch handler.
//! Nothing else runs on that thread (the receiver, the emulator's proxy and the harness that
//! plays Lambda's event source are elsewhere), so the CPU time the thread spends on an
//! invocation is what the invocation costs.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::delivery::Deliverer;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// The CPU time this thread has run, from the kernel's scheduler statistics (nanoseconds).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

enum Call {
    Api(Vec<u8>, oneshot::Sender<((u16, Value), Duration)>),
    Deliver(SqsEvent, oneshot::Sender<(SqsBatchResponse, Duration)>),
}

/// What starting the handlers took on their thread: wall time and CPU.
pub struct Init {
    pub wall: Duration,
    pub cpu: Duration,
}

pub struct Handlers {
    calls: mpsc::UnboundedSender<Call>,
}

impl Handlers {
    /// Starts the handlers over the store and queue `config` names; answers with what their
    /// initialisation (configuration, clients, router, engine) took.
    pub fn start(config: Config) -> (Self, Init) {
        let (calls, mut incoming) = mpsc::unbounded_channel::<Call>();
        let (ready, init) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("handlers".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let (wall, cpu) = (std::time::Instant::now(), thread_cpu());
                    let app = Hookline::from_config(config).await.expect("the wiring");
                    let deliverer = Deliverer::new(app.clone()).expect("the engine");
                    let router = hookline::api::lambda_router(app.clone());
                    let took = Init {
                        wall: wall.elapsed(),
                        cpu: thread_cpu() - cpu,
                    };
                    ready.send(took).unwrap();
                    while let Some(call) = incoming.recv().await {
                        let cpu = thread_cpu();
                        match call {
                            Call::Api(event, reply) => {
                                let out = hookline_tests::invoke_router_raw(&router, &event).await;
                                let took = thread_cpu() - cpu;
                                let _ = reply.send((hookline_tests::api_answer(&out), took));
                            }
                            Call::Deliver(event, reply) => {
                                let out =
                                    hookline::delivery::lambda::handle_batch(&deliverer, event)
                                        .await;
                                let _ = reply.send((out, thread_cpu() - cpu));
                            }
                        }
                    }
                });
            })
            .unwrap();
        let init = init.recv().expect("the handlers start");
        (Handlers { calls }, init)
    }

    /// One API Gateway event to the API function: its status and body, and the CPU it took
    /// from the event's bytes, as the Runtime API hands them over, to the response's.
    pub async fn api(&self, event: Value) -> ((u16, Value), Duration) {
        let (reply, answer) = oneshot::channel();
        let bytes = serde_json::to_vec(&event).unwrap();
        self.calls.send(Call::Api(bytes, reply)).unwrap();
        answer.await.unwrap()
    }

    /// One SQS event to the delivery function: its answer, and the CPU it took.
    pub async fn deliver(&self, event: SqsEvent) -> (SqsBatchResponse, Duration) {
        let (reply, answer) = oneshot::channel();
        self.calls.send(Call::Deliver(event, reply)).unwrap();
        answer.await.unwrap()
    }
}
