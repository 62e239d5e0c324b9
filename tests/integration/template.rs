//! What cfn-lint and `sam validate --lint` miss in `template.yaml`, checked against the code:
//! visibility timeout vs function timeout, partial batch responses, runtime and architecture,
//! queue retention vs the retry window, maxReceiveCount vs the number of attempts, environment
//! variables the code reads, IAM actions the code calls, and the table the DynamoDB adapter
//! expects, and the dashboard against the metrics the code emits. A second test mutates the
//! template to show each check can fail.

use std::collections::BTreeSet;

use hookline::config::settings::lambda_variables;
use hookline::store::dynamo::{GSI1, GSI2, TTL_ATTRIBUTE};
use hookline_tests::root;
use serde_yaml::Value;

use super::dashboard::dashboard_problems;

pub(crate) fn template() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(root().join("template.yaml")).unwrap()).unwrap()
}

pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A number, following `!Ref Parameter` to the parameter's default.
fn num(t: &Value, v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        Value::Tagged(tagged) if tagged.tag == "!Ref" => {
            let name = tagged.value.as_str()?;
            num(t, at(t, &["Parameters", name, "Default"]))
        }
        _ => None,
    }
}

fn param(t: &Value, name: &str, field: &str) -> Option<f64> {
    num(t, at(t, &["Parameters", name, field]))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Strings, each `!Ref Parameter` read as the parameter's default (what a deploy without
/// overrides gets).
fn deployed_strings(t: &Value, v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(|x| match x {
                Value::Tagged(tagged) if tagged.tag == "!Ref" => {
                    at(t, &["Parameters", tagged.value.as_str()?, "Default"])
                        .and_then(Value::as_str)
                        .map(str::to_string)
                }
                x => x.as_str().map(str::to_string),
            })
            .collect(),
        other => strings(other),
    }
}

/// Every IAM action a function's inline policies allow.
fn allowed_actions(t: &Value, function: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(Value::Sequence(policies)) =
        at(t, &["Resources", function, "Properties", "Policies"])
    {
        for p in policies {
            if let Some(Value::Sequence(stmts)) = p.get("Statement") {
                for s in stmts
                    .iter()
                    .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
                {
                    out.extend(strings(s.get("Action")));
                }
            }
        }
    }
    out
}

/// The AWS SDK operations the adapters call (`client.<op>()`), read from their source.
fn sdk_calls() -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    let dynamo = root().join("shared/src/store/dynamo");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dynamo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    assert!(files.len() > 3, "the DynamoDB adapter's files: {files:?}");
    files.push(root().join("shared/src/queue/sqs.rs"));
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        for (i, _) in src.match_indices("client") {
            let rest = src[i + "client".len()..].trim_start();
            if let Some(rest) = rest.strip_prefix('.') {
                let op: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if rest[op.len()..].starts_with("()") && !op.is_empty() {
                    ops.insert(op);
                }
            }
        }
    }
    ops
}

/// IAM actions an SDK operation needs; `None` for operations the deployed code never calls.
fn iam_for(op: &str) -> Option<Vec<&'static str>> {
    Some(match op {
        "get_item" => vec!["dynamodb:GetItem"],
        "put_item" => vec!["dynamodb:PutItem"],
        "update_item" => vec!["dynamodb:UpdateItem"],
        "delete_item" => vec!["dynamodb:DeleteItem"],
        "query" => vec!["dynamodb:Query"],
        "batch_get_item" => vec!["dynamodb:BatchGetItem"],
        "batch_write_item" => vec!["dynamodb:BatchWriteItem"],
        // Transactions are authorized by the actions inside them.
        "transact_write_items" => vec![
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ],
        // Batch calls are authorized by their single-message actions.
        "send_message_batch" => vec!["sqs:SendMessage"],
        "delete_message_batch" => vec!["sqs:DeleteMessage"],
        "receive_message" => vec!["sqs:ReceiveMessage"],
        "change_message_visibility" => vec!["sqs:ChangeMessageVisibility"],
        // Set-up helpers for emulators and local runs; CloudFormation creates the table.
        "create_table" | "update_time_to_live" => return None,
        other => panic!("the adapters call {other}: map it to its IAM actions here"),
    })
}

