//! Idempotency keys in the store, so that every instance sees them: the first request with a
//! key claims it while it runs, then keeps its answer for 24 hours; a repeat of the same request
//! (same hash) gets that answer; another request with the key is refused; a repeat while the
//! first runs is a 409. A server error's answer is not kept: the claim is released.

use crate::backend::Hookline;
use crate::error::{Error, Result};
use crate::model::Timestamp;
use crate::store::IdempotencyRecord;

/// How long a key is kept after its answer.
const KEEP_SECS: i64 = 24 * 3600;
/// How long a claim holds while its request runs (longer than any request may take; a
/// process that dies mid-request frees the key after this).
const CLAIM_SECS: i64 = 120;

/// What a request with a key does.
pub enum Claimed {
    /// The key is new (or expired): the request runs, and its answer is kept.
    Run,
    /// The same request ran before: its answer, again.
    Replay { status: u16, body: String },
}

/// Claims `key` for a request whose method, path, query and body hash to `hash`.
pub async fn claim(app: &Hookline, key: &str, hash: &str, now: Timestamp) -> Result<Claimed> {
    let now = now.timestamp();
    let claim = IdempotencyRecord {
        hash: hash.to_string(),
        answer: None,
    };
    match app
        .store
        .claim_idempotency(key, &claim, now, now + CLAIM_SECS)
        .await?
    {
        None => Ok(Claimed::Run),
        Some(IdempotencyRecord { answer: None, .. }) => Err(Error::Conflict {
            code: "idempotency_key_in_use",
            message: "a request with this Idempotency-Key is still running; retry shortly".into(),
        }),
        Some(held) if held.hash != hash => Err(Error::IdempotencyMismatch),
        Some(IdempotencyRecord {
            answer: Some((status, body)),
            ..
        }) => Ok(Claimed::Replay { status, body }),
    }
}

/// Frees a claim whose request failed on the server's side, so that a retry runs again. A
/// failure here only delays that retry until the claim expires: logged, not answered.
pub async fn release(app: &Hookline, key: &str) {
    if let Err(e) = app.store.release_idempotency(key).await {
        tracing::warn!(error = %crate::error::chain(&e), "could not release an idempotency key");
    }
}

/// Keeps the answer of a claimed request (claimed at `claimed_at`) for 24 hours. A failure is
/// logged: the request has run and is answered either way.
pub async fn complete(
    app: &Hookline,
    key: &str,
    hash: String,
    answer: (u16, String),
    claimed_at: Timestamp,
) {
    let done = IdempotencyRecord {
        hash,
        answer: Some(answer),
    };
    let until = claimed_at.timestamp() + KEEP_SECS;
    if let Err(e) = app.store.complete_idempotency(key, &done, until).await {
        tracing::warn!(error = %crate::error::chain(&e), "could not keep an idempotent answer");
    }
}
