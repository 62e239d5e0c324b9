//! The store and queue contract: the same checks against every backend (SQLite, and DynamoDB
//! plus SQS on the emulator), including what conditional writes must guarantee under concurrency.

use chrono::{TimeDelta, Utc};
use hookline::auth::api_key::new_api_key;
use hookline::ids::{ApiKeyId, DeliveryId, EventId, TenantId};
use hookline::model::{Delivery, DeliveryStatus, Event, Scope, Webhook};
use hookline::store::StoreError;
use hookline_tests::{Backend, id, test_config, unique, webhook_record};

fn webhook(tenant: &str, id: &str) -> Webhook {
    webhook_record(
        tenant,
        id,
        "https://api.example.com/h",
        &hookline::signing::generate_secret(),
    )
}

fn delivery(tenant: &str, webhook: &str, n: i64, status: DeliveryStatus) -> Delivery {
    let at = Utc::now() - TimeDelta::seconds(1000 - n);
    let event: EventId = id(&format!("evt_{n}_{}", unique("x")));
    Delivery {
        id: DeliveryId::of(&id(tenant), &event, &id(webhook), at),
        tenant_id: id(tenant),
        webhook_id: id(webhook),
        event_id: event,
        event_type: "a.b".into(),
        status,
        created_at: at,
        updated_at: at,
        next_attempt_at: None,
        attempts: vec![],
        attempt_count: 0,
        automatic_count: 0,
        first_attempt: None,
        cancel_reason: None,
        deferred_reason: None,
        paced_at: None,
        expires_at: at + TimeDelta::days(30),
    }
}

