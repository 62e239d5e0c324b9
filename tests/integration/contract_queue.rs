//! The queue and statistics contracts every backend keeps: received messages hidden and
//! delayed with ChangeMessageVisibility, statistics that add up over hours and shards.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use hookline::backend::Hookline;
use hookline::ids::{DeliveryId, TenantId};
use hookline::queue::{DeliveryRef, DeliveryTask};
use hookline_tests::{Backend, id, test_config, unique};

fn task(n: usize) -> DeliveryTask {
    DeliveryTask::Scheduled(DeliveryRef {
        tenant_id: id("t"),
        delivery_id: id(&format!("del_{n}")),
        webhook_id: id(&format!("wh_{n}")),
        event_id: id(&format!("evt_{n}")),
        event_type: None,
        resent: false,
        expires_at: None,
        lean: false,
        ordered: false,
        body: Some(format!("{{\"n\":{n}}}")),
    })
}

async fn receive_all(app: &Hookline, visibility: Duration) -> Vec<hookline::queue::Received> {
    let mut out = Vec::new();
    for _ in 0..10 {
        let got = app.queue.receive(10, visibility).await.unwrap();
        if got.is_empty() && !out.is_empty() {
            break;
        }
        out.extend(got);
    }
    out
}

async fn queue_hides_received_messages_and_delays_with_change_visibility(b: Backend) {
    let name = b.name();
    let (app, time) = b.app_and_time(test_config()).await;
    let tasks: Vec<DeliveryTask> = (0..13).map(task).collect();
    app.queue.send(&tasks).await.unwrap();
    let got = receive_all(&app, Duration::from_secs(30)).await;
    let ids: HashSet<DeliveryId> = got
        .iter()
        .map(|r| r.task.target().delivery_id.clone())
        .collect();
    assert_eq!(ids.len(), 13, "{name}: each message once");
    assert_eq!(
        got.iter()
            .find(|r| r.task.target().delivery_id == "del_3")
            .unwrap()
            .task,
        tasks[3],
        "{name}: the task survives the trip"
    );
    assert!(got.iter().all(|r| r.receive_count == 1));
    assert!(
        app.queue
            .receive(10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "{name}: in flight = invisible"
    );

    // Delay one message by 2 s: invisible until then, back afterwards with a higher count.
    let delayed = got
        .iter()
        .find(|r| r.task.target().delivery_id == "del_0")
        .unwrap();
    app.queue
        .change_visibility(&delayed.receipt, Duration::from_secs(2))
        .await
        .unwrap();
    let others: Vec<hookline::queue::Receipt> = got
        .iter()
        .filter(|r| r.task.target().delivery_id != "del_0")
        .map(|r| r.receipt.clone())
        .collect();
    app.queue.delete(&others).await.unwrap();
    time.pass(Duration::from_millis(1000)).await;
    assert!(
        app.queue
            .receive(10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "{name}: still delayed"
    );
    time.pass(Duration::from_millis(1500)).await;
    let back = app
        .queue
        .receive(10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(back.len(), 1, "{name}: the delayed message came back");
    assert_eq!(back[0].task.target().delivery_id, "del_0");
    assert_eq!(back[0].receive_count, 2);
    app.queue.delete(&[back[0].receipt.clone()]).await.unwrap();
    app.queue
        .change_visibility(&back[0].receipt, Duration::ZERO)
        .await
        .ok();
    time.pass(Duration::from_millis(100)).await;
    assert!(
        app.queue
            .receive(10, Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty(),
        "{name}: deleted is gone"
    );
}

/// A webhook's counters: all-time sums every hour written, on any shard (also once old hours
/// are folded together, as DynamoDB's reads do), and the hours asked for come back by hour.
async fn stats_add_up_over_every_hour_and_shard(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let tenant: TenantId = id(&unique("t"));
    let wh = id("wh_stats");
    let now_hour = Utc::now().timestamp() / 3600;
    let c = |pairs: &[(&str, i64)]| -> hookline::store::Counters {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    // Three old hours (folded on DynamoDB), one recent hour on two shards.
    let old = c(&[("d_succeeded", 2), ("a_total", 3)]);
    let recent = c(&[("d_succeeded", 1), ("a_total", 1)]);
    for (hour, shard, add) in [
        (now_hour - 200, 0, &old),
        (now_hour - 100, 1, &old),
        (now_hour - 99, 0, &old),
        (now_hour, 0, &recent),
        (now_hour, 1, &recent),
    ] {
        app.store
            .add_stats(&tenant, &wh, hour, shard, add)
            .await
            .unwrap();
    }
    for read in ["first read", "second read (after folding)"] {
        let (all, hours) = app
            .store
            .read_stats(&tenant, &wh, now_hour - 23)
            .await
            .unwrap();
        assert_eq!(
            all,
            c(&[("d_succeeded", 8), ("a_total", 11)]),
            "{name}: {read}"
        );
        assert_eq!(
            hours.into_iter().collect::<Vec<_>>(),
            [(now_hour, c(&[("d_succeeded", 2), ("a_total", 2)]))],
            "{name}: {read}"
        );
    }
    // A week's read has the hours of the last week, by hour (DynamoDB's day reads folded only
    // what is older than that).
    let (_, week) = app
        .store
        .read_stats(&tenant, &wh, now_hour - 167)
        .await
        .unwrap();
    assert_eq!(
        week.keys().copied().collect::<Vec<_>>(),
        [now_hour - 100, now_hour - 99, now_hour],
        "{name}"
    );
    // Another webhook's counters are its own.
    let (other, _) = app
        .store
        .read_stats(&tenant, &id("wh_other"), now_hour - 23)
        .await
        .unwrap();
    assert!(other.is_empty(), "{name}: {other:?}");
}

hookline_tests::per_backend!(
    stats_add_up_over_every_hour_and_shard,
    queue_hides_received_messages_and_delays_with_change_visibility,
);
