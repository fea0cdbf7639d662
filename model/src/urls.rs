//! URL rules, on the WHATWG parser of the `url` crate.
//!
//! The types carry the rules: a [`ConfigUrl`] is an absolute, potentially
//! trustworthy URL the RP passed; an [`Endpoint`] can only be made by
//! resolving against a `ConfigUrl` ("computing the manifest URL",
//! spec `#helper-algorithms`), so it is same-origin with the config and
//! potentially trustworthy by construction.

use crate::memo::Memo;
use crate::mutation::mutant;
use serde::Serialize;
use std::fmt;
use url::{Host, Origin, Url};

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum UrlError {
    /// The WHATWG parser rejected it (with or without a base).
    Unparsable {
        /// The string given.
        value: String,
        /// The parser's message.
        reason: String,
    },
    /// It resolved to another origin than the config URL's.
    CrossOrigin {
        /// The resolved URL.
        url: String,
        /// The config URL's serialized origin.
        expected_origin: String,
    },
    /// Not https, and not a loopback host (Secure Contexts'
    /// "potentially trustworthy URL").
    NotTrustworthy {
        /// The URL, serialized.
        url: String,
    },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Unparsable { value, reason } => write!(f, "{value:?} is not a valid URL ({reason})"),
            UrlError::CrossOrigin { url, expected_origin } => {
                write!(f, "{url} is not same-origin with the config URL's origin {expected_origin}")
            }
            UrlError::NotTrustworthy { url } => {
                write!(f, "{url} is not potentially trustworthy (use https, or http only on localhost)")
            }
        }
    }
}

impl std::error::Error for UrlError {}

/// Secure Contexts' "potentially trustworthy URL", as far as FedCM can meet
/// it: https and wss, `file:`, and loopback hosts (127.0.0.0/8, ::1,
/// `localhost` and `*.localhost`).
pub fn is_potentially_trustworthy(url: &Url) -> bool {
    match url.scheme() {
        "https" | "wss" | "file" => true,
        _ => match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(d)) => {
                let d = d.trim_end_matches('.');
                d == "localhost" || d.ends_with(".localhost")
            }
            None => false,
        },
    }
}

/// The registrable domain (eTLD+1) of a URL's host, from the public suffix
/// list; `None` for IP addresses, `localhost` and bare public suffixes.
pub fn registrable_domain(url: &Url) -> Option<&str> {
    match url.host()? {
        Host::Domain(d) => fedcm_suffix::registrable_domain(d),
        _ => None,
    }
}

/// Schemeful same-site: equal schemes and equal registrable domains (equal
/// hosts where there is no registrable domain).
pub fn same_site(a: &Url, b: &Url) -> bool {
    if a.scheme() != b.scheme() {
        return false;
    }
    // One host has one registrable domain: no list lookups for the usual
    // case of a top-level RP (its own embedder).
    if a.host_str() == b.host_str() {
        return true;
    }
    match (registrable_domain(a), registrable_domain(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.host_str() == b.host_str(),
        _ => false,
    }
}

/// `a.origin() == b.origin()`, without building the origins for the
/// schemes whose origin is a (scheme, host, port) tuple.
/// Equal schemes, host serializations and explicit ports decide it: the
/// parser drops a scheme's default port and serializes each host one way.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    let tuple = |scheme: &str| matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp");
    let (sa, sb) = (a.scheme(), b.scheme());
    if sa == sb && tuple(sa) {
        a.host_str() == b.host_str() && a.port() == b.port()
    } else if tuple(sa) && tuple(sb) {
        false
    } else {
        a.origin() == b.origin()
    }
}