/// Everything wrong with `t`; empty when it is right.
pub(crate) fn problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let globals = at(t, &["Globals", "Function"]);
    let functions = ["ApiFunction", "DeliverFunction"];
    let fprop = |f: &str, k: &str| {
        at(t, &["Resources", f, "Properties", k]).or_else(|| globals.and_then(|g| g.get(k)))
    };

    // Runtime, architecture, handler, build.
    for f in functions {
        if fprop(f, "Runtime").and_then(Value::as_str) != Some("provided.al2023") {
            p.push(format!("{f}: runtime must be provided.al2023"));
        }
        if deployed_strings(t, fprop(f, "Architectures")) != ["arm64"] {
            p.push(format!("{f}: Architectures must be [arm64] by default"));
        }
        if fprop(f, "Handler").and_then(Value::as_str) != Some("bootstrap") {
            p.push(format!("{f}: Handler must be bootstrap"));
        }
        if at(t, &["Resources", f, "Metadata", "BuildMethod"]).and_then(Value::as_str)
            != Some("rust-cargolambda")
        {
            p.push(format!(
                "{f}: Metadata.BuildMethod must be rust-cargolambda"
            ));
        }
    }
    for (f, bin) in [("ApiFunction", "api"), ("DeliverFunction", "deliver")] {
        if at(
            t,
            &["Resources", f, "Metadata", "BuildProperties", "Binary"],
        )
        .and_then(Value::as_str)
            != Some(bin)
        {
            p.push(format!(
                "{f}: BuildProperties.Binary must be the {bin} binary"
            ));
        }
    }

    // The delivery function on the queue, with partial batch responses.
    let sqs_events: Vec<&Value> =
        match at(t, &["Resources", "DeliverFunction", "Properties", "Events"]) {
            Some(Value::Mapping(m)) => m
                .values()
                .filter(|e| e.get("Type").and_then(Value::as_str) == Some("SQS"))
                .collect(),
            _ => vec![],
        };
    // One on the delivery queue, one on the FIFO queue of ordered webhooks.
    let on = |e: &Value| format!("{:?}", at(e, &["Properties", "Queue"]));
    let ordered = |e: &Value| on(e).contains("OrderedDeliveryQueue");
    if sqs_events.len() != 2 || sqs_events.iter().filter(|e| ordered(e)).count() != 1 {
        p.push(
            "DeliverFunction: needs exactly two SQS events: DeliveryQueue and OrderedDeliveryQueue"
                .into(),
        );
    }
    for e in &sqs_events {
        if strings(at(e, &["Properties", "FunctionResponseTypes"])) != ["ReportBatchItemFailures"] {
            p.push(
                "DeliverFunction: FunctionResponseTypes must be [ReportBatchItemFailures]".into(),
            );
        }
        if ordered(e) {
            // FIFO queues take at most ten messages a batch.
            if num(t, at(e, &["Properties", "BatchSize"])).is_none_or(|b| b > 10.0) {
                p.push("DeliverFunction: the FIFO queue's BatchSize must be at most 10".into());
            }
        } else {
            // The batch the code is built for (the cost benchmark and the tests' Lambda poller
            // use it); above ten messages, AWS requires a batching window.
            let batch = hookline::delivery::lambda::BATCH_SIZE as f64;
            if num(t, at(e, &["Properties", "BatchSize"])) != Some(batch) {
                p.push(format!("DeliverFunction: BatchSize must be {batch}"));
            }
            if num(t, at(e, &["Properties", "MaximumBatchingWindowInSeconds"]))
                .is_none_or(|w| !(1.0..=5.0).contains(&w))
            {
                p.push("DeliverFunction: MaximumBatchingWindowInSeconds must be 1 to 5".into());
            }
        }
        if num(
            t,
            at(e, &["Properties", "ScalingConfig", "MaximumConcurrency"]),
        )
        .is_none()
        {
            p.push("DeliverFunction: ScalingConfig.MaximumConcurrency must be set".into());
        }
    }

    // Queue timing against the function and the retry policy.
    let timeout = num(t, fprop("DeliverFunction", "Timeout")).unwrap_or(3.0);
    let queue = |k: &str| num(t, at(t, &["Resources", "DeliveryQueue", "Properties", k]));
    for q in ["DeliveryQueue", "OrderedDeliveryQueue"] {
        match num(
            t,
            at(t, &["Resources", q, "Properties", "VisibilityTimeout"]),
        ) {
            Some(v) if v >= 6.0 * timeout => {}
            v => p.push(format!(
                "{q}: visibility timeout {v:?} is below six times the function timeout {timeout}"
            )),
        }
    }
    for q in ["OrderedDeliveryQueue", "OrderedDeadLetterQueue"] {
        if at(t, &["Resources", q, "Properties", "FifoQueue"]).and_then(Value::as_bool)
            != Some(true)
        {
            p.push(format!("{q}: must be a FIFO queue"));
        }
    }
    if param(t, "DeliveryTimeoutSeconds", "MaxValue").is_none_or(|m| m >= timeout) {
        p.push("DeliveryTimeoutSeconds must be capped below the delivery function timeout".into());
    }
    let window_max = param(t, "RetryWindowSeconds", "MaxValue").unwrap_or(f64::INFINITY);
    match queue("MessageRetentionPeriod") {
        Some(r) if r > window_max => {}
        r => p.push(format!(
            "DeliveryQueue: retention {r:?} must exceed the longest retry window {window_max}"
        )),
    }
    let attempts = match (
        param(t, "RetryWindowSeconds", "Default"),
        param(t, "RetryIntervalSeconds", "Default"),
    ) {
        (Some(w), Some(i)) if i > 0.0 => (w / i).floor() + 1.0,
        _ => f64::INFINITY,
    };
    match num(
        t,
        at(
            t,
            &[
                "Resources",
                "DeliveryQueue",
                "Properties",
                "RedrivePolicy",
                "maxReceiveCount",
            ],
        ),
    ) {
        Some(m) if m >= 2.0 * attempts => {}
        m => p.push(format!(
            "DeliveryQueue: maxReceiveCount {m:?} must be well above the {attempts} attempts"
        )),
    }
    // Behind a failing head, its group's next messages are received with it at each retry.
    let fifo_receives = at(
        t,
        &[
            "Resources",
            "OrderedDeliveryQueue",
            "Properties",
            "RedrivePolicy",
            "maxReceiveCount",
        ],
    );
    match num(t, fifo_receives) {
        Some(m) if m >= 10.0 * attempts => {}
        m => p.push(format!(
            "OrderedDeliveryQueue: maxReceiveCount {m:?} must be ten times the {attempts} attempts"
        )),
    }
    if param(t, "RetryIntervalSeconds", "MaxValue").is_none_or(|m| m > 43200.0) {
        p.push("RetryIntervalSeconds must not exceed 43200 (SQS visibility limit)".into());
    }

    // Environment: every variable the Lambda code reads is set.
    let vars: BTreeSet<String> = match at(t, &["Globals", "Function", "Environment", "Variables"]) {
        Some(Value::Mapping(m)) => m
            .keys()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
        _ => BTreeSet::new(),
    };
    for v in lambda_variables() {
        if !vars.contains(&v) {
            p.push(format!(
                "environment: {v} is read by the functions but not set by the template"
            ));
        }
    }

    // IAM: the API may call anything in the store and enqueues; the delivery function reads and
    // records deliveries (GetItem, PutItem, UpdateItem), lists a tenant's webhooks for an
    // operational event (Query), settles messages and replaces one that nears the queue's
    // receive limit (SendMessage).
    let api = allowed_actions(t, "ApiFunction");
    let mut api_needs: BTreeSet<String> = BTreeSet::new();
    for op in sdk_calls() {
        if let Some(actions) = iam_for(&op) {
            api_needs.extend(
                actions
                    .into_iter()
                    .filter(|a| a.starts_with("dynamodb:"))
                    .map(str::to_string),
            );
        }
    }
    api_needs.insert("sqs:SendMessage".into());
    let deliver = allowed_actions(t, "DeliverFunction");
    let deliver_needs: BTreeSet<String> = [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "sqs:SendMessage",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    for (f, has, needs) in [
        ("ApiFunction", &api, &api_needs),
        ("DeliverFunction", &deliver, &deliver_needs),
    ] {
        for a in needs.difference(has) {
            p.push(format!("{f}: policy lacks {a}"));
        }
        for a in has.iter().filter(|a| a.ends_with('*')) {
            p.push(format!("{f}: wildcard action {a} is not least privilege"));
        }
    }

    // The table the DynamoDB adapter expects.
    let table = at(t, &["Resources", "Table"]);
    if table
        .and_then(|x| x.get("DeletionPolicy"))
        .and_then(Value::as_str)
        != Some("Retain")
    {
        p.push("Table: DeletionPolicy must be Retain".into());
    }
    let tprop = |k: &str| table.and_then(|x| at(x, &["Properties", k]));
    if tprop("BillingMode").and_then(Value::as_str) != Some("PAY_PER_REQUEST") {
        p.push("Table: BillingMode must be PAY_PER_REQUEST".into());
    }
    if tprop("TimeToLiveSpecification")
        .and_then(|x| x.get("AttributeName"))
        .and_then(Value::as_str)
        != Some(TTL_ATTRIBUTE)
    {
        p.push(format!("Table: TTL must be on {TTL_ATTRIBUTE}"));
    }
    if tprop("PointInTimeRecoverySpecification")
        .and_then(|x| x.get("PointInTimeRecoveryEnabled"))
        .and_then(Value::as_bool)
        != Some(true)
    {
        p.push("Table: point-in-time recovery must be on".into());
    }
    let gsis: Vec<(String, Vec<String>)> = match tprop("GlobalSecondaryIndexes") {
        Some(Value::Sequence(s)) => s
            .iter()
            .map(|g| {
                let name = g
                    .get("IndexName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let keys = match g.get("KeySchema") {
                    Some(Value::Sequence(k)) => k
                        .iter()
                        .filter_map(|e| {
                            e.get("AttributeName")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .collect(),
                    _ => vec![],
                };
                (name, keys)
            })
            .collect(),
        _ => vec![],
    };
    for gsi in [GSI1, GSI2] {
        if !gsis.contains(&(
            gsi.to_string(),
            vec![format!("{gsi}PK"), format!("{gsi}SK")],
        )) {
            p.push(format!("Table: index {gsi} ({gsi}PK, {gsi}SK) is missing"));
        }
    }

    // API stage, log retention, alarms.
    if let Some(stage) = at(t, &["Resources", "HttpApi", "Properties", "StageName"])
        && stage.as_str() != Some("$default")
    {
        p.push("HttpApi: use the $default stage so paths are not prefixed".into());
    }
    for f in functions {
        let lg = format!("{f}LogGroup");
        if num(
            t,
            at(t, &["Resources", &lg, "Properties", "RetentionInDays"]),
        )
        .is_none()
        {
            p.push(format!("{lg}: log group with RetentionInDays is missing"));
        }
    }
    let metrics: Vec<String> = match at(t, &["Resources"]) {
        Some(Value::Mapping(m)) => m
            .values()
            .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::CloudWatch::Alarm"))
            .filter_map(|r| {
                at(r, &["Properties", "MetricName"])
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect(),
        _ => vec![],
    };
    p.extend(dashboard_problems(t));
    for (metric, n) in [
        ("ApproximateNumberOfMessagesVisible", 1),
        ("ApproximateAgeOfOldestMessage", 1),
        ("Errors", 2),
        ("5xx", 1),
    ] {
        if metrics.iter().filter(|m| *m == metric).count() < n {
            p.push(format!("alarms: {n} alarm(s) on {metric} expected"));
        }
    }
    p
}

#[test]
fn template_matches_the_code() {
    let p = problems(&template());
    assert!(
        p.is_empty(),
        "template.yaml problems:\n  {}",
        p.join("\n  ")
    );
}
