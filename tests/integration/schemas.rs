//! Hookline's own JSON Schema validator (draft 2020-12) against a general-purpose one, the
//! `jsonschema` crate the API linked before: the same verdict on which schemas can be stored
//! and on which data they accept, over a corpus that exercises every keyword and over
//! schemas and data generated at random from a fixed seed.

use hookline::schema::{check, validate};
use serde_json::{Value, json};

/// The reference verdicts: whether a schema can be stored, and whether data passes it.
fn reference_accepts_schema(schema: &Value) -> bool {
    jsonschema::draft202012::meta::is_valid(schema)
        && jsonschema::draft202012::options().build(schema).is_ok()
}

fn reference_passes(schema: &Value, data: &Value) -> bool {
    jsonschema::draft202012::options()
        .build(schema)
        .expect("a schema both accept")
        .is_valid(data)
}

/// Whether we refused a schema for a pattern that the reference refuses too when it compiles
/// it. The reference compiles lazily and never compiles a subschema that cannot apply (a
/// `then` without an `if`); we refuse a broken pattern wherever it is.
fn refused_a_pattern_both_refuse(verdict: &hookline::error::Result<()>) -> bool {
    let Err(hookline::error::Error::Validation { message, .. }) = verdict else {
        return false;
    };
    let Some((_, rest)) = message.split_once("pattern ") else {
        return false;
    };
    let Some((quoted, _)) = rest.split_once(" at ") else {
        return false;
    };
    let pattern: String = serde_json::from_str(quoted).expect("a quoted pattern");
    message.contains("is not a regular expression")
        && !reference_accepts_schema(&json!({ "pattern": pattern }))
}

/// Compares the two on `schema` and each of `data`; the disagreements, described.
fn disagreements(schema: &Value, data: &[Value]) -> Vec<String> {
    let verdict = check("schema", schema);
    let ours = verdict.is_ok();
    let theirs = reference_accepts_schema(schema);
    if !ours && theirs && refused_a_pattern_both_refuse(&verdict) {
        return Vec::new();
    }
    if ours != theirs {
        return vec![format!(
            "schema {schema}: stored by us {ours}, by the reference {theirs}"
        )];
    }
    if !ours {
        return Vec::new();
    }
    data.iter()
        .filter_map(|d| {
            let ours = validate("data", schema, d).is_ok();
            let theirs = reference_passes(schema, d);
            (ours != theirs).then(|| {
                format!(
                    "schema {schema}, data {d}: passes for us {ours}, for the reference {theirs}"
                )
            })
        })
        .collect()
}

/// Data of every kind, small enough that schemas below meet it both ways.
fn samples() -> Vec<Value> {
    let mut v = vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(1),
        json!(-1),
        json!(1.0),
        json!(2.5),
        json!(3),
        json!(10),
        json!(7.5),
        json!(""),
        json!("a"),
        json!("ab"),
        json!("abc"),
        json!("é"),
        json!("2026-12-04"),
        json!([]),
        json!([1]),
        json!([1, 2]),
        json!([1, 1]),
        json!([1, 1.0]),
        json!(["a", 1, null]),
        json!([{"a": 1}, {"a": 1}]),
        json!({}),
        json!({"a": 1}),
        json!({"a": "x"}),
        json!({"a": 1, "b": 2}),
        json!({"b": "y", "c": [1]}),
        json!({"x-1": true, "a": null}),
    ];
    v.push(json!({"nested": {"a": 1, "b": [1, 2, 3]}}));
    v
}

