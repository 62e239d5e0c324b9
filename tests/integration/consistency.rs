//! API consistency that seed platforms rely on: `PUT` keeps an omitted account filter, a
//! catalogue type in use is not deleted from under its webhooks (and those webhooks can always
//! be paused or rotated), an admin acts on any listed webhook by id, and `PUT` to an unknown id
//! creates the webhook with it; every invalid field of a body is reported.

use hookline::ids::WebhookId;
use hookline::model::Scope;
use hookline_client::types::{EventIn, EventTypeIn, RotateSecretIn, WebhookIn, WebhookPatchIn};
use hookline_tests::{Api, Backend, body, calls, mint_key, ok, refused, test_config, unique};
use serde_json::{Value, json};

async fn put_keeps_an_omitted_account_filter_and_creates_an_unknown_id(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let c = api
        .typed(&mint_key(&app, &unique("c"), &[Scope::WebhooksWrite]).await)
        .await;
    let w = calls::create_webhook(
        &c,
        json!({"url": "https://hooks.example.com/a", "account_ids": ["acc_1"]}),
    )
    .await;
    let put = |id: String, w: Value| c.webhooks_put().id(id).body(body::<WebhookIn>(w)).send();
    let v = ok(put(
        w.id.to_string(),
        json!({"url": "https://hooks.example.com/b"}),
    ))
    .await;
    assert_eq!(
        v.account_ids,
        ["acc_1"],
        "omitted: kept, not widened to every account"
    );
    assert_eq!(v.url, "https://hooks.example.com/b");
    let v = ok(put(
        w.id.to_string(),
        json!({"url": "https://hooks.example.com/b", "account_ids": []}),
    ))
    .await;
    assert!(v.account_ids.is_empty(), "an explicit [] clears it");

    // Upsert: a PUT to an id nobody has creates the webhook with it (201, secret shown once).
    let id = WebhookId::generate().to_string();
    let created = put(id.clone(), json!({"url": "https://hooks.example.com/c"}))
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner();
    assert_eq!(created.id.to_string(), id);
    assert!(!created.secret.contains('*'), "{created:?}");
    let again = put(id.clone(), json!({"url": "https://hooks.example.com/d"}))
        .await
        .unwrap();
    assert_eq!(
        (again.status().as_u16(), again.into_inner().url),
        (200, "https://hooks.example.com/d".to_string())
    );
}

async fn an_event_type_in_use_is_not_deleted_from_under_its_webhooks(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("c");
    let admin = api
        .typed(&mint_key(&app, &tenant, &[Scope::Admin]).await)
        .await;
    let c = api
        .typed(&mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await)
        .await;
    let (paid, refunded) = (unique("order.paid"), unique("order.refunded"));
    for name in [&paid, &refunded] {
        let t = body::<EventTypeIn>(json!({"name": name}));
        ok(admin.event_types_create().body(t).send()).await;
    }
    let create = |w: Value| c.webhooks_create().body(body::<WebhookIn>(w)).send();
    let only = ok(create(
        json!({"url": "https://hooks.example.com/only", "events": [paid]}),
    ))
    .await;
    let both = ok(create(
        json!({"url": "https://hooks.example.com/both", "events": [paid, refunded]}),
    ))
    .await;
    let (only_id, both_id) = (only.id.to_string(), both.id.to_string());

    // In use: 409 naming the webhooks; nothing deleted.
    let delete = |force: bool| {
        admin
            .event_types_delete()
            .name(paid.clone())
            .force(force)
            .send()
    };
    let (s, e) = refused(delete(false)).await;
    assert_eq!(
        (s, e.error.code.as_str()),
        (409, "event_type_in_use"),
        "{e:?}"
    );
    let message = &e.error.message;
    assert!(
        message.contains(&only_id) && message.contains(&both_id),
        "{message}"
    );
    ok(admin.event_types_read().name(paid.clone()).send()).await;

    // Forced: unsubscribed; the one left with nothing is paused, not widened to every event.
    let deleted = delete(true).await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let v = ok(c.webhooks_read().id(both_id.clone()).send()).await;
    assert_eq!(v.events, [refunded]);
    assert!(v.enabled);
    let v = ok(c.webhooks_read().id(only_id.clone()).send()).await;
    assert!(!v.enabled, "{v:?}");
    assert!(
        v.disabled_reason.as_deref().unwrap().contains(&paid),
        "{v:?}"
    );

    // A webhook still naming the deleted type can be changed in every other way, and its
    // secret rotated (after a leak above all).
    let patch = |id: &str, p: Value| {
        c.webhooks_patch()
            .id(id.to_string())
            .body(body::<WebhookPatchIn>(p))
            .send()
    };
    ok(patch(&only_id, json!({"description": "legacy"}))).await;
    ok(patch(&only_id, json!({"enabled": false}))).await;
    let rotate = c.webhooks_rotate_secret().id(only_id.clone());
    ok(rotate.body(body::<RotateSecretIn>(json!({}))).send()).await;
    // Naming the deleted type anew is still refused.
    let (s, _) = refused(patch(&both_id, json!({"events": [paid]}))).await;
    assert_eq!(s, 422);
}

