//! The event type catalogue through the API, on both backends: managed by admins, examples
//! and schemas, and the filters it checks.

use super::api::{assert_error, setup};
use hookline::model::Scope;
use hookline_tests::{Api, Backend, mint_key, test_config, unique};
use http::StatusCode;
use serde_json::json;

async fn event_type_catalogue_is_managed_by_admins_and_checks_filters(b: Backend) {
    let (name, app) = (b.name(), b.app(test_config()).await);
    let api = Api::new(app);
    let (_, key) = setup(&api).await;
    let admin = mint_key(&api.app, &unique("ops"), &[Scope::Admin]).await;
    let k = Some(key.as_str());
    // No catalogue yet: any well-formed name is accepted.
    assert_eq!(
        api.call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://a.example.com/", "events": ["x.y"]}))
        )
        .await
        .0,
        StatusCode::CREATED
    );

    let et = json!({"name": "invoice.created", "description": "An invoice was created", "example": {"invoice_id": "inv_1"}});
    assert_error(
        &api.call("POST", "/v1/event-types", k, Some(et.clone()))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (s, made) = api
        .call("POST", "/v1/event-types", Some(&admin), Some(et.clone()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{name}: {made}");
    assert_error(
        &api.call("POST", "/v1/event-types", Some(&admin), Some(et))
            .await,
        StatusCode::CONFLICT,
        "event_type_exists",
    );
    assert_error(
        &api.call(
            "POST",
            "/v1/event-types",
            Some(&admin),
            Some(json!({"name": "bad name"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (s, list) = api.call("GET", "/v1/event-types", k, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"][0]["name"], "invoice.created");
    assert_eq!(list["data"][0]["example"]["invoice_id"], "inv_1");

    // With a catalogue, unknown names are refused; wildcards must match something in it.
    let bad = api
        .call(
            "POST",
            "/v1/webhooks",
            k,
            Some(json!({"url": "https://a.example.com/", "events": ["order.paid"]})),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(bad.1["error"]["field"], "events");
    for ok in [
        json!(["invoice.created"]),
        json!(["invoice.*"]),
        json!(["*"]),
    ] {
        let got = api
            .call(
                "POST",
                "/v1/webhooks",
                k,
                Some(json!({"url": "https://a.example.com/", "events": ok})),
            )
            .await;
        assert_eq!(got.0, StatusCode::CREATED, "{name}: {}", got.1);
    }

    let (s, p) = api
        .call(
            "PATCH",
            "/v1/event-types/invoice.created",
            Some(&admin),
            Some(json!({"description": "new"})),
        )
        .await;
    assert_eq!(
        (s, p["description"].clone()),
        (StatusCode::OK, json!("new")),
        "{name}"
    );
    // A webhook names it: 409 until forced.
    assert_error(
        &api.call(
            "DELETE",
            "/v1/event-types/invoice.created",
            Some(&admin),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "event_type_in_use",
    );
    assert_eq!(
        api.call(
            "DELETE",
            "/v1/event-types/invoice.created?force=true",
            Some(&admin),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.call("GET", "/v1/event-types/invoice.created", k, None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

hookline_tests::per_backend!(event_type_catalogue_is_managed_by_admins_and_checks_filters,);
