//! Partners (seed 003): a partner groups tenants; a partner key acts on any of them with
//! `?tenant_id=` and lists across them, and nothing beyond; admins filter by partner.

use hookline::auth::api_key::{generate_key, new_api_key};
use hookline::model::Scope::{Admin, WebhooksWrite};
use hookline_client::types::{ListOutWebhookOutDataItem, WebhookIn};
use hookline_tests::{Api, Backend, body, id, mint_key, ok, refused, test_config, unique};
use serde_json::json;

fn ids(list: &[ListOutWebhookOutDataItem]) -> Vec<String> {
    let mut ids: Vec<String> = list.iter().map(|w| w.id.to_string()).collect();
    ids.sort();
    ids
}

async fn partners_act_on_their_tenants_only(b: Backend) {
    let app = b.app(test_config()).await;
    let api = Api::new(app.clone());
    let admin = api
        .typed(&mint_key(&app, &unique("ops"), &[Admin]).await)
        .await;
    let (t1, t2, t3) = (unique("pt"), unique("pt"), unique("pt"));
    let hook = |u: &str| body::<WebhookIn>(json!({"url": format!("https://{u}.example.com/h")}));
    let mut hooks = Vec::new();
    for t in [&t1, &t2, &t3] {
        let c = api.typed(&mint_key(&app, t, &[WebhooksWrite]).await).await;
        hooks.push(ok(c.webhooks_create().body(hook("a")).send()).await.id);
    }
    let partner = unique("partner");
    let add = |t: &str| {
        admin
            .partners_add_tenant()
            .partner_id(partner.clone())
            .tenant_id(t.to_string())
            .send()
    };
    for t in [&t1, &t2] {
        ok(add(t)).await;
    }
    // Adding again changes nothing.
    let p = ok(add(&t1)).await;
    let mut expected = vec![t1.clone(), t2.clone()];
    expected.sort();
    let tenants: Vec<String> = p.tenants.iter().map(|t| t.to_string()).collect();
    assert_eq!(tenants, expected);
    let all = ok(admin.partners_list().send()).await;
    assert!(
        all.data.iter().any(|x| x.partner_id.to_string() == partner),
        "{all:?}"
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
    let pk = api.typed(&key).await;

    let listed = ids(&ok(pk.webhooks_list().limit(250u64).send()).await.data);
    let (h0, h1, h2) = (
        hooks[0].to_string(),
        hooks[1].to_string(),
        hooks[2].to_string(),
    );
    assert!(listed.contains(&h0) && listed.contains(&h1), "{listed:?}");
    assert!(
        !listed.contains(&h2),
        "another partner's tenant: {listed:?}"
    );
    let one = ok(pk.webhooks_list().tenant_id(t1.clone()).send()).await;
    assert_eq!(ids(&one.data), std::slice::from_ref(&h0));
    ok(pk
        .webhooks_read()
        .id(hooks[0].clone())
        .tenant_id(t1.clone())
        .send())
    .await;
    let created = ok(pk
        .webhooks_create()
        .tenant_id(t2.clone())
        .body(hook("b"))
        .send())
    .await;
    assert_eq!(created.tenant_id.to_string(), t2);
    // Anything but a listing names its tenant; a tenant not of the partner does not exist.
    let unnamed = refused(pk.webhooks_create().body(hook("c")).send()).await;
    assert_eq!(
        (unnamed.0, unnamed.1.error.field.as_deref()),
        (422, Some("tenant_id")),
        "{unnamed:?}"
    );
    assert_eq!(
        refused(pk.webhooks_read().id(hooks[0].clone()).send())
            .await
            .0,
        422
    );
    assert_eq!(
        refused(pk.webhooks_list().tenant_id(t3.clone()).send())
            .await
            .0,
        404
    );
    assert_eq!(
        refused(
            pk.webhooks_read()
                .id(hooks[2].clone())
                .tenant_id(t3.clone())
                .send()
        )
        .await
        .0,
        404
    );
    assert_eq!(
        refused(pk.partners_list().send()).await.0,
        403,
        "a partner key is no admin"
    );

    // Admins filter by partner; others may not.
    let mine = ok(admin
        .webhooks_list()
        .limit(250u64)
        .partner_id(partner.clone())
        .send())
    .await;
    let mut want = vec![h0, h1, created.id.to_string()];
    want.sort();
    assert_eq!(ids(&mine.data), want);
    let tenant_key = api
        .typed(&mint_key(&app, &t1, &[WebhooksWrite]).await)
        .await;
    assert_eq!(
        refused(
            tenant_key
                .webhooks_list()
                .partner_id(partner.clone())
                .send()
        )
        .await
        .0,
        403
    );
    assert_eq!(
        refused(
            tenant_key
                .partners_add_tenant()
                .partner_id(partner.clone())
                .tenant_id(t3.clone())
                .send()
        )
        .await
        .0,
        403
    );

    // A removed tenant is out of reach at once.
    let remove = || {
        admin
            .partners_remove_tenant()
            .partner_id(partner.clone())
            .tenant_id(t2.clone())
            .send()
    };
    let p = ok(remove()).await;
    let tenants: Vec<String> = p.tenants.iter().map(|t| t.to_string()).collect();
    assert_eq!(tenants, std::slice::from_ref(&t1));
    assert_eq!(
        refused(pk.webhooks_list().tenant_id(t2.clone()).send())
            .await
            .0,
        404
    );
    assert_eq!(refused(remove()).await.0, 404);
    assert_eq!(
        refused(
            admin
                .partners_read()
                .partner_id("nobody-here".to_string())
                .send()
        )
        .await
        .0,
        404
    );
}

hookline_tests::per_backend!(partners_act_on_their_tenants_only);
