//! A webhook's delivery log searched by time: `since` and `until` (inclusive) narrow the
//! listing, alone or with the other filters and with paging, on both backends.

use std::time::Duration;

use hookline::delivery::Deliverer;
use hookline_tests::{Backend, TestTime, calls, drain, ok, refused, test_config, typed_client};
use serde_json::json;

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
    let c = typed_client(&app).await;
    let receiver = hookline_tests::Receiver::start().await;
    let url = receiver.configure("/log", &[], &[200], None).await;
    let wh = calls::create_webhook(&c, json!({"url": url}))
        .await
        .id
        .to_string();
    let deliverer = Deliverer::new(app.clone()).unwrap();
    // Three events an hour apart, each delivered.
    let t0 = hookline::clock::Clock::now(&clock);
    for i in 0..3 {
        calls::publish(&c, json!({"type": "a.b", "data": {"i": i}})).await;
        drain(&app, &deliverer).await;
        clock.advance(Duration::from_secs(3600));
    }
    assert_eq!(receiver.log_for("/log").await.len(), 3);
    let hour = chrono::TimeDelta::hours(1);
    let half = chrono::TimeDelta::minutes(30);
    type Time = Option<chrono::DateTime<chrono::Utc>>;
    let list = |since: Time, until: Time| {
        let list = c.deliveries_list().id(wh.clone());
        let list = match since {
            Some(t) => list.since(t),
            None => list,
        };
        match until {
            Some(t) => list.until(t),
            None => list,
        }
    };
    let count = |since: Time, until: Time| {
        let l = list(since, until);
        async move { ok(l.send()).await.data.len() }
    };
    assert_eq!(count(Some(t0 + half), None).await, 2);
    assert_eq!(count(None, Some(t0 + hour + half)).await, 2);
    assert_eq!(count(Some(t0 + half), Some(t0 + hour + half)).await, 1);
    // The bounds are inclusive: an event created exactly at `until` is listed.
    assert_eq!(count(None, Some(t0)).await, 1);
    // Paging within a range: one at a time, three pages, then no more.
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = list(Some(t0), None).limit(1u64);
        let page = match cursor.take() {
            Some(c) => page.cursor(c),
            None => page,
        };
        let page = ok(page.send()).await;
        pages += page.data.len();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    // A range that ends before it starts.
    let (s, e) = refused(list(Some(t0 + hour), Some(t0)).send()).await;
    assert_eq!((s, e.error.field.as_deref()), (422, Some("since")), "{e:?}");
}

hookline_tests::per_backend!(the_log_is_searched_by_time);
