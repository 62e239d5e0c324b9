//! Payload filters: a JSON condition shaped like the event envelope (`type`, `account_id`,
//! `data`, `id`) that an event must meet for a webhook to receive it. Nested objects follow the
//! payload; a plain value means `$eq`; the operators are those of Outpost's filters, so a
//! platform moving from it keeps them. A filter is checked once when it is set
//! ([`Filter::check`]) and read as stored afterwards; evaluating it walks the condition and the
//! payload together, with no copy of the payload.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest filter, as JSON.
pub const MAX_FILTER_BYTES: usize = 4096;
/// The deepest nesting of objects and arrays in a filter.
pub const MAX_FILTER_DEPTH: usize = 8;

const COMPARE: [&str; 4] = ["$gt", "$gte", "$lt", "$lte"];
const OPERATORS: &str = "$eq $neq $gt $gte $lt $lte $in $nin $exists $startsWith $and $or $not";

/// A webhook's filter, as the caller wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Filter(pub Value);

/// Where a filter is malformed: `path` is its place (`data.amount.$gt`), from the filter's root.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterError {
    pub path: String,
    pub message: String,
}

/// Why an event does not meet a filter: the condition that failed, where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// The place in the event (`data.amount`; empty for the event as a whole).
    pub path: String,
    /// The condition that failed there.
    pub condition: Value,
    /// What the event has instead.
    pub reason: String,
}

/// The event as a filter sees it.
pub struct Envelope<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub account_id: Option<&'a str>,
    pub data: &'a Value,
}

fn join(path: &str, key: &str) -> String {
    match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    }
}

