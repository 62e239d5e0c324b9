//! The subscription API's answers to bad input (a clear JSON error naming the field, and no
//! change), its per-tenant caps and its listings' paging, on both backends.

use super::api::{assert_error, setup};
use hookline_tests::{Api, Backend, test_config};
use http::StatusCode;
use serde_json::{Value, json};

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
    let not_a_number = api.call("GET", "/v1/webhooks?limit=abc", k, None).await;
    assert_error(&not_a_number, StatusCode::BAD_REQUEST, "bad_request");
    // A parameter that does not parse is named, as a body field is.
    assert_eq!(
        not_a_number.1["error"]["field"], "limit",
        "{}",
        not_a_number.1
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
        (json!(null), json!(["a.b"]), json!({})),
        "{name}: null clears, except `events`, which it keeps"
    );
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

/// A webhook id means one webhook: another tenant that `PUT`s it gets a 404, as for any webhook
/// it cannot see, and the owner's webhook and the operators' listing stay as they were.
async fn a_webhook_id_is_unique_across_tenants(b: Backend) {
    let name = b.name();
    let api = Api::new(b.app(test_config()).await);
    let (_, key_a) = setup(&api).await;
    let (_, key_b) = setup(&api).await;
    let (s, made) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key_a),
            Some(json!({"url": "https://hooks.example.com/a"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {made}");
    let id = made["id"].as_str().unwrap().to_string();
    let path = format!("/v1/webhooks/{id}");
    let body = json!({"url": "https://hooks.example.com/b"});
    let got = api.call("PUT", &path, Some(&key_b), Some(body)).await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found");
    let (s, mine) = api.call("GET", &path, Some(&key_a), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        mine["url"], "https://hooks.example.com/a",
        "{name}: unchanged"
    );
    let (s, theirs) = api.call("GET", "/v1/webhooks", Some(&key_b), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(theirs["data"], json!([]), "{name}: nothing was made in B");
    // A fresh id of B's own is still B's to create.
    let fresh = hookline::ids::WebhookId::generate();
    let (s, put) = api
        .call(
            "PUT",
            &format!("/v1/webhooks/{fresh}"),
            Some(&key_b),
            Some(json!({"url": "https://hooks.example.com/b"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {put}");
}

hookline_tests::per_backend!(
    a_webhook_id_is_unique_across_tenants,
    bad_input_gets_a_clear_error_and_changes_nothing,
    per_tenant_webhook_cap_answers_409,
    listing_pages_with_cursors_and_filters,
);
