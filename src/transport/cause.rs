//! Names why a fetch got no usable response. reqwest says "error sending
//! request for url" for nearly everything; the cause is further down its
//! `source()` chain (hyper, the connector, io, rustls), so walk it.

use std::error::Error;
use std::io;
use std::time::Duration;

/// A picture host that resolves only to addresses outside the public
/// internet; raised by the picture client's resolver.
#[derive(Debug)]
pub struct PrivateAddress {
    pub host: String,
    pub addr: std::net::IpAddr,
}

impl std::fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to {}, a private or special-use address", self.host, self.addr)
    }
}

impl Error for PrivateAddress {}

/// Every error in the chain, outermost first. `io::Error::source` skips
/// the error it wraps, so that one is added by hand.
fn chain<'a>(e: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        if out.len() >= 32 {
            break;
        }
        out.push(e);
        next = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => e.source(),
        };
    }
    out
}

/// The picture refusal inside `e`, if that is what failed.
pub fn private_address<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a PrivateAddress> {
    chain(e).into_iter().find_map(|e| e.downcast_ref::<PrivateAddress>())
}

/// What went wrong, in words an IdP engineer can act on, followed by the
/// innermost error text.
pub fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no response within {timeout:?} (--timeout)");
    }
    let links = chain(e);
    let detail = links.last().map(|l| l.to_string()).unwrap_or_default();
    let texts: Vec<String> = links.iter().map(|l| l.to_string()).collect();
    let said = |needle: &str| texts.iter().any(|t| t.contains(needle));
    let cause = name(&links, &said);
    match cause {
        Some(c) if !detail.is_empty() && !c.contains(&detail) => format!("{c} ({detail})"),
        Some(c) => c,
        None => texts.join(": "),
    }
}

fn name(links: &[&(dyn Error + 'static)], said: &dyn Fn(&str) -> bool) -> Option<String> {
    if let Some(h) = links.iter().find_map(|l| l.downcast_ref::<hyper::Error>()) {
        if h.is_parse_too_large() {
            return Some(
                "the response head is too large for this prober (too many bytes or header fields; Chromium refuses response headers over 256 KB)"
                    .into(),
            );
        }
        if h.is_parse_status() {
            return Some("the status line has no valid status code".into());
        }
        if h.is_parse_version_h2() {
            return Some("the server answered in HTTP/2 on an HTTP/1.1 connection".into());
        }
        if h.is_parse() && said("invalid HTTP version") {
            return Some(
                "the response does not start with an HTTP/1.x status line: garbage, or an HTTP/0.9 reply (a bare body with no status line)"
                    .into(),
            );
        }
        if h.is_parse() {
            return Some("the response head is malformed".into());
        }
        if h.is_incomplete_message() {
            return Some("the server closed the connection before the response was complete".into());
        }
    }
    if said("invalid peer certificate") || said("peer sent no certificates") {
        return Some("the server's TLS certificate was refused".into());
    }
    if said("received corrupt message") || said("peer sent excess record size") || said("InvalidContentType") {
        return Some(
            "the TLS handshake got bytes that are not TLS: the server speaks plain HTTP on this https URL?".into(),
        );
    }
    if said("received fatal alert") || said("peer is incompatible") || said("peer misbehaved") {
        return Some("the TLS handshake failed".into());
    }
    if said("dns error") || said("failed to lookup address") {
        return Some("DNS lookup of the host failed".into());
    }
    let io = links.iter().find_map(|l| l.downcast_ref::<io::Error>())?;
    Some(
        match io.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused: nothing listens on that port",
            io::ErrorKind::ConnectionReset => "the server reset the connection",
            io::ErrorKind::ConnectionAborted => "the connection was aborted",
            io::ErrorKind::UnexpectedEof => "the server closed the connection early",
            io::ErrorKind::TimedOut => "the connection timed out",
            io::ErrorKind::AddrNotAvailable | io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable => {
                "the host cannot be reached"
            }
            _ => return None,
        }
        .into(),
    )
}
