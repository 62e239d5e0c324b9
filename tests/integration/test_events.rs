//! Test events: sent to the one webhook named, signed and logged like any delivery.

use std::time::Duration;

use super::operations::wait_delivery;
use hookline_tests::{Backend, Harness, Receiver, test_config};
use serde_json::json;

async fn test_events_go_to_one_webhook_only(b: Backend) {
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let (pa, pb) = (format!("/test-a-{name}"), format!("/test-b-{name}"));
    let (wa, secret) = h
        .webhook(&receiver.configure(&pa, &[], &[200], None).await, json!({}))
        .await;
    receiver.configure(&pa, &[&secret], &[200], None).await;
    h.webhook(&receiver.configure(&pb, &[], &[200], None).await, json!({}))
        .await;
    let k = Some(h.key.as_str());
    let (s, t) = h
        .api
        .call("POST", &format!("/v1/webhooks/{wa}/test"), k, None)
        .await;
    assert_eq!(
        (s.as_u16(), t["event_type"].clone()),
        (202, json!("webhook.test")),
        "{name}: {t}"
    );
    let first_event = t["event_id"].as_str().unwrap().to_string();
    let d = wait_delivery(&h, &wa, t["delivery_id"].as_str().unwrap(), 1).await;
    assert_eq!(d["status"], "succeeded");
    let got = receiver.wait_for(&pa, 1, Duration::from_secs(10)).await;
    let body = got[0].json();
    assert_eq!(
        (body["type"].clone(), body["data"]["webhook_id"].clone()),
        (json!("webhook.test"), json!(wa))
    );
    assert_eq!(got[0].verified_by, [0]);

    // A chosen catalogue type carries its example payload.
    h.api
        .call(
            "POST",
            "/v1/event-types",
            k,
            Some(json!({"name": "invoice.created", "example": {"invoice_id": "inv_example"}})),
        )
        .await;
    let (s, t) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wa}/test"),
            k,
            Some(json!({"event_type": "invoice.created"})),
        )
        .await;
    assert_eq!(s.as_u16(), 202, "{t}");
    let second_event = t["event_id"].as_str().unwrap().to_string();
    let got = receiver.wait_for(&pa, 2, Duration::from_secs(10)).await;
    let body = got[1].json();
    assert_eq!(
        (body["type"].clone(), body["data"].clone()),
        (
            json!("invoice.created"),
            json!({"invoice_id": "inv_example"})
        ),
        "{name}"
    );
    let (s, e) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wa}/test"),
            k,
            Some(json!({"event_type": "nope.nope"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("event_type"))
    );
    // Each test event was recorded with one delivery, to the webhook it named: nothing was
    // queued for the other.
    for event_id in [&first_event, &second_event] {
        let (s, ev) = h
            .api
            .call("GET", &format!("/v1/events/{event_id}"), k, None)
            .await;
        assert_eq!(s.as_u16(), 200, "{name}: {ev}");
        let to: Vec<&serde_json::Value> = ev["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["webhook_id"])
            .collect();
        assert_eq!(to, [&json!(wa)], "{name}: {ev}");
    }
    assert!(
        receiver.log_for(&pb).await.is_empty(),
        "{name}: the other webhook got nothing"
    );
    h.stop().await;
}

hookline_tests::per_backend!(test_events_go_to_one_webhook_only,);