async fn an_admin_acts_on_any_listed_webhook_by_id(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let admin = api
        .typed(&mint_key(&app, &unique("ops"), &[Scope::Admin]).await)
        .await;
    let c = api
        .typed(&mint_key(&app, &unique("c"), &[Scope::WebhooksWrite]).await)
        .await;
    let w = calls::create_webhook(&c, json!({"url": "https://hooks.example.com/x"})).await;
    let listed = ok(admin.webhooks_list().limit(100u64).send()).await;
    assert!(listed.data.iter().any(|x| x.id == w.id), "{listed:?}");
    let v = ok(admin.webhooks_read().id(w.id.clone()).send()).await;
    assert_eq!(v.tenant_id, w.tenant_id);
    let v = ok(admin
        .webhooks_patch()
        .id(w.id.clone())
        .body(body::<WebhookPatchIn>(json!({"enabled": false})))
        .send())
    .await;
    assert!(!v.enabled);
    ok(admin.deliveries_list().id(w.id.clone()).send()).await;
    let deleted = admin
        .webhooks_delete()
        .id(w.id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let gone = refused(c.webhooks_read().id(w.id.clone()).send()).await;
    assert_eq!(gone.0, 404, "deleted in its own tenant");
}

/// A body with several bad fields hears of every one (the first also as `field`).
async fn every_invalid_field_is_reported(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let key = mint_key(
        &app,
        &unique("c"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    let body = json!({
        "url": "ftp://hooks.example.com/a",
        "description": "x".repeat(1001),
        "account_ids": ["not valid!"],
    });
    let (s, v) = api
        .call("POST", "/v1/webhooks", Some(&key), Some(body))
        .await;
    assert_eq!(s, 422, "{v}");
    let e = &v["error"];
    assert_eq!(e["code"], "validation_failed");
    assert_eq!(e["field"], "url");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["url", "description", "account_ids"], "{v}");
    assert!(
        e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["code"] == "invalid" && x["message"].is_string())
    );
    let list = ok(api.typed(&key).await.webhooks_list().send()).await;
    assert!(list.data.is_empty(), "nothing created");
    // Publishing too. (Bad input on purpose: these bodies stay raw.)
    let (s, v) = api
        .call(
            "POST",
            "/v1/events",
            Some(&key),
            Some(json!({"type": "bad type!", "data": [], "account_id": "no good"})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let fields = hookline_tests::error_fields(&v);
    assert_eq!(fields, ["type", "data", "account_id"], "{v}");
    // One bad field: the same shape, one entry.
    let (s, v) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": "ftp://x.example.com"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["errors"].as_array().map(Vec::len)),
        (422, Some(1)),
        "{v}"
    );
}

/// A catalogue type with a JSON Schema: its example and every published `data` must satisfy
/// it; failures list each failing path.
async fn event_type_schemas_validate_published_data(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("c");
    let admin = mint_key(&app, &tenant, &[Scope::Admin]).await;
    let key = mint_key(&app, &tenant, &[Scope::EventsPublish]).await;
    let name = unique("payment.made");
    let schema = json!({
        "type": "object",
        "required": ["amount", "currency"],
        "properties": {
            "amount": {"type": "integer", "minimum": 0},
            "currency": {"type": "string", "enum": ["EUR", "USD"]}
        }
    });
    // Not a schema; an example that does not satisfy it: 422, nothing added.
    let admin_c = api.typed(&admin).await;
    let create = |t: Value| {
        admin_c
            .event_types_create()
            .body(body::<EventTypeIn>(t))
            .send()
    };
    let (s, e) = refused(create(json!({"name": name, "schema": {"type": 12}}))).await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("schema")),
        "{e:?}"
    );
    let (s, e) = refused(create(
        json!({"name": name, "schema": schema, "example": {"amount": "ten"}}),
    ))
    .await;
    assert_eq!(s, 422, "{e:?}");
    assert!(
        e.error.field.as_deref().unwrap().starts_with("example"),
        "{e:?}"
    );
    let (s, _) = refused(admin_c.event_types_read().name(name.clone()).send()).await;
    assert_eq!(s, 404);
    let v = ok(create(
        json!({"name": name, "schema": schema, "example": {"amount": 10, "currency": "EUR"}}),
    ))
    .await;
    assert_eq!(serde_json::to_value(&v.schema).unwrap(), schema);

    let c = api.typed(&key).await;
    let publish = |data: Value| {
        c.events_create()
            .body(body::<EventIn>(json!({"type": name, "data": data})))
            .send()
    };
    ok(publish(json!({"amount": 5, "currency": "USD"}))).await;
    let (s, e) = refused(publish(json!({"amount": -3, "currency": "GBP"}))).await;
    assert_eq!(s, 422, "{e:?}");
    let fields: Vec<&str> = e
        .error
        .errors
        .iter()
        .flatten()
        .map(|x| x.field.as_str())
        .collect();
    assert_eq!(fields, ["data/amount", "data/currency"], "{e:?}");
    // Dropping the schema (a `null`, which only `patch_json` sends) lets anything through.
    let path = format!("/v1/event-types/{name}");
    let _: Value = hookline_client::patch_json(&admin_c, &path, &json!({"schema": null}))
        .await
        .unwrap();
    ok(publish(json!({"anything": true}))).await;
}

hookline_tests::per_backend!(
    event_type_schemas_validate_published_data,
    every_invalid_field_is_reported,
    put_keeps_an_omitted_account_filter_and_creates_an_unknown_id,
    an_event_type_in_use_is_not_deleted_from_under_its_webhooks,
    an_admin_acts_on_any_listed_webhook_by_id,
);
