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
pub fn aws_timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(AWS_CONNECT_TIMEOUT)
        .operation_attempt_timeout(AWS_ATTEMPT_TIMEOUT)
        .operation_timeout(std::time::Duration::from_secs(20))
        .build()
}

#[cfg(feature = "aws")]
const AWS_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
#[cfg(feature = "aws")]
const AWS_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The HTTP client for the SDK's calls ([`crate::aws_http`]), with the connect timeout of
/// [`aws_timeouts`].
#[cfg(feature = "aws")]
pub fn aws_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    crate::aws_http::client(aws_timeouts().connect_timeout())
}

/// The direct JSON API of `service` ([`crate::aws_json`]) as `sdk` configures the SDK's
/// clients, with the timeouts of [`aws_timeouts`].
#[cfg(feature = "aws")]
pub fn aws_json_api(
    sdk: &aws_types::SdkConfig,
    service: &'static str,
    target: &'static str,
) -> Result<crate::aws_json::JsonApi> {
    let http = crate::aws_http::direct_client(AWS_CONNECT_TIMEOUT).map_err(Error::Config)?;
    crate::aws_json::JsonApi::new(sdk, http, AWS_ATTEMPT_TIMEOUT, service, target)
        .map_err(Error::Config)
}

/// The DynamoDB adapter on `table`, with the clients `sdk` configures.
#[cfg(feature = "aws")]
pub fn dynamo_store(
    sdk: &aws_types::SdkConfig,
    table: &str,
    shards: u32,
) -> Result<crate::store::dynamo::DynamoStore> {
    let puts = aws_json_api(sdk, "dynamodb", "DynamoDB_20120810.")?;
    let client = aws_sdk_dynamodb::Client::new(sdk);
    Ok(crate::store::dynamo::DynamoStore::new(
        client, puts, table, shards,
    ))
}

/// The SQS adapter on the queue at `url`, with the clients `sdk` configures.
#[cfg(feature = "aws")]
pub fn sqs_queue(sdk: &aws_types::SdkConfig, url: &str) -> Result<crate::queue::sqs::SqsQueue> {
    let sends = aws_json_api(sdk, "sqs", "AmazonSQS.")?;
    Ok(crate::queue::sqs::SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        sends,
        url,
    ))
}

/// Configuration, store, queue and clock: everything a handler needs, behind one `Arc`.
///
/// The router clones its state for every request, once per layer that holds it (a profile of
/// `hookline serve` at 200 publishes a second put cloning and dropping the fields, seven
/// `Arc`s and the embedded database's handles, at 1.4 % of the server's CPU): a clone is now
/// one reference count. Its fields read through [`std::ops::Deref`] (`app.store`).
#[derive(Clone)]
pub struct Hookline(Arc<Wiring>);

impl std::ops::Deref for Hookline {
    type Target = Wiring;

    fn deref(&self) -> &Wiring {
        &self.0
    }
}

/// What a [`Hookline`] holds.
#[derive(Clone)]
pub struct Wiring {
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
        Hookline(Arc::new(Wiring {
            caches: Arc::new(Caches::new(config.cache_ttl)),
            metrics: Arc::default(),
            config: Arc::new(config),
            store,
            queue,
            clock: Arc::new(SystemClock),
            publisher,
            #[cfg(feature = "sqlite")]
            sqlite: None,
        }))
    }

    /// The same wiring on another clock (tests advance a [`crate::clock::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.wiring().clock = clock;
        self
    }

    /// The wiring to change while it is being built (a copy if it is shared already).
    fn wiring(&mut self) -> &mut Wiring {
        Arc::make_mut(&mut self.0)
    }

    /// Store and queue on one SQLite database, both on its clock.
    #[cfg(feature = "sqlite")]
    pub fn with_sqlite(config: Config, db: crate::store::sqlite::SqliteDb) -> Self {
        let clock = db.clock.clone();
        let db = db.with_group_share(config.endpoint_concurrency);
        let shared = Arc::new(db.clone());
        let mut app = Hookline::new(config, shared.clone(), shared.clone()).with_clock(clock);
        let wiring = app.wiring();
        wiring.publisher = Arc::new(crate::publishing::OneTransaction(shared));
        wiring.sqlite = Some(db);
        app
    }

    /// DynamoDB and SQS clients ([`aws_sdk_config`]); `queues`: the delivery queue's URL and
    /// the FIFO queue's, if any; `endpoint` points them at an emulator.
    #[cfg(feature = "aws")]
    pub async fn with_aws(
        config: Config,
        table: &str,
        queues: (&str, Option<&str>),
        endpoint: Option<&str>,
    ) -> Result<Self> {
        let sdk = aws_sdk_config(endpoint).await?;
        let store = dynamo_store(&sdk, table, config.delivery_shards)?;
        let (queue_url, fifo_url) = queues;
        let queue = sqs_queue(&sdk, queue_url)?.with_fifo(fifo_url);
        Ok(Hookline::new(config, Arc::new(store), Arc::new(queue)))
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
            .await?),
            #[allow(unreachable_patterns)]
            other => Err(Error::Config(format!(
                "this binary was built without the {} backend (cargo feature `{}`)",
                other.name(),
                other.feature()
            ))),
        }
    }
}

