//! The one place where failures become HTTP answers: every error maps to a JSON body
//! `{"error": {"code", "message", ...}}` with the right status; bad input is never a 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;
use crate::queue::QueueError;
use crate::store::StoreError;

impl Error {
    pub fn status(&self) -> StatusCode {
        if self.unavailable() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        match self {
            Error::BadRequest(_) | Error::BadParameter { .. } => StatusCode::BAD_REQUEST,
            Error::Validation { .. } | Error::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::NotForSessions(_) => StatusCode::FORBIDDEN,
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
        if self.unavailable() {
            return "unavailable";
        }
        match self {
            Error::BadRequest(_) | Error::BadParameter { .. } => "bad_request",
            Error::Validation { .. } | Error::Fields(_) => "validation_failed",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden(_) | Error::NotForSessions(_) => "forbidden",
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

    /// The store or queue refused the call for now (full, throttled): a 503 to retry after a
    /// moment, not a 500.
    fn unavailable(&self) -> bool {
        match self {
            Error::Store(StoreError::Backend(b)) | Error::Queue(QueueError::Backend(b)) => {
                b.unavailable
            }
            _ => false,
        }
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
            Error::BadParameter { field, message } => {
                body["field"] = json!(field);
                body["message"] = json!(format!("invalid query parameter `{field}`: {message}"));
            }
            Error::Forbidden(scope) => body["required_scope"] = json!(scope),
            Error::PayloadTooLarge { limit, .. } => body["limit_bytes"] = json!(limit),
            e if e.unavailable() => {
                tracing::warn!(error = %crate::error::chain(e), "request refused for now");
                body["message"] = json!(
                    "storage is out of room or busy for now; the request may be retried shortly"
                );
            }
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
        if self.unavailable() {
            res.headers_mut().insert("retry-after", 1.into());
        }
        res
    }
}
