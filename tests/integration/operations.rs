//! Delivery log and webhook operations through the API, on both backends: the log and its
//! filters, manual retry, recover, test events, secret rotation, stats, admin views and
//! retention.

use std::time::Duration;

use chrono::Utc;
use hookline::ids::{DeliveryId, EventId};
use hookline::model::Scope;
use hookline_tests::{
    Api, Backend, Harness, PyReceiver, Receiver, eventually, id, mint_key, test_config, unique,
};
use serde_json::{Value, json};

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

fn field(v: &Value, f: &str) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[f].as_str().unwrap().to_string())
        .collect()
}

/// A delivery with its attempts, as JSON.
async fn delivery(h: &Harness, wh: &str, did: &str) -> Value {
    let d = h.delivery(&id(wh), &id(did)).await;
    serde_json::to_value(d).unwrap()
}

/// Waits until a delivery has `attempts` attempts and no longer is `pending`.
async fn wait_delivery(h: &Harness, wh: &str, did: &str, attempts: usize) -> Value {
    eventually(
        &format!("delivery {did} to have {attempts} attempts"),
        Duration::from_secs(20),
        || async {
            let d = delivery(h, wh, did).await;
            (d["attempts"].as_array().unwrap().len() == attempts && d["status"] != "pending")
                .then_some(d)
        },
    )
    .await
}

/// Waits until every delivery of the event has settled; returns them as JSON.
async fn settled(h: &Harness, event: &str) -> Vec<Value> {
    h.settled(&id::<EventId>(event), Duration::from_secs(20))
        .await
        .into_iter()
        .map(|d| serde_json::to_value(d).unwrap())
        .collect()
}

async fn the_delivery_log_lists_newest_first_with_filters_and_every_attempt(b: Backend) {
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let ok = receiver
        .configure(&format!("/log-ok-{name}"), &[], &[200], None)
        .await;
    let down = receiver
        .configure(&format!("/log-down-{name}"), &[], &[500], None)
        .await;
    let (wh_ok, _) = h.webhook(&ok, json!({})).await;
    let (wh_down, _) = h.webhook(&down, json!({"events": ["a.one"]})).await;
    let mut events = Vec::new();
    for t in ["a.one", "a.two", "a.one"] {
        let out = h.publish(json!({"type": t, "data": {"t": t}})).await;
        events.push(out.id.to_string());
    }
    for e in &events {
        settled(&h, e).await;
    }
    let k = Some(h.key.as_str());
    let (s, all) = h
        .api
        .call("GET", &format!("/v1/webhooks/{wh_ok}/deliveries"), k, None)
        .await;
    assert_eq!(s, 200, "{name}: {all}");
    let newest_first: Vec<String> = events.iter().rev().cloned().collect();
    assert_eq!(field(&all, "event_id"), newest_first, "{name}");
    assert!(
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "succeeded" && d["attempt_count"] == 1)
    );

    let (_, ones) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries?event_type=a.one"),
            k,
            None,
        )
        .await;
    assert_eq!(
        field(&ones, "event_id"),
        vec![events[2].clone(), events[0].clone()],
        "{name}"
    );
    let (_, page1) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries?limit=2"),
            k,
            None,
        )
        .await;
    assert_eq!(ids(&page1).len(), 2);
    let cursor = page1["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let (_, page2) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries?limit=2&cursor={cursor}"),
            k,
            None,
        )
        .await;
    assert_eq!(field(&page2, "event_id"), vec![events[0].clone()], "{name}");
    assert_eq!(page2["has_more"], false);
    let (_, none) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries?status=failed"),
            k,
            None,
        )
        .await;
    assert_eq!(ids(&none), Vec::<String>::new());

    let (_, failed) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_down}/deliveries?status=failed"),
            k,
            None,
        )
        .await;
    assert_eq!(
        field(&failed, "event_id"),
        vec![events[2].clone(), events[0].clone()],
        "{name}: only a.one reached it"
    );
    let d = delivery(&h, &wh_down, &ids(&failed)[0]).await;
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{name}: {d}");
    for a in attempts {
        assert_eq!(
            (a["status_code"].clone(), a["error_kind"].clone()),
            (json!(500), json!("http_status"))
        );
        assert!(a["at"].is_string() && a["duration_ms"].is_u64() && a["error"].is_string());
        assert!(
            a["response_excerpt"].as_str().unwrap().contains("received"),
            "{a}"
        );
    }

    let (s, e) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries?status=lost"),
            k,
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].clone()),
        (400, json!("bad_request"))
    );
    let other = mint_key(&h.api.app, &unique("t"), &[Scope::WebhooksRead]).await;
    let (s, _) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 404, "{name}: another tenant's log is not found");
    let (s, _) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_down}/deliveries/{}", ids(&all)[0]),
            k,
            None,
        )
        .await;
    assert_eq!(
        s.as_u16(),
        404,
        "{name}: a delivery is read under its own webhook only"
    );
    h.stop().await;
}

