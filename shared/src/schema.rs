//! JSON Schemas of catalogue event types (draft 2020-12): a type may carry one, and then every
//! published event's `data`, and the type's own example, must validate. References are never
//! fetched (the validator is built without file or network resolution): a schema is whole.

use serde_json::Value;

use crate::error::{Error, Result};

/// Largest schema accepted (bytes of JSON).
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

fn compile(schema: &Value) -> std::result::Result<jsonschema::Validator, String> {
    jsonschema::draft202012::options()
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Checks that `schema` is a valid draft 2020-12 schema (422 naming `field` otherwise).
pub fn check(field: &str, schema: &Value) -> Result<()> {
    if !schema.is_object() && !schema.is_boolean() {
        return Err(Error::validation(
            field,
            "must be a JSON Schema (an object)",
        ));
    }
    if schema.to_string().len() > MAX_SCHEMA_BYTES {
        return Err(Error::validation(field, "must be at most 64 KiB"));
    }
    if !jsonschema::draft202012::meta::is_valid(schema) {
        let why = jsonschema::draft202012::meta::validate(schema)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        return Err(Error::validation(
            field,
            format!("is not a valid JSON Schema (draft 2020-12): {why}"),
        ));
    }
    compile(schema)
        .map(drop)
        .map_err(|e| Error::validation(field, format!("cannot be used: {e}")))
}

/// Validates `instance` against `schema`; every failure as a field error named `field` plus
/// the failing location (`data/amount`), all of them at once.
pub fn validate(field: &str, schema: &Value, instance: &Value) -> Result<()> {
    let validator = compile(schema).map_err(|e| Error::validation(field, e))?;
    let failures: Vec<(String, String)> = validator
        .iter_errors(instance)
        .map(|e| {
            let path = e.instance_path().to_string();
            (format!("{field}{path}"), e.to_string())
        })
        .collect();
    Error::all(failures.into_iter().map(|(f, m)| {
        Err(Error::Validation {
            field: f,
            message: m,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Value {
        json!({
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "integer", "minimum": 0},
                "currency": {"type": "string", "enum": ["EUR", "USD"]}
            }
        })
    }

    #[test]
    fn every_failure_is_listed_with_its_path() {
        assert!(validate("data", &order(), &json!({"amount": 5, "currency": "EUR"})).is_ok());
        match validate("data", &order(), &json!({"amount": -1, "currency": "GBP"})) {
            Err(Error::Fields(f)) => {
                let fields: Vec<&str> = f.iter().map(|(f, _)| f.as_str()).collect();
                assert_eq!(fields, ["data/amount", "data/currency"]);
            }
            other => panic!("{other:?}"),
        }
        match validate("data", &order(), &json!({"amount": 1})) {
            Err(Error::Validation { field, message }) => {
                assert_eq!(field, "data");
                assert!(message.contains("currency"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_schemas_are_refused() {
        assert!(check("schema", &order()).is_ok());
        assert!(check("schema", &json!({"type": 12})).is_err());
        assert!(check("schema", &json!("a string")).is_err());
    }
}
