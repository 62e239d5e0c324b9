//! Events and deliveries on SQLite. An insert replaces a row only once it has expired (the
//! embedded store purges lazily, like DynamoDB's TTL); a delivery is saved only by the worker
//! that read its current attempt count.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::{SqliteDb, be, docs, to_doc};
use crate::ids::{DeliveryId, EventId, TenantId, WebhookId};
use crate::model::{ArchivedAttempt, Delivery, DeliveryStatus, Event, Page, Timestamp};
use crate::queue::schedule::Schedule;
use crate::store::{
    AtomicPublish, DeliveryCursor, EventStore, PublishRecord, StoreError, StoreResult, page_of,
};

/// The columns of an event row.
pub(crate) struct EventRow {
    tenant: String,
    id: String,
    doc: String,
    expires_ms: i64,
}

impl EventRow {
    pub(crate) fn of(ev: &Event) -> StoreResult<Self> {
        Ok(EventRow {
            tenant: ev.tenant_id.to_string(),
            id: ev.id.to_string(),
            doc: to_doc(ev)?,
            expires_ms: ev.expires_at.timestamp_millis(),
        })
    }
}

/// Inserts an event unless one with its id is still live at `now_ms`; true when inserted.
pub(crate) fn insert_event(c: &Connection, r: &EventRow, now_ms: i64) -> StoreResult<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO events (tenant_id, id, doc, expires_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant_id, id) DO UPDATE SET doc = excluded.doc, expires_ms = excluded.expires_ms
             WHERE events.expires_ms <= ?5",
        )
        .map_err(be)?
        .execute(params![r.tenant, r.id, r.doc, r.expires_ms, now_ms])
        .map_err(be)?;
    Ok(n == 1)
}

/// Inserts deliveries, leaving those with the same id that are still live at `now_ms`.
pub(crate) fn insert_deliveries(
    c: &Connection,
    rows: Vec<DeliveryRow>,
    now_ms: i64,
) -> StoreResult<()> {
    for r in &rows {
        insert_delivery(c, r, Some(now_ms))?;
    }
    Ok(())
}

