//! Publishing costs flushes by the commit, not by the event: a batch publish is one commit, so
//! with full durability (the default) its events share one flush of the disk.

use hookline::model::Scope;
use hookline::store::sqlite::SqliteDb;
use hookline_tests::{Api, calls, mint_key, test_config, unique};
use serde_json::{Value, json};

#[tokio::test]
async fn a_batch_publish_is_one_flush_and_keeps_its_order() {
    let dir = std::env::temp_dir().join(format!("hookline-group-{}", unique("db")));
    let db = SqliteDb::open(&dir).unwrap();
    let app = hookline::backend::Hookline::with_sqlite(test_config(), db.clone());
    let api = Api::new(app.clone());
    let key = mint_key(
        &app,
        &unique("t"),
        &[Scope::WebhooksWrite, Scope::EventsPublish],
    )
    .await;
    let c = api.typed(&key).await;
    let fifo = json!({"url": "https://receiver.example.com/h", "ordering": "fifo"});
    calls::create_webhook(&c, fifo).await;
    let events: Vec<Value> = (0..50)
        .map(|n| json!({"type": "a.b", "data": {"n": n}}))
        .collect();
    let before = db.commits();
    let ids = calls::publish_batch(&c, events).await;
    let after = db.commits();
    assert_eq!(
        after.flushes - before.flushes,
        1,
        "50 events, their deliveries and messages: one flush"
    );
    let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    assert_eq!(ids.len(), 50);
    // Each is stored, and the queue hands them out in the batch's order.
    for id in &ids {
        calls::read_event(&c, id).await;
    }
    let got = app
        .queue
        .receive(50, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let order: Vec<String> = got
        .iter()
        .map(|r| r.task.target().event_id.to_string())
        .collect();
    assert_eq!(order.first(), ids.first());
    assert_eq!(
        order.len(),
        1,
        "a fifo webhook's queue hands out its head only"
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
