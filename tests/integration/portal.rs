//! The customer portal: sessions a platform mints for its customers (what they may see and
//! do, on both backends), the page served by the router, and the page itself in a real browser
//! (headless Chromium from the system packages, through Selenium).

use std::time::Duration;

use hookline::auth::api_key::{generate_key, new_api_key};
use hookline::model::{DeliveryStatus, Scope};
use hookline_tests::{Api, Backend, Harness, Receiver, id, mint_key, sqlite, test_config, unique};
use serde_json::{Value, json};

async fn ok(api: &Api, method: &str, path: &str, key: &str, body: Option<Value>) -> Value {
    let (s, v) = api.call(method, path, Some(key), body).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

async fn sessions_see_only_their_webhooks_and_may_only_retry(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("portal");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let receiver = Receiver::start().await;
    let url = receiver
        .configure(&format!("/{tenant}"), &[], &[200], None)
        .await;
    let mine = ok(
        &api,
        "POST",
        "/v1/webhooks",
        &key,
        Some(json!({"url": url})),
    )
    .await;
    let other = ok(
        &api,
        "POST",
        "/v1/webhooks",
        &key,
        Some(json!({"url": url})),
    )
    .await;
    let (mine, other) = (mine["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    let event = ok(
        &api,
        "POST",
        "/v1/events",
        &key,
        Some(json!({"type": "a.b", "data": {"n": 1}})),
    )
    .await;
    let event = event["id"].as_str().unwrap();
    // Delivered once, so that the log shows it (DynamoDB records a delivery at its first
    // attempt).
    let deliverer = hookline::delivery::Deliverer::new(app.clone()).unwrap();
    hookline_tests::lambda_poll(&app, &deliverer).await;

    // Bad input: every field at fault, and nothing minted.
    let (s, v) = api
        .call(
            "POST",
            "/v1/portal-sessions",
            Some(&key),
            Some(json!({"expires_in": 5, "webhook_ids": ["wh_2bXk8bq1QmGv0ld1uZ4Qb9"]})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let fields = hookline_tests::error_fields(&v);
    assert_eq!(fields, ["expires_in", "webhook_ids"], "{v}");
    // A key that may only read cannot mint a session that may retry.
    let reader = mint_key(&app, &tenant, &[Scope::WebhooksRead]).await;
    let (s, v) = api
        .call(
            "POST",
            "/v1/portal-sessions",
            Some(&reader),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["required_scope"].as_str()),
        (403, Some("webhooks:write")),
        "{v}"
    );

    let (s, session) = api
        .call(
            "POST",
            "/v1/portal-sessions",
            Some(&key),
            Some(json!({"webhook_ids": [mine]})),
        )
        .await;
    assert_eq!(s, 201, "{session}");
    let token = session["token"].as_str().unwrap();
    let url = session["url"].as_str().unwrap();
    assert!(
        url.contains("/portal?s=key_") && url.ends_with(&format!("#session={token}")),
        "{url}"
    );
    assert_eq!(session["tenant_id"], tenant.as_str());
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(session["expires_at"].clone()).unwrap();
    let left = expires - app.clock.now();
    assert!(
        left > chrono::Duration::minutes(59) && left <= chrono::Duration::minutes(60),
        "{left}"
    );

    // It sees its webhook, its deliveries and the event through them; not the other webhook.
    let list = ok(&api, "GET", "/v1/webhooks", token, None).await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine], "{list}");
    assert!(
        list["data"][0]["secret"].as_str().unwrap().contains('*'),
        "secret masked"
    );
    ok(
        &api,
        "GET",
        &format!("/v1/webhooks/{mine}/stats"),
        token,
        None,
    )
    .await;
    let log = ok(
        &api,
        "GET",
        &format!("/v1/webhooks/{mine}/deliveries"),
        token,
        None,
    )
    .await;
    let delivery = log["data"][0]["id"].as_str().unwrap().to_string();
    let ev = ok(&api, "GET", &format!("/v1/events/{event}"), token, None).await;
    let seen: Vec<&str> = ev["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["webhook_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, [mine], "only its own webhook's delivery: {ev}");
    for path in [
        format!("/v1/webhooks/{other}"),
        format!("/v1/webhooks/{other}/deliveries"),
        format!("/v1/webhooks/{other}/stats"),
    ] {
        let (s, v) = api.call("GET", &path, Some(token), None).await;
        assert_eq!(s, 404, "{path}: {v}");
    }
    // It may retry a delivery, and nothing else that changes anything.
    let (s, v) = api
        .call(
            "POST",
            &format!("/v1/webhooks/{mine}/deliveries/{delivery}/retry"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 202, "{v}");
    // Recovering failed deliveries is part of "retry".
    let (s, v) = api
        .call(
            "POST",
            &format!("/v1/webhooks/{mine}/recover"),
            Some(token),
            Some(json!({"since": "2026-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    for (method, path, body) in [
        (
            "PATCH",
            format!("/v1/webhooks/{mine}"),
            Some(json!({"enabled": false})),
        ),
        ("DELETE", format!("/v1/webhooks/{mine}"), None),
        ("POST", format!("/v1/webhooks/{mine}/rotate-secret"), None),
        ("POST", format!("/v1/webhooks/{mine}/test"), None),
        (
            "POST",
            "/v1/webhooks".into(),
            Some(json!({"url": "https://c.example.com/h"})),
        ),
        (
            "POST",
            "/v1/events".into(),
            Some(json!({"type": "a.b", "data": {}})),
        ),
        ("POST", "/v1/portal-sessions".into(), Some(json!({}))),
        ("GET", "/v1/client-keys".into(), None),
    ] {
        let (s, v) = api.call(method, &path, Some(token), body).await;
        assert_eq!(s, 403, "{method} {path}: {v}");
    }
    let w = ok(&api, "GET", &format!("/v1/webhooks/{mine}"), &key, None).await;
    assert_eq!(w["enabled"], true, "the refused PATCH changed nothing");

    // Another tenant's session sees none of it, even naming the tenant.
    let stranger = mint_key(&app, &unique("portal"), &[Scope::WebhooksWrite]).await;
    let foreign = ok(
        &api,
        "POST",
        "/v1/portal-sessions",
        &stranger,
        Some(json!({})),
    )
    .await;
    let foreign = foreign["token"].as_str().unwrap();
    let (s, _) = api
        .call("GET", &format!("/v1/webhooks/{mine}"), Some(foreign), None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = api
        .call(
            "GET",
            &format!("/v1/webhooks?tenant_id={tenant}"),
            Some(foreign),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let empty = ok(&api, "GET", "/v1/webhooks", foreign, None).await;
    assert_eq!(empty["data"], json!([]));

    // A session past its end is refused like no key at all.
    let expired = generate_key();
    let mut k = new_api_key(
        &expired,
        &id(&tenant),
        vec![Scope::WebhooksRead],
        None,
        app.clock.now(),
    );
    k.expires_at = Some(app.clock.now() - chrono::Duration::seconds(1));
    app.store.put_key(&k).await.unwrap();
    let (s, v) = api.call("GET", "/v1/webhooks", Some(&expired), None).await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (401, Some("unauthorized")),
        "{v}"
    );
}

hookline_tests::per_backend!(sessions_see_only_their_webhooks_and_may_only_retry);

/// A session minted for a minute works for that minute and not after.
#[tokio::test]
async fn a_session_ends_when_it_says() {
    let (app, time) = Backend::Sqlite.app_and_time(test_config()).await;
    let api = Api::new(app.clone());
    let key = mint_key(&app, &unique("portal"), &[Scope::WebhooksWrite]).await;
    let s = ok(
        &api,
        "POST",
        "/v1/portal-sessions",
        &key,
        Some(json!({"expires_in": 60})),
    )
    .await;
    let token = s["token"].as_str().unwrap();
    time.pass(Duration::from_secs(59)).await;
    ok(&api, "GET", "/v1/webhooks", token, None).await;
    time.pass(Duration::from_secs(2)).await;
    let (status, _) = api.call("GET", "/v1/webhooks", Some(token), None).await;
    assert_eq!(status, 401);
}

/// The page is served by the router with a policy that runs only its own scripts.
#[tokio::test]
async fn the_page_and_its_assets_are_served_without_a_key() {
    let h = Harness::start(sqlite(test_config())).await;
    for (path, kind, needle) in [
        ("/portal", "text/html", "<title>Webhook deliveries</title>"),
        ("/portal/portal.js", "text/javascript", "import"),
        ("/portal/api.js", "text/javascript", "Authorization"),
        ("/portal/manage.js", "text/javascript", "rotate-secret"),
        ("/portal/form.js", "text/javascript", "FieldError"),
        ("/portal/portal.css", "text/css", "--accent"),
    ] {
        let res = reqwest::get(format!("{}{path}", h.base())).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(res.text().await.unwrap().contains(needle), "{path}");
    }
    h.stop().await;
}

/// The page in headless Chromium: it shows a delivery that failed, retries it, and the new
/// attempt shows up; expired, unknown and foreign sessions get nothing. The screenshot is
/// saved under `target/test-artifacts/`.
#[tokio::test]
async fn the_portal_in_a_browser_shows_and_retries_a_delivery() {
    let receiver = Receiver::start().await;
    // Fails its scheduled attempts (three in the test configuration), then answers 200.
    let url = receiver
        .configure("/portal", &[], &[500, 500, 500, 200], None)
        .await;
    let h = Harness::start(sqlite(test_config())).await;
    let (webhook, _) = h
        .webhook(
            &url,
            json!({
                "description": "Orders endpoint",
                "headers": {"X-Api-Key": "portal-secret-value"},
                "auth": {"type": "bearer", "token": "portal-bearer-token-1234"},
                "filter": {"data": {"order": {"$gt": 10}}},
                "rate_limit": 20,
                "ordering": "fifo"
            }),
        )
        .await;
    let event = h
        .publish(json!({"type": "order.paid", "data": {"order": 42}}))
        .await;
    let ds = h.settled(&event.id, Duration::from_secs(20)).await;
    assert_eq!(ds[0].status, DeliveryStatus::Failed);

    let base = h.base();
    // Minted over the socket as a platform would: the URL it answers is the one to open.
    let session: Value = reqwest::Client::new()
        .post(format!("{base}/v1/portal-sessions"))
        .bearer_auth(&h.key)
        .json(&json!({"webhook_ids": [webhook]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page = session["url"].as_str().expect("a URL").to_string();
    assert!(
        page.starts_with(&format!("{base}/portal?s=key_")) && page.contains("#session=hl_"),
        "{page}"
    );
    let expired = generate_key();
    let mut k = new_api_key(
        &expired,
        &h.tenant,
        vec![Scope::WebhooksRead],
        None,
        chrono::Utc::now(),
    );
    k.expires_at = Some(chrono::Utc::now() - chrono::Duration::minutes(1));
    h.api.app.store.put_key(&k).await.unwrap();
    let stranger = mint_key(&h.api.app, &unique("stranger"), &[Scope::WebhooksWrite]).await;
    let foreign: Value = h
        .api
        .post("/v1/portal-sessions", &stranger, json!({}))
        .await;

    let artifacts = hookline_tests::root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("portal-delivery.png");
    let _ = std::fs::remove_file(&shot);
    let args = vec![
        "--url".into(),
        page,
        "--event".into(),
        event.id.to_string(),
        "--screenshot".into(),
        shot.display().to_string(),
        "--refused".into(),
        format!("{base}/portal#session={expired}"),
        "--refused".into(),
        format!("{base}/portal#session=hl_{}", "0".repeat(40)),
        "--foreign".into(),
        format!(
            "{base}/portal#session={}",
            foreign["token"].as_str().unwrap()
        ),
        "--private-text".into(),
        url.clone(),
    ];
    let (ok, said) = hookline_tests::run_python("portal_browser.py", args).await;
    assert!(ok, "the browser check failed:\n{said}");
    assert!(said.contains("answered 200"), "{said}");
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );
    // What the page did reached the receiver and the log: a fourth request, answered 200.
    assert_eq!(receiver.log_for("/portal").await.len(), 4);
    let d = h.delivery(&webhook, &ds[0].id).await;
    assert_eq!(d.status, DeliveryStatus::Succeeded);
    // The chart's figures: 24 hours holding the delivery (now succeeded) and its four
    // attempts, three of them failed (summed: the test may straddle an hour).
    let stats: Value = h
        .api
        .get(&format!("/v1/webhooks/{webhook}/stats"), &h.key)
        .await;
    let hours = stats["hourly"].as_array().unwrap();
    assert_eq!(hours.len(), 24, "{stats}");
    let sum = |k: &str| hours.iter().map(|h| h[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(
        [
            sum("succeeded"),
            sum("failed"),
            sum("attempts"),
            sum("failed_attempts")
        ],
        [1, 0, 4, 3],
        "{stats}"
    );
    h.stop().await;
}
