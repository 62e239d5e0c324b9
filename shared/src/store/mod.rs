//! Storage: small traits, one adapter per backend ([`sqlite`] behind the `sqlite` feature,
//! [`dynamo`] behind `aws`), each split by concern.
//!
//! Adapters only persist and query; every rule (validation, caps, matching, retry policy) lives
//! in the domain modules so that it is written once. Adapters answer with [`StoreError`], whose
//! variants callers match on (a version conflict is retried, an attempt recorded by another
//! worker is a duplicate message); the HTTP mapping of those is in [`crate::error`] alone.

#[cfg(feature = "aws")]
pub mod dynamo;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use async_trait::async_trait;

use crate::fault::BackendError;

use crate::ids::{ApiKeyId, DeliveryId, EventId, PartnerId, TenantId, WebhookId};
use crate::model::{
    ApiKey, ArchivedAttempt, ClientKey, Delivery, DeliveryStatus, Event, EventType, Health,
    Keyring, Page, Partner, TenantSettings, Timestamp, Webhook,
};

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// The kinds of record a store error can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Webhook,
    EventType,
    ClientKey,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Webhook => "webhook",
            Entity::EventType => "event type",
            Entity::ClientKey => "client key",
        }
    }

    /// The API's error code when a record of this kind exists already.
    pub fn exists_code(self) -> &'static str {
        match self {
            Entity::Webhook => "webhook_exists",
            Entity::EventType => "event_type_exists",
            Entity::ClientKey => "client_key_exists",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An update lost the race: the record's version moved on since it was read.
    #[error("the webhook was changed by another request; read it again and retry")]
    VersionConflict,
    #[error("this tenant already has the maximum of {cap} webhooks")]
    CapReached { cap: u32 },
    #[error("{} already exists", .0.name())]
    Duplicate(Entity),
    #[error("{} not found", .0.name())]
    NotFound(Entity),
    /// A delivery's attempts moved on since it was read: another worker recorded this message.
    #[error("the delivery was recorded by another worker")]
    AlreadyRecorded,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl StoreError {
    pub fn backend(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Backend(BackendError::new(backend, source))
    }
}

/// Where a page of a webhook's delivery log starts: strictly older than this (creation time in
/// milliseconds, then id). The API parses it from the cursor text it handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryCursor {
    pub created_ms: i64,
    pub id: DeliveryId,
}

impl DeliveryCursor {
    pub fn of(d: &Delivery) -> Self {
        DeliveryCursor {
            created_ms: d.created_at.timestamp_millis(),
            id: d.id.clone(),
        }
    }

    /// Where a log read starts to find what was created before `ms` and nothing later: the
    /// lowest id of that millisecond.
    pub fn before_ms(ms: i64) -> Self {
        let id = ulid::Ulid::from_parts(ms.max(0) as u64, 0);
        DeliveryCursor {
            created_ms: ms,
            id: DeliveryId::parse(&format!("del_{}", id.to_string().to_lowercase()))
                .expect("a ULID delivery id"),
        }
    }

