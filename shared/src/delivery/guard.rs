//! Target safety: every address a webhook URL resolves to is checked before connecting.
//! Loopback, private, link-local (cloud metadata included), CGNAT, multicast, unspecified,
//! reserved and documentation ranges are refused, in IPv4, IPv6, and IPv4-mapped or embedded
//! forms. The check runs inside the HTTP client's resolver, so the address that is checked is
//! the address that is connected to (no DNS rebinding gap).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why `ip` may not be a delivery target, or `None` when it may.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) => "private (10.0.0.0/8)",
        (172, 16..=31, _) => "private (172.16.0.0/12)",
        (192, 168, _) => "private (192.168.0.0/16)",
        (169, 254, _) => "link-local (169.254.0.0/16, cloud metadata)",
        (100, 64..=127, _) => "carrier-grade NAT (100.64.0.0/10)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation range",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast",
        _ => return None,
    })
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4).map(|_| "IPv4-mapped address of a refused range");
    }
    let s = ip.segments();
    if s[..6] == [0; 6] {
        return Some("IPv4-compatible address (deprecated)");
    }
    // IPv4-translated (::ffff:0:a.b.c.d, SIIT): a translator on the path would reach the IPv4
    // address, whatever range it is in.
    if s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return Some("IPv4-translated address (::ffff:0:0/96)");
    }
    // Local-use NAT64 (RFC 8215): the operator's own translator, to its own IPv4 networks.
    if s[..3] == [0x64, 0xff9b, 1] {
        return Some("local-use NAT64 (64:ff9b:1::/48)");
    }
    // NAT64 (64:ff9b::/96) embeds an IPv4 address in the low 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return refused_v4(v4).map(|_| "NAT64 address of a refused range");
    }
    // 6to4 (2002::/16) embeds an IPv4 address in bits 16..48.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return refused_v4(v4).map(|_| "6to4 address of a refused range");
    }
    Some(match s[0] {
        x if x & 0xfe00 == 0xfc00 => "unique local (fc00::/7)",
        x if x & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
        x if x & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
        x if x & 0xff00 == 0xff00 => "multicast (ff00::/8)",
        0x2001 if s[1] == 0x0db8 => "documentation (2001:db8::/32)",
        0x0100 if s[1..4] == [0, 0, 0] => "discard-only (100::/64)",
        _ => return None,
    })
}

/// The error the resolver returns for a refused address; found again in the error chain to
/// record the attempt as `blocked_address`.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, which is not allowed as a webhook target: {reason}")]
pub struct BlockedAddress {
    pub host: String,
    pub addr: IpAddr,
    pub reason: &'static str,
}

/// A DNS resolver for reqwest that refuses names resolving to any forbidden address.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private
                && let Some((addr, reason)) = addrs
                    .iter()
                    .find_map(|a| refused(a.ip()).map(|r| (a.ip(), r)))
            {
                return Err(Box::new(BlockedAddress { host, addr, reason })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// `raw` parsed, unless it is malformed or names a refused address literally (names are
/// checked when they resolve, by the guard).
pub fn guarded_url(
    raw: &str,
    allow_private: bool,
) -> std::result::Result<url::Url, (crate::model::AttemptError, String)> {
    let parsed = url::Url::parse(raw).map_err(|e| {
        (
            crate::model::AttemptError::InvalidUrl,
            format!("invalid URL: {e}"),
        )
    })?;
    // IP-literal hosts never reach the resolver: check them here.
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if let (Some(ip), false) = (literal, allow_private)
        && let Some(reason) = refused(ip)
    {
        let e = BlockedAddress {
            host: ip.to_string(),
            addr: ip,
            reason,
        };
        return Err((crate::model::AttemptError::BlockedAddress, e.to_string()));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_special_range() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "192.0.2.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2001:db8::1",
            "fec0::1",
            "::ffff:0:a9fe:a9fe",
            "::ffff:0:808:808",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:2::808:808",
        ] {
            let addr: IpAddr = ip.parse().unwrap();
            assert!(refused(addr).is_some(), "{ip} must be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let addr: IpAddr = ip.parse().unwrap();
            assert_eq!(refused(addr), None, "{ip} must be allowed");
        }
    }
}
