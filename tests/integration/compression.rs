//! Stored events and deliveries compressed in DynamoDB (`docz`): a 1 KB event fits one write
//! unit, every read path gives back what was published, and items written before compression
//! (a plain `doc`) still read. (The embedded store keeps plain JSON: its rows cost nothing per
//! kilobyte.)

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use hookline::config::{Backend as Store, Config};
use hookline::delivery::Deliverer;
use hookline_client::types::DeliveryStatus;
use hookline_tests::{Receiver, aws, aws_sdk_config, calls, client, drain, id, test_config};
use serde_json::{Value, json};

/// About 1 KB of data as a platform publishes it: varied fields, not padding.
fn kilobyte_of_data() -> Value {
    let lines: Vec<Value> = (0..8)
        .map(|i| {
            json!({"sku": format!("SKU-{:05}", 7919 * i % 100_000), "name": format!("Item number {i} of the order"),
                "quantity": i + 1, "unit_price": {"amount": 1250 + 37 * i, "currency": "EUR"}})
        })
        .collect();
    json!({"order_id": "ord_01J8Z3K4M5N6P7Q8R9S0T1U2V3", "customer": {"id": "cus_8812", "email": "ana@example.com",
        "country": "PT"}, "lines": lines, "total": {"amount": 18230, "currency": "EUR"}, "status": "paid"})
}

/// The raw items of table `table` whose partition key contains `part`.
async fn raw_items(table: &str, part: &str) -> Vec<HashMap<String, AttributeValue>> {
    let ddb = aws_sdk_dynamodb::Client::new(&aws_sdk_config().await);
    let out = ddb.scan().table_name(table).send().await.unwrap();
    out.items()
        .iter()
        .filter(|i| {
            i.get("PK")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|pk| pk.contains(part))
        })
        .cloned()
        .collect()
}

/// DynamoDB's item size: attribute names and values (binary as its bytes, numbers as
/// DynamoDB counts them).
fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    AttributeValue::S(s) => s.len(),
                    // About a byte per two significant digits, plus one.
                    AttributeValue::N(n) => {
                        n.trim_start_matches('-')
                            .trim_start_matches('0')
                            .len()
                            .div_ceil(2)
                            + 1
                    }
                    AttributeValue::B(b) => b.as_ref().len(),
                    _ => 8,
                }
        })
        .sum()
}

#[tokio::test]
async fn events_are_stored_compressed_and_read_back_whole() {
    // The scheduled retry an hour away: only the manual one below is due (with the test
    // schedule's 1 s, a slow second drain on the emulator's real time also met the scheduled
    // one and the receiver saw three POSTs).
    let app = aws(Config {
        retry_interval: Duration::from_secs(3600),
        retry_window: Duration::from_secs(7200),
        ..test_config()
    })
    .await;
    let Store::Aws { table, .. } = app.config.backend.clone() else {
        panic!("the aws backend")
    };
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/z", &[], &[500, 200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let data = kilobyte_of_data();
    assert!(data.to_string().len() > 1000, "{}", data.to_string().len());
    let e = calls::publish(
        &c,
        json!({"id": "evt_z", "type": "order.paid", "data": data}),
    )
    .await;
    let events = raw_items(&table, "#E#evt_z").await;
    let event = events
        .iter()
        .find(|i| i.contains_key("docz"))
        .unwrap_or_else(|| panic!("a compressed event item: {events:?}"));
    assert!(!event.contains_key("doc"), "one document, compressed");
    eprintln!(
        "a {}-byte data object: event item of {} bytes",
        data.to_string().len(),
        item_size(event)
    );
    assert!(
        item_size(event) <= 1024,
        "a 1 KB event is one write unit: {} bytes",
        item_size(event)
    );

    // Delivered (after one failure, so the delivery record is written twice), read back whole.
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    let d0 = &calls::read_event(&c, &e.id).await.deliveries[0];
    calls::retry(&c, &w.id, &d0.id).await;
    drain(&app, &deliverer).await;
    let got = receiver.log_for("/z").await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].json()["data"],
        data,
        "the receiver gets the data whole"
    );
    let ev = calls::read_event(&c, &e.id).await;
    assert_eq!(json!(ev.data), data, "the API reads it whole");
    let d = calls::read_delivery(&c, &w.id, &d0.id).await;
    assert_eq!(d.status, DeliveryStatus::Succeeded);

    // An event item as the previous build wrote it: a plain `doc`.
    let mut legacy = event.clone();
    let json = serde_json::to_string(&{
        let mut v: Value = serde_json::to_value(
            app.store
                .get_event(&hookline_tests::tenant_of(&app, &key).await, &id(&e.id))
                .await
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        v["id"] = json!("evt_plain");
        v
    })
    .unwrap();
    legacy.remove("docz");
    legacy.insert("doc".into(), AttributeValue::S(json));
    eprintln!(
        "uncompressed, as the previous build wrote it: {} bytes (id 4 characters longer)",
        item_size(&legacy)
    );
    let pk = legacy["PK"].as_s().unwrap().replace("evt_z", "evt_plain");
    legacy.insert("PK".into(), AttributeValue::S(pk));
    aws_sdk_dynamodb::Client::new(&aws_sdk_config().await)
        .put_item()
        .table_name(&table)
        .set_item(Some(legacy))
        .send()
        .await
        .unwrap();
    let old = calls::read_event(&c, &"evt_plain").await;
    assert_eq!(json!(old.data), data, "an uncompressed item still reads");
}

