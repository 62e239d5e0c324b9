//! Helpers shared by the integration tests and the benchmark, one module per concern:
//! [`backends`] (SQLite, and DynamoDB/SQS on the moto emulator, and the per-backend test macro),
//! [`client`] (the API in process, raw and typed), [`calls`] (common requests through the
//! generated client), [`harness`] (the running local server), [`receiver`] (webhook
//! receivers), and below, keys and the Lambda adapters.

pub mod backends;
pub mod calls;
pub mod client;
pub mod contract;
pub mod docs;
pub mod harness;
pub mod lambda;
pub mod receiver;
pub mod script;

use std::path::PathBuf;
use std::time::Duration;

use hookline::auth::api_key::{generate_key, hash_key, new_api_key};
use hookline::backend::Hookline;
use hookline::ids::{ApiKeyId, TenantId};
use hookline::model::Scope;
use serde_json::Value;

pub use backends::{
    Backend, TestTime, aws, aws_at, aws_sdk_config, moto_endpoint, sqlite, test_config,
};
pub use client::{Api, body, error_fields, ok, refused};
pub use docs::{
    check_walkthrough, delivery_walkthrough, jwt_walkthrough, python_example,
    signed_request_walkthrough, walkthrough,
};
pub use harness::Harness;
pub use receiver::{Delivered, PyReceiver, Receiver};
pub use script::run_python;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Mints a key for `tenant` with `scopes` and returns it.
pub async fn mint_key(app: &Hookline, tenant: &str, scopes: &[Scope]) -> String {
    mint_key_in(app, tenant, hookline::model::Mode::Live, scopes).await
}

/// Mints a key for `tenant` in `mode` (live or test) with `scopes` and returns it.
pub async fn mint_key_in(
    app: &Hookline,
    tenant: &str,
    mode: hookline::model::Mode,
    scopes: &[Scope],
) -> String {
    let key = generate_key();
    let tenant = TenantId::parse(tenant)
        .expect("a valid tenant id")
        .in_mode(mode);
    app.store
        .put_key(&new_api_key(
            &key,
            &tenant,
            scopes.to_vec(),
            None,
            app.clock.now(),
        ))
        .await
        .unwrap();
    key
}

