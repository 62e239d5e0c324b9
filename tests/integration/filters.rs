//! Payload filters on webhooks: an event that does not meet a webhook's filter makes no
//! delivery (and no queue message) for it; a malformed filter is a 422 naming where; a sample
//! event can be checked against a webhook and the answer names the condition that failed.

use std::time::Duration;

use hookline::delivery::Deliverer;
use hookline_client::types::{FilterCheckIn, PublishOut, WebhookOut, WebhookPatchIn};
use hookline_client::{Client, patch_json};
use hookline_tests::{Backend, Receiver, body, calls, client, drain, ok, refused, test_config};
use serde_json::{Value, json};

const FILTER: &str = r#"{"type": {"$startsWith": "invoice."},
    "data": {"amount": {"$gt": 10000}, "customer": {"country": "FR"}}}"#;

fn filter() -> Value {
    serde_json::from_str(FILTER).unwrap()
}

async fn publish(c: &Client, ty: &str, data: Value) -> PublishOut {
    calls::publish(c, json!({"type": ty, "data": data})).await
}

async fn only_matching_events_are_delivered(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    let receiver = Receiver::start().await;
    let filtered = receiver.configure("/filtered", &[], &[200], None).await;
    let all = receiver.configure("/all", &[], &[200], None).await;
    let w = calls::create_webhook(&c, json!({"url": filtered, "filter": filter()})).await;
    assert_eq!(
        w.filter.map(Value::Object),
        Some(filter()),
        "the answer shows the filter"
    );
    calls::create_webhook(&c, json!({"url": all})).await;
    let big_fr = json!({"amount": 20000, "customer": {"country": "FR"}});
    let hit = publish(&c, "invoice.paid", big_fr.clone()).await;
    let small = publish(
        &c,
        "invoice.paid",
        json!({"amount": 50, "customer": {"country": "FR"}}),
    )
    .await;
    let de = publish(
        &c,
        "invoice.paid",
        json!({"amount": 20000, "customer": {"country": "DE"}}),
    )
    .await;
    let order = publish(&c, "order.paid", big_fr).await;
    let made: Vec<i32> = [&hit, &small, &de, &order]
        .iter()
        .map(|e| e.deliveries)
        .collect();
    assert_eq!(
        made,
        [2, 1, 1, 1],
        "a delivery to the filtered webhook only for the match"
    );
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    let got = receiver.log_for("/filtered").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["id"], hit.id.as_str(), "the matching event");
    assert_eq!(receiver.log_for("/all").await.len(), 4);
}

async fn an_event_no_filter_accepts_makes_no_delivery_and_no_message(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    calls::create_webhook(
        &c,
        json!({"url": "https://a.example.com/", "filter": filter()}),
    )
    .await;
    let e = publish(&c, "invoice.paid", json!({"amount": 1})).await;
    assert_eq!(e.deliveries, 0, "{e:?}");
    let queued = app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(queued.is_empty(), "no queue message: {}", queued.len());
}

async fn a_malformed_filter_is_a_422_naming_where(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let deep = json!({"data": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}});
    let cases = [
        (
            json!({"data": {"amount": {"$gtt": 1}}}),
            "filter.data.amount.$gtt",
        ),
        (
            json!({"data": {"country": {"$in": "FR"}}}),
            "filter.data.country.$in",
        ),
        (
            json!({"data": {"amount": {"$gt": {"x": 1}}}}),
            "filter.data.amount.$gt",
        ),
        (
            json!({"$or": [{"data": {"n": {"$exists": 1}}}]}),
            "filter.$or[0].data.n.$exists",
        ),
        (deep, "filter"),
        (json!({"data": {"s": "x".repeat(5000)}}), "filter"),
        (json!("invoice.paid"), "filter"),
    ];
    for (f, field) in cases {
        let v = api
            .expect(
                422,
                "POST",
                "/v1/webhooks",
                &key,
                Some(json!({"url": "https://a.example.com/", "filter": f})),
            )
            .await;
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    let c = api.typed(&key).await;
    let list = ok(c.webhooks_list().send()).await;
    assert!(list.data.is_empty(), "nothing was created");
    // A change to a bad filter changes nothing; `null` removes the filter.
    let w = calls::create_webhook(
        &c,
        json!({"url": "https://a.example.com/", "filter": filter()}),
    )
    .await;
    let path = format!("/v1/webhooks/{}", w.id);
    let bogus = body::<WebhookPatchIn>(json!({"filter": {"data": {"$bogus": 1}}}));
    let (s, e) = refused(c.webhooks_patch().id(w.id.clone()).body(bogus).send()).await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("filter.data.$bogus")),
        "{e:?}"
    );
    let now = ok(c.webhooks_read().id(w.id.clone()).send()).await;
    assert_eq!(now.filter.map(Value::Object), Some(filter()));
    let cleared: WebhookOut = patch_json(&c, &path, &json!({"filter": null}))
        .await
        .unwrap();
    assert!(cleared.filter.is_none(), "{cleared:?}");
}

async fn a_sample_event_is_checked_against_the_webhook(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let c = api.typed(&key).await;
    let w = calls::create_webhook(
        &c,
        json!({"url": "https://a.example.com/", "events": ["invoice.*"], "filter": filter()}),
    )
    .await;
    let check = |sample: Value| {
        let (c, id) = (&c, w.id.clone());
        async move {
            ok(c.webhooks_check()
                .id(id)
                .body(body::<FilterCheckIn>(sample))
                .send())
            .await
        }
    };
    let hit = check(
        json!({"type": "invoice.paid", "data": {"amount": 20000, "customer": {"country": "FR"}}}),
    )
    .await;
    assert!(
        hit.matches && hit.field.is_none() && hit.failed.is_none(),
        "{hit:?}"
    );
    let low = check(
        json!({"type": "invoice.paid", "data": {"amount": 50, "customer": {"country": "FR"}}}),
    )
    .await;
    assert!(!low.matches);
    assert_eq!(low.field.as_deref(), Some("filter"));
    let failed = Value::Object(low.failed.clone().unwrap());
    assert_eq!(failed["path"], "data.amount");
    assert_eq!(failed["condition"], json!({"$gt": 10000}));
    let missing = check(json!({"type": "invoice.paid", "data": {"amount": 20000}})).await;
    let failed = Value::Object(missing.failed.clone().unwrap());
    assert_eq!(failed["path"], "data.customer.country", "{missing:?}");
    assert_eq!(failed["reason"], "it is missing");
    let other = check(json!({"type": "order.paid", "data": {}})).await;
    assert_eq!(other.field.as_deref(), Some("events"), "{other:?}");
    // Without its required `type` (which the typed client cannot leave out): raw.
    let path = format!("/v1/webhooks/{}/filter-check", w.id);
    let (s, v) = api
        .call("POST", &path, Some(&key), Some(json!({"data": {}})))
        .await;
    assert_eq!(s, 422, "type is required: {v}");
}

hookline_tests::per_backend!(
    only_matching_events_are_delivered,
    an_event_no_filter_accepts_makes_no_delivery_and_no_message,
    a_malformed_filter_is_a_422_naming_where,
    a_sample_event_is_checked_against_the_webhook,
);
