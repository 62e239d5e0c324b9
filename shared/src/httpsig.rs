//! HTTP message signature primitives (RFC 9421) and content digests (RFC 9530), shared by the
//! verifier of signed API requests ([`crate::auth::signature`]) and the signer of deliveries
//! ([`crate::signing`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// `sha-256=:<base64>:`, the `Content-Digest` of `body`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// The signature base (RFC 9421 §2.5): each covered component and its value, then the
/// signature parameters as they appear in `Signature-Input`.
pub fn signature_base<'a>(
    components: impl IntoIterator<Item = (&'a str, &'a str)>,
    params: &str,
) -> String {
    let mut base = String::new();
    for (name, value) in components {
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    base
}

/// The inner list and parameters of a signature, e.g.
/// `("@method" "@target-uri");created=1618884473;keyid="k1";alg="ed25519"`.
pub fn signature_params(components: &[&str], created: i64, key_id: &str, alg: &str) -> String {
    let list: Vec<String> = components.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "({});created={created};keyid=\"{key_id}\";alg=\"{alg}\"",
        list.join(" ")
    )
}

/// One member of a structured-field dictionary, as written: its label and raw value.
pub fn members(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0i32, false, false, 0usize);
    let bytes = header.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if quoted {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                out.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&header[start..]);
    out.into_iter()
        .filter_map(|m| {
            let (label, value) = m.trim().split_once('=')?;
            Some((label.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

/// A parsed signature input: the covered components and the parameters.
#[derive(Debug, Default)]
pub struct Input {
    pub components: Vec<String>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub keyid: Option<String>,
    pub nonce: Option<String>,
    pub alg: Option<String>,
}

/// Parses `("@method" "@target-uri");created=1;keyid="k"` (strings as components; parameter
/// values as integers or strings).
pub fn parse_input(raw: &str) -> Result<Input, &'static str> {
    let raw = raw.trim();
    let rest = raw
        .strip_prefix('(')
        .ok_or("Signature-Input: an inner list expected")?;
    let close = rest
        .find(')')
        .ok_or("Signature-Input: unclosed inner list")?;
    let mut input = Input::default();
    for item in rest[..close].split_whitespace() {
        let name = item
            .strip_prefix('"')
            .and_then(|i| i.strip_suffix('"'))
            .ok_or("Signature-Input: components are strings")?;
        input.components.push(name.to_string());
    }
    for param in rest[close + 1..]
        .split(';')
        .filter(|p| !p.trim().is_empty())
    {
        let (k, v) = param
            .trim()
            .split_once('=')
            .ok_or("Signature-Input: parameter without a value")?;
        let string = || {
            v.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .map(str::to_string)
                .ok_or("Signature-Input: a string parameter expected")
        };
        let int = || {
            v.parse::<i64>()
                .map_err(|_| "Signature-Input: an integer parameter expected")
        };
        match k {
            "created" => input.created = Some(int()?),
            "expires" => input.expires = Some(int()?),
            "keyid" => input.keyid = Some(string()?),
            "nonce" => input.nonce = Some(string()?),
            "alg" => input.alg = Some(string()?),
            _ => {}
        }
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_and_base_follow_the_rfcs() {
        // RFC 9530 Appendix B: the digest of `{"hello": "world"}`.
        assert_eq!(
            content_digest(b"{\"hello\": \"world\"}"),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
        let params = signature_params(&["@method", "webhook-id"], 1618884473, "k1", "ed25519");
        assert_eq!(
            params,
            "(\"@method\" \"webhook-id\");created=1618884473;keyid=\"k1\";alg=\"ed25519\""
        );
        assert_eq!(
            signature_base([("@method", "POST"), ("webhook-id", "evt_1")], &params),
            format!("\"@method\": POST\n\"webhook-id\": evt_1\n\"@signature-params\": {params}")
        );
    }
}
