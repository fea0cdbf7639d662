//! `fedcm serve --tls`: HTTPS with a certificate made at start for every
//! host the scenario names. A browser cannot be told to trust a mock CA
//! from outside, but Chromium can be told to trust one key
//! (`--ignore-certificate-errors-spki-list`), so the certificate is
//! self-signed and the server prints the SHA-256 of its public key.

use crate::scenario::Scenario;
use base64::Engine as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Arc;
use url::{Host, Url};

/// Why no certificate or TLS configuration could be made.
#[derive(Debug)]
pub enum TlsError {
    /// No hostname to put in the certificate.
    NoHosts,
    /// rcgen refused a name or could not sign.
    Certificate(rcgen::Error),
    /// rustls refused the key or certificate.
    Config(rustls::Error),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::NoHosts => f.write_str("the scenario names no host to make a TLS certificate for"),
            TlsError::Certificate(e) => write!(f, "cannot make the TLS certificate: {e}"),
            TlsError::Config(e) => write!(f, "cannot set up TLS: {e}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// A self-signed certificate and its key, made for one run.
pub struct TlsIdentity {
    names: Vec<String>,
    certificate: CertificateDer<'static>,
    key_pkcs8: Vec<u8>,
    spki_sha256: String,
}

impl std::fmt::Debug for TlsIdentity {
    /// Leaves the private key out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").field("names", &self.names).field("spki_sha256", &self.spki_sha256).finish()
    }
}

impl TlsIdentity {
    /// A fresh ECDSA P-256 key and a certificate naming `names` (DNS names,
    /// `*.` wildcards or IP addresses).
    pub fn generate(names: &[String]) -> Result<TlsIdentity, TlsError> {
        if names.is_empty() {
            return Err(TlsError::NoHosts);
        }
        let key = rcgen::KeyPair::generate().map_err(TlsError::Certificate)?;
        let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(TlsError::Certificate)?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "fedcm serve (mock IdP)");
        let certificate = params.self_signed(&key).map_err(TlsError::Certificate)?;
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        let spki_sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&spki));
        Ok(TlsIdentity {
            names: names.to_vec(),
            certificate: certificate.der().clone(),
            key_pkcs8: key.serialize_der(),
            spki_sha256,
        })
    }

    /// The names the certificate is valid for.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The certificate, DER-encoded (for a client's trust store).
    pub fn certificate_der(&self) -> &[u8] {
        self.certificate.as_ref()
    }

    /// Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo: the
    /// value of Chromium's `--ignore-certificate-errors-spki-list`.
    pub fn spki_sha256_base64(&self) -> &str {
        &self.spki_sha256
    }

    /// A server configuration serving this certificate (HTTP/1.1 only, as
    /// the mock speaks nothing else).
    pub(crate) fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_single_cert(vec![self.certificate.clone()], key)
            .map_err(TlsError::Config)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

/// Every host a scenario names (IdP URLs, the RP and its embedder, config
/// URLs, login status and connections, a session's login-status signals
/// and the frames around them), sorted, without duplicates.
pub fn scenario_hosts(scenario: &Scenario) -> Vec<String> {
    let mut urls: Vec<String> = scenario.idp.keys().map(|k| k.rsplit(' ').next().unwrap_or(k).to_string()).collect();
    urls.push(scenario.rp.origin.clone());
    urls.extend(scenario.rp.embedder.clone());
    urls.extend(scenario.rp.frames.iter().map(|f| f.origin.clone()));
    urls.extend(scenario.browser.login_status.keys().cloned());
    urls.extend(scenario.browser.requires_user_mediation.iter().cloned());
    for c in &scenario.browser.connected {
        urls.extend([c.rp.clone(), c.idp.clone()]);
        urls.extend(c.embedder.clone());
    }
    urls.extend(scenario.config_urls());
    // getUserInfo()'s config URL and the origin of the document calling it.
    let mut calls: Vec<crate::scenario::Call> = scenario.call.iter().cloned().collect();
    for step in scenario.steps().unwrap_or_default() {
        if let crate::scenario::Action::Call(call) = step.action {
            calls.push(call);
        }
    }
    for call in calls {
        if let crate::scenario::Call::GetUserInfo(args) = call {
            urls.extend(args.get("configURL").and_then(serde_json::Value::as_str).map(String::from));
            if let Ok((caller, _, _)) = crate::scenario::user_info_caller(&args, "call") {
                urls.push(caller.to_string());
            }
        }
    }
    for step in scenario.steps().unwrap_or_default() {
        if let crate::scenario::Action::LoginStatus { signal, .. } = step.action {
            urls.push(signal.origin.to_string());
            urls.extend(signal.ancestors.iter().map(Url::to_string));
        }
    }
    let mut hosts = BTreeSet::new();
    for u in urls {
        let Ok(url) = Url::parse(&u) else { continue };
        match url.host() {
            Some(Host::Domain(d)) if !d.is_empty() => hosts.insert(d.to_string()),
            Some(Host::Ipv4(a)) => hosts.insert(a.to_string()),
            Some(Host::Ipv6(a)) => hosts.insert(a.to_string()),
            _ => false,
        };
    }
    hosts.into_iter().collect()
}