/// The serialization of a URL's origin (`"null"` for opaque origins).
pub(crate) fn origin_string(url: &Url) -> String {
    // Tuple origins serialize as scheme://host[:port] (the port only when
    // not the scheme's default, which is what `Url::port` returns); built
    // directly, without the intermediate `Origin`.
    match (url.scheme(), url.host_str()) {
        (scheme @ ("http" | "https" | "ws" | "wss" | "ftp"), Some(host)) => {
            let mut s = String::with_capacity(scheme.len() + host.len() + 9);
            s.push_str(scheme);
            s.push_str("://");
            s.push_str(host);
            if let Some(port) = url.port() {
                s.push(':');
                s.push_str(&port.to_string());
            }
            s
        }
        _ => url.origin().ascii_serialization(),
    }
}

/// The `configURL` an RP passed: absolute, potentially trustworthy.
/// `as_str` keeps the RP's exact string, which `IdentityCredential.configURL`
/// must return unnormalized (spec `#fetch-identity-assertion`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigUrl {
    raw: String,
    url: Url,
    /// [`ConfigUrl::well_known_url`], built on first use: the invariants
    /// ask for it in every state the model checker reaches.
    well_known: Memo<Url>,
    /// [`ConfigUrl::origin_serialized`], made on first use.
    origin_text: Memo<String>,
}

impl ConfigUrl {
    /// "fetch the config file" steps 1 and 3 (spec `#fetch-config-file`):
    /// parsed without a base, so a relative `configURL` fails.
    pub fn parse(raw: &str) -> Result<ConfigUrl, UrlError> {
        let url =
            Url::parse(raw).map_err(|e| UrlError::Unparsable { value: raw.to_string(), reason: e.to_string() })?;
        if !is_potentially_trustworthy(&url) {
            return Err(UrlError::NotTrustworthy { url: url.to_string() });
        }
        Ok(ConfigUrl { raw: raw.to_string(), url, well_known: Memo::default(), origin_text: Memo::default() })
    }

    /// The RP's string, unnormalized.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The IdP's origin.
    pub fn origin(&self) -> Origin {
        self.url.origin()
    }

    /// The IdP's origin serialized, made once (the invariants compare it
    /// with the trace's origins in every state the model checker reaches).
    pub fn origin_serialized(&self) -> &str {
        self.origin_text.get_or_init(|| self.url.origin().ascii_serialization())
    }

    /// "computing the manifest URL": resolve `value` against the config URL
    /// and require the same origin and potential trustworthiness.
    pub fn resolve(&self, value: &str) -> Result<Endpoint, UrlError> {
        let url = self
            .url
            .join(value)
            .map_err(|e| UrlError::Unparsable { value: value.to_string(), reason: e.to_string() })?;
        if !same_origin(&url, &self.url) && !mutant!(SkipSameOriginCheck) {
            return Err(UrlError::CrossOrigin { url: url.to_string(), expected_origin: origin_string(&self.url) });
        }
        if !is_potentially_trustworthy(&url) {
            return Err(UrlError::NotTrustworthy { url: url.to_string() });
        }
        Ok(Endpoint(url))
    }

    /// Resolves `value` against the config URL with no origin or
    /// trustworthiness rule (Firefox's endpoints; decisions F3).
    pub fn resolve_anywhere(&self, value: &str) -> Result<Endpoint, UrlError> {
        self.url
            .join(value)
            .map(Endpoint)
            .map_err(|e| UrlError::Unparsable { value: value.to_string(), reason: e.to_string() })
    }

    /// Where the well-known file lives: the config URL's scheme and
    /// registrable domain, path `/.well-known/web-identity`, no port
    /// (spec `#fetch-config-file`). Hosts without a registrable domain (IP
    /// literals, `localhost`) keep their own origin, port included: the spec
    /// leaves this undefined, and Chromium does the same for localhost.
    pub fn well_known_url(&self) -> &Url {
        self.well_known.get_or_init(|| self.build_well_known_url())
    }

