//! Payload filters on webhooks: an event that does not meet a webhook's filter makes no
//! delivery (and no queue message) for it; a malformed filter is a 422 naming where; a sample
//! event can be checked against a webhook and the answer names the condition that failed.

use std::time::Duration;

use hookline::delivery::Deliverer;
use hookline_tests::{Api, Backend, Receiver, client, drain, test_config};
use serde_json::{Value, json};

const FILTER: &str = r#"{"type": {"$startsWith": "invoice."},
    "data": {"amount": {"$gt": 10000}, "customer": {"country": "FR"}}}"#;

fn filter() -> Value {
    serde_json::from_str(FILTER).unwrap()
}

async fn create(api: &Api, key: &str, body: Value) -> Value {
    let (s, w) = api
        .call("POST", "/v1/webhooks", Some(key), Some(body))
        .await;
    assert_eq!(s, 201, "{w}");
    w
}

async fn publish(api: &Api, key: &str, ty: &str, data: Value) -> Value {
    let (s, e) = api
        .call(
            "POST",
            "/v1/events",
            Some(key),
            Some(json!({"type": ty, "data": data})),
        )
        .await;
    assert_eq!(s, 202, "{e}");
    e
}

async fn only_matching_events_are_delivered(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let receiver = Receiver::start().await;
    let filtered = receiver.configure("/filtered", &[], &[200], None).await;
    let all = receiver.configure("/all", &[], &[200], None).await;
    let w = create(&api, &key, json!({"url": filtered, "filter": filter()})).await;
    assert_eq!(w["filter"], filter(), "the answer shows the filter");
    create(&api, &key, json!({"url": all})).await;
    let big_fr = json!({"amount": 20000, "customer": {"country": "FR"}});
    let hit = publish(&api, &key, "invoice.paid", big_fr.clone()).await;
    let small = publish(
        &api,
        &key,
        "invoice.paid",
        json!({"amount": 50, "customer": {"country": "FR"}}),
    )
    .await;
    let de = publish(
        &api,
        &key,
        "invoice.paid",
        json!({"amount": 20000, "customer": {"country": "DE"}}),
    )
    .await;
    let order = publish(&api, &key, "order.paid", big_fr).await;
    let made: Vec<u64> = [&hit, &small, &de, &order]
        .iter()
        .map(|e| e["deliveries"].as_u64().unwrap())
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
    let body: Value = serde_json::from_str(got[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["id"], hit["id"], "the matching event");
    assert_eq!(receiver.log_for("/all").await.len(), 4);
}

async fn an_event_no_filter_accepts_makes_no_delivery_and_no_message(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    create(
        &api,
        &key,
        json!({"url": "https://a.example.com/", "filter": filter()}),
    )
    .await;
    let e = publish(&api, &key, "invoice.paid", json!({"amount": 1})).await;
    assert_eq!(e["deliveries"], 0, "{e}");
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
    let (_, list) = api.call("GET", "/v1/webhooks", Some(&key), None).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    // A change to a bad filter changes nothing; `null` removes the filter.
    let w = create(
        &api,
        &key,
        json!({"url": "https://a.example.com/", "filter": filter()}),
    )
    .await;
    let path = format!("/v1/webhooks/{}", w["id"].as_str().unwrap());
    let (s, v) = api
        .call(
            "PATCH",
            &path,
            Some(&key),
            Some(json!({"filter": {"data": {"$bogus": 1}}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["field"].as_str()),
        (422, Some("filter.data.$bogus")),
        "{v}"
    );
    let (_, now) = api.call("GET", &path, Some(&key), None).await;
    assert_eq!(now["filter"], filter());
    let (s, v) = api
        .call("PATCH", &path, Some(&key), Some(json!({"filter": null})))
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["filter"].is_null(), "{v}");
}

async fn a_sample_event_is_checked_against_the_webhook(b: Backend) {
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let w = create(
        &api,
        &key,
        json!({"url": "https://a.example.com/", "events": ["invoice.*"], "filter": filter()}),
    )
    .await;
    let path = format!("/v1/webhooks/{}/filter-check", w["id"].as_str().unwrap());
    let check = |body: Value| {
        let (api, key, path) = (&api, &key, &path);
        async move {
            let (s, v) = api.call("POST", path, Some(key), Some(body)).await;
            assert_eq!(s, 200, "{v}");
            v
        }
    };
    let ok = check(
        json!({"type": "invoice.paid", "data": {"amount": 20000, "customer": {"country": "FR"}}}),
    )
    .await;
    assert_eq!(ok, json!({"matches": true}));
    let low = check(
        json!({"type": "invoice.paid", "data": {"amount": 50, "customer": {"country": "FR"}}}),
    )
    .await;
    assert_eq!(low["matches"], false);
    assert_eq!(low["field"], "filter");
    assert_eq!(low["failed"]["path"], "data.amount");
    assert_eq!(low["failed"]["condition"], json!({"$gt": 10000}));
    let missing = check(json!({"type": "invoice.paid", "data": {"amount": 20000}})).await;
    assert_eq!(
        missing["failed"]["path"], "data.customer.country",
        "{missing}"
    );
    assert_eq!(missing["failed"]["reason"], "it is missing");
    let other = check(json!({"type": "order.paid", "data": {}})).await;
    assert_eq!(other["field"], "events", "{other}");
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