#[tokio::test]
async fn a_batch_of_kilobyte_events_takes_fewer_write_units_than_events() {
    let app = aws(test_config()).await;
    let Store::Aws { table, .. } = app.config.backend.clone() else {
        panic!("the aws backend")
    };
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    let tenant = hookline_tests::tenant_of(&app, &key).await;
    let events: Vec<Value> = (0..10)
        .map(|i| {
            let mut data = kilobyte_of_data();
            data["order_id"] = json!(format!("ord_{i}"));
            json!({"type": "order.paid", "data": data})
        })
        .collect();
    let out = calls::publish_batch(&c, events).await;
    let pages = raw_items(&table, &format!("T#{tenant}#EB#")).await;
    let sizes: Vec<usize> = pages.iter().map(item_size).collect();
    eprintln!(
        "ten 1 KB events in {} items of {sizes:?} bytes",
        pages.len()
    );
    assert!(
        sizes.iter().all(|s| *s <= 1024),
        "each page is one write unit: {sizes:?}"
    );
    assert!(pages.len() <= 5, "several events to a page: {sizes:?}");
    assert!(
        raw_items(&table, &format!("T#{tenant}#E#"))
            .await
            .is_empty(),
        "no item of their own"
    );
    for (i, r) in out.iter().enumerate() {
        let ev = calls::read_event(&c, r).await;
        assert_eq!(json!(ev.data)["order_id"], format!("ord_{i}"));
    }
}

#[tokio::test]
async fn first_try_records_take_fewer_write_units_than_deliveries() {
    let app = aws(test_config()).await;
    let Store::Aws { table, .. } = app.config.backend.clone() else {
        panic!("the aws backend")
    };
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    let tenant = hookline_tests::tenant_of(&app, &key).await;
    let receiver = Receiver::start().await;
    let url = receiver.configure("/pages", &[], &[200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let events: Vec<Value> = (0..10)
        .map(|i| json!({"type": "order.paid", "data": {"order": i}}))
        .collect();
    let out = calls::publish_batch(&c, events).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    assert_eq!(receiver.log_for("/pages").await.len(), 10);
    let pages = raw_items(&table, &format!("T#{tenant}#WP#{}", w.id)).await;
    let sizes: Vec<usize> = pages.iter().map(item_size).collect();
    eprintln!(
        "ten first-try records in {} items of {sizes:?} bytes",
        pages.len()
    );
    assert!(
        sizes.iter().all(|s| *s <= 1024),
        "one write unit each: {sizes:?}"
    );
    assert!(pages.len() <= 4, "several records to a page: {sizes:?}");
    let own = format!("T#{tenant}#WD#");
    assert!(
        raw_items(&table, &own).await.is_empty(),
        "no record of their own"
    );

    // A manual retry gives one its own record and takes it out of its page.
    let ev = calls::read_event(&c, &out[0]).await;
    let d = &ev.deliveries[0];
    assert_eq!(d.status, DeliveryStatus::Succeeded);
    calls::retry(&c, &w.id, &d.id).await;
    drain(&app, &deliverer).await;
    assert_eq!(raw_items(&table, &own).await.len(), 1);
    let paged: usize = raw_items(&table, &format!("T#{tenant}#WP#{}", w.id))
        .await
        .iter()
        .map(|i| {
            let z = i["docz"].as_b().unwrap().as_ref();
            let json = miniz_oxide::inflate::decompress_to_vec(z).unwrap();
            serde_json::from_slice::<Vec<Value>>(&json).unwrap().len()
        })
        .sum();
    assert_eq!(paged, 9, "the retried one left its page");
}