async fn manual_retry_is_one_recorded_attempt_and_reaches_a_recovered_receiver(b: Backend) {
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let path = format!("/retry-{name}");
    let url = receiver.configure(&path, &[], &[500], None).await;
    let (wh, secret) = h.webhook(&url, json!({})).await;
    receiver.configure(&path, &[&secret], &[500], None).await;
    let out = h.publish(json!({"type": "a.b", "data": {}})).await;
    let ds = settled(&h, &out.id).await;
    let did = ds[0]["id"].as_str().unwrap().to_string();
    assert_eq!(ds[0]["status"], "failed", "{name}");
    let k = Some(h.key.as_str());
    let retry_path = format!("/v1/webhooks/{wh}/deliveries/{did}/retry");

    // Still failing: one more (manual) attempt, and the automatic schedule stays closed.
    let (s, r) = h.api.call("POST", &retry_path, k, None).await;
    assert_eq!(
        (s.as_u16(), r["status"].clone()),
        (202, json!("queued")),
        "{name}: {r}"
    );
    let d = wait_delivery(&h, &wh, &did, 4).await;
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"][3]["manual"], true);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        delivery(&h, &wh, &did).await["attempts"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "{name}: no automatic attempt follows"
    );

    // The receiver recovers: the retry succeeds.
    receiver.configure(&path, &[&secret], &[200], None).await;
    let (s, _) = h.api.call("POST", &retry_path, k, None).await;
    assert_eq!(s.as_u16(), 202);
    let d = wait_delivery(&h, &wh, &did, 5).await;
    assert_eq!(d["status"], "succeeded", "{name}: {d}");
    assert_eq!(
        (
            d["attempts"][4]["status_code"].clone(),
            d["attempts"][4]["manual"].clone()
        ),
        (json!(200), json!(true))
    );
    let got = receiver.log_for(&path).await;
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[4].verified_by,
        [0],
        "{name}: the retry is signed like the first send"
    );
    assert_eq!(
        got[4].webhook_id, got[0].webhook_id,
        "same webhook-id, so receivers can dedupe"
    );

    // Unknown delivery, disabled webhook.
    let (s, _) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wh}/deliveries/del_nope/retry"),
            k,
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 404);
    h.api
        .call(
            "PATCH",
            &format!("/v1/webhooks/{wh}"),
            k,
            Some(json!({"enabled": false})),
        )
        .await;
    let (s, e) = h.api.call("POST", &retry_path, k, None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].clone()),
        (409, json!("webhook_disabled")),
        "{name}"
    );
    h.stop().await;
}

