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
