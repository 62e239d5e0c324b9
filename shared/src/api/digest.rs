//! `Content-Digest` (RFC 9530): when a request carries one, its `sha-256` and `sha-512`
//! digests are checked against the body, on every route and whatever the authentication; a
//! mismatch is 400 `content_digest_mismatch` and the request goes no further. Algorithms
//! other than those two are ignored, as the RFC says; a header naming none of them checks
//! nothing. (Signed requests, RFC 9421, cover this header, which is how a body is signed.)

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256, Sha512};

use super::extract::buffer_body;
use crate::backend::Hookline;
use crate::error::{Error, Result};

pub const HEADER: &str = "content-digest";

pub async fn layer(State(app): State<Hookline>, req: Request, next: Next) -> Response {
    match check(&app, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(app: &Hookline, req: Request) -> Result<Request> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(req);
    };
    let digests = parse(
        value
            .to_str()
            .map_err(|_| Error::BadRequest("Content-Digest is not ASCII".into()))?,
    )?;
    let (parts, body) = req.into_parts();
    let bytes = buffer_body(app, body).await?;
    for (alg, expected) in digests {
        let actual = match alg.as_str() {
            "sha-256" => Sha256::digest(&bytes).to_vec(),
            "sha-512" => Sha512::digest(&bytes).to_vec(),
            _ => continue,
        };
        if actual != expected {
            return Err(Error::DigestMismatch(alg));
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The `algorithm=:base64:` members of the header (a structured-field dictionary of byte
/// sequences); 400 for a malformed one.
pub fn parse(header: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let bad = |why: &str| Error::BadRequest(format!("Content-Digest: {why}"));
    let mut out = Vec::new();
    for member in header.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (alg, value) = member
            .split_once('=')
            .ok_or_else(|| bad("each member is algorithm=:base64:"))?;
        let b64 = value
            .trim()
            .strip_prefix(':')
            .and_then(|v| v.strip_suffix(':'))
            .ok_or_else(|| bad("a digest is a byte sequence, :base64:"))?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| bad("a digest is not valid base64"))?;
        out.push((alg.trim().to_ascii_lowercase(), bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rfc_example_and_refuses_malformed_headers() {
        // RFC 9530, section 2: the digest of {"hello": "world"}
        let d = parse("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:").unwrap();
        assert_eq!(d[0].0, "sha-256");
        assert_eq!(d[0].1, Sha256::digest(b"{\"hello\": \"world\"}").to_vec());
        let two = parse("sha-512=:YQ==:, unixsum=:YQ==:").unwrap();
        assert_eq!(two.len(), 2);
        for bad in ["sha-256", "sha-256=abc", "sha-256=:not base64!:"] {
            assert!(matches!(parse(bad), Err(Error::BadRequest(_))), "{bad}");
        }
    }
}
