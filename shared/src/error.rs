//! The one error type of Hookline, and the one place where failures become HTTP answers: every
//! failure maps to a JSON body `{"error": {"code", "message", ...}}` with the right status; bad
//! input is never a 500. The store and the queue have errors of their own ([`StoreError`],
//! [`QueueError`]) that callers match on; they turn into this type only at the edge.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::queue::QueueError;
use crate::store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A database or queue service failed; `source` keeps the driver's error for the logs. Shared
/// by [`StoreError::Backend`] and [`QueueError::Backend`].
#[derive(Debug, thiserror::Error)]
#[error("{backend} failed")]
pub struct BackendError {
    pub backend: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl BackendError {
    pub fn new(
        backend: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BackendError {
            backend,
            source: source.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed request: unparsable JSON, bad query string, bad cursor.
    #[error("{0}")]
    BadRequest(String),
    /// A well-formed request with an invalid field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error(
        "a valid API key is required (Authorization: Bearer <key>, Authorization: <key> or X-API-Key)"
    )]
    Unauthorized,
    #[error("this API key lacks the {0} scope")]
    Forbidden(&'static str),
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
    RateLimited(crate::ratelimit::Standing),
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

    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Validation { .. } | Error::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) | Error::InvalidPath(_) | Error::Store(StoreError::NotFound(_)) => {
                StatusCode::NOT_FOUND
            }
            Error::Conflict { .. }
            | Error::Store(
                StoreError::VersionConflict
                | StoreError::CapReached { .. }
                | StoreError::Duplicate(_)
                | StoreError::AlreadyRecorded,
            ) => StatusCode::CONFLICT,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Error::DigestMismatch(_) => StatusCode::BAD_REQUEST,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Config(_) | Error::Store(StoreError::Backend(_)) | Error::Queue(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::Validation { .. } | Error::Fields(_) => "validation_failed",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) | Error::InvalidPath(_) | Error::Store(StoreError::NotFound(_)) => {
                "not_found"
            }
            Error::Conflict { code, .. } => code,
            Error::Store(StoreError::VersionConflict) => "concurrent_update",
            Error::Store(StoreError::CapReached { .. }) => "webhook_limit_reached",
            Error::Store(StoreError::Duplicate(what)) => what.exists_code(),
            Error::Store(StoreError::AlreadyRecorded) => "delivery_changed",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::RateLimited(_) => "rate_limited",
            Error::IdempotencyMismatch => "idempotency_key_mismatch",
            Error::DigestMismatch(_) => "content_digest_mismatch",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Config(_) | Error::Store(StoreError::Backend(_)) | Error::Queue(_) => {
                "internal_error"
            }
        }
    }

    fn is_internal(&self) -> bool {
        self.status() == StatusCode::INTERNAL_SERVER_ERROR
    }
}

impl Error {
    /// The `error` object of an answer: `code`, `message` and, where they apply, `field`,
    /// `required_scope`, `limit_bytes`. Internal errors are logged here with their cause and
    /// say only that the request may be retried.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({ "code": self.code(), "message": self.to_string() });
        match self {
            Error::Validation { field, message } => {
                body["field"] = json!(field);
                body["message"] = json!(message);
                body["errors"] = json!([{"field": field, "code": "invalid", "message": message}]);
            }
            Error::Fields(fields) => {
                // `field` names the first, as a single validation error does.
                body["field"] = json!(fields[0].0);
                body["errors"] = fields
                    .iter()
                    .map(|(field, message)| {
                        json!({"field": field, "code": "invalid", "message": message})
                    })
                    .collect();
            }
            Error::Forbidden(scope) => body["required_scope"] = json!(scope),
            Error::PayloadTooLarge { limit, .. } => body["limit_bytes"] = json!(limit),
            e if e.is_internal() => {
                // The whole chain goes to the log; the caller learns only that it may retry.
                tracing::error!(error = %crate::error::chain(e), "request failed");
                body["message"] = json!("internal error; the request may be retried");
            }
            _ => {}
        }
        body
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut res = (self.status(), Json(json!({ "error": self.body() }))).into_response();
        if let Error::RateLimited(s) = &self {
            let h = res.headers_mut();
            for (name, value) in s.headers() {
                h.insert(name, value);
            }
            h.insert("retry-after", s.reset.max(1).into());
        }
        res
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
