//! The event type catalogue through the API, on both backends: managed by admins, examples
//! and schemas, and the filters it checks. Through the generated client.

use super::api::setup;
use hookline::model::Scope;
use hookline_client::types::{EventTypeIn, EventTypePatchIn, WebhookIn};
use hookline_tests::{Api, Backend, body, mint_key, ok, refused, test_config, unique};
use serde_json::{Value, json};

async fn event_type_catalogue_is_managed_by_admins_and_checks_filters(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (_, key) = setup(&api).await;
    let c = api.typed(&key).await;
    let admin = api
        .typed(&mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await)
        .await;
    let webhook = |events: Value| {
        c.webhooks_create()
            .body(body::<WebhookIn>(
                json!({"url": "https://a.example.com/", "events": events}),
            ))
            .send()
    };
    // No catalogue yet: any well-formed name is accepted.
    ok(webhook(json!(["x.y"]))).await;

    let et = || {
        body::<EventTypeIn>(json!({"name": "invoice.created",
            "description": "An invoice was created", "example": {"invoice_id": "inv_1"}}))
    };
    let code = |e: (u16, hookline_client::types::ErrorOut)| (e.0, e.1.error.code);
    assert_eq!(
        code(refused(c.event_types_create().body(et()).send()).await),
        (403, "forbidden".into())
    );
    let made = admin.event_types_create().body(et()).send().await.unwrap();
    assert_eq!(made.status().as_u16(), 201, "{name}");
    assert_eq!(
        code(refused(admin.event_types_create().body(et()).send()).await),
        (409, "event_type_exists".into())
    );
    // A name the contract's pattern refuses is a request the typed client would not send.
    let (s, v) = api
        .call(
            "POST",
            "/v1/event-types",
            Some(&mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await),
            Some(json!({"name": "bad name"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let list = ok(c.event_types_list().send()).await;
    assert_eq!(list.data[0].name, "invoice.created");
    assert_eq!(
        list.data[0].example.as_ref().unwrap()["invoice_id"],
        "inv_1"
    );

    // With a catalogue, unknown names are refused; wildcards must match something in it.
    let bad = refused(webhook(json!(["order.paid"]))).await;
    assert_eq!(
        (
            bad.0,
            bad.1.error.code.as_str(),
            bad.1.error.field.as_deref()
        ),
        (422, "validation_failed", Some("events"))
    );
    for events in [
        json!(["invoice.created"]),
        json!(["invoice.*"]),
        json!(["*"]),
    ] {
        ok(webhook(events)).await;
    }

    let p = ok(admin
        .event_types_patch()
        .name("invoice.created")
        .body(body::<EventTypePatchIn>(json!({"description": "new"})))
        .send())
    .await;
    assert_eq!(p.description.as_deref(), Some("new"), "{name}");
    // A webhook names it: 409 until forced.
    assert_eq!(
        code(refused(admin.event_types_delete().name("invoice.created").send()).await),
        (409, "event_type_in_use".into())
    );
    let forced = admin
        .event_types_delete()
        .name("invoice.created")
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status().as_u16(), 204);
    assert_eq!(
        code(refused(c.event_types_read().name("invoice.created").send()).await),
        (404, "not_found".into())
    );
}

hookline_tests::per_backend!(event_type_catalogue_is_managed_by_admins_and_checks_filters,);
