//! Item codecs: entities are kept as a JSON `doc` beside the key attributes and the few
//! attributes that conditions and filters read (`ver`, `n`, `st`, `lt`, `expires_at`).

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::be;
use super::keys::*;
use crate::model::{ApiKey, Delivery, Event, EventType, Webhook};
use crate::store::StoreResult;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

fn doc<T: Serialize>(v: &T) -> StoreResult<AttributeValue> {
    serde_json::to_string(v).map(AttributeValue::S).map_err(be)
}

/// Documents this long or longer are worth compressing: below it, DEFLATE's framing eats the
/// gain, and the item fits one write unit anyway.
const COMPRESS_FROM: usize = 512;
/// The largest document a compressed one may inflate to (DynamoDB items are at most 400 KB).
const MAX_INFLATED: usize = 4 * 1024 * 1024;

/// The document of an event or a delivery, the large items of the first-try path: JSON
/// compressed with raw DEFLATE in a binary `docz` when that is smaller (JSON shrinks to a
/// third or so, so a 1 KB event fits one write unit), else plain in `doc`. The item is always
/// written whole (a put), so it never holds both.
pub fn insert_doc<T: Serialize>(item: &mut Item, v: &T) -> StoreResult<()> {
    let json = serde_json::to_string(v).map_err(be)?;
    if json.len() >= COMPRESS_FROM {
        let z = deflate(json.as_bytes());
        if z.len() < json.len() {
            item.insert("docz".into(), AttributeValue::B(Blob::new(z)));
            return Ok(());
        }
    }
    item.insert("doc".into(), AttributeValue::S(json));
    Ok(())
}

/// Raw DEFLATE, as `docz` holds it.
pub fn deflate(json: &[u8]) -> Vec<u8> {
    #[cfg(test)]
    tests::DEFLATES.with(|d| d.set(d.get() + 1));
    super::deflate::deflate(json)
}

/// An item's size as DynamoDB bills it: each attribute's name and value (a number at about
/// one byte per two digits, plus one).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, v)| {
            name.len()
                + match v {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::B(b) => b.as_ref().len(),
                    AttributeValue::N(x) => x.trim_start_matches('-').len().div_ceil(2) + 1,
                    _ => 8,
                }
        })
        .sum()
}

/// What DynamoDB bills one write unit for.
pub const WRITE_UNIT: usize = 1024;

/// What a page leaves unused of its write unit: DynamoDB documents the size of a number as
/// approximate, and a byte over the unit would double the write.
const MARGIN: usize = 16;

/// The bytes a page's document may take in an item whose other attributes are `template`'s.
pub fn page_budget(template: &Item) -> usize {
    WRITE_UNIT.saturating_sub(item_size(template) + MARGIN)
}

/// A page that fits is taken as it is when the line puts one document more over the budget by
/// more than this share of what that document adds; nearer, a deflate proves it. Proving took
/// a deflate of the whole page and the document, the largest of a batch's deflates (ten 1 KB
/// events in pages of eight and two: three deflates of 16 KB, 7.6 KB of them only to prove
/// the first page's end). For alike documents the line misses by a few bytes where one document
/// more adds some 80 (the unit tests' invoices: 989 guessed and 986 to 990 deflated against a
/// budget of 950, after a page of 906); a page ends a document short only when the line
/// overstates that document's cost by more than this share.
const PROVE_WITHIN: f64 = 0.25;

/// A page's line: (its JSON bytes, its deflated bytes), and deflated bytes per JSON byte beyond.
pub type Line = ((f64, f64), f64);

