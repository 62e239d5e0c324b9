//! What a delivery's attempt ends in besides success: a `Retry-After` that pushes the next
//! attempt later, a webhook deleted or disabled meanwhile, an address the guard refuses.

use std::time::Duration;

use hookline::api::webhooks::WebhookOut;
use hookline::delivery::{Deliverer, Outcome};
use hookline::ids::WebhookId;
use hookline::model::{AttemptError, DeliveryStatus};
use hookline::service::events::PublishOut;
use hookline_tests::{
    Harness, Receiver, client, drain, sqlite, test_config, unique, webhook_record,
};
use serde_json::json;

#[tokio::test]
async fn retry_after_pushes_the_next_attempt_later() {
    let receiver = Receiver::start().await;
    let mut config = test_config();
    config.retry_window = Duration::from_secs(20);
    let h = Harness::start(sqlite(config)).await;
    let url = receiver.configure("/busy", &[], &[429, 200], Some(3)).await;
    h.webhook(&url, json!({})).await;
    let out = h.publish(json!({"type": "a.b", "data": {}})).await;
    h.settled(&out.id, Duration::from_secs(15)).await;
    let got = receiver.log_for("/busy").await;
    assert_eq!(got.len(), 2);
    let gap = got[1].received_at - got[0].received_at;
    assert!(
        gap >= 2.9,
        "Retry-After: 3 delays the retry past the 1 s interval, got {gap:.2}s"
    );
    h.stop().await;
}

#[tokio::test]
async fn deleted_or_disabled_webhooks_cancel_their_deliveries() {
    let receiver = Receiver::start().await;
    let app = sqlite(test_config());
    let (api, key) = client(&app).await;
    let url = receiver.configure("/gone", &[], &[200], None).await;
    let a: WebhookOut = api.post("/v1/webhooks", &key, json!({"url": url})).await;
    let b: WebhookOut = api.post("/v1/webhooks", &key, json!({"url": url})).await;
    let out: PublishOut = api
        .post(
            "/v1/events",
            &key,
            json!({"id": "evt-c", "type": "a.b", "data": {}}),
        )
        .await;
    assert_eq!(out.deliveries, 2);
    let (s, _) = api
        .call(
            "DELETE",
            &format!("/v1/webhooks/{}", a.id),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 204);
    let _: WebhookOut = api
        .ok(
            "PATCH",
            &format!("/v1/webhooks/{}", b.id),
            &key,
            Some(json!({"enabled": false})),
        )
        .await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    assert_eq!(
        drain(&app, &deliverer).await,
        vec![Outcome::Done, Outcome::Done]
    );
    let ev: hookline::api::events::EventOut = api.get("/v1/events/evt-c", &key).await;
    let mut reasons: Vec<String> = ev
        .deliveries
        .iter()
        .map(|d| {
            assert_eq!(d.status, DeliveryStatus::Cancelled);
            d.cancel_reason.clone().unwrap()
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons, vec!["webhook deleted", "webhook disabled"]);
    assert!(
        receiver.log_for("/gone").await.is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn refused_addresses_are_recorded_as_failed_attempts() {
    let mut config = test_config();
    config.allow_private_targets = false;
    let app = sqlite(config);
    let tenant = unique("t");
    let deliverer = Deliverer::new(app.clone()).unwrap();
    // Stored directly: the API already refuses these URLs at creation; the guard is the
    // second line, for names that resolve to a refused address later (DNS changes).
    for url in [
        "https://localhost:9/hook",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://224.0.0.1/",
        "https://0.0.0.0/",
    ] {
        let wh = WebhookId::generate();
        let w = webhook_record(&tenant, &wh, url, &hookline::signing::generate_secret());
        app.store.create_webhook(&w, 100).await.unwrap();
        let out = hookline::service::publish::publish(
            &app,
            &w.tenant_id,
            serde_json::from_value(json!({"type": "a.b", "data": {}})).unwrap(),
            None,
        )
        .await
        .unwrap();
        assert_eq!(out.deliveries, 1);
        let outcomes = drain(&app, &deliverer).await;
        assert!(
            matches!(outcomes[..], [Outcome::RetryIn(_)]),
            "{url}: retried later like any failure: {outcomes:?}"
        );
        let event = app
            .store
            .get_event(&w.tenant_id, &out.id)
            .await
            .unwrap()
            .unwrap();
        let d = app.store.event_deliveries(&event).await.unwrap().remove(0);
        let a = &d.attempts[0];
        assert_eq!(
            a.error_kind,
            Some(AttemptError::BlockedAddress),
            "{url}: {a:?}"
        );
        assert!(
            a.error
                .as_deref()
                .unwrap()
                .contains("not allowed as a webhook target"),
            "{url}: {a:?}"
        );
        assert_eq!(a.status_code, None);
        app.store.delete_webhook(&w.tenant_id, &wh).await.unwrap();
    }
}
