//! Operational events (`hookline.*`), on both backends: what the platform and its customers
//! hear about their webhooks, through the same engine as any event, into the tenant concerned
//! and into the operator tenant; never through `*`; never about their own deliveries.

use std::collections::BTreeMap;
use std::time::Duration;

use hookline::config::Config;
use hookline::delivery::Deliverer;
use hookline::model::Scope;
use hookline_client::types;
use hookline_tests::{
    Backend, Receiver, body, calls, client, drain, mint_key, ok, refused, tenant_of, test_config,
    typed_client,
};
use serde_json::{Value, json};

/// Breaker threshold 2 (a run of two failures is "failing"), one-second open period, and the
/// test schedule: attempts at 0, 1 and 2 s.
fn config() -> Config {
    Config {
        breaker_threshold: 2,
        breaker_open: Duration::from_secs(1),
        ..test_config()
    }
}

/// The request bodies `path` received, as (type, data).
async fn received(receiver: &Receiver, path: &str) -> Vec<(String, Value)> {
    receiver
        .log_for(path)
        .await
        .into_iter()
        .map(|d| {
            let body: Value = serde_json::from_str(d.body.as_deref().unwrap()).unwrap();
            (body["type"].as_str().unwrap().to_string(), body)
        })
        .collect()
}

/// How many of each (type, webhook id) arrived.
fn tally(got: &[(String, Value)]) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for (t, body) in got {
        let wh = body["data"]["webhook_id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        *out.entry((t.clone(), wh)).or_default() += 1;
    }
    out
}

