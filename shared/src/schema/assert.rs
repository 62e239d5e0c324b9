//! The keywords that judge a value by itself (type, enum, const, bounds, lengths, counts,
//! required), and the JSON equality and number comparisons they rest on.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The keywords that judge `data` alone: type, enum, const, bounds, lengths, counts, required.
pub(super) fn assertions(s: &Map<String, Value>, data: &Value, fail: &mut impl FnMut(String)) {
    let v = || show(data);
    match s.get("type") {
        Some(Value::String(t)) if !is_type(data, t) => {
            fail(format!("{} is not of type {t:?}", v()))
        }
        Some(Value::Array(ts))
            if !ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| is_type(data, t))) =>
        {
            fail(format!(
                "{} is not of any of the types {}",
                v(),
                show(&Value::Array(ts.clone()))
            ))
        }
        _ => {}
    }
    if let Some(Value::Array(options)) = s.get("enum")
        && !options.iter().any(|o| same(o, data))
    {
        fail(format!(
            "{} is not one of {}",
            v(),
            show(&Value::Array(options.clone()))
        ));
    }
    if let Some(c) = s.get("const")
        && !same(c, data)
    {
        fail(format!("{} is not {}", v(), show(c)));
    }
    match data {
        Value::Number(n) => numeric(s, n, &v, fail),
        Value::String(text) => {
            let len = text.chars().count();
            let words = ("is shorter than", "is longer than", "character(s)");
            bounds(s, len, ("minLength", "maxLength"), words, &v, fail);
        }
        Value::Array(a) => {
            let words = ("has fewer than", "has more than", "item(s)");
            bounds(s, a.len(), ("minItems", "maxItems"), words, &v, fail);
            if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                let repeated = (0..a.len()).any(|i| (i + 1..a.len()).any(|j| same(&a[i], &a[j])));
                if repeated {
                    fail(format!("{} has repeated items", v()));
                }
            }
        }
        Value::Object(o) => {
            let words = ("has fewer than", "has more than", "propert(ies)");
            bounds(
                s,
                o.len(),
                ("minProperties", "maxProperties"),
                words,
                &v,
                fail,
            );
            for name in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = name.as_str().filter(|n| !o.contains_key(*n)) {
                    fail(format!("{name:?} is a required property"));
                }
            }
            if let Some(Value::Object(deps)) = s.get("dependentRequired") {
                for (present, needed) in deps.iter().filter(|(p, _)| o.contains_key(*p)) {
                    for name in needed
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !o.contains_key(name) {
                            fail(format!(
                                "{name:?} is a required property when {present:?} is present"
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// A pair of count keywords (`minLength`/`maxLength`, …) against a value's count `len`;
/// `words` say fewer, more, and of what.
fn bounds(
    s: &Map<String, Value>,
    len: usize,
    (min, max): (&str, &str),
    (fewer, more, unit): (&str, &str, &str),
    v: &impl Fn() -> String,
    fail: &mut impl FnMut(String),
) {
    let len = len as u64;
    if let Some(m) = s.get(min).and_then(count).filter(|&m| len < m) {
        fail(format!("{} {fewer} {m} {unit}", v()));
    }
    if let Some(m) = s.get(max).and_then(count).filter(|&m| len > m) {
        fail(format!("{} {more} {m} {unit}", v()));
    }
}

/// A numeric bound: its keyword, when a comparison of the value with it breaks it, the words.
type Bound = (&'static str, fn(Ordering) -> bool, &'static str);

fn numeric(
    s: &Map<String, Value>,
    n: &Number,
    v: &impl Fn() -> String,
    fail: &mut impl FnMut(String),
) {
    let bound = |k: &str| s.get(k).and_then(Value::as_number);
    // Each bound, the comparisons of the value with it that break it, and how to say so.
    let bounds: [Bound; 4] = [
        ("minimum", |o| o.is_lt(), "is less than the minimum of"),
        (
            "exclusiveMinimum",
            |o| o.is_le(),
            "is less than or equal to the exclusive minimum of",
        ),
        ("maximum", |o| o.is_gt(), "is greater than the maximum of"),
        (
            "exclusiveMaximum",
            |o| o.is_ge(),
            "is greater than or equal to the exclusive maximum of",
        ),
    ];
    for (keyword, breaks, says) in bounds {
        if let Some(m) = bound(keyword).filter(|m| breaks(compare(n, m))) {
            fail(format!("{} {says} {m}", v()));
        }
    }
    if let Some(m) = bound("multipleOf").filter(|m| !multiple_of(n, m)) {
        fail(format!("{} is not a multiple of {m}", v()));
    }
}

/// A count keyword's value (a non-negative integer, `2.0` included).
pub(super) fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .map(|f| f as u64)
    })
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        // In draft 2020-12 a number without a fraction is an integer, `1.0` included.
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

/// A number exactly when it fits 128 bits as an integer, otherwise as a float.
enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &Number) -> Num {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Num::Int(i as i128),
        (_, Some(u)) => Num::Int(u as i128),
        _ => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn as_float(n: &Num) -> f64 {
    match *n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

fn compare(a: &Number, b: &Number) -> Ordering {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (x, y) => as_float(&x)
            .partial_cmp(&as_float(&y))
            .unwrap_or(Ordering::Equal),
    }
}

fn multiple_of(a: &Number, b: &Number) -> bool {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => y != 0 && x % y == 0,
        (x, y) => {
            let q = as_float(&x) / as_float(&y);
            // Decimal fractions are not exact in binary: 0.0075 / 0.0001 is 74.99999999999999.
            q.is_finite() && (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
        }
    }
}

/// JSON equality: numbers by value (`1` is `1.0`), objects whatever their keys' order.
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A value as a message shows it: its JSON, cut short when long.
pub(super) fn show(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
