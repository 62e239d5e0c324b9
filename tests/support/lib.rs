//! Helpers shared by the integration tests and the benchmark: backends (SQLite, and DynamoDB/SQS
//! on the moto emulator), an in-process API client, API keys, and the Python receiver.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;
use axum::Router;
use axum::body::Body;
use hookline::auth::{generate_key, new_api_key};
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::model::Scope;
use hookline::queue::sqs::SqsQueue;
use hookline::store::dynamo::DynamoStore;
use hookline::store::sqlite::SqliteDb;
use http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A configuration for tests: private targets allowed (the receiver is on loopback), retries
/// compressed to one second with a two-second window (three attempts).
pub fn test_config() -> Config {
    Config {
        allow_private_targets: true,
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(2),
        delivery_timeout: Duration::from_secs(5),
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
             (the README's test command), which installs and starts it."
        );
    }
    ep
}

pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

/// Fresh DynamoDB table and SQS queue (with a dead-letter queue) in the emulator.
pub async fn aws(config: Config) -> Hookline {
    let sdk = aws_sdk_config().await;
    let suffix = ulid::Ulid::new().to_string().to_lowercase();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("hookline-test-{suffix}");
    DynamoStore::create_table(&ddb, &table)
        .await
        .expect("create table in moto");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = sqs
        .create_queue()
        .queue_name(format!("hookline-dlq-{suffix}"))
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
    let q = sqs
        .create_queue()
        .queue_name(format!("hookline-deliveries-{suffix}"))
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"100"}}"#),
        )
        .send()
        .await
        .expect("create queue");
    let store = DynamoStore::new(ddb, table, config.delivery_shards);
    let queue = SqsQueue::new(sqs, q.queue_url().unwrap());
    Hookline::new(config, Arc::new(store), Arc::new(queue))
}

/// Both backends, for suites that must hold on each.
pub async fn backends(config: Config) -> Vec<(&'static str, Hookline)> {
    vec![
        ("sqlite", sqlite(config.clone())),
        ("dynamodb+sqs", aws(config).await),
    ]
}

/// Mints a key for `tenant` with `scopes` and returns it.
pub async fn mint_key(app: &Hookline, tenant: &str, scopes: &[Scope]) -> String {
    let key = generate_key();
    app.store
        .put_key(&new_api_key(&key, tenant, scopes.to_vec(), None))
        .await
        .unwrap();
    key
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The API router, called in process.
#[derive(Clone)]
pub struct Api {
    pub app: Hookline,
    router: Router,
}

impl Api {
    pub fn new(app: Hookline) -> Self {
        Api {
            router: hookline::api::router(app.clone()),
            app,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let raw = body.map(|b| b.to_string());
        self.call_raw(method, path, key, raw.as_deref(), &[]).await
    }

    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Body::from(body.unwrap_or("").to_string()))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }
}

/// The Python interpreter of the test venv (set by the test command).
pub fn python() -> String {
    std::env::var("HOOKLINE_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = root().join(".tools/venv/bin/python");
        if venv.exists() {
            venv.display().to_string()
        } else {
            panic!("HOOKLINE_TEST_PYTHON is not set and .tools/venv is missing: run tests/run.sh (the README's test command)")
        }
    })
}

