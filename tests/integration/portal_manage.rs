//! What a portal session may do as the platform granted it (`read`, `retry`, `manage`), on both
//! backends: a "manage" session changes endpoints through the same API, with the API's own
//! refusals for what it was not granted; and the page may be framed only where its session says.

use hookline::model::Scope;
use hookline_client::{Client, types};
use hookline_tests::{Api, Backend, body, calls, mint_key, ok, refused, test_config, unique};
use serde_json::{Value, json};

/// A portal session granted as `grant` says; its token and the answer.
async fn session(c: &Client, grant: Value) -> (String, types::PortalSessionOut) {
    let grant = body::<types::PortalSessionIn>(grant);
    let s = ok(c.portal_create().body(grant).send()).await;
    (s.token.clone(), s)
}

async fn a_manage_session_changes_endpoints_and_nothing_of_the_platform(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("manage");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let platform = api.typed(&key).await;
    let (token, s) = session(
        &platform,
        json!({"capabilities": ["manage"], "frame_ancestors": ["https://app.example.com"],
               "appearance": {"theme": "dark", "brand_color": "#123abc"}}),
    )
    .await;
    // `manage` holds `webhooks:write`, which retries too; `read` is always there.
    assert_eq!(
        json!(s.capabilities),
        json!(["read", "retry", "manage"]),
        "{s:?}"
    );
    assert!(s.url.contains("/portal?s=key_"), "{s:?}");
    let customer = api.typed(&token).await;
    let current = ok(customer.portal_current().send()).await;
    assert_eq!(current.capabilities, s.capabilities);
    assert_eq!(current.frame_ancestors, ["https://app.example.com"]);
    assert_eq!(current.appearance.brand_color.as_deref(), Some("#123abc"));
    // The platform's own key is not a session.
    assert_eq!(refused(platform.portal_current().send()).await.0, 404);

    // The customer adds an endpoint and sees its secret once; edits, tests, rotates, pauses.
    let w = calls::create_webhook(
        &customer,
        json!({"url": "https://receiver.example.com/h", "rate_limit": 5}),
    )
    .await;
    assert!(w.secret.starts_with("whsec_"), "{w:?}");
    assert!(!w.secret.contains('*'), "shown in full once");
    let id = w.id.to_string();
    let read = calls::read_webhook(&customer, &id).await;
    assert!(read.secret.contains('*'), "masked after");
    let edited = calls::patch_webhook(
        &customer,
        &id,
        json!({"description": "Orders", "ordering": "fifo"}),
    )
    .await;
    assert_eq!(
        (edited.description.as_deref(), json!(edited.ordering)),
        (Some("Orders"), json!("fifo"))
    );
    let rotate = body::<types::RotateSecretIn>(json!({"grace_period_seconds": 3600}));
    let rotated = ok(customer
        .webhooks_rotate_secret()
        .id(id.clone())
        .body(rotate)
        .send())
    .await;
    assert_ne!(rotated.secret, w.secret);
    assert!(rotated.previous_secret_expires_at.is_some(), "{rotated:?}");
    let test = customer.webhooks_send_test().id(id.clone());
    ok(test.body(body::<types::TestIn>(json!({}))).send()).await;
    let paused = calls::patch_webhook(&customer, &id, json!({"enabled": false})).await;
    assert!(!paused.enabled);

    // Nothing of the platform's: sessions, client keys, verification keys, publishing.
    let refusals = [
        refused(
            customer
                .portal_create()
                .body(body::<types::PortalSessionIn>(json!({})))
                .send(),
        )
        .await,
        refused(customer.client_keys_list().send()).await,
        refused(customer.verification_keys_rotate().body(None).send()).await,
    ];
    for (s, e) in refusals {
        assert_eq!(s, 403, "{e:?}");
        assert!(e.error.message.contains("portal session cannot"), "{e:?}");
    }
    let event = body::<types::EventIn>(json!({"type": "a.b", "data": {}}));
    let (s, e) = refused(customer.events_create().body(event).send()).await;
    assert_eq!(
        (s, e.error.required_scope.as_deref()),
        (403, Some("events:publish"))
    );

    // Limited to some endpoints, a session cannot add others.
    let (narrow, _) = session(
        &platform,
        json!({"capabilities": ["manage"], "webhook_ids": [id]}),
    )
    .await;
    let narrow = api.typed(&narrow).await;
    let other = body::<types::WebhookIn>(json!({"url": "https://x.example.com/h"}));
    let (s, e) = refused(narrow.webhooks_create().body(other).send()).await;
    assert_eq!(s, 403);
    assert!(e.error.message.contains("cannot add others"), "{e:?}");

    // Read-only: the API's own 403 for each change, naming the scope it lacks.
    let (reader, s) = session(&platform, json!({"capabilities": ["read"]})).await;
    assert_eq!(json!(s.capabilities), json!(["read"]));
    let reader = api.typed(&reader).await;
    let create = body::<types::WebhookIn>(json!({"url": "https://x.example.com/h"}));
    let since = body::<types::RecoverIn>(json!({"since": "2026-01-01T00:00:00Z"}));
    let refusals = [
        (
            refused(reader.webhooks_create().body(create).send()).await,
            "webhooks:write",
        ),
        (
            refused(reader.webhooks_delete().id(id.clone()).send()).await,
            "webhooks:write",
        ),
        (
            refused(
                reader
                    .deliveries_recover()
                    .id(id.clone())
                    .body(since)
                    .send(),
            )
            .await,
            "deliveries:retry",
        ),
    ];
    for ((s, e), scope) in refusals {
        assert_eq!(
            (s, e.error.required_scope.as_deref()),
            (403, Some(scope)),
            "{e:?}"
        );
    }
    let list = ok(platform.webhooks_list().send()).await;
    assert_eq!(list.data.len(), 1, "nothing refused was made: {list:?}");

    // The customer deletes it.
    calls::delete_webhook(&customer, &id).await;
    assert_eq!(
        refused(platform.webhooks_read().id(id.clone()).send())
            .await
            .0,
        404
    );
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
        &api.typed(&key).await,
        json!({"frame_ancestors": ["https://app.example.com", "http://localhost:8080"],
               "appearance": {"logo_url": "https://cdn.example.com/brand/logo.svg"}}),
    )
    .await;
    // The page is HTML, not an API answer: read raw.
    let url = s.url.as_str();
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
