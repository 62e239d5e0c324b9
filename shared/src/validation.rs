//! Input validation shared by every entry point. Each check names the offending field.

use std::collections::BTreeMap;
use std::net::IpAddr;

use url::{Host, Url};

use crate::error::{Error, Result};

pub const MAX_URL_LEN: usize = 2083;
pub const MAX_DESCRIPTION_LEN: usize = 1000;
pub const MAX_EVENT_NAME_LEN: usize = 255;
pub const MAX_FILTER_ENTRIES: usize = 100;
pub const MAX_ACCOUNT_IDS: usize = 100;
pub const MAX_METADATA_ENTRIES: usize = 20;
pub const MAX_METADATA_KEY_LEN: usize = 64;
pub const MAX_METADATA_VALUE_LEN: usize = 512;
pub const MAX_ID_LEN: usize = 128;

/// Checks a webhook target URL. `https` with a real host name is required; plain `http` and
/// IP-literal or `localhost` hosts are accepted only for loopback targets when private targets
/// are allowed (tests and local demos).
pub fn webhook_url(raw: &str, allow_private: bool) -> Result<Url> {
    let err = |m: &str| Err(Error::validation("url", m));
    if raw.is_empty() {
        return err("is required");
    }
    if raw.len() > MAX_URL_LEN {
        return err(&format!("must be at most {MAX_URL_LEN} bytes"));
    }
    let url = match Url::parse(raw) {
        Ok(u) => u,
        Err(e) => return err(&format!("is not a valid URL ({e})")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return err("must not contain credentials");
    }
    if url.fragment().is_some() {
        return err("must not contain a fragment");
    }
    let loopback =
        loopback_host(&url).ok_or_else(|| Error::validation("url", "must have a host"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private && loopback => {}
        "http" => return err("must use https"),
        other => return err(&format!("scheme {other} is not supported; use https")),
    }
    match url.host() {
        Some(Host::Domain(d)) if !loopback => {
            if !is_public_domain(d) {
                return err("must have a public host name (for example api.example.com)");
            }
        }
        _ if allow_private => {}
        _ => return err("must use a host name, not an IP address or localhost"),
    }
    Ok(url)
}

/// Whether a URL's host is loopback (`localhost`, 127.0.0.0/8, `::1`); `None` without a host.
pub fn loopback_host(url: &Url) -> Option<bool> {
    Some(match url.host()? {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(ip).is_loopback(),
    })
}

/// A DNS name with at least two labels, valid label characters and an alphabetic TLD.
fn is_public_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 || d.len() > 253 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    let tld_ok =
        tld.len() >= 2 && (tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--"));
    tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// An event type name: dot-separated segments of letters, digits, `_` and `-`.
pub fn event_type_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_EVENT_NAME_LEN
        && name.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            format!(
                "{name:?} is not a valid event type (dot-separated letters, digits, _ or -, at most {MAX_EVENT_NAME_LEN} characters)"
            ),
        ))
    }
}

/// An event type a publisher or an operator may name: a valid name outside the `hookline.`
/// prefix, which is Hookline's own (operational events).
pub fn own_event_type(field: &str, name: &str) -> Result<()> {
    event_type_name(field, name)?;
    match crate::model::operational::is_reserved(name) {
        true => Err(Error::validation(
            field,
            format!(
                "the {} prefix is reserved for Hookline's operational events",
                crate::model::operational::RESERVED_PREFIX
            ),
        )),
        false => Ok(()),
    }
}

/// An event filter entry: a type name, `*`, or `prefix.*`.
pub fn event_filter(entries: &[String]) -> Result<()> {
    if entries.len() > MAX_FILTER_ENTRIES {
        return Err(Error::validation(
            "events",
            format!("at most {MAX_FILTER_ENTRIES} entries"),
        ));
    }
    for e in entries {
        if e == "*" {
            continue;
        }
        event_type_name("events", e.strip_suffix(".*").unwrap_or(e))?;
    }
    Ok(())
}

/// A caller-chosen identifier (event id, account id, tenant id).
pub fn identifier(field: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            format!("must be 1 to {MAX_ID_LEN} characters of letters, digits, _ - . or :"),
        ))
    }
}

pub fn account_ids(ids: &[String]) -> Result<()> {
    if ids.len() > MAX_ACCOUNT_IDS {
        return Err(Error::validation(
            "account_ids",
            format!("at most {MAX_ACCOUNT_IDS} entries"),
        ));
    }
    ids.iter().try_for_each(|id| identifier("account_ids", id))
}

pub fn description(d: Option<&str>) -> Result<()> {
    match d {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_LEN => Err(Error::validation(
            "description",
            format!("must be at most {MAX_DESCRIPTION_LEN} characters"),
        )),
        _ => Ok(()),
    }
}