async fn recover_requeues_exactly_the_failed_deliveries_in_the_window(b: Backend) {
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let name = name.replace('+', "-");
    let h = Harness::start(app).await;
    let path = format!("/recover-{name}");
    let url = receiver.configure(&path, &[], &[500], None).await;
    let (wh, _) = h.webhook(&url, json!({})).await;
    let k = Some(h.key.as_str());
    let publish = |id: &'static str| {
        h.publish(json!({"id": format!("{id}-{name}"), "type": "a.b", "data": {}}))
    };
    publish("before").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let since = Utc::now();
    publish("in-1").await;
    publish("in-2").await;
    publish("in-ok").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let until = Utc::now();
    publish("after").await;
    for e in ["before", "in-1", "in-2", "in-ok", "after"] {
        settled(&h, &format!("{e}-{name}")).await;
    }
    // One delivery in the window is no longer failed: a manual retry made it succeed.
    receiver.configure(&path, &[], &[200], None).await;
    let ok_id = h.event(&id(&format!("in-ok-{name}"))).await.deliveries[0]
        .id
        .clone();
    h.api
        .call(
            "POST",
            &format!("/v1/webhooks/{wh}/deliveries/{ok_id}/retry"),
            k,
            None,
        )
        .await;
    wait_delivery(&h, &wh, &ok_id, 4).await;
    let before = receiver.log_for(&path).await.len();

    let bad = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wh}/recover"),
            k,
            Some(json!({"since": until, "until": since})),
        )
        .await;
    assert_eq!(
        (bad.0.as_u16(), bad.1["error"]["field"].clone()),
        (422, json!("until"))
    );
    let (s, e) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wh}/recover"),
            k,
            Some(json!({})),
        )
        .await;
    assert_eq!(s.as_u16(), 422, "since is required: {e}");

    let (s, r) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wh}/recover"),
            k,
            Some(json!({"since": since, "until": until})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), r["queued"].clone()),
        (202, json!(2)),
        "{name}: {r}"
    );
    for e in ["in-1", "in-2"] {
        let id = format!("{e}-{name}");
        eventually(
            &format!("{id} recovered"),
            Duration::from_secs(20),
            || async {
                let (_, ev) = h
                    .api
                    .call("GET", &format!("/v1/events/{id}"), k, None)
                    .await;
                (ev["deliveries"][0]["status"] == "succeeded").then_some(())
            },
        )
        .await;
    }
    let got = receiver.log_for(&path).await;
    let resent: Vec<String> = got[before..]
        .iter()
        .map(|r| r.webhook_id.clone().unwrap())
        .collect();
    let mut resent_sorted = resent.clone();
    resent_sorted.sort();
    assert_eq!(
        resent_sorted,
        vec![format!("in-1-{name}"), format!("in-2-{name}")],
        "{name}: exactly the failed ones in the window"
    );
    for e in ["before", "after"] {
        let (_, ev) = h
            .api
            .call("GET", &format!("/v1/events/{e}-{name}"), k, None)
            .await;
        assert_eq!(
            ev["deliveries"][0]["status"], "failed",
            "{name}: {e} is outside the window"
        );
    }
    h.stop().await;
}

async fn test_events_go_to_one_webhook_only(b: Backend) {
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let (pa, pb) = (format!("/test-a-{name}"), format!("/test-b-{name}"));
    let (wa, secret) = h
        .webhook(&receiver.configure(&pa, &[], &[200], None).await, json!({}))
        .await;
    receiver.configure(&pa, &[&secret], &[200], None).await;
    h.webhook(&receiver.configure(&pb, &[], &[200], None).await, json!({}))
        .await;
    let k = Some(h.key.as_str());
    let (s, t) = h
        .api
        .call("POST", &format!("/v1/webhooks/{wa}/test"), k, None)
        .await;
    assert_eq!(
        (s.as_u16(), t["event_type"].clone()),
        (202, json!("webhook.test")),
        "{name}: {t}"
    );
    let d = wait_delivery(&h, &wa, t["delivery_id"].as_str().unwrap(), 1).await;
    assert_eq!(d["status"], "succeeded");
    let got = receiver.wait_for(&pa, 1, Duration::from_secs(10)).await;
    let body = got[0].json();
    assert_eq!(
        (body["type"].clone(), body["data"]["webhook_id"].clone()),
        (json!("webhook.test"), json!(wa))
    );
    assert_eq!(got[0].verified_by, [0]);

    // A chosen catalogue type carries its example payload.
    h.api
        .call(
            "POST",
            "/v1/event-types",
            k,
            Some(json!({"name": "invoice.created", "example": {"invoice_id": "inv_example"}})),
        )
        .await;
    let (s, t) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wa}/test"),
            k,
            Some(json!({"event_type": "invoice.created"})),
        )
        .await;
    assert_eq!(s.as_u16(), 202, "{t}");
    let got = receiver.wait_for(&pa, 2, Duration::from_secs(10)).await;
    let body = got[1].json();
    assert_eq!(
        (body["type"].clone(), body["data"].clone()),
        (
            json!("invoice.created"),
            json!({"invoice_id": "inv_example"})
        ),
        "{name}"
    );
    let (s, e) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wa}/test"),
            k,
            Some(json!({"event_type": "nope.nope"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("event_type"))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.log_for(&pb).await.is_empty(),
        "{name}: the other webhook got nothing"
    );
    h.stop().await;
}

