//! The one error type of Hookline. Every failure maps to a JSON body
//! `{"error": {"code", "message", ...}}` with the right status; bad input is never a 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed request: unparsable JSON, bad query string, bad cursor.
    #[error("{0}")]
    BadRequest(String),
    /// A well-formed request with an invalid field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("a valid API key is required (Authorization: Bearer <key> or X-API-Key)")]
    Unauthorized,
    #[error("this API key lacks the {0} scope")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{what} is larger than the limit of {limit} bytes")]
    PayloadTooLarge { what: &'static str, limit: usize },
    #[error("too many requests")]
    RateLimited,
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    /// Bad configuration: reported at start-up, never to an API caller as such.
    #[error("configuration: {0}")]
    Config(String),
    /// A backend (DynamoDB, SQS, SQLite) failed; details are logged, not returned.
    #[error("backend failure: {0}")]
    Backend(String),
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn backend(e: impl std::fmt::Display) -> Self {
        Error::Backend(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Config(_) | Error::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::Validation { .. } => "validation_failed",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict { code, .. } => code,
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::RateLimited => "rate_limited",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Config(_) | Error::Backend(_) => "internal_error",
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = json!({ "code": self.code(), "message": self.to_string() });
        match &self {
            Error::Validation { field, message } => {
                body["field"] = json!(field);
                body["message"] = json!(message);
            }
            Error::Forbidden(scope) => body["required_scope"] = json!(scope),
            Error::PayloadTooLarge { limit, .. } => body["limit_bytes"] = json!(limit),
            Error::Config(_) | Error::Backend(_) => {
                tracing::error!(error = %self, "request failed");
                body["message"] = json!("internal error; the request may be retried");
            }
            _ => {}
        }
        (status, Json(json!({ "error": body }))).into_response()
    }
}
