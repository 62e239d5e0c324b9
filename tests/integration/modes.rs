//! Live and test mode (seed 002's `account_type`): every credential has a mode, and sees and
//! delivers only objects of its own; a `GET` across modes is a 404, for admins too.

use hookline::model::Mode;
use hookline::model::Scope::{Admin, EventsPublish, WebhooksWrite};
use hookline_tests::{Api, Backend, mint_key_in, test_config, unique};
use serde_json::{Value, json};

async fn ok(api: &Api, method: &str, path: &str, key: &str, body: Option<Value>) -> Value {
    let (s, v) = api.call(method, path, Some(key), body).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

fn ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect()
}

async fn live_and_test_objects_are_apart(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let tenant = unique("mode");
    let live = mint_key_in(&app, &tenant, Mode::Live, &[WebhooksWrite, EventsPublish]).await;
    let test = mint_key_in(&app, &tenant, Mode::Test, &[WebhooksWrite, EventsPublish]).await;
    let body = |u: &str| Some(json!({"url": format!("https://{u}.example.com/h")}));
    let wl = ok(&api, "POST", "/v1/webhooks", &live, body("live")).await;
    let wt = ok(&api, "POST", "/v1/webhooks", &test, body("test")).await;
    assert_eq!(
        (wl["account_type"].as_str(), wl["tenant_id"].as_str()),
        (Some("live"), Some(tenant.as_str()))
    );
    assert_eq!(
        (wt["account_type"].as_str(), wt["tenant_id"].as_str()),
        (Some("test"), Some(tenant.as_str()))
    );
    let (wl, wt) = (wl["id"].as_str().unwrap(), wt["id"].as_str().unwrap());

    // Each mode lists and reads only its own.
    assert_eq!(
        ids(&ok(&api, "GET", "/v1/webhooks", &live, None).await),
        [wl]
    );
    assert_eq!(
        ids(&ok(&api, "GET", "/v1/webhooks", &test, None).await),
        [wt]
    );
    for (key, other) in [(&live, wt), (&test, wl)] {
        for (method, path, body) in [
            ("GET", format!("/v1/webhooks/{other}"), None),
            (
                "PATCH",
                format!("/v1/webhooks/{other}"),
                Some(json!({"enabled": false})),
            ),
            ("DELETE", format!("/v1/webhooks/{other}"), None),
            ("GET", format!("/v1/webhooks/{other}/deliveries"), None),
        ] {
            let (s, v) = api.call(method, &path, Some(key), body).await;
            assert_eq!(s, 404, "{method} {path}: {v}");
        }
    }

    // A test event reaches only test webhooks, and is not found in live mode.
    let e = ok(
        &api,
        "POST",
        "/v1/events",
        &test,
        Some(json!({"type": "a.b", "data": {}})),
    )
    .await;
    assert_eq!(
        (e["deliveries"].as_u64(), e["account_type"].as_str()),
        (Some(1), Some("test")),
        "{e}"
    );
    let path = format!("/v1/events/{}", e["id"].as_str().unwrap());
    let read = ok(&api, "GET", &path, &test, None).await;
    assert_eq!(read["deliveries"][0]["webhook_id"], wt);
    assert_eq!(read["account_type"], "test");
    let (s, _) = api.call("GET", &path, Some(&live), None).await;
    assert_eq!(s, 404);
    // The same event id may be published in each mode: they are different events.
    let id = e["id"].as_str().unwrap();
    let again = ok(
        &api,
        "POST",
        "/v1/events",
        &live,
        Some(json!({"id": id, "type": "a.b", "data": {}})),
    )
    .await;
    assert_eq!(
        (again["replayed"].as_bool(), again["deliveries"].as_u64()),
        (Some(false), Some(1)),
        "{again}"
    );

    // Admins keep to their mode too: a live admin lists no test webhook, nor reads one by id.
    let admin = mint_key_in(&app, &unique("ops"), Mode::Live, &[Admin]).await;
    let all = ok(&api, "GET", "/v1/webhooks?limit=250", &admin, None).await;
    assert!(ids(&all).contains(&wl) && !ids(&all).contains(&wt), "{all}");
    let (s, _) = api
        .call("GET", &format!("/v1/webhooks/{wt}"), Some(&admin), None)
        .await;
    assert_eq!(s, 404);
    let test_admin = mint_key_in(&app, &unique("ops"), Mode::Test, &[Admin]).await;
    let theirs = ok(
        &api,
        "GET",
        &format!("/v1/webhooks?tenant_id={tenant}"),
        &test_admin,
        None,
    )
    .await;
    assert_eq!(ids(&theirs), [wt]);
    // Naming the test namespace by hand does not cross modes.
    let (s, v) = api
        .call(
            "GET",
            &format!("/v1/webhooks?tenant_id={tenant}~test"),
            Some(&admin),
            None,
        )
        .await;
    assert!(s == 200 && ids(&v) == [wl], "{s} {v}");

    // Signing keys are per mode; receivers ask for the test ones by name.
    let kl = ok(&api, "GET", "/v1/verification-keys", &live, None).await;
    let kt = ok(&api, "GET", "/v1/verification-keys", &test, None).await;
    assert_ne!(kl["keys"][0]["key_id"], kt["keys"][0]["key_id"]);
    let (_, public) = api
        .call(
            "GET",
            &format!("/v1/tenants/{tenant}/verification-keys?account_type=test"),
            None,
            None,
        )
        .await;
    assert_eq!(public["keys"][0]["key_id"], kt["keys"][0]["key_id"]);

    // A portal session minted in test mode shows test objects only.
    let s = ok(&api, "POST", "/v1/portal-sessions", &test, Some(json!({}))).await;
    assert_eq!(s["account_type"], "test");
    let token = s["token"].as_str().unwrap();
    assert_eq!(
        ids(&ok(&api, "GET", "/v1/webhooks", token, None).await),
        [wt]
    );
}

hookline_tests::per_backend!(live_and_test_objects_are_apart);