/// The Python receiver (tests/receiver.py), verifying each delivery with the official libraries.
pub struct Receiver {
    child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl Receiver {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(python())
            .arg(root().join("tests/receiver.py"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("receiver port");
        let port: u16 = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("receiver said {line:?}"));
        Receiver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    /// Scripts a path: the secrets to verify with and the statuses to answer in turn.
    pub async fn configure(
        &self,
        path: &str,
        secrets: &[&str],
        script: &[u16],
        retry_after: Option<u64>,
    ) -> String {
        let cfg = serde_json::json!({"path": path, "secrets": secrets, "script": script, "retry_after": retry_after});
        self.http
            .post(format!("{}/_config", self.base))
            .body(cfg.to_string())
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        format!("{}{path}", self.base)
    }

    pub async fn log(&self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!("{}/_log", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().unwrap().clone()
    }

    pub async fn log_for(&self, path: &str) -> Vec<Value> {
        self.log()
            .await
            .into_iter()
            .filter(|e| e["path"] == path)
            .collect()
    }

    /// Waits until `path` has received `n` requests (or panics after `timeout`).
    pub async fn wait_for(&self, path: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.log_for(path).await;
            if got.len() >= n {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{path}: expected {n} deliveries within {timeout:?}, got {}: {got:#?}",
                    got.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a sample event from `events/`.
pub fn event_file(name: &str) -> Value {
    let path = root().join("events").join(name);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// The key the sample API Gateway events carry, and its tenant.
pub const SAMPLE_KEY: &str = "hl_sample_key_for_local_testing_only_0001";
pub const SAMPLE_TENANT: &str = "sample";

/// Runs an API Gateway (HTTP API, v2) event through `lambda_http`'s adapter, exactly as
/// `lambda_http::run` does on Lambda, and returns the status and the JSON body.
pub async fn invoke_api(app: &Hookline, event: Value) -> (u16, Value) {
    use lambda_http::request::LambdaRequest;
    use lambda_http::{Adapter, Context, LambdaEvent, Service};
    let req: LambdaRequest = serde_json::from_value(event).expect("an API Gateway v2 event");
    let mut adapter = Adapter::from(hookline::api::router(app.clone()));
    let resp = adapter
        .call(LambdaEvent::new(req, Context::default()))
        .await
        .expect("lambda response");
    let v = serde_json::to_value(resp).unwrap();
    let status = v["statusCode"].as_u64().unwrap() as u16;
    let body = v["body"]
        .as_str()
        .filter(|b| !b.is_empty())
        .map(|b| serde_json::from_str(b).unwrap())
        .unwrap_or(Value::Null);
    (status, body)
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The API in process and the delivery worker running, as `hookline serve` runs them.
pub struct Harness {
    pub api: Api,
    pub key: String,
    running: Option<hookline::server::Running>,
}

impl Harness {
    /// Starts the worker on `app`'s store and queue; the key has every scope.
    pub async fn start(app: Hookline) -> Self {
        let key = mint_key(
            &app,
            &unique("t"),
            &[Scope::WebhooksWrite, Scope::EventsPublish, Scope::Admin],
        )
        .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = hookline::server::start(app.clone(), listener)
            .await
            .unwrap();
        Harness {
            api: Api::new(app),
            key,
            running: Some(running),
        }
    }

    pub async fn webhook(&self, url: &str, extra: Value) -> (String, String) {
        let mut body = serde_json::json!({"url": url});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        let (s, w) = self
            .api
            .call("POST", "/v1/webhooks", Some(&self.key), Some(body))
            .await;
        assert_eq!(s, 201, "{w}");
        (
            w["id"].as_str().unwrap().to_string(),
            w["secret"].as_str().unwrap().to_string(),
        )
    }

    pub async fn publish(&self, body: Value) -> Value {
        let (s, out) = self
            .api
            .call("POST", "/v1/events", Some(&self.key), Some(body))
            .await;
        assert_eq!(s, 202, "{out}");
        out
    }

    /// The event's deliveries once all are settled (not pending).
    pub async fn settled(&self, event_id: &str, timeout: Duration) -> Vec<Value> {
        eventually(
            &format!("the deliveries of {event_id} to settle"),
            timeout,
            || async {
                let (_, ev) = self
                    .api
                    .call(
                        "GET",
                        &format!("/v1/events/{event_id}"),
                        Some(&self.key),
                        None,
                    )
                    .await;
                let ds = ev["deliveries"].as_array()?.clone();
                (!ds.is_empty() && ds.iter().all(|d| d["status"] != "pending")).then_some(ds)
            },
        )
        .await
    }

    pub async fn delivery(&self, webhook: &str, id: &str) -> Value {
        let (s, d) = self
            .api
            .call(
                "GET",
                &format!("/v1/webhooks/{webhook}/deliveries/{id}"),
                Some(&self.key),
                None,
            )
            .await;
        assert_eq!(s, 200, "{d}");
        d
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// A webhook record as stored, for tests that seed the store directly.
pub fn webhook_record(tenant: &str, id: &str, url: &str, secret: &str) -> hookline::model::Webhook {
    let now = chrono::Utc::now();
    hookline::model::Webhook {
        id: id.into(),
        tenant_id: tenant.into(),
        url: url.into(),
        description: None,
        events: vec![],
        enabled: true,
        account_ids: vec![],
        metadata: Default::default(),
        secrets: vec![hookline::model::SigningSecret {
            key: secret.into(),
            created_at: now,
            expires_at: None,
        }],
        created_at: now,
        updated_at: now,
        last_triggered_at: None,
        version: 1,
    }
}

/// The tenant an API key belongs to.
pub async fn tenant_of(app: &Hookline, key: &str) -> String {
    let id = hookline::auth::key_id_from_hash(&hookline::auth::hash_key(key));
    app.store
        .get_key(&id)
        .await
        .unwrap()
        .expect("a stored key")
        .tenant_id
}