async fn keys_are_found_by_id_and_listed_per_tenant(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    assert!(
        app.store.no_keys().await.unwrap(),
        "{name}: a fresh store has no keys"
    );
    let tenant: TenantId = id(&unique("t"));
    let k1 = new_api_key(
        "key-one-0000000000",
        &tenant,
        vec![Scope::Admin],
        Some("one".into()),
        Utc::now(),
    );
    let k2 = new_api_key(
        "key-two-0000000000",
        &tenant,
        vec![Scope::WebhooksRead],
        None,
        Utc::now(),
    );
    let other = new_api_key(
        "key-three-00000000",
        &id(&unique("t")),
        vec![Scope::WebhooksRead],
        None,
        Utc::now(),
    );
    for k in [&k1, &k2, &other] {
        app.store.put_key(k).await.unwrap();
    }
    assert!(!app.store.no_keys().await.unwrap());
    assert_eq!(
        app.store.get_key(&k1.id).await.unwrap().as_ref(),
        Some(&k1),
        "{name}"
    );
    assert_eq!(
        app.store
            .get_key(&id::<ApiKeyId>("key_missing"))
            .await
            .unwrap(),
        None
    );
    let mut listed: Vec<ApiKeyId> = app
        .store
        .list_keys(&tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    listed.sort();
    let mut want = vec![k1.id.clone(), k2.id.clone()];
    want.sort();
    assert_eq!(listed, want, "{name}");
}

async fn webhook_updates_are_guarded_by_version(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let tenant: TenantId = id(&unique("t"));
    let w = webhook(&tenant, "wh_1");
    app.store.create_webhook(&w, 10).await.unwrap();
    assert_eq!(
        app.store
            .get_webhook(&tenant, &id("wh_1"))
            .await
            .unwrap()
            .as_ref(),
        Some(&w),
        "{name}"
    );
    assert_eq!(
        app.store
            .get_webhook(&id(&unique("t")), &id("wh_1"))
            .await
            .unwrap(),
        None,
        "{name}: scoped to the tenant"
    );

    let mut a = w.clone();
    a.version = 2;
    a.url = "https://a.example.com/".into();
    let mut b = w.clone();
    b.version = 2;
    b.url = "https://b.example.com/".into();
    app.store.update_webhook(&a).await.unwrap();
    let lost = app.store.update_webhook(&b).await.unwrap_err();
    assert!(
        matches!(lost, StoreError::VersionConflict),
        "{name}: {lost}"
    );
    assert_eq!(
        app.store
            .get_webhook(&tenant, &id("wh_1"))
            .await
            .unwrap()
            .unwrap()
            .url,
        "https://a.example.com/"
    );

    let mut gone = webhook(&tenant, "wh_gone");
    gone.version = 2;
    assert!(
        matches!(
            app.store.update_webhook(&gone).await,
            Err(StoreError::NotFound(_))
        ),
        "{name}"
    );

    // last_triggered_at only moves forward, and survives a later update.
    let t1 = Utc::now();
    app.store
        .touch_webhook(&tenant, &id("wh_1"), t1)
        .await
        .unwrap();
    app.store
        .touch_webhook(&tenant, &id("wh_1"), t1 - TimeDelta::hours(1))
        .await
        .unwrap();
    let got = app
        .store
        .get_webhook(&tenant, &id("wh_1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.last_triggered_at.map(|t| t.timestamp_millis()),
        Some(t1.timestamp_millis()),
        "{name}"
    );
    app.store
        .touch_webhook(&tenant, &id("wh_missing"), t1)
        .await
        .unwrap();
    assert_eq!(
        app.store
            .get_webhook(&tenant, &id("wh_missing"))
            .await
            .unwrap(),
        None,
        "{name}: touch creates nothing"
    );

    assert!(
        app.store
            .delete_webhook(&tenant, &id("wh_1"))
            .await
            .unwrap()
    );
    assert!(
        !app.store
            .delete_webhook(&tenant, &id("wh_1"))
            .await
            .unwrap(),
        "{name}"
    );
}

async fn creates_never_exceed_the_cap(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let tenant: TenantId = id(&unique("t"));
    // SQLite: eight creates race. DynamoDB: the same conditional transaction one after the
    // other, because moto does not serialize concurrent transactions (tests/moto_txn_probe.py
    // shows the cap overrun there); DynamoDB itself does.
    let results: Vec<hookline::store::StoreResult<()>> = if name == "sqlite" {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let app = app.clone();
                let w = webhook(&tenant, &format!("wh_{i}"));
                tokio::spawn(async move { app.store.create_webhook(&w, 3).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    } else {
        let mut out = Vec::new();
        for i in 0..8 {
            out.push(
                app.store
                    .create_webhook(&webhook(&tenant, &format!("wh_{i}")), 3)
                    .await,
            );
        }
        out
    };
    let mut ok = 0;
    for r in results {
        match r {
            Ok(()) => ok += 1,
            Err(StoreError::CapReached { cap: 3 }) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(
        ok, 3,
        "{name}: {ok} of 8 creates succeeded under a cap of 3"
    );
    let page = app
        .store
        .list_webhooks(Some(&tenant), None, 100)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3, "{name}");
    // Deleting gives the place back.
    assert!(
        app.store
            .delete_webhook(&tenant, &page.items[0].id)
            .await
            .unwrap()
    );
    app.store
        .create_webhook(&webhook(&tenant, "wh_new"), 3)
        .await
        .unwrap();
    let again = app
        .store
        .create_webhook(&webhook(&tenant, "wh_over"), 3)
        .await;
    assert!(
        matches!(again, Err(StoreError::CapReached { .. })),
        "{name}: full again"
    );
}

async fn events_insert_once_and_deliveries_keep_their_progress(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let tenant: TenantId = id(&unique("t"));
    let now = Utc::now();
    let ev = Event {
        id: id("evt_1"),
        tenant_id: tenant.clone(),
        event_type: "a.b".into(),
        account_id: None,
        data: serde_json::json!({"x": 1}),
        created_at: now,
        deliveries: 2,
        // Its deliveries are found through these (their ids derive from them).
        webhook_ids: vec![id("wh_1")],
        expires_at: now + TimeDelta::days(1),
        log_level: Default::default(),
    };
    assert!(app.store.put_event(&ev, now).await.unwrap(), "{name}");
    let mut again = ev.clone();
    again.deliveries = 9;
    assert!(
        !app.store.put_event(&again, now).await.unwrap(),
        "{name}: second insert refused"
    );
    assert_eq!(
        app.store
            .get_event(&tenant, &id("evt_1"))
            .await
            .unwrap()
            .unwrap()
            .deliveries,
        2
    );

    let mut d = delivery(&tenant, "wh_1", 1, DeliveryStatus::Pending);
    d.event_id = id("evt_1");
    d.created_at = ev.created_at;
    d.id = DeliveryId::of(&tenant, &d.event_id, &d.webhook_id, d.created_at);
    app.store
        .create_deliveries(std::slice::from_ref(&d), now)
        .await
        .unwrap();
    let mut done = d.clone();
    done.status = DeliveryStatus::Succeeded;
    done.attempts.push(hookline::model::Attempt {
        at: now,
        status_code: Some(200),
        duration_ms: 3,
        response_excerpt: Some("ok".into()),
        error_kind: None,
        error: None,
        manual: false,
        retry_id: None,
        key_id: None,
        rule: None,
        request_headers: None,
    });
    app.store.save_delivery(&done, 0, None).await.unwrap();
    // A second save from the same starting point loses (a duplicate worker).
    assert!(
        matches!(
            app.store.save_delivery(&done, 0, None).await,
            Err(StoreError::AlreadyRecorded)
        ),
        "{name}"
    );
    // Re-creating (a repeated publish) leaves the recorded progress alone.
    app.store
        .create_deliveries(&[d.clone()], now)
        .await
        .unwrap();
    let stored = app
        .store
        .get_delivery(&tenant, &d.webhook_id, &d.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, done, "{name}");
    let of_event = app.store.event_deliveries(&ev).await.unwrap();
    assert_eq!(of_event.len(), 1, "{name}");
}

async fn deliveries_list_newest_first_by_status_with_cursors(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let tenant: TenantId = id(&unique("t"));
    let all: Vec<Delivery> = (0..23)
        .map(|n| {
            delivery(
                &tenant,
                "wh_1",
                n,
                if n % 4 == 0 {
                    DeliveryStatus::Failed
                } else {
                    DeliveryStatus::Succeeded
                },
            )
        })
        .collect();
    app.store.create_deliveries(&all, Utc::now()).await.unwrap();
    app.store
        .create_deliveries(
            &[delivery(&tenant, "wh_other", 99, DeliveryStatus::Failed)],
            Utc::now(),
        )
        .await
        .unwrap();
    let newest_first: Vec<DeliveryId> = all.iter().rev().map(|d| d.id.clone()).collect();

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = app
            .store
            .list_deliveries(&tenant, &id("wh_1"), None, cursor.as_ref(), 5)
            .await
            .unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|d| d.id.clone()));
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, newest_first, "{name}");

    let failed = app
        .store
        .list_deliveries(
            &tenant,
            &id("wh_1"),
            Some(DeliveryStatus::Failed),
            None,
            100,
        )
        .await
        .unwrap();
    let want: Vec<DeliveryId> = all
        .iter()
        .rev()
        .filter(|d| d.status == DeliveryStatus::Failed)
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(
        failed
            .items
            .iter()
            .map(|d| d.id.clone())
            .collect::<Vec<_>>(),
        want,
        "{name}"
    );
    assert_eq!(failed.next, None);
}

hookline_tests::per_backend!(
    keys_are_found_by_id_and_listed_per_tenant,
    webhook_updates_are_guarded_by_version,
    creates_never_exceed_the_cap,
    events_insert_once_and_deliveries_keep_their_progress,
    deliveries_list_newest_first_by_status_with_cursors,
);