/// The AWS SDK's configuration: our HTTP client ([`aws_http_client`]) and timeouts,
/// the SDK's standard retries. In a Lambda execution environment, or in a build without the
/// `aws-chain` feature (the deployed functions), credentials and region come from the
/// environment, where Lambda puts the function role's; the operators' `hookline` command
/// reads the standard chain (profiles, SSO, web identity, the instance metadata service).
#[cfg(feature = "aws")]
pub async fn aws_sdk_config(endpoint: Option<&str>) -> Result<aws_types::SdkConfig> {
    #[cfg(feature = "aws-chain")]
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_none() {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(aws_http_client())
            .timeout_config(aws_timeouts());
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        return Ok(loader.load().await);
    }
    environment_sdk_config(endpoint, |name| std::env::var(name).ok())
}

/// [`aws_sdk_config`] from the environment's variables (`var` reads one): the region from
/// `AWS_REGION` or `AWS_DEFAULT_REGION`, credentials from `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
#[cfg(feature = "aws")]
fn environment_sdk_config(
    endpoint: Option<&str>,
    var: impl Fn(&str) -> Option<String>,
) -> Result<aws_types::SdkConfig> {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_dynamodb::config::{SharedCredentialsProvider, retry::RetryConfig};
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        Error::Config(format!(
            "{name} is not set: without the standard credential chain (a build without the \
             `aws-chain` feature, or on Lambda), AWS credentials and the region come from the \
             environment"
        ))
    };
    let region = set("AWS_REGION")
        .or_else(|| set("AWS_DEFAULT_REGION"))
        .ok_or_else(|| missing("AWS_REGION"))?;
    let credentials = Credentials::new(
        set("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?,
        set("AWS_SECRET_ACCESS_KEY").ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?,
        set("AWS_SESSION_TOKEN"),
        None,
        "environment",
    );
    let mut builder = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(aws_http_client())
        .timeout_config(aws_timeouts())
        .retry_config(RetryConfig::standard());
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    Ok(builder.build())
}

#[cfg(all(test, feature = "aws"))]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::config::ProvideCredentials;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[tokio::test]
    async fn the_environment_gives_region_credentials_and_endpoint() {
        let vars = [
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret-example"),
            ("AWS_SESSION_TOKEN", "token-example"),
        ];
        let sdk = environment_sdk_config(Some("http://127.0.0.1:1"), env(&vars)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:1"));
        let creds = sdk.credentials_provider().unwrap();
        let creds = creds.provide_credentials().await.unwrap();
        assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(creds.secret_access_key(), "secret-example");
        assert_eq!(creds.session_token(), Some("token-example"));
        // AWS_REGION wins over AWS_DEFAULT_REGION, as in the SDK's own chain.
        let vars = [("AWS_REGION", "us-east-2"), vars[0], vars[1], vars[2]];
        let sdk = environment_sdk_config(None, env(&vars)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-east-2"));
        assert_eq!(sdk.endpoint_url(), None);
    }

    #[test]
    fn a_missing_variable_is_named() {
        let err = |vars: &[(&str, &str)]| match environment_sdk_config(None, env(vars)) {
            Err(Error::Config(message)) => message,
            other => panic!(
                "expected a configuration error, got {:?}",
                other.map(|_| ())
            ),
        };
        let region = ("AWS_REGION", "us-east-1");
        let key = ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        assert!(err(&[key]).starts_with("AWS_REGION is not set"));
        assert!(err(&[region]).starts_with("AWS_ACCESS_KEY_ID is not set"));
        assert!(
            err(&[region, key, ("AWS_SECRET_ACCESS_KEY", "")])
                .starts_with("AWS_SECRET_ACCESS_KEY is not set")
        );
    }
}
