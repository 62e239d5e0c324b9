//! FIFO webhooks (`ordering: "fifo"`): their deliveries are attempted one at a time in
//! publish order; while the head waits for a retry the ones behind it wait without attempts,
//! and a head that fails for good releases the next; a webhook beside it is never held.

use std::time::Duration;

use hookline::delivery::Deliverer;
use hookline_client::{Client, types};
use hookline_tests::{
    Backend, Receiver, TestTime, body, calls, ok, refused, test_config, typed_client,
};
use serde_json::json;

/// A `fifo` webhook of the client's tenant to `url`.
async fn fifo_webhook(c: &Client, url: &str) -> types::WebhookOut {
    calls::create_webhook(c, json!({"url": url, "ordering": "fifo"})).await
}

async fn publish(c: &Client, from: usize, n: usize) {
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(10) {
        let events: Vec<_> = chunk
            .iter()
            .map(|i| json!({"type": "order.updated", "data": {"n": i}}))
            .collect();
        calls::publish_batch(c, events).await;
    }
}

/// The `n` of each request that reached `path` (none: a test event), with the status it was
/// answered.
async fn received(receiver: &Receiver, path: &str) -> Vec<(Option<u64>, u16)> {
    receiver
        .log_for(path)
        .await
        .iter()
        .map(|d| (d.json()["data"]["n"].as_u64(), d.status))
        .collect()
}

fn config() -> hookline::config::Config {
    hookline::config::Config {
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(600),
        ..test_config()
    }
}

