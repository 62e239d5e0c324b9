//! Rate limits per principal, counted in the store, at their defaults (the 51st management
//! request and the 101st PATCH of a minute are refused): the request over the limit gets 429 with
//! `Retry-After` and the `RateLimit-*` headers (which every limited answer carries), `PATCH`
//! has its own limit, publishing is unlimited by default, the next minute starts afresh, and
//! two instances on one store share the count.

use std::sync::Arc;
use std::time::Duration;

use hookline::clock::ManualClock;
use hookline::config::Config;
use hookline::model::Scope;
use hookline_tests::{Api, Backend, mint_key, test_config, unique};
use serde_json::json;

/// A call with its answer's headers.
trait Go {
    async fn go(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (http::StatusCode, serde_json::Value, http::HeaderMap);
}

impl Go for Api {
    async fn go(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (http::StatusCode, serde_json::Value, http::HeaderMap) {
        let body = body.map(|b| b.to_string());
        let (s, h, v) = self
            .call_full(method, path, key, body.as_deref(), &[])
            .await;
        (s, v, h)
    }
}

async fn limits_are_per_principal_shared_by_instances_and_per_minute(b: Backend) {
    // The defaults: 50 a minute, 100 PATCH a minute, publishing unlimited.
    let d = Config::default();
    let config = Config {
        rate_limit_per_minute: d.rate_limit_per_minute,
        rate_limit_patch_per_minute: d.rate_limit_patch_per_minute,
        rate_limit_publish_per_minute: d.rate_limit_publish_per_minute,
        ..test_config()
    };
    assert_eq!(
        (
            config.rate_limit_per_minute,
            config.rate_limit_patch_per_minute
        ),
        (50, 100)
    );
    // Ten seconds into a minute, on a clock the test moves.
    let clock = ManualClock::at("2030-01-01T00:00:10Z".parse().unwrap());
    let app = b.app(config).await.with_clock(Arc::new(clock.clone()));
    // A second instance (its own caches and state) on the same store, as a second Lambda
    // instance or process would be: the count is only in the store.
    let second = hookline::backend::Hookline::new(
        (*app.config).clone(),
        app.store.clone(),
        app.queue.clone(),
    )
    .with_clock(Arc::new(clock.clone()));
    let other = Api::new(second);
    let api = Api::new(app.clone());
    let tenant = unique("rl");
    let key = mint_key(&app, &tenant, &[Scope::WebhooksWrite, Scope::EventsPublish]).await;
    let other_key = mint_key(&app, &tenant, &[Scope::WebhooksWrite]).await;

    let (s, hook, h) = api
        .go(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": "https://hooks.example.com/a"})),
        )
        .await;
    assert_eq!(s, 201, "{hook}");
    assert_eq!(h["ratelimit-limit"], "50");
    assert_eq!(h["ratelimit-remaining"], "49");
    assert_eq!(h["ratelimit-reset"], "50");
    let id = hook["id"].as_str().unwrap().to_string();
    // Requests 2 to 50, alternating between the two instances: one count.
    for n in 2..=50u64 {
        let instance = if n % 2 == 0 { &api } else { &other };
        let (s, _, h) = instance
            .go("GET", &format!("/v1/webhooks/{id}"), Some(&key), None)
            .await;
        assert_eq!(s, 200, "request {n}");
        assert_eq!(h["ratelimit-remaining"], (50 - n).to_string().as_str());
    }
    // The 51st: 429, with when to come back; nothing done.
    let (s, v, h) = api
        .go(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": "https://hooks.example.com/b"})),
        )
        .await;
    assert_eq!(s, 429, "{v}");
    assert_eq!(v["error"]["code"], "rate_limited", "{v}");
    assert_eq!(h["retry-after"], "50");
    assert_eq!(h["ratelimit-limit"], "50");
    assert_eq!(h["ratelimit-remaining"], "0");
    // Publishing is not limited by default; PATCH has its own limit; another key its own count.
    let (s, v, h) = api
        .go(
            "POST",
            "/v1/events",
            Some(&key),
            Some(json!({"type": "a.b", "data": {}})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    assert!(
        h.get("ratelimit-limit").is_none(),
        "publishing is unlimited: {h:?}"
    );
    let patch = |n: u32| json!({"description": format!("change {n}")});
    for n in 0..100 {
        let (s, v, h) = api
            .go(
                "PATCH",
                &format!("/v1/webhooks/{id}"),
                Some(&key),
                Some(patch(n)),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(h["ratelimit-limit"], "100");
    }
    let (s, _, _) = api
        .go(
            "PATCH",
            &format!("/v1/webhooks/{id}"),
            Some(&key),
            Some(patch(9)),
        )
        .await;
    assert_eq!(s, 429, "the 101st PATCH");
    let (s, _, h) = api.go("GET", "/v1/webhooks", Some(&other_key), None).await;
    assert_eq!(s, 200);
    assert_eq!(h["ratelimit-remaining"], "49");
    // The limited request changed nothing: the second webhook was not created.
    let (_, list, _) = api.go("GET", "/v1/webhooks", Some(&other_key), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    // A new minute, a new count.
    clock.advance(Duration::from_secs(50));
    let (s, _, h) = api.go("GET", "/v1/webhooks", Some(&key), None).await;
    assert_eq!(s, 200);
    assert_eq!(h["ratelimit-remaining"], "49");
    assert_eq!(h["ratelimit-reset"], "60");
}

hookline_tests::per_backend!(limits_are_per_principal_shared_by_instances_and_per_minute);
