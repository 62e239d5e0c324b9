//! Generates the client from the repository's `openapi.json` at build time. The contract is
//! OpenAPI 3.1 (utoipa writes it); progenitor reads 3.0, so the few 3.1 forms the contract uses
//! are rewritten first: `type: [T, "null"]` and `oneOf [.., {type: null}]` become `nullable`,
//! and operation ids, unique per tag in the contract, are prefixed with their tag.

use serde_json::{Map, Value, json};

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");
    println!("cargo:rerun-if-changed={path}");
    let mut spec: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi.json")).unwrap();
    spec["openapi"] = json!("3.0.3");
    if let Some(license) = spec["info"]["license"].as_object_mut() {
        license.remove("identifier");
    }
    rename_operations(&mut spec);
    downgrade(&mut spec);
    let spec: openapiv3::OpenAPI = serde_json::from_value(spec).expect("a 3.0 document");
    // The builder interface: `client.webhooks_create().body(types::WebhookIn::builder()
    // .url(..)).send()`, every field left out at its default, and listings as streams.
    let mut settings = progenitor::GenerationSettings::default();
    settings.with_interface(progenitor::InterfaceStyle::Builder);
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .expect("progenitor generates the client");
    let file = syn::parse2(tokens).expect("generated Rust parses");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("codegen.rs");
    std::fs::write(out, prettyplease::unparse(&file)).unwrap();
}

/// `list` under the tag `webhooks` becomes `webhooks_list`.
fn rename_operations(spec: &mut Value) {
    for item in spec["paths"].as_object_mut().unwrap().values_mut() {
        for op in item.as_object_mut().unwrap().values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let tag = op
                .get("tags")
                .and_then(|t| t[0].as_str())
                .unwrap_or("api")
                .replace([' ', '-'], "_");
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                let id = format!("{tag}_{id}");
                op.insert("operationId".into(), json!(id));
            }
        }
    }
}

/// Rewrites 3.1 schema forms into 3.0 ones, everywhere in the document.
fn downgrade(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for child in o.values_mut() {
                downgrade(child);
            }
            nullable_type(o);
            nullable_one_of(o);
            if let Some(examples) = o.remove("examples")
                && let Some(first) = examples.as_array().and_then(|a| a.first())
            {
                o.insert("example".into(), first.clone());
            }
            if let Some(c) = o.remove("const") {
                o.insert("enum".into(), json!([c]));
            }
            // A parameter that may be left out needs no `null` besides.
            if o.contains_key("in")
                && let Some(schema) = o.get_mut("schema").and_then(Value::as_object_mut)
            {
                schema.remove("nullable");
            }
        }
        Value::Array(a) => a.iter_mut().for_each(downgrade),
        _ => {}
    }
}

/// `type: ["string", "null"]` -> `type: "string", nullable: true`.
fn nullable_type(o: &mut Map<String, Value>) {
    let Some(types) = o.get("type").and_then(Value::as_array).cloned() else {
        return;
    };
    let rest: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
    if rest.len() == 1 {
        o.insert("type".into(), rest[0].clone());
        if rest.len() < types.len() {
            o.insert("nullable".into(), json!(true));
        }
    }
}

/// `oneOf: [{type: null}, X]` -> `allOf: [X], nullable: true` (a `$ref` cannot carry
/// `nullable` beside it in 3.0).
fn nullable_one_of(o: &mut Map<String, Value>) {
    let Some(one_of) = o.get("oneOf").and_then(Value::as_array).cloned() else {
        return;
    };
    let is_null = |s: &Value| s.get("type") == Some(&json!("null"));
    if !one_of.iter().any(is_null) {
        return;
    }
    let rest: Vec<Value> = one_of.into_iter().filter(|s| !is_null(s)).collect();
    o.remove("oneOf");
    o.insert("nullable".into(), json!(true));
    if rest.len() == 1 {
        o.insert("allOf".into(), json!(rest));
    } else {
        o.insert("oneOf".into(), json!(rest));
    }
}
