//! Request extractors that answer every rejection with the API's JSON error: bodies (naming the
//! field that failed), query strings and typed path ids.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::backend::Hookline;
use crate::error::{Error, Result};

/// The largest request body accepted: the payload limit and room for the envelope.
pub fn request_body_limit(app: &Hookline) -> usize {
    app.config.max_payload_bytes + 64 * 1024
}

/// Reads a whole request body in a middleware (which must hand it on); 413 over the limit.
pub async fn buffer_body(app: &Hookline, body: axum::body::Body) -> Result<Bytes> {
    let limit = request_body_limit(app);
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Error::PayloadTooLarge {
            what: "the request body",
            limit,
        })
}

/// Reads a request body; 413 over the limit.
async fn read_body(req: Request, app: &Hookline) -> Result<Bytes> {
    Bytes::from_request(req, app).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge {
                what: "the request body",
                limit: request_body_limit(app),
            }
        } else {
            Error::BadRequest(format!("could not read the request body: {e}"))
        }
    })
}

/// A JSON body: 400 for malformed JSON, 422 naming the field for a well-formed body with a
/// wrong field, 413 over the size limit. The content type is not required.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Hookline> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Hookline) -> Result<Self> {
        parse_json(&read_body(req, app).await?).map(ApiJson)
    }
}

/// A JSON body that may be left out entirely, or be `null` (then `T::default()`): the
/// contract declares such a body optional, and a generated client sends `null` for "none".
pub struct ApiJsonOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<Hookline> for ApiJsonOrDefault<T> {
    type Rejection = Error;

    async fn from_request(req: Request, app: &Hookline) -> Result<Self> {
        let bytes = read_body(req, app).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ApiJsonOrDefault(T::default()));
        }
        parse_json::<Option<T>>(&bytes).map(|t| ApiJsonOrDefault(t.unwrap_or_default()))
    }
}

/// Parses a JSON body; a type error names the field where it happened (`since`,
/// `events[2]`), or `body` when the body as a whole has the wrong shape.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("a JSON body is required".into()));
    }
    // Tracking the path costs an allocation per key of the body (a batch of events with their
    // data: hundreds): a body that parses needs no path, and one that does not is parsed
    // again, with it, for the error (parsing is deterministic: the same error, now placed).
    if let Ok(parsed) = serde_json::from_slice(bytes) {
        return Ok(parsed);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." {
                    "body".to_string()
                } else {
                    path
                };
                Error::validation(field, without_position(&inner))
            }
            _ => Error::BadRequest(format!("malformed JSON: {inner}")),
        }
    })
}

/// serde_json's message without " at line 1 column 17": the field is named separately.
fn without_position(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// Query parameters; a malformed one is a 400 that names it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = e.into_inner().to_string();
                // An unknown parameter has no path (the listing's type refuses it as a whole).
                match field.as_str() {
                    "" | "." => Error::BadRequest(format!("invalid query string: {message}")),
                    _ => Error::BadParameter { field, message },
                }
            })
    }
}

/// Path parameters as typed ids: an id that cannot exist (wrong prefix, bad characters, not
/// UTF-8) answers 404 with the reason, like an unknown one.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(ApiPath(p.0)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                Err(Error::InvalidPath(e.body_text()))
            }
            Err(e) => Err(Error::BadRequest(e.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::Patch;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct In {
        #[serde(default)]
        description: Patch<String>,
        #[allow(dead_code)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        #[allow(dead_code)]
        #[serde(default)]
        events: Vec<String>,
    }

    #[test]
    fn type_errors_name_the_field() {
        let e = parse_json::<In>(br#"{"since": "yesterday"}"#).unwrap_err();
        assert!(
            matches!(&e, Error::Validation { field, message } if field == "since" && !message.contains("line")),
            "{e:?}"
        );
        let e = parse_json::<In>(br#"{"events": ["a", 3]}"#).unwrap_err();
        assert!(
            matches!(&e, Error::Validation { field, .. } if field == "events[1]"),
            "{e:?}"
        );
        let e = parse_json::<In>(br#""text""#).unwrap_err();
        assert!(
            matches!(&e, Error::Validation { field, .. } if field == "body"),
            "{e:?}"
        );
        let e = parse_json::<In>(br#"{"since": "#).unwrap_err();
        assert!(matches!(e, Error::BadRequest(_)), "{e:?}");
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let p = |s: &str| parse_json::<In>(s.as_bytes()).unwrap().description;
        assert_eq!(p("{}"), Patch::Absent);
        assert_eq!(p(r#"{"description": null}"#), Patch::Null);
        assert_eq!(p(r#"{"description": "x"}"#), Patch::Value("x".into()));
    }
}
