//! Delivery log and webhook operations through the API, on both backends: the log and its
//! filters, manual retry, recover, test events, secret rotation, stats, admin views and
//! retention.

use std::sync::Arc;
use std::time::Duration;

use hookline::clock::{Clock, ShiftedClock};
use hookline::model::Scope;
use hookline_client::types::{self, DeliveryStatus, ListOutDeliveryOut};
use hookline_tests::ok as typed;
use hookline_tests::{
    Backend, Harness, Receiver, eventually, mint_key, refused, test_config, unique,
};
use serde_json::{Value, json};

/// Waits until a delivery has `attempts` attempts and no longer is `pending`.
pub(crate) async fn wait_delivery(
    h: &Harness,
    wh: &impl std::fmt::Display,
    did: &impl std::fmt::Display,
    attempts: usize,
) -> (types::DeliveryOut, Vec<types::Attempt>) {
    eventually(
        &format!("delivery {did} to have {attempts} attempts"),
        Duration::from_secs(20),
        || async {
            let mut d = h.delivery(wh, did).await;
            let a = d.attempts.take().unwrap_or_default();
            (a.len() == attempts && d.status != DeliveryStatus::Pending).then_some((d, a))
        },
    )
    .await
}

/// Waits until every delivery of the event has settled.
pub(crate) async fn settled(h: &Harness, event: &str) -> Vec<types::DeliveryOut> {
    h.settled(&event, Duration::from_secs(20)).await
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
    let c = hookline_client::connect(&h.base(), &h.key).unwrap();
    let log = |w: &hookline::ids::WebhookId| c.deliveries_list().id(w.to_string());
    let events_of = |page: &ListOutDeliveryOut| -> Vec<String> {
        page.data.iter().map(|d| d.event_id.to_string()).collect()
    };
    let all = typed(log(&wh_ok).send()).await;
    let newest_first: Vec<String> = events.iter().rev().cloned().collect();
    assert_eq!(events_of(&all), newest_first, "{name}");
    assert!(
        all.data
            .iter()
            .all(|d| d.status == DeliveryStatus::Succeeded && d.attempt_count == 1)
    );

    let ones = typed(log(&wh_ok).event_type("a.one").send()).await;
    assert_eq!(
        events_of(&ones),
        vec![events[2].clone(), events[0].clone()],
        "{name}"
    );
    let page1 = typed(log(&wh_ok).limit(2u64).send()).await;
    assert_eq!(page1.data.len(), 2);
    let cursor = page1.next_cursor.clone().expect("a second page");
    let page2 = typed(log(&wh_ok).limit(2u64).cursor(cursor).send()).await;
    assert_eq!(events_of(&page2), vec![events[0].clone()], "{name}");
    assert!(!page2.has_more);
    let none = typed(log(&wh_ok).status("failed").send()).await;
    assert!(none.data.is_empty());

    let failed = typed(log(&wh_down).status("failed").send()).await;
    assert_eq!(
        events_of(&failed),
        vec![events[2].clone(), events[0].clone()],
        "{name}: only a.one reached it"
    );
    let d = typed(
        c.deliveries_read()
            .id(wh_down.to_string())
            .delivery_id(failed.data[0].id.clone())
            .send(),
    )
    .await;
    let attempts = d.attempts.clone().unwrap_or_default();
    // Every request that reached the endpoint for this event is listed. How many fit the
    // 2-second window at 1-second intervals is the queue's timing: three when retries are
    // prompt, two when moto's whole-second visibility puts the first retry past a second.
    let reached: Vec<_> = receiver
        .log_for(&format!("/log-down-{name}"))
        .await
        .into_iter()
        .filter(|r| r.webhook_id.as_deref() == Some(events[2].as_str()))
        .collect();
    assert_eq!(attempts.len(), reached.len(), "{name}: {d:?}");
    assert!((2..=3).contains(&attempts.len()), "{name}: {d:?}");
    assert_eq!(d.attempt_count as usize, attempts.len(), "{name}");
    for a in &attempts {
        assert_eq!(
            (a.status_code, a.error_kind.map(|k| k.to_string())),
            (Some(500), Some("http_status".to_string()))
        );
        assert!(a.error.is_some(), "{a:?}");
        assert!(
            a.response_excerpt
                .as_deref()
                .unwrap_or("")
                .contains("received"),
            "{a:?}"
        );
    }

    // A status the contract does not know is a request the typed client cannot make: raw.
    let (s, e) = h
        .api
        .call(
            "GET",
            &format!("/v1/webhooks/{wh_ok}/deliveries?status=lost"),
            Some(h.key.as_str()),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].clone()),
        (400, json!("bad_request"))
    );
    let other = mint_key(&h.api.app, &unique("t"), &[Scope::WebhooksRead]).await;
    let other = hookline_client::connect(&h.base(), &other).unwrap();
    let (s, _) = refused(other.deliveries_list().id(wh_ok.to_string()).send()).await;
    assert_eq!(s, 404, "{name}: another tenant's log is not found");
    let (s, _) = refused(
        c.deliveries_read()
            .id(wh_down.to_string())
            .delivery_id(all.data[0].id.clone())
            .send(),
    )
    .await;
    assert_eq!(
        s, 404,
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
    let did = ds[0].id.to_string();
    assert_eq!(ds[0].status, DeliveryStatus::Failed, "{name}");
    let retry = || {
        h.client
            .deliveries_retry()
            .id(wh.to_string())
            .delivery_id(did.clone())
            .send()
    };

    // Still failing: one more (manual) attempt, and the automatic schedule stays closed.
    let r = typed(retry()).await;
    assert_eq!(r.status, "queued", "{name}: {r:?}");
    let (d, attempts) = wait_delivery(&h, &wh, &did, 4).await;
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert_eq!(attempts[3].manual, Some(true));
    assert_eq!(
        d.next_attempt_at, None,
        "{name}: no automatic attempt follows: {d:?}"
    );

    // The receiver recovers: the retry succeeds.
    receiver.configure(&path, &[&secret], &[200], None).await;
    typed(retry()).await;
    let (d, attempts) = wait_delivery(&h, &wh, &did, 5).await;
    assert_eq!(d.status, DeliveryStatus::Succeeded, "{name}: {d:?}");
    assert_eq!(
        (attempts[4].status_code, attempts[4].manual),
        (Some(200), Some(true))
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
    let unknown = h
        .client
        .deliveries_retry()
        .id(wh.to_string())
        .delivery_id("del_nope".to_string())
        .send();
    assert_eq!(refused(unknown).await.0, 404);
    let off = types::WebhookPatchIn::builder().enabled(false);
    typed(
        h.client
            .webhooks_patch()
            .id(wh.to_string())
            .body(off)
            .send(),
    )
    .await;
    let (s, e) = refused(retry()).await;
    assert_eq!(
        (s, e.error.code.as_str()),
        (409, "webhook_disabled"),
        "{name}"
    );
    h.stop().await;
}

async fn recover_requeues_exactly_the_failed_deliveries_in_the_window(b: Backend) {
    let receiver = Receiver::start().await;
    // An hour between the windows' edges, jumped on the injected clock, not slept through.
    let clock = ShiftedClock::new();
    let app = b.app_on(test_config(), Arc::new(clock.clone())).await;
    let name = b.name().replace('+', "-");
    let h = Harness::start(app).await;
    let path = format!("/recover-{name}");
    let url = receiver.configure(&path, &[], &[500], None).await;
    let (wh, _) = h.webhook(&url, json!({})).await;
    let publish = |id: &'static str| {
        h.publish(json!({"id": format!("{id}-{name}"), "type": "a.b", "data": {}}))
    };
    let hour = Duration::from_secs(3600);
    publish("before").await;
    clock.jump(hour);
    let since = clock.now();
    publish("in-1").await;
    publish("in-2").await;
    publish("in-ok").await;
    clock.jump(hour);
    let until = clock.now();
    publish("after").await;
    for e in ["before", "in-1", "in-2", "in-ok", "after"] {
        settled(&h, &format!("{e}-{name}")).await;
    }
    // One delivery in the window is no longer failed: a manual retry made it succeed.
    receiver.configure(&path, &[], &[200], None).await;
    // The jump may have ended its automatic schedule early, past its window.
    let ok = &h.event(&format!("in-ok-{name}")).await.deliveries[0];
    let (ok_id, tried) = (ok.id.clone(), ok.attempt_count);
    let retry = h
        .client
        .deliveries_retry()
        .id(wh.to_string())
        .delivery_id(ok_id.clone());
    typed(retry.send()).await;
    wait_delivery(&h, &wh, &ok_id, tried as usize + 1).await;
    let before = receiver.log_for(&path).await.len();

    let recover = |body: Value| {
        h.client
            .deliveries_recover()
            .id(wh.to_string())
            .body(hookline_tests::body::<types::RecoverIn>(body))
            .send()
    };
    let (s, e) = refused(recover(json!({"since": until, "until": since}))).await;
    assert_eq!((s, e.error.field.as_deref()), (422, Some("until")));
    // Without `since` the request is not one the typed client can make: raw.
    let (s, e) = h
        .api
        .call(
            "POST",
            &format!("/v1/webhooks/{wh}/recover"),
            Some(h.key.as_str()),
            Some(json!({})),
        )
        .await;
    assert_eq!(s.as_u16(), 422, "since is required: {e}");

    let r = typed(recover(json!({"since": since, "until": until}))).await;
    assert_eq!(r.queued, 2, "{name}: {r:?}");
    for e in ["in-1", "in-2"] {
        let id = format!("{e}-{name}");
        eventually(
            &format!("{id} recovered"),
            Duration::from_secs(20),
            || async {
                let ev = h.event(&id).await;
                (ev.deliveries[0].status == DeliveryStatus::Succeeded).then_some(())
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
        let ev = h.event(&format!("{e}-{name}")).await;
        assert_eq!(
            ev.deliveries[0].status,
            DeliveryStatus::Failed,
            "{name}: {e} is outside the window"
        );
    }
    h.stop().await;
}

hookline_tests::per_backend!(
    the_delivery_log_lists_newest_first_with_filters_and_every_attempt,
    manual_retry_is_one_recorded_attempt_and_reaches_a_recovered_receiver,
    recover_requeues_exactly_the_failed_deliveries_in_the_window,
);