/// Inserts one delivery unless a row with its id exists: one that expired at or before
/// `replace_expired_at` is replaced, any other is left alone. Returns the rows written (0 or 1).
fn insert_delivery(
    c: &Connection,
    r: &DeliveryRow,
    replace_expired_at: Option<i64>,
) -> StoreResult<usize> {
    c.prepare_cached(
        "INSERT INTO deliveries
         (tenant_id, id, webhook_id, event_id, status, created_ms, attempts, doc, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (tenant_id, id) DO UPDATE SET webhook_id = excluded.webhook_id,
           event_id = excluded.event_id, status = excluded.status, created_ms = excluded.created_ms,
           attempts = excluded.attempts, doc = excluded.doc, expires_ms = excluded.expires_ms
         WHERE ?10 IS NOT NULL AND deliveries.expires_ms <= ?10",
    )
    .map_err(be)?
    .execute(params![
        r.tenant,
        r.id,
        r.webhook,
        r.event,
        r.status,
        r.created_ms,
        r.attempts,
        r.doc,
        r.expires_ms,
        replace_expired_at
    ])
    .map_err(be)
}

/// The columns of a delivery row.
pub(crate) struct DeliveryRow {
    tenant: String,
    id: String,
    webhook: String,
    event: String,
    status: &'static str,
    created_ms: i64,
    attempts: i64,
    doc: String,
    expires_ms: i64,
}

/// The rows of several deliveries.
fn delivery_rows(ds: &[Delivery]) -> StoreResult<Vec<DeliveryRow>> {
    ds.iter().map(delivery_row).collect()
}

pub(crate) fn delivery_row(d: &Delivery) -> StoreResult<DeliveryRow> {
    Ok(DeliveryRow {
        tenant: d.tenant_id.to_string(),
        id: d.id.to_string(),
        webhook: d.webhook_id.to_string(),
        event: d.event_id.to_string(),
        status: d.status.as_str(),
        created_ms: d.created_at.timestamp_millis(),
        attempts: d.attempt_count() as i64,
        doc: to_doc(d)?,
        expires_ms: d.expires_at.timestamp_millis(),
    })
}

#[async_trait]
impl EventStore for SqliteDb {
    async fn put_event(&self, ev: &Event, now: Timestamp) -> StoreResult<bool> {
        let row = EventRow::of(ev)?;
        let now = now.timestamp_millis();
        self.with(move |c| insert_event(c, &row, now)).await
    }

    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>> {
        // Answered once committed: a publish may replay what it reads, and must never replay
        // an event whose own transaction could still fail. Events are written flushed, so the
        // read itself need not wait for the disk.
        let (t, i) = (tenant.to_string(), id.to_string());
        self.read_committed(move |c| {
            Ok(docs(
                c,
                "SELECT doc FROM events WHERE tenant_id = ?1 AND id = ?2",
                [t, i],
            )?
            .pop())
        })
        .await
    }

    async fn create_deliveries(&self, ds: &[Delivery], now: Timestamp) -> StoreResult<()> {
        let rows = delivery_rows(ds)?;
        let now = now.timestamp_millis();
        self.with(move |c| {
            let sp = c.savepoint().map_err(be)?;
            insert_deliveries(&sp, rows, now)?;
            sp.commit().map_err(be)
        })
        .await
    }

    async fn get_delivery(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        id: &DeliveryId,
    ) -> StoreResult<Option<Delivery>> {
        self.get_doc(
            "SELECT doc FROM deliveries WHERE tenant_id = ?1 AND id = ?2 AND webhook_id = ?3",
            vec![tenant.to_string(), id.to_string(), webhook.to_string()],
        )
        .await
    }

    async fn save_delivery(
        &self,
        d: &Delivery,
        prior_attempts: usize,
        archived: Option<&ArchivedAttempt>,
    ) -> StoreResult<()> {
        let r = delivery_row(d)?;
        let archived = archived
            .map(|a| Ok::<_, StoreError>((a.number as i64, to_doc(a)?)))
            .transpose()?;
        self.record(move |c| save_row(c, &r, prior_attempts, archived.as_ref()))
            .await
    }

    /// First-try successes of a batch in one transaction: each as `save_delivery` with no
    /// attempt before (one another copy recorded meanwhile is left as it is).
    async fn save_first_tries(&self, ds: &[Delivery]) -> StoreResult<()> {
        let rows = delivery_rows(ds)?;
        self.record(move |c| complete_first_tries(c, &rows)).await
    }

    async fn archived_attempts(
        &self,
        tenant: &TenantId,
        id: &DeliveryId,
    ) -> StoreResult<Vec<ArchivedAttempt>> {
        self.get_docs(
            "SELECT doc FROM delivery_attempts WHERE tenant_id = ?1 AND delivery_id = ?2
             ORDER BY number",
            [tenant.to_string(), id.to_string()],
        )
        .await
    }

    async fn save_marks(&self, ds: &[Delivery]) -> StoreResult<()> {
        // Publishes here record their deliveries: a mark is the record, saved as succeeded and
        // flagged so that the webhook's log leaves it out.
        let rows = delivery_rows(ds)?;
        self.record(move |c| rows.iter().try_for_each(|r| mark_row(c, r)))
            .await
    }

    async fn record_and_settle(
        &self,
        first_tries: &[Delivery],
        marks: &[Delivery],
        receipts: &[crate::queue::Receipt],
    ) -> Option<StoreResult<()>> {
        let (first_tries, marks) = match (delivery_rows(first_tries), delivery_rows(marks)) {
            (Ok(f), Ok(m)) => (f, m),
            (Err(e), _) | (_, Err(e)) => return Some(Err(e)),
        };
        let written = move |c: &mut Connection| -> StoreResult<()> {
            complete_first_tries(c, &first_tries)?;
            marks.iter().try_for_each(|r| mark_row(c, r))
        };
        Some(self.settle_after(receipts, written).await)
    }

    async fn list_deliveries(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        status: Option<DeliveryStatus>,
        before: Option<&DeliveryCursor>,
        limit: usize,
    ) -> StoreResult<Page<Delivery, DeliveryCursor>> {
        let (t, w) = (tenant.to_string(), webhook.to_string());
        let status = status.map(|s| s.as_str());
        let (cms, cid) = match before {
            Some(c) => (c.created_ms, c.id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let items: Vec<Delivery> = self
            .get_docs(
                "SELECT doc FROM deliveries WHERE tenant_id = ?1 AND webhook_id = ?2 AND lean = 0
                 AND (?3 IS NULL OR status = ?3)
                 AND (created_ms < ?4 OR (created_ms = ?4 AND (?5 = '' OR id < ?5)))
                 ORDER BY created_ms DESC, id DESC LIMIT ?6",
                (t, w, status, cms, cid, limit as i64 + 1),
            )
            .await?;
        Ok(page_of(items, limit, DeliveryCursor::of))
    }

    async fn event_deliveries(&self, event: &Event) -> StoreResult<Vec<Delivery>> {
        self.get_docs(
            "SELECT doc FROM deliveries WHERE tenant_id = ?1 AND event_id = ?2 ORDER BY webhook_id",
            [event.tenant_id.to_string(), event.id.to_string()],
        )
        .await
    }
}

#[async_trait]
impl AtomicPublish for SqliteDb {
    async fn record_publishes(
        &self,
        publishes: &[PublishRecord<'_>],
        now: Timestamp,
    ) -> Vec<StoreResult<bool>> {
        if publishes.is_empty() {
            return Vec::new();
        }
        // Encoded here, off the database thread; one that cannot be encoded fails alone.
        let prepared: Vec<StoreResult<_>> = publishes
            .iter()
            .map(|p| {
                let rows = delivery_rows(p.deliveries)?;
                let messages = crate::store::sqlite::queue::rows(p.tasks);
                Ok((rows, messages, EventRow::of(p.event)?))
            })
            .collect();
        let n = prepared.len();
        let now = now.timestamp_millis();
        // Whether one of them found the disk full: then a commit that fails after it fails for
        // the same reason, and every publish hears "unavailable" (503, to be retried).
        let full = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let saw_full = full.clone();
        let recorded = self
            .with_schedule(move |c, schedule| {
                // One savepoint each: a publish that fails (or repeats) leaves the others.
                let one = |c: &mut rusqlite::Connection,
                           schedule: &mut Schedule,
                           (rows, messages, event): (Vec<_>, Vec<_>, EventRow)|
                 -> StoreResult<bool> {
                    let sp = c.savepoint().map_err(be)?;
                    if !insert_event(&sp, &event, now)? {
                        return Ok(false);
                    }
                    insert_deliveries(&sp, rows, now)?;
                    let added =
                        crate::store::sqlite::queue::enqueue(&sp, &messages, now).map_err(be)?;
                    crate::store::sqlite::queue::loaded(&sp, schedule).map_err(be)?;
                    sp.commit().map_err(be)?;
                    crate::store::sqlite::queue::keep_added(schedule, added, messages, now);
                    Ok(true)
                };
                let each: Vec<StoreResult<bool>> = prepared
                    .into_iter()
                    .map(|p| p.and_then(|p| one(c, schedule, p)))
                    .collect();
                if each
                    .iter()
                    .any(|r| matches!(r, Err(StoreError::Backend(b)) if b.unavailable))
                {
                    saw_full.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(each)
            })
            .await;
        match recorded {
            Ok(each) => {
                if each.iter().any(|r| matches!(r, Ok(true))) {
                    self.queue_signal.notify_waiters();
                }
                each
            }
            // The commit failed: none of them is recorded, each hears why (a full disk stays
            // "unavailable", to be retried).
            Err(e) => {
                let mut failed = match e {
                    StoreError::Backend(b) => b,
                    other => crate::fault::BackendError::new("sqlite", other.to_string()),
                };
                failed.unavailable |= full.load(std::sync::atomic::Ordering::Relaxed);
                (0..n)
                    .map(|_| Err(StoreError::Backend(failed.again())))
                    .collect()
            }
        }
    }
}

/// Records a delivery's row if it still has `prior` attempts, with an attempt that left the
/// inline window stored apart; `AlreadyRecorded` when another copy of its message recorded it.
fn save_row(
    c: &rusqlite::Connection,
    r: &DeliveryRow,
    prior: usize,
    archived: Option<&(i64, String)>,
) -> StoreResult<()> {
    if let Some((number, doc)) = archived {
        c.prepare_cached(
            "INSERT INTO delivery_attempts (tenant_id, delivery_id, number, doc, expires_ms)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )
        .map_err(be)?
        .execute(params![r.tenant, r.id, number, doc, r.expires_ms])
        .map_err(be)?;
    }
    let n = c
        .prepare_cached(
            "UPDATE deliveries SET status = ?3, attempts = ?4, doc = ?5, lean = 0
             WHERE tenant_id = ?1 AND id = ?2 AND attempts = ?6",
        )
        .map_err(be)?
        .execute(params![
            r.tenant,
            r.id,
            r.status,
            r.attempts,
            r.doc,
            prior as i64
        ])
        .map_err(be)?;
    // No record yet (publishes here record their deliveries, but the contract allows a first
    // save to create one): insert it, unless any row has its id by now (as on DynamoDB, whose
    // create is conditional on no item at all).
    let n = match (n, prior) {
        (0, 0) => insert_delivery(c, r, None)?,
        (n, _) => n,
    };
    if n == 0 {
        return Err(StoreError::AlreadyRecorded);
    }
    Ok(())
}

/// Keeps a first-try success of a `failures` tenant as a mark: its record, succeeded and
/// flagged so that the webhook's log leaves it out.
fn mark_row(c: &Connection, r: &DeliveryRow) -> StoreResult<()> {
    let n = c
        .prepare_cached(
            "UPDATE deliveries SET status = ?3, attempts = ?4, doc = ?5, lean = 1
             WHERE tenant_id = ?1 AND id = ?2 AND attempts = 0",
        )
        .map_err(be)?
        .execute(params![r.tenant, r.id, r.status, r.attempts, r.doc])
        .map_err(be)?;
    if n == 0 && insert_delivery(c, r, None)? == 1 {
        c.prepare_cached("UPDATE deliveries SET lean = 1 WHERE tenant_id = ?1 AND id = ?2")
            .map_err(be)?
            .execute(params![r.tenant, r.id])
            .map_err(be)?;
    }
    Ok(())
}

/// Saves first-try successes, each as a save with no attempt before; one that another copy of
/// its message recorded meanwhile is left as it is.
fn complete_first_tries(c: &Connection, rows: &[DeliveryRow]) -> StoreResult<()> {
    for r in rows {
        match save_row(c, r, 0, None) {
            Ok(()) | Err(StoreError::AlreadyRecorded) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
