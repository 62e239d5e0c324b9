//! What a portal session may do as the platform granted it (`read`, `retry`, `manage`), on both
//! backends: a "manage" session changes endpoints through the same API, with the API's own
//! refusals for what it was not granted; and the page may be framed only where its session says.

use hookline::model::Scope;
use hookline_tests::{Api, Backend, mint_key, test_config, unique};
use serde_json::{Value, json};

async fn session(api: &Api, key: &str, body: Value) -> (String, Value) {
    let s = api
        .expect(201, "POST", "/v1/portal-sessions", key, Some(body))
        .await;
    (s["token"].as_str().unwrap().to_string(), s)
}

async fn a_manage_session_changes_endpoints_and_nothing_of_the_platform(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("manage");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let (token, s) = session(
        &api,
        &key,
        json!({"capabilities": ["manage"], "frame_ancestors": ["https://app.example.com"],
               "appearance": {"theme": "dark", "brand_color": "#123abc"}}),
    )
    .await;
    // `manage` holds `webhooks:write`, which retries too; `read` is always there.
    assert_eq!(s["capabilities"], json!(["read", "retry", "manage"]), "{s}");
    assert!(s["url"].as_str().unwrap().contains("/portal?s=key_"), "{s}");
    let current = api
        .expect(200, "GET", "/v1/portal-sessions/current", &token, None)
        .await;
    assert_eq!(current["capabilities"], s["capabilities"]);
    assert_eq!(
        current["frame_ancestors"],
        json!(["https://app.example.com"])
    );
    assert_eq!(current["appearance"]["brand_color"], "#123abc");
    // The platform's own key is not a session.
    api.expect(404, "GET", "/v1/portal-sessions/current", &key, None)
        .await;

    // The customer adds an endpoint and sees its secret once; edits, tests, rotates, pauses.
    let w = api
        .expect(
            201,
            "POST",
            "/v1/webhooks",
            &token,
            Some(json!({"url": "https://receiver.example.com/h", "rate_limit": 5})),
        )
        .await;
    let id = w["id"].as_str().unwrap();
    assert!(w["secret"].as_str().unwrap().starts_with("whsec_"), "{w}");
    assert!(
        !w["secret"].as_str().unwrap().contains('*'),
        "shown in full once"
    );
    let read = api
        .expect(200, "GET", &format!("/v1/webhooks/{id}"), &token, None)
        .await;
    assert!(
        read["secret"].as_str().unwrap().contains('*'),
        "masked after"
    );
    let edited = api
        .expect(
            200,
            "PATCH",
            &format!("/v1/webhooks/{id}"),
            &token,
            Some(json!({"description": "Orders", "ordering": "fifo"})),
        )
        .await;
    assert_eq!(
        (edited["description"].as_str(), edited["ordering"].as_str()),
        (Some("Orders"), Some("fifo"))
    );
    let rotated = api
        .expect(
            200,
            "POST",
            &format!("/v1/webhooks/{id}/rotate-secret"),
            &token,
            Some(json!({"grace_period_seconds": 3600})),
        )
        .await;
    assert_ne!(rotated["secret"], w["secret"]);
    assert!(
        rotated["previous_secret_expires_at"].is_string(),
        "{rotated}"
    );
    api.expect(
        202,
        "POST",
        &format!("/v1/webhooks/{id}/test"),
        &token,
        None,
    )
    .await;
    let paused = api
        .expect(
            200,
            "PATCH",
            &format!("/v1/webhooks/{id}"),
            &token,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(paused["enabled"], false);

    // Nothing of the platform's: sessions, client keys, verification keys, publishing.
    for (method, path, body) in [
        ("POST", "/v1/portal-sessions", Some(json!({}))),
        ("GET", "/v1/client-keys", None),
        ("POST", "/v1/verification-keys/rotate", None),
    ] {
        let v = api.expect(403, method, path, &token, body).await;
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("portal session cannot"),
            "{method} {path}: {v}"
        );
    }
    let v = api
        .expect(
            403,
            "POST",
            "/v1/events",
            &token,
            Some(json!({"type": "a.b", "data": {}})),
        )
        .await;
    assert_eq!(v["error"]["required_scope"], "events:publish", "{v}");

    // Limited to some endpoints, a session cannot add others.
    let (narrow, _) = session(
        &api,
        &key,
        json!({"capabilities": ["manage"], "webhook_ids": [id]}),
    )
    .await;
    let v = api
        .expect(
            403,
            "POST",
            "/v1/webhooks",
            &narrow,
            Some(json!({"url": "https://x.example.com/h"})),
        )
        .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot add others"),
        "{v}"
    );

    // Read-only: the API's own 403 for each change, naming the scope it lacks.
    let (reader, s) = session(&api, &key, json!({"capabilities": ["read"]})).await;
    assert_eq!(s["capabilities"], json!(["read"]));
    for (method, path, body, scope) in [
        (
            "POST",
            "/v1/webhooks".to_string(),
            Some(json!({"url": "https://x.example.com/h"})),
            "webhooks:write",
        ),
        (
            "DELETE",
            format!("/v1/webhooks/{id}"),
            None,
            "webhooks:write",
        ),
        (
            "POST",
            format!("/v1/webhooks/{id}/recover"),
            Some(json!({"since": "2026-01-01T00:00:00Z"})),
            "deliveries:retry",
        ),
    ] {
        let v = api.expect(403, method, &path, &reader, body).await;
        assert_eq!(v["error"]["required_scope"], scope, "{method} {path}: {v}");
    }
    let list = api.expect(200, "GET", "/v1/webhooks", &key, None).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "nothing refused was made: {list}"
    );

    // The customer deletes it.
    api.expect(204, "DELETE", &format!("/v1/webhooks/{id}"), &token, None)
        .await;
    api.expect(404, "GET", &format!("/v1/webhooks/{id}"), &key, None)
        .await;
}

