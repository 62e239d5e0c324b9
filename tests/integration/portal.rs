//! The customer portal: sessions a platform mints for its customers (what they may see and
//! do, on both backends), the page served by the router, and the page itself in a real browser
//! (headless Chromium from the system packages, through Selenium).

use std::time::Duration;

use hookline::auth::api_key::{generate_key, new_api_key};
use hookline::model::Scope;
use hookline_client::types::{
    DeliveryStatus, EventIn, PortalSessionIn, RecoverIn, WebhookIn, WebhookPatchIn,
};
use hookline_tests::{
    Api, Backend, Harness, Receiver, body, id, mint_key, ok, refused, sqlite, test_config, unique,
};
use serde_json::json;

async fn sessions_see_only_their_webhooks_and_may_only_retry(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("portal");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let c = api.typed(&key).await;
    let receiver = Receiver::start().await;
    let url = receiver
        .configure(&format!("/{tenant}"), &[], &[200], None)
        .await;
    let hook = || body::<WebhookIn>(json!({"url": url}));
    let mine = ok(c.webhooks_create().body(hook()).send()).await.id;
    let other = ok(c.webhooks_create().body(hook()).send()).await.id;
    let publish = || body::<EventIn>(json!({"type": "a.b", "data": {"n": 1}}));
    let event = ok(c.events_create().body(publish()).send()).await.id;
    // Delivered once, so that the log shows it (DynamoDB records a delivery at its first
    // attempt).
    let deliverer = hookline::delivery::Deliverer::new(app.clone()).unwrap();
    hookline_tests::lambda_poll(&app, &deliverer).await;

    // Bad input: every field at fault, and nothing minted. (Raw: the typed client would not
    // send an `expires_in` the contract refuses.)
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
    let reader = api
        .typed(&mint_key(&app, &tenant, &[Scope::WebhooksRead]).await)
        .await;
    let session_in = |v: serde_json::Value| body::<PortalSessionIn>(v);
    let (s, e) = refused(reader.portal_create().body(session_in(json!({}))).send()).await;
    assert_eq!(
        (s, e.error.required_scope.as_deref()),
        (403, Some("webhooks:write")),
        "{e:?}"
    );

    let minted = c
        .portal_create()
        .body(session_in(json!({"webhook_ids": [mine.to_string()]})))
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status().as_u16(), 201);
    let session = minted.into_inner();
    let token = session.token.clone();
    assert!(
        session.url.contains("/portal?s=key_")
            && session.url.ends_with(&format!("#session={token}")),
        "{}",
        session.url
    );
    assert_eq!(session.tenant_id.to_string(), tenant);
    let left = session.expires_at - app.clock.now();
    assert!(
        left > chrono::Duration::minutes(59) && left <= chrono::Duration::minutes(60),
        "{left}"
    );

    // It sees its webhook, its deliveries and the event through them; not the other webhook.
    let portal = api.typed(&token).await;
    let list = ok(portal.webhooks_list().send()).await;
    let ids: Vec<String> = list.data.iter().map(|w| w.id.to_string()).collect();
    assert_eq!(ids, [mine.to_string()], "{list:?}");
    assert!(list.data[0].secret.contains('*'), "secret masked");
    ok(portal.webhooks_stats().id(mine.clone()).send()).await;
    let log = ok(portal.deliveries_list().id(mine.clone()).send()).await;
    let delivery = log.data[0].id.clone();
    let ev = ok(portal.events_read().id(event.to_string()).send()).await;
    let seen: Vec<String> = ev
        .deliveries
        .iter()
        .map(|d| d.webhook_id.to_string())
        .collect();
    assert_eq!(
        seen,
        [mine.to_string()],
        "only its own webhook's delivery: {ev:?}"
    );
    for (what, status) in [
        (
            "read",
            refused(portal.webhooks_read().id(other.clone()).send())
                .await
                .0,
        ),
        (
            "log",
            refused(portal.deliveries_list().id(other.clone()).send())
                .await
                .0,
        ),
        (
            "stats",
            refused(portal.webhooks_stats().id(other.clone()).send())
                .await
                .0,
        ),
    ] {
        assert_eq!(status, 404, "{what} of {other}");
    }
    // It may retry a delivery, and nothing else that changes anything.
    let retried = portal
        .deliveries_retry()
        .id(mine.clone())
        .delivery_id(delivery)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status().as_u16(), 202);
    // Recovering failed deliveries is part of "retry".
    let recovered = portal
        .deliveries_recover()
        .id(mine.clone())
        .body(body::<RecoverIn>(json!({"since": "2026-01-01T00:00:00Z"})))
        .send()
        .await
        .unwrap();
    assert_eq!(recovered.status().as_u16(), 202);
    let patch = body::<WebhookPatchIn>(json!({"enabled": false}));
    for (what, status) in [
        (
            "PATCH",
            refused(portal.webhooks_patch().id(mine.clone()).body(patch).send())
                .await
                .0,
        ),
        (
            "DELETE",
            refused(portal.webhooks_delete().id(mine.clone()).send())
                .await
                .0,
        ),
        (
            "rotate",
            refused(
                portal
                    .webhooks_rotate_secret()
                    .id(mine.clone())
                    .body(None)
                    .send(),
            )
            .await
            .0,
        ),
        (
            "test",
            refused(
                portal
                    .webhooks_send_test()
                    .id(mine.clone())
                    .body(None)
                    .send(),
            )
            .await
            .0,
        ),
        (
            "create",
            refused(portal.webhooks_create().body(hook()).send())
                .await
                .0,
        ),
        (
            "publish",
            refused(portal.events_create().body(publish()).send())
                .await
                .0,
        ),
        (
            "session",
            refused(portal.portal_create().body(session_in(json!({}))).send())
                .await
                .0,
        ),
        (
            "client keys",
            refused(portal.client_keys_list().send()).await.0,
        ),
    ] {
        assert_eq!(status, 403, "{what}");
    }
    let w = ok(c.webhooks_read().id(mine.clone()).send()).await;
    assert!(w.enabled, "the refused PATCH changed nothing");

    // Another tenant's session sees none of it, even naming the tenant.
    let stranger = api
        .typed(&mint_key(&app, &unique("portal"), &[Scope::WebhooksWrite]).await)
        .await;
    let foreign = ok(stranger.portal_create().body(session_in(json!({}))).send()).await;
    let foreign = api.typed(&foreign.token).await;
    assert_eq!(
        refused(foreign.webhooks_read().id(mine.clone()).send())
            .await
            .0,
        404
    );
    assert_eq!(
        refused(foreign.webhooks_list().tenant_id(tenant.clone()).send())
            .await
            .0,
        403
    );
    assert!(ok(foreign.webhooks_list().send()).await.data.is_empty());

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
    let (s, e) = refused(api.typed(&expired).await.webhooks_list().send()).await;
    assert_eq!((s, e.error.code.as_str()), (401, "unauthorized"), "{e:?}");
}

