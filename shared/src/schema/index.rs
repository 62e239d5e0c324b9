//! Where a schema's references lead. Built once per check or validation: every subschema's
//! base URI (from the `$id`s around it), the resources those `$id`s name, their anchors, each
//! `$ref`'s target and each pattern compiled. References are never fetched: one that leads
//! outside the schema makes it unusable, and so does one that leads back to where it started
//! without looking deeper into the data (an evaluation that would never end).

use std::collections::HashMap;

use regex_lite::Regex;
use serde_json::{Map, Value};
use url::Url;

/// The base URI of a schema without an `$id`: relative `$id`s and `$ref`s resolve against it.
const ROOT: &str = "hookline-schema:///schema.json";

/// How long a chain of references and in-place applicators may be (the walk that looks for
/// cycles follows it on the stack, and so does every evaluation).
const MAX_CHAIN: u32 = 128;

/// Keywords whose value is one subschema.
pub(super) const ONE: [&str; 11] = [
    "additionalProperties",
    "propertyNames",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
/// Keywords whose value is an object of subschemas.
pub(super) const MAP: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is an array of subschemas.
pub(super) const LIST: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];
/// Applicators that evaluate the same place in the data (a cycle through them never ends).
const IN_PLACE: [&str; 8] = [
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
];

/// The subschemas directly under `schema`, each with the pointer step that leads to it.
pub(super) fn children(schema: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (k, v) in schema {
        let k = k.as_str();
        if ONE.contains(&k) {
            out.push((escape(k), v));
        } else if let (true, Value::Object(m)) = (MAP.contains(&k), v) {
            out.extend(
                m.iter()
                    .map(|(n, s)| (format!("{}/{}", escape(k), escape(n)), s)),
            );
        } else if let (true, Value::Array(a)) = (LIST.contains(&k), v) {
            out.extend(a.iter().enumerate().map(|(i, s)| (format!("{k}/{i}"), s)));
        }
    }
    out
}

/// A JSON pointer step: `~` and `/` escaped.
pub(super) fn escape(step: &str) -> String {
    step.replace('~', "~0").replace('/', "~1")
}

/// A subschema by its address: the same JSON text twice is two places with their own bases.
type Node = *const Value;

/// A subschema object the index knows: its base URI and its pointer (for messages).
struct Place<'s> {
    schema: &'s Value,
    base: Url,
    at: String,
}

pub(super) struct Index<'s> {
    places: HashMap<Node, Place<'s>>,
    resources: HashMap<String, &'s Value>,
    anchors: HashMap<(String, String), &'s Value>,
    /// Each `$ref` (false) and `$dynamicRef` (true) holder's target.
    refs: HashMap<(Node, bool), &'s Value>,
    patterns: HashMap<&'s str, Regex>,
}

impl<'s> Index<'s> {
    pub fn new(root: &'s Value) -> Result<Self, String> {
        let mut ix = Index {
            places: HashMap::new(),
            resources: HashMap::new(),
            anchors: HashMap::new(),
            refs: HashMap::new(),
            patterns: HashMap::new(),
        };
        let base = Url::parse(ROOT).expect("the root base is a URI");
        ix.resources.insert(base.to_string(), root);
        ix.walk(root, base, String::new())?;
        // A `$ref` may point into a part of a resource the walk did not enter (a keyword it
        // does not know): that part is walked from the reference, until nothing new appears.
        let mut done = 0;
        while done < ix.places.len() {
            let holders: Vec<&'s Value> = ix.places.values().map(|p| p.schema).collect();
            done = holders.len();
            for schema in holders {
                ix.follow(schema)?;
            }
        }
        let mut chains = HashMap::new();
        for schema in ix.places.values().map(|p| p.schema) {
            ix.visit(schema, &mut chains, 0)?;
        }
        Ok(ix)
    }

    /// Resolves the references `schema` holds, and walks what they lead to if new.
    fn follow(&mut self, schema: &'s Value) -> Result<(), String> {
        let node = schema as Node;
        for (dynamic, keyword) in [(false, "$ref"), (true, "$dynamicRef")] {
            let Some(Value::String(r)) = schema.get(keyword) else {
                continue;
            };
            if self.refs.contains_key(&(node, dynamic)) {
                continue;
            }
            let (target, base) = self.resolve(node, r).ok_or_else(|| {
                let at = &self.places[&node].at;
                format!("{keyword} {r:?} at {at:?} leads nowhere in the schema (references are never fetched)")
            })?;
            self.refs.insert((node, dynamic), target);
            if !self.places.contains_key(&(target as Node)) {
                self.walk(target, base, r.clone())?;
            }
        }
        Ok(())
    }