async fn bad_grants_name_their_fields_and_mint_nothing(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("grant");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await;
    let keys = || async {
        let tenant = hookline_tests::id(&tenant);
        app.store.list_keys(&tenant).await.unwrap().len()
    };
    let before = keys().await;
    let v = api
        .expect(
            422,
            "POST",
            "/v1/portal-sessions",
            &key,
            Some(json!({"capabilities": ["read", "fly"],
                        "frame_ancestors": ["ftp://app.example.com", "https://a.example.com/path"],
                        "appearance": {"brand_color": "blue", "logo_url": "http://cdn.example.com/l.png"}})),
        )
        .await;
    let fields = hookline_tests::error_fields(&v);
    assert_eq!(
        fields,
        ["capabilities", "frame_ancestors", "appearance.brand_color"],
        "{v}"
    );
    let v = api
        .expect(
            422,
            "POST",
            "/v1/portal-sessions",
            &key,
            Some(json!({"frame_ancestors": ["https://a.example.com/path"],
                        "appearance": {"logo_url": "http://cdn.example.com/l.png"}})),
        )
        .await;
    assert!(
        v["error"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not an origin"),
        "{v}"
    );
    assert_eq!(
        v["error"]["errors"][1]["field"], "appearance.logo_url",
        "{v}"
    );
    assert_eq!(keys().await, before, "nothing minted");
}

/// The page's answer carries its session's framing rule and logo origin; without a live
/// session it may not be framed at all.
async fn the_page_is_framed_only_where_its_session_says(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let key = mint_key(&app, &unique("frame"), &[Scope::WebhooksWrite]).await;
    let (_, s) = session(
        &api,
        &key,
        json!({"frame_ancestors": ["https://app.example.com", "http://localhost:8080"],
               "appearance": {"logo_url": "https://cdn.example.com/brand/logo.svg"}}),
    )
    .await;
    let url = s["url"].as_str().unwrap();
    let path = &url[url.find("/portal").unwrap()..url.find('#').unwrap()];
    let csp = |headers: &http::HeaderMap| {
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let (status, headers, page) = api.call_full("GET", path, None, None, &[]).await;
    assert_eq!(status, 200);
    assert!(
        page.as_str().unwrap().contains("<title>"),
        "the page itself"
    );
    let policy = csp(&headers);
    assert!(
        policy.contains("frame-ancestors https://app.example.com http://localhost:8080"),
        "{policy}"
    );
    assert!(
        policy.contains("img-src 'self' data: https://cdn.example.com;"),
        "{policy}"
    );
    assert!(
        !path.contains("hl_"),
        "no token outside the fragment: {url}"
    );
    for other in [
        "/portal",
        "/portal?s=key_00000000000000000000",
        "/portal?s=nonsense",
    ] {
        let (status, headers, _) = api.call_full("GET", other, None, None, &[]).await;
        assert_eq!(status, 200, "{other}");
        assert!(
            csp(&headers).contains("frame-ancestors 'none'"),
            "{other}: {}",
            csp(&headers)
        );
    }
}

hookline_tests::per_backend!(
    a_manage_session_changes_endpoints_and_nothing_of_the_platform,
    bad_grants_name_their_fields_and_mint_nothing,
    the_page_is_framed_only_where_its_session_says,
);