fn bad(path: &str, message: impl Into<String>) -> FilterError {
    FilterError {
        path: path.to_string(),
        message: message.into(),
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

impl Filter {
    /// Whether the filter is well formed: an object, at most [`MAX_FILTER_BYTES`] and
    /// [`MAX_FILTER_DEPTH`] deep, every operator known and given a value of its kind.
    pub fn check(&self) -> Result<(), FilterError> {
        let size = super::json_len(&self.0);
        if size > MAX_FILTER_BYTES {
            return Err(bad(
                "",
                format!("is {size} bytes of JSON; at most {MAX_FILTER_BYTES}"),
            ));
        }
        if depth(&self.0) > MAX_FILTER_DEPTH {
            return Err(bad(
                "",
                format!("is nested deeper than {MAX_FILTER_DEPTH} levels"),
            ));
        }
        let Value::Object(top) = &self.0 else {
            return Err(bad("", "must be an object shaped like the event"));
        };
        for (k, v) in top {
            if k.starts_with('$') && !matches!(k.as_str(), "$and" | "$or" | "$not") {
                return Err(bad(
                    k,
                    "the event as a whole takes fields (type, account_id, data, id) and $and, $or, $not",
                ));
            }
            check_entry(k, v, "")?;
        }
        Ok(())
    }

    /// Whether `event` meets the filter; when it does not, the first condition that failed.
    pub fn evaluate(&self, event: &Envelope) -> Result<(), Mismatch> {
        match &self.0 {
            Value::Object(top) => eval_top(top, event),
            _ => Ok(()),
        }
    }
}

fn check_condition(cond: &Value, path: &str) -> Result<(), FilterError> {
    match cond {
        Value::Object(m) => m.iter().try_for_each(|(k, v)| check_entry(k, v, path)),
        _ => Ok(()),
    }
}

fn check_entry(k: &str, v: &Value, path: &str) -> Result<(), FilterError> {
    let here = join(path, k);
    if !k.starts_with('$') {
        return check_condition(v, &here);
    }
    match k {
        "$eq" | "$neq" if is_scalar(v) || v.is_array() => Ok(()),
        "$eq" | "$neq" => Err(bad(&here, "takes a value, not an object")),
        "$gt" | "$gte" | "$lt" | "$lte" if v.is_number() || v.is_string() => Ok(()),
        "$gt" | "$gte" | "$lt" | "$lte" => Err(bad(&here, "takes a number or a string")),
        "$in" | "$nin" => match v {
            Value::Array(a) if a.iter().all(is_scalar) => Ok(()),
            _ => Err(bad(&here, "takes an array of values")),
        },
        "$exists" if v.is_boolean() => Ok(()),
        "$exists" => Err(bad(&here, "takes true or false")),
        "$startsWith" if v.is_string() => Ok(()),
        "$startsWith" => Err(bad(&here, "takes a string")),
        "$and" | "$or" => match v {
            Value::Array(a) if !a.is_empty() => a.iter().enumerate().try_for_each(|(i, c)| {
                let at = format!("{here}[{i}]");
                match c {
                    Value::Object(_) => check_condition(c, &at),
                    _ => Err(bad(&at, "must be a condition (an object)")),
                }
            }),
            _ => Err(bad(&here, "takes a non-empty array of conditions")),
        },
        "$not" => match v {
            Value::Object(_) => check_condition(v, &here),
            _ => Err(bad(&here, "takes one condition (an object)")),
        },
        _ => Err(bad(
            &here,
            format!("is not an operator; use one of {OPERATORS}"),
        )),
    }
}

fn eval_top(top: &Map<String, Value>, ev: &Envelope) -> Result<(), Mismatch> {
    for (k, cond) in top {
        match k.as_str() {
            "$and" | "$or" | "$not" => {
                let each = |c: &Value| match c {
                    Value::Object(m) => eval_top(m, ev),
                    _ => Ok(()),
                };
                logic(k, cond, "", each)?;
            }
            "data" => eval(cond, Some(ev.data), "data")?,
            field => {
                let v = match field {
                    "type" => Some(Value::String(ev.event_type.to_string())),
                    "id" => Some(Value::String(ev.id.to_string())),
                    "account_id" => ev.account_id.map(|a| Value::String(a.to_string())),
                    _ => None,
                };
                eval(cond, v.as_ref(), field)?
            }
        }
    }
    Ok(())
}

/// `$and`, `$or` and `$not` over conditions that `each` evaluates.
fn logic(
    op: &str,
    cond: &Value,
    path: &str,
    each: impl Fn(&Value) -> Result<(), Mismatch>,
) -> Result<(), Mismatch> {
    let failed = |reason: &str| Mismatch {
        path: path.to_string(),
        condition: serde_json::json!({ op: cond }),
        reason: reason.to_string(),
    };
    match (op, cond) {
        ("$and", Value::Array(cs)) => cs.iter().try_for_each(each),
        ("$or", Value::Array(cs)) => match cs.iter().any(|c| each(c).is_ok()) {
            true => Ok(()),
            false => Err(failed("none of the $or conditions holds")),
        },
        ("$not", c) => match each(c) {
            Ok(()) => Err(failed("the $not condition holds")),
            Err(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

fn describe(v: Option<&Value>) -> String {
    match v {
        None => "it is missing".into(),
        Some(v) => format!("it is {v}"),
    }
}

/// `cond` against the value at `path` (`None`: the event has nothing there).
fn eval(cond: &Value, v: Option<&Value>, path: &str) -> Result<(), Mismatch> {
    let Value::Object(m) = cond else {
        return test("$eq", cond, v, path);
    };
    for (k, c) in m {
        match k.as_str() {
            "$and" | "$or" | "$not" => logic(k, c, path, |c| eval(c, v, path))?,
            op if op.starts_with('$') => test(op, c, v, path)?,
            field => {
                let inner = v.and_then(|v| v.as_object()).and_then(|o| o.get(field));
                eval(c, inner, &join(path, field))?
            }
        }
    }
    Ok(())
}

/// One operator against one value.
fn test(op: &str, c: &Value, v: Option<&Value>, path: &str) -> Result<(), Mismatch> {
    let holds = match op {
        "$eq" => v == Some(c),
        "$neq" => v != Some(c),
        "$in" => v.is_some_and(|v| c.as_array().is_some_and(|a| a.contains(v))),
        "$nin" => v.is_none_or(|v| c.as_array().is_none_or(|a| !a.contains(v))),
        "$exists" => v.is_some() == (c.as_bool() == Some(true)),
        "$startsWith" => {
            matches!((v, c), (Some(Value::String(s)), Value::String(p)) if s.starts_with(p.as_str()))
        }
        _ if COMPARE.contains(&op) => v.and_then(|v| order(v, c)).is_some_and(|o| match op {
            "$gt" => o.is_gt(),
            "$gte" => o.is_ge(),
            "$lt" => o.is_lt(),
            _ => o.is_le(),
        }),
        _ => false,
    };
    match holds {
        true => Ok(()),
        false => Err(Mismatch {
            path: path.to_string(),
            condition: serde_json::json!({ op: c }),
            reason: describe(v),
        }),
    }
}

/// How `v` compares with `c`: numbers with numbers, strings with strings; otherwise they do
/// not compare (and the condition does not hold).
fn order(v: &Value, c: &Value) -> Option<std::cmp::Ordering> {
    match (v, c) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(data: &Value) -> Envelope<'_> {
        Envelope {
            id: "evt_1",
            event_type: "invoice.paid",
            account_id: Some("acc_1"),
            data,
        }
    }

    /// Whether the event with `data` meets `filter` (which must be well formed).
    fn meets(filter: Value, data: Value) -> bool {
        let f = Filter(filter);
        f.check().unwrap_or_else(|e| panic!("{e:?}"));
        f.evaluate(&envelope(&data)).is_ok()
    }

    #[test]
    fn each_operator() {
        let d = json!({"amount": 12000, "country": "FR", "tags": ["a"], "name": "ACME Corp", "ok": true});
        let cases = [
            (json!({"data": {"amount": 12000}}), true),
            (json!({"data": {"amount": {"$eq": 12000}}}), true),
            (json!({"data": {"amount": {"$neq": 12000}}}), false),
            (json!({"data": {"amount": {"$gt": 10000}}}), true),
            (json!({"data": {"amount": {"$gt": 12000}}}), false),
            (json!({"data": {"amount": {"$gte": 12000}}}), true),
            (json!({"data": {"amount": {"$lt": 12000.5}}}), true),
            (json!({"data": {"amount": {"$lte": 11999}}}), false),
            (json!({"data": {"country": {"$in": ["FR", "DE"]}}}), true),
            (json!({"data": {"country": {"$nin": ["FR", "DE"]}}}), false),
            (json!({"data": {"country": {"$exists": true}}}), true),
            (json!({"data": {"missing": {"$exists": false}}}), true),
            (json!({"data": {"name": {"$startsWith": "ACME"}}}), true),
            (json!({"data": {"name": {"$startsWith": "acme"}}}), false),
            (json!({"data": {"tags": ["a"]}}), true),
            (json!({"data": {"ok": true}}), true),
            (json!({"data": {"country": {"$gt": "E"}}}), true),
            (
                json!({"type": {"$startsWith": "invoice."}, "account_id": {"$in": ["acc_1", "acc_2"]}}),
                true,
            ),
            (json!({"type": "invoice.created"}), false),
            (json!({"id": "evt_1"}), true),
        ];
        for (filter, want) in cases {
            assert_eq!(meets(filter.clone(), d.clone()), want, "{filter}");
        }
    }

    #[test]
    fn nested_logic_and_paths() {
        let d = json!({"amount": 20000, "customer": {"country": "FR", "vip": false}});
        let f = json!({"type": {"$startsWith": "invoice."},
            "data": {"amount": {"$gt": 10000}, "customer": {"country": "FR"}}});
        assert!(meets(f, d.clone()));
        let or = json!({"$or": [{"data": {"amount": {"$lt": 100}}}, {"data": {"customer": {"vip": false}}}]});
        assert!(meets(or, d.clone()));
        let and = json!({"$and": [{"data": {"amount": {"$gt": 100}}}, {"data": {"customer": {"vip": true}}}]});
        assert!(!meets(and, d.clone()));
        let not = json!({"data": {"customer": {"country": {"$not": {"$in": ["FR"]}}}}});
        assert!(!meets(not, d.clone()));
        let inner_or = json!({"data": {"amount": {"$or": [{"$lt": 0}, {"$gt": 15000}]}}});
        assert!(meets(inner_or, d.clone()));
        let range = json!({"data": {"amount": {"$gte": 10000, "$lt": 20000}}});
        assert!(!meets(range, d));
    }

    #[test]
    fn missing_paths_and_type_mismatches_do_not_match() {
        let d = json!({"amount": "12000", "customer": "FR"});
        // A path that is not there: only $exists false, $neq and $nin hold.
        assert!(!meets(json!({"data": {"nope": 1}}), d.clone()));
        assert!(!meets(json!({"data": {"nope": {"$gt": 1}}}), d.clone()));
        assert!(meets(json!({"data": {"nope": {"$neq": 1}}}), d.clone()));
        assert!(meets(json!({"data": {"nope": {"$nin": [1]}}}), d.clone()));
        // Into a value that is not an object.
        assert!(!meets(
            json!({"data": {"customer": {"country": "FR"}}}),
            d.clone()
        ));
        // A string compared with a number, and the other way round.
        assert!(!meets(
            json!({"data": {"amount": {"$gt": 10000}}}),
            d.clone()
        ));
        assert!(!meets(json!({"data": {"amount": 12000}}), d.clone()));
        // No account on the event.
        let f = Filter(json!({"account_id": "acc_1"}));
        let data = json!({});
        let ev = Envelope {
            account_id: None,
            ..envelope(&data)
        };
        assert_eq!(f.evaluate(&ev).unwrap_err().reason, "it is missing");
    }

    #[test]
    fn the_failed_condition_is_named() {
        let f = Filter(
            json!({"type": {"$startsWith": "invoice."}, "data": {"amount": {"$gt": 10000}}}),
        );
        let d = json!({"amount": 50});
        let m = f.evaluate(&envelope(&d)).unwrap_err();
        assert_eq!(m.path, "data.amount");
        assert_eq!(m.condition, json!({"$gt": 10000}));
        assert_eq!(m.reason, "it is 50");
    }

    #[test]
    fn malformed_filters_say_where() {
        let deep = json!({"data": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}});
        let cases = [
            (json!({"data": {"amount": {"$gtt": 1}}}), "data.amount.$gtt"),
            (
                json!({"data": {"amount": {"$gt": true}}}),
                "data.amount.$gt",
            ),
            (json!({"data": {"c": {"$in": "FR"}}}), "data.c.$in"),
            (json!({"data": {"c": {"$exists": "yes"}}}), "data.c.$exists"),
            (
                json!({"data": {"c": {"$startsWith": 3}}}),
                "data.c.$startsWith",
            ),
            (json!({"$or": []}), "$or"),
            (json!({"$and": [1]}), "$and[0]"),
            (
                json!({"data": {"$or": [{"a": {"$lt": []}}]}}),
                "data.$or[0].a.$lt",
            ),
            (json!({"$eq": 1}), "$eq"),
            (json!("invoice.paid"), ""),
            (deep, ""),
            (json!({"data": {"s": "x".repeat(5000)}}), ""),
        ];
        for (filter, path) in cases {
            let e = Filter(filter.clone()).check().unwrap_err();
            assert_eq!(e.path, path, "{filter}: {e:?}");
        }
    }
}
