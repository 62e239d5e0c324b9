//! A queue message handed out twice at once (its lease ran out while the first worker still
//! held it, as SQS does when an attempt outlasts the visibility timeout): both copies are
//! attempted, one records the attempt, and whichever copy the queue still honours keeps the
//! delivery's schedule. The delivery is never left pending with no message to carry it.

use std::time::Duration;

use hookline::config::Config;
use hookline::delivery::{Deliverer, Outcome};
use hookline_client::types::DeliveryStatus;
use hookline_tests::{Backend, Receiver, calls, test_config, typed_client};
use serde_json::json;

/// Settles one received copy as the drivers do; a stale receipt settles nothing.
async fn settle(app: &hookline::backend::Hookline, receipt: &hookline::queue::Receipt, o: Outcome) {
    let settled = match o {
        Outcome::Done => app.queue.delete(std::slice::from_ref(receipt)).await,
        Outcome::RetryIn(d) => app.queue.change_visibility(receipt, d).await,
    };
    if let Err(e) = settled {
        eprintln!("settling a copy: {e}");
    }
}

async fn a_copy_whose_lease_ran_out_keeps_the_schedule(b: Backend) {
    let config = Config {
        retry_interval: Duration::from_secs(1),
        retry_window: Duration::from_secs(4),
        ..test_config()
    };
    let (app, time) = b.app_and_time(config).await;
    let c = typed_client(&app).await;
    let receiver = Receiver::start().await;
    let path = format!("/twice-{}", b.name().replace('+', "-"));
    let url = receiver.configure(&path, &[], &[500], None).await;
    // Slow enough that both copies are loaded before either is recorded.
    receiver.slow(&path, Duration::from_millis(400));
    let w = calls::create_webhook(&c, json!({"url": url})).await;
    let e = calls::publish(&c, json!({"type": "a.b", "data": {}})).await;
    let deliverer = Deliverer::new(app.clone()).unwrap();

    // The first copy's lease (1 s) runs out before it is settled; the queue hands the same
    // message out again, with a new receipt.
    let lease = Duration::from_secs(1);
    let first = app.queue.receive(1, lease).await.unwrap().remove(0);
    time.pass(lease + Duration::from_millis(200)).await;
    let second = app.queue.receive(1, lease * 30).await.unwrap().remove(0);
    assert_eq!(
        first.task.target().delivery_id,
        second.task.target().delivery_id
    );

    // Both copies are attempted at once; the stale one, a little ahead, is recorded first, and
    // the current one finds the delivery recorded by the other.
    let stale = async {
        let o = deliverer.process(&first.task).await.unwrap();
        settle(&app, &first.receipt, o).await;
        o
    };
    let current = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let o = deliverer.process(&second.task).await.unwrap();
        settle(&app, &second.receipt, o).await;
        o
    };
    tokio::join!(stale, current);
    deliverer.flush_batch().await;
    assert_eq!(
        receiver.log_for(&path).await.len(),
        2,
        "both copies were sent"
    );

    // The schedule goes on to the end of its window: the delivery ends failed, not pending.
    let mut d = calls::read_event(&c, &e.id).await.deliveries.remove(0);
    for _ in 0..40 {
        if d.status != DeliveryStatus::Pending {
            break;
        }
        time.pass(Duration::from_millis(500)).await;
        time.settle(&app, std::slice::from_ref(&deliverer)).await;
        d = calls::read_event(&c, &e.id).await.deliveries.remove(0);
    }
    assert_eq!(d.status, DeliveryStatus::Failed, "{}: {d:?}", b.name());
    let d = calls::read_delivery(&c, &w.id, &d.id).await;
    assert!(d.attempt_count >= 3, "{}: {d:?}", b.name());
}

hookline_tests::per_backend!(a_copy_whose_lease_ran_out_keeps_the_schedule);