#[test]
fn every_keyword_gets_the_reference_verdict() {
    let schemas = [
        json!(true),
        json!(false),
        json!({}),
        json!({"type": "integer"}),
        json!({"type": "number"}),
        json!({"type": ["string", "null"]}),
        json!({"type": "object"}),
        json!({"enum": [1, "a", null, [1], {"a": 1}]}),
        json!({"const": 1}),
        json!({"const": {"a": 1}}),
        json!({"minimum": 1, "maximum": 3}),
        json!({"exclusiveMinimum": 1, "exclusiveMaximum": 3}),
        json!({"multipleOf": 2.5}),
        json!({"multipleOf": 0.5}),
        json!({"multipleOf": 3}),
        json!({"minLength": 2, "maxLength": 2}),
        json!({"pattern": "^a+b?$"}),
        json!({"pattern": "[0-9]{4}-[0-9]{2}"}),
        json!({"minItems": 1, "maxItems": 2}),
        json!({"uniqueItems": true}),
        json!({"minProperties": 1, "maxProperties": 1}),
        json!({"required": ["a"]}),
        json!({"dependentRequired": {"a": ["b"]}}),
        json!({"properties": {"a": {"type": "integer"}}, "additionalProperties": false}),
        json!({"patternProperties": {"^x-": {"type": "boolean"}}, "additionalProperties": {"type": "integer"}}),
        json!({"propertyNames": {"maxLength": 1}}),
        json!({"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": false}),
        json!({"items": {"type": "integer"}}),
        json!({"contains": {"type": "string"}}),
        json!({"contains": {"type": "integer"}, "minContains": 2, "maxContains": 2}),
        json!({"contains": {"type": "integer"}, "minContains": 0}),
        json!({"allOf": [{"type": "integer"}, {"minimum": 1}]}),
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]}),
        json!({"not": {"type": "object"}}),
        json!({"if": {"type": "integer"}, "then": {"minimum": 2}, "else": {"type": "string"}}),
        json!({"dependentSchemas": {"a": {"required": ["b"]}}}),
        json!({"$defs": {"n": {"type": "integer"}}, "items": {"$ref": "#/$defs/n"}}),
        json!({"$defs": {"n": {"$anchor": "num", "type": "number"}}, "properties": {"a": {"$ref": "#num"}}}),
        json!({"$id": "https://example.com/root", "$defs": {"s": {"$id": "leaf", "type": "string"}}, "properties": {"a": {"$ref": "leaf"}}}),
        json!({"properties": {"nested": {"$ref": "#"}, "a": {"type": "integer"}}}),
        json!({"properties": {"a": true}, "unevaluatedProperties": false}),
        json!({"allOf": [{"properties": {"a": true}}], "unevaluatedProperties": false}),
        json!({"anyOf": [{"properties": {"a": true}}, {"properties": {"b": true}}], "unevaluatedProperties": false}),
        json!({"if": {"properties": {"a": {"const": 1}}}, "then": {"properties": {"b": true}}, "unevaluatedProperties": false}),
        json!({"prefixItems": [true], "unevaluatedItems": false}),
        json!({"contains": {"type": "integer"}, "unevaluatedItems": {"type": "integer"}}),
        json!({"allOf": [{"prefixItems": [true, true]}], "unevaluatedItems": false}),
        json!({"$ref": "#/$defs/o", "$defs": {"o": {"properties": {"a": true}}}, "unevaluatedProperties": false}),
        // Refused by both: shapes the meta-schema does not allow, and references to nowhere.
        json!({"type": 12}),
        json!({"type": "integers"}),
        json!({"type": []}),
        json!({"minimum": "1"}),
        json!({"minLength": -1}),
        json!({"multipleOf": 0}),
        json!({"required": ["a", "a"]}),
        json!({"allOf": []}),
        json!({"properties": {"a": 3}}),
        json!({"items": [{"type": "integer"}]}),
        json!({"$anchor": "1abc"}),
        json!({"$id": "https://example.com/a#frag"}),
        json!({"$ref": "#/$defs/missing"}),
        json!({"$ref": "https://example.com/elsewhere.json"}),
        json!({"pattern": "("}),
        json!({"additionalProperties": {"not": {"enum": 5}}}),
    ];
    let data = samples();
    let wrong: Vec<String> = schemas
        .iter()
        .flat_map(|s| disagreements(s, &data))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A small deterministic generator (xorshift), so that a failure names a seed that repeats it.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }

    fn number(&mut self) -> Value {
        self.pick(&[
            json!(0),
            json!(1),
            json!(2),
            json!(3),
            json!(-1),
            json!(1.5),
            json!(2.0),
        ])
        .clone()
    }

    fn schema(&mut self, depth: usize) -> Value {
        if depth == 0 || self.below(6) == 0 {
            return match self.below(4) {
                0 => json!(true),
                1 => json!(false),
                2 => {
                    json!({"type": self.pick(&["integer", "string", "object", "array", "number", "null"])})
                }
                _ => json!({}),
            };
        }
        let mut s = serde_json::Map::new();
        for _ in 0..1 + self.below(3) {
            let (k, v) = self.keyword(depth - 1);
            s.insert(k.to_string(), v);
        }
        Value::Object(s)
    }

    fn keyword(&mut self, d: usize) -> (&'static str, Value) {
        let names = ["a", "b", "c"];
        match self.below(36) {
            0 => (
                "type",
                json!(self.pick(&["integer", "string", "object", "array", "number", "boolean"])),
            ),
            1 => ("minimum", self.number()),
            2 => ("exclusiveMaximum", self.number()),
            3 => (
                "multipleOf",
                self.pick(&[json!(1), json!(2), json!(0.5), json!(1.5)])
                    .clone(),
            ),
            4 => ("minLength", json!(self.below(3))),
            5 => ("maxItems", json!(self.below(3))),
            6 => ("uniqueItems", json!(self.below(2) == 0)),
            7 => ("required", json!([self.pick(&names)])),
            8 => (
                "properties",
                json!({*self.pick(&names): self.schema(d), *self.pick(&names): self.schema(d)}),
            ),
            9 => ("additionalProperties", self.schema(d)),
            10 => (
                "patternProperties",
                json!({*self.pick(&["^a", "b$", "^x-", "."]): self.schema(d)}),
            ),
            11 => ("items", self.schema(d)),
            12 => ("prefixItems", json!([self.schema(d), self.schema(d)])),
            13 => ("contains", self.schema(d)),
            14 => ("allOf", json!([self.schema(d), self.schema(d)])),
            15 => ("anyOf", json!([self.schema(d), self.schema(d)])),
            16 => ("oneOf", json!([self.schema(d), self.schema(d)])),
            17 => ("not", self.schema(d)),
            18 => ("if", self.schema(d)),
            19 => ("then", self.schema(d)),
            20 => ("else", self.schema(d)),
            21 => ("unevaluatedProperties", self.schema(d)),
            22 => ("unevaluatedItems", self.schema(d)),
            23 => ("enum", json!([self.number(), self.pick(&names), null])),
            24 => (
                "dependentSchemas",
                json!({*self.pick(&names): self.schema(d)}),
            ),
            25 => ("minContains", json!(self.below(3))),
            26 => ("maxContains", json!(self.below(3))),
            27 => (
                "pattern",
                json!(*self.pick(&["^a", "b$", "^(a|x)-?", "a{2}"])),
            ),
            28 => ("$ref", json!("#/$defs/x")),
            29 => (
                "dependentRequired",
                json!({*self.pick(&names): [self.pick(&names)]}),
            ),
            30 => ("const", self.data(1)),
            31 => ("propertyNames", self.schema(d)),
            32 => ("maxProperties", json!(self.below(3))),
            // What the meta-schema refuses, or a pattern no engine compiles.
            33 => ("minLength", json!(-1)),
            34 => ("type", json!("int")),
            _ => ("pattern", json!("a(")),
        }
    }

    fn data(&mut self, depth: usize) -> Value {
        match self.below(if depth == 0 { 5 } else { 7 }) {
            0 => json!(null),
            1 => json!(self.below(2) == 0),
            2 => self.number(),
            3 => json!(*self.pick(&["", "a", "ab", "ba", "x-y"])),
            4 => self.number(),
            5 => Value::Array((0..self.below(4)).map(|_| self.data(depth - 1)).collect()),
            _ => Value::Object(
                (0..self.below(4))
                    .map(|_| {
                        (
                            self.pick(&["a", "b", "c", "x-1"]).to_string(),
                            self.data(depth - 1),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

#[test]
fn generated_schemas_get_the_reference_verdict() {
    let n = 3_000;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut wrong = Vec::new();
    let (mut stored, mut passed, mut total) = (0, 0, 0);
    for _ in 0..n {
        let mut schema = rng.schema(3);
        if let Value::Object(root) = &mut schema {
            root.insert(
                "$defs".into(),
                json!({"x": {"type": "integer", "minimum": 1}}),
            );
        }
        let data: Vec<Value> = (0..8).map(|_| rng.data(2)).collect();
        wrong.extend(disagreements(&schema, &data));
        if check("schema", &schema).is_ok() {
            stored += 1;
            total += data.len();
            passed += data
                .iter()
                .filter(|d| validate("data", &schema, d).is_ok())
                .count();
        }
    }
    wrong.truncate(20);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The comparison means something only if both verdicts occur often.
    assert!(
        stored > n / 2 && stored < n,
        "{stored} of {n} schemas stored"
    );
    assert!(
        passed > total / 4 && passed < total * 3 / 4,
        "{passed} of {total} passed"
    );
}

/// What a publisher reads: each failure at its place in the data, with a reason naming it.
#[test]
fn failures_name_their_place_and_reason() {
    let schema = json!({
        "type": "object",
        "properties": {
            "amount": {"type": "integer", "minimum": 0},
            "items": {"type": "array", "items": {"type": "string", "pattern": "^sku-"}},
            "meta": {"type": "object", "additionalProperties": false, "properties": {"a": true}}
        },
        "required": ["amount", "currency"]
    });
    let data = json!({"amount": -1, "items": ["sku-1", "x"], "meta": {"a": 1, "zz": 2}});
    let err = validate("data", &schema, &data).unwrap_err();
    let hookline::error::Error::Fields(fields) = err else {
        panic!("{err:?}")
    };
    let got: Vec<(&str, &str)> = fields
        .iter()
        .map(|(f, m)| (f.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("data", "\"currency\" is a required property"),
            ("data/amount", "-1 is less than the minimum of 0"),
            ("data/items/1", "\"x\" does not match \"^sku-\""),
            (
                "data/meta",
                "additional properties are not allowed (\"zz\" unexpected)"
            ),
        ]
    );
}

/// Schemas that would make an evaluation go round for ever, or that use what this validator
/// does not run, are refused when stored, with the reason.
#[test]
fn endless_and_unsupported_schemas_are_refused_with_a_reason() {
    let refused = |s: Value| match check("schema", &s) {
        Err(hookline::error::Error::Validation { field, message }) => {
            assert_eq!(field, "schema");
            message
        }
        other => panic!("{s}: {other:?}"),
    };
    let m = refused(
        json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}),
    );
    assert!(m.contains("lead back"), "{m}");
    let m = refused(json!({"pattern": "^(?=a)"}));
    assert!(m.contains("pattern") && m.contains("(?=a)"), "{m}");
    let m = refused(json!({"$ref": "https://example.com/x.json"}));
    assert!(m.contains("never fetched"), "{m}");
    let m = refused(json!({"properties": {"a": {"minimum": "1"}}}));
    assert!(m.contains("/properties/a") && m.contains("minimum"), "{m}");
    // A reference that looks deeper into the data is no cycle: a tree of any depth.
    let tree =
        json!({"type": "object", "properties": {"child": {"$ref": "#"}, "n": {"type": "integer"}}});
    check("schema", &tree).unwrap();
    assert!(validate("data", &tree, &json!({"child": {"child": {"n": 1}}})).is_ok());
    assert!(validate("data", &tree, &json!({"child": {"child": {"n": "1"}}})).is_err());
}

/// Deep data and long reference chains end in a verdict, not in a crash of the server: on a
/// thread with a Tokio worker's stack (2 MiB), in this debug build.
#[test]
fn deep_schemas_and_data_end_in_a_verdict() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            // A chain of 100 references, each to the next: stored, and evaluated.
            let defs: serde_json::Map<String, Value> = (0..100)
                .map(|i| {
                    (
                        format!("d{i}"),
                        json!({"$ref": format!("#/$defs/d{}", i + 1)}),
                    )
                })
                .chain([("d100".to_string(), json!({"type": "integer"}))])
                .collect();
            let chain = json!({"$defs": defs, "$ref": "#/$defs/d0"});
            check("schema", &chain).unwrap();
            assert!(validate("data", &chain, &json!(1)).is_ok());
            assert!(validate("data", &chain, &json!("1")).is_err());
            // One of 200 is refused when stored, with the reason.
            let defs: serde_json::Map<String, Value> = (0..200)
                .map(|i| {
                    (
                        format!("d{i}"),
                        json!({"$ref": format!("#/$defs/d{}", i + 1)}),
                    )
                })
                .chain([("d200".to_string(), json!(true))])
                .collect();
            let long = json!({"$defs": defs, "$ref": "#/$defs/d0"});
            let err = check("schema", &long).unwrap_err();
            assert!(format!("{err:?}").contains("chain more than"), "{err:?}");
            // Data 120 levels deep through a recursive schema (a tree), and the chain at
            // each level: the evaluation stops with a reason where it would nest too deep.
            let tree = json!({"$defs": {"c": chain["$defs"].clone()},
                "properties": {"child": {"$ref": "#"}, "n": {"$ref": "#/$defs/c/d0"}}});
            let tree = fix_refs(tree);
            let mut data = json!({"n": 1});
            for _ in 0..120 {
                data = json!({"child": data, "n": 1});
            }
            check("schema", &tree).unwrap();
            let err = validate("data", &tree, &data).unwrap_err();
            assert!(format!("{err:?}").contains("levels deep"), "{err:?}");
        })
        .unwrap()
        .join()
        .unwrap();
}

/// The chain's references, moved under `$defs/c`, pointed there.
fn fix_refs(v: Value) -> Value {
    let text = v.to_string().replace("#/$defs/d", "#/$defs/c/d");
    serde_json::from_str(&text).unwrap()
}
