//! Rate limits per principal (an API key, a token's subject), counted in the store so that
//! every Lambda instance and every local process shares one count: fixed one-minute windows,
//! one counter per principal and window, expiring soon after.
//!
//! Classes: `PATCH` requests (default 100 a minute), publishing (default off) and every other
//! authenticated request (default 50 a minute); 0 turns a class off, and then it costs no write.
//! Over the limit: 429 with `Retry-After`; every limited answer carries `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window ends).

use std::sync::{Arc, Mutex};

use axum::http::{Method, request::Parts};

use crate::backend::Hookline;
use crate::error::{Error, Result};

const WINDOW_SECS: i64 = 60;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Management,
    Patch,
    Publish,
}

impl Class {
    pub fn of(parts: &Parts) -> Class {
        let path = parts.uri.path();
        if parts.method == Method::PATCH {
            Class::Patch
        } else if parts.method == Method::POST
            && (path == "/v1/events" || path == "/v1/events/batch")
        {
            Class::Publish
        } else {
            Class::Management
        }
    }

    fn limit(self, app: &Hookline) -> u64 {
        let c = &app.config;
        match self {
            Class::Management => c.rate_limit_per_minute,
            Class::Patch => c.rate_limit_patch_per_minute,
            Class::Publish => c.rate_limit_publish_per_minute,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::Management => "api",
            Class::Patch => "patch",
            Class::Publish => "publish",
        }
    }
}

pub use crate::error::Standing;

/// Counts one request of `principal`; `RateLimited` when it is over its class's limit, else
/// its standing (`None` when the class is off).
pub async fn count(app: &Hookline, principal: &str, class: Class) -> Result<Option<Standing>> {
    let limit = class.limit(app);
    if limit == 0 {
        return Ok(None);
    }
    let now = app.clock.now().timestamp();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let reset = (window + WINDOW_SECS - now) as u64;
    let key = format!("{}:{principal}", class.name());
    // Kept a window longer than needed: a little clock skew between instances changes nothing.
    let n = app
        .store
        .count_request(&key, window, window + 2 * WINDOW_SECS)
        .await?;
    let standing = Standing {
        limit,
        remaining: limit.saturating_sub(n),
        reset,
    };
    if n > limit {
        return Err(Error::RateLimited(standing));
    }
    Ok(Some(standing))
}

/// Carries a request's standing from the authorization extractor to the answer's headers (the
/// router's `rate_limit_headers` layer puts one in every request).
#[derive(Clone, Default)]
pub struct Slot(Arc<Mutex<Option<Standing>>>);

impl Slot {
    pub fn set(&self, s: Standing) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(s);
    }

    pub fn take(&self) -> Option<Standing> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Adds the `RateLimit-*` headers to answers of requests that counted against a limit.
pub async fn headers_layer(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let slot = Slot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(s) = slot.take() {
        for (name, value) in s.headers() {
            res.headers_mut().entry(name).or_insert(value);
        }
    }
    res
}
