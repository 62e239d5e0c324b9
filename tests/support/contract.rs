//! Every call the tests make through [`crate::Api`] is held to `openapi.json`, the contract the
//! generated clients are made from: an answer must have a status the operation documents and a
//! body its schema accepts, and a request the API accepted (2xx) must be one the contract
//! allows. So the tests, the contract and the clients cannot drift apart: a field the server
//! adds, drops or retypes without the contract fails every test that reads it.
//!
//! Routes the contract does not describe (the portal page, `/metrics`, a path a test makes up
//! to get a 404) are not checked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let text = std::fs::read_to_string(crate::root().join("openapi.json"))
            .expect("openapi.json at the repository's root");
        Contract {
            doc: serde_json::from_str(&text).expect("openapi.json is JSON"),
            validators: Mutex::new(HashMap::new()),
        }
    })
}

/// The path template of the contract that `path` (no query) matches, preferring literal
/// segments (`/v1/events/batch` over `/v1/events/{id}`), for `method`.
fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> Option<(&'a str, &'a Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &str, &Value)> = None;
    for (template, ops) in doc["paths"].as_object()? {
        let Some(op) = ops.get(method) else { continue };
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let literal = parts.iter().filter(|p| !p.starts_with('{')).count();
        let fits = parts
            .iter()
            .zip(&segments)
            .all(|(p, s)| p.starts_with('{') || p == s);
        if fits && best.is_none_or(|(l, _, _)| literal > l) {
            best = Some((literal, template, op));
        }
    }
    best.map(|(_, t, op)| (t, op))
}

/// A validator of `schema` (a `$ref` into the components, or inline), compiled once.
fn validator(key: String, schema: &Value) -> Arc<jsonschema::Validator> {
    let c = contract();
    let mut cache = c.validators.lock().unwrap();
    cache
        .entry(key)
        .or_insert_with(|| {
            // The components travel with the schema, so its `$ref`s resolve within it.
            let mut whole = schema.clone();
            if let Some(o) = whole.as_object_mut() {
                o.insert("components".into(), c.doc["components"].clone());
            } else {
                whole = json!({"allOf": [schema], "components": c.doc["components"]});
            }
            Arc::new(
                jsonschema::draft202012::options()
                    .build(&whole)
                    .unwrap_or_else(|e| {
                        panic!("openapi.json: a schema that does not compile: {e}")
                    }),
            )
        })
        .clone()
}

fn json_schema(content_holder: &Value) -> Option<&Value> {
    content_holder["content"]["application/json"]
        .get("schema")
        .filter(|s| !s.is_null())
}

fn assert_valid(what: &str, key: String, schema: &Value, value: &Value) {
    let v = validator(key, schema);
    let errors: Vec<String> = v
        .iter_errors(value)
        .map(|e| format!("{} at `{}`", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match openapi.json: {errors:?}\n{value}"
    );
}

/// Holds one call to the contract: `request`, the body sent (when JSON); `answer`, the body
/// received (`Value::Null` when empty).
pub fn check(method: &str, uri: &str, request: Option<&str>, status: u16, answer: &Value) {
    let path = uri.split('?').next().unwrap_or(uri);
    let method = method.to_ascii_lowercase();
    let c = contract();
    let Some((template, op)) = operation(&c.doc, &method, path) else {
        return;
    };
    let what = format!("{} {path} ({template})", method.to_uppercase());
    let responses = &op["responses"];
    let documented = responses.get(status.to_string());
    assert!(
        documented.is_some() || !(200..300).contains(&status),
        "{what} answered {status}, a success the contract does not document: {answer}"
    );
    if let Some(schema) = documented.and_then(json_schema) {
        assert_valid(
            &format!("the {status} answer of {what}"),
            format!("{method} {template} {status}"),
            schema,
            answer,
        );
    }
    // A request the API took must be one the contract allows.
    if (200..300).contains(&status)
        && let Some(body) = request
        && let Ok(sent) = serde_json::from_str::<Value>(body)
        && let Some(schema) = op.get("requestBody").and_then(json_schema)
    {
        assert_valid(
            &format!("the request {what} accepted"),
            format!("{method} {template} request"),
            schema,
            &sent,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook() -> Value {
        json!({"id": "wh_01J0000000000000000000000A", "url": "https://a.example.com/h",
            "secret": "whsec_x", "enabled": true, "events": [], "tenant_id": "t",
            "created_at": "2026-12-04T00:00:00Z", "updated_at": "2026-12-04T00:00:00Z",
            "account_ids": [], "metadata": {},
            "health": {"state": "closed", "consecutive_failures": 0}})
    }

    #[test]
    fn a_documented_answer_and_an_unknown_route_pass() {
        let w = webhook();
        check("GET", "/v1/webhooks/wh_1?x=1", None, 200, &w);
        check("GET", "/portal", None, 200, &json!("<html>"));
        check("GET", "/v1/no-such-thing", None, 404, &json!({}));
    }

    #[test]
    #[should_panic(expected = "does not match openapi.json")]
    fn an_answer_missing_a_required_field_fails() {
        let mut w = webhook();
        w.as_object_mut().unwrap().remove("id");
        check("GET", "/v1/webhooks/wh_1", None, 200, &w);
    }

    #[test]
    #[should_panic(expected = "a success the contract does not document")]
    fn an_undocumented_success_fails() {
        check("DELETE", "/v1/webhooks/wh_1", None, 200, &Value::Null);
    }

    #[test]
    #[should_panic(expected = "the request POST /v1/webhooks (/v1/webhooks) accepted")]
    fn an_accepted_request_the_contract_refuses_fails() {
        check(
            "POST",
            "/v1/webhooks",
            Some(r#"{"url": 5}"#),
            201,
            &webhook(),
        );
    }
}
