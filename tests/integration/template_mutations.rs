//! The template checks catch what cfn-lint and `sam validate` miss: each mutation of the
//! committed template must be reported.

use serde_yaml::Value;

use super::template::{problems, template};

#[test]
fn template_checks_catch_what_the_linters_miss() {
    type Mutation = fn(&mut Value);
    fn res<'a>(t: &'a mut Value, path: &[&str]) -> &'a mut Value {
        path.iter()
            .fold(t, |v, k| v.get_mut(*k).unwrap_or_else(|| panic!("no {k}")))
    }
    let cases: Vec<(&str, Mutation)> = vec![
        ("visibility timeout", |t| {
            *res(
                t,
                &[
                    "Resources",
                    "DeliveryQueue",
                    "Properties",
                    "VisibilityTimeout",
                ],
            ) = Value::from(30)
        }),
        ("FunctionResponseTypes", |t| {
            *res(
                t,
                &[
                    "Resources",
                    "DeliverFunction",
                    "Properties",
                    "Events",
                    "Deliveries",
                    "Properties",
                    "FunctionResponseTypes",
                ],
            ) = serde_yaml::from_str("[ReportBatchItemFailure]").unwrap()
        }),
        ("runtime", |t| {
            *res(t, &["Globals", "Function", "Runtime"]) = Value::from("provided.al2")
        }),
        ("arm64", |t| {
            *res(t, &["Globals", "Function", "Architectures"]) =
                serde_yaml::from_str("[x86_64]").unwrap()
        }),
        ("[arm64] by default", |t| {
            *res(t, &["Parameters", "Architecture", "Default"]) = Value::from("x86_64")
        }),
        ("retention", |t| {
            *res(
                t,
                &[
                    "Resources",
                    "DeliveryQueue",
                    "Properties",
                    "MessageRetentionPeriod",
                ],
            ) = Value::from(86400)
        }),
        ("maxReceiveCount", |t| {
            *res(t, &["Parameters", "MaxReceiveCount", "Default"]) = Value::from(10)
        }),
        ("HOOKLINE_QUEUE_URL", |t| {
            res(t, &["Globals", "Function", "Environment", "Variables"])
                .as_mapping_mut()
                .unwrap()
                .remove("HOOKLINE_QUEUE_URL");
        }),
        ("sqs:ChangeMessageVisibility", |t| {
            let stmt = &mut res(
                t,
                &["Resources", "DeliverFunction", "Properties", "Policies"],
            )[0]["Statement"][1]["Action"];
            stmt.as_sequence_mut()
                .unwrap()
                .retain(|a| a.as_str() != Some("sqs:ChangeMessageVisibility"));
        }),
        ("dynamodb:DeleteItem", |t| {
            let stmt = &mut res(t, &["Resources", "ApiFunction", "Properties", "Policies"])[0]["Statement"]
                [0]["Action"];
            stmt.as_sequence_mut()
                .unwrap()
                .retain(|a| a.as_str() != Some("dynamodb:DeleteItem"));
        }),
        ("index GSI2", |t| {
            res(
                t,
                &["Resources", "Table", "Properties", "GlobalSecondaryIndexes"],
            )
            .as_sequence_mut()
            .unwrap()
            .pop();
        }),
        ("Hookline/DeliveriesSucceded is never emitted", |t| {
            let body = res(
                t,
                &["Resources", "Dashboard", "Properties", "DashboardBody"],
            );
            let Value::Tagged(tagged) = body else {
                panic!("DashboardBody is a !Sub")
            };
            let text = tagged.value.as_str().unwrap().replacen(
                "\"DeliveriesSucceeded\"",
                "\"DeliveriesSucceded\"",
                1,
            );
            tagged.value = Value::from(text);
        }),
        ("Retain", |t| {
            *res(t, &["Resources", "Table", "DeletionPolicy"]) = Value::from("Delete")
        }),
    ];
    for (needle, mutate) in cases {
        let mut t = template();
        mutate(&mut t);
        let p = problems(&t);
        assert!(
            p.iter().any(|x| x.contains(needle)),
            "mutating {needle:?} was not caught: {p:?}"
        );
    }
}
