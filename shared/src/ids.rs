//! Typed identifiers. Every kind of id is its own type, so a call with a webhook id where a
//! delivery id belongs does not compile; ids Hookline makes carry a short type prefix and a ULID,
//! so they sort by creation time and a malformed one is refused before any store is asked.
//!
//! On the wire and in storage an id is a plain string (`#[serde(transparent)]`-like), so the
//! typed ids changed no stored format.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// Longest id of any kind.
pub const MAX_ID_LEN: usize = 128;

/// The most ids of one [`EventId::block`].
pub const EVENT_BLOCK: usize = 32;

/// Ids made by one process sort in the order they were made, even within a millisecond.
static GENERATOR: Mutex<Option<ulid::Generator>> = Mutex::new(None);

fn next_ulid() -> String {
    let mut g = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    g.get_or_insert_with(ulid::Generator::new)
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::new())
        .to_string()
}

/// The characters a caller-chosen identifier may use.
pub fn is_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
}

/// Why a string is not an id of a kind (the API answers it as a 400 or 404, naming the field).
/// A request field that should hold an id and cannot (a 422 naming the field, once it is an
/// `error::Error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    pub field: String,
    pub message: String,
}

/// Live or test: every credential has one, and sees and delivers only objects of its own
/// (seed 002's `account_type`). Test objects live in their own namespace, see
/// [`crate::ids::TEST_MODE_SUFFIX`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim() {
            "live" => Some(Mode::Live),
            "test" => Some(Mode::Test),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}: it {rule}")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
    pub rule: String,
}