/// The names to certify for `hosts`: each host, and a wildcard for each
/// domain's parent (`idp.example` gives `*.example`), so a page on a
/// sibling host the scenario does not list is still served.
pub fn certificate_names(hosts: &[String]) -> Vec<String> {
    let mut names: BTreeSet<String> = hosts.iter().cloned().collect();
    for h in hosts {
        if h.parse::<std::net::IpAddr>().is_ok() {
            continue;
        }
        if let Some((_, parent)) = h.split_once('.') {
            if !parent.is_empty() {
                names.insert(format!("*.{parent}"));
            }
        }
    }
    names.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::{ServeExtras, ServeOptions, Server};
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn scenario() -> Scenario {
        let text = serde_json::json!({
            "name": "tls",
            "rp": {"origin": "https://rp.example"},
            "call": {"get": {"identity": {"providers": [{"configURL": "https://idp.example/config.json", "clientId": "1"}]}}},
            "idp": {
                "https://idp.example/config.json": {"body": {"accounts_endpoint": "/a", "id_assertion_endpoint": "/b"}},
                "https://help.idp.example/x": {"body": "help"}
            }
        });
        Scenario::parse(&text.to_string()).unwrap()
    }

    #[test]
    fn names_cover_every_host_and_their_siblings() {
        let hosts = scenario_hosts(&scenario());
        assert_eq!(hosts, ["help.idp.example", "idp.example", "rp.example"]);
        assert_eq!(
            certificate_names(&hosts),
            ["*.example", "*.idp.example", "help.idp.example", "idp.example", "rp.example"]
        );
        assert_eq!(certificate_names(&["127.0.0.1".into()]), ["127.0.0.1"]);
    }

    #[test]
    fn the_spki_hash_is_base64_of_32_bytes() {
        let id = TlsIdentity::generate(&["idp.example".into()]).unwrap();
        let raw = base64::engine::general_purpose::STANDARD.decode(id.spki_sha256_base64()).unwrap();
        assert_eq!(raw.len(), 32);
        assert!(matches!(TlsIdentity::generate(&[]), Err(TlsError::NoHosts)));
    }

    /// A GET over TLS to `name`, trusting only the generated certificate;
    /// the response head and body as text.
    async fn get(addr: std::net::SocketAddr, cert: &[u8], name: &str, path: &str) -> Result<String, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(cert.to_vec())).map_err(|e| e.to_string())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let server_name = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
        let mut tls = connector.connect(server_name, tcp).await.map_err(|e| e.to_string())?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {name}\r\nSec-Fetch-Dest: webidentity\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        tls.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        tls.take(1 << 20).read_to_end(&mut out).await.map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn tls_server() -> Server {
        let s = scenario();
        let names = certificate_names(&scenario_hosts(&s));
        let extras = ServeExtras { tls: Some(TlsIdentity::generate(&names).unwrap()), pages: true, record: true };
        let options = ServeOptions { log: crate::serve::LogLevel::None, ..ServeOptions::default() };
        Server::start_full(&s, "127.0.0.1:0", options, extras).unwrap()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(20), f).await.expect("in time") })
    }

    #[test]
    fn a_rustls_client_trusting_the_certificate_gets_the_scripted_response() {
        let server = tls_server();
        let cert = server.tls_identity().unwrap().certificate_der().to_vec();
        let response = block_on(get(server.addr(), &cert, "idp.example", "/config.json")).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("accounts_endpoint"), "{response}");
        // A sibling host through the wildcard: no route, so 404, but TLS
        // holds. (webpki takes no wildcard over a single label such as
        // `*.example`; Chromium trusts the key whatever the name.)
        let other = block_on(get(server.addr(), &cert, "news.idp.example", "/x")).unwrap();
        assert!(other.starts_with("HTTP/1.1 404"), "{other}");
        let seen = server.take_requests();
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].url, "https://idp.example/config.json");
        assert_eq!(seen[0].header("sec-fetch-dest"), Some("webidentity"));
        assert!(server.take_requests().is_empty());
    }

    #[test]
    fn a_name_outside_the_certificate_fails_the_handshake() {
        let server = tls_server();
        let cert = server.tls_identity().unwrap().certificate_der().to_vec();
        let refused = block_on(get(server.addr(), &cert, "idp.other", "/config.json"));
        assert!(refused.is_err(), "{refused:?}");
    }

    #[test]
    fn harness_pages_set_login_status_and_the_probe_cookie() {
        let server = tls_server();
        let cert = server.tls_identity().unwrap().certificate_der().to_vec();
        let page = block_on(get(server.addr(), &cert, "idp.example", "/.fedcm/idp?login=logged-in")).unwrap();
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let lower = page.to_ascii_lowercase();
        assert!(lower.contains("set-login: logged-in"), "{page}");
        assert!(lower.contains("samesite=none; secure"), "{page}");
        let rp = block_on(get(server.addr(), &cert, "rp.example", "/.fedcm/rp")).unwrap();
        assert!(rp.starts_with("HTTP/1.1 200") && rp.contains("<!doctype html>"), "{rp}");
        // Pages are not FedCM requests: not recorded.
        assert!(server.take_requests().is_empty());
    }

    #[test]
    fn a_client_that_never_finishes_the_handshake_is_dropped() {
        let s = scenario();
        let extras = ServeExtras {
            tls: Some(TlsIdentity::generate(&["idp.example".into()]).unwrap()),
            pages: false,
            record: false,
        };
        let options = ServeOptions {
            log: crate::serve::LogLevel::None,
            header_timeout: std::time::Duration::from_millis(200),
            ..ServeOptions::default()
        };
        let server = Server::start_full(&s, "127.0.0.1:0", options, extras).unwrap();
        let closed = block_on(async {
            let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
            tcp.write_all(b"\x16\x03\x01").await.unwrap();
            let mut buf = [0u8; 64];
            // Closed by the server (EOF or reset), not left hanging.
            matches!(tcp.read(&mut buf).await, Ok(0) | Err(_))
        });
        assert!(closed);
    }
}