    fn build_well_known_url(&self) -> Url {
        let u = &self.url;
        let (host, port) = match registrable_domain(u) {
            Some(domain) => (domain, None),
            None => (u.host_str().unwrap_or(""), u.port()),
        };
        // A new URL from its parts (so no credentials, query or fragment),
        // parsed once: cheaper than editing a copy of the config URL.
        let mut text = String::with_capacity(u.scheme().len() + host.len() + 40);
        text.push_str(u.scheme());
        text.push_str("://");
        text.push_str(host);
        if let Some(port) = port {
            text.push(':');
            text.push_str(&port.to_string());
        }
        text.push_str("/.well-known/web-identity");
        Url::parse(&text).unwrap_or_else(|_| {
            let mut url = u.clone();
            url.set_query(None);
            url.set_fragment(None);
            url.set_path("/.well-known/web-identity");
            url
        })
    }
}

impl fmt::Display for ConfigUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// An IdP endpoint that is same-origin with its config URL and potentially
/// trustworthy. Only [`ConfigUrl::resolve`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint(Url);

impl Endpoint {
    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
    /// The URL, serialized.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
    /// The URL, for a request.
    pub fn into_url(self) -> Url {
        self.0
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl Serialize for Endpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl Serialize for ConfigUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(s: &str) -> ConfigUrl {
        ConfigUrl::parse(s).unwrap()
    }

    #[test]
    fn relative_and_absolute_endpoints_resolve_against_the_config() {
        let c = cfg("https://idp.example/fedcm/config.json");
        assert_eq!(c.resolve("accounts").unwrap().as_str(), "https://idp.example/fedcm/accounts");
        assert_eq!(c.resolve("/a").unwrap().as_str(), "https://idp.example/a");
        assert_eq!(c.resolve("https://idp.example/b").unwrap().as_str(), "https://idp.example/b");
    }

    #[test]
    fn cross_origin_endpoints_are_refused() {
        let c = cfg("https://idp.example/config.json");
        for bad in [
            "https://other.example/a",
            "https://accounts.idp.example/a",
            "https://idp.example:8443/a",
            "//evil.example/a",
        ] {
            assert!(matches!(c.resolve(bad), Err(UrlError::CrossOrigin { .. })), "{bad}");
        }
        assert!(matches!(c.resolve("http://idp.example/a"), Err(UrlError::CrossOrigin { .. })));
    }

    #[test]
    fn config_url_must_be_absolute_and_trustworthy() {
        assert!(matches!(ConfigUrl::parse("/config.json"), Err(UrlError::Unparsable { .. })));
        assert!(matches!(ConfigUrl::parse("http://idp.example/c"), Err(UrlError::NotTrustworthy { .. })));
        assert!(ConfigUrl::parse("http://localhost:8080/c").is_ok());
        assert!(ConfigUrl::parse("http://127.0.0.1:9/c").is_ok());
        assert!(ConfigUrl::parse("http://a.localhost/c").is_ok());
        assert!(ConfigUrl::parse("data:application/json,{}").is_err());
    }

    #[test]
    fn config_url_keeps_the_rp_string() {
        let c = cfg("HTTPS://IDP.example/config.json");
        assert_eq!(c.as_str(), "HTTPS://IDP.example/config.json");
        assert_eq!(c.url().as_str(), "https://idp.example/config.json");
    }

    #[test]
    fn well_known_is_at_the_registrable_domain_without_port() {
        assert_eq!(
            cfg("https://accounts.idp.example:8443/x/config.json?q=1").well_known_url().as_str(),
            "https://idp.example/.well-known/web-identity"
        );
        assert_eq!(
            cfg("https://idp.co.uk.example/c").well_known_url().as_str(),
            "https://uk.example/.well-known/web-identity"
        );
        assert_eq!(
            cfg("https://a.b.github.io/c").well_known_url().as_str(),
            "https://b.github.io/.well-known/web-identity"
        );
        assert_eq!(
            cfg("http://127.0.0.1:8080/c").well_known_url().as_str(),
            "http://127.0.0.1:8080/.well-known/web-identity"
        );
    }

    #[test]
    fn same_origin_agrees_with_origin_equality() {
        let urls = [
            "https://idp.example/a",
            "https://idp.example:443/b",
            "https://idp.example:8443/a",
            "http://idp.example/a",
            "https://IDP.example/c",
            "https://sub.idp.example/",
            "wss://idp.example/",
            "http://127.0.0.1:80/",
            "http://[::1]/",
            "file:///etc/x",
            "data:text/plain,x",
            "blob:https://idp.example/uuid",
            "ftp://idp.example/",
            "http://idp.example:80/x",
            "ws://idp.example/",
            "https://user:pw@idp.example/",
            "https://idp.example./",
            "http://0x7f.1/",
            "https://xn--bcher-kva.example/",
            "https://bücher.example/",
        ];
        for a in urls {
            for b in urls {
                let (ua, ub) = (Url::parse(a).unwrap(), Url::parse(b).unwrap());
                assert_eq!(same_origin(&ua, &ub), ua.origin() == ub.origin(), "{a} {b}");
            }
        }
    }

    #[test]
    fn origin_string_agrees_with_the_origin_serialization() {
        for s in [
            "https://idp.example/a?b#c",
            "https://idp.example:443/b",
            "https://idp.example:8443/a",
            "http://idp.example:80/a",
            "https://IDP.example./c",
            "https://user:pw@sub.idp.example/",
            "wss://idp.example:444/",
            "http://127.0.0.1:8080/",
            "http://[::1]:99/",
            "https://xn--bcher-kva.example/",
            "https://b\u{fc}cher.example/",
            "file:///etc/x",
            "data:text/plain,x",
            "blob:https://idp.example/uuid",
            "ftp://idp.example:21/",
        ] {
            let u = Url::parse(s).unwrap();
            assert_eq!(origin_string(&u), u.origin().ascii_serialization(), "{s}");
        }
    }

    #[test]
    fn asking_for_the_well_known_url_changes_neither_equality_nor_debug_text() {
        // The model checker fingerprints states by their Hash; the session
        // explorer by their Debug text.
        let asked = ConfigUrl::parse("https://accounts.idp.example/config.json").unwrap();
        let fresh = asked.clone();
        assert_eq!(asked.well_known_url().as_str(), "https://idp.example/.well-known/web-identity");
        assert_eq!(asked, fresh);
        assert_eq!(format!("{asked:?}"), format!("{fresh:?}"));
        let hash = |c: &ConfigUrl| {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            c.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&asked), hash(&fresh));
        assert_eq!(asked.well_known_url(), fresh.well_known_url());
    }

