//! Wiring: the store, queue and clock a configuration asks for, bundled as [`Hookline`].
//!
//! Each backend is behind a cargo feature: `sqlite` (the embedded store and queue of
//! `hookline serve`) and `aws` (DynamoDB and SQS, for the Lambda functions). A binary links only
//! what it runs.

use std::sync::Arc;

use crate::cache::Caches;
use crate::clock::{Clock, SystemClock};
use crate::config::{Backend, Config};
use crate::error::{Error, Result};
use crate::publishing::{Publisher, QueueThenEvent};
use crate::queue::Queue;
use crate::store::Store;

/// How long a DynamoDB or SQS call may take: a call that hangs is abandoned and retried (the
/// SDK's standard retries) instead of holding a delivery or a request until the Lambda's own
/// timeout. DynamoDB and SQS answer in milliseconds; these bounds are far above that.
#[cfg(feature = "aws")]
pub fn aws_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_attempt_timeout(std::time::Duration::from_secs(5))
        .operation_timeout(std::time::Duration::from_secs(20))
        .build()
}

/// Configuration, store, queue and clock: everything a handler needs.
#[derive(Clone)]
pub struct Hookline {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    /// How a publish is recorded, and whether it records its deliveries (a capability the
    /// backend declares: see `publishing.rs`).
    pub publisher: Arc<dyn Publisher>,
    pub caches: Arc<Caches>,
    /// This process's operational counters (`GET /metrics`, EMF on Lambda).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The embedded database, when that is the backend (for its commit counters).
    #[cfg(feature = "sqlite")]
    pub sqlite: Option<crate::store::sqlite::SqliteDb>,
}

impl Hookline {
    pub fn new(config: Config, store: Arc<dyn Store>, queue: Arc<dyn Queue>) -> Self {
        let publisher = Arc::new(QueueThenEvent {
            store: store.clone(),
            queue: queue.clone(),
        });
        Hookline {
            caches: Arc::new(Caches::new(config.cache_ttl)),
            metrics: Arc::default(),
            config: Arc::new(config),
            store,
            queue,
            clock: Arc::new(SystemClock),
            publisher,
            #[cfg(feature = "sqlite")]
            sqlite: None,
        }
    }

    /// The same wiring on another clock (tests advance a [`crate::clock::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Store and queue on one SQLite database, both on its clock.
    #[cfg(feature = "sqlite")]
    pub fn with_sqlite(config: Config, db: crate::store::sqlite::SqliteDb) -> Self {
        let clock = db.clock.clone();
        let db = db.with_group_share(config.endpoint_concurrency);
        let shared = Arc::new(db.clone());
        let mut app = Hookline::new(config, shared.clone(), shared.clone()).with_clock(clock);
        app.publisher = Arc::new(crate::publishing::OneTransaction(shared));
        app.sqlite = Some(db);
        app
    }

    /// DynamoDB and SQS clients from the standard AWS configuration chain; `queues`: the
    /// delivery queue's URL and the FIFO queue's, if any; `endpoint` (or `AWS_ENDPOINT_URL`)
    /// points them at an emulator.
    #[cfg(feature = "aws")]
    pub async fn with_aws(
        config: Config,
        table: &str,
        queues: (&str, Option<&str>),
        endpoint: Option<&str>,
    ) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::tls::aws_http_client())
            .timeout_config(aws_timeouts());
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        // In a Lambda execution environment the function's role is in the environment, and so
        // is its region: the rest of the standard chain (profiles, SSO, web identity, the
        // instance metadata service) cannot apply there, and building it (an STS client for
        // web identity among them) was a tenth of the functions' init.
        if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
            loader = loader
                .credentials_provider(
                    aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
                )
                .region(aws_config::environment::EnvironmentVariableRegionProvider::new());
        }
        let sdk = loader.load().await;
        let store = crate::store::dynamo::DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            table,
            config.delivery_shards,
        );
        let (queue_url, fifo_url) = queues;
        let queue = crate::queue::sqs::SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url)
            .with_fifo(fifo_url);
        Hookline::new(config, Arc::new(store), Arc::new(queue))
    }

    /// Builds what `config.backend` names; a backend this binary was built without is a
    /// configuration error that says which feature it needs.
    pub async fn from_config(config: Config) -> Result<Self> {
        match config.backend.clone() {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite { data_dir, durable } => {
                use crate::store::sqlite::{Durability, SqliteDb};
                let durability = if durable {
                    Durability::Full
                } else {
                    Durability::Normal
                };
                Ok(Hookline::with_sqlite(
                    config,
                    SqliteDb::open_with(data_dir, durability)?,
                ))
            }
            #[cfg(feature = "aws")]
            Backend::Aws {
                table,
                queue_url,
                fifo_queue_url,
                endpoint,
            } => Ok(Hookline::with_aws(
                config,
                &table,
                (&queue_url, fifo_queue_url.as_deref()),
                endpoint.as_deref(),
            )
            .await),
            #[allow(unreachable_patterns)]
            other => Err(Error::Config(format!(
                "this binary was built without the {} backend (cargo feature `{}`)",
                other.name(),
                other.feature()
            ))),
        }
    }
}
