//! The key design of the single DynamoDB table: every partition and sort key Hookline writes is
//! made here, so the access patterns can be read in one place.
//!
//! | item | PK | SK | GSI1 (PK / SK) | GSI2 (PK / SK) |
//! |---|---|---|---|---|
//! | API key | `KEY#{id}` | `KEY` | `TKEYS#{tenant}` / id | `KEYS#{shard}` / id |
//! | webhook | `T#{tenant}` | `WH#{id}` | | `WEBHOOKS#{shard}` / id (admin views) |
//! | webhook stats | `T#{tenant}#WS#{webhook}#{shard}` | `ALL` or `H#{unix hour}` | | |
//! | webhook count | `T#{tenant}` | `WHCOUNT` | | |
//! | event type | `CATALOG` | `ET#{name}` | | |
//! | rate counter | `RATE#{class}:{principal}` | `W#{window start}` | | |
//! | client key | `CK#{key id}` | `CK` | `TCK#{tenant}` / key id | |
//! | partner | `P#{id}` | `PARTNER` | | `PARTNERS#{shard}` / id |
//! | idempotency key | `IDEM#{principal}:{key}` | `IDEM` | | |
//! | event | `T#{tenant}#E#{id}` | `EVENT` | | |
//! | events of a batch | `T#{tenant}#EB#{block's first id}` | `P#{page}` | | |
//! | delivery | `T#{tenant}#WD#{webhook}#{shard}` | `{ms}.{id}` | | |
//! | first-try successes, paged | `T#{tenant}#WP#{webhook}` | `{newest's ms}.{id}#{ulid}` | | |
//! | archived attempt | `T#{tenant}#D#{delivery}` | `A#{number}` | | |
//!
//! Both indexes project keys only: a write that changes no index key (a webhook's health, its
//! last delivery time) writes no index, and what a listing needs is read from the table by
//! those keys. The listings of every key, webhook or partner (operators' views) are spread over
//! [`KIND_SHARDS`] partitions by a hash of the id, so that no index partition takes every write
//! of a kind.
//!
//! Each event has its own partition, or shares one with the events of its batch (see
//! `event_blocks`). A delivery lives in its webhook's log, spread over `shards`
//! partitions (so no key takes more than a fraction of a busy endpoint's writes) and sorted by
//! event time: the id carries that time and its shard is a hash of the id, so the log is read
//! without an index and a delivery's key is derived from its webhook and id. One write records
//! a delivery, with no index to update.

use crate::ids::{ApiKeyId, DeliveryId, EventId, TenantId, WebhookId};

pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";
pub const TTL_ATTRIBUTE: &str = "expires_at";

pub const API_KEY_SK: &str = "KEY";
/// GSI2's partitions of every API key, webhook and partner.
pub const ALL_KEYS: &str = "KEYS";
pub const ALL_WEBHOOKS: &str = "WEBHOOKS";
pub const ALL_PARTNERS: &str = "PARTNERS";
/// How many GSI2 partitions each of those kinds is spread over.
pub const KIND_SHARDS: u32 = 8;

/// The GSI2 partition of one item of a kind listed whole (`ALL_KEYS`, …).
pub fn kind_pk(kind: &str, id: &str) -> String {
    format!("{kind}#{}", crate::ids::shard_of(id, KIND_SHARDS))
}

/// Every GSI2 partition of a kind.
pub fn kind_pks(kind: &str) -> impl Iterator<Item = String> + '_ {
    (0..KIND_SHARDS).map(move |shard| format!("{kind}#{shard}"))
}
pub const PARTNER_SK: &str = "PARTNER";

pub fn partner_pk(id: &crate::ids::PartnerId) -> String {
    format!("P#{id}")
}
pub const WEBHOOK_COUNT_SK: &str = "WHCOUNT";
pub const CATALOG_PK: &str = "CATALOG";
pub const EVENT_SK: &str = "EVENT";
pub const STATS_ALL_TIME_SK: &str = "ALL";

pub const IDEMPOTENCY_SK: &str = "IDEM";
pub const CLIENT_KEY_SK: &str = "CK";
/// Attempts that left a delivery's inline window: `A#` and the number, in the delivery's
/// partition.
pub const ATTEMPT_SK_PREFIX: &str = "A#";