    #[test]
    fn the_well_known_url_is_a_new_url_on_the_registrable_domain() {
        let wk = |s: &str| ConfigUrl::parse(s).unwrap().well_known_url().to_string();
        assert_eq!(
            wk("https://accounts.idp.example:8443/fedcm/config.json?x#y"),
            "https://idp.example/.well-known/web-identity"
        );
        assert_eq!(wk("https://user:pw@idp.example/c"), "https://idp.example/.well-known/web-identity");
        assert_eq!(wk("https://idp.co.uk.example/c"), "https://uk.example/.well-known/web-identity");
        assert_eq!(wk("http://localhost:8080/c"), "http://localhost:8080/.well-known/web-identity");
        assert_eq!(wk("http://127.0.0.1:8080/c"), "http://127.0.0.1:8080/.well-known/web-identity");
        assert_eq!(wk("http://[::1]:8080/c"), "http://[::1]:8080/.well-known/web-identity");
        assert_eq!(wk("https://IDP.Example/c"), "https://idp.example/.well-known/web-identity");
    }

    #[test]
    fn same_site_is_schemeful() {
        let u = |s| Url::parse(s).unwrap();
        assert!(same_site(&u("https://a.idp.example"), &u("https://b.idp.example")));
        assert!(!same_site(&u("http://idp.example"), &u("https://idp.example")));
        assert!(!same_site(&u("https://rp.example"), &u("https://idp.example")));
    }
}