async fn rotation_with_a_grace_period_signs_with_both_secrets_and_without_only_the_new(b: Backend) {
    // The official Python verifiers: rotation is where interoperability is easiest to break.
    let receiver = PyReceiver::start();
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let k = Some(h.key.as_str());
    let (pa, pb) = (format!("/rot-grace-{name}"), format!("/rot-now-{name}"));
    let (wa, old_a) = h
        .webhook(
            &receiver.configure(&pa, &[], &[200], None).await,
            json!({"events": ["rot.a"]}),
        )
        .await;
    let (wb, old_b) = h
        .webhook(
            &receiver.configure(&pb, &[], &[200], None).await,
            json!({"events": ["rot.b"]}),
        )
        .await;

    let (s, ra) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wa}/rotate-secret"),
            k,
            Some(json!({"grace_period_seconds": 3600})),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{name}: {ra}");
    let new_a = ra["secret"].as_str().unwrap().to_string();
    assert!(new_a.starts_with("whsec_") && new_a != old_a);
    assert!(ra["previous_secret_expires_at"].is_string());
    let (s, rb) = h
        .api
        .call("POST", &format!("/v1/webhooks/{wb}/rotate-secret"), k, None)
        .await;
    assert_eq!(s.as_u16(), 200, "{name}: {rb}");
    assert!(
        rb["previous_secret_expires_at"].is_null(),
        "no grace by default"
    );
    let new_b = rb["secret"].as_str().unwrap().to_string();
    let (_, read) = h
        .api
        .call("GET", &format!("/v1/webhooks/{wa}"), k, None)
        .await;
    assert!(
        read["secret"]
            .as_str()
            .unwrap()
            .ends_with(&new_a[new_a.len() - 4..]),
        "masked, the new one"
    );

    receiver
        .configure(&pa, &[&old_a, &new_a], &[200], None)
        .await;
    receiver
        .configure(&pb, &[&old_b, &new_b], &[200], None)
        .await;
    let out = h.publish(json!({"type": "rot.a", "data": {}})).await;
    h.settled(&out.id, Duration::from_secs(20)).await;
    let out = h.publish(json!({"type": "rot.b", "data": {}})).await;
    h.settled(&out.id, Duration::from_secs(20)).await;
    let a = receiver.wait_for(&pa, 1, Duration::from_secs(5)).await;
    assert_eq!(
        a[0].signature.as_deref().unwrap().split(' ').count(),
        2,
        "{name}: two signatures during the grace period"
    );
    assert_eq!(
        a[0].verified_by,
        [0, 1],
        "{name}: the official verifier accepts either secret"
    );
    assert_eq!(a[0].svix_ok.as_deref(), Some(&[0, 1][..]));
    let b = receiver.wait_for(&pb, 1, Duration::from_secs(5)).await;
    assert_eq!(
        b[0].verified_by,
        [1],
        "{name}: without grace only the new secret verifies"
    );

    let (s, e) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wa}/rotate-secret"),
            k,
            Some(json!({"grace_period_seconds": 700000})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("grace_period_seconds"))
    );
    h.stop().await;
}

