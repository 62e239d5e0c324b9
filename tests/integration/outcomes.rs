//! What a delivery's attempt ends in besides success: a `Retry-After` that pushes the next
//! attempt later, a webhook deleted or disabled meanwhile, an address the guard refuses, and
//! the Standard Webhooks rules (410 Gone, slow down, redirects), on both backends.

use std::time::Duration;

use hookline::config::Config;
use hookline::delivery::{Deliverer, Outcome};
use hookline::ids::WebhookId;
use hookline::model::AttemptError;
use hookline_client::types;
use hookline_tests::{
    Backend, Harness, Receiver, calls, drain, sqlite, test_config, typed_client, unique,
    webhook_record,
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
    let c = typed_client(&app).await;
    let url = receiver.configure("/gone", &[], &[200], None).await;
    let a = calls::create_webhook(&c, json!({"url": url})).await;
    let b = calls::create_webhook(&c, json!({"url": url})).await;
    let event = json!({"id": "evt-c", "type": "a.b", "data": {}});
    let out = calls::publish(&c, event).await;
    assert_eq!(out.deliveries, 2);
    calls::delete_webhook(&c, &a.id).await;
    calls::patch_webhook(&c, &b.id, json!({"enabled": false})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    assert_eq!(
        drain(&app, &deliverer).await,
        vec![Outcome::Done, Outcome::Done]
    );
    let ev = calls::read_event(&c, &"evt-c").await;
    let mut reasons: Vec<String> = ev
        .deliveries
        .iter()
        .map(|d| {
            assert_eq!(d.status, types::DeliveryStatus::Cancelled);
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

/// 410 Gone disables the webhook at once and keeps its deliveries: they go out once it is
/// enabled again. Every attempt says which rule its answer fell under.
async fn gone_disables_the_webhook_and_keeps_its_deliveries(b: Backend) {
    let name = b.name().replace('+', "-");
    let config = Config {
        retry_interval: Duration::from_secs(2),
        retry_window: Duration::from_secs(60),
        ..test_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/gone-{name}");
    let url = receiver.configure(&path, &[], &[410, 200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let mut events = Vec::new();
    for i in 0..2 {
        events.push(calls::publish(&c, json!({"type": "a.b", "data": {"i": i}})).await);
    }
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    let off = calls::read_webhook(&c, &w.id).await;
    assert!(!off.enabled, "{name}: disabled at once");
    assert_eq!(off.disabled_reason.as_deref(), Some("endpoint_gone"));
    assert_eq!(
        receiver.log_for(&path).await.len(),
        1,
        "{name}: one request"
    );
    let kept = full_deliveries(&c, &events, &w).await;
    assert!(
        kept.iter()
            .all(|d| d.status == types::DeliveryStatus::Pending),
        "{name}: kept, not failed: {kept:#?}"
    );
    let rules: Vec<Option<types::AttemptRule>> = kept
        .iter()
        .flat_map(|d| d.attempts.clone().unwrap())
        .map(|a| a.rule)
        .collect();
    assert_eq!(rules, vec![Some(types::AttemptRule::Gone)], "{name}");
    assert!(
        kept.iter().any(|d| d
            .deferred_reason
            .as_deref()
            .is_some_and(|r| r.contains("410 Gone"))),
        "{name}: the log says why: {kept:#?}"
    );
    // Enabled again: both go out at their next look.
    calls::patch_webhook(&c, &w.id, json!({"enabled": true})).await;
    for _ in 0..3 {
        time.pass(Duration::from_millis(1500)).await;
        drain(&app, &deliverer).await;
    }
    let done = full_deliveries(&c, &events, &w).await;
    assert!(
        done.iter()
            .all(|d| d.status == types::DeliveryStatus::Succeeded),
        "{name}: delivered once enabled: {done:#?}"
    );
    let last: Vec<Option<types::AttemptRule>> = done
        .iter()
        .map(|d| d.attempts.as_ref().unwrap().last().unwrap().rule)
        .collect();
    assert_eq!(last, vec![Some(types::AttemptRule::Delivered); 2], "{name}");
    assert_eq!(receiver.log_for(&path).await.len(), 3, "{name}");
}

/// Each event's one delivery, with its attempts.
async fn full_deliveries(
    c: &hookline_client::Client,
    events: &[types::PublishOut],
    w: &types::WebhookOut,
) -> Vec<types::DeliveryOut> {
    let mut out = Vec::new();
    for e in events {
        let ev = calls::read_event(c, &e.id).await;
        out.push(calls::read_delivery(c, &w.id, &ev.deliveries[0].id).await);
    }
    out
}

/// 502, 503 and 504 are "slow down" like 429: a `Retry-After` they carry is honoured. A 3xx
/// is a failure, never followed.
async fn slow_down_and_redirect_answers_follow_their_rules(b: Backend) {
    let name = b.name().replace('+', "-");
    let config = Config {
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(60),
        ..test_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/slow-{name}");
    let url = receiver
        .configure(&path, &[], &[502, 302, 200], Some(5))
        .await;
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let e = calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    let first = drain(&app, &deliverer).await;
    let Some(Outcome::RetryIn(wait)) = first.first().copied() else {
        panic!("{name}: {first:?}")
    };
    assert!(
        wait >= Duration::from_secs(4),
        "{name}: Retry-After: 5 honoured, got {wait:?}"
    );
    for _ in 0..8 {
        time.pass(Duration::from_secs(2)).await;
        drain(&app, &deliverer).await;
    }
    let d = full_deliveries(&c, &[e], &w).await.remove(0);
    let rules: Vec<Option<types::AttemptRule>> =
        d.attempts.unwrap().iter().map(|a| a.rule).collect();
    assert_eq!(
        rules,
        vec![
            Some(types::AttemptRule::SlowDown),
            Some(types::AttemptRule::Redirect),
            Some(types::AttemptRule::Delivered)
        ],
        "{name}"
    );
    assert_eq!(
        receiver.log_for(&path).await.len(),
        3,
        "{name}: the redirect was not followed"
    );
}

hookline_tests::per_backend!(
    gone_disables_the_webhook_and_keeps_its_deliveries,
    slow_down_and_redirect_answers_follow_their_rules,
);
