//! API consistency that seed platforms rely on: `PUT` keeps an omitted account filter, a
//! catalogue type in use is not deleted from under its webhooks (and those webhooks can always
//! be paused or rotated), an admin acts on any listed webhook by id, and `PUT` to an unknown id
//! creates the webhook with it; every invalid field of a body is reported.

use hookline::ids::WebhookId;
use hookline::model::Scope;
use hookline_client::types::{WebhookIn, WebhookPatchIn};
use hookline_tests::{Api, Backend, body, mint_key, ok, refused, test_config, unique};
use serde_json::{Value, json};

async fn put_keeps_an_omitted_account_filter_and_creates_an_unknown_id(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let c = api
        .typed(&mint_key(&app, &unique("c"), &[Scope::WebhooksWrite]).await)
        .await;
    let w = ok(c
        .webhooks_create()
        .body(body::<WebhookIn>(
            json!({"url": "https://hooks.example.com/a", "account_ids": ["acc_1"]}),
        ))
        .send())
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
    let admin = mint_key(&app, &tenant, &[Scope::Admin]).await;
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await;
    let (paid, refunded) = (unique("order.paid"), unique("order.refunded"));
    for name in [&paid, &refunded] {
        api.ok::<Value>(
            "POST",
            "/v1/event-types",
            &admin,
            Some(json!({"name": name})),
        )
        .await;
    }
    let only = api
        .ok::<Value>(
            "POST",
            "/v1/webhooks",
            &key,
            Some(json!({"url": "https://hooks.example.com/only", "events": [paid]})),
        )
        .await;
    let both = api
        .ok::<Value>(
            "POST",
            "/v1/webhooks",
            &key,
            Some(json!({"url": "https://hooks.example.com/both", "events": [paid, refunded]})),
        )
        .await;
    let (only_id, both_id) = (only["id"].as_str().unwrap(), both["id"].as_str().unwrap());

    // In use: 409 naming the webhooks; nothing deleted.
    let type_path = format!("/v1/event-types/{paid}");
    let (s, v) = api.call("DELETE", &type_path, Some(&admin), None).await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (409, Some("event_type_in_use")),
        "{v}"
    );
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(only_id) && message.contains(both_id),
        "{message}"
    );
    let (s, _) = api.call("GET", &type_path, Some(&admin), None).await;
    assert_eq!(s, 200);

    // Forced: unsubscribed; the one left with nothing is paused, not widened to every event.
    let (s, v) = api
        .call(
            "DELETE",
            &format!("{type_path}?force=true"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 204, "{v}");
    let v = api
        .ok::<Value>("GET", &format!("/v1/webhooks/{both_id}"), &key, None)
        .await;
    assert_eq!(v["events"], json!([refunded]));
    assert_eq!(v["enabled"], true);
    let v = api
        .ok::<Value>("GET", &format!("/v1/webhooks/{only_id}"), &key, None)
        .await;
    assert_eq!(v["enabled"], false, "{v}");
    assert!(
        v["disabled_reason"].as_str().unwrap().contains(&paid),
        "{v}"
    );

    // A webhook still naming the deleted type can be changed in every other way, and its
    // secret rotated (after a leak above all).
    let hook = format!("/v1/webhooks/{only_id}");
    api.ok::<Value>("PATCH", &hook, &key, Some(json!({"description": "legacy"})))
        .await;
    api.ok::<Value>("PATCH", &hook, &key, Some(json!({"enabled": false})))
        .await;
    api.ok::<Value>(
        "POST",
        &format!("{hook}/rotate-secret"),
        &key,
        Some(json!({})),
    )
    .await;
    // Naming the deleted type anew is still refused.
    let (s, _) = api
        .call(
            "PATCH",
            &format!("/v1/webhooks/{both_id}"),
            Some(&key),
            Some(json!({"events": [paid]})),
        )
        .await;
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
    let w = ok(c
        .webhooks_create()
        .body(body::<WebhookIn>(
            json!({"url": "https://hooks.example.com/x"}),
        ))
        .send())
    .await;
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
    let (_, list) = api.call("GET", "/v1/webhooks", Some(&key), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "nothing created");
    // Publishing too.
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
    let (s, v) = api
        .call(
            "POST",
            "/v1/event-types",
            Some(&admin),
            Some(json!({"name": name, "schema": {"type": 12}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["field"].as_str()),
        (422, Some("schema")),
        "{v}"
    );
    let (s, v) = api
        .call(
            "POST",
            "/v1/event-types",
            Some(&admin),
            Some(json!({"name": name, "schema": schema, "example": {"amount": "ten"}})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["field"].as_str().unwrap().starts_with("example"),
        "{v}"
    );
    let (s, _) = api
        .call(
            "GET",
            &format!("/v1/event-types/{name}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let v = api.ok::<Value>("POST",
        "/v1/event-types",
        &admin,
        Some(json!({"name": name, "schema": schema, "example": {"amount": 10, "currency": "EUR"}})),
    )
    .await;
    assert_eq!(v["schema"], schema);

    let publish = |data: Value| json!({"type": name, "data": data});
    api.ok::<Value>(
        "POST",
        "/v1/events",
        &key,
        Some(publish(json!({"amount": 5, "currency": "USD"}))),
    )
    .await;
    let (s, v) = api
        .call(
            "POST",
            "/v1/events",
            Some(&key),
            Some(publish(json!({"amount": -3, "currency": "GBP"}))),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let fields = hookline_tests::error_fields(&v);
    assert_eq!(fields, ["data/amount", "data/currency"], "{v}");
    // Dropping the schema lets anything through again.
    api.ok::<Value>(
        "PATCH",
        &format!("/v1/event-types/{name}"),
        &admin,
        Some(json!({"schema": null})),
    )
    .await;
    api.ok::<Value>(
        "POST",
        "/v1/events",
        &key,
        Some(publish(json!({"anything": true}))),
    )
    .await;
}

hookline_tests::per_backend!(
    event_type_schemas_validate_published_data,
    every_invalid_field_is_reported,
    put_keeps_an_omitted_account_filter_and_creates_an_unknown_id,
    an_event_type_in_use_is_not_deleted_from_under_its_webhooks,
    an_admin_acts_on_any_listed_webhook_by_id,
);
