//! Short-lived per-process caches of what the hot paths read on every request: API keys, the
//! event type catalogue, a tenant's webhooks, one webhook. A change made in this process
//! (through the API, or by the delivery engine) invalidates its entry at once; one made
//! elsewhere (another Lambda instance, `hookline keys revoke`) applies within the time to live,
//! `HOOKLINE_CACHE_TTL_MS` (1 s by default; 0 turns caching off).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ids::{ApiKeyId, TenantId, WebhookId};
use crate::model::{ApiKey, EventType, Webhook};

/// Entries kept at most per cache; past that the cache starts over (it is only a cache).
const MAX_ENTRIES: usize = 10_000;

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
    /// One load per key at a time: a batch of a hundred messages to one webhook, or of ten
    /// events of one tenant, reads the store once, not once per concurrent caller.
    loading: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached value of `key`, or what `load` answers (then cached).
    pub async fn get_or_load<E, F, Fut>(&self, key: &K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return load().await;
        }
        if let Some(v) = self.fresh(key) {
            return Ok(v);
        }
        let gate = {
            let mut loading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
            if loading.len() >= MAX_ENTRIES {
                loading.clear();
            }
            loading.entry(key.clone()).or_default().clone()
        };
        let _loading = gate.lock().await;
        // Whoever held the gate before may have loaded it.
        if let Some(v) = self.fresh(key) {
            return Ok(v);
        }
        let v = load().await?;
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.clone(), (Instant::now(), v.clone()));
        Ok(v)
    }

    fn fresh(&self, key: &K) -> Option<V> {
        self.lock()
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn invalidate(&self, key: &K) {
        self.lock().remove(key);
    }
}

/// The caches of one process.
pub struct Caches {
    pub keys: TtlCache<ApiKeyId, Option<ApiKey>>,
    /// Shared, not copied, by each reader: every publish reads the catalogue (its schemas
    /// and examples included) and its tenant's webhooks.
    pub catalogue: TtlCache<(), Arc<Vec<EventType>>>,
    pub tenant_webhooks: TtlCache<TenantId, Arc<Vec<Webhook>>>,
    pub webhook: TtlCache<(TenantId, WebhookId), Option<Webhook>>,
    /// Tenants' signing keyrings (deliveries with asymmetric signatures).
    pub keyrings: TtlCache<TenantId, crate::model::Keyring>,
    /// Tenants' settings (read by every publish).
    pub tenant_settings: TtlCache<TenantId, Option<crate::model::TenantSettings>>,
}

impl Caches {
    pub fn new(ttl: Duration) -> Self {
        Caches {
            keys: TtlCache::new(ttl),
            catalogue: TtlCache::new(ttl),
            tenant_webhooks: TtlCache::new(ttl),
            webhook: TtlCache::new(ttl),
            keyrings: TtlCache::new(ttl),
            tenant_settings: TtlCache::new(ttl),
        }
    }

    /// A webhook changed (or was created or deleted) in this process.
    pub fn webhook_changed(&self, tenant: &TenantId, id: &WebhookId) {
        self.tenant_webhooks.invalidate(tenant);
        self.webhook.invalidate(&(tenant.clone(), id.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_live_for_the_ttl_and_go_when_invalidated() {
        let c: TtlCache<u8, u32> = TtlCache::new(Duration::from_millis(50));
        let loads = std::sync::atomic::AtomicU32::new(0);
        let load =
            || async { Ok::<_, ()>(loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1) };
        assert_eq!(c.get_or_load(&1, load).await, Ok(1));
        assert_eq!(c.get_or_load(&1, load).await, Ok(1), "cached");
        c.invalidate(&1);
        assert_eq!(c.get_or_load(&1, load).await, Ok(2), "invalidated");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(c.get_or_load(&1, load).await, Ok(3), "expired");
        let off: TtlCache<u8, u32> = TtlCache::new(Duration::ZERO);
        assert_eq!(off.get_or_load(&1, load).await, Ok(4));
        assert_eq!(
            off.get_or_load(&1, load).await,
            Ok(5),
            "a zero ttl never caches"
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_load() {
        let c: TtlCache<u8, u32> = TtlCache::new(Duration::from_secs(5));
        let loads = std::sync::atomic::AtomicU32::new(0);
        let load = || async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ()>(loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
        };
        let got = futures::future::join_all((0..10).map(|_| c.get_or_load(&1, load))).await;
        assert!(got.iter().all(|v| *v == Ok(1)), "{got:?}");
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
