//! Secret rotation with a grace period, as the receiver sees it: both secrets sign during the
//! grace period, only the new one after it.

use std::time::Duration;

use hookline_client::types::RotateSecretIn;
use hookline_tests::{Backend, Harness, PyReceiver, body, ok, refused, test_config};
use serde_json::json;

async fn rotation_with_a_grace_period_signs_with_both_secrets_and_without_only_the_new(b: Backend) {
    // The official Python verifiers: rotation is where interoperability is easiest to break.
    let receiver = PyReceiver::start();
    let (name, app) = (b.name(), b.app(test_config()).await);
    let h = Harness::start(app).await;
    let (pa, pb) = (format!("/rot-grace-{name}"), format!("/rot-now-{name}"));
    let (wa, old_a) = h
        .webhook(
            &receiver.configure(&pa, &[], &[200], None).await,
            json!({"events": ["rot.a"]}),
        )
        .await;
    let (wb, old_b) = h
        .webhook(
            &receiver.configure(&pb, &[], &[200], None).await,
            json!({"events": ["rot.b"]}),
        )
        .await;

    let c = hookline_client::connect(&h.base(), &h.key).unwrap();
    let rotate = |w: &hookline::ids::WebhookId, grace: Option<u64>| {
        let asked = grace.map(|g| body::<RotateSecretIn>(json!({"grace_period_seconds": g})));
        c.webhooks_rotate_secret()
            .id(w.to_string())
            .body(asked)
            .send()
    };
    let ra = ok(rotate(&wa, Some(3600))).await;
    let new_a = ra.secret.clone();
    assert!(new_a.starts_with("whsec_") && new_a != old_a, "{name}");
    assert!(ra.previous_secret_expires_at.is_some());
    let rb = ok(rotate(&wb, None)).await;
    assert!(
        rb.previous_secret_expires_at.is_none(),
        "no grace by default"
    );
    let new_b = rb.secret.clone();
    let read = ok(c.webhooks_read().id(wa.to_string()).send()).await;
    assert!(
        read.secret.ends_with(&new_a[new_a.len() - 4..]),
        "masked, the new one"
    );

    receiver
        .configure(&pa, &[&old_a, &new_a], &[200], None)
        .await;
    receiver
        .configure(&pb, &[&old_b, &new_b], &[200], None)
        .await;
    let out = h.publish(json!({"type": "rot.a", "data": {}})).await;
    h.settled(&out.id, Duration::from_secs(20)).await;
    let out = h.publish(json!({"type": "rot.b", "data": {}})).await;
    h.settled(&out.id, Duration::from_secs(20)).await;
    let a = receiver.wait_for(&pa, 1, Duration::from_secs(5)).await;
    assert_eq!(
        a[0].signature.as_deref().unwrap().split(' ').count(),
        2,
        "{name}: two signatures during the grace period"
    );
    assert_eq!(
        a[0].verified_by,
        [0, 1],
        "{name}: the official verifier accepts either secret"
    );
    assert_eq!(a[0].svix_ok.as_deref(), Some(&[0, 1][..]));
    let b = receiver.wait_for(&pb, 1, Duration::from_secs(5)).await;
    assert_eq!(
        b[0].verified_by,
        [1],
        "{name}: without grace only the new secret verifies"
    );

    let (s, e) = refused(rotate(&wa, Some(700_000))).await;
    assert_eq!(
        (s, e.error.field.as_deref()),
        (422, Some("grace_period_seconds"))
    );
    h.stop().await;
}

hookline_tests::per_backend!(
    rotation_with_a_grace_period_signs_with_both_secrets_and_without_only_the_new,
);