pub fn metadata(m: &BTreeMap<String, String>) -> Result<()> {
    if m.len() > MAX_METADATA_ENTRIES {
        return Err(Error::validation(
            "metadata",
            format!("at most {MAX_METADATA_ENTRIES} entries"),
        ));
    }
    for (k, v) in m {
        if k.is_empty() || k.len() > MAX_METADATA_KEY_LEN {
            return Err(Error::validation(
                "metadata",
                format!("keys must be 1 to {MAX_METADATA_KEY_LEN} bytes (UTF-8)"),
            ));
        }
        if v.len() > MAX_METADATA_VALUE_LEN {
            return Err(Error::validation(
                "metadata",
                format!("value of {k:?} must be at most {MAX_METADATA_VALUE_LEN} bytes (UTF-8)"),
            ));
        }
    }
    Ok(())
}

/// A webhook's own per-attempt timeout: 1 to 30 seconds.
pub fn timeout_seconds(t: u32) -> Result<()> {
    match t {
        1..=30 => Ok(()),
        _ => Err(Error::validation(
            "timeout_seconds",
            format!("must be between 1 and 30, got {t}"),
        )),
    }
}

/// A webhook's delivery rate limit: 1 to 10,000 a second.
pub fn rate_limit(r: u32) -> Result<()> {
    match r {
        1..=10_000 => Ok(()),
        _ => Err(Error::validation(
            "rate_limit",
            format!("must be between 1 and 10000 deliveries a second, got {r}"),
        )),
    }
}

/// A webhook's payload filter: well formed, or a 422 naming where it is not
/// (`filter.data.amount.$gt`).
pub fn payload_filter(f: &crate::model::Filter) -> Result<()> {
    f.check().map_err(|e| {
        let field = match e.path.as_str() {
            "" => "filter".to_string(),
            p => format!("filter.{p}"),
        };
        Error::validation(field, e.message)
    })
}

/// Custom headers a webhook may carry.
pub const MAX_HEADERS: usize = 20;
const MAX_HEADER_VALUE_LEN: usize = 4096;

/// Why a header name is not a webhook's to set, if it is not: Hookline's own (`webhook-*`,
/// signatures, the body's `content-*`), the connection's (`host`, hop-by-hop), and
/// `authorization`, which belongs to the receiver authentication.
fn reserved_header(lower: &str) -> Option<&'static str> {
    const HOP_BY_HOP: &[&str] = &[
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    if lower.starts_with("webhook-") || lower == "signature" || lower == "signature-input" {
        Some("is set by Hookline (signatures)")
    } else if lower.starts_with("content-") {
        Some("describes the body, which Hookline sets")
    } else if lower == "host" || HOP_BY_HOP.contains(&lower) {
        Some("belongs to the connection")
    } else if lower == "authorization" {
        Some("is reserved for receiver authentication")
    } else {
        None
    }
}

/// A header name a webhook may set: an HTTP token (RFC 9110) that is not one of Hookline's or
/// the connection's ([`reserved_header`]); an error names `field`.
fn header_name(field: &str, name: &str) -> Result<()> {
    let token = !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Err(Error::validation(
            field,
            "a header name is 1 to 256 letters, digits or !#$%&'*+-.^_`|~",
        ));
    }
    match reserved_header(&name.to_ascii_lowercase()) {
        Some(why) => Err(Error::validation(field, format!("{name:?} {why}"))),
        None => Ok(()),
    }
}