    fn walk(&mut self, s: &'s Value, mut base: Url, at: String) -> Result<(), String> {
        let Value::Object(m) = s else { return Ok(()) };
        if let Some(Value::String(id)) = m.get("$id") {
            base = base
                .join(id)
                .map_err(|e| format!("$id {id:?} at {at:?} is not a URI reference: {e}"))?;
            base.set_fragment(None);
            self.resources.insert(base.to_string(), s);
        }
        let place = Place {
            schema: s,
            base: base.clone(),
            at: at.clone(),
        };
        if self.places.insert(s, place).is_some() {
            return Ok(());
        }
        for key in ["$anchor", "$dynamicAnchor"] {
            if let Some(Value::String(a)) = m.get(key) {
                self.anchors.insert((base.to_string(), a.clone()), s);
            }
        }
        if let Some(Value::String(p)) = m.get("pattern") {
            self.compile(p, &at)?;
        }
        if let Some(Value::Object(pp)) = m.get("patternProperties") {
            for p in pp.keys() {
                self.compile(p, &at)?;
            }
        }
        for (step, child) in children(m) {
            self.walk(child, base.clone(), format!("{at}/{step}"))?;
        }
        Ok(())
    }

    fn compile(&mut self, pattern: &'s str, at: &str) -> Result<(), String> {
        if !self.patterns.contains_key(pattern) {
            let re = Regex::new(pattern).map_err(|e| {
                format!("pattern {pattern:?} at {at:?} is not a regular expression this server runs: {e}")
            })?;
            self.patterns.insert(pattern, re);
        }
        Ok(())
    }

    /// Where `reference`, written in `from`, leads, and the base URI there.
    fn resolve(&self, from: Node, reference: &str) -> Option<(&'s Value, Url)> {
        let mut url = self.places.get(&from)?.base.join(reference).ok()?;
        let fragment = decode(url.fragment().unwrap_or_default());
        url.set_fragment(None);
        let resource = *self.resources.get(url.as_str())?;
        let target = if fragment.is_empty() {
            resource
        } else if fragment.starts_with('/') {
            resource.pointer(&fragment)?
        } else {
            *self.anchors.get(&(url.to_string(), fragment))?
        };
        // A target inside the schema keeps the base the walk gave it (an `$id` on the way).
        let base = match self.places.get(&(target as Node)) {
            Some(p) => p.base.clone(),
            None => url,
        };
        Some((target, base))
    }

    /// Refuses a schema in which a `$ref` leads, through applicators that stay at the same
    /// place in the data, back to itself (evaluating it would never end), or along a chain
    /// longer than [`MAX_CHAIN`]. A depth-first walk of those edges; `chains` holds `None`
    /// for a node on the current path, and the longest chain from each node done.
    fn visit(
        &self,
        schema: &'s Value,
        chains: &mut HashMap<Node, Option<u32>>,
        depth: u32,
    ) -> Result<u32, String> {
        let node = schema as Node;
        let at = || self.places.get(&node).map_or("", |p| p.at.as_str());
        let too_long = || {
            let at = at();
            format!("the references at {at:?} chain more than {MAX_CHAIN} levels deep")
        };
        match chains.get(&node) {
            Some(None) => {
                let at = at();
                return Err(format!(
                    "the references at {at:?} lead back to it without looking deeper into the data"
                ));
            }
            Some(Some(len)) => return Ok(*len),
            None if depth > MAX_CHAIN => return Err(too_long()),
            None => {}
        }
        let Value::Object(m) = schema else {
            return Ok(0);
        };
        chains.insert(node, None);
        let mut next: Vec<&'s Value> = [false, true]
            .iter()
            .filter_map(|d| self.refs.get(&(node, *d)).copied())
            .collect();
        for (k, v) in m {
            match v {
                _ if !IN_PLACE.contains(&k.as_str()) => {}
                Value::Array(a) => next.extend(a),
                Value::Object(o) if k == "dependentSchemas" => next.extend(o.values()),
                s => next.push(s),
            }
        }
        let mut longest = 0;
        for n in next {
            longest = longest.max(1 + self.visit(n, chains, depth + 1)?);
        }
        if longest > MAX_CHAIN {
            return Err(too_long());
        }
        chains.insert(node, Some(longest));
        Ok(longest)
    }

    /// The target of the `$ref` (or, `dynamic`, the `$dynamicRef`) in `schema`.
    pub fn target(&self, schema: &Value, dynamic: bool) -> Option<&'s Value> {
        self.refs.get(&(schema as Node, dynamic)).copied()
    }

    pub fn pattern(&self, pattern: &str) -> Option<&Regex> {
        self.patterns.get(pattern)
    }
}

/// A URI fragment percent-decoded (JSON pointers and anchors are compared decoded).
fn decode(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
