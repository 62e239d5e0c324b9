//! Fairness inside one process and queue: the per-endpoint concurrency, webhooks served in
//! turn, a restart that resends what was in flight, and SQS message groups per webhook.

use std::time::Duration;

use super::isolation::{publish, webhook};
use hookline::backend::Hookline;
use hookline::config::Config;
use hookline::queue::{DeliveryRef, DeliveryTask};
use hookline_tests::{Harness, Receiver, id, sqlite, test_config};
use serde_json::json;

#[tokio::test]
async fn at_most_the_endpoint_concurrency_in_flight() {
    let config = Config {
        endpoint_concurrency: 3,
        delivery_concurrency: 16,
        ..test_config()
    };
    let h = Harness::start(sqlite(config)).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/slow", &[], &[200], None).await;
    receiver.slow("/slow", Duration::from_millis(150));
    h.webhook(&url, json!({})).await;
    for i in 0..24 {
        h.publish(json!({"type": "a.b", "data": {"i": i}})).await;
    }
    receiver
        .wait_for("/slow", 24, Duration::from_secs(20))
        .await;
    let max = receiver.max_in_flight("/slow");
    assert_eq!(
        max,
        3,
        "never more than 3 at once, and the window reaches 3: {:?}",
        receiver
            .log_for("/slow")
            .await
            .iter()
            .map(|r| r.received_at)
            .collect::<Vec<_>>()
    );
    h.stop().await;
}

#[tokio::test]
async fn the_embedded_queue_serves_webhooks_in_turn() {
    let app = sqlite(Config {
        endpoint_concurrency: 4,
        ..test_config()
    });
    let task = |wh: &str, n: usize| {
        DeliveryTask::Scheduled(DeliveryRef {
            tenant_id: id("t"),
            delivery_id: id(&format!("del_{wh}_{n}")),
            webhook_id: id(wh),
            event_id: id(&format!("evt_{n}")),
            event_type: None,
            resent: false,
            expires_at: None,
            lean: false,
            ordered: false,
            body: None,
        })
    };
    // A backlog of 50 for one webhook, then one message each for two others.
    let mut tasks: Vec<DeliveryTask> = (0..50).map(|n| task("wh_busy", n)).collect();
    tasks.push(task("wh_a", 0));
    tasks.push(task("wh_b", 0));
    app.queue.send(&tasks).await.unwrap();
    let got = app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap();
    let groups: Vec<String> = got.iter().map(|m| m.task.group().to_string()).collect();
    assert!(groups.contains(&"wh_a".to_string()) && groups.contains(&"wh_b".to_string()));
    assert_eq!(
        groups.iter().filter(|g| *g == "wh_busy").count(),
        4,
        "the busy webhook gets its share (4), not the whole receive: {groups:?}"
    );
    // Its share is in flight: it waits until one settles.
    assert!(
        app.queue
            .receive(10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    let busy = got.iter().find(|m| m.task.group() == "wh_busy").unwrap();
    app.queue
        .delete(std::slice::from_ref(&busy.receipt))
        .await
        .unwrap();
    let next = app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
}

#[tokio::test]
async fn a_restart_sends_what_a_crashed_run_had_in_flight_at_once() {
    let dir = std::env::temp_dir().join(hookline_tests::unique("restart"));
    let task = DeliveryTask::Scheduled(DeliveryRef {
        tenant_id: id("t"),
        delivery_id: id("del_1"),
        webhook_id: id("wh_1"),
        event_id: id("evt_1"),
        event_type: None,
        resent: false,
        expires_at: None,
        lean: false,
        ordered: false,
        body: None,
    });
    {
        let db = hookline::store::sqlite::SqliteDb::open(&dir).unwrap();
        let app = Hookline::with_sqlite(test_config(), db.clone());
        app.queue.send(std::slice::from_ref(&task)).await.unwrap();
        let got = app
            .queue
            .receive(10, Duration::from_secs(600))
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        db.flush().await.unwrap();
        // The process dies here, with the message in flight for ten minutes.
    }
    // The next run sends it at once, not after the ten minutes.
    let db = hookline::store::sqlite::SqliteDb::open(&dir).unwrap();
    let app = Hookline::with_sqlite(test_config(), db);
    let back = app
        .queue
        .receive(10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(back.len(), 1, "visible at start, not after its visibility");
    assert_eq!(back[0].task, task);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sqs_messages_carry_the_webhook_as_message_group() {
    let app = hookline_tests::aws(test_config()).await;
    let c = hookline_tests::typed_client(&app).await;
    let w = webhook(&c, "https://hooks.example.com/a").await;
    publish(&c, 1).await;
    let sdk = hookline_tests::aws_sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    // This app's own queue (listing every queue would find others' too, and not all of them).
    let hookline::config::Backend::Aws { queue_url, .. } = &app.config.backend else {
        panic!("the aws backend")
    };
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .message_system_attribute_names(
            aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId,
        )
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let found = out
        .messages()
        .iter()
        .find(|m| m.body().is_some_and(|b| b.contains(w.id.as_str())))
        .and_then(|m| {
            m.attributes()?
                .get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
                .cloned()
        });
    assert_eq!(found.as_deref(), Some(w.id.as_str()));
}