/// A webhook's custom headers: at most [`MAX_HEADERS`], names HTTP tokens (RFC 9110) and not
/// reserved, values visible ASCII; an error names the header (`headers.<name>`).
pub fn custom_headers(h: &BTreeMap<String, String>) -> Result<()> {
    if h.len() > MAX_HEADERS {
        return Err(Error::validation(
            "headers",
            format!("at most {MAX_HEADERS} headers"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (name, value) in h {
        let field = format!("headers.{name}");
        header_name(&field, name)?;
        if !seen.insert(name.to_ascii_lowercase()) {
            return Err(Error::validation(&field, "given twice (names ignore case)"));
        }
        let visible = value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        if !visible || value.len() > MAX_HEADER_VALUE_LEN {
            return Err(Error::validation(
                &field,
                format!("a value is at most {MAX_HEADER_VALUE_LEN} visible ASCII characters"),
            ));
        }
    }
    Ok(())
}

/// A receiver authentication: every part present and sendable, an API-key header not one of
/// Hookline's own nor one of the webhook's custom headers; an error names the field
/// (`auth.password`, `auth.name` ...).
pub fn receiver_auth(
    auth: &crate::model::ReceiverAuth,
    headers: &BTreeMap<String, String>,
    allow_private: bool,
) -> Result<()> {
    use crate::model::ReceiverAuth;
    let sendable = |field: &str, v: &str| {
        let ok = !v.is_empty()
            && v.len() <= MAX_HEADER_VALUE_LEN
            && v.bytes().all(|b| (b' '..=b'~').contains(&b));
        match ok {
            true => Ok(()),
            false => Err(Error::validation(
                field,
                format!("1 to {MAX_HEADER_VALUE_LEN} visible ASCII characters"),
            )),
        }
    };
    match auth {
        ReceiverAuth::Basic { username, password } => {
            sendable("auth.username", username)?;
            if username.contains(':') {
                return Err(Error::validation("auth.username", "may not contain ':'"));
            }
            sendable("auth.password", password.expose())
        }
        ReceiverAuth::Bearer { token } => sendable("auth.token", token.expose()),
        ReceiverAuth::Header { name, value } => {
            header_name("auth.name", name)?;
            if headers.keys().any(|h| h.eq_ignore_ascii_case(name)) {
                return Err(Error::validation(
                    "auth.name",
                    format!("{name:?} is also one of the webhook's headers"),
                ));
            }
            sendable("auth.value", value.expose())
        }
        ReceiverAuth::OAuth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
            audience,
            ..
        } => {
            // The token URL is a target like the webhook's own: the same rules.
            webhook_url(token_url, allow_private).map_err(|e| match e {
                Error::Validation { message, .. } => Error::validation("auth.token_url", message),
                other => other,
            })?;
            sendable("auth.client_id", client_id)?;
            sendable("auth.client_secret", client_secret.expose())?;
            if let Some(s) = scope {
                sendable("auth.scope", s)?;
            }
            if let Some(a) = audience {
                sendable("auth.audience", a)?;
            }
            Ok(())
        }
        ReceiverAuth::Mtls {
            certificate,
            private_key,
        } => {
            pem_certificates("auth.certificate", certificate)?;
            pem_private_key("auth.private_key", private_key.expose())
        }
    }
}

/// The largest PEM document accepted (a certificate chain or a key).
pub const MAX_PEM_LEN: usize = 16 * 1024;

/// One or more X.509 certificates in PEM.
pub fn pem_certificates(field: &str, pem: &str) -> Result<()> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let bad = |m: &str| Err(Error::validation(field, m));
    if pem.len() > MAX_PEM_LEN {
        return bad("must be at most 16 KiB");
    }
    let certs: std::result::Result<Vec<_>, _> =
        CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    match certs {
        Ok(c) if !c.is_empty() => Ok(()),
        _ => bad("must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)"),
    }
}

/// A private key in PEM (PKCS#8, PKCS#1 or SEC1).
pub fn pem_private_key(field: &str, pem: &str) -> Result<()> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    if pem.len() <= MAX_PEM_LEN && PrivateKeyDer::from_pem_slice(pem.as_bytes()).is_ok() {
        return Ok(());
    }
    Err(Error::validation(
        field,
        "must be a PEM private key (PKCS#8, PKCS#1 or SEC1), at most 16 KiB",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(webhook_url("https://api.example.com/hooks?x=1", false).is_ok());
        for bad in [
            "",
            "http://api.example.com/",
            "ftp://api.example.com/",
            "https://localhost/",
            "https://127.0.0.1/",
            "https://example/",
            "https://user:pw@api.example.com/",
            "not a url",
            "https://-bad-.example.com/",
        ] {
            let e = webhook_url(bad, false).unwrap_err();
            assert!(
                matches!(&e, Error::Validation { field, .. } if field == "url"),
                "{bad}: {e}"
            );
        }
        let long = format!("https://api.example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(webhook_url(&long, false).is_err());
        assert!(webhook_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(webhook_url("http://localhost:8080/hook", true).is_ok());
        assert!(
            webhook_url("http://10.0.0.1/hook", true).is_err(),
            "plain http only for loopback"
        );
    }

    #[test]
    fn custom_headers_refuse_what_is_not_theirs() {
        let h = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<String, String>>()
        };
        assert!(custom_headers(&h(&[("X-Api-Key", "abc"), ("x-tenant", "t 1")])).is_ok());
        for bad in [
            "webhook-id",
            "Content-Type",
            "Host",
            "Transfer-Encoding",
            "Authorization",
        ] {
            let e = custom_headers(&h(&[(bad, "v")])).unwrap_err().to_string();
            assert!(e.contains(bad), "{bad}: {e}");
        }
        assert!(custom_headers(&h(&[("bad name", "v")])).is_err());
        assert!(custom_headers(&h(&[("X-A", "line\nbreak")])).is_err());
        assert!(custom_headers(&h(&[("X-A", "1"), ("x-a", "2")])).is_err());
        let many: Vec<(String, String)> = (0..21).map(|i| (format!("X-{i}"), "v".into())).collect();
        assert!(custom_headers(&many.into_iter().collect()).is_err());
    }

    #[test]
    fn event_names_and_filters() {
        assert!(event_type_name("type", "invoice.created").is_ok());
        assert!(event_type_name("type", "invoice..created").is_err());
        assert!(event_type_name("type", "invoice created").is_err());
        // Up to 255 characters, as the seed APIs' longest names need.
        let long = format!("a.{}", "b".repeat(253));
        assert!(event_type_name("type", &long).is_ok());
        assert!(event_type_name("type", &format!("{long}c")).is_err());
        assert!(event_filter(&["invoice.*".into(), "*".into(), "a.b".into()]).is_ok());
        assert!(event_filter(&["*.created".into()]).is_err());
    }
}