/// The API of `app` and a key of a new tenant that may manage webhooks and publish.
pub async fn client(app: &Hookline) -> (Api, String) {
    let key = mint_key(
        app,
        &unique("t"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    (Api::new(app.clone()), key)
}

/// The generated client, for a fresh tenant with the publish and webhook scopes, against
/// `app`'s API served on loopback without a delivery worker (the test drains the queue).
pub async fn typed_client(app: &Hookline) -> hookline_client::Client {
    let (api, key) = client(app).await;
    api.typed(&key).await
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A typed id from a test literal (panics on a malformed one: a bug in the test).
pub fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("a valid id")
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
    // The router exactly as the API function serves it.
    invoke_router(&hookline::api::lambda_router(app.clone()), event).await
}

/// One API Gateway (HTTP API v2) event to `router` behind lambda_http's adapter, as the API
/// function serves it: the status and the JSON body.
pub async fn invoke_router(router: &axum::Router, event: Value) -> (u16, Value) {
    let answer = invoke_router_raw(router, &serde_json::to_vec(&event).unwrap()).await;
    api_answer(&answer)
}

/// [`invoke_router`] on the bytes Lambda's Runtime API hands the function, answered with the
/// bytes the function posts back: the runtime's own work on both sides (`lambda_runtime`
/// reads the event from its bytes and writes the response with `serde_json`).
pub async fn invoke_router_raw(router: &axum::Router, event: &[u8]) -> Vec<u8> {
    use lambda_http::request::LambdaRequest;
    use lambda_http::{Adapter, Context, LambdaEvent, Service};
    let req: LambdaRequest =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(event))
            .expect("an API Gateway v2 event");
    let mut adapter = Adapter::from(router.clone());
    let resp = adapter
        .call(LambdaEvent::new(req, Context::default()))
        .await
        .expect("lambda response");
    serde_json::to_vec(&resp).unwrap()
}

/// The status and the JSON body of an API Gateway response as the function wrote it.
pub fn api_answer(answer: &[u8]) -> (u16, Value) {
    let v: Value = serde_json::from_slice(answer).unwrap();
    let status = v["statusCode"].as_u64().unwrap() as u16;
    let body = v["body"]
        .as_str()
        .filter(|b| !b.is_empty())
        .map(|b| serde_json::from_str(b).unwrap())
        .unwrap_or(Value::Null);
    (status, body)
}

/// An API Gateway (HTTP API) event: a `POST` of JSON `body` to `path` with API key `key`.
pub fn post_event(path: &str, key: &str, body: &Value) -> Value {
    api_event("POST", path, key, Some(body))
}

/// An API Gateway (HTTP API) event: `method` on `path` with API key `key` and a JSON `body`.
pub fn api_event(method: &str, path: &str, key: &str, body: Option<&Value>) -> Value {
    let mut event = event_file("api-publish-event.json");
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["headers"]["authorization"] = format!("Bearer {key}").into();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("idempotency-key");
    match body {
        Some(b) => event["body"] = b.to_string().into(),
        None => {
            event.as_object_mut().unwrap().remove("body");
        }
    }
    event
}

/// tests/cost_proxy.py in front of `upstream` (the emulator): it counts every call and what AWS
/// would bill for it, and injects faults when asked. Returns its URL.
pub fn aws_proxy(upstream: &str) -> (String, Killed) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(python())
        .arg(root().join("tests/cost_proxy.py"))
        .arg(format!("--upstream={upstream}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the AWS proxy");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("port ").expect("the proxy's port");
    (format!("http://127.0.0.1:{port}"), Killed(child))
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

/// Processes whatever the queue holds right now with `deliverer` (no worker running), settling
/// each message as the drivers do; the outcomes in order.
pub async fn drain(
    app: &Hookline,
    deliverer: &hookline::delivery::Deliverer,
) -> Vec<hookline::delivery::Outcome> {
    use hookline::delivery::Outcome;
    let mut outcomes = Vec::new();
    for m in app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap()
    {
        let outcome = deliverer.process(&m.task).await.unwrap();
        match outcome {
            Outcome::Done => app.queue.delete(&[m.receipt]).await.unwrap(),
            Outcome::RetryIn(d) => app.queue.change_visibility(&m.receipt, d).await.unwrap(),
        }
        outcomes.push(outcome);
    }
    // As the drivers do at a batch's end: marks of lean successes, then statistics.
    deliverer.flush_batch().await;
    outcomes
}

/// A child process (a server, moto, a helper) killed when this goes out of scope.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What one [`lambda_poll`] did.
pub struct Polled {
    /// Messages given to the handler (none: no invocation).
    pub messages: usize,
    /// Those it reported as batch item failures (to come back later).
    pub failures: usize,
    /// How long the handler ran (the invocation's duration).
    pub handler_time: Duration,
}

/// One poll of the queue as Lambda's SQS event source does it: what [`lambda_receive`]
/// gathers, given to the delivery function's handler as one event (with each message's
/// receive count), and those it does not report as failures deleted.
pub async fn lambda_poll(app: &Hookline, deliverer: &hookline::delivery::Deliverer) -> Polled {
    let received = lambda_receive(app).await;
    let (polled, deleted) = handle_as_lambda(app, deliverer, received).await;
    deleted.unwrap();
    polled
}

/// What Lambda's SQS event source gathers for one invocation: receives of up to ten messages
/// (SQS's most per call) until the template's batch size is reached or the queue has no more
/// visible now.
pub async fn lambda_receive(app: &Hookline) -> Vec<hookline::queue::Received> {
    let mut received = Vec::new();
    while received.len() < hookline::delivery::lambda::BATCH_SIZE {
        let want = (hookline::delivery::lambda::BATCH_SIZE - received.len()).min(10);
        let got = app
            .queue
            .receive(want, Duration::from_secs(30))
            .await
            .unwrap();
        let more = got.len() == want;
        received.extend(got);
        if !more {
            break;
        }
    }
    received
}

/// Messages already received, handled as Lambda's event source does: one event to the delivery
/// function's handler (with each message's receive count), then those it did not report as
/// failures deleted. Answers what it did and whether the delete went through (when it does
/// not, the messages come back after their visibility, as on SQS).
pub async fn handle_as_lambda(
    app: &Hookline,
    deliverer: &hookline::delivery::Deliverer,
    received: Vec<hookline::queue::Received>,
) -> (Polled, hookline::queue::QueueResult<()>) {
    let (event, mut receipts) = sqs_event(&received);
    let messages = event.records.len();
    if messages == 0 {
        let none = Polled {
            messages,
            failures: 0,
            handler_time: Duration::ZERO,
        };
        return (none, Ok(()));
    }
    let started = std::time::Instant::now();
    let resp = hookline::delivery::lambda::handle_batch(deliverer, event).await;
    let handler_time = started.elapsed();
    for f in &resp.batch_item_failures {
        receipts.remove(&f.item_identifier);
    }
    let done: Vec<_> = receipts.into_values().collect();
    let deleted = match done.is_empty() {
        true => Ok(()),
        false => app.queue.delete(&done).await,
    };
    let polled = Polled {
        messages,
        failures: resp.batch_item_failures.len(),
        handler_time,
    };
    (polled, deleted)
}

/// The SQS event Lambda's event source would give the delivery function for `received`, and
/// each message's receipt by its id in the event (to delete those not reported as failed).
pub fn sqs_event(
    received: &[hookline::queue::Received],
) -> (
    aws_lambda_events::event::sqs::SqsEvent,
    std::collections::HashMap<String, hookline::queue::Receipt>,
) {
    use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
    let mut event = SqsEvent::default();
    let mut receipts = std::collections::HashMap::new();
    for (i, m) in received.iter().enumerate() {
        let mut msg = SqsMessage::default();
        msg.message_id = Some(format!("m{i}"));
        msg.receipt_handle = Some(m.receipt.0.clone());
        msg.body = Some(m.task.encode());
        // A FIFO queue's message, as Lambda describes it: its queue and its group.
        if let Some(handle) = m.receipt.0.strip_prefix(hookline::queue::sqs::FIFO_RECEIPT) {
            msg.receipt_handle = Some(handle.to_string());
            msg.event_source_arn =
                Some("arn:aws:sqs:us-east-1:000000000000:deliveries.fifo".into());
            msg.attributes
                .insert("MessageGroupId".into(), m.task.group().to_string());
        }
        msg.attributes.insert(
            "ApproximateReceiveCount".into(),
            m.receive_count.to_string(),
        );
        receipts.insert(format!("m{i}"), m.receipt.clone());
        event.records.push(msg);
    }
    (event, receipts)
}

/// A webhook record as stored, for tests that seed the store directly.
pub fn webhook_record(tenant: &str, wh: &str, url: &str, secret: &str) -> hookline::model::Webhook {
    let now = chrono::Utc::now();
    hookline::model::Webhook {
        id: id(wh),
        tenant_id: id(tenant),
        url: url.into(),
        description: None,
        events: vec![],
        enabled: true,
        account_ids: vec![],
        metadata: Default::default(),
        headers: Default::default(),
        auth: None,
        tls: None,
        timeout_seconds: None,
        filter: None,
        rate_limit: None,
        ordering: Default::default(),
        secrets: vec![hookline::model::SigningSecret {
            key: secret.into(),
            created_at: now,
            expires_at: None,
        }],
        signature_scheme: Default::default(),
        created_at: now,
        updated_at: now,
        last_triggered_at: None,
        version: 1,
        health: Default::default(),
        disabled_reason: None,
        disabled_at: None,
    }
}

/// The tenant an API key belongs to.
pub async fn tenant_of(app: &Hookline, key: &str) -> TenantId {
    app.store
        .get_key(&ApiKeyId::from_hash(&hash_key(key)))
        .await
        .unwrap()
        .expect("a stored key")
        .tenant_id
}

/// Waits until the Hookline API at `base` answers `GET /health` (or panics after `timeout`).
pub async fn healthy(base: &str, timeout: Duration) {
    let http = reqwest::Client::new();
    eventually(&format!("{base} to answer"), timeout, || async {
        http.get(format!("{base}/health"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await;
}
