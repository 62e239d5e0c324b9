//! Partners (seed 003): a partner groups tenants; a partner key acts on any of them with
//! `?tenant_id=` and lists across them, and nothing beyond; admins filter by partner.

use hookline::auth::api_key::{generate_key, new_api_key};
use hookline::model::Scope::{Admin, WebhooksWrite};
use hookline_tests::{Api, Backend, id, mint_key, test_config, unique};
use serde_json::{Value, json};

async fn ok(api: &Api, method: &str, path: &str, key: &str, body: Option<Value>) -> Value {
    let (s, v) = api.call(method, path, Some(key), body).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

async fn partners_act_on_their_tenants_only(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let admin = mint_key(&app, &unique("ops"), &[Admin]).await;
    let (t1, t2, t3) = (unique("pt"), unique("pt"), unique("pt"));
    let mut hooks = Vec::new();
    for t in [&t1, &t2, &t3] {
        let key = mint_key(&app, t, &[WebhooksWrite]).await;
        let w = ok(
            &api,
            "POST",
            "/v1/webhooks",
            &key,
            Some(json!({"url": "https://a.example.com/h"})),
        )
        .await;
        hooks.push(w["id"].as_str().unwrap().to_string());
    }
    let partner = unique("partner");
    for t in [&t1, &t2] {
        ok(
            &api,
            "PUT",
            &format!("/v1/partners/{partner}/tenants/{t}"),
            &admin,
            None,
        )
        .await;
    }
    // Adding again changes nothing.
    let p = ok(
        &api,
        "PUT",
        &format!("/v1/partners/{partner}/tenants/{t1}"),
        &admin,
        None,
    )
    .await;
    let mut expected = vec![t1.clone(), t2.clone()];
    expected.sort();
    assert_eq!(p["tenants"], json!(expected));
    let all = ok(&api, "GET", "/v1/partners", &admin, None).await;
    assert!(
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["partner_id"] == partner.as_str()),
        "{all}"
    );

    // A partner key (as `hookline keys create --partner` makes it).
    let key = generate_key();
    let mut record = new_api_key(
        &key,
        &id(&partner),
        vec![WebhooksWrite],
        None,
        app.clock.now(),
    );
    record.partner_id = Some(id(&partner));
    app.store.put_key(&record).await.unwrap();

    let listed = ids(&ok(&api, "GET", "/v1/webhooks?limit=250", &key, None).await);
    assert!(
        listed.contains(&hooks[0]) && listed.contains(&hooks[1]),
        "{listed:?}"
    );
    assert!(
        !listed.contains(&hooks[2]),
        "another partner's tenant: {listed:?}"
    );
    let one = ids(&ok(
        &api,
        "GET",
        &format!("/v1/webhooks?tenant_id={t1}"),
        &key,
        None,
    )
    .await);
    assert_eq!(one, [hooks[0].clone()]);
    ok(
        &api,
        "GET",
        &format!("/v1/webhooks/{}?tenant_id={t1}", hooks[0]),
        &key,
        None,
    )
    .await;
    let created = ok(
        &api,
        "POST",
        &format!("/v1/webhooks?tenant_id={t2}"),
        &key,
        Some(json!({"url": "https://b.example.com/h"})),
    )
    .await;
    assert_eq!(created["tenant_id"], t2.as_str());
    // Anything but a listing names its tenant; a tenant not of the partner does not exist.
    let (s, v) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": "https://c.example.com/h"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["field"].as_str()),
        (422, Some("tenant_id")),
        "{v}"
    );
    let (s, _) = api
        .call(
            "GET",
            &format!("/v1/webhooks/{}", hooks[0]),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s, 422);
    for path in [
        format!("/v1/webhooks?tenant_id={t3}"),
        format!("/v1/webhooks/{}?tenant_id={t3}", hooks[2]),
    ] {
        let (s, v) = api.call("GET", &path, Some(&key), None).await;
        assert_eq!(s, 404, "{path}: {v}");
    }
    let (s, _) = api.call("GET", "/v1/partners", Some(&key), None).await;
    assert_eq!(s, 403, "a partner key is no admin");

    // Admins filter by partner; others may not.
    let mine = ids(&ok(
        &api,
        "GET",
        &format!("/v1/webhooks?limit=250&partner_id={partner}"),
        &admin,
        None,
    )
    .await);
    let mut want = vec![
        hooks[0].clone(),
        hooks[1].clone(),
        created["id"].as_str().unwrap().to_string(),
    ];
    want.sort();
    let mut got = mine.clone();
    got.sort();
    assert_eq!(got, want);
    let tenant_key = mint_key(&app, &t1, &[WebhooksWrite]).await;
    let (s, _) = api
        .call(
            "GET",
            &format!("/v1/webhooks?partner_id={partner}"),
            Some(&tenant_key),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = api
        .call(
            "PUT",
            &format!("/v1/partners/{partner}/tenants/{t3}"),
            Some(&tenant_key),
            None,
        )
        .await;
    assert_eq!(s, 403);

    // A removed tenant is out of reach at once.
    let p = ok(
        &api,
        "DELETE",
        &format!("/v1/partners/{partner}/tenants/{t2}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(p["tenants"], json!([t1.clone()]));
    let (s, _) = api
        .call(
            "GET",
            &format!("/v1/webhooks?tenant_id={t2}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = api
        .call(
            "DELETE",
            &format!("/v1/partners/{partner}/tenants/{t2}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = api
        .call("GET", "/v1/partners/nobody-here", Some(&admin), None)
        .await;
    assert_eq!(s, 404);
}

hookline_tests::per_backend!(partners_act_on_their_tenants_only);
