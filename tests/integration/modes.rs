//! Live and test mode (seed 002's `account_type`): every credential has a mode, and sees and
//! delivers only objects of its own; a `GET` across modes is a 404, for admins too. Through
//! the generated client.

use hookline::model::Mode;
use hookline::model::Scope::{Admin, EventsPublish, WebhooksWrite};
use hookline_client::Client;
use hookline_client::types::{
    EventIn, ListOutWebhookOutDataItem, PortalSessionIn, WebhookIn, WebhookPatchIn,
};
use hookline_tests::{Api, Backend, body, mint_key_in, ok, refused, test_config, unique};
use serde_json::json;

fn ids(list: &[ListOutWebhookOutDataItem]) -> Vec<String> {
    list.iter().map(|w| w.id.to_string()).collect()
}

async fn listed(c: &Client, tenant: Option<&str>) -> Vec<String> {
    let mut req = c.webhooks_list().limit(250u64);
    if let Some(t) = tenant {
        req = req.tenant_id(t.to_string());
    }
    ids(&ok(req.send()).await.data)
}

async fn live_and_test_objects_are_apart(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("mode");
    let scopes = [WebhooksWrite, EventsPublish];
    let live = api
        .typed(&mint_key_in(&app, &tenant, Mode::Live, &scopes).await)
        .await;
    let test = api
        .typed(&mint_key_in(&app, &tenant, Mode::Test, &scopes).await)
        .await;
    let create = |u: &str| body::<WebhookIn>(json!({"url": format!("https://{u}.example.com/h")}));
    let wl = ok(live.webhooks_create().body(create("live")).send()).await;
    let wt = ok(test.webhooks_create().body(create("test")).send()).await;
    for (w, mode) in [(&wl, "live"), (&wt, "test")] {
        assert_eq!(
            (
                w.account_type.map(|m| m.to_string()),
                w.tenant_id.to_string()
            ),
            (Some(mode.to_string()), tenant.clone())
        );
    }
    let (wl, wt) = (wl.id, wt.id);

    // Each mode lists and reads only its own.
    assert_eq!(listed(&live, None).await, [wl.to_string()]);
    assert_eq!(listed(&test, None).await, [wt.to_string()]);
    for (c, other) in [(&live, &wt), (&test, &wl)] {
        let patch = body::<WebhookPatchIn>(json!({"enabled": false}));
        for (what, status) in [
            (
                "GET",
                refused(c.webhooks_read().id(other.clone()).send()).await.0,
            ),
            (
                "PATCH",
                refused(c.webhooks_patch().id(other.clone()).body(patch).send())
                    .await
                    .0,
            ),
            (
                "DELETE",
                refused(c.webhooks_delete().id(other.clone()).send())
                    .await
                    .0,
            ),
            (
                "GET log",
                refused(c.deliveries_list().id(other.clone()).send())
                    .await
                    .0,
            ),
        ] {
            assert_eq!(status, 404, "{what} {other}");
        }
    }

    // A test event reaches only test webhooks, and is not found in live mode.
    let event = |id: Option<&str>| {
        let mut e = json!({"type": "a.b", "data": {}});
        if let Some(id) = id {
            e["id"] = json!(id);
        }
        body::<EventIn>(e)
    };
    let e = ok(test.events_create().body(event(None)).send()).await;
    assert_eq!(
        (e.deliveries, e.account_type.map(|m| m.to_string())),
        (1, Some("test".into())),
        "{e:?}"
    );
    let read = ok(test.events_read().id(e.id.to_string()).send()).await;
    assert_eq!(read.deliveries[0].webhook_id, wt);
    assert_eq!(
        read.account_type.map(|m| m.to_string()).as_deref(),
        Some("test")
    );
    assert_eq!(
        refused(live.events_read().id(e.id.to_string()).send())
            .await
            .0,
        404
    );
    // The same event id may be published in each mode: they are different events.
    let again = ok(live.events_create().body(event(Some(e.id.as_str()))).send()).await;
    assert_eq!((again.replayed, again.deliveries), (false, 1), "{again:?}");

    // Admins keep to their mode too: a live admin lists no test webhook, nor reads one by id.
    let admin = api
        .typed(&mint_key_in(&app, &unique("ops"), Mode::Live, &[Admin]).await)
        .await;
    let all = listed(&admin, None).await;
    assert!(
        all.contains(&wl.to_string()) && !all.contains(&wt.to_string()),
        "{all:?}"
    );
    assert_eq!(
        refused(admin.webhooks_read().id(wt.clone()).send()).await.0,
        404
    );
    let test_admin = api
        .typed(&mint_key_in(&app, &unique("ops"), Mode::Test, &[Admin]).await)
        .await;
    assert_eq!(listed(&test_admin, Some(&tenant)).await, [wt.to_string()]);
    // Naming the test namespace by hand does not cross modes.
    assert_eq!(
        listed(&admin, Some(&format!("{tenant}~test"))).await,
        [wl.to_string()]
    );

    // Signing keys are per mode; receivers ask for the test ones by name.
    let kl = ok(live.verification_keys_list().send()).await;
    let kt = ok(test.verification_keys_list().send()).await;
    assert_ne!(kl.keys[0].key_id, kt.keys[0].key_id);
    let public = ok(live
        .verification_keys_public_list()
        .tenant_id(tenant.clone())
        .account_type(hookline_client::types::Mode::Test)
        .send())
    .await;
    assert_eq!(public.keys[0].key_id, kt.keys[0].key_id);

    // A portal session minted in test mode shows test objects only.
    let s = ok(test
        .portal_create()
        .body(body::<PortalSessionIn>(json!({})))
        .send())
    .await;
    assert_eq!(s.account_type.to_string(), "test");
    let portal = api.typed(&s.token).await;
    assert_eq!(listed(&portal, None).await, [wt.to_string()]);
}

hookline_tests::per_backend!(live_and_test_objects_are_apart);