hookline_tests::per_backend!(sessions_see_only_their_webhooks_and_may_only_retry);

/// A session minted for a minute works for that minute and not after.
#[tokio::test]
async fn a_session_ends_when_it_says() {
    let (app, time) = Backend::Sqlite.app_and_time(test_config()).await;
    let api = Api::new(app.clone());
    let key = mint_key(&app, &unique("portal"), &[Scope::WebhooksWrite]).await;
    let minute = body::<PortalSessionIn>(json!({"expires_in": 60}));
    let s = ok(api.typed(&key).await.portal_create().body(minute).send()).await;
    let customer = api.typed(&s.token).await;
    time.pass(Duration::from_secs(59)).await;
    ok(customer.webhooks_list().send()).await;
    time.pass(Duration::from_secs(2)).await;
    let (status, _) = refused(customer.webhooks_list().send()).await;
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
    let grant = body::<PortalSessionIn>(json!({"webhook_ids": [webhook]}));
    let session = ok(h.client.portal_create().body(grant).send()).await;
    let page = session.url.clone();
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
    let stranger = hookline_client::connect(&base, &stranger).unwrap();
    let foreign = ok(stranger
        .portal_create()
        .body(body::<PortalSessionIn>(json!({})))
        .send())
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
        format!("{base}/portal#session={}", foreign.token),
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
    let stats = hookline_tests::ok(h.client.webhooks_stats().id(webhook.to_string()).send()).await;
    let stats = serde_json::to_value(stats).unwrap();
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