/// Documents (JSON texts) split into pages whose deflated arrays fit `budget` bytes each, in
/// order: a page grows while the next document still fits, deflated with the others (similar
/// documents deflate far better together than apart); one too large alone gets a page of its
/// own. Answers each page's documents and its deflated array.
///
/// A page's length is searched for, not grown: the next candidate is the longest that the
/// deflates made so far say fits, kept between the longest known to fit and the shortest
/// known not to, and a page is done when those two are adjacent, or when it fits and the line
/// puts one document more clearly over the budget ([`PROVE_WITHIN`]: one deflate when the
/// guess is right). The guess is a line through the two deflates nearest it: how many bytes the
/// documents cost together, and how many each JSON byte more adds. Alike documents cost far
/// less each than the first, so a plain ratio undershot page after page (a batch of ten
/// 1 KB events: seven deflates of 2 to 8 KB for its first page of seven; growing one at a
/// time, before that, deflated every prefix). A page's first guess takes the line of the
/// page before. The search assumes what growing assumed: a longer array never deflates
/// smaller than a prefix of it.
///
/// The first page's guess takes the line `last` holds (the last page a packing of the same
/// kind of documents found), which this packing leaves holding its own. A process packs batch
/// after batch of alike documents (one platform's events): the last batch's line finds the
/// first page's end at once, where a guess from nothing (a third of the JSON) deflated two or
/// three shorter arrays on the way (ten 1 KB events in two pages: five deflates of 22.8 KB in
/// all from nothing, three of 16 KB with the line). A line that misleads costs a deflate
/// more, never a page: what fits is still found by deflating.
pub fn pack(
    jsons: &[String],
    budget: usize,
    last: &Cell<Option<Line>>,
) -> Vec<(Range<usize>, Vec<u8>)> {
    let array = |r: Range<usize>| format!("[{}]", jsons[r].join(","));
    let raw = |r: Range<usize>| jsons[r].iter().map(|j| j.len() + 1).sum::<usize>() + 1;
    let mut out = Vec::new();
    // The previous page's line: (its JSON bytes, its deflated bytes) and deflated bytes per
    // JSON byte beyond.
    let mut before: Option<Line> = last.get();
    let mut start = 0;
    while start < jsons.len() {
        // `fits`: the longest end known to fit, with its deflated array (a page holds at least
        // one document, fitting or not); `over`: the shortest end known not to.
        let mut fits: Option<(usize, Vec<u8>)> = None;
        let mut over = jsons.len() + 1;
        // This page's deflates: (JSON bytes, deflated bytes).
        let mut seen: Vec<(f64, f64)> = Vec::new();
        loop {
            let lo = fits.as_ref().map_or(start, |(e, _)| *e);
            if lo + 1 >= over {
                break;
            }
            let line = guide(&seen, before);
            let guess = |json: usize| {
                let json = json as f64;
                match line {
                    Some(((x, y), slope)) => y + slope * (json - x),
                    // JSON shrinks to a third or so, until a deflate says better.
                    None => json / 3.0,
                }
            };
            // A page that fits, where the line puts one document more clearly over: taken
            // without deflating that document more to prove it (see [`PROVE_WITHIN`]).
            if let Some((_, z)) = &fits {
                let next = guess(raw(start..lo + 1));
                if next - budget as f64 > (next - z.len() as f64) * PROVE_WITHIN {
                    break;
                }
            }
            let mut end = lo + 1;
            while end + 1 < over && guess(raw(start..end + 1)) <= budget as f64 {
                end += 1;
            }
            let z = deflate(array(start..end).as_bytes());
            seen.push((raw(start..end) as f64, z.len() as f64));
            if z.len() <= budget || end == start + 1 {
                fits = Some((end, z));
            } else {
                over = end;
            }
        }
        before = guide(&seen, None).filter(|_| seen.len() > 1).or(before);
        let (end, z) = fits.expect("a page holds at least its first document");
        out.push((start..end, z));
        start = end;
    }
    last.set(before);
    out
}

/// The line a page's search guesses by: through this page's two deflates nearest the end of
/// what it has (or through its one, with the slope of `before`, or its ratio); `before` alone
/// for a page not yet deflated. Deflated bytes per JSON byte are kept above 1/50, so a guess
/// never takes the rest of a batch for free.
fn guide(seen: &[(f64, f64)], before: Option<Line>) -> Option<Line> {
    const LEAST: f64 = 0.02;
    let mut last: Vec<(f64, f64)> = seen.to_vec();
    last.sort_by(|a, b| a.0.total_cmp(&b.0));
    match (last.as_slice(), before) {
        ([.., a, b], _) => Some((*b, ((b.1 - a.1) / (b.0 - a.0)).max(LEAST))),
        ([a], Some((_, slope))) => Some((*a, slope)),
        ([a], None) => Some((*a, (a.1 / a.0).max(LEAST))),
        ([], before) => before,
    }
}

/// The entity an item holds: its plain `doc`, or its compressed `docz` (items written before
/// compression have only the former, and still read).
pub fn from_item<T: DeserializeOwned>(item: &Item) -> StoreResult<T> {
    if let Some(z) = item.get("docz").and_then(|v| v.as_b().ok()) {
        let json = super::deflate::inflate(z.as_ref(), MAX_INFLATED)
            .map_err(|e| be(format!("a compressed document that does not inflate: {e}")))?;
        return serde_json::from_slice(&json).map_err(be);
    }
    let raw = item
        .get("doc")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| be("item without doc"))?;
    serde_json::from_str(raw).map_err(be)
}

pub fn client_key_item(k: &crate::model::ClientKey) -> StoreResult<Item> {
    let mut item = key(client_key_pk(&k.key_id), CLIENT_KEY_SK);
    item.insert("GSI1PK".into(), s(tenant_client_keys_pk(&k.tenant_id)));
    item.insert("GSI1SK".into(), s(k.key_id.as_str()));
    item.insert("doc".into(), doc(k)?);
    Ok(item)
}

pub fn archived_attempt_item(d: &Delivery, a: &crate::model::ArchivedAttempt) -> StoreResult<Item> {
    let mut item = key(delivery_pk(&d.tenant_id, &d.id), attempt_sk(a.number));
    item.insert("doc".into(), doc(a)?);
    item.insert(TTL_ATTRIBUTE.into(), n(d.expires_at.timestamp()));
    Ok(item)
}

