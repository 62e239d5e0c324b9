//! What a batch makes, kept together where the backend charges per item, read back as if kept
//! apart. A batch publish's new events get their ids from one block per 32 events, and every
//! way an event is read (the API, a manual retry, the delivery itself) finds each one whole,
//! beside events published one by one and those whose ids the publisher chose (DynamoDB: the
//! block's events share pages of one write unit). The first-try successes a delivery batch
//! makes are recorded together (DynamoDB: pages of one write unit), and the log lists, pages
//! and reads each as its own record; a manual retry gives one its own record, listed once.
//! Through the typed client, against a live server.

use std::time::Duration;

use hookline::ids::EventId;
use hookline_client::types::{EventBatchIn, EventIn, WebhookIn};
use hookline_tests::{Backend, Harness, Receiver, test_config};
use serde_json::{Value, json};

/// About 1 KB of an order, as platforms publish them: repeated keys, varied values.
fn order(i: usize) -> Value {
    let lines: Vec<Value> = (0..7)
        .map(|n| {
            json!({"sku": format!("SKU-{:05}", (i * 7919 + n * 104_729) % 100_000),
                "name": format!("Item {n} of order {i}"), "quantity": 1 + (i + n) % 4,
                "unit_amount": 199 + (i * 31 + n * 17) % 5000, "tax_rate": "0.19"})
        })
        .collect();
    json!({"order": i, "customer": {"id": format!("cus_{:08}", i * 37 % 99_991),
        "email": format!("buyer{i}@example.com")}, "lines": lines})
}

/// A live server on a fresh `b` store, its typed client, and a webhook to a receiver's `path`.
async fn started(
    b: Backend,
    path: &str,
) -> (
    Harness,
    hookline_client::Client,
    Receiver,
    hookline_client::types::WebhookOut,
) {
    let h = Harness::start(b.app(test_config()).await).await;
    let client = hookline_client::connect(&h.base(), &h.key).unwrap();
    let receiver = Receiver::start().await;
    let url = receiver.configure(path, &[], &[200], None).await;
    let webhook = client
        .webhooks_create()
        .body(WebhookIn::builder().url(url))
        .send()
        .await
        .unwrap()
        .into_inner();
    (h, client, receiver, webhook)
}

/// `POST /v1/events/batch` of `events`: the result of each, in order.
async fn publish_batch(
    client: &hookline_client::Client,
    events: Vec<EventIn>,
) -> Vec<hookline_client::types::EventResultOut> {
    hookline_tests::ok(
        client
            .events_create_batch()
            .body(EventBatchIn::builder().events(events))
            .send(),
    )
    .await
    .data
}

async fn a_batch_reads_back_every_event(b: Backend) {
    let (h, client, receiver, webhook) = started(b, "/blocks").await;

    // 45 events: 5 with the publisher's own ids, 40 made here (two blocks: 32 and 8).
    let events: Vec<EventIn> = (0..45)
        .map(|i| EventIn {
            account_id: None,
            data: order(i),
            id: (i % 9 == 4).then(|| format!("ord-{i}")),
            type_: "order.paid".into(),
        })
        .collect();
    let out = publish_batch(&client, events).await;
    let ids: Vec<String> = out
        .iter()
        .map(|r| r.id.as_ref().unwrap_or_else(|| panic!("{r:?}")).to_string())
        .collect();
    let blocks: Vec<Option<String>> = ids
        .iter()
        .map(|id| EventId::parse(id).unwrap().block_key())
        .collect();
    let mut distinct: Vec<&String> = blocks.iter().flatten().collect();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "40 new ids in two blocks: {ids:?}");
    assert_eq!(blocks.iter().filter(|b| b.is_none()).count(), 5);
    // And one published alone, beside them.
    let single = client
        .events_create()
        .body(EventIn::builder().type_("order.paid").data(order(99)))
        .send()
        .await
        .unwrap()
        .into_inner();

    // The API reads each whole.
    for (i, id) in ids.iter().enumerate() {
        let ev = client.events_read().id(id.clone()).send().await.unwrap();
        assert_eq!(ev.data, order(i), "{id}");
        assert_eq!(ev.id.to_string(), *id);
    }
    let ev = client
        .events_read()
        .id(single.id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ev.data, order(99));

    // Every event reached the receiver, whole; a manual retry sends the same body again.
    let got = receiver
        .wait_for("/blocks", 46, Duration::from_secs(20))
        .await;
    let mut orders: Vec<u64> = got
        .iter()
        .map(|d| d.json()["data"]["order"].as_u64().unwrap())
        .collect();
    orders.sort_unstable();
    assert_eq!(orders, (0..45).chain([99]).collect::<Vec<u64>>());
    let delivery = h.settled(&ids[33], Duration::from_secs(10)).await.remove(0);
    client
        .deliveries_retry()
        .id(webhook.id.clone())
        .delivery_id(delivery.id.to_string())
        .send()
        .await
        .unwrap();
    let again = receiver
        .wait_for("/blocks", 47, Duration::from_secs(20))
        .await;
    assert_eq!(again[46].json()["data"], order(33));
    assert_eq!(again[46].json()["id"], ids[33].as_str());
    h.stop().await;
}

