//! `sam local`, as a platform engineer tries the project before deploying it: both functions,
//! built by `sam build` (for x86_64, so they run without CPU emulation), invoked in containers
//! made from the local base image, against DynamoDB and SQS in moto.
//!
//! Run by `tests/sam_local.sh`, which builds the image and the functions first and says where
//! they are (`HOOKLINE_SAM_TEMPLATE`, `HOOKLINE_SAM_IMAGE`); not part of `cargo test`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hookline::backend::Hookline;
use hookline::config::Backend;
use hookline::model::Scope;
use hookline_tests::lambda::{Invoke, api_events, sqs_events};
use hookline_tests::{
    Receiver, aws, aws_sdk_config, event_file, mint_key, moto_endpoint, webhook_record,
};
use serde_json::{Value, json};

fn required(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run this test with tests/sam_local.sh, which builds what it needs"
        )
    })
}

/// `sam local` on the functions that `app`'s table and queue back.
struct Sam {
    template: String,
    image: String,
    env_file: PathBuf,
    overrides: String,
}

impl Sam {
    fn new(app: &Hookline) -> Sam {
        let Backend::Aws {
            table,
            queue_url,
            fifo_queue_url,
            endpoint,
        } = &app.config.backend
        else {
            panic!("an app on DynamoDB and SQS")
        };
        // SAM applies `--env-vars` only to variables the template declares. The functions run on
        // Docker's bridge: moto and the receivers listen on its address (tests/sam_local.sh).
        let env_file =
            std::env::temp_dir().join(format!("hookline-sam-env-{}.json", ulid::Ulid::new()));
        let vars = json!({"Parameters": {
            "HOOKLINE_TABLE": table,
            "HOOKLINE_QUEUE_URL": queue_url,
            "HOOKLINE_FIFO_QUEUE_URL": fifo_queue_url,
            "HOOKLINE_AWS_ENDPOINT_URL": endpoint,
            // The receivers of these tests listen on this machine's loopback.
            "HOOKLINE_ALLOW_PRIVATE_TARGETS": "true",
        }});
        std::fs::write(&env_file, vars.to_string()).unwrap();
        Sam {
            template: required("HOOKLINE_SAM_TEMPLATE"),
            image: required("HOOKLINE_SAM_IMAGE"),
            env_file,
            overrides: "Architecture=x86_64".into(),
        }
    }

    /// `sam local <what>` with the image, the network and the settings of these tests.
    fn command(&self, what: &[&str]) -> Command {
        let mut c = Command::new("sam");
        c.arg("local")
            .args(what)
            .args(["--template", &self.template])
            .args(["--invoke-image", &self.image, "--skip-pull-image"])
            .arg("--env-vars")
            .arg(&self.env_file)
            .args(["--parameter-overrides", &self.overrides])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            // SAM asks STS for the account id before each run; with no AWS to answer, that is
            // seconds of retries. moto answers it.
            .env("AWS_ENDPOINT_URL_STS", moto_endpoint())
            .env("SAM_CLI_TELEMETRY", "0");
        c
    }

    /// `sam local invoke FUNCTION` on `event`: what the function answered.
    async fn invoke(&self, function: &str, event: Value) -> Value {
        let file =
            std::env::temp_dir().join(format!("hookline-sam-event-{}.json", ulid::Ulid::new()));
        std::fs::write(&file, event.to_string()).unwrap();
        let run = |debug: bool| {
            let mut cmd = self.command(&["invoke", function]);
            cmd.arg("--event").arg(&file);
            if debug {
                cmd.arg("--debug");
            }
            tokio::task::spawn_blocking(move || cmd.output().expect("run sam"))
        };
        let started = Instant::now();
        let mut out = run(false).await.unwrap();
        // SAM's emulator sometimes never answers an invoke: in 2 of 4 full runs of the suite
        // on 2026-12-04 the first `sam local invoke` timed out with no request from the
        // function reaching the emulator, and it never did alone (aws/aws-sam-cli#3714 reports
        // the same). Once, and only for that message, the invoke is made again, with SAM's
        // debug log, and both outputs are printed: a function that hangs hangs twice.
        if String::from_utf8_lossy(&out.stderr).contains("No response from invoke container") {
            println!(
                "  sam local invoke {function}: no response after {:.1} s; once more, with --debug. \
                 Its output:\n{}",
                started.elapsed().as_secs_f64(),
                String::from_utf8_lossy(&out.stderr)
            );
            out = run(true).await.unwrap();
            println!(
                "  the second invoke's output:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let _ = std::fs::remove_file(&file);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "sam local invoke {function}: {stderr}"
        );
        println!(
            "  sam local invoke {function}: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // The function's answer is the last line of stdout; SAM logs to stderr.
        stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l.trim()).ok())
            .unwrap_or_else(|| panic!("{function} answered no JSON:\n{stdout}\n{stderr}"))
    }
}

