//! One TLS stack and one trust store for every client of a process: webhook deliveries
//! (reqwest) and, on AWS, DynamoDB and SQS (the SDK's HTTP client) all use rustls on aws-lc,
//! trusting the system's root certificates, read once per process (a Lambda cold start reads
//! them once, not once per client).

use std::sync::OnceLock;

use base64::Engine;
use rustls_pki_types::CertificateDer;

/// The system's root certificates, read on first use.
pub fn roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "a system root certificate could not be read");
        }
        if found.certs.is_empty() {
            tracing::error!("no system root certificates: HTTPS endpoints will fail to verify");
        }
        dedup(found.certs)
    })
}

/// Each root once. The system's store is read from its bundle file and from its directory of
/// single certificates, which on Debian hold the same roots: 285 read for 146 distinct here.
/// Every client that trusts them parses each again (the AWS SDK's two clients, reqwest's), so
/// a duplicate costs a cold start several times over.
fn dedup(mut certs: Vec<CertificateDer<'static>>) -> Vec<CertificateDer<'static>> {
    certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    certs.dedup_by(|a, b| a.as_ref() == b.as_ref());
    certs
}

/// The roots for reqwest.
pub fn reqwest_roots() -> Vec<reqwest::Certificate> {
    roots()
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c).ok())
        .collect()
}

/// The roots as one PEM bundle (what the AWS SDK's trust store takes).
pub fn pem_bundle() -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = String::new();
    for c in roots() {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let text = b64.encode(c.as_ref());
        for line in text.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out.into_bytes()
}

/// The AWS SDK's HTTP client on the same rustls (aws-lc) and the same roots.
#[cfg(feature = "aws")]
pub fn aws_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem_bundle());
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(ctx) => builder.tls_context(ctx).build_https(),
        Err(e) => {
            tracing::warn!(error = %e, "AWS client trust store; using the SDK's defaults");
            builder.build_https()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_system_roots_load_once_and_convert() {
        let roots = super::roots();
        assert!(!roots.is_empty(), "this machine has CA certificates");
        assert!(std::ptr::eq(roots, super::roots()), "read once");
        assert_eq!(super::reqwest_roots().len(), roots.len());
        let pem = String::from_utf8(super::pem_bundle()).unwrap();
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), roots.len());
        let mut distinct: Vec<&[u8]> = roots.iter().map(|c| c.as_ref()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), roots.len(), "each root once");
    }
}
