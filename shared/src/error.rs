//! The one error type of Hookline. The store and the queue have errors of their own
//! ([`StoreError`], [`QueueError`]) that callers match on; they turn into this type only at the
//! edge. How an error becomes an HTTP answer is the API's business (`api::error`).

use crate::queue::QueueError;
use crate::store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a request stands against its rate limit (carried by [`Error::RateLimited`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the window ends.
    pub reset: u64,
}

impl Standing {
    /// The `RateLimit-*` headers of an answer.
    pub fn headers(&self) -> [(&'static str, http::HeaderValue); 3] {
        [
            ("ratelimit-limit", self.limit.into()),
            ("ratelimit-remaining", self.remaining.into()),
            ("ratelimit-reset", self.reset.into()),
        ]
    }
}

pub use crate::fault::BackendError;

impl From<crate::ids::InvalidField> for Error {
    fn from(e: crate::ids::InvalidField) -> Self {
        Error::Validation {
            field: e.field,
            message: e.message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed request: unparsable JSON, bad query string, bad cursor.
    #[error("{0}")]
    BadRequest(String),
    /// A query parameter that does not parse as its type (400, naming it).
    #[error("{field}: {message}")]
    BadParameter { field: String, message: String },
    /// A well-formed request with an invalid field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error(
        "a valid API key is required (Authorization: Bearer <key>, Authorization: <key> or X-API-Key)"
    )]
    Unauthorized,
    #[error("this API key lacks the {0} scope")]
    Forbidden(&'static str),
    /// What a customer portal session may not do, whatever its scopes (why, in words).
    #[error("a customer portal session cannot do this: {0}")]
    NotForSessions(&'static str),
    /// What was not found (`webhook`, `delivery`, ...).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A path naming something that cannot exist (an id of the wrong kind): not found, and why.
    #[error("not found: {0}")]
    InvalidPath(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{what} is larger than the limit of {limit} bytes")]
    PayloadTooLarge { what: &'static str, limit: usize },
    /// Several invalid fields, each with its message (in the order checked).
    #[error("{} fields are invalid: {}", .0.len(), .0.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(", "))]
    Fields(Vec<(String, String)>),
    /// A `Content-Digest` that does not match the body (the algorithm named).
    #[error("the body does not match its Content-Digest ({0})")]
    DigestMismatch(String),
    /// An `Idempotency-Key` used before with another request (method, path or body).
    #[error("this Idempotency-Key was used with a different request; use a new key")]
    IdempotencyMismatch,
    #[error("too many requests: {} a minute; retry in {} s", .0.limit, .0.reset)]
    RateLimited(Standing),
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    /// Bad configuration: reported at start-up, never to an API caller as such.
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl Error {
    /// The validation errors of `checks` together (a body with three bad fields hears of all
    /// three); the first error of another kind as it is.
    pub fn all(checks: impl IntoIterator<Item = Result<()>>) -> Result<()> {
        let mut fields = Vec::new();
        for c in checks {
            match c {
                Ok(()) => {}
                Err(Error::Validation { field, message }) => fields.push((field, message)),
                Err(Error::Fields(more)) => fields.extend(more),
                Err(e) => return Err(e),
            }
        }
        match fields.len() {
            0 => Ok(()),
            1 => {
                let (field, message) = fields.remove(0);
                Err(Error::Validation { field, message })
            }
            _ => Err(Error::Fields(fields)),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error and its sources, one line: what the logs need of a backend failure.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}
