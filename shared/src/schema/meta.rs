//! What the draft 2020-12 meta-schema asks of a schema, checked keyword by keyword: each
//! known keyword's value has the shape the meta-schema gives it, in every subschema. Unknown
//! keywords are allowed, as the meta-schema allows them; `format` is an annotation, as its
//! vocabulary is by default, so `format: "regex"` values are left to the index, which
//! compiles every pattern.

use serde_json::Value;

use super::index::{MAP, ONE, children, escape};

/// The first thing the meta-schema would refuse in `schema`, with where it is.
pub(super) fn check(schema: &Value) -> Result<(), String> {
    check_at(schema, "")
}

fn check_at(schema: &Value, at: &str) -> Result<(), String> {
    let s = match schema {
        Value::Bool(_) => return Ok(()),
        Value::Object(s) => s,
        _ => {
            return Err(format!(
                "at {at:?}: a schema must be an object or a boolean"
            ));
        }
    };
    for (k, v) in s {
        shape(k, v).map_err(|want| format!("at {at:?}: {k:?} must be {want}"))?;
    }
    for (step, child) in children(s) {
        check_at(child, &format!("{at}/{step}"))?;
    }
    if let Some(Value::Object(deps)) = s.get("dependencies") {
        for (name, dep) in deps.iter().filter(|(_, d)| !d.is_array()) {
            check_at(dep, &format!("{at}/dependencies/{}", escape(name)))?;
        }
    }
    Ok(())
}

const TYPES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// Whether a known keyword's value has its shape; what it must be when not.
fn shape(keyword: &str, v: &Value) -> Result<(), &'static str> {
    let ok = match keyword {
        k if ONE.contains(&k) => v.is_object() || v.is_boolean(),
        k if MAP.contains(&k) => v.is_object(),
        "allOf" | "anyOf" | "oneOf" | "prefixItems" => v.as_array().is_some_and(|a| !a.is_empty()),
        "type" => match v {
            Value::String(t) => TYPES.contains(&t.as_str()),
            Value::Array(ts) => {
                !ts.is_empty()
                    && ts
                        .iter()
                        .all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t)))
                    && unique(ts)
            }
            _ => false,
        },
        "enum" | "examples" => v.is_array(),
        "multipleOf" => v.as_f64().is_some_and(|f| f > 0.0),
        "maximum" | "exclusiveMaximum" | "minimum" | "exclusiveMinimum" => v.is_number(),
        "maxLength" | "minLength" | "maxItems" | "minItems" | "maxContains" | "minContains"
        | "maxProperties" | "minProperties" => non_negative_integer(v),
        "uniqueItems" | "deprecated" | "readOnly" | "writeOnly" | "$recursiveAnchor" => {
            v.is_boolean()
        }
        "required" => string_array(v),
        "dependentRequired" => v.as_object().is_some_and(|m| m.values().all(string_array)),
        "dependencies" => v.as_object().is_some_and(|m| {
            m.values()
                .all(|d| d.is_object() || d.is_boolean() || string_array(d))
        }),
        "$id" => v.as_str().is_some_and(|id| match id.split_once('#') {
            Some((_, fragment)) => fragment.is_empty(),
            None => true,
        }),
        "$anchor" | "$dynamicAnchor" => v.as_str().is_some_and(anchor),
        "$vocabulary" => v
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_boolean)),
        "$schema" | "$ref" | "$dynamicRef" | "$recursiveRef" | "$comment" | "pattern"
        | "format" | "title" | "description" | "contentEncoding" | "contentMediaType" => {
            v.is_string()
        }
        _ => true,
    };
    if ok { Ok(()) } else { Err(want(keyword)) }
}

fn want(keyword: &str) -> &'static str {
    match keyword {
        k if ONE.contains(&k) => "a schema (an object or a boolean)",
        k if MAP.contains(&k) => "an object of schemas",
        "allOf" | "anyOf" | "oneOf" | "prefixItems" => "a non-empty array of schemas",
        "type" => {
            "a type name (array, boolean, integer, null, number, object, string) or a non-empty array of distinct ones"
        }
        "enum" | "examples" => "an array",
        "multipleOf" => "a number greater than 0",
        "maximum" | "exclusiveMaximum" | "minimum" | "exclusiveMinimum" => "a number",
        "required" => "an array of distinct strings",
        "dependentRequired" => "an object of arrays of distinct strings",
        "dependencies" => "an object of schemas or arrays of distinct strings",
        "$id" => "a URI reference without a fragment",
        "$anchor" | "$dynamicAnchor" => {
            "a name: a letter or `_`, then letters, digits, `-`, `.` or `_`"
        }
        "$vocabulary" => "an object of booleans",
        "uniqueItems" | "deprecated" | "readOnly" | "writeOnly" | "$recursiveAnchor" => "a boolean",
        k if k.starts_with("max") || k.starts_with("min") => "a non-negative integer",
        _ => "a string",
    }
}

fn non_negative_integer(v: &Value) -> bool {
    v.as_u64().is_some() || v.as_f64().is_some_and(|f| f >= 0.0 && f.fract() == 0.0)
}

fn string_array(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| a.iter().all(Value::is_string) && unique(a))
}

fn unique(a: &[Value]) -> bool {
    (0..a.len()).all(|i| (i + 1..a.len()).all(|j| !super::assert::same(&a[i], &a[j])))
}

fn anchor(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}
