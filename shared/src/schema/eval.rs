//! Evaluating data against a schema (draft 2020-12), every failure with its place in the
//! data. An evaluation that passes also says which properties and items it looked at, for
//! `unevaluatedProperties` and `unevaluatedItems` around it.

use std::cell::Cell;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::assert::{assertions, count, show};
use super::index::{Index, escape};

/// How deep evaluations may nest (data levels and references together): deeper, the data
/// fails with a reason rather than the server running out of stack.
const MAX_DEPTH: u32 = 256;

/// One failure: where in the data (a JSON pointer, `""` for the whole), and why.
pub(super) struct Failure {
    pub at: String,
    pub message: String,
}

/// What a passing evaluation looked at, in the object or array it evaluated.
#[derive(Default)]
struct Seen<'i> {
    props: BTreeSet<&'i str>,
    items: BTreeSet<usize>,
}

impl<'i> Seen<'i> {
    fn add(&mut self, other: Seen<'i>) {
        self.props.extend(other.props);
        self.items.extend(other.items);
    }
}

pub(super) fn failures(ix: &Index<'_>, schema: &Value, data: &Value) -> Vec<Failure> {
    let mut out = Vec::new();
    let eval = Eval {
        ix,
        depth: Cell::new(0),
    };
    eval.eval(schema, data, "", &mut out);
    out
}

struct Eval<'x, 's> {
    ix: &'x Index<'s>,
    depth: Cell<u32>,
}