async fn webhook_and_delivery_events_reach_tenant_and_operator(b: Backend) {
    let name = b.name().replace('+', "-");
    // Attempts at 0, 2 and 4 s: on a loaded emulator the first attempt may come a second or
    // more after the publish, and a window of 2 s would make it the last call.
    let config = Config {
        retry_interval: Duration::from_secs(2),
        retry_window: Duration::from_secs(4),
        ..config()
    };
    let (app, time) = b.app_and_time(config).await;
    let (api, key) = client(&app).await;
    let tenant = tenant_of(&app, &key).await;
    let operator = mint_key(&app, "operator", &[Scope::WebhooksWrite]).await;
    let (c, op) = (api.typed(&key).await, api.typed(&operator).await);
    let receiver = Receiver::start().await;
    let path = |p: &str| format!("/{p}-{name}");
    let url = |p: &str| {
        let (r, p) = (&receiver, path(p));
        async move { r.configure(&p, &[], &[200], None).await }
    };

    // The platform's operational endpoint in the operator tenant, and the tenant's own.
    let platform = calls::create_webhook(&op, json!({"url": url("platform").await, "events": ["hookline.webhook.*", "hookline.delivery.*"]})).await;
    let ops = calls::create_webhook(
        &c,
        json!({"url": url("ops").await, "events": ["hookline.*"]}),
    )
    .await;
    // A webhook that wants every event (`*` by an empty filter) hears none of these.
    let all = calls::create_webhook(&c, json!({"url": url("all").await})).await;
    let flaky_url = receiver
        .configure(&path("flaky"), &[], &[500, 500, 200], None)
        .await;
    let flaky = calls::create_webhook(&c, json!({"url": flaky_url, "events": ["a.b"]})).await;
    let dead_url = receiver.configure(&path("dead"), &[], &[500], None).await;
    let dead = calls::create_webhook(&c, json!({"url": dead_url, "events": ["a.b"]})).await;
    let published = calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    assert_eq!(published.deliveries, 3, "{name}: all, flaky and dead");

    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    for patch in [
        json!({"enabled": false}),
        json!({"enabled": true}),
        json!({"description": "renamed"}),
    ] {
        calls::patch_webhook(&c, &all.id, patch).await;
    }
    calls::delete_webhook(&c, &all.id).await;
    for _ in 0..14 {
        time.pass(Duration::from_millis(600)).await;
        drain(&app, &deliverer).await;
    }

    // The customer's endpoint that takes everything got the one event, nothing else.
    let got_all = received(&receiver, &path("all")).await;
    assert_eq!(
        got_all.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        vec!["a.b"],
        "{name}"
    );
    let want = |extra: &[(&str, &str)]| -> BTreeMap<(String, String), usize> {
        let mut m = BTreeMap::new();
        let base = [
            ("hookline.webhook.created", ops.id.as_str()),
            ("hookline.webhook.created", all.id.as_str()),
            ("hookline.webhook.created", flaky.id.as_str()),
            ("hookline.webhook.created", dead.id.as_str()),
            ("hookline.webhook.disabled", all.id.as_str()),
            ("hookline.webhook.enabled", all.id.as_str()),
            ("hookline.webhook.updated", all.id.as_str()),
            ("hookline.webhook.deleted", all.id.as_str()),
            ("hookline.delivery.failing", flaky.id.as_str()),
            ("hookline.delivery.recovered", flaky.id.as_str()),
            ("hookline.delivery.failing", dead.id.as_str()),
            ("hookline.delivery.failed", dead.id.as_str()),
        ];
        for (t, w) in base.iter().chain(extra) {
            *m.entry((t.to_string(), w.to_string())).or_default() += 1;
        }
        m
    };
    let to_tenant = received(&receiver, &path("ops")).await;
    assert_eq!(
        tally(&to_tenant),
        want(&[]),
        "{name}: the tenant's endpoint"
    );
    let to_platform = received(&receiver, &path("platform")).await;
    assert_eq!(
        tally(&to_platform),
        want(&[("hookline.webhook.created", platform.id.as_str())]),
        "{name}: the operator's endpoint hears every tenant's, and its own"
    );
    for (t, body) in &to_platform {
        let d = &body["data"];
        let owner = match d["webhook_id"] == json!(platform.id) {
            true => "operator",
            false => tenant.base(),
        };
        assert_eq!(d["tenant_id"], json!(owner), "{name}: {t}");
        assert_eq!(d["account_type"], json!("live"), "{name}: {t}");
    }

    // The data names the delivery and event, and a failure carries its last attempt.
    let (_, failed) = to_tenant
        .iter()
        .find(|(t, _)| t == "hookline.delivery.failed")
        .unwrap();
    let d = &failed["data"];
    assert_eq!(d["event_id"], json!(published.id), "{name}");
    assert_eq!(d["event_type"], "a.b");
    assert_eq!(d["attempts"], 3, "{name}: {d}");
    assert_eq!(d["last_attempt"]["status_code"], 500, "{name}: {d}");
    assert!(d["delivery_id"].as_str().unwrap().starts_with("del_"));
    let (_, disabled) = to_tenant
        .iter()
        .find(|(t, _)| t == "hookline.webhook.disabled")
        .unwrap();
    assert!(disabled["data"].get("reason").is_some(), "{name}");
    assert!(
        !disabled.to_string().contains("whsec_"),
        "{name}: no secret in an operational event"
    );

    // Through the engine like any event: in the tenant's log, delivered, signed.
    let ev = calls::read_event(&c, &failed["id"].as_str().unwrap()).await;
    assert_eq!(ev.type_, "hookline.delivery.failed");
    assert_eq!(ev.deliveries.len(), 1);
    assert_eq!(
        ev.deliveries[0].status,
        types::DeliveryStatus::Succeeded,
        "{name}"
    );
    assert!(
        receiver
            .log_for(&path("ops"))
            .await
            .iter()
            .all(|r| r.signature.as_deref().is_some_and(|s| s.starts_with("v1,"))),
        "{name}: signed"
    );
}