async fn stats_match_the_deliveries_made(b: Backend) {
    let receiver = Receiver::start().await;
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let k = Some(h.key.as_str());
    let (p1, p2) = (format!("/stats-1-{name}"), format!("/stats-2-{name}"));
    // The first request to p1 fails, the rest succeed; p2 always fails.
    let (w1, _) = h
        .webhook(
            &receiver.configure(&p1, &[], &[500, 200], None).await,
            json!({"events": ["s.one"]}),
        )
        .await;
    let (w2, _) = h
        .webhook(
            &receiver.configure(&p2, &[], &[503], None).await,
            json!({"events": ["s.two"]}),
        )
        .await;
    for _ in 0..3 {
        let out = h.publish(json!({"type": "s.one", "data": {}})).await;
        h.settled(&out.id, Duration::from_secs(20)).await;
    }
    let out = h.publish(json!({"type": "s.two", "data": {}})).await;
    h.settled(&out.id, Duration::from_secs(20)).await;

    let stats = |w: hookline::ids::WebhookId| {
        let h = &h;
        async move {
            eventually("stats to be flushed", Duration::from_secs(10), || async {
                let (s, v) = h
                    .api
                    .call(
                        "GET",
                        &format!("/v1/webhooks/{w}/stats"),
                        Some(&h.key),
                        None,
                    )
                    .await;
                assert_eq!(s.as_u16(), 200, "{v}");
                let settled = v["all_time"]["deliveries"]["succeeded"].as_i64().unwrap()
                    + v["all_time"]["deliveries"]["failed"].as_i64().unwrap();
                (settled > 0 && v["all_time"]["deliveries"]["pending"] == 0).then_some(v)
            })
            .await
        }
    };
    let s1 = stats(w1.clone()).await;
    for period in ["all_time", "last_24h"] {
        let p = &s1[period];
        assert_eq!(
            (
                p["deliveries"]["succeeded"].clone(),
                p["deliveries"]["failed"].clone()
            ),
            (json!(3), json!(0)),
            "{name} {period}: {s1}"
        );
        assert_eq!(
            p["attempts"],
            json!({"total": 4, "succeeded": 3, "failed": 1}),
            "{name} {period}"
        );
        assert_eq!(p["success_rate"], json!(1.0));
        assert!(
            p["response_time"]["p50_ms"].as_u64().is_some()
                && p["response_time"]["p95_ms"].as_u64().is_some()
        );
    }
    assert_eq!(s1["all_time"]["deliveries"]["pending"], 0);
    assert!(s1["last_24h"]["deliveries"]["pending"].is_null());
    let s2 = stats(w2).await;
    assert_eq!(
        s2["all_time"]["deliveries"],
        json!({"pending": 0, "succeeded": 0, "failed": 1, "cancelled": 0}),
        "{name}: {s2}"
    );
    assert_eq!(
        s2["all_time"]["attempts"],
        json!({"total": 3, "succeeded": 0, "failed": 3})
    );
    assert_eq!(s2["all_time"]["success_rate"], json!(0.0));
    let (s, _) = h
        .api
        .call("GET", "/v1/webhooks/wh_missing/stats", k, None)
        .await;
    assert_eq!(s.as_u16(), 404);
    h.stop().await;
}

