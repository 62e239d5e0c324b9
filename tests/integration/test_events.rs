//! Test events: sent to the one webhook named, signed and logged like any delivery. Through
//! the generated client.

use std::time::Duration;

use hookline_client::types::{EventTypeIn, TestIn};
use hookline_tests::{Backend, Harness, Receiver, body, eventually, ok, refused, test_config};
use serde_json::json;

async fn test_events_go_to_one_webhook_only(b: Backend) {
    use hookline_client::types::DeliveryStatus;
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let c = hookline_client::connect(&h.base(), &h.key).unwrap();
    let (pa, pb) = (format!("/test-a-{name}"), format!("/test-b-{name}"));
    let (wa, secret) = h
        .webhook(&receiver.configure(&pa, &[], &[200], None).await, json!({}))
        .await;
    receiver.configure(&pa, &[&secret], &[200], None).await;
    h.webhook(&receiver.configure(&pb, &[], &[200], None).await, json!({}))
        .await;
    let test = |event_type: Option<&str>| {
        let sample = event_type.map(|t| body::<TestIn>(json!({"event_type": t})));
        c.webhooks_send_test()
            .id(wa.to_string())
            .body(sample)
            .send()
    };
    let sent = test(None).await.unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    let t = sent.into_inner();
    assert_eq!(t.event_type, "webhook.test", "{name}: {t:?}");
    let first_event = t.event_id.to_string();
    let d = eventually(
        "the test delivery to succeed",
        Duration::from_secs(20),
        || async {
            let d = ok(c
                .deliveries_read()
                .id(wa.to_string())
                .delivery_id(t.delivery_id.clone())
                .send())
            .await;
            (d.status != DeliveryStatus::Pending).then_some(d)
        },
    )
    .await;
    assert_eq!((d.status, d.attempt_count), (DeliveryStatus::Succeeded, 1));
    let got = receiver.wait_for(&pa, 1, Duration::from_secs(10)).await;
    let payload = got[0].json();
    assert_eq!(
        (
            payload["type"].clone(),
            payload["data"]["webhook_id"].clone()
        ),
        (json!("webhook.test"), json!(wa))
    );
    assert_eq!(got[0].verified_by, [0]);

    // A chosen catalogue type carries its example payload.
    ok(c.event_types_create()
        .body(body::<EventTypeIn>(
            json!({"name": "invoice.created", "example": {"invoice_id": "inv_example"}}),
        ))
        .send())
    .await;
    let second_event = ok(test(Some("invoice.created"))).await.event_id.to_string();
    let got = receiver.wait_for(&pa, 2, Duration::from_secs(10)).await;
    let payload = got[1].json();
    assert_eq!(
        (payload["type"].clone(), payload["data"].clone()),
        (
            json!("invoice.created"),
            json!({"invoice_id": "inv_example"})
        ),
        "{name}"
    );
    let (s, e) = refused(test(Some("nope.nope"))).await;
    assert_eq!((s, e.error.field.as_deref()), (422, Some("event_type")));
    // Each test event was recorded with one delivery, to the webhook it named: nothing was
    // queued for the other.
    for event_id in [&first_event, &second_event] {
        let ev = ok(c.events_read().id(event_id.clone()).send()).await;
        let to: Vec<String> = ev
            .deliveries
            .iter()
            .map(|d| d.webhook_id.to_string())
            .collect();
        assert_eq!(to, [wa.to_string()], "{name}: {ev:?}");
    }
    assert!(
        receiver.log_for(&pb).await.is_empty(),
        "{name}: the other webhook got nothing"
    );
    h.stop().await;
}

hookline_tests::per_backend!(test_events_go_to_one_webhook_only,);
