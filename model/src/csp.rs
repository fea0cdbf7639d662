//! The RP's Content Security Policy, as far as FedCM reads it: the
//! `connect-src` directive (or `default-src` when it is absent), which
//! every `configURL` must match before it is fetched (spec
//! `#fetch-config-file`; CSP3 "does url match source list"). Nonces,
//! hashes and keywords other than `'self'` and `'none'` never match a URL.

use serde::Serialize;
use url::Url;

/// The sources of a `connect-src` (or `default-src`) directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct SourceList {
    /// The directive's name (`connect-src` or `default-src`).
    pub directive: String,
    /// The sources as written, lowercased.
    pub sources: Vec<String>,
}

impl SourceList {
    /// The list that governs `connect-src` in a policy (`a-src x; b-src
    /// y`), or `None` when the policy restricts no connection.
    pub fn from_policy(policy: &str) -> Option<SourceList> {
        let mut default = None;
        for directive in policy.split(';') {
            let mut words = directive.split_ascii_whitespace();
            let Some(name) = words.next().map(str::to_ascii_lowercase) else { continue };
            let sources = words.map(str::to_ascii_lowercase).collect::<Vec<_>>();
            match name.as_str() {
                // The first occurrence of a directive wins.
                "connect-src" => return Some(SourceList { directive: name, sources }),
                "default-src" if default.is_none() => default = Some(SourceList { directive: name, sources }),
                _ => {}
            }
        }
        default
    }

    /// Whether `url` may be fetched from a document of origin `page`.
    pub fn allows(&self, url: &Url, page: &Url) -> bool {
        self.sources.iter().any(|s| source_matches(s, url, page))
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// A scheme matches itself, and an insecure scheme also matches its
/// secure counterpart (CSP3 "scheme-part match").
fn scheme_matches(want: &str, got: &str) -> bool {
    want == got
        || matches!(
            (want, got),
            ("http", "https") | ("ws", "wss") | ("http", "wss") | ("https", "wss") | ("ws", "https")
        )
}

fn source_matches(source: &str, url: &Url, page: &Url) -> bool {
    let scheme = url.scheme();
    match source {
        "*" => matches!(scheme, "http" | "https" | "ws" | "wss") || scheme == page.scheme(),
        "'self'" => {
            let same_host = url.host_str() == page.host_str();
            let port = |u: &Url| u.port_or_known_default();
            let upgraded = page.scheme() == "http" && scheme == "https";
            same_host && scheme_matches(page.scheme(), scheme) && (port(url) == port(page) || upgraded)
        }
        s if s.starts_with('\'') => false,
        s => match s.strip_suffix(':').filter(|w| !w.contains('/')) {
            Some(want) => scheme_matches(want, scheme),
            None => host_source_matches(s, url, page),
        },
    }
}

/// `[scheme "://"] host [":" port] [path]`.
fn host_source_matches(source: &str, url: &Url, page: &Url) -> bool {
    let (want_scheme, rest) = match source.split_once("://") {
        Some((s, rest)) => (Some(s), rest),
        None => (None, source),
    };
    let scheme_ok = match want_scheme {
        Some(s) => scheme_matches(s, url.scheme()),
        None => scheme_matches(page.scheme(), url.scheme()),
    };
    if !scheme_ok {
        return false;
    }
    let (host_port, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    let Some(url_host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
    let host_ok = match host.strip_prefix("*.") {
        Some(suffix) => url_host.ends_with(&format!(".{suffix}")),
        None => host == "*" || url_host == host,
    };
    if !host_ok {
        return false;
    }
    let url_port = url.port_or_known_default();
    let port_ok = match port {
        Some("*") => true,
        Some(p) => p.parse::<u16>().ok() == url_port,
        None => {
            let base = want_scheme.unwrap_or(page.scheme());
            url_port == default_port(base) || url_port == default_port(url.scheme())
        }
    };
    if !port_ok {
        return false;
    }
    match path {
        "" | "/" => true,
        p if p.ends_with('/') => url.path().starts_with(p),
        p => url.path() == p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(policy: &str, url: &str) -> bool {
        let page = Url::parse("https://rp.example/page").unwrap();
        SourceList::from_policy(policy).is_none_or(|l| l.allows(&Url::parse(url).unwrap(), &page))
    }

    #[test]
    fn connect_src_matching() {
        let idp = "https://idp.example/config.json";
        assert!(allows("script-src 'none'", idp), "no connect-src nor default-src: nothing restricted");
        assert!(!allows("connect-src 'none'", idp));
        assert!(!allows("connect-src 'self'", idp));
        assert!(allows("connect-src 'self'", "https://rp.example/x"));
        assert!(allows("connect-src https://idp.example", idp));
        assert!(allows("connect-src idp.example", idp));
        assert!(allows("connect-src http://idp.example", idp), "http upgrades to https");
        assert!(!allows("connect-src https://idp.example:8443", idp));
        assert!(allows("connect-src *.example", idp));
        assert!(!allows("connect-src *.idp.example", idp), "a wildcard does not match the apex");
        assert!(allows("connect-src https:", idp));
        assert!(allows("connect-src *", idp));
        assert!(allows("connect-src https://idp.example/config.json", idp));
        assert!(!allows("connect-src https://idp.example/other.json", idp));
        assert!(allows("connect-src https://idp.example/", idp));
        assert!(!allows("default-src 'self'", idp), "default-src stands in for connect-src");
        assert!(allows("default-src 'self'; connect-src https://idp.example", idp));
        assert!(!allows("connect-src 'nonce-abc' 'unsafe-inline'", idp));
    }
}
