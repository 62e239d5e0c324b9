//! `Idempotency-Key` on every write: a repeat is answered from the first answer (marked
//! `Idempotent-Replayed`) without running again; the same key with another request is 422; a
//! repeat while the first runs is 409; keys are per principal, and expire after 24 hours.

use std::sync::Arc;
use std::time::Duration;

use hookline::api::idempotency::record_key;
use hookline::auth::api_key::hash_key;
use hookline::clock::{Clock, ManualClock};
use hookline::ids::ApiKeyId;
use hookline::model::Scope;
use hookline::store::IdempotencyRecord;
use hookline_tests::{Api, Backend, mint_key, test_config, unique};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

async fn call(
    api: &Api,
    method: &str,
    path: &str,
    key: &str,
    idem: &str,
    body: Option<Value>,
) -> (StatusCode, Value, HeaderMap) {
    let body = body.map(|b| b.to_string());
    let (s, h, v) = api
        .call_full(
            method,
            path,
            Some(key),
            body.as_deref(),
            &[("idempotency-key", idem)],
        )
        .await;
    (s, v, h)
}

async fn webhooks(api: &Api, key: &str) -> usize {
    let list = api.typed(key).await.webhooks_list().send().await;
    list.unwrap().into_inner().data.len()
}

async fn a_repeated_write_is_answered_once_and_a_different_one_refused(b: Backend) {
    let clock = ManualClock::at("2030-01-01T00:00:00Z".parse().unwrap());
    let app = b
        .app(test_config())
        .await
        .with_clock(Arc::new(clock.clone()));
    let api = Api::new(app.clone());
    let tenant = unique("idem");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let body = json!({"url": "https://hooks.example.com/a"});

    // Create twice with one key: one webhook, the same answer, the second marked replayed.
    let (s1, first, h1) = call(
        &api,
        "POST",
        "/v1/webhooks",
        &key,
        "create-1",
        Some(body.clone()),
    )
    .await;
    let (s2, second, h2) = call(
        &api,
        "POST",
        "/v1/webhooks",
        &key,
        "create-1",
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{second}"
    );
    assert_eq!(first, second);
    assert!(h1.get("idempotent-replayed").is_none());
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(webhooks(&api, &key).await, 1);
    let id = first["id"].as_str().unwrap().to_string();

    // The same key with another body, or on another path: 422, nothing done.
    let other = json!({"url": "https://hooks.example.com/b"});
    let (s, v, _) = call(&api, "POST", "/v1/webhooks", &key, "create-1", Some(other)).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["code"], "idempotency_key_mismatch");
    let (s, _, _) = call(
        &api,
        "DELETE",
        &format!("/v1/webhooks/{id}"),
        &key,
        "create-1",
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(webhooks(&api, &key).await, 1);

    // Another principal's key of the same name is its own.
    let other_key = mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await;
    let (s, v, h) = call(
        &api,
        "POST",
        "/v1/webhooks",
        &other_key,
        "create-1",
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_eq!(webhooks(&api, &key).await, 2);

    // Publishing: the same key with another body is refused, not answered as the first event.
    let (s, ev, _) = call(
        &api,
        "POST",
        "/v1/events",
        &key,
        "pub-1",
        Some(json!({"type": "a.b", "data": {"n": 1}})),
    )
    .await;
    assert_eq!(s, 202, "{ev}");
    let (s, again, h) = call(
        &api,
        "POST",
        "/v1/events",
        &key,
        "pub-1",
        Some(json!({"type": "a.b", "data": {"n": 1}})),
    )
    .await;
    assert_eq!((s, &again), (StatusCode::ACCEPTED, &ev));
    assert_eq!(h["idempotent-replayed"], "true");
    let (s, v, _) = call(
        &api,
        "POST",
        "/v1/events",
        &key,
        "pub-1",
        Some(json!({"type": "a.b", "data": {"n": 2}})),
    )
    .await;
    assert_eq!(s, 422, "{v}");

    // A delete repeated is answered 204 again, not 404.
    let path = format!("/v1/webhooks/{id}");
    let (s1, _, _) = call(&api, "DELETE", &path, &key, "del-1", None).await;
    let (s2, _, h) = call(&api, "DELETE", &path, &key, "del-1", None).await;
    assert_eq!((s1, s2), (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT));
    assert_eq!(h["idempotent-replayed"], "true");

    // A request with the key still running elsewhere (its claim in the store): 409.
    let running = IdempotencyRecord {
        hash: "another-request".into(),
        answer: None,
    };
    let now = clock.now().timestamp();
    let k2 = mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await;
    let principal = ApiKeyId::from_hash(&hash_key(&k2)).to_string();
    let record_key = record_key(&principal, &tenant, "busy-1");
    let claimed = app
        .store
        .claim_idempotency(&record_key, &running, now, now + 120)
        .await
        .unwrap();
    assert!(claimed.is_none());
    let (s, v, _) = call(
        &api,
        "POST",
        "/v1/webhooks",
        &k2,
        "busy-1",
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "idempotency_key_in_use");
    // ...and the claim of a request that died frees the key after two minutes.
    clock.advance(Duration::from_secs(121));
    let (s, v, _) = call(
        &api,
        "POST",
        "/v1/webhooks",
        &k2,
        "busy-1",
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 201, "{v}");

    // After 24 hours a key is forgotten: the same request runs again.
    clock.advance(Duration::from_secs(24 * 3600 + 1));
    let (s, v, h) = call(
        &api,
        "POST",
        "/v1/webhooks",
        &key,
        "create-1",
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_ne!(v["id"], first["id"]);

    // A malformed key: 422 naming the header.
    let (s, v, _) = call(&api, "POST", "/v1/webhooks", &key, "has space", Some(body)).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["field"], "Idempotency-Key");
}

hookline_tests::per_backend!(a_repeated_write_is_answered_once_and_a_different_one_refused);