async fn admin_keys_list_across_tenants_or_filter_by_tenant(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (ta, tb) = (unique("ta"), unique("tb"));
    let ka = mint_key(&api.app, &ta, &[Scope::WebhooksWrite]).await;
    let kb = mint_key(&api.app, &tb, &[Scope::WebhooksWrite]).await;
    let admin = mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await;
    let (_, a) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&ka),
            Some(json!({"url": "https://a.example.com/"})),
        )
        .await;
    let (_, b) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&kb),
            Some(json!({"url": "https://b.example.com/"})),
        )
        .await;
    let (a, b) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let (s, all) = api.call("GET", "/v1/webhooks", Some(&admin), None).await;
    assert_eq!(s.as_u16(), 200);
    let listed = ids(&all);
    assert!(
        listed.contains(&a) && listed.contains(&b),
        "{name}: admin sees every tenant: {listed:?}"
    );
    assert_eq!(
        field(&all, "tenant_id")
            .iter()
            .filter(|t| **t == ta || **t == tb)
            .count(),
        2
    );
    let (_, only_a) = api
        .call(
            "GET",
            &format!("/v1/webhooks?tenant_id={ta}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(ids(&only_a), vec![a.clone()], "{name}");
    let (_, own) = api.call("GET", "/v1/webhooks", Some(&ka), None).await;
    assert_eq!(
        ids(&own),
        vec![a],
        "{name}: other keys see their own tenant only"
    );
}

async fn expired_events_and_deliveries_are_never_returned(b: Backend) {
    let mut config = test_config();
    config.retention = Duration::from_secs(1);
    let (name, app) = (b.name(), b.app(config).await);
    let api = Api::new(app.clone());
    let key = mint_key(
        &app,
        &unique("t"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    let k = Some(key.as_str());
    let (_, w) = api
        .call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://a.example.com/"})),
        )
        .await;
    let wh = w["id"].as_str().unwrap();
    let (_, out) = api
        .call(
            "POST",
            "/v1/events",
            k,
            Some(json!({"id": "evt-exp", "type": "a.b", "data": {}})),
        )
        .await;
    let (s, ev) = api.call("GET", "/v1/events/evt-exp", k, None).await;
    assert_eq!(s.as_u16(), 200, "{name}: {ev}");
    let did = ev["deliveries"][0]["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        api.call("GET", "/v1/events/evt-exp", k, None)
            .await
            .0
            .as_u16(),
        404,
        "{name}"
    );
    assert_eq!(
        api.call(
            "GET",
            &format!("/v1/webhooks/{wh}/deliveries/{did}"),
            k,
            None
        )
        .await
        .0
        .as_u16(),
        404
    );
    assert_eq!(
        ids(&api
            .call("GET", &format!("/v1/webhooks/{wh}/deliveries"), k, None)
            .await
            .1),
        Vec::<String>::new()
    );
    // Publishing the id again is a new event, not a replay of the expired one.
    let (_, again) = api
        .call(
            "POST",
            "/v1/events",
            k,
            Some(json!({"id": "evt-exp", "type": "a.b", "data": {}})),
        )
        .await;
    assert_eq!(again["replayed"], false, "{name}: {again} (first: {out})");
    let tenant = hookline_tests::tenant_of(&app, &key).await;
    let did: DeliveryId = id(&did);
    let purged = app
        .store
        .purge_expired(Utc::now() + chrono::TimeDelta::seconds(5))
        .await
        .unwrap();
    if name == "sqlite" {
        assert!(
            purged >= 2,
            "the embedded store removes expired rows itself: {purged}"
        );
        assert!(
            app.store
                .get_delivery(&tenant, &id(wh), &did)
                .await
                .unwrap()
                .is_none()
        );
    } else {
        // DynamoDB's TTL (never run by the emulator) removes items lazily; the API hid the
        // expired event above meanwhile. (Its delivery, never attempted here, was never
        // written: DynamoDB records a delivery at its first attempt.)
        assert_eq!(purged, 0);
    }
}

hookline_tests::per_backend!(
    the_delivery_log_lists_newest_first_with_filters_and_every_attempt,
    manual_retry_is_one_recorded_attempt_and_reaches_a_recovered_receiver,
    recover_requeues_exactly_the_failed_deliveries_in_the_window,
    test_events_go_to_one_webhook_only,
    rotation_with_a_grace_period_signs_with_both_secrets_and_without_only_the_new,
    stats_match_the_deliveries_made,
    admin_keys_list_across_tenants_or_filter_by_tenant,
    expired_events_and_deliveries_are_never_returned,
);