/// Declares an id type. `prefix = "wh"` requires ids of that kind to start with `wh_` (Hookline
/// makes them); `free` ids are chosen by callers (tenants, events) and only follow the
/// identifier rules.
macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, kind = $kind:literal, prefix = $prefix:literal) => {
        id_type!(@def $(#[$m])* $name, $kind, Some($prefix));
        impl $name {
            pub const PREFIX: &'static str = $prefix;
            /// A new id: the prefix and a ULID.
            pub fn generate() -> Self {
                $name(format!("{}_{}", $prefix, next_ulid()))
            }
        }
    };
    ($(#[$m:meta])* $name:ident, kind = $kind:literal, free) => {
        id_type!(@def $(#[$m])* $name, $kind, None);
    };
    (@def $(#[$m:meta])* $name:ident, $kind:literal, $prefix:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const KIND: &'static str = $kind;

            /// Checks `s` against the rules of this kind of id.
            pub fn parse(s: &str) -> std::result::Result<Self, InvalidId> {
                let bad = |rule: String| InvalidId {
                    kind: $kind,
                    value: s.chars().take(64).collect(),
                    rule,
                };
                // A tenant id may carry its mode (see `TenantId::in_mode`); nothing else may.
                let core = if $kind == TenantId::KIND_NAME {
                    s.strip_suffix(TEST_MODE_SUFFIX).unwrap_or(s)
                } else {
                    s
                };
                if !is_identifier(core) {
                    return Err(bad("must be 1 to 128 letters, digits, _ - . or :".into()));
                }
                let prefix: Option<&str> = $prefix;
                if let Some(p) = prefix
                    && !(s.len() > p.len() + 1 && s.starts_with(p) && s.as_bytes()[p.len()] == b'_')
                {
                    return Err(bad(format!("must start with {p}_")));
                }
                Ok($name(s.to_string()))
            }

            /// Like [`Self::parse`], as a 422 naming `field`.
            pub fn field(field: &str, s: &str) -> std::result::Result<Self, InvalidField> {
                Self::parse(s).map_err(|e| InvalidField {
                    field: field.to_string(),
                    message: e.to_string(),
                })
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> std::result::Result<Self, InvalidId> {
                Self::parse(s)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        // In the API contract an id is a string; its description says which kind.
        #[cfg(feature = "api")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("A ", $kind, ".")))
                    .into()
            }
        }
        #[cfg(feature = "api")]
        impl utoipa::ToSchema for $name {}

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A tenant: a customer of the platform (chosen by the operator, e.g. `acme`).
    TenantId, kind = "tenant id", free
);
/// How a tenant's test-mode objects are kept apart: under the tenant id with this suffix,
/// which no caller-chosen identifier can carry (`~` is not an identifier character). Every
/// store key, queue message and statistic of a test-mode object is therefore in another
/// namespace than the live ones: a test principal cannot reach a live object by construction.
pub const TEST_MODE_SUFFIX: &str = "~test";

impl TenantId {
    const KIND_NAME: &'static str = "tenant id";

    /// The same tenant in `mode` (any mode the id carried is replaced).
    pub fn in_mode(&self, mode: Mode) -> TenantId {
        let base = self.base();
        match mode {
            Mode::Live => TenantId(base.to_string()),
            Mode::Test => TenantId(format!("{base}{TEST_MODE_SUFFIX}")),
        }
    }

    /// The mode this id is in.
    pub fn mode(&self) -> Mode {
        if self.0.ends_with(TEST_MODE_SUFFIX) {
            Mode::Test
        } else {
            Mode::Live
        }
    }

    /// The tenant as callers name it, without its mode.
    pub fn base(&self) -> &str {
        self.0.strip_suffix(TEST_MODE_SUFFIX).unwrap_or(&self.0)
    }
}

id_type!(
    /// A partner: a group of tenants (e.g. a reseller) that a partner key acts on.
    PartnerId, kind = "partner id", free
);
id_type!(
    /// A webhook subscription (`wh_…`).
    WebhookId, kind = "webhook id", prefix = "wh"
);
id_type!(
    /// An event: `evt_…` when Hookline makes it, or the publisher's own id.
    EventId, kind = "event id", free
);
id_type!(
    /// One event for one webhook (`del_…`), derived from both (see [`DeliveryId::of`]).
    DeliveryId, kind = "delivery id", prefix = "del"
);
id_type!(
    /// A stored API key (`key_…`), derived from the key's hash.
    ApiKeyId, kind = "API key id", prefix = "key"
);
id_type!(
    /// One manual retry or recover request (`rty_…`; older ones `rcv_…`): its attempts carry
    /// it, so a duplicate queue message is not sent twice.
    RetryId, kind = "retry id", free
);

impl RetryId {
    pub fn generate() -> Self {
        RetryId(format!("rty_{}", next_ulid()))
    }
}

impl EventId {
    /// A new server-made event id.
    pub fn generate() -> Self {
        EventId(format!("evt_{}", next_ulid()))
    }

    /// `n` (at most [`EVENT_BLOCK`]) new server-made ids of one block: they differ only in
    /// their last character (the ULID's low five bits), and no other id this process makes
    /// falls in the block, so a store may keep the block's events together and find one from
    /// its id alone ([`EventId::block_key`]). A batch publish takes its new ids so.
    pub fn block(n: usize) -> Vec<Self> {
        assert!(
            n <= EVENT_BLOCK,
            "an event id block holds at most {EVENT_BLOCK} ids"
        );
        let last_bits = EVENT_BLOCK as u128 - 1;
        let mut g = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
        let g = g.get_or_insert_with(ulid::Generator::new);
        let first = g.generate().unwrap_or_else(|_| ulid::Ulid::new()).0;
        // The next whole block above every id made so far.
        let base = (first | last_bits).wrapping_add(1);
        // Move the generator past the block (at most twice its size away): ids made later in
        // this millisecond count up from where it stands, and a later millisecond sorts above
        // the block anyway.
        for _ in 0..=2 * EVENT_BLOCK {
            match g.generate() {
                Ok(u) if u.0 > base | last_bits => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        (0..n as u128)
            .map(|i| EventId(format!("evt_{}", ulid::Ulid(base + i))))
            .collect()
    }

    /// The block a server-made id belongs to: its first id (its last character zeroed).
    /// `None` for an id Hookline did not shape (a publisher's own, an idempotency key's).
    pub fn block_key(&self) -> Option<String> {
        let ulid = self.0.strip_prefix("evt_")?;
        if ulid.len() != ulid::ULID_LEN {
            return None;
        }
        let u = ulid::Ulid::from_string(ulid).ok()?;
        Some(format!(
            "evt_{}",
            ulid::Ulid(u.0 & !(EVENT_BLOCK as u128 - 1))
        ))
    }

    /// The event id an `Idempotency-Key` stands for, when the publisher gave no id.
    pub fn for_idempotency_key(key: &str) -> std::result::Result<Self, InvalidField> {
        EventId::parse(&format!("evt_idem_{key}")).map_err(|_| InvalidField {
            field: "Idempotency-Key".into(),
            message: "must be 1 to 119 letters, digits, _ - . or :".into(),
        })
    }
}

impl DeliveryId {
    /// A delivery id that depends only on (tenant, event, webhook) and the event's creation
    /// time: publishing the same event again addresses the same delivery records. It is a ULID
    /// whose time is the event's and whose other 80 bits are a hash of the three ids, so the
    /// ids of a webhook's deliveries sort by event time, and a store can find a delivery's
    /// place in its webhook's log from the id alone.
    pub fn of(tenant: &TenantId, event: &EventId, webhook: &WebhookId, created: Timestamp) -> Self {
        let mut h = Sha256::new();
        for part in [tenant.as_str(), event.as_str(), webhook.as_str()] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let digest = h.finalize();
        let mut random = [0u8; 16];
        random[6..].copy_from_slice(&digest[..10]);
        let ms = created.timestamp_millis().max(0) as u64;
        let id = ulid::Ulid::from_parts(ms, u128::from_be_bytes(random));
        DeliveryId(format!("del_{}", id.to_string().to_lowercase()))
    }

    /// The creation time (unix milliseconds) the id carries; 0 for an id that is not a ULID
    /// (a hand-written one, as in the sample events).
    pub fn created_ms(&self) -> i64 {
        self.0
            .strip_prefix("del_")
            .and_then(|u| ulid::Ulid::from_string(&u.to_uppercase()).ok())
            .map_or(0, |u| u.timestamp_ms() as i64)
    }
}

impl ApiKeyId {
    /// A key's id is derived from its hash, so a key is found by one direct read.
    pub fn from_hash(hash: &str) -> Self {
        ApiKeyId(format!("key_{}", &hash[..20.min(hash.len())]))
    }
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
        let t = TenantId::parse("t").unwrap();
        let e = EventId::parse("e").unwrap();
        let w = WebhookId::parse("wh_1").unwrap();
        let w2 = WebhookId::parse("wh_2").unwrap();
        let at = chrono::DateTime::from_timestamp_millis(1_780_000_000_123).unwrap();
        let later = at + chrono::TimeDelta::milliseconds(1);
        let d = DeliveryId::of(&t, &e, &w, at);
        assert_eq!(d, DeliveryId::of(&t, &e, &w, at));
        assert_ne!(d, DeliveryId::of(&t, &e, &w2, at));
        assert!(DeliveryId::parse(d.as_str()).is_ok());
        assert_eq!(d.created_ms(), 1_780_000_000_123);
        assert!(
            d < DeliveryId::of(&t, &e, &w2, later),
            "ids sort by event time"
        );
        assert_eq!(DeliveryId::parse("del_sample").unwrap().created_ms(), 0);
        let ids: Vec<WebhookId> = (0..1000).map(|_| WebhookId::generate()).collect();
        assert!(ids[0].starts_with("wh_"));
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids sort in creation order"
        );
    }

    #[test]
    fn event_id_blocks_share_a_key_that_no_other_id_has() {
        let before = EventId::generate();
        let block = EventId::block(EVENT_BLOCK);
        let after = EventId::generate();
        let key = block[0].block_key().unwrap();
        assert_eq!(key, block[0].as_str(), "the key is the block's first id");
        assert!(
            block
                .iter()
                .all(|id| id.block_key().as_deref() == Some(key.as_str()))
        );
        assert!(block.windows(2).all(|w| w[0] < w[1]));
        for single in [&before, &after] {
            assert_ne!(
                single.block_key().unwrap(),
                key,
                "{single} is outside the block"
            );
        }
        assert!(before < block[0] && block[EVENT_BLOCK - 1] < after);
        let next = EventId::block(2);
        assert_ne!(next[0].block_key().unwrap(), key);
        for not_ours in ["evt_order_1", "evt_idem_k", "order-1"] {
            assert_eq!(EventId::parse(not_ours).unwrap().block_key(), None);
        }
    }

    #[test]
    fn prefixes_and_characters_are_checked() {
        assert!(WebhookId::parse("wh_01ABC").is_ok());
        for bad in ["", "wh_", "del_01ABC", "wh01", "wh_a/b", "wh_\u{ff}"] {
            let e = WebhookId::parse(bad).unwrap_err();
            assert_eq!(e.kind, "webhook id", "{bad}");
        }
        assert!(TenantId::parse("acme-eu.1").is_ok());
        assert!(TenantId::parse("a b").is_err());
        assert!(TenantId::parse(&"x".repeat(129)).is_err());
        let json: std::result::Result<WebhookId, _> = serde_json::from_str("\"evt_1\"");
        assert!(json.is_err(), "deserializing checks the kind too");
    }
}