/// An operational endpoint that fails is retried like any other, but its failures announce
/// nothing (no loop), and the customer's own deliveries go out as before.
async fn an_operational_endpoint_that_fails_feeds_nothing(b: Backend) {
    let name = b.name().replace('+', "-");
    let (app, time) = b.app_and_time(config()).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let ops_path = format!("/ops-dead-{name}");
    let ops_url = receiver.configure(&ops_path, &[], &[500], None).await;
    calls::create_webhook(&c, json!({"url": ops_url, "events": ["hookline.*"]})).await;
    let ok_path = format!("/customer-{name}");
    let ok_url = receiver.configure(&ok_path, &[], &[200], None).await;
    calls::create_webhook(&c, json!({"url": ok_url, "events": ["a.b"]})).await;
    calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    assert_eq!(
        receiver.log_for(&ok_path).await.len(),
        1,
        "{name}: the customer's delivery went out at once"
    );
    for _ in 0..6 {
        time.pass(Duration::from_millis(600)).await;
        drain(&app, &deliverer).await;
    }
    let got = received(&receiver, &ops_path).await;
    assert!(got.len() >= 2, "{name}: both were tried: {got:?}");
    let types: std::collections::BTreeSet<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["hookline.webhook.created"].into_iter().collect(),
        "{name}: its own failures announced nothing"
    );
}

/// The reserved names: no publisher, catalogue entry or filter may misuse them; the built-in
/// types are in the catalogue with schemas and examples, and a test event can send one.
async fn the_reserved_prefix_is_hooklines(b: Backend) {
    let name = b.name();
    let app = b.app(test_config()).await;
    let (api, key) = client(&app).await;
    let admin = mint_key(&app, "ops-admin", &[Scope::Admin]).await;
    let (c, admin) = (api.typed(&key).await, api.typed(&admin).await);
    let event = body::<types::EventIn>(json!({"type": "hookline.webhook.created", "data": {}}));
    let (s, e) = refused(c.events_create().body(event).send()).await;
    assert_eq!((s, e.error.code.as_str()), (422, "validation_failed"));
    assert_eq!(e.error.field.as_deref(), Some("type"), "{name}");
    let mine = body::<types::EventTypeIn>(json!({"name": "hookline.mine"}));
    let (s, e) = refused(admin.event_types_create().body(mine).send()).await;
    assert_eq!((s, e.error.code.as_str()), (422, "validation_failed"));
    assert_eq!(e.error.field.as_deref(), Some("name"), "{name}");
    let built_in = admin
        .event_types_patch()
        .name("hookline.delivery.failed".to_string());
    let patch = body::<types::EventTypePatchIn>(json!({"description": "x"}));
    let (s, e) = refused(built_in.body(patch).send()).await;
    assert_eq!((s, e.error.code.as_str()), (409, "event_type_built_in"));
    let webhook = json!({"url": "https://a.example.com/", "events": ["hookline.nothing"]});
    let webhook = body::<types::WebhookIn>(webhook);
    let (s, e) = refused(c.webhooks_create().body(webhook).send()).await;
    assert_eq!((s, e.error.code.as_str()), (422, "validation_failed"));
    assert_eq!(e.error.field.as_deref(), Some("events"), "{name}");

    let list = ok(c.event_types_list().send()).await;
    let failed = list
        .data
        .iter()
        .find(|t| t.name == "hookline.delivery.failed")
        .expect("built in");
    let failed = serde_json::to_value(failed).unwrap();
    assert_eq!(
        failed["schema"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| ["webhook_id", "delivery_id", "event_id"].contains(&r.as_str().unwrap()))
            .count(),
        3,
        "{name}: {failed}"
    );
    assert!(failed["example"]["last_attempt"].is_object(), "{name}");

    // A test event of a built-in type carries its example, so a receiver can be tried out.
    let receiver = Receiver::start().await;
    let url = receiver.configure("/try", &[], &[200], None).await;
    let w = calls::create_webhook(&c, json!({"url": url, "events": ["hookline.delivery.*"]})).await;
    let test = body::<types::TestIn>(json!({"event_type": "hookline.delivery.failed"}));
    ok(c.webhooks_send_test()
        .id(w.id.to_string())
        .body(test)
        .send())
    .await;
    let deliverer = Deliverer::new(app.clone()).unwrap();
    drain(&app, &deliverer).await;
    let got = received(&receiver, "/try").await;
    assert_eq!(got.len(), 1, "{name}");
    assert_eq!(got[0].1["data"]["last_attempt"]["status_code"], 500);
}

hookline_tests::per_backend!(
    webhook_and_delivery_events_reach_tenant_and_operator,
    an_operational_endpoint_that_fails_feeds_nothing,
    the_reserved_prefix_is_hooklines,
);
