//! Items in DynamoDB's JSON wire form (`{"S": "…"}`, `{"N": "12"}`, `{"B": base64}`, …), for
//! the writes made directly ([`crate::aws_json`]) rather than through the SDK: the items the
//! adapter builds as the SDK's `AttributeValue`s go out as they are, and what DynamoDB hands
//! back unprocessed comes back as them.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{Error, SerializeMap};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::items::Item;

/// One attribute value as the wire has it.
pub struct Wire<'a>(pub &'a AttributeValue);

/// An item (or any map of attribute values) as the wire has it.
pub struct WireItem<'a>(pub &'a Item);

impl Serialize for WireItem<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            m.serialize_entry(name, &Wire(value))?;
        }
        m.end()
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let blob = |b: &Blob| STANDARD.encode(b.as_ref());
        let mut m = s.serialize_map(Some(1))?;
        match self.0 {
            AttributeValue::S(v) => m.serialize_entry("S", v)?,
            AttributeValue::N(v) => m.serialize_entry("N", v)?,
            AttributeValue::B(b) => m.serialize_entry("B", &blob(b))?,
            AttributeValue::Bool(b) => m.serialize_entry("BOOL", b)?,
            AttributeValue::Null(_) => m.serialize_entry("NULL", &true)?,
            AttributeValue::M(map) => m.serialize_entry("M", &WireItem(map))?,
            AttributeValue::L(l) => {
                m.serialize_entry("L", &l.iter().map(Wire).collect::<Vec<_>>())?
            }
            AttributeValue::Ss(v) => m.serialize_entry("SS", v)?,
            AttributeValue::Ns(v) => m.serialize_entry("NS", v)?,
            AttributeValue::Bs(v) => {
                m.serialize_entry("BS", &v.iter().map(blob).collect::<Vec<_>>())?
            }
            other => {
                return Err(S::Error::custom(format!(
                    "an attribute value of an unknown kind: {other:?}"
                )));
            }
        }
        m.end()
    }
}

/// An item from the wire; `None` when it is not one.
pub fn item(v: &Value) -> Option<Item> {
    v.as_object()?
        .iter()
        .map(|(name, value)| Some((name.clone(), attribute(value)?)))
        .collect()
}

fn attribute(v: &Value) -> Option<AttributeValue> {
    let (kind, v) = v.as_object()?.iter().next()?;
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| Some(s.as_str()?.to_string()))
            .collect()
    };
    let blob = |v: &Value| Some(Blob::new(STANDARD.decode(v.as_str()?).ok()?));
    Some(match kind.as_str() {
        "S" => AttributeValue::S(v.as_str()?.to_string()),
        "N" => AttributeValue::N(v.as_str()?.to_string()),
        "B" => AttributeValue::B(blob(v)?),
        "BOOL" => AttributeValue::Bool(v.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        "M" => AttributeValue::M(item(v)?),
        "L" => AttributeValue::L(v.as_array()?.iter().map(attribute).collect::<Option<_>>()?),
        "SS" => AttributeValue::Ss(strings(v)?),
        "NS" => AttributeValue::Ns(strings(v)?),
        "BS" => AttributeValue::Bs(v.as_array()?.iter().map(blob).collect::<Option<_>>()?),
        _ => return None,
    })
}

/// The unprocessed puts of a `BatchWriteItem` answer for `table`, as items.
pub fn unprocessed_puts(answer: &Value, table: &str) -> Option<Vec<Item>> {
    let Some(requests) = answer.get("UnprocessedItems").and_then(|u| u.get(table)) else {
        return Some(Vec::new());
    };
    requests
        .as_array()?
        .iter()
        .map(|r| item(r.get("PutRequest")?.get("Item")?))
        .collect()
}

/// `BatchWriteItem`'s input: puts of `items` into `table`. Serialized straight into the
/// request's body, as are the items in it (no JSON tree built first).
pub struct BatchPut<'a> {
    pub table: &'a str,
    pub items: &'a [Item],
}

