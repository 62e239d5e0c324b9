//! What the cost benchmark publishes: events of a given size, in scenarios of a given shape.

use serde_json::{Value, json};

/// The size of each published event (its JSON as the publisher sends it).
#[derive(Clone, Copy)]
pub enum Size {
    /// An order id, an amount and a currency: about 90 bytes.
    Small,
    Bytes(usize),
}

impl Size {
    pub fn label(self) -> String {
        match self {
            Size::Small => "small".into(),
            Size::Bytes(n) => format!("{}KB", n / 1024),
        }
    }

    /// Event `i`: an order with as many lines as reach the size (JSON as platforms send it,
    /// so it compresses as theirs do: repeated keys, varied values).
    pub fn event(self, i: usize) -> Value {
        let mut ev =
            json!({"type": "order.paid", "data": {"order": i, "amount": 1250, "currency": "EUR"}});
        let Size::Bytes(target) = self else { return ev };
        let mut lines = Vec::new();
        let mut n = 0;
        while ev.to_string().len() < target {
            n += 1;
            lines.push(json!({
                "sku": format!("SKU-{:05}", (i * 7919 + n * 104_729) % 100_000),
                "name": format!("Item {n} of order {i}"),
                "quantity": 1 + (i + n) % 4,
                "unit_amount": 199 + (i * 31 + n * 17) % 5000,
                "tax_rate": "0.19",
            }));
            ev["data"]["customer"] = json!({"id": format!("cus_{:08}", i * 37 % 99_991), "country": "DE", "email": format!("buyer{i}@example.com")});
            ev["data"]["lines"] = json!(lines);
        }
        ev
    }
}

/// One scenario: `events` events to `webhooks` webhooks, published `batch` at a time, to a
/// tenant whose log level is `level`.
pub struct Scenario {
    pub name: &'static str,
    pub events: usize,
    pub webhooks: usize,
    pub batch: usize,
    pub size: Size,
    pub level: &'static str,
}

impl Scenario {
    pub fn api_path(&self) -> &'static str {
        if self.batch == 1 {
            "/v1/events"
        } else {
            "/v1/events/batch"
        }
    }
}
