//! The dashboard of the template: the metrics its widgets show, and what it must show.

use super::template::at;
use serde_yaml::Value;

/// The dashboard's metrics, as (namespace, name) pairs, from its `!Sub` body (the
/// substitutions replaced by a placeholder).
pub(crate) fn dashboard_metrics(t: &Value) -> Result<Vec<(String, String)>, String> {
    let body = match at(
        t,
        &["Resources", "Dashboard", "Properties", "DashboardBody"],
    ) {
        Some(Value::Tagged(tagged)) if tagged.tag == "!Sub" => tagged
            .value
            .as_str()
            .ok_or("DashboardBody: !Sub of a string expected")?
            .to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(
                "Dashboard: an AWS::CloudWatch::Dashboard with a DashboardBody is missing".into(),
            );
        }
    };
    let mut plain = String::new();
    let mut rest = body.as_str();
    while let Some(i) = rest.find("${") {
        plain.push_str(&rest[..i]);
        plain.push('x');
        rest = &rest[i..];
        rest = &rest[rest.find('}').map_or(rest.len(), |j| j + 1)..];
    }
    plain.push_str(rest);
    let json: serde_json::Value =
        serde_json::from_str(&plain).map_err(|e| format!("DashboardBody is not JSON: {e}"))?;
    let mut out = Vec::new();
    for w in json["widgets"].as_array().into_iter().flatten() {
        for m in w["properties"]["metrics"].as_array().into_iter().flatten() {
            if let (Some(ns), Some(name)) = (m[0].as_str(), m[1].as_str()) {
                out.push((ns.to_string(), name.to_string()));
            }
        }
    }
    Ok(out)
}

/// Every `Hookline` metric on the dashboard is one the code emits, and the operator's core
/// views are there.
pub(crate) fn dashboard_problems(t: &Value) -> Vec<String> {
    let metrics = match dashboard_metrics(t) {
        Ok(m) => m,
        Err(e) => return vec![e],
    };
    let emitted = hookline::metrics::emf_metric_names();
    let mut p: Vec<String> = metrics
        .iter()
        .filter(|(ns, name)| ns == "Hookline" && !emitted.contains(&name.as_str()))
        .map(|(_, name)| {
            format!("dashboard: metric Hookline/{name} is never emitted (emitted: {emitted:?})")
        })
        .collect();
    for want in [
        "DeliveriesSucceeded",
        "DeliveriesFailed",
        "AttemptLatency",
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
    ] {
        if !metrics.iter().any(|(_, name)| name == want) {
            p.push(format!("dashboard: no widget shows {want}"));
        }
    }
    p
}
