//! The subscription API through the real router, on both backends: CRUD, validation, caps,
//! pagination, the event type catalogue, and the auth rules (401 / 403 / 404 across tenants).

use hookline::model::Scope;
use hookline_tests::{Api, Backend, mint_key, test_config, unique};
use http::StatusCode;
use serde_json::{Value, json};

fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) {
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

async fn setup(api: &Api) -> (String, String) {
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
    let k = Some(key.as_str());
    let (s, created) = api
        .call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://api.example.com/hooks", "events": ["invoice.*", "order.paid"],
                "description": "billing", "metadata": {"team": "a"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {created}");
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{name}: full secret at creation: {secret}"
    );
    assert_eq!(created["enabled"], true);
    assert_eq!(created["tenant_id"], tenant.as_str());
    assert_eq!(created["account_ids"], json!([]));
    assert!(created["created_at"].is_string() && created["updated_at"].is_string());
    assert!(created["last_triggered_at"].is_null());

    let (s, got) = api
        .call("GET", &format!("/v1/webhooks/{id}"), k, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{name}");
    let masked = got["secret"].as_str().unwrap();
    assert!(
        masked.ends_with(&secret[secret.len() - 4..]) && !masked.contains(&secret[6..30]),
        "{name}: masked {masked}"
    );
    assert_eq!(got["events"], json!(["invoice.*", "order.paid"]));

    let (s, list) = api.call("GET", "/v1/webhooks", k, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{name}");
    assert_eq!(list["data"][0]["secret"], masked);
    assert_eq!(list["has_more"], false);

    // PATCH changes only what it names.
    let (s, patched) = api
        .call(
            "PATCH",
            &format!("/v1/webhooks/{id}"),
            k,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{name}: {patched}");
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["description"], "billing");
    assert_eq!(patched["events"], json!(["invoice.*", "order.paid"]));
    assert_ne!(patched["updated_at"], created["updated_at"]);

    // PUT replaces; a missing `enabled` keeps its value, other missing fields reset.
    let (s, put) = api
        .call(
            "PUT",
            &format!("/v1/webhooks/{id}"),
            k,
            Some(json!({"url": "https://hooks.example.org/v2"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{name}: {put}");
    assert_eq!(put["url"], "https://hooks.example.org/v2");
    assert_eq!(put["enabled"], false);
    assert!(put["description"].is_null());
    assert_eq!(put["events"], json!([]));
    assert_eq!(put["metadata"], json!({}));
    assert_eq!(put["secret"], masked, "{name}: the secret survives updates");
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

    let (s, body) = api
        .call("DELETE", &format!("/v1/webhooks/{id}"), k, None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{name}: {body}");
    assert_error(
        &api.call("GET", &format!("/v1/webhooks/{id}"), k, None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &api.call("DELETE", &format!("/v1/webhooks/{id}"), k, None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &api.call(
            "PATCH",
            &format!("/v1/webhooks/{id}"),
            k,
            Some(json!({"enabled": true})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

async fn auth_rules_401_403_404_across_tenants(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (tenant_a, key_a) = setup(&api).await;
    let (_tenant_b, key_b) = setup(&api).await;
    let reader = mint_key(&api.app, &tenant_a, &[Scope::WebhooksRead]).await;
    let publisher = mint_key(&api.app, &tenant_a, &[Scope::EventsPublish]).await;
    let admin = mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await;
    let (_, wh) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key_a),
            Some(json!({"url": "https://a.example.com/h"})),
        )
        .await;
    let path = format!("/v1/webhooks/{}", wh["id"].as_str().unwrap());

    assert_error(
        &api.call("GET", "/v1/webhooks", None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &api.call("GET", "/v1/webhooks", Some("hl_not_a_key"), None)
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let (s, _) = api
        .call_raw("GET", &path, None, None, &[("x-api-key", &key_a)])
        .await;
    assert_eq!(s, StatusCode::OK, "{name}: X-API-Key is accepted");

    let denied = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&reader),
            Some(json!({"url": "https://a.example.com/x"})),
        )
        .await;
    assert_error(&denied, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(denied.1["error"]["required_scope"], "webhooks:write");
    assert_eq!(
        api.call("GET", &path, Some(&reader), None).await.0,
        StatusCode::OK
    );
    assert_error(
        &api.call("GET", "/v1/webhooks", Some(&publisher), None)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &api.call(
            "POST",
            "/v1/events",
            Some(&reader),
            Some(json!({"type": "a.b", "data": {}})),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Another tenant's id is not found, whatever the method; its listing does not show it.
    for method in ["GET", "DELETE"] {
        assert_error(
            &api.call(method, &path, Some(&key_b), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert_error(
        &api.call(
            "PATCH",
            &path,
            Some(&key_b),
            Some(json!({"enabled": false})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(
        api.call("GET", "/v1/webhooks", Some(&key_b), None).await.1["data"],
        json!([])
    );
    assert_eq!(
        api.call("GET", &path, Some(&key_a), None).await.1["enabled"],
        true,
        "{name}: untouched by tenant B"
    );

    // Only admin keys may name another tenant.
    let q = format!("{path}?tenant_id={tenant_a}");
    assert_error(
        &api.call("GET", &q, Some(&key_b), None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(
        api.call("GET", &q, Some(&admin), None).await.0,
        StatusCode::OK,
        "{name}: admin acts on any tenant"
    );
    // An admin acts on a listed webhook by its id alone, in the webhook's tenant.
    let (s, got) = api.call("GET", &path, Some(&admin), None).await;
    assert_eq!(
        (s, &got["tenant_id"]),
        (StatusCode::OK, &wh["tenant_id"]),
        "{name}"
    );

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
    assert_error(
        &api.call("GET", &path, Some(&reader), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

async fn bad_input_gets_a_clear_error_and_changes_nothing(b: Backend) {
    let mut config = test_config();
    config.allow_private_targets = false;
    let (name, app) = (b.name(), b.app(config).await);
    let api = Api::new(app);
    let (_, key) = setup(&api).await;
    let k = Some(key.as_str());
    let long_desc = "d".repeat(1001);
    for (body, field) in [
        (json!({"url": "http://api.example.com/h"}), "url"),
        (json!({"url": "https://127.0.0.1/h"}), "url"),
        (json!({"url": "https://localhost/h"}), "url"),
        (json!({"url": "notaurl"}), "url"),
        (
            json!({"url": format!("https://api.example.com/{}", "a".repeat(2100))}),
            "url",
        ),
        (
            json!({"url": "https://api.example.com/h", "description": long_desc}),
            "description",
        ),
        (
            json!({"url": "https://api.example.com/h", "events": ["bad name"]}),
            "events",
        ),
        (
            json!({"url": "https://api.example.com/h", "account_ids": ["a b"]}),
            "account_ids",
        ),
        // Type errors name the field that failed, not the body.
        (
            json!({"url": "https://api.example.com/h", "colour": "red"}),
            "colour",
        ),
        (json!({"events": []}), "body"),
        (json!({"url": 5}), "url"),
        (
            json!({"url": "https://api.example.com/h", "events": ["a.b", 7]}),
            "events[1]",
        ),
    ] {
        let got = api
            .call("POST", "/v1/webhooks", k, Some(body.clone()))
            .await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            got.1["error"]["field"], field,
            "{name}: {body} -> {}",
            got.1
        );
    }
    assert_error(
        &api.call_raw("POST", "/v1/webhooks", k, Some("{\"url\":"), &[])
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &api.call_raw("POST", "/v1/webhooks", k, Some(""), &[]).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &api.call("GET", "/v1/webhooks?limit=0", k, None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &api.call("GET", "/v1/webhooks?limit=abc", k, None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &api.call("GET", "/v1/webhooks?cursor=garbage", k, None)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    // Parameters a listing does not take are refused by name, not ignored.
    for path in [
        "/v1/webhooks?page=2&per_page=1",
        "/v1/webhooks/wh_01ABC/deliveries?partner_id=p",
        "/v1/webhooks/wh_01ABC?page=2",
        "/v1/event-types?page=2",
    ] {
        let got = api.call("GET", path, k, None).await;
        assert_error(&got, StatusCode::BAD_REQUEST, "bad_request");
        let msg = got.1["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("`page`") || msg.contains("`partner_id`"),
            "{msg}"
        );
    }
    assert_error(
        &api.call("GET", "/v1/nothing", k, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // An id that cannot exist (wrong kind, not UTF-8) is not found, answered as JSON.
    for path in [
        "/v1/webhooks/del_01ABC",
        "/v1/webhooks/%FF",
        "/v1/webhooks/wh_1/deliveries/wh_1",
        "/v1/events/a%20b",
    ] {
        let got = api.call("GET", path, k, None).await;
        assert_error(&got, StatusCode::NOT_FOUND, "not_found");
    }
    assert_error(
        &api.call("POST", "/v1/event-types/x", k, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_eq!(
        api.call("GET", "/v1/webhooks", k, None).await.1["data"],
        json!([]),
        "{name}: nothing was written"
    );

    // A bad update leaves the webhook as it was.
    let (_, wh) = api
        .call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://api.example.com/h"})),
        )
        .await;
    let path = format!("/v1/webhooks/{}", wh["id"].as_str().unwrap());
    let got = api
        .call(
            "PATCH",
            &path,
            k,
            Some(json!({"url": "ftp://x.example.com", "enabled": false})),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    for (body, field) in [
        (json!({"url": null}), "url"),
        (json!({"enabled": null}), "enabled"),
        (json!({"enabled": "yes"}), "enabled"),
    ] {
        let got = api.call("PATCH", &path, k, Some(body.clone())).await;
        assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(got.1["error"]["field"], field, "{name}: {body}");
    }
    let got = api
        .call(
            "POST",
            &format!("{path}/recover"),
            k,
            Some(json!({"since": "yesterday"})),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(got.1["error"]["field"], "since", "{name}: {}", got.1);
    let (_, now) = api.call("GET", &path, k, None).await;
    assert_eq!(
        (now["url"].clone(), now["enabled"].clone()),
        (json!("https://api.example.com/h"), json!(true)),
        "{name}"
    );

    // PATCH tells an absent field from null: null clears, absent keeps.
    let (s, set) = api
        .call(
            "PATCH",
            &path,
            k,
            Some(json!({"description": "kept", "events": ["a.b"], "metadata": {"k": "v"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{name}: {set}");
    let (_, kept) = api
        .call("PATCH", &path, k, Some(json!({"enabled": false})))
        .await;
    assert_eq!(
        (kept["description"].clone(), kept["events"].clone()),
        (json!("kept"), json!(["a.b"])),
        "{name}: absent fields are kept"
    );
    let (_, cleared) = api
        .call(
            "PATCH",
            &path,
            k,
            Some(json!({"description": null, "events": null, "metadata": null})),
        )
        .await;
    assert_eq!(
        (
            cleared["description"].clone(),
            cleared["events"].clone(),
            cleared["metadata"].clone()
        ),
        (json!(null), json!([]), json!({})),
        "{name}: null clears"
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

async fn per_tenant_webhook_cap_answers_409(b: Backend) {
    let mut config = test_config();
    config.max_webhooks_per_tenant = 2;
    let (name, app) = (b.name(), b.app(config).await);
    let api = Api::new(app);
    let (_, key) = setup(&api).await;
    let k = Some(key.as_str());
    let mut ids = Vec::new();
    for i in 0..2 {
        let (s, w) = api
            .call(
                "POST",
                "/v1/webhooks",
                k,
                Some(json!({"url": format!("https://h{i}.example.com/")})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{name}");
        ids.push(w["id"].as_str().unwrap().to_string());
    }
    let third = api
        .call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://h3.example.com/"})),
        )
        .await;
    assert_error(&third, StatusCode::CONFLICT, "webhook_limit_reached");
    assert_eq!(
        api.call("GET", "/v1/webhooks", k, None).await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Another tenant has its own allowance; deleting frees a place.
    let (_, other) = setup(&api).await;
    assert_eq!(
        api.call(
            "POST",
            "/v1/webhooks",
            Some(&other),
            Some(json!({"url": "https://o.example.com/"}))
        )
        .await
        .0,
        StatusCode::CREATED
    );
    assert_eq!(
        api.call("DELETE", &format!("/v1/webhooks/{}", ids[0]), k, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://h4.example.com/"}))
        )
        .await
        .0,
        StatusCode::CREATED,
        "{name}"
    );
}

async fn listing_pages_with_cursors_and_filters(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (_, key) = setup(&api).await;
    let k = Some(key.as_str());
    let mut created = Vec::new();
    for i in 0..7 {
        let body = json!({"url": format!("https://h{i}.example.com/"), "enabled": i % 3 != 0,
            "account_ids": if i % 2 == 0 { json!(["acc_1"]) } else { json!([]) }});
        let (s, w) = api.call("POST", "/v1/webhooks", k, Some(body)).await;
        assert_eq!(s, StatusCode::CREATED);
        created.push(w["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/webhooks?limit=3&cursor={c}"),
            None => "/v1/webhooks?limit=3".to_string(),
        };
        let (s, page) = api.call("GET", &path, k, None).await;
        assert_eq!(s, StatusCode::OK, "{name}: {page}");
        let items = page["data"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|w| w["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(page["has_more"], true);
                cursor = Some(c.to_string())
            }
            None => break,
        }
    }
    assert_eq!(
        seen, created,
        "{name}: every webhook once, in creation order"
    );
    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (_, disabled) = api.call("GET", "/v1/webhooks?enabled=false", k, None).await;
    assert_eq!(
        ids(&disabled),
        vec![created[0].clone(), created[3].clone(), created[6].clone()],
        "{name}"
    );
    let (_, acc) = api
        .call("GET", "/v1/webhooks?account_id=acc_1&limit=2", k, None)
        .await;
    assert_eq!(
        ids(&acc),
        vec![created[0].clone(), created[2].clone()],
        "{name}"
    );
    let next = acc["next_cursor"].as_str().unwrap();
    let (_, acc2) = api
        .call(
            "GET",
            &format!("/v1/webhooks?account_id=acc_1&limit=2&cursor={next}"),
            k,
            None,
        )
        .await;
    assert_eq!(
        ids(&acc2),
        vec![created[4].clone(), created[6].clone()],
        "{name}"
    );
    assert_eq!(acc2["has_more"], false);
}

async fn event_type_catalogue_is_managed_by_admins_and_checks_filters(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (_, key) = setup(&api).await;
    let admin = mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await;
    let k = Some(key.as_str());
    // No catalogue yet: any well-formed name is accepted.
    assert_eq!(
        api.call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://a.example.com/", "events": ["x.y"]}))
        )
        .await
        .0,
        StatusCode::CREATED
    );

    let et = json!({"name": "invoice.created", "description": "An invoice was created", "example": {"invoice_id": "inv_1"}});
    assert_error(
        &api.call("POST", "/v1/event-types", k, Some(et.clone()))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (s, made) = api
        .call("POST", "/v1/event-types", Some(&admin), Some(et.clone()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {made}");
    assert_error(
        &api.call("POST", "/v1/event-types", Some(&admin), Some(et))
            .await,
        StatusCode::CONFLICT,
        "event_type_exists",
    );
    assert_error(
        &api.call(
            "POST",
            "/v1/event-types",
            Some(&admin),
            Some(json!({"name": "bad name"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (s, list) = api.call("GET", "/v1/event-types", k, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"][0]["name"], "invoice.created");
    assert_eq!(list["data"][0]["example"]["invoice_id"], "inv_1");

    // With a catalogue, unknown names are refused; wildcards must match something in it.
    let bad = api
        .call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://a.example.com/", "events": ["order.paid"]})),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(bad.1["error"]["field"], "events");
    for ok in [
        json!(["invoice.created"]),
        json!(["invoice.*"]),
        json!(["*"]),
    ] {
        let got = api
            .call(
                "POST",
                "/v1/webhooks",
                k,
                Some(json!({"url": "https://a.example.com/", "events": ok})),
            )
            .await;
        assert_eq!(got.0, StatusCode::CREATED, "{name}: {}", got.1);
    }

    let (s, p) = api
        .call(
            "PATCH",
            "/v1/event-types/invoice.created",
            Some(&admin),
            Some(json!({"description": "new"})),
        )
        .await;
    assert_eq!(
        (s, p["description"].clone()),
        (StatusCode::OK, json!("new")),
        "{name}"
    );
    // A webhook names it: 409 until forced.
    assert_error(
        &api.call(
            "DELETE",
            "/v1/event-types/invoice.created",
            Some(&admin),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "event_type_in_use",
    );
    assert_eq!(
        api.call(
            "DELETE",
            "/v1/event-types/invoice.created?force=true",
            Some(&admin),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.call("GET", "/v1/event-types/invoice.created", k, None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// `POST /v1/events/batch`: each event published or refused on its own, one result per
/// event in order, idempotent per event id; every published event is delivered.
async fn batch_publish_answers_each_event_and_delivers_them(b: Backend) {
    use std::time::Duration;
    let receiver = hookline_tests::Receiver::start().await;
    let h = hookline_tests::Harness::start(b.app(test_config()).await).await;
    let url = receiver.configure("/batch", &[], &[200], None).await;
    h.webhook(&url, json!({"events": ["order.*"]})).await;
    let batch = json!({"events": [
        {"id": "evt_b1", "type": "order.paid", "data": {"n": 1}},
        {"type": "not a type", "data": {}},
        {"id": "evt_b3", "type": "order.paid", "data": {"n": 3}},
        {"id": "evt_b4", "type": "invoice.paid", "data": {"n": 4}},
    ]});
    let (status, out) = h
        .api
        .call(
            "POST",
            "/v1/events/batch",
            Some(&h.key),
            Some(batch.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{out}");
    let r = out["data"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(
        (
            r[0]["index"].clone(),
            r[0]["id"].clone(),
            r[0]["deliveries"].clone()
        ),
        (json!(0), json!("evt_b1"), json!(1))
    );
    assert_eq!(r[1]["error"]["code"], "validation_failed", "{out}");
    assert_eq!(r[1]["error"]["field"], "type");
    assert!(r[1].get("id").is_none());
    assert_eq!(
        (r[2]["id"].clone(), r[2]["replayed"].clone()),
        (json!("evt_b3"), json!(false))
    );
    assert_eq!(r[3]["deliveries"], 0, "no webhook takes invoice.*");
    receiver
        .wait_for("/batch", 2, Duration::from_secs(20))
        .await;

    // The same batch again: the published ones replay, nothing is sent twice.
    let (_, again) = h
        .api
        .call("POST", "/v1/events/batch", Some(&h.key), Some(batch))
        .await;
    assert_eq!(again["data"][0]["replayed"], true, "{again}");
    assert_eq!(again["data"][2]["replayed"], true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.log_for("/batch").await.len(), 2);

    // An empty batch, or one over 100, is refused as a whole.
    for n in [0, 101] {
        let events: Vec<Value> = (0..n)
            .map(|i| json!({"type": "order.paid", "data": {"i": i}}))
            .collect();
        let (status, body) = h
            .api
            .call(
                "POST",
                "/v1/events/batch",
                Some(&h.key),
                Some(json!({"events": events})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "events");
    }
    h.stop().await;
}

hookline_tests::per_backend!(
    batch_publish_answers_each_event_and_delivers_them,
    webhook_lifecycle_create_list_read_patch_put_delete,
    auth_rules_401_403_404_across_tenants,
    bad_input_gets_a_clear_error_and_changes_nothing,
    per_tenant_webhook_cap_answers_409,
    listing_pages_with_cursors_and_filters,
    event_type_catalogue_is_managed_by_admins_and_checks_filters,
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
