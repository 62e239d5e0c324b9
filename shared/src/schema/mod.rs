//! JSON Schemas of catalogue event types (draft 2020-12): a type may carry one, and then every
//! published event's `data`, and the type's own example, must validate. References are never
//! fetched: a schema is whole.
//!
//! The validator is this crate's own, in three parts: [`meta`] checks a schema's shape as the
//! meta-schema does, [`index`] resolves its references and compiles its patterns, [`eval`]
//! judges data. (A general-purpose validator with its two regular-expression engines was a
//! quarter of the API function's code; issue 29 asks for a zip of at most 5 MB.) What it
//! does not do, and says so in docs/api.md: `pattern`s use the Rust syntax of `regex-lite`
//! (no look-around, back-references or Unicode classes; a schema with one is refused when
//! stored), `$dynamicRef` resolves as `$ref` does, and `format` is an annotation.

mod assert;
mod eval;
mod index;
mod meta;

use serde_json::Value;

use crate::error::{Error, Result};

/// Largest schema accepted (bytes of JSON).
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// Checks that `schema` is a valid draft 2020-12 schema (422 naming `field` otherwise).
pub fn check(field: &str, schema: &Value) -> Result<()> {
    if !schema.is_object() && !schema.is_boolean() {
        return Err(Error::validation(
            field,
            "must be a JSON Schema (an object)",
        ));
    }
    if crate::model::json_len(schema) > MAX_SCHEMA_BYTES {
        return Err(Error::validation(field, "must be at most 64 KiB"));
    }
    meta::check(schema).map_err(|why| {
        Error::validation(
            field,
            format!("is not a valid JSON Schema (draft 2020-12): {why}"),
        )
    })?;
    index::Index::new(schema)
        .map(drop)
        .map_err(|e| Error::validation(field, format!("cannot be used: {e}")))
}

/// Validates `instance` against `schema`; every failure as a field error named `field` plus
/// the failing location (`data/amount`), all of them at once.
pub fn validate(field: &str, schema: &Value, instance: &Value) -> Result<()> {
    let ix = index::Index::new(schema).map_err(|e| Error::validation(field, e))?;
    Error::all(eval::failures(&ix, schema, instance).into_iter().map(|f| {
        Err(Error::Validation {
            field: format!("{field}{}", f.at),
            message: f.message,
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