impl Drop for Sam {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.env_file);
    }
}

impl Invoke for Sam {
    async fn api(&self, event: Value) -> (u16, Value) {
        let v = self.invoke("ApiFunction", event).await;
        let status = v["statusCode"].as_u64().expect("an API Gateway answer") as u16;
        let body = v["body"]
            .as_str()
            .filter(|b| !b.is_empty())
            .map(|b| serde_json::from_str(b).expect("a JSON body"))
            .unwrap_or(Value::Null);
        (status, body)
    }

    async fn deliver(&self, event: Value) -> Value {
        self.invoke("DeliverFunction", event).await
    }
}

#[tokio::test]
async fn sam_local_invoke_answers_every_api_event() {
    let app = aws(hookline_tests::test_config()).await;
    api_events(&Sam::new(&app), &app, "sam local").await;
}

#[tokio::test]
async fn sam_local_invoke_delivers_the_sqs_events() {
    let app = aws(hookline_tests::test_config()).await;
    sqs_events(&Sam::new(&app), &app, "sam local").await;
}

struct Api(Child);

impl Drop for Api {
    fn drop(&mut self) {
        // Ctrl-C, so that SAM stops and removes the containers it keeps warm.
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sam local start-api` serves the README walkthrough as written; a webhook created through
/// it receives a published event once `sam local invoke DeliverFunction` is fed the message
/// the API put on the queue.
#[tokio::test]
async fn sam_local_start_api_serves_the_walkthrough_and_its_events_are_delivered() {
    let app = aws(hookline_tests::test_config()).await;
    let key = mint_key(&app, "default", &[Scope::Admin]).await;
    let sam = Sam::new(&app);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let _api = Api(sam
        .command(&["start-api", "--port", &port.to_string()])
        .args(["--warm-containers", "EAGER"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sam local start-api"));
    hookline_tests::healthy(&base, Duration::from_secs(120)).await;
    println!(
        "  sam local start-api answering: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let walkthrough = hookline_tests::walkthrough();
    let out = tokio::task::spawn_blocking({
        let (base, key) = (base.clone(), key.clone());
        move || {
            Command::new("bash")
                .args(["-euo", "pipefail", "-c", &walkthrough])
                .env("HOOKLINE", &base)
                .env("KEY", &key)
                .output()
                .expect("run the walkthrough")
        }
    })
    .await
    .unwrap();
    hookline_tests::check_walkthrough(&out);
    println!(
        "  README walkthrough on sam local start-api: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A webhook to a receiver on this machine (plain http to a private address, which the API
    // accepts only for loopback: so it goes in through the store), and an event published
    // through the API.
    let receiver = Receiver::start().await;
    let secret = hookline::signing::generate_secret();
    let url = receiver.configure("/sam", &[&secret], &[200], None).await;
    app.store
        .create_webhook(&webhook_record("default", "wh_sam", &url, &secret), 50)
        .await
        .unwrap();
    // Written to the store from this process: the function sees it once its cache of the
    // tenant's webhooks (HOOKLINE_CACHE_TTL_MS) has expired. Until then a publish reaches no
    // webhook and queues nothing.
    // (That cache runs on the container's real time, not a clock of this test: it waits.)
    let client = hookline_client::connect(&base, &key).unwrap();
    let mut event_id = String::new();
    for n in 0..40 {
        event_id = format!("evt_sam_local_{n}");
        let event = json!({"id": event_id, "type": "order.paid", "data": {"order": 7}});
        if hookline_tests::calls::publish(&client, event)
            .await
            .deliveries
            == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    // What the queue holds, as the SQS event source would hand it to the function.
    let Backend::Aws { queue_url, .. } = &app.config.backend else {
        unreachable!()
    };
    let sqs = aws_sdk_sqs::Client::new(&aws_sdk_config().await);
    let got = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let messages = got.messages();
    assert_eq!(messages.len(), 1, "one delivery queued");
    let mut event = event_file("sqs-delivery.json");
    let record = &mut event["Records"][0];
    record["messageId"] = json!(messages[0].message_id());
    record["receiptHandle"] = json!(messages[0].receipt_handle());
    record["body"] = json!(messages[0].body());
    let resp = sam.deliver(event).await;
    assert_eq!(resp, json!({"batchItemFailures": []}));
    let log = receiver.wait_for("/sam", 1, Duration::from_secs(5)).await;
    assert_eq!(log[0].webhook_id.as_deref(), Some(event_id.as_str()));
    assert_eq!(log[0].verified_by, [0], "signed with the webhook's secret");
    assert_eq!(log[0].json()["data"], json!({"order": 7}));
}
