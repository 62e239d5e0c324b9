//! Wiring: the store and queue a configuration asks for, bundled as [`Hookline`].

use std::sync::Arc;

use crate::config::{Backend, Config};
use crate::error::Result;
use crate::queue::Queue;
use crate::queue::sqs::SqsQueue;
use crate::store::Store;
use crate::store::dynamo::DynamoStore;
use crate::store::sqlite::SqliteDb;

/// Configuration, store and queue: everything a handler needs.
#[derive(Clone)]
pub struct Hookline {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
}

impl Hookline {
    pub fn new(config: Config, store: Arc<dyn Store>, queue: Arc<dyn Queue>) -> Self {
        Hookline {
            config: Arc::new(config),
            store,
            queue,
        }
    }

    /// Store and queue on one SQLite database.
    pub fn with_sqlite(config: Config, db: SqliteDb) -> Self {
        let db = Arc::new(db);
        Hookline::new(config, db.clone(), db)
    }

    /// DynamoDB and SQS clients from the standard AWS configuration chain
    /// (`AWS_ENDPOINT_URL` points them at an emulator).
    pub async fn with_aws(config: Config, table: &str, queue_url: &str) -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            table,
            config.delivery_shards,
        );
        let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url);
        Hookline::new(config, Arc::new(store), Arc::new(queue))
    }

    /// Builds what `config.backend` names.
    pub async fn from_config(config: Config) -> Result<Self> {
        match config.backend.clone() {
            Backend::Sqlite { data_dir } => {
                Ok(Hookline::with_sqlite(config, SqliteDb::open(data_dir)?))
            }
            Backend::Aws { table, queue_url } => {
                Ok(Hookline::with_aws(config, &table, &queue_url).await)
            }
        }
    }
}
