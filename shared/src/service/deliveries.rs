//! Delivery-log operations: reading a delivery, a manual retry, recovering failed deliveries.

use super::MAX_LIMIT;
use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::ids::{DeliveryId, RetryId, TenantId, WebhookId};
use crate::model::{ArchivedAttempt, Delivery, DeliveryStatus, Page, Timestamp, is_live};
use crate::queue::{DeliveryRef, DeliveryTask};
pub use crate::store::DeliveryCursor;

/// A live delivery of the webhook `webhook`; anything else (another webhook's, expired) is not
/// found.
pub async fn load(
    app: &Hookline,
    tenant: &TenantId,
    webhook: &WebhookId,
    id: &DeliveryId,
) -> Result<Delivery> {
    let now = app.clock.now();
    app.store
        .get_delivery(tenant, webhook, id)
        .await?
        .filter(|d| &d.webhook_id == webhook && is_live(d.expires_at, now))
        .ok_or(Error::NotFound("delivery"))
}

/// A page of the webhook's delivery log, newest first: by `status` (in the store's index) and
/// `event_type`, live deliveries only.
/// What a page of a webhook's delivery log is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct LogFilter<'a> {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<&'a str>,
    /// Created at or after.
    pub since: Option<Timestamp>,
    /// Created at or before.
    pub until: Option<Timestamp>,
}

pub async fn list(
    app: &Hookline,
    tenant: &TenantId,
    webhook: &WebhookId,
    filter: &LogFilter<'_>,
    limit: usize,
    start: Option<DeliveryCursor>,
) -> Result<Page<Delivery, DeliveryCursor>> {
    super::webhooks::load(app, tenant, webhook).await?;
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && since > until
    {
        return Err(Error::validation("since", "must not be after until"));
    }
    let now = app.clock.now();
    // Compared to the millisecond, as delivery ids and the log's order keep time.
    let since_ms = filter.since.map(|t| t.timestamp_millis());
    let until_ms = filter.until.map(|t| t.timestamp_millis());
    let keep = |d: &Delivery| {
        let ms = d.created_at.timestamp_millis();
        is_live(d.expires_at, now)
            && filter.event_type.is_none_or(|t| d.event_type == t)
            && since_ms.is_none_or(|s| ms >= s)
            && until_ms.is_none_or(|u| ms <= u)
    };
    // The log is newest first: `until` is where it starts (unless a cursor is further on), and
    // reading stops once a page has gone past `since`.
    let start = match (start, filter.until) {
        (Some(c), Some(u)) if c.created_ms <= u.timestamp_millis() => Some(c),
        (_, Some(u)) => Some(DeliveryCursor::before_ms(u.timestamp_millis() + 1)),
        (c, None) => c,
    };
    let status = filter.status;
    super::filtered_page(
        limit,
        start,
        |cursor, n| async move {
            if let (Some(c), Some(s)) = (&cursor, since_ms)
                && c.created_ms < s
            {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                });
            }
            app.store
                .list_deliveries(tenant, webhook, status, cursor.as_ref(), n)
                .await
        },
        keep,
        DeliveryCursor::of,
    )
    .await
}

/// A delivery with the attempts stored apart from it (oldest first; none when every attempt is
/// still inline).
pub async fn load_with_attempts(
    app: &Hookline,
    tenant: &TenantId,
    webhook: &WebhookId,
    id: &DeliveryId,
) -> Result<(Delivery, Vec<ArchivedAttempt>)> {
    let d = load(app, tenant, webhook, id).await?;
    let archived = if d.attempt_count() > d.attempts.len() {
        app.store.archived_attempts(tenant, &d.id).await?
    } else {
        Vec::new()
    };
    Ok((d, archived))
}

fn manual_task(d: &Delivery, body: Option<String>, retry_id: &RetryId) -> DeliveryTask {
    DeliveryTask::Manual {
        target: DeliveryRef {
            tenant_id: d.tenant_id.clone(),
            delivery_id: d.id.clone(),
            webhook_id: d.webhook_id.clone(),
            event_id: d.event_id.clone(),
            event_type: Some(d.event_type.clone()),
            resent: false,
            body,
            expires_at: Some(d.expires_at),
            lean: false,
            ordered: false,
        },
        retry_id: retry_id.clone(),
    }
}

/// Sends a delivery again now, as one manual attempt; the automatic schedule is not reopened.
pub async fn retry(
    app: &Hookline,
    tenant: &TenantId,
    webhook: &WebhookId,
    id: &DeliveryId,
) -> Result<(Delivery, RetryId)> {
    super::webhooks::load_sendable(app, tenant, webhook).await?;
    let d = load(app, tenant, webhook, id).await?;
    let now = app.clock.now();
    let event = app
        .store
        .get_event(tenant, &d.event_id)
        .await?
        .filter(|e| is_live(e.expires_at, now))
        .ok_or(Error::NotFound("event of this delivery"))?;
    let retry_id = RetryId::generate();
    app.queue
        .send(&[manual_task(
            &d,
            Some(crate::service::events::envelope(&event)),
            &retry_id,
        )])
        .await?;
    Ok((d, retry_id))
}

/// Re-queues every failed delivery of the webhook created in `[since, until)`, each as one
/// manual attempt; returns how many.
pub async fn recover(
    app: &Hookline,
    tenant: &TenantId,
    webhook: &WebhookId,
    since: Timestamp,
    until: Timestamp,
) -> Result<usize> {
    if until <= since {
        return Err(Error::validation("until", "must be after since"));
    }
    super::webhooks::load_sendable(app, tenant, webhook).await?;
    let now = app.clock.now();
    let retry_id = RetryId::generate();
    let mut queued = 0;
    let mut cursor = None;
    loop {
        let page = app
            .store
            .list_deliveries(
                tenant,
                webhook,
                Some(DeliveryStatus::Failed),
                cursor.as_ref(),
                MAX_LIMIT,
            )
            .await?;
        // Newest first: the page ends the walk once it reaches deliveries older than `since`.
        let reached_since = page.items.iter().any(|d| d.created_at < since);
        let tasks: Vec<DeliveryTask> = page
            .items
            .iter()
            .filter(|d| d.created_at >= since && d.created_at < until && is_live(d.expires_at, now))
            .map(|d| manual_task(d, None, &retry_id))
            .collect();
        app.queue.send(&tasks).await?;
        queued += tasks.len();
        match page.next {
            Some(n) if !reached_since => cursor = Some(n),
            _ => return Ok(queued),
        }
    }
}
