//! Identifiers: a short type prefix and a ULID, so that ids sort by creation time.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// Ids made by one process sort in the order they were made, even within a millisecond.
static GENERATOR: Mutex<Option<ulid::Generator>> = Mutex::new(None);

pub fn new_id(prefix: &str) -> String {
    let mut g = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let id = g
        .get_or_insert_with(ulid::Generator::new)
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::new());
    format!("{prefix}_{id}")
}

/// A delivery id that depends only on (tenant, event, webhook): publishing the same event again
/// addresses the same delivery records, which makes fan-out resumable and idempotent.
pub fn delivery_id(tenant: &str, event_id: &str, webhook_id: &str) -> String {
    let mut h = Sha256::new();
    for part in [tenant, event_id, webhook_id] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let mut n = [0u8; 16];
    n.copy_from_slice(&digest[..16]);
    format!(
        "del_{}",
        ulid::Ulid::from_bytes(n).to_string().to_lowercase()
    )
}

/// A stable small hash, used to spread a webhook's deliveries over index shards.
pub fn shard_of(id: &str, shards: u32) -> u32 {
    let d = Sha256::digest(id.as_bytes());
    u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % shards.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_ids_are_deterministic_and_distinct() {
        assert_eq!(delivery_id("t", "e", "w"), delivery_id("t", "e", "w"));
        assert_ne!(delivery_id("t", "e", "w"), delivery_id("t", "e", "w2"));
        assert_ne!(delivery_id("t", "ew", ""), delivery_id("t", "e", "w"));
        assert!(new_id("wh").starts_with("wh_"));
        let ids: Vec<String> = (0..1000).map(|_| new_id("x")).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids sort in creation order"
        );
    }
}