async fn fifo_deliveries_arrive_in_publish_order_and_a_neighbour_is_not_held(b: Backend) {
    let (app, time) = b.app_and_time(config()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    // Every 10th request fails; its retry (the next request) succeeds. 200 on both backends (on
    // moto, whose calls are served one at a time, this takes it most of a minute).
    let events = 200;
    let script: Vec<u16> = (1..=events + events / 10)
        .map(|i| if i % 10 == 0 { 500 } else { 200 })
        .chain([200])
        .collect();
    let url = receiver.configure("/ordered", &[], &script, None).await;
    let beside = receiver.configure("/beside", &[], &[200], None).await;
    let w = fifo_webhook(&c, &url).await;
    assert_eq!(w.ordering, Some(types::Ordering::Fifo));
    calls::create_webhook(&c, json!({"url": beside})).await;
    publish(&c, 0, events).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    time.settle(&app, std::slice::from_ref(&deliverer)).await;
    // Before any time passes: the neighbour has everything, the ordered webhook stopped at
    // its first failure.
    assert_eq!(receiver.log_for("/beside").await.len(), events);
    let so_far = received(&receiver, "/ordered").await;
    assert_eq!(so_far.len(), 10, "{so_far:?}");
    assert_eq!(so_far.last().unwrap(), &(Some(9), 500));
    for _ in 0..200 {
        let got = received(&receiver, "/ordered").await;
        if got.iter().filter(|r| r.1 == 200).count() >= events {
            break;
        }
        time.pass(Duration::from_millis(500)).await;
        time.settle(&app, std::slice::from_ref(&deliverer)).await;
    }
    let got = received(&receiver, "/ordered").await;
    let ok: Vec<u64> = got
        .iter()
        .filter(|(_, s)| *s == 200)
        .map(|(n, _)| n.unwrap())
        .collect();
    assert_eq!(
        ok,
        (0..events as u64).collect::<Vec<_>>(),
        "each once, in publish order"
    );
    assert!(
        got.windows(2).all(|p| p[0].0 <= p[1].0),
        "no request ahead of its turn: {got:?}"
    );
    for (i, (n, status)) in got.iter().enumerate() {
        if *status == 500 {
            assert_eq!(got[i + 1], (*n, 200), "its retry comes next: {got:?}");
        }
    }
}

async fn a_head_that_fails_for_good_releases_the_next(b: Backend) {
    let config = hookline::config::Config {
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(2),
        ..test_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver
        .configure("/head", &[], &[500, 500, 500, 500, 200], None)
        .await;
    let _ = fifo_webhook(&c, &url).await;
    publish(&c, 0, 3).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    for _ in 0..100 {
        time.settle(&app, std::slice::from_ref(&deliverer)).await;
        if received(&receiver, "/head")
            .await
            .iter()
            .any(|r| r.0 == Some(2))
        {
            break;
        }
        time.pass(Duration::from_millis(500)).await;
    }
    let got = received(&receiver, "/head").await;
    assert!(got.windows(2).all(|p| p[0].0 <= p[1].0), "{got:?}");
    let first: Vec<u16> = got.iter().filter(|r| r.0 == Some(0)).map(|r| r.1).collect();
    assert!(
        first.len() >= 2 && first.iter().all(|s| *s == 500),
        "the head was retried until its window ended: {got:?}"
    );
    assert!(
        got.iter().any(|r| r.0 == Some(1)),
        "the next was released: {got:?}"
    );
    // On the injected clock each delivery's window is exact: the head's three attempts, the
    // next's, and the last answered 200. On SQS a busy machine may start a delivery late in
    // its window (counted from its event), so it may get fewer attempts.
    if let TestTime::Manual(_) = time {
        assert_eq!(got.last().unwrap(), &(Some(2), 200), "{got:?}");
    }
}

async fn a_test_event_goes_outside_the_order(b: Backend) {
    // The head's retry must not come back while the test event goes: on SQS the retry delay
    // runs in real time, and a busy machine took more than the others' 1 s between settles.
    let config = hookline::config::Config {
        retry_interval: Duration::from_secs(60),
        ..config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/manual", &[], &[500], None).await;
    let w = fifo_webhook(&c, &url).await;
    publish(&c, 0, 2).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    time.settle(&app, std::slice::from_ref(&deliverer)).await;
    assert_eq!(received(&receiver, "/manual").await, [(Some(0), 500)]);
    // Event 1 waits behind the failing head; a test event the user sends goes now.
    let test = c.webhooks_send_test().id(w.id.to_string());
    ok(test.body(body::<types::TestIn>(json!({}))).send()).await;
    time.settle(&app, std::slice::from_ref(&deliverer)).await;
    assert_eq!(
        received(&receiver, "/manual").await,
        [(Some(0), 500), (None, 500)]
    );
}

/// On SQS: an ordered webhook's message is on the FIFO queue, in its webhook's group,
/// deduplicated by its delivery id; when the head of a batch must come back, the rest of its
/// group in that batch is handed back unattempted.
#[tokio::test]
async fn sqs_fifo_groups_by_webhook_and_hands_back_the_rest_of_a_group() {
    let (app, _) = Backend::Dynamo.app_and_time(config()).await;
    let hookline::config::Backend::Aws {
        fifo_queue_url: Some(fifo),
        ..
    } = &app.config.backend
    else {
        panic!("a FIFO queue on moto")
    };
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/batch", &[], &[500, 200], None).await;
    let w = fifo_webhook(&c, &url).await;
    publish(&c, 0, 3).await;
    let sqs = aws_sdk_sqs::Client::new(&hookline_tests::aws_sdk_config().await);
    let peek = sqs
        .receive_message()
        .queue_url(fifo)
        .max_number_of_messages(10)
        .visibility_timeout(30)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let messages = peek.messages();
    assert_eq!(messages.len(), 3, "all three on the FIFO queue, one group");
    use aws_sdk_sqs::types::MessageSystemAttributeName as A;
    for m in messages {
        let attrs = m.attributes().unwrap();
        assert_eq!(attrs[&A::MessageGroupId], w.id.to_string());
        let task = hookline::queue::DeliveryTask::decode(m.body().unwrap()).unwrap();
        assert_eq!(
            attrs[&A::MessageDeduplicationId],
            task.target().delivery_id.to_string()
        );
    }
    // The batch Lambda's FIFO poller would hand the function: the three, in order.
    let batch = messages
        .iter()
        .map(|m| hookline::queue::Received {
            receipt: hookline::queue::Receipt(format!(
                "{}{}",
                hookline::queue::sqs::FIFO_RECEIPT,
                m.receipt_handle().unwrap()
            )),
            task: hookline::queue::DeliveryTask::decode(m.body().unwrap()).unwrap(),
            receive_count: 1,
        })
        .collect();
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let (polled, deleted) = hookline_tests::handle_as_lambda(&app, &deliverer, batch).await;
    deleted.unwrap();
    assert_eq!(polled.messages, 3);
    assert_eq!(
        polled.failures, 3,
        "the head to retry, the two behind it handed back"
    );
    assert_eq!(
        received(&receiver, "/batch").await,
        [(Some(0), 500)],
        "nothing behind the head was attempted"
    );
}

/// A deployment without a FIFO queue refuses `fifo` with a 422 naming the field.
#[tokio::test]
async fn without_a_fifo_queue_ordering_is_a_422() {
    let app = Backend::Dynamo.app(config()).await;
    let hookline::config::Backend::Aws { queue_url, .. } = &app.config.backend else {
        panic!("an app on moto")
    };
    let sdk = hookline_tests::aws_sdk_config().await;
    let queue = hookline::backend::sqs_queue(&sdk, queue_url).expect("the SQS clients");
    let plain = hookline::backend::Hookline::new(
        (*app.config).clone(),
        app.store.clone(),
        std::sync::Arc::new(queue),
    );
    let c = typed_client(&plain).await;
    let fifo = json!({"url": "https://a.example.com/", "ordering": "fifo"});
    let (s, e) = refused(
        c.webhooks_create()
            .body(body::<types::WebhookIn>(fifo))
            .send(),
    )
    .await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("ordering")),
        "{e:?}"
    );
}

hookline_tests::per_backend!(
    fifo_deliveries_arrive_in_publish_order_and_a_neighbour_is_not_held,
    a_head_that_fails_for_good_releases_the_next,
    a_test_event_goes_outside_the_order,
);
