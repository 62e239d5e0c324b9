//! The backends every store-facing test runs on: SQLite in memory, and DynamoDB + SQS in the
//! moto emulator. A test written once as `async fn name(b: Backend)` and listed in
//! [`per_backend!`](crate::per_backend) becomes `sqlite::name` and `dynamodb::name`, so
//! `cargo test sqlite` runs without the emulator while the README's test command runs both.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;
use hookline::backend::Hookline;
use hookline::clock::ManualClock;
use hookline::config::Config;
use hookline::store::dynamo::DynamoStore;
use hookline::store::sqlite::SqliteDb;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Dynamo,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Dynamo => "dynamodb+sqs",
        }
    }

    /// A fresh store and queue of this backend.
    pub async fn app(self, config: Config) -> Hookline {
        match self {
            Backend::Sqlite => sqlite(config),
            Backend::Dynamo => aws(config).await,
        }
    }

    /// A fresh store and queue whose rules read `clock` (on SQLite the embedded queue's
    /// visibility too, so that what a publish schedules and what the queue hands out agree).
    pub async fn app_on(self, config: Config, clock: Arc<dyn hookline::clock::Clock>) -> Hookline {
        match self {
            Backend::Sqlite => {
                let db = SqliteDb::in_memory()
                    .expect("in-memory SQLite")
                    .with_clock(clock);
                Hookline::with_sqlite(config, db)
            }
            Backend::Dynamo => aws(config).await.with_clock(clock),
        }
    }

    /// A fresh store and queue, and how the test lets time pass on it: SQLite runs on a manual
    /// clock that the test advances; SQS keeps real time, so there the test sleeps.
    pub async fn app_and_time(self, config: Config) -> (Hookline, TestTime) {
        match self {
            Backend::Sqlite => {
                let clock = ManualClock::new();
                let app = self.app_on(config, Arc::new(clock.clone())).await;
                (app, TestTime::Manual(clock))
            }
            Backend::Dynamo => (aws(config).await, TestTime::Real),
        }
    }
}

/// Letting time pass in a test.
pub enum TestTime {
    Manual(ManualClock),
    Real,
}

impl TestTime {
    pub async fn pass(&self, d: Duration) {
        match self {
            TestTime::Manual(c) => c.advance(d),
            TestTime::Real => tokio::time::sleep(d).await,
        }
    }

    /// Runs `deliverers` side by side over the queue, as separate processes (or Lambda
    /// invocations) would, each taking what is visible until nothing is, as a worker that
    /// keeps up does: the embedded queue drained on the injected clock, SQS polled as Lambda
    /// polls it.
    pub async fn settle(&self, app: &Hookline, deliverers: &[hookline::delivery::Deliverer]) {
        loop {
            let polls = deliverers.iter().map(|d| async move {
                match self {
                    TestTime::Manual(_) => crate::drain(app, d).await.len(),
                    TestTime::Real => crate::lambda_poll(app, d).await.messages,
                }
            });
            if futures::future::join_all(polls).await.iter().sum::<usize>() == 0 {
                return;
            }
        }
    }
}

/// Declares each listed `async fn name(b: Backend)` as a test per backend.
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Dynamo).await
                }
            )*
        }
    };
}

/// A configuration for tests: private targets allowed (the receiver is on loopback), retries
/// compressed to one second with a two-second window (three attempts), and the circuit
/// breaker out of the way (its own tests set a threshold): a failing endpoint gets every
/// attempt of its schedule; no caching, so that a test sees at once what it wrote directly to a
/// store.
pub fn test_config() -> Config {
    Config {
        allow_private_targets: true,
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(2),
        delivery_timeout: Duration::from_secs(5),
        breaker_threshold: 1000,
        cache_ttl: Duration::ZERO,
        // Tests make many requests with one key; the rate limit tests turn limits on.
        rate_limit_per_minute: 0,
        rate_limit_patch_per_minute: 0,
        ..Config::default()
    }
}

pub fn sqlite(config: Config) -> Hookline {
    Hookline::with_sqlite(config, SqliteDb::in_memory().expect("in-memory SQLite"))
}

/// The emulator's endpoint. The test command starts moto and sets `HOOKLINE_TEST_AWS_ENDPOINT`;
/// without it the tests that need the emulator fail, loudly, rather than skip.
pub fn moto_endpoint() -> String {
    let ep = std::env::var("HOOKLINE_TEST_AWS_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let addr = ep
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    if std::net::TcpStream::connect_timeout(
        &addr.parse().expect("endpoint host:port"),
        Duration::from_secs(1),
    )
    .is_err()
    {
        panic!(
            "the AWS emulator (moto) is not reachable at {ep}. Run the test suite with `tests/run.sh` \
             (the README's test command), which installs and starts it; `cargo test sqlite` runs \
             the SQLite half alone."
        );
    }
    ep
}

pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    aws_sdk_config_at(&moto_endpoint()).await
}

/// The SDK configuration the functions use (their HTTP client, timeouts, the standard
/// retries), pointed at `endpoint`; the retries start after 20 ms instead of the SDK's second,
/// so that the fault tests' hundreds of retried calls take seconds, not minutes.
pub async fn aws_sdk_config_at(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(hookline::backend::aws_http_client())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .timeout_config(hookline::backend::aws_timeouts())
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .load()
        .await
}

/// Fresh DynamoDB table and SQS queue (with a dead-letter queue) in the emulator.
pub async fn aws(config: Config) -> Hookline {
    aws_at(config, &moto_endpoint()).await
}

/// [`aws`] through `endpoint` (a proxy in front of the emulator).
pub async fn aws_at(mut config: Config, endpoint: &str) -> Hookline {
    let sdk = aws_sdk_config_at(endpoint).await;
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("hookline-test-{suffix}");
    DynamoStore::create_table(&ddb, &table)
        .await
        .expect("create table in moto");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue_url = queue_with_dlq(&sqs, &format!("hookline-deliveries-{suffix}"), 100).await;
    // The FIFO queue of ordered webhooks, with a FIFO dead-letter queue, as the template has.
    let fifo_url = queue_with_dlq(&sqs, &format!("hookline-deliveries-{suffix}.fifo"), 1000).await;
    // The configuration names what was made (the `sam local` tests pass it to the functions).
    config.backend = hookline::config::Backend::Aws {
        table: table.clone(),
        queue_url: queue_url.clone(),
        fifo_queue_url: Some(fifo_url.clone()),
        endpoint: Some(endpoint.to_string()),
    };
    let store = hookline::backend::dynamo_store(&sdk, &table, config.delivery_shards)
        .expect("the DynamoDB clients");
    let queue = hookline::backend::sqs_queue(&sdk, &queue_url)
        .expect("the SQS clients")
        .with_fifo(Some(&fifo_url));
    Hookline::new(config, Arc::new(store), Arc::new(queue))
}

/// A queue named `name` (FIFO when the name ends in `.fifo`, as SQS requires) that moves a
/// message to its own dead-letter queue after `max_receives`; its URL.
async fn queue_with_dlq(sqs: &aws_sdk_sqs::Client, name: &str, max_receives: u32) -> String {
    let fifo = name.ends_with(".fifo");
    let create = |name: String| {
        let mut c = sqs.create_queue().queue_name(name);
        if fifo {
            c = c.attributes(QueueAttributeName::FifoQueue, "true");
        }
        c
    };
    let dlq = create(format!("dlq-{name}"))
        .send()
        .await
        .expect("create DLQ");
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(dlq.queue_url().unwrap())
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let redrive =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receives}"}}"#);
    create(name.to_string())
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .expect("create queue")
        .queue_url()
        .unwrap()
        .to_string()
}
