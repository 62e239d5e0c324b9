//! Operational events: what Hookline says about the webhooks themselves (`hookline.*`). Their
//! names are reserved (no publisher may use the prefix, no catalogue entry may take it), `*`
//! does not reach them (a customer who subscribed to everything asked for their own events, not
//! for these), and their types are built into the catalogue with schemas and examples.

use serde_json::{Value, json};

use super::{EventType, Timestamp};

/// The prefix of every operational event type.
pub const RESERVED_PREFIX: &str = "hookline.";

/// Whether `name` (a type or a filter entry) is in the reserved namespace.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX) || name == "hookline"
}

/// One kind of operational event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WebhookDisabled,
    WebhookEnabled,
    /// A delivery failed for good (its last attempt included).
    DeliveryFailed,
    /// A webhook's consecutive failures reached the breaker's threshold (once per run).
    DeliveryFailing,
    /// The first success after a failing run.
    DeliveryRecovered,
}

impl Notice {
    pub const ALL: [Notice; 8] = [
        Notice::WebhookCreated,
        Notice::WebhookUpdated,
        Notice::WebhookDeleted,
        Notice::WebhookDisabled,
        Notice::WebhookEnabled,
        Notice::DeliveryFailed,
        Notice::DeliveryFailing,
        Notice::DeliveryRecovered,
    ];

    pub fn event_type(self) -> &'static str {
        match self {
            Notice::WebhookCreated => "hookline.webhook.created",
            Notice::WebhookUpdated => "hookline.webhook.updated",
            Notice::WebhookDeleted => "hookline.webhook.deleted",
            Notice::WebhookDisabled => "hookline.webhook.disabled",
            Notice::WebhookEnabled => "hookline.webhook.enabled",
            Notice::DeliveryFailed => "hookline.delivery.failed",
            Notice::DeliveryFailing => "hookline.delivery.failing",
            Notice::DeliveryRecovered => "hookline.delivery.recovered",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Notice::WebhookCreated => "A webhook was created.",
            Notice::WebhookUpdated => "A webhook was changed (fields, secret rotation).",
            Notice::WebhookDeleted => "A webhook was deleted.",
            Notice::WebhookDisabled => {
                "A webhook was disabled: by a caller, because its endpoint answered 410 Gone, \
                 or because it kept failing; `reason` says which."
            }
            Notice::WebhookEnabled => "A disabled webhook was enabled again.",
            Notice::DeliveryFailed => {
                "A delivery failed for good: its retries are over. Carries its last attempt."
            }
            Notice::DeliveryFailing => {
                "A webhook's endpoint failed this many times in a row (the circuit breaker's \
                 threshold); sent once per failing run."
            }
            Notice::DeliveryRecovered => "The first successful delivery after a failing run.",
        }
    }

    fn is_delivery(self) -> bool {
        matches!(
            self,
            Notice::DeliveryFailed | Notice::DeliveryFailing | Notice::DeliveryRecovered
        )
    }

    /// The fields this kind's `data` carries beyond those every operational event has.
    fn own_fields(self) -> (Value, Vec<&'static str>, Value) {
        let ts = json!({"type": "string", "format": "date-time"});
        let attempt = json!({
            "type": "object",
            "properties": {
                "at": ts,
                "status_code": {"type": ["integer", "null"]},
                "error": {"type": ["string", "null"]},
                "rule": {"type": ["string", "null"]},
            },
        });
        match self {
            Notice::WebhookCreated | Notice::WebhookUpdated | Notice::WebhookEnabled => (
                json!({"url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"}}),
                vec!["url"],
                json!({"url": "https://hooks.example.com/orders", "events": ["order.paid"], "enabled": true}),
            ),
            Notice::WebhookDeleted => (json!({}), vec![], json!({})),
            Notice::WebhookDisabled => (
                json!({"url": {"type": "string"}, "reason": {"type": ["string", "null"]}}),
                vec!["reason"],
                json!({"url": "https://hooks.example.com/orders", "reason": "endpoint_gone"}),
            ),
            Notice::DeliveryFailed => (
                json!({"attempts": {"type": "integer"}, "last_attempt": attempt}),
                vec!["attempts", "last_attempt"],
                json!({"attempts": 49, "last_attempt": {"at": "2026-01-02T10:00:00.000Z", "status_code": 500, "error": "HTTP 500", "rule": "retry"}}),
            ),
            Notice::DeliveryFailing => (
                json!({"consecutive_failures": {"type": "integer"}, "failing_since": ts}),
                vec!["consecutive_failures"],
                json!({"consecutive_failures": 5, "failing_since": "2026-01-02T09:58:00.000Z"}),
            ),
            Notice::DeliveryRecovered => (
                json!({"failures_before": {"type": "integer"}}),
                vec!["failures_before"],
                json!({"failures_before": 7}),
            ),
        }
    }

    /// This kind's catalogue entry: a JSON Schema of its `data` and an example.
    pub fn catalogue_entry(self) -> EventType {
        let (mut props, mut required, mut example) = self.own_fields();
        let common = [
            ("tenant_id", json!({"type": "string"}), json!("acme")),
            (
                "account_type",
                json!({"enum": ["live", "test"]}),
                json!("live"),
            ),
            ("webhook_id", json!({"type": "string"}), json!("wh_2x7KtQ")),
        ];
        let delivery = [
            ("delivery_id", json!({"type": "string"}), json!("del_8fJ3")),
            ("event_id", json!({"type": "string"}), json!("evt_91")),
            ("event_type", json!({"type": "string"}), json!("order.paid")),
        ];
        let extra = if self.is_delivery() {
            &delivery[..]
        } else {
            &[]
        };
        for (name, schema, value) in common.iter().chain(extra) {
            props[*name] = schema.clone();
            example[*name] = value.clone();
            required.push(name);
        }
        // A fixed date: the built-in entries never change at run time.
        let since: Timestamp = "2026-01-01T00:00:00Z".parse().expect("a valid date");
        EventType {
            name: self.event_type().to_string(),
            description: Some(self.description().to_string()),
            example: Some(example),
            schema: Some(json!({
                "type": "object",
                "properties": props,
                "required": required,
            })),
            created_at: since,
            updated_at: since,
        }
    }
}

/// The built-in catalogue entries, one per [`Notice`].
pub fn builtin_types() -> Vec<EventType> {
    Notice::ALL.iter().map(|n| n.catalogue_entry()).collect()
}

/// The built-in entry named `name`, if any.
pub fn builtin_type(name: &str) -> Option<EventType> {
    Notice::ALL
        .iter()
        .find(|n| n.event_type() == name)
        .map(|n| n.catalogue_entry())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_names_what_its_schema_requires() {
        for t in builtin_types() {
            let schema = t.schema.unwrap();
            let example = t.example.unwrap();
            for r in schema["required"].as_array().unwrap() {
                let r = r.as_str().unwrap();
                assert!(example.get(r).is_some(), "{}: example lacks {r}", t.name);
            }
            assert!(is_reserved(&t.name));
        }
        assert!(!is_reserved("hooklines.x") && !is_reserved("order.paid"));
    }
}
