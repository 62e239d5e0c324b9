use hookline_client::types::{EventIn, WebhookIn};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = hookline_client::connect(&std::env::var("HOOKLINE")?, &std::env::var("KEY")?)?;
    let hook =
        WebhookIn::builder().url("https://example.com/hooks").events(vec!["order.paid".into()]);
    let hook = client.webhooks_create().body(hook).send().await?.into_inner();
    let event = EventIn::builder().type_("order.paid").data(serde_json::json!({"order": 7}));
    let event = client.events_create().body(event).send().await?.into_inner();
    println!("webhook {} (secret {}…) gets {}", *hook.id, &hook.secret[..10], *event.id);
    Ok(())
}
