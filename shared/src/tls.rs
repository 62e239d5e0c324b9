//! One TLS stack and one trust store for every client of a process: webhook deliveries and,
//! on AWS, DynamoDB and SQS (`aws_http`) all go through reqwest on rustls with aws-lc,
//! trusting the system's root certificates, read once per process (a Lambda cold start reads
//! them once, not once per client).

use std::sync::OnceLock;

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
/// Every client that trusts them parses each again (the delivery client, the AWS SDK's), so a
/// duplicate costs a cold start several times over.
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_system_roots_load_once_and_convert() {
        let roots = super::roots();
        assert!(!roots.is_empty(), "this machine has CA certificates");
        assert!(std::ptr::eq(roots, super::roots()), "read once");
        assert_eq!(super::reqwest_roots().len(), roots.len());
        let mut distinct: Vec<&[u8]> = roots.iter().map(|c| c.as_ref()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), roots.len(), "each root once");
    }
}