impl Eval<'_, '_> {
    /// Whether `data` passes `schema`, without saying why not.
    fn passes<'i>(&self, schema: &Value, data: &'i Value) -> Option<Seen<'i>> {
        let mut scratch = Vec::new();
        let seen = self.eval(schema, data, "", &mut scratch);
        scratch.is_empty().then_some(seen)
    }

    fn eval<'i>(
        &self,
        schema: &Value,
        data: &'i Value,
        at: &str,
        out: &mut Vec<Failure>,
    ) -> Seen<'i> {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            out.push(Failure {
                at: at.to_string(),
                message: format!(
                    "nests more than {MAX_DEPTH} levels deep (data and references together)"
                ),
            });
            return Seen::default();
        }
        self.depth.set(depth + 1);
        let seen = self.eval_here(schema, data, at, out);
        self.depth.set(depth);
        seen
    }

    fn eval_here<'i>(
        &self,
        schema: &Value,
        data: &'i Value,
        at: &str,
        out: &mut Vec<Failure>,
    ) -> Seen<'i> {
        let before = out.len();
        let mut seen = Seen::default();
        let mut fail = |message: String| {
            out.push(Failure {
                at: at.to_string(),
                message,
            })
        };
        let s = match schema {
            Value::Bool(true) => return seen,
            Value::Bool(false) => {
                fail(format!(
                    "{} is not allowed here (the schema is false)",
                    show(data)
                ));
                return seen;
            }
            Value::Object(s) => s,
            _ => return seen,
        };
        assertions(s, data, &mut fail);
        if let (Some(Value::String(p)), Value::String(text)) = (s.get("pattern"), data)
            && self.ix.pattern(p).is_some_and(|re| !re.is_match(text))
        {
            fail(format!("{} does not match {p:?}", show(data)));
        }
        for dynamic in [false, true] {
            if let Some(target) = self.ix.target(schema, dynamic) {
                seen.add(self.eval(target, data, at, out));
            }
        }
        self.combinations(s, data, at, out, &mut seen);
        match data {
            Value::Object(o) => self.object(s, o, at, out, &mut seen),
            Value::Array(a) => self.array(s, a, at, out, &mut seen),
            _ => {}
        }
        if out.len() > before {
            Seen::default()
        } else {
            seen
        }
    }

    /// allOf, anyOf, oneOf, not, if/then/else, dependentSchemas: applied where `data` is.
    fn combinations<'i>(
        &self,
        s: &Map<String, Value>,
        data: &'i Value,
        at: &str,
        out: &mut Vec<Failure>,
        seen: &mut Seen<'i>,
    ) {
        let fail = |out: &mut Vec<Failure>, message: String| {
            out.push(Failure {
                at: at.to_string(),
                message,
            })
        };
        if let Some(Value::Array(all)) = s.get("allOf") {
            for sub in all {
                seen.add(self.eval(sub, data, at, out));
            }
        }
        if let Some(Value::Array(any)) = s.get("anyOf") {
            let passing: Vec<Seen> = any.iter().filter_map(|x| self.passes(x, data)).collect();
            if passing.is_empty() {
                let m = format!(
                    "{} is not valid under any of the schemas in anyOf",
                    show(data)
                );
                fail(out, m);
            }
            passing.into_iter().for_each(|p| seen.add(p));
        }
        if let Some(Value::Array(one)) = s.get("oneOf") {
            let mut passing: Vec<Seen> = one.iter().filter_map(|x| self.passes(x, data)).collect();
            match passing.len() {
                1 => seen.add(passing.remove(0)),
                0 => {
                    let m = format!(
                        "{} is not valid under any of the schemas in oneOf",
                        show(data)
                    );
                    fail(out, m);
                }
                n => {
                    let m = format!(
                        "{} is valid under {n} of the schemas in oneOf, not one",
                        show(data)
                    );
                    fail(out, m);
                }
            }
        }
        if let Some(not) = s.get("not")
            && self.passes(not, data).is_some()
        {
            fail(
                out,
                format!("{} must not be valid under {}", show(data), show(not)),
            );
        }
        if let Some(cond) = s.get("if") {
            match self.passes(cond, data) {
                Some(p) => {
                    seen.add(p);
                    if let Some(then) = s.get("then") {
                        seen.add(self.eval(then, data, at, out));
                    }
                }
                None => {
                    if let Some(other) = s.get("else") {
                        seen.add(self.eval(other, data, at, out));
                    }
                }
            }
        }
        if let (Some(Value::Object(deps)), Value::Object(o)) = (s.get("dependentSchemas"), data) {
            for (name, sub) in deps {
                if o.contains_key(name) {
                    seen.add(self.eval(sub, data, at, out));
                }
            }
        }
    }

    fn object<'i>(
        &self,
        s: &Map<String, Value>,
        o: &'i Map<String, Value>,
        at: &str,
        out: &mut Vec<Failure>,
        seen: &mut Seen<'i>,
    ) {
        let props = match s.get("properties") {
            Some(Value::Object(p)) => Some(p),
            _ => None,
        };
        let patterns = match s.get("patternProperties") {
            Some(Value::Object(p)) => Some(p),
            _ => None,
        };
        let mut unexpected = Vec::new();
        for (name, value) in o {
            let here = || format!("{at}/{}", escape(name));
            let mut matched = false;
            if let Some(sub) = props.and_then(|p| p.get(name)) {
                matched = true;
                self.eval(sub, value, &here(), out);
            }
            for (pattern, sub) in patterns.into_iter().flatten() {
                if self.ix.pattern(pattern).is_some_and(|re| re.is_match(name)) {
                    matched = true;
                    self.eval(sub, value, &here(), out);
                }
            }
            if matched {
                seen.props.insert(name);
            } else if let Some(extra) = s.get("additionalProperties") {
                seen.props.insert(name);
                match extra {
                    Value::Bool(false) => unexpected.push(name.as_str()),
                    sub => drop(self.eval(sub, value, &here(), out)),
                }
            }
            if let Some(names) = s.get("propertyNames") {
                let key = Value::String(name.clone());
                let mut why = Vec::new();
                self.eval(names, &key, at, &mut why);
                out.extend(why.into_iter().map(|f| Failure {
                    at: f.at,
                    message: format!("property name {}", f.message),
                }));
            }
        }
        refuse_extra(&unexpected, "additional", at, out);
        if let Some(rest) = s.get("unevaluatedProperties") {
            let mut unexpected = Vec::new();
            for (name, value) in o.iter().filter(|(n, _)| !seen.props.contains(n.as_str())) {
                match rest {
                    Value::Bool(false) => unexpected.push(name.as_str()),
                    sub => {
                        let here = format!("{at}/{}", escape(name));
                        drop(self.eval(sub, value, &here, out))
                    }
                }
            }
            refuse_extra(&unexpected, "unevaluated", at, out);
            seen.props.extend(o.keys().map(String::as_str));
        }
    }

    fn array<'i>(
        &self,
        s: &Map<String, Value>,
        a: &'i [Value],
        at: &str,
        out: &mut Vec<Failure>,
        seen: &mut Seen<'i>,
    ) {
        let here = |i: usize| format!("{at}/{i}");
        let mut prefix = 0;
        if let Some(Value::Array(first)) = s.get("prefixItems") {
            for (i, (sub, item)) in first.iter().zip(a).enumerate() {
                self.eval(sub, item, &here(i), out);
                seen.items.insert(i);
            }
            prefix = first.len();
        }
        if let Some(rest) = s.get("items") {
            let extra = a.len().saturating_sub(prefix);
            if *rest == Value::Bool(false) && extra > 0 {
                let m = format!("{extra} item(s) beyond the first {prefix} are not allowed");
                out.push(Failure {
                    at: at.to_string(),
                    message: m,
                });
            } else {
                for (i, item) in a.iter().enumerate().skip(prefix) {
                    self.eval(rest, item, &here(i), out);
                }
            }
            seen.items.extend(prefix..a.len());
        }
        if let Some(wanted) = s.get("contains") {
            let matching: Vec<usize> = (0..a.len())
                .filter(|&i| self.passes(wanted, &a[i]).is_some())
                .collect();
            let min = s.get("minContains").and_then(count).unwrap_or(1);
            let max = s.get("maxContains").and_then(count);
            let n = matching.len() as u64;
            let m = if n < min {
                Some(format!(
                    "{n} item(s) match contains {}, fewer than {min}",
                    show(wanted)
                ))
            } else if max.is_some_and(|max| n > max) {
                Some(format!(
                    "{n} item(s) match contains {}, more than {}",
                    show(wanted),
                    max.unwrap_or(0)
                ))
            } else {
                None
            };
            if let Some(message) = m {
                out.push(Failure {
                    at: at.to_string(),
                    message,
                });
            }
            seen.items.extend(matching);
        }
        if let Some(rest) = s.get("unevaluatedItems") {
            let left: Vec<usize> = (0..a.len()).filter(|i| !seen.items.contains(i)).collect();
            if *rest == Value::Bool(false) && !left.is_empty() {
                let m = format!("item(s) {left:?} are not allowed (unevaluated)");
                out.push(Failure {
                    at: at.to_string(),
                    message: m,
                });
            } else {
                for i in left {
                    self.eval(rest, &a[i], &here(i), out);
                }
            }
            seen.items.extend(0..a.len());
        }
    }
}

fn refuse_extra(names: &[&str], what: &str, at: &str, out: &mut Vec<Failure>) {
    if !names.is_empty() {
        let listed: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        out.push(Failure {
            at: at.to_string(),
            message: format!(
                "{what} properties are not allowed ({} unexpected)",
                listed.join(", ")
            ),
        });
    }
}
