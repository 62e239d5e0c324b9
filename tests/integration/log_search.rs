//! A webhook's delivery log searched by time: `since` and `until` (inclusive) narrow the
//! listing, alone or with the other filters and with paging, on both backends.

use std::time::Duration;

use hookline::delivery::Deliverer;
use hookline_tests::{Backend, TestTime, client, drain, test_config};
use serde_json::{Value, json};

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn the_log_is_searched_by_time(b: Backend) {
    // Time passes on an injected clock: the embedded store's and queue's own, or (SQS keeps
    // no time of its own that matters here) the one the app stamps deliveries with.
    let (app, clock) = match b.app_and_time(test_config()).await {
        (app, TestTime::Manual(clock)) => (app, clock),
        (app, TestTime::Real) => {
            let clock = hookline::clock::ManualClock::new();
            (app.with_clock(std::sync::Arc::new(clock.clone())), clock)
        }
    };
    let (api, key) = client(&app).await;
    let receiver = hookline_tests::Receiver::start().await;
    let url = receiver.configure("/log", &[], &[200], None).await;
    let (_, w) = api
        .call(
            "POST",
            "/v1/webhooks",
            Some(&key),
            Some(json!({"url": url})),
        )
        .await;
    let wh = w["id"].as_str().unwrap().to_string();
    let deliverer = Deliverer::new(app.clone()).unwrap();
    // Three events an hour apart, each delivered.
    let t0 = hookline::clock::Clock::now(&clock);
    for i in 0..3 {
        api.expect(
            202,
            "POST",
            "/v1/events",
            &key,
            Some(json!({"type": "a.b", "data": {"i": i}})),
        )
        .await;
        drain(&app, &deliverer).await;
        clock.advance(Duration::from_secs(3600));
    }
    assert_eq!(receiver.log_for("/log").await.len(), 3);
    let hour = chrono::TimeDelta::hours(1);
    let half = chrono::TimeDelta::minutes(30);
    let listed = |query: String| {
        let (api, key, wh) = (&api, &key, &wh);
        async move {
            let (s, v) = api
                .call(
                    "GET",
                    &format!("/v1/webhooks/{wh}/deliveries?{query}"),
                    Some(key),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{query}: {v}");
            v
        }
    };
    let count = |v: &Value| v["data"].as_array().unwrap().len();
    assert_eq!(
        count(&listed(format!("since={}", rfc3339(t0 + half))).await),
        2
    );
    assert_eq!(
        count(&listed(format!("until={}", rfc3339(t0 + hour + half))).await),
        2
    );
    let between = listed(format!(
        "since={}&until={}",
        rfc3339(t0 + half),
        rfc3339(t0 + hour + half)
    ))
    .await;
    assert_eq!(count(&between), 1, "{between}");
    // The bounds are inclusive: an event created exactly at `until` is listed.
    assert_eq!(count(&listed(format!("until={}", rfc3339(t0))).await), 1);
    // Paging within a range: one at a time, three pages, then no more.
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let v = listed(format!("since={}&limit=1{cursor}", rfc3339(t0))).await;
        pages += count(&v);
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    // A range that ends before it starts.
    let (s, v) = api
        .call(
            "GET",
            &format!(
                "/v1/webhooks/{wh}/deliveries?since={}&until={}",
                rfc3339(t0 + hour),
                rfc3339(t0)
            ),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["field"].as_str()),
        (422, Some("since")),
        "{v}"
    );
}

hookline_tests::per_backend!(the_log_is_searched_by_time);