pub fn keyring_item(r: &crate::model::Keyring) -> StoreResult<Item> {
    let mut item = key(tenant_pk(&r.tenant_id), KEYRING_SK);
    item.insert("doc".into(), doc(r)?);
    item.insert("ver".into(), n(r.version));
    Ok(item)
}

pub fn tenant_settings_item(t: &crate::model::TenantSettings) -> StoreResult<Item> {
    let mut item = key(tenant_pk(&t.tenant_id), SETTINGS_SK);
    item.insert("doc".into(), doc(t)?);
    item.insert("ver".into(), n(t.version));
    Ok(item)
}

pub fn partner_item(p: &crate::model::Partner) -> StoreResult<Item> {
    let mut item = key(partner_pk(&p.id), PARTNER_SK);
    item.insert("GSI2PK".into(), s(kind_pk(ALL_PARTNERS, p.id.as_str())));
    item.insert("GSI2SK".into(), s(p.id.as_str()));
    item.insert("doc".into(), doc(p)?);
    item.insert("ver".into(), n(p.version));
    Ok(item)
}

pub fn idempotency_item(
    k: &str,
    r: &crate::store::IdempotencyRecord,
    expires: i64,
) -> StoreResult<Item> {
    let mut item = key(idempotency_pk(k), IDEMPOTENCY_SK);
    item.insert("doc".into(), doc(r)?);
    item.insert(TTL_ATTRIBUTE.into(), n(expires));
    Ok(item)
}

pub fn api_key_item(k: &ApiKey) -> StoreResult<Item> {
    let mut item = key(api_key_pk(&k.id), API_KEY_SK);
    item.insert("GSI1PK".into(), s(tenant_keys_pk(&k.tenant_id)));
    item.insert("GSI1SK".into(), s(k.id.as_str()));
    item.insert("GSI2PK".into(), s(kind_pk(ALL_KEYS, k.id.as_str())));
    item.insert("GSI2SK".into(), s(k.id.as_str()));
    item.insert("doc".into(), doc(k)?);
    // A short-lived key (a portal session) is removed by the table's TTL a day after it ends.
    if let Some(t) = k.expires_at {
        item.insert(TTL_ATTRIBUTE.into(), n(t.timestamp() + 86_400));
    }
    Ok(item)
}

pub fn webhook_item(wh: &Webhook) -> StoreResult<Item> {
    let mut item = key(tenant_pk(&wh.tenant_id), webhook_sk(&wh.id));
    item.insert("GSI2PK".into(), s(kind_pk(ALL_WEBHOOKS, wh.id.as_str())));
    item.insert("GSI2SK".into(), s(wh.id.as_str()));
    item.insert("ver".into(), n(wh.version));
    if let Some(lt) = wh.last_triggered_at {
        item.insert("lt".into(), n(lt.timestamp_millis()));
    }
    item.insert("health".into(), doc(&wh.health)?);
    item.insert("hrev".into(), n(wh.health.rev));
    item.insert("doc".into(), doc(wh)?);
    Ok(item)
}

pub fn webhook_from_item(item: &Item) -> StoreResult<Webhook> {
    let mut wh: Webhook = from_item(item)?;
    // `health` is written by put_health without rewriting the doc.
    if let Some(h) = item.get("health").and_then(|v| v.as_s().ok()) {
        wh.health = serde_json::from_str(h).map_err(be)?;
    }
    // `lt` is written by touch_webhook without rewriting the doc.
    if let Some(lt) = item
        .get("lt")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
    {
        let at = chrono::DateTime::from_timestamp_millis(lt);
        if at > wh.last_triggered_at {
            wh.last_triggered_at = at;
        }
    }
    Ok(wh)
}

pub fn event_type_item(et: &EventType) -> StoreResult<Item> {
    let mut item = key(CATALOG_PK, event_type_sk(&et.name));
    item.insert("doc".into(), doc(et)?);
    Ok(item)
}

pub fn event_item(ev: &Event) -> StoreResult<Item> {
    let mut item = key(event_pk(&ev.tenant_id, &ev.id), EVENT_SK);
    item.insert(TTL_ATTRIBUTE.into(), n(ev.expires_at.timestamp()));
    insert_doc(&mut item, ev)?;
    Ok(item)
}

pub fn delivery_item(d: &Delivery, shards: u32) -> StoreResult<Item> {
    let (pk, sk) = delivery_key(&d.tenant_id, &d.webhook_id, &d.id, shards);
    let mut item = key(pk, sk);
    item.insert("st".into(), s(d.status.as_str()));
    item.insert("n".into(), n(d.attempt_count()));
    item.insert(TTL_ATTRIBUTE.into(), n(d.expires_at.timestamp()));
    insert_doc(&mut item, d)?;
    Ok(item)
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;