pub fn attempt_sk(number: usize) -> String {
    format!("{ATTEMPT_SK_PREFIX}{number:06}")
}

/// A tenant's signing keyring, in the tenant's partition.
pub const KEYRING_SK: &str = "KEYRING";
/// A tenant's settings, in the tenant's partition.
pub const SETTINGS_SK: &str = "SETTINGS";

pub fn client_key_pk(key_id: &str) -> String {
    format!("CK#{key_id}")
}

pub fn tenant_client_keys_pk(tenant: &TenantId) -> String {
    format!("TCK#{tenant}")
}

pub fn idempotency_pk(key: &str) -> String {
    format!("IDEM#{key}")
}

pub fn rate_pk(key: &str) -> String {
    format!("RATE#{key}")
}

pub fn rate_sk(window: i64) -> String {
    format!("W#{window}")
}

pub fn api_key_pk(id: &ApiKeyId) -> String {
    format!("KEY#{id}")
}

pub fn tenant_keys_pk(tenant: &TenantId) -> String {
    format!("TKEYS#{tenant}")
}

pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

/// The tenant of a [`tenant_pk`] (`None` for any other partition key).
pub fn tenant_of_pk(pk: &str) -> Option<&str> {
    pk.strip_prefix("T#").filter(|t| !t.contains('#'))
}

pub fn webhook_sk(id: &WebhookId) -> String {
    format!("WH#{id}")
}

/// Sorts right after every `WH#…` key: the upper bound of a tenant's webhooks.
pub const WEBHOOK_SK_END: &str = "WH$";

pub fn event_type_sk(name: &str) -> String {
    format!("ET#{name}")
}

pub const EVENT_TYPE_SK_PREFIX: &str = "ET#";

pub fn event_pk(tenant: &TenantId, id: &EventId) -> String {
    format!("T#{tenant}#E#{id}")
}

/// The partition of the events whose ids one block made (`EventId::block_key`).
pub fn event_block_pk(tenant: &TenantId, block: &str) -> String {
    format!("T#{tenant}#EB#{block}")
}

pub fn event_block_sk(page: usize) -> String {
    format!("P#{page:02}")
}

/// The partition of the marks of a tenant's lean first-try successes whose events were
/// created in unix second `second` (a delivery id carries its event's time, so a mark is found
/// from the id alone).
pub fn marks_pk(tenant: &TenantId, second: i64) -> String {
    format!("T#{tenant}#M#{second}")
}

/// The partition of a delivery's archived attempts.
pub fn delivery_pk(tenant: &TenantId, id: &DeliveryId) -> String {
    format!("T#{tenant}#D#{id}")
}

/// The partition of a webhook's first-try successes kept in pages (see `record_pages`).
pub fn record_pages_pk(tenant: &TenantId, webhook: &WebhookId) -> String {
    format!("T#{tenant}#WP#{webhook}")
}

/// One of the `shards` partitions of a webhook's delivery log.
pub fn webhook_deliveries_pk(tenant: &TenantId, webhook: &WebhookId, shard: u32) -> String {
    format!("T#{tenant}#WD#{webhook}#{shard}")
}

/// A delivery's key: its webhook's log partition (the shard its id hashes to), and its place in
/// the log (the cursor of its event time and id).
pub fn delivery_key(
    tenant: &TenantId,
    webhook: &WebhookId,
    id: &DeliveryId,
    shards: u32,
) -> (String, String) {
    let shard = crate::ids::shard_of(id, shards);
    let cursor = crate::store::DeliveryCursor {
        created_ms: id.created_ms(),
        id: id.clone(),
    };
    (
        webhook_deliveries_pk(tenant, webhook, shard),
        cursor.encode(),
    )
}

pub fn stats_pk(tenant: &TenantId, webhook: &WebhookId, shard: u32) -> String {
    format!("T#{tenant}#WS#{webhook}#{shard}")
}

pub fn stats_hour_sk(hour: i64) -> String {
    format!("H#{hour:010}")
}

/// The hour of a [`stats_hour_sk`] (`None` for any other sort key).
pub fn stats_hour_of_sk(sk: &str) -> Option<i64> {
    sk.strip_prefix("H#")?.parse().ok()
}
