//! Domain types, as stored. The HTTP shapes (`XxxIn`/`XxxOut`) live in [`crate::api`].

use serde::{Deserialize, Serialize};

pub use crate::clock::Timestamp;
pub use crate::ids::Mode;

/// Does a holder of `held` have `scope`? `admin` implies every scope, `webhooks:write` implies
/// `webhooks:read` and `deliveries:retry`.
pub fn allows(held: &[Scope], scope: Scope) -> bool {
    held.iter().any(|s| {
        *s == scope
            || *s == Scope::Admin
            || (*s == Scope::WebhooksWrite
                && matches!(scope, Scope::WebhooksRead | Scope::DeliveriesRetry))
    })
}

/// API key scopes (what implies what: [`allows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Scope {
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    #[serde(rename = "events:publish")]
    EventsPublish,
    /// Asking for a delivery again (`webhooks:write` implies it): what a customer portal
    /// session may change.
    #[serde(rename = "deliveries:retry")]
    DeliveriesRetry,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
        Scope::EventsPublish,
        Scope::DeliveriesRetry,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::WebhooksRead => "webhooks:read",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::EventsPublish => "events:publish",
            Scope::DeliveriesRetry => "deliveries:retry",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

mod auth;
mod delivery;
mod filter;
mod keys;
pub mod operational;
mod portal;
mod tenant;
mod webhook;

pub use auth::*;
pub use delivery::*;
pub use filter::*;
pub use keys::*;
pub use portal::*;
pub use tenant::*;
pub use webhook::*;

/// A page of a listing, with where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// The length of `v` written as compact JSON (what the size limits on payloads, filters,
/// schemas and examples count), counted without writing it anywhere.
pub fn json_len(v: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = Count(0);
    // Writing a `Value` to a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut n, v);
    n.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TenantId, WebhookId};
    use std::collections::BTreeMap;

    /// The limits count what the old `to_string().len()` counted, escapes and UTF-8 included.
    #[test]
    fn json_len_is_the_compact_text_length() {
        for v in [
            serde_json::json!({"a": [1, 2.5, null, true], "é\"\n": "日本 \u{1}"}),
            serde_json::json!("x"),
            serde_json::json!({}),
        ] {
            assert_eq!(json_len(&v), v.to_string().len(), "{v}");
        }
    }

    #[test]
    fn attempts_beyond_the_inline_window_are_handed_out_numbered() {
        let at = chrono::Utc::now();
        let attempt = |manual: bool| Attempt {
            at,
            status_code: Some(500),
            duration_ms: 1,
            response_excerpt: None,
            error_kind: None,
            error: None,
            manual,
            retry_id: None,
            key_id: None,
            rule: None,
            request_headers: None,
        };
        let mut d: Delivery = serde_json::from_value(serde_json::json!({
            "id": "del_1", "tenant_id": "t", "webhook_id": "wh_1", "event_id": "e",
            "event_type": "a.b", "status": "pending", "created_at": at, "updated_at": at,
            "next_attempt_at": null, "attempts": [], "cancel_reason": null, "expires_at": at
        }))
        .unwrap();
        let mut archived = Vec::new();
        for i in 0..12 {
            archived.extend(d.record(attempt(i == 3)));
        }
        assert_eq!(d.attempts.len(), INLINE_ATTEMPTS);
        assert_eq!((d.attempt_count(), d.automatic_attempts()), (12, 11));
        assert_eq!(d.first_attempt_at(), Some(at));
        let numbers: Vec<usize> = archived.iter().map(|a| a.number).collect();
        assert_eq!(numbers, (1..=12 - INLINE_ATTEMPTS).collect::<Vec<_>>());
        assert!(archived[3].attempt.manual, "attempt 4 was the manual one");
    }

    #[test]
    fn wildcards_match_on_dot_boundaries() {
        assert!(type_matches("invoice.*", "invoice.created"));
        assert!(type_matches("invoice.*", "invoice.line.added"));
        assert!(!type_matches("invoice.*", "invoice"));
        assert!(!type_matches("invoice.*", "invoices.created"));
        assert!(type_matches("*", "anything"));
        assert!(type_matches("a.b", "a.b"));
        assert!(!type_matches("a.b", "a.bc"));
    }

    #[test]
    fn rotation_keeps_previous_secrets_for_the_grace_period_only() {
        let t0 = chrono::Utc::now();
        let secret = |k: &str| SigningSecret {
            key: k.into(),
            created_at: t0,
            expires_at: None,
        };
        let mut w = Webhook {
            id: WebhookId::generate(),
            tenant_id: TenantId::parse("t").unwrap(),
            url: "https://a.example.com/".into(),
            description: None,
            events: vec![],
            enabled: true,
            account_ids: vec![],
            metadata: BTreeMap::new(),
            headers: Default::default(),
            auth: None,
            tls: None,
            timeout_seconds: None,
            filter: None,
            rate_limit: None,
            ordering: Default::default(),
            secrets: vec![secret("s0")],
            signature_scheme: SignatureScheme::default(),
            created_at: t0,
            updated_at: t0,
            last_triggered_at: None,
            version: 1,
            health: Health::default(),
            disabled_reason: None,
            disabled_at: None,
        };
        let hour = chrono::TimeDelta::hours(1);
        assert_eq!(w.rotate_secret(secret("s1"), t0, hour), Some(t0 + hour));
        let keys = |w: &Webhook, at| {
            w.valid_secrets(at)
                .map(|s| s.key.expose().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&w, t0), ["s1", "s0"]);
        assert_eq!(keys(&w, t0 + hour), ["s1"], "s0 ends with its grace period");
        // A second rotation never extends s0 past the end it already had.
        let later = t0 + chrono::TimeDelta::minutes(30);
        w.rotate_secret(secret("s2"), later, chrono::TimeDelta::days(1));
        assert_eq!(w.secrets[2].expires_at, Some(t0 + hour));
        for i in 0..10 {
            w.rotate_secret(secret(&format!("x{i}")), later, hour);
        }
        assert_eq!(w.secrets.len(), MAX_SECRETS);
        assert_eq!(
            w.rotate_secret(secret("now"), later, chrono::TimeDelta::zero()),
            None
        );
        assert_eq!(keys(&w, later), ["now"]);
    }
}