    /// The text form: fixed-width milliseconds, so that the text sorts as the cursor does.
    pub fn encode(&self) -> String {
        format!("{:013}.{}", self.created_ms, self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('.')?;
        Some(DeliveryCursor {
            created_ms: ms.parse().ok().filter(|ms: &i64| *ms >= 0)?,
            id: DeliveryId::parse(id).ok()?,
        })
    }
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a key record (insert or replace).
    async fn put_key(&self, key: &ApiKey) -> StoreResult<()>;
    async fn get_key(&self, id: &ApiKeyId) -> StoreResult<Option<ApiKey>>;
    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>>;
    /// True when no key exists at all (first start).
    async fn no_keys(&self) -> StoreResult<bool>;
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Inserts a webhook unless the tenant already has `cap` of them (`CapReached`).
    async fn create_webhook(&self, wh: &Webhook, cap: u32) -> StoreResult<()>;
    async fn get_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<Option<Webhook>>;
    /// The tenant of a webhook known only by id (admins act on listed webhooks by id).
    async fn webhook_tenant(&self, id: &WebhookId) -> StoreResult<Option<TenantId>>;
    /// A tenant's webhooks (every tenant's with `None`, for admin views) in id (creation)
    /// order, after `after`, at most `limit`.
    async fn list_webhooks(
        &self,
        tenant: Option<&TenantId>,
        after: Option<&WebhookId>,
        limit: usize,
    ) -> StoreResult<Page<Webhook, WebhookId>>;
    /// Replaces a webhook if its stored version is still `wh.version - 1`; otherwise
    /// `VersionConflict` (or `NotFound` when it is gone).
    async fn update_webhook(&self, wh: &Webhook) -> StoreResult<()>;
    /// Deletes a webhook; false when there was none.
    async fn delete_webhook(&self, tenant: &TenantId, id: &WebhookId) -> StoreResult<bool>;
    /// Replaces a webhook's health if the stored one is still at revision `health.rev - 1`
    /// (a compare-and-swap between delivery workers); false when it is not, or the webhook is
    /// gone. Health is kept apart from the webhook's other fields: no version bump, and an
    /// API update does not overwrite it.
    async fn put_health(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        health: &Health,
    ) -> StoreResult<bool>;
    /// Sets `last_triggered_at` (no version bump; never moves backwards).
    async fn touch_webhook(
        &self,
        tenant: &TenantId,
        id: &WebhookId,
        at: Timestamp,
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait CatalogueStore: Send + Sync {
    /// Inserts an event type; `Duplicate` when the name exists.
    async fn create_event_type(&self, et: &EventType) -> StoreResult<()>;
    /// Replaces an existing event type; `NotFound` when absent.
    async fn update_event_type(&self, et: &EventType) -> StoreResult<()>;
    async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>>;
    async fn list_event_types(&self) -> StoreResult<Vec<EventType>>;
    async fn delete_event_type(&self, name: &str) -> StoreResult<bool>;
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Inserts an event; false (and no change) when one with the id is still live at `now`.
    async fn put_event(&self, ev: &Event, now: Timestamp) -> StoreResult<bool>;
    /// Inserts new events of one tenant whose ids one `EventId::block` made (no event can have
    /// them yet). A backend may keep them together, and finds each by its id alone; this one
    /// inserts them one by one.
    async fn put_event_block(&self, events: &[&Event], now: Timestamp) -> StoreResult<()> {
        for ev in events {
            self.put_event(ev, now).await?;
        }
        Ok(())
    }
    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>>;
    /// Inserts deliveries, leaving any that are still live at `now` with the same id untouched.
    async fn create_deliveries(&self, ds: &[Delivery], now: Timestamp) -> StoreResult<()>;
    /// A webhook's delivery (every delivery is read through its webhook: the DynamoDB adapter
    /// keeps it in the webhook's log, at a place the id gives).
    async fn get_delivery(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        id: &DeliveryId,
    ) -> StoreResult<Option<Delivery>>;
    /// Records a delivery (creating it, when no record exists yet and `prior_attempts` is 0)
    /// if it still has `prior_attempts` attempts (so two workers handling a duplicate message
    /// cannot both record); `AlreadyRecorded` otherwise. `archived`, an
    /// attempt that left the record's inline window, is stored apart first (keyed by its
    /// number, so writing it twice changes nothing).
    async fn save_delivery(
        &self,
        d: &Delivery,
        prior_attempts: usize,
        archived: Option<&ArchivedAttempt>,
    ) -> StoreResult<()>;
    /// Records first-try successes that have no record yet (where a publish writes none), as
    /// a delivery batch made them: each reads back through `get_delivery`, `event_deliveries`
    /// and `list_deliveries` as its own record would, and a later save of it creates its own.
    /// A backend may keep several in one item (DynamoDB: pages of one write unit); this one
    /// saves each alone. Writing one twice changes nothing a reader sees.
    async fn save_first_tries(&self, ds: &[Delivery]) -> StoreResult<()> {
        for d in ds {
            match self.save_delivery(d, 0, None).await {
                Ok(()) | Err(StoreError::AlreadyRecorded) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    /// Keeps first-try successes of tenants whose log level is `failures` as marks: each
    /// reads back through `get_delivery` and `event_deliveries` as a succeeded delivery with
    /// its one attempt, and `list_deliveries` leaves it out. Writing one twice changes
    /// nothing a reader sees.
    async fn save_marks(&self, ds: &[Delivery]) -> StoreResult<()>;
    /// Where the queue lives in this store's database: a batch's first-try records and marks
    /// (as [`Self::save_first_tries`] and [`Self::save_marks`] write them) and the delete of
    /// its messages, in one transaction. `None` where the queue is apart: the caller writes
    /// them, then deletes.
    async fn record_and_settle(
        &self,
        _first_tries: &[Delivery],
        _marks: &[Delivery],
        _receipts: &[crate::queue::Receipt],
    ) -> Option<StoreResult<()>> {
        None
    }
    /// A delivery's attempts stored apart, oldest first.
    async fn archived_attempts(
        &self,
        tenant: &TenantId,
        id: &DeliveryId,
    ) -> StoreResult<Vec<ArchivedAttempt>>;
    /// A webhook's deliveries, newest first, optionally of one status, older than `before`.
    async fn list_deliveries(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        status: Option<DeliveryStatus>,
        before: Option<&DeliveryCursor>,
        limit: usize,
    ) -> StoreResult<Page<Delivery, DeliveryCursor>>;
    /// An event's recorded deliveries (the caller has read the event: its webhook list finds
    /// them); see [`Delivery::of_event`] for the ones not recorded yet.
    async fn event_deliveries(&self, event: &Event) -> StoreResult<Vec<Delivery>>;
}

/// The most hours a stats read covers hour by hour (a week): each backend keeps hourly counters
/// at least this long.
pub const STATS_MAX_HOURS: u32 = 168;

/// Per-webhook counters: an all-time bucket and hourly buckets, each a map of counter names to
/// values. Writes add (negative values subtract); `shard` spreads a busy webhook's writes.
#[async_trait]
pub trait StatsStore: Send + Sync {
    async fn add_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        hour: i64,
        shard: u32,
        add: &Counters,
    ) -> StoreResult<()>;
    /// The all-time counters, and those of each hour since `since_hour` (by hour).
    async fn read_stats(
        &self,
        tenant: &TenantId,
        webhook: &WebhookId,
        since_hour: i64,
    ) -> StoreResult<(Counters, std::collections::BTreeMap<i64, Counters>)>;
}

pub type Counters = std::collections::BTreeMap<String, i64>;

/// Client public keys for signed requests (RFC 9421).
#[async_trait]
pub trait ClientKeyStore: Send + Sync {
    /// Inserts a key; `Duplicate` when its `key_id` is taken (by any tenant).
    async fn create_client_key(&self, k: &ClientKey) -> StoreResult<()>;
    /// A key by id, whatever its tenant (a signed request names only the id).
    async fn get_client_key(&self, key_id: &str) -> StoreResult<Option<ClientKey>>;
    async fn list_client_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ClientKey>>;
    /// Deletes the tenant's key; false when it has none by that id.
    async fn delete_client_key(&self, tenant: &TenantId, key_id: &str) -> StoreResult<bool>;
}

/// The rate limiter's counters, shared by every process on the store.
/// Tenants' signing key pairs (asymmetric delivery signatures), one keyring per tenant.
#[async_trait]
pub trait KeyringStore: Send + Sync {
    async fn get_keyring(&self, tenant: &TenantId) -> StoreResult<Option<Keyring>>;
    /// Writes `ring` if the stored keyring is still at `ring.version - 1` (or absent, for
    /// version 1); false when another writer got there first.
    async fn put_keyring(&self, ring: &Keyring) -> StoreResult<bool>;
}

/// Tenants' own settings (log level, retention).
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn get_tenant_settings(&self, tenant: &TenantId) -> StoreResult<Option<TenantSettings>>;
    /// Writes `s` if the stored settings are still at `s.version - 1` (or absent, for version
    /// 1); false when another writer got there first.
    async fn put_tenant_settings(&self, s: &TenantSettings) -> StoreResult<bool>;
}

/// Partners and the tenants they group.
#[async_trait]
pub trait PartnerStore: Send + Sync {
    async fn get_partner(&self, id: &PartnerId) -> StoreResult<Option<Partner>>;
    /// Writes `p` if the stored partner is still at `p.version - 1` (or absent, for version
    /// 1); false when another writer got there first.
    async fn put_partner(&self, p: &Partner) -> StoreResult<bool>;
    async fn list_partners(&self) -> StoreResult<Vec<Partner>>;
}

#[async_trait]
pub trait RateStore: Send + Sync {
    /// Counts one request under `key` in the window starting at `window` (unix seconds) and
    /// returns the count with it; the counter may be removed after `expires` (unix seconds).
    async fn count_request(&self, key: &str, window: i64, expires: i64) -> StoreResult<u64>;
    /// Reserves the next `span` of `key`'s schedule (a webhook's rate limit): the schedule
    /// resumes at `now` when it fell behind, and the start of the span reserved is answered
    /// (times in unix microseconds). One atomic step shared by every process; the key may be
    /// removed after `expires` (unix seconds).
    async fn reserve_slot(&self, key: &str, now: i64, span: i64, expires: i64) -> StoreResult<i64>;
}

/// What is kept of a write made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdempotencyRecord {
    /// The hash of the request (method, path and query, body).
    pub hash: String,
    /// The answer (status and JSON body), once there is one; none while the request runs.
    pub answer: Option<(u16, String)>,
}

/// Idempotency keys, shared by every process on the store.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request (`record`, without an answer) until `expires` (unix
    /// seconds); `None` when claimed, or the record that holds the key (expired ones do not).
    async fn claim_idempotency(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        now: i64,
        expires: i64,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// Replaces the claim with the answered record, kept until `expires`.
    async fn complete_idempotency(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        expires: i64,
    ) -> StoreResult<()>;
    /// Drops a claim whose request failed (so that a retry runs it again).
    async fn release_idempotency(&self, key: &str) -> StoreResult<()>;
}

/// Removal of expired events and deliveries where the backend does not expire items itself.
#[async_trait]
pub trait Retention: Send + Sync {
    /// Deletes what expired before `now`; returns how many items went.
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64>;
}

/// A backend whose queue lives in its own database records a whole publish (the deliveries,
/// their queue messages and the event) in one transaction, where the others take three writes
/// in that order (ARCHITECTURE.md §2).
#[async_trait]
pub trait AtomicPublish: Send + Sync {
    /// Records each publish unless an event with its id is still live at `now` (a repeat,
    /// which changes nothing): true when recorded, answered in order. The publishes of one call
    /// share one commit (a batch of events costs one flush, not one each) and are queued in
    /// their order; one that fails leaves the others recorded.
    async fn record_publishes(
        &self,
        publishes: &[PublishRecord<'_>],
        now: Timestamp,
    ) -> Vec<StoreResult<bool>>;
}

/// One publish as [`AtomicPublish`] records it: the event, its deliveries, their messages.
pub struct PublishRecord<'a> {
    pub event: &'a Event,
    pub deliveries: &'a [Delivery],
    pub tasks: &'a [crate::queue::DeliveryTask],
}

/// Everything Hookline stores.
pub trait Store:
    KeyStore
    + WebhookStore
    + CatalogueStore
    + EventStore
    + StatsStore
    + RateStore
    + IdempotencyStore
    + ClientKeyStore
    + KeyringStore
    + TenantStore
    + PartnerStore
    + Retention
{
}
impl<T> Store for T where
    T: KeyStore
        + WebhookStore
        + CatalogueStore
        + EventStore
        + StatsStore
        + RateStore
        + IdempotencyStore
        + ClientKeyStore
        + KeyringStore
        + TenantStore
        + PartnerStore
        + Retention
{
}

/// Cuts a `limit + 1` result to a page, with the cursor of the next one (shared by adapters).
pub fn page_of<T, C>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> C) -> Page<T, C> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&cursor)
    } else {
        None
    };
    Page { items, next }
}

/// Newest first, as the delivery log lists: by creation time, then id, both descending.
pub fn newest_first(a: &Delivery, b: &Delivery) -> std::cmp::Ordering {
    (b.created_at.timestamp_millis(), &b.id).cmp(&(a.created_at.timestamp_millis(), &a.id))
}
