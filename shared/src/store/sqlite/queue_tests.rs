//! The embedded queue's tests (`queue.rs`).

use super::*;
use crate::queue::{DeliveryRef, Queue};

fn task(n: u32) -> DeliveryTask {
    DeliveryTask::Scheduled(DeliveryRef {
        tenant_id: "t".parse().unwrap(),
        delivery_id: format!("del_{n}").parse().unwrap(),
        webhook_id: format!("wh_{n}").parse().unwrap(),
        event_id: format!("evt_{n}").parse().unwrap(),
        event_type: None,
        resent: false,
        body: None,
        expires_at: None,
        lean: false,
        ordered: false,
    })
}

/// What one receive (of up to ten, hidden for 30 s) takes.
async fn receive(db: &SqliteDb) -> Vec<crate::queue::Received> {
    db.receive(10, Duration::from_secs(30)).await.unwrap()
}

fn tasks(got: &[crate::queue::Received]) -> Vec<DeliveryTask> {
    got.iter().map(|m| m.task.clone()).collect()
}

/// A message this process has just sent is received from memory: its row, changed behind the
/// queue's back, is not what comes back. After its first receive its body is no longer kept,
/// and a receive reads the row.
#[tokio::test]
async fn a_message_just_sent_is_received_without_reading_its_row() {
    let db = SqliteDb::in_memory().unwrap();
    db.send(&[task(1)]).await.unwrap();
    let garble = |c: &mut rusqlite::Connection| {
        c.execute("UPDATE queue SET body = 'not a task'", [])
            .map(drop)
            .map_err(crate::store::sqlite::be)
    };
    db.with(garble).await.unwrap();
    let got = receive(&db).await;
    assert_eq!(tasks(&got), [task(1)]);
    // Back on the queue at once (a retry with no delay): now its row is read.
    db.change_visibility(&got[0].receipt, Duration::ZERO)
        .await
        .unwrap();
    let again = receive(&db).await;
    assert!(again.is_empty(), "the row as it is now cannot be read");
}

#[tokio::test]
async fn a_message_that_cannot_be_read_does_not_hold_up_the_others_and_is_kept() {
    let db = SqliteDb::in_memory().unwrap();
    db.send(&[task(1), task(2)]).await.unwrap();
    // As after a restart (the bodies kept in memory for their first receive are gone,
    // and the schedule is read back from the table), where another build wrote one.
    db.with_schedule(|c, s| {
        s.clear();
        c.execute(
            "UPDATE queue SET body = 'not a task' WHERE body LIKE '%del_1%'",
            [],
        )
        .map(drop)
        .map_err(crate::store::sqlite::be)
    })
    .await
    .unwrap();
    assert_eq!(tasks(&receive(&db).await), [task(2)]);
    let left: i64 = db
        .read(|c| {
            c.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get(0))
                .map_err(crate::store::sqlite::be)
        })
        .await
        .unwrap();
    assert_eq!(
        left, 2,
        "the unreadable one stays for a build that can read it"
    );
    assert!(receive(&db).await.is_empty(), "not offered again at once");
}

/// An idle consumer looks at the schedule once, not on every wake-up; anything sent or
/// settled after that look is seen at once.
#[tokio::test]
async fn an_idle_consumer_looks_once_and_misses_nothing() {
    // Sends go to the database thread: the operations on this thread are the looks.
    let db = SqliteDb::in_memory()
        .unwrap()
        .with_group_share(1)
        .with_quick_flush(Duration::ZERO);
    let mut same = task(1);
    let mut second = task(2);
    if let (DeliveryTask::Scheduled(a), DeliveryTask::Scheduled(b)) = (&mut same, &mut second) {
        b.webhook_id = a.webhook_id.clone();
    }
    db.send(&[same.clone(), second.clone()]).await.unwrap();
    let first = db.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(first.len(), 1, "one of a webhook at a time");
    let looks = db.commits().inline;
    assert!(
        looks > 0,
        "the database was idle: its receives ran on this thread"
    );
    for _ in 0..5 {
        assert!(
            db.receive(10, Duration::from_secs(30))
                .await
                .unwrap()
                .is_empty()
        );
        // (A wait of no time: only whether it asks the database is of interest.)
        db.wait(Duration::ZERO).await;
    }
    assert_eq!(db.commits().inline, looks, "nothing changed: nothing asked");
    // Another webhook's message, sent after the last look, is received at once.
    db.send(&[task(3)]).await.unwrap();
    let got = db.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        db.commits().inline,
        looks + 1,
        "the send changed the schedule"
    );
    assert_eq!(
        got.iter().map(|m| m.task.clone()).collect::<Vec<_>>(),
        [task(3)]
    );
    // Settling the first lets the second of its webhook go.
    db.delete(&[first[0].receipt.clone()]).await.unwrap();
    let got = db.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        got.iter().map(|m| m.task.clone()).collect::<Vec<_>>(),
        [second]
    );
}