impl Serialize for BatchPut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Put<'a> {
            #[serde(rename = "Item")]
            item: WireItem<'a>,
        }
        #[derive(Serialize)]
        struct Request<'a> {
            #[serde(rename = "PutRequest")]
            put: Put<'a>,
        }
        let requests: Vec<Request> = (self.items.iter())
            .map(|i| Request {
                put: Put { item: WireItem(i) },
            })
            .collect();
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("RequestItems", &HashMap::from([(self.table, requests)]))?;
        m.end()
    }
}

/// `PutItem`'s input: `item` into `table` if `condition` holds (`values` fill its
/// placeholders), answering the item that failed it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionalPut<'a> {
    pub table_name: &'a str,
    pub item: WireItem<'a>,
    pub condition_expression: &'a str,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub expression_attribute_values: HashMap<&'a str, Wire<'a>>,
    pub return_values_on_condition_check_failure: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of value goes out as the wire has it and comes back as it went.
    #[test]
    fn every_kind_goes_and_comes_back() {
        let i: Item = HashMap::from([
            ("s".to_string(), AttributeValue::S("é\"x".into())),
            ("n".to_string(), AttributeValue::N("-12.5".into())),
            (
                "b".to_string(),
                AttributeValue::B(Blob::new(vec![0u8, 255, 7])),
            ),
            ("t".to_string(), AttributeValue::Bool(true)),
            ("z".to_string(), AttributeValue::Null(true)),
            (
                "l".to_string(),
                AttributeValue::L(vec![AttributeValue::N("1".into())]),
            ),
            (
                "ss".to_string(),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ),
            ("ns".to_string(), AttributeValue::Ns(vec!["1".into()])),
            (
                "bs".to_string(),
                AttributeValue::Bs(vec![Blob::new(vec![1u8])]),
            ),
        ]);
        let mut outer = i.clone();
        outer.insert("m".to_string(), AttributeValue::M(i));
        let json = serde_json::to_value(WireItem(&outer)).unwrap();
        assert_eq!(json["b"], serde_json::json!({"B": "AP8H"}));
        assert_eq!(json["z"], serde_json::json!({"NULL": true}));
        assert_eq!(json["m"]["M"]["l"], serde_json::json!({"L": [{"N": "1"}]}));
        assert_eq!(item(&json), Some(outer));
        let answer = serde_json::json!({"UnprocessedItems": {"t": [{"PutRequest": {"Item": {"PK": {"S": "a"}}}}]}});
        let back = unprocessed_puts(&answer, "t").unwrap();
        assert_eq!(
            back,
            vec![HashMap::from([(
                "PK".to_string(),
                AttributeValue::S("a".into())
            )])]
        );
        assert_eq!(
            unprocessed_puts(&serde_json::json!({"UnprocessedItems": {}}), "t"),
            Some(vec![])
        );
        // The two inputs, as the wire has them.
        let key = HashMap::from([("PK".to_string(), AttributeValue::S("a".into()))]);
        let batch = BatchPut {
            table: "t",
            items: std::slice::from_ref(&key),
        };
        assert_eq!(
            serde_json::to_value(batch).unwrap(),
            serde_json::json!({"RequestItems": {"t": [{"PutRequest": {"Item": {"PK": {"S": "a"}}}}]}})
        );
        let prev = AttributeValue::N("1".into());
        let put = ConditionalPut {
            table_name: "t",
            item: WireItem(&key),
            condition_expression: "ver = :prev",
            expression_attribute_values: HashMap::from([(":prev", Wire(&prev))]),
            return_values_on_condition_check_failure: "ALL_OLD",
        };
        assert_eq!(
            serde_json::to_value(put).unwrap(),
            serde_json::json!({"TableName": "t", "Item": {"PK": {"S": "a"}},
                "ConditionExpression": "ver = :prev", "ExpressionAttributeValues": {":prev": {"N": "1"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
        );
    }
}
