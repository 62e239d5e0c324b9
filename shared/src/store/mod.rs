//! Storage: small traits, one adapter per backend ([`sqlite`], [`dynamo`]).
//!
//! Adapters only persist and query; every rule (validation, caps, matching, retry policy) lives
//! in the domain modules so that it is written once.

pub mod dynamo;
pub mod sqlite;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::model::{ApiKey, Delivery, DeliveryStatus, Event, EventType, Page, Timestamp, Webhook};

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a key record (insert or replace).
    async fn put_key(&self, key: &ApiKey) -> Result<()>;
    async fn get_key(&self, id: &str) -> Result<Option<ApiKey>>;
    async fn list_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>>;
    /// True when no key exists at all (first start).
    async fn no_keys(&self) -> Result<bool>;
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Inserts a webhook unless the tenant already has `cap` of them (`Conflict`).
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> Result<()>;
    async fn get_webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>>;
    /// A tenant's webhooks (every tenant's with `None`, for admin views) in id (creation)
    /// order, after `after`, at most `limit`.
    async fn list_webhooks(
        &self,
        tenant_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Webhook>>;
    /// Replaces a webhook if its stored version is still `wh.version - 1`; otherwise `Conflict`
    /// (or `NotFound` when it is gone).
    async fn update_webhook(&self, wh: &Webhook) -> Result<()>;
    /// Deletes a webhook; false when there was none.
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool>;
    /// Sets `last_triggered_at` (no version bump; never moves backwards).
    async fn touch_webhook(&self, tenant_id: &str, id: &str, at: Timestamp) -> Result<()>;
}

#[async_trait]
pub trait CatalogueStore: Send + Sync {
    /// Inserts an event type; `Conflict` when the name exists.
    async fn create_event_type(&self, et: &EventType) -> Result<()>;
    /// Replaces an existing event type; `NotFound` when absent.
    async fn update_event_type(&self, et: &EventType) -> Result<()>;
    async fn get_event_type(&self, name: &str) -> Result<Option<EventType>>;
    async fn list_event_types(&self) -> Result<Vec<EventType>>;
    async fn delete_event_type(&self, name: &str) -> Result<bool>;
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Inserts an event; false (and no change) when a live (unexpired) one has the id.
    async fn put_event(&self, ev: &Event) -> Result<bool>;
    async fn get_event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>>;
    /// Inserts deliveries, leaving any live (unexpired) ones with the same id untouched.
    async fn create_deliveries(&self, ds: &[Delivery]) -> Result<()>;
    async fn get_delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>>;
    /// Replaces a delivery if it still has `prior_attempts` attempts (so two workers handling a
    /// duplicate message cannot both record); `Conflict` otherwise.
    async fn save_delivery(&self, d: &Delivery, prior_attempts: usize) -> Result<()>;
    /// A webhook's deliveries, newest first, optionally of one status.
    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        status: Option<DeliveryStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Delivery>>;
    /// An event's deliveries.
    async fn event_deliveries(&self, tenant_id: &str, event_id: &str) -> Result<Vec<Delivery>>;
}

/// Per-webhook counters: an all-time bucket and hourly buckets, each a map of counter names to
/// values. Writes add (negative values subtract); `shard` spreads a busy webhook's writes.
#[async_trait]
pub trait StatsStore: Send + Sync {
    async fn add_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        hour: i64,
        shard: u32,
        add: &Counters,
    ) -> Result<()>;
    /// The all-time counters, and the sum of the hourly buckets from `since_hour` on.
    async fn read_stats(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since_hour: i64,
    ) -> Result<(Counters, Counters)>;
}

pub type Counters = std::collections::BTreeMap<String, i64>;

/// Removal of expired events and deliveries where the backend does not expire items itself.
#[async_trait]
pub trait Retention: Send + Sync {
    /// Deletes what expired before `now`; returns how many items went.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64>;
}

/// Everything Hookline stores.
pub trait Store:
    KeyStore + WebhookStore + CatalogueStore + EventStore + StatsStore + Retention
{
}
impl<T: KeyStore + WebhookStore + CatalogueStore + EventStore + StatsStore + Retention> Store
    for T
{
}

// Answers and page handling shared by the adapters (and the API's cursors).

pub fn cap_reached(cap: u32) -> Error {
    Error::Conflict {
        code: "webhook_limit_reached",
        message: format!("this tenant already has the maximum of {cap} webhooks"),
    }
}

pub fn version_conflict() -> Error {
    Error::Conflict {
        code: "concurrent_update",
        message: "the webhook was changed by another request; read it again and retry".into(),
    }
}

/// Cuts a `limit + 1` result to a page, with the cursor of the next one.
pub fn page_of<T>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&cursor)
    } else {
        None
    };
    Page { items, next }
}

pub fn delivery_conflict() -> Error {
    Error::Conflict {
        code: "delivery_changed",
        message: "the delivery was recorded by another worker".into(),
    }
}

/// The listing cursor of a delivery: its creation time and id, newest first.
pub fn delivery_cursor(d: &Delivery) -> String {
    format!("{:013}.{}", d.created_at.timestamp_millis(), d.id)
}

pub fn parse_delivery_cursor(c: &str) -> Result<(i64, String)> {
    let bad = || Error::BadRequest("cursor is not valid for this listing".into());
    let (ms, id) = c.split_once('.').ok_or_else(bad)?;
    Ok((ms.parse().map_err(|_| bad())?, id.to_string()))
}