/// Every delivery of `webhook`'s log, newest first, `limit` a page.
async fn whole_log(
    client: &hookline_client::Client,
    webhook: &hookline_client::types::WebhookId,
    limit: u64,
) -> Vec<hookline_client::types::ListOutDeliveryOutDataItem> {
    use futures::TryStreamExt;
    hookline_client::paged(|cursor| async move {
        let mut req = client.deliveries_list().id(webhook.clone()).limit(limit);
        if let Some(c) = cursor {
            req = req.cursor(c);
        }
        let page = req.send().await?.into_inner();
        Ok::<_, hookline_client::Error<_>>((page.data, page.next_cursor))
    })
    .try_collect()
    .await
    .unwrap()
}

async fn first_try_records_list_page_and_read_as_their_own(b: Backend) {
    use hookline_client::types::DeliveryStatus;
    let (h, client, receiver, webhook) = started(b, "/firsts").await;
    let mut ids = Vec::new();
    for batch in 0..2 {
        let events: Vec<EventIn> = (0..12)
            .map(|i| {
                EventIn::builder()
                    .type_("order.paid")
                    .data(order(batch * 12 + i))
                    .try_into()
                    .unwrap()
            })
            .collect();
        let out = publish_batch(&client, events).await;
        ids.extend(out.into_iter().map(|r| r.id.unwrap().to_string()));
    }
    receiver
        .wait_for("/firsts", 24, Duration::from_secs(20))
        .await;
    let log =
        hookline_tests::eventually("24 settled deliveries", Duration::from_secs(10), || async {
            let log = whole_log(&client, &webhook.id, 5).await;
            (log.len() == 24 && log.iter().all(|d| d.status == DeliveryStatus::Succeeded))
                .then_some(log)
        })
        .await;
    // Each once, newest first (by its event's time, then id), a page of five at a time.
    let place = |d: &hookline_client::types::ListOutDeliveryOutDataItem| {
        (d.created_at.timestamp_millis(), d.id.to_string())
    };
    assert!(
        log.windows(2).all(|w| place(&w[0]) > place(&w[1])),
        "newest first"
    );
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let listed: Vec<String> = log.iter().map(|d| d.event_id.to_string()).collect();
    assert_eq!(sorted(listed.clone()), sorted(ids.clone()));
    let ok_only = client
        .deliveries_list()
        .id(webhook.id.clone())
        .status("succeeded")
        .limit(100u64)
        .send()
        .await
        .unwrap();
    let ok_ids: Vec<String> = ok_only
        .data
        .iter()
        .map(|d| d.event_id.to_string())
        .collect();
    assert_eq!(ok_ids, listed, "the succeeded ones, filtered");
    let failed = client
        .deliveries_list()
        .id(webhook.id.clone())
        .status("failed")
        .send()
        .await
        .unwrap();
    assert!(failed.data.is_empty());
    // Each reads alone and through its event, with its attempt.
    let one = &log[7];
    let d = client
        .deliveries_read()
        .id(webhook.id.clone())
        .delivery_id(one.id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.attempt_count, 1);
    assert_eq!(d.last_status_code, Some(200));
    let ev = client
        .events_read()
        .id(one.event_id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ev.deliveries.len(), 1);
    assert_eq!(ev.deliveries[0].status, DeliveryStatus::Succeeded);

    // A manual retry: its own record, two attempts, listed once.
    client
        .deliveries_retry()
        .id(webhook.id.clone())
        .delivery_id(one.id.clone())
        .send()
        .await
        .unwrap();
    receiver
        .wait_for("/firsts", 25, Duration::from_secs(20))
        .await;
    let log = hookline_tests::eventually("the retry recorded", Duration::from_secs(10), || async {
        let log = whole_log(&client, &webhook.id, 4).await;
        log.iter()
            .any(|d| d.id == one.id && d.attempt_count == 2)
            .then_some(log)
    })
    .await;
    assert_eq!(log.len(), 24, "each once");
    let d = client
        .deliveries_read()
        .id(webhook.id.clone())
        .delivery_id(one.id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.attempt_count, 2);
    h.stop().await;
}

hookline_tests::per_backend!(
    a_batch_reads_back_every_event,
    first_try_records_list_page_and_read_as_their_own
);
