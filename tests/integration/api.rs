//! The subscription API through the real router, on both backends: CRUD, validation, caps,
//! pagination, the event type catalogue, and the auth rules (401 / 403 / 404 across tenants).

use hookline::model::Scope;
use hookline_client::types::{EventBatchIn, EventIn, WebhookIn, WebhookPatchIn};
use hookline_tests::{Api, Backend, body, calls, mint_key, ok, refused, test_config, unique};
use http::StatusCode;
use serde_json::{Value, json};

pub(crate) fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
}

pub(crate) async fn setup(api: &Api) -> (String, String) {
    let tenant = unique("t");
    let key = mint_key(
        &api.app,
        &tenant,
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    (tenant, key)
}

async fn webhook_lifecycle_create_list_read_patch_put_delete(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (tenant, key) = setup(&api).await;
    let c = api.typed(&key).await;
    let created = calls::create_webhook(
        &c,
        json!({
        "url": "https://api.example.com/hooks", "events": ["invoice.*", "order.paid"],
        "description": "billing", "metadata": {"team": "a"}}),
    )
    .await;
    let id = created.id.clone();
    let secret = created.secret.clone();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{name}: full secret at creation: {secret}"
    );
    assert!(created.enabled);
    assert_eq!(created.tenant_id.to_string(), tenant);
    assert!(created.account_ids.is_empty());
    assert!(created.last_triggered_at.is_none());

    let got = ok(c.webhooks_read().id(id.clone()).send()).await;
    let masked = got.secret.clone();
    assert!(
        masked.ends_with(&secret[secret.len() - 4..]) && !masked.contains(&secret[6..30]),
        "{name}: masked {masked}"
    );
    assert_eq!(got.events, ["invoice.*", "order.paid"]);

    let list = ok(c.webhooks_list().send()).await;
    assert_eq!(list.data.len(), 1, "{name}");
    assert_eq!(list.data[0].secret, masked);
    assert!(!list.has_more);

    // PATCH changes only what it names.
    let patched = ok(c
        .webhooks_patch()
        .id(id.clone())
        .body(body::<WebhookPatchIn>(json!({"enabled": false})))
        .send())
    .await;
    assert!(!patched.enabled);
    assert_eq!(patched.description.as_deref(), Some("billing"));
    assert_eq!(patched.events, ["invoice.*", "order.paid"]);
    assert_ne!(patched.updated_at, created.updated_at);

    // PUT replaces; a missing `enabled` keeps its value, other missing fields reset.
    let put = ok(c
        .webhooks_put()
        .id(id.clone())
        .body(body::<WebhookIn>(
            json!({"url": "https://hooks.example.org/v2"}),
        ))
        .send())
    .await;
    assert_eq!(put.url, "https://hooks.example.org/v2");
    assert!(!put.enabled);
    assert!(put.description.is_none());
    assert!(put.events.is_empty());
    assert!(put.metadata.is_empty());
    assert_eq!(put.secret, masked, "{name}: the secret survives updates");
    // A body the contract allows (WebhookIn's `url` is required) is not sent by the typed
    // client: the raw call checks the API's own refusal.
    let k = Some(key.as_str());
    let (s, e) = api
        .call(
            "PUT",
            &format!("/v1/webhooks/{id}"),
            k,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_error(
        &(s, e),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    ok(c.webhooks_delete().id(id.clone()).send()).await;
    for (status, e) in [
        refused(c.webhooks_read().id(id.clone()).send()).await,
        refused(c.webhooks_delete().id(id.clone()).send()).await,
        refused(
            c.webhooks_patch()
                .id(id.clone())
                .body(body::<WebhookPatchIn>(json!({"enabled": true})))
                .send(),
        )
        .await,
    ] {
        assert_eq!(
            (status, e.error.code.as_str()),
            (404, "not_found"),
            "{name}"
        );
        assert!(!e.error.message.is_empty());
    }
}

async fn auth_rules_401_403_404_across_tenants(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (tenant_a, key_a) = setup(&api).await;
    let (_tenant_b, key_b) = setup(&api).await;
    let (a, b_) = (api.typed(&key_a).await, api.typed(&key_b).await);
    let reader = mint_key(&api.app, &tenant_a, &[Scope::WebhooksRead]).await;
    let reader_c = api.typed(&reader).await;
    let publisher = api
        .typed(&mint_key(&api.app, &tenant_a, &[Scope::EventsPublish]).await)
        .await;
    let admin = api
        .typed(&mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await)
        .await;
    let hook = |u: &str| body::<WebhookIn>(json!({"url": format!("https://a.example.com/{u}")}));
    let wh = ok(a.webhooks_create().body(hook("h")).send()).await;
    let id = wh.id.clone();
    let code = |e: (u16, hookline_client::types::ErrorOut)| (e.0, e.1.error.code);

    // No key, or one that is not a key: 401. (No key at all: the raw call sends none.)
    let (s, e) = api.call("GET", "/v1/webhooks", None, None).await;
    assert_error(&(s, e), StatusCode::UNAUTHORIZED, "unauthorized");
    let stranger = api.typed("hl_not_a_key").await;
    assert_eq!(
        code(refused(stranger.webhooks_list().send()).await),
        (401, "unauthorized".into())
    );
    // `X-API-Key` is accepted too (a header the typed client does not send).
    let (s, _) = api
        .call_raw(
            "GET",
            &format!("/v1/webhooks/{id}"),
            None,
            None,
            &[("x-api-key", &key_a)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{name}: X-API-Key is accepted");

    let denied = refused(reader_c.webhooks_create().body(hook("x")).send()).await;
    assert_eq!(
        (
            denied.0,
            denied.1.error.code.as_str(),
            denied.1.error.required_scope.as_deref()
        ),
        (403, "forbidden", Some("webhooks:write"))
    );
    ok(reader_c.webhooks_read().id(id.clone()).send()).await;
    assert_eq!(
        code(refused(publisher.webhooks_list().send()).await),
        (403, "forbidden".into())
    );
    let event = body::<EventIn>(json!({"type": "a.b", "data": {}}));
    assert_eq!(
        code(refused(reader_c.events_create().body(event).send()).await),
        (403, "forbidden".into())
    );

    // Another tenant's id is not found, whatever the method; its listing does not show it.
    let patch = body::<WebhookPatchIn>(json!({"enabled": false}));
    for (what, e) in [
        (
            "GET",
            refused(b_.webhooks_read().id(id.clone()).send()).await,
        ),
        (
            "DELETE",
            refused(b_.webhooks_delete().id(id.clone()).send()).await,
        ),
        (
            "PATCH",
            refused(b_.webhooks_patch().id(id.clone()).body(patch).send()).await,
        ),
    ] {
        assert_eq!(code(e), (404, "not_found".into()), "{name}: {what}");
    }
    assert!(ok(b_.webhooks_list().send()).await.data.is_empty());
    assert!(
        ok(a.webhooks_read().id(id.clone()).send()).await.enabled,
        "{name}: untouched by tenant B"
    );

    // Only admin keys may name another tenant.
    assert_eq!(
        code(
            refused(
                b_.webhooks_read()
                    .id(id.clone())
                    .tenant_id(tenant_a.clone())
                    .send()
            )
            .await
        ),
        (403, "forbidden".into())
    );
    ok(admin
        .webhooks_read()
        .id(id.clone())
        .tenant_id(tenant_a.clone())
        .send())
    .await;
    // An admin acts on a listed webhook by its id alone, in the webhook's tenant.
    let got = ok(admin.webhooks_read().id(id.clone()).send()).await;
    assert_eq!(got.tenant_id, wh.tenant_id, "{name}");

    // A revoked key stops working.
    let mut rec = api
        .app
        .store
        .get_key(&hookline::ids::ApiKeyId::from_hash(
            &hookline::auth::api_key::hash_key(&reader),
        ))
        .await
        .unwrap()
        .unwrap();
    rec.revoked_at = Some(chrono::Utc::now());
    api.app.store.put_key(&rec).await.unwrap();
    assert_eq!(
        code(refused(reader_c.webhooks_read().id(id.clone()).send()).await),
        (401, "unauthorized".into())
    );
}

/// Every answer carries a request id: the caller's own `x-request-id`, or one made for it.
#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let api = Api::new(hookline_tests::sqlite(test_config()));
    let (s, headers, _) = api.call_full("GET", "/health", None, None, &[]).await;
    assert_eq!(s, StatusCode::OK);
    let made = headers["x-request-id"].to_str().unwrap();
    assert!(made.starts_with("req_") && made.len() > 20, "{made}");
    let (s, headers, _) = api
        .call_full(
            "GET",
            "/v1/webhooks",
            None,
            None,
            &[("x-request-id", "abc-123")],
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["x-request-id"], "abc-123", "errors carry it too");
}

/// `POST /v1/events/batch`: each event published or refused on its own, one result per
/// event in order, idempotent per event id; every published event is delivered.
async fn batch_publish_answers_each_event_and_delivers_them(b: Backend) {
    use std::time::Duration;
    let receiver = hookline_tests::Receiver::start().await;
    let h = hookline_tests::Harness::start(b.app(test_config()).await).await;
    let c = hookline_client::connect(&h.base(), &h.key).unwrap();
    let url = receiver.configure("/batch", &[], &[200], None).await;
    h.webhook(&url, json!({"events": ["order.*"]})).await;
    let batch = || {
        body::<EventBatchIn>(json!({"events": [
            {"id": "evt_b1", "type": "order.paid", "data": {"n": 1}},
            {"type": "not a type", "data": {}},
            {"id": "evt_b3", "type": "order.paid", "data": {"n": 3}},
            {"id": "evt_b4", "type": "invoice.paid", "data": {"n": 4}},
        ]}))
    };
    let answered = c.events_create_batch().body(batch()).send().await.unwrap();
    assert_eq!(answered.status().as_u16(), 202);
    let r = answered.into_inner().data;
    assert_eq!(r.len(), 4);
    assert_eq!(
        (
            r[0].index,
            r[0].id.as_ref().map(|i| i.to_string()),
            r[0].deliveries
        ),
        (0, Some("evt_b1".into()), Some(1))
    );
    let refused_one = r[1].error.as_ref().expect("the second is refused");
    assert_eq!(
        (refused_one.code.as_str(), refused_one.field.as_deref()),
        ("validation_failed", Some("type"))
    );
    assert!(r[1].id.is_none());
    assert_eq!(
        (r[2].id.as_ref().map(|i| i.to_string()), r[2].replayed),
        (Some("evt_b3".into()), Some(false))
    );
    assert_eq!(r[3].deliveries, Some(0), "no webhook takes invoice.*");
    receiver
        .wait_for("/batch", 2, Duration::from_secs(20))
        .await;

    // The same batch again: the published ones replay, nothing is sent twice.
    let again = ok(c.events_create_batch().body(batch()).send()).await.data;
    assert_eq!(
        (again[0].replayed, again[2].replayed),
        (Some(true), Some(true))
    );
    // A replay queues nothing: each event still has its one delivery, attempted once.
    for id in ["evt_b1", "evt_b3"] {
        let ds = h.settled(&id, Duration::from_secs(10)).await;
        assert_eq!(ds.len(), 1, "{id}");
        assert_eq!(ds[0].attempt_count, 1, "{id}");
    }
    assert_eq!(receiver.log_for("/batch").await.len(), 2);

    // An empty batch, or one over 100, is refused as a whole.
    for n in [0, 101] {
        let events: Vec<Value> = (0..n)
            .map(|i| json!({"type": "order.paid", "data": {"i": i}}))
            .collect();
        let (status, e) = refused(
            c.events_create_batch()
                .body(body::<EventBatchIn>(json!({"events": events})))
                .send(),
        )
        .await;
        assert_eq!(
            (status, e.error.field.as_deref()),
            (422, Some("events")),
            "{n}: {e:?}"
        );
    }
    h.stop().await;
}

hookline_tests::per_backend!(
    batch_publish_answers_each_event_and_delivers_them,
    webhook_lifecycle_create_list_read_patch_put_delete,
    auth_rules_401_403_404_across_tenants,
);

/// The contract is served at `/openapi.json` without a key, and is the committed `openapi.json`
/// (regenerate it with `HOOKLINE_UPDATE_OPENAPI=1 cargo test -p hookline-tests openapi`).
#[tokio::test]
async fn the_served_openapi_is_the_committed_one() {
    let generated = hookline::api::openapi::json();
    let file = hookline_tests::root().join("openapi.json");
    if std::env::var("HOOKLINE_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&file, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&file).expect("openapi.json is committed");
    assert_eq!(
        committed.trim_end(),
        generated,
        "openapi.json is stale: run HOOKLINE_UPDATE_OPENAPI=1 cargo test -p hookline-tests openapi"
    );
    let app = hookline_tests::sqlite(hookline_tests::test_config());
    let api = hookline_tests::Api::new(app);
    let (status, served) = api.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, serde_json::from_str::<Value>(&generated).unwrap());
    // Every route of the router is in it.
    let paths = served["paths"].as_object().unwrap();
    for p in [
        "/v1/webhooks",
        "/v1/webhooks/{id}",
        "/v1/webhooks/{id}/rotate-secret",
        "/v1/webhooks/{id}/test",
        "/v1/webhooks/{id}/stats",
        "/v1/webhooks/{id}/deliveries",
        "/v1/webhooks/{id}/deliveries/{delivery_id}",
        "/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
        "/v1/webhooks/{id}/recover",
        "/v1/event-types",
        "/v1/event-types/{name}",
        "/v1/events",
        "/v1/events/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} is missing from the contract");
    }
}
