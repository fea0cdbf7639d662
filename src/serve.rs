//! `fedcm serve`: a scripted IdP on real HTTP. It answers with a scenario's
//! responses byte for byte, and checks each request against what the spec
//! requires of a browser (spec `#idp-api` and the per-endpoint sections),
//! answering a violation with `400` and a JSON error that names the rule.
//!
//! Every host the scenario names is served from one loopback port: clients
//! reach it by resolving those hosts to this address (`fedcm probe --via`).

mod conn;
mod error;
mod log;
pub mod pages;
mod record;
pub mod tls;

pub use error::ServeError;
pub use log::LogLevel;
pub use record::{SeenRequest, Violation, ViolationCounts, MAX_SEEN, MAX_VIOLATION_LINE, RECENT_VIOLATIONS};

use crate::scenario::{clip, MockIdp, Scenario};
use bytes::Bytes;
use fedcm_model::idp::config::Checked;
use fedcm_model::machine::fetch::{Credentials, FetchKind, FetchRequest, Method, Redirect, RequestId, RequestMode};
use fedcm_model::{ConfigUrl, HttpResponse, Profile};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// Largest request body the mock reads; a longer one gets 413.
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

/// Largest request head (request line and headers) hyper buffers; a longer
/// one gets 431. Bounds memory at the connection cap (hyper's ~400 KB
/// default times 256 connections is over 100 MB); a 60 KB URL still fits.
pub const MAX_REQUEST_HEAD: usize = 128 * 1024;

/// How much of a too-large body is read and dropped so the 413 reaches the
/// client (closing on unread data would reset the connection instead).
const MAX_DRAINED_BODY: usize = 1024 * 1024;

/// The longest URL a log line or a kept violation quotes, in bytes.
pub const MAX_LOGGED_URL: usize = 200;

/// The longest header or idle timeout (deadlines past it could overflow).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The default [`ServeOptions::header_timeout`] (`--header-timeout`).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The default [`ServeOptions::idle_timeout`] (`--idle-timeout`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The default [`ServeOptions::max_connections`] (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// The most connections [`ServeOptions::max_connections`] may allow: far
/// more than one process's usual file descriptor limit, and far below what
/// tokio's semaphore can count (it panics past `Semaphore::MAX_PERMITS`).
pub const MAX_CONNECTIONS: usize = 65_536;

/// Limits and logging for [`Server::start_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    pub log: LogLevel,
    /// A request's head, and then its body, must each arrive within this.
    /// hyper starts the clock when it begins waiting for a head, so it also
    /// ends a kept-alive connection that sends no next request.
    pub header_timeout: Duration,
    /// A connection that moves no byte for this long while no request on it
    /// is being answered is closed (e.g. a client that stops reading).
    pub idle_timeout: Duration,
    /// Connections open at once (1 to [`MAX_CONNECTIONS`]); further
    /// clients wait in the listen queue.
    pub max_connections: usize,
    /// Answer a GET of a config's `login_url` the scenario does not script
    /// with [`login_page`], which sends `Set-Login: logged-in`, as a real
    /// IdP's does once the user signs in (`fedcm serve` turns it on). Off
    /// by default: the browser harness signs in through its own pages and
    /// closes login pop-ups without signing in, which this page would undo.
    pub login_page: bool,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            log: LogLevel::All,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            login_page: false,
        }
    }
}

impl ServeOptions {
    /// Timeouts above zero and at most [`MAX_TIMEOUT`] (the flags take whole
    /// seconds; a library caller may want less), 1 to [`MAX_CONNECTIONS`]
    /// connections.
    fn check(&self) -> Result<(), ServeError> {
        let timeouts = [
            ("header_timeout (--header-timeout)", self.header_timeout),
            ("idle_timeout (--idle-timeout)", self.idle_timeout),
        ];
        for (option, d) in timeouts {
            if d.is_zero() || d > MAX_TIMEOUT {
                return Err(ServeError::Limits {
                    option,
                    got: format!("{d:?}"),
                    allowed: format!("more than 0 s, at most {} s (1 day)", MAX_TIMEOUT.as_secs()),
                });
            }
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.max_connections) {
            return Err(ServeError::Limits {
                option: "max_connections (--max-connections)",
                got: self.max_connections.to_string(),
                allowed: format!("1 to {MAX_CONNECTIONS}"),
            });
        }
        Ok(())
    }
}

/// What [`Server::start_full`] adds to a plain mock IdP, for a real browser.
#[derive(Debug, Default)]
pub struct ServeExtras {
    /// Serve HTTPS with this certificate (`--tls`) instead of HTTP.
    pub tls: Option<tls::TlsIdentity>,
    /// Answer the harness pages under [`pages::PREFIX`] on every host.
    pub pages: bool,
    /// Keep the requests received (at most [`MAX_SEEN`]) for
    /// [`Server::take_requests`].
    pub record: bool,
}

/// Which FedCM endpoint each URL of the scenario is, from the providers'
/// config URLs and the config files the scenario serves.
fn endpoint_kinds(scenario: &Scenario, idp: &MockIdp) -> Vec<(Url, FetchKind)> {
    let config_urls = scenario.config_urls();
    let mut kinds = Vec::new();
    for raw in config_urls {
        let Ok(config_url) = ConfigUrl::parse(&raw) else { continue };
        kinds.push((config_url.well_known_url().clone(), FetchKind::WellKnown));
        kinds.push((config_url.url().clone(), FetchKind::Config));
        let probe = probe_request(FetchKind::Config, Method::Get, config_url.url().clone());
        // The config file the scenario serves first, not counted as served.
        let Ok(response) = idp.peek(&probe) else { continue };
        for profile in Profile::ALL {
            let Ok(parsed) = fedcm_model::idp::config::parse(&response, &config_url, profile) else { continue };
            let c = parsed.value;
            kinds.push((c.accounts_endpoint.url().clone(), FetchKind::Accounts));
            for (endpoint, kind) in [
                (Some(&c.id_assertion_endpoint), FetchKind::Assertion),
                (c.client_metadata_endpoint.as_ref(), FetchKind::ClientMetadata),
                (c.disconnect_endpoint.as_ref(), FetchKind::Disconnect),
            ] {
                if let Some(Checked::Valid(e)) = endpoint {
                    kinds.push((e.url().clone(), kind));
                }
            }
        }
    }
    kinds
}

/// A config's `login_url` (as the config writes it, so one the config
/// check refuses is found too), and whether the scenario scripts a GET of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LoginUrl {
    url: Url,
    scripted: bool,
}

/// The config's `login_url` as written, resolved against the config URL
/// (`serve` and `probe` alike): read from the JSON itself, so a URL the
/// config check refuses (on another origin) is found too. `None` when the
/// body is not a JSON object with a non-empty http(s) URL there.
pub fn login_url_in(config_url: &Url, body: &[u8]) -> Option<Url> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let raw = json.get("login_url")?.as_str().filter(|s| !s.is_empty())?;
    config_url.join(raw).ok().filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// The `login_url` of every config file the scenario serves.
fn login_urls(scenario: &Scenario, idp: &MockIdp) -> Vec<LoginUrl> {
    // The URLs the scenario scripts a GET (or any method) for.
    let scripted: Vec<Url> = scenario
        .idp
        .keys()
        .filter_map(|key| match key.split_once(' ') {
            Some(("GET", url)) => Url::parse(url).ok(),
            Some(_) => None,
            None => Url::parse(key).ok(),
        })
        .collect();
    let mut out: Vec<LoginUrl> = Vec::new();
    for raw in scenario.config_urls() {
        let Ok(config_url) = ConfigUrl::parse(&raw) else { continue };
        let probe = probe_request(FetchKind::Config, Method::Get, config_url.url().clone());
        let Ok(response) = idp.peek(&probe) else { continue };
        let Some(url) = login_url_in(config_url.url(), &response.body) else { continue };
        let mut bare = url.clone();
        bare.set_query(None);
        let scripted = scripted.iter().any(|s| *s == url || *s == bare);
        if !out.iter().any(|l| l.url == url) {
            out.push(LoginUrl { url, scripted });
        }
    }
    out
}

/// What `fedcm serve` answers for a config's `login_url` the scenario does
/// not script (with [`ServeOptions::login_page`]): a page that signs the
/// user in at once, saying so with `Set-Login: logged-in`. Its button
/// closes a login pop-up (`IdentityProvider.close()`), after which the
/// browser fetches the accounts again.
pub fn login_page() -> HttpResponse {
    let body = "<!doctype html><meta charset=utf-8><title>Signed in</title>\n\
        <p>fedcm serve: the scenario scripts no login page, so this one signs you in: \
        it answered with <code>Set-Login: logged-in</code>.</p>\n\
        <button onclick=\"IdentityProvider.close()\">Continue</button>\n";
    HttpResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "no-store".into()),
            ("set-login".into(), "logged-in".into()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

/// A bare request of `kind` (no browser headers), for looking up what the
/// scenario answers.
pub(crate) fn probe_request(kind: FetchKind, method: Method, url: Url) -> FetchRequest {
    FetchRequest {
        id: RequestId(0),
        kind,
        provider: 0,
        method,
        url,
        credentials: Credentials::Omit,
        mode: RequestMode::NoCors,
        redirect: Redirect::Error,
        origin: None,
        headers: Vec::new(),
        body: None,
    }
}

/// What the spec requires of the browser's request to this endpoint.
/// `None`: a URL the scenario does not pin to an endpoint (a picture, a
/// redirect target), where only the destination and referrer are checked.
pub fn check_request(
    kind: Option<FetchKind>,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &str,
) -> Vec<Violation> {
    let get = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut v: Vec<Violation> = Vec::new();
    let mut push = |rule: &'static str, message: String| v.push(Violation { rule, message });
    let dest = get("sec-fetch-dest");
    if !matches!(dest, Some("webidentity" | "image")) || (kind.is_some() && dest != Some("webidentity")) {
        let dest = dest.map(|d| clip(d, 64));
        push(
            "sec-fetch-dest",
            format!("Sec-Fetch-Dest must be \"webidentity\" (\"image\" for pictures), got {dest:?} (spec #idp-api)"),
        );
    }
    let Some(kind) = kind else {
        if get("referer").is_some() {
            push("no-referer", "no Referer may be sent (spec #network-requests)".into());
        }
        return v;
    };
    if get("referer").is_some() {
        push("no-referer", "no Referer may be sent (spec #network-requests)".into());
    }
    let opaque_origin = get("origin").is_none_or(|o| o == "null");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let has_field = |name: &str| form.iter().any(|(k, _)| k == name);
    match kind {
        FetchKind::WellKnown | FetchKind::Config => {
            if get("cookie").is_some() {
                push(
                    "no-cookies",
                    format!("the {} fetch must carry no cookies (spec #fetch-config-file)", kind.name()),
                );
            }
            if !opaque_origin {
                push(
                    "no-rp-origin",
                    format!("the {} fetch must not reveal the RP in Origin (spec #fetch-config-file)", kind.name()),
                );
            }
        }
        FetchKind::Accounts => {
            if method != "GET" {
                push("method", "the accounts fetch is a GET (spec #fetch-accounts)".into());
            }
            if !opaque_origin {
                push(
                    "no-rp-origin",
                    "the accounts fetch must not reveal the RP in Origin (spec #fetch-accounts)".into(),
                );
            }
            if url.query_pairs().any(|(k, _)| k == "client_id") {
                push("no-client-id", "the accounts fetch must not carry client_id (spec #fetch-accounts)".into());
            }
        }
        FetchKind::ClientMetadata => {
            if get("cookie").is_some() {
                push(
                    "no-cookies",
                    "the client metadata fetch must carry no cookies (spec #idp-api-client-id-metadata-endpoint)"
                        .into(),
                );
            }
            if !url.query_pairs().any(|(k, _)| k == "client_id") {
                push(
                    "client-id",
                    "the client metadata fetch passes client_id (spec #request-permission-signup)".into(),
                );
            }
        }
        FetchKind::Assertion | FetchKind::Disconnect => {
            let anchor = if kind == FetchKind::Assertion { "fetch-identity-assertion" } else { "disconnect-request" };
            if method != "POST" {
                push("method", format!("the {} request is a POST (spec #{anchor})", kind.name()));
            }
            if opaque_origin {
                push("rp-origin", format!("the {} request carries the RP's Origin (spec #{anchor})", kind.name()));
            }
            let fields: &[&str] = if kind == FetchKind::Assertion {
                &["client_id", "account_id"]
            } else {
                &["client_id", "account_hint"]
            };
            for f in fields {
                if !has_field(f) {
                    push("body-field", format!("the {} body lacks {f} (spec #{anchor})", kind.name()));
                }
            }
        }
        FetchKind::Picture => {}
    }
    v
}

struct State {
    idp: Mutex<MockIdp>,
    kinds: Vec<(Url, FetchKind)>,
    /// The configs' login pages: navigations, not FedCM fetches.
    login_urls: Vec<LoginUrl>,
    /// host -> scheme of the scenario's own URLs (clients send the original
    /// authority in Host, so the port comes from there).
    hosts: BTreeMap<String, String>,
    violations: Mutex<record::ViolationRecord>,
    logger: log::Logger,
    options: ServeOptions,
    tls: Option<tokio_rustls::TlsAcceptor>,
    pages: bool,
    /// A priming sign-in in progress (harness pages only).
    prime: Mutex<Option<pages::Prime>>,
    seen: Option<Mutex<record::SeenRecord>>,
}

impl State {
    /// The scenario's URL for a request that arrived for `host`.
    fn scenario_url(&self, authority: &str, path_and_query: &str) -> Option<Url> {
        let host = match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
            _ => authority,
        };
        let scheme = self.hosts.get(host).cloned().unwrap_or_else(|| "https".into());
        Url::parse(&format!("{scheme}://{authority}{path_and_query}")).ok()
    }

    /// The login page a GET of `url` is for, if any.
    fn login_url(&self, url: &Url) -> Option<&LoginUrl> {
        let mut bare = url.clone();
        bare.set_query(None);
        self.login_urls.iter().find(|l| l.url == *url).or_else(|| self.login_urls.iter().find(|l| l.url == bare))
    }

    /// Which endpoint a request is for. One URL may be two endpoints (an
    /// empty `disconnect_endpoint` resolves to the config URL): the method
    /// chooses, a POST being the assertion or the disconnect request.
    fn kind(&self, url: &Url, post: bool) -> Option<FetchKind> {
        let mut bare = url.clone();
        bare.set_query(None);
        let at_url = || self.kinds.iter().filter(|(u, _)| *u == bare || u == url);
        let posted = |k: FetchKind| matches!(k, FetchKind::Assertion | FetchKind::Disconnect);
        at_url().find(|(_, k)| posted(*k) == post).or_else(|| at_url().next()).map(|(_, k)| *k)
    }
}

type Body = Full<Bytes>;

/// The scripted response on the wire. [`Scenario::validate_for_http`] ran
/// at start, so building cannot fail; if it somehow did, the client gets a
/// 500 that says so rather than an empty 200.
fn to_hyper(r: HttpResponse) -> Response<Body> {
    let mut builder = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(Full::new(Bytes::from(r.body))).unwrap_or_else(|e| {
        let body = serde_json::json!({"error": format!("fedcm serve: cannot send the scripted response: {e}")});
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

fn json_error(status: u16, message: &str) -> Response<Body> {
    to_hyper(HttpResponse::json(serde_json::json!({ "error": message }).to_string()).with_status(status))
}

/// Why a request body could not be read.
enum BodyError {
    TooLarge,
    Broken,
}

/// The body, at most `MAX_REQUEST_BODY` bytes. A longer one is read on (and
/// dropped) up to `MAX_DRAINED_BODY` so the 413 can be answered cleanly.
async fn read_body(mut body: hyper::body::Incoming) -> Result<Vec<u8>, BodyError> {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return Err(BodyError::Broken) };
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len());
        if seen <= MAX_REQUEST_BODY {
            kept.extend_from_slice(&data);
        } else if seen > MAX_DRAINED_BODY {
            break;
        }
    }
    if seen > MAX_REQUEST_BODY {
        Err(BodyError::TooLarge)
    } else {
        Ok(kept)
    }
}

async fn handle(state: Arc<State>, req: Request<hyper::body::Incoming>) -> Result<Response<Body>, std::io::Error> {
    let method = req.method().as_str().to_string();
    let host = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let log_line = |target: &str, verdict: &str| {
        format!("fedcm serve: {} {} {}", clip(&method, 16), clip(target, MAX_LOGGED_URL), clip(verdict, 300))
    };
    let body = match tokio::time::timeout(state.options.header_timeout, read_body(req.into_body())).await {
        Ok(Ok(b)) => String::from_utf8_lossy(&b).into_owned(),
        Ok(Err(BodyError::TooLarge)) => {
            state.logger.request(true, || log_line(&path, "413: body over the limit"));
            let message = format!("fedcm serve: the request body is over {MAX_REQUEST_BODY} bytes");
            return Ok(json_error(413, &message));
        }
        Ok(Err(BodyError::Broken)) => {
            state.logger.request(true, || log_line(&path, "400: the body could not be read"));
            return Ok(json_error(400, "fedcm serve: the request body could not be read"));
        }
        Err(_) => {
            state.logger.request(true, || log_line(&path, "408: the body did not arrive in time"));
            return Ok(json_error(408, "fedcm serve: the request body did not arrive within the header timeout"));
        }
    };
    let Some(url) = state.scenario_url(&host, &path) else {
        state.logger.request(true, || log_line(&path, "400: bad Host"));
        return Ok(json_error(400, "fedcm serve: bad Host"));
    };
    let kind = state.kind(&url, method == "POST");
    // A GET of a config's login_url (that is no FedCM endpoint too) is a
    // navigation: the FedCM request rules do not apply to it.
    let login = if method == "GET" && kind.is_none() { state.login_url(&url).cloned() } else { None };
    // With the login page on, a login page reaches the browser whatever
    // the harness pages would answer (they refuse what is no FedCM fetch).
    let navigation = login.is_some() && state.options.login_page && !path.starts_with(pages::PREFIX);
    let prime = state.prime.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(page) = (state.pages && !navigation).then(|| pages::page(&path, &headers, prime.as_ref())).flatten() {
        state.logger.request(false, || log_line(url.as_str(), &format!("{} [harness page]", page.status)));
        return Ok(to_hyper(page));
    }
    if let Some(seen) = &state.seen {
        let request =
            SeenRequest { method: method.clone(), url: url.to_string(), headers: headers.clone(), body: body.clone() };
        seen.lock().unwrap_or_else(|e| e.into_inner()).add(request);
    }
    if login.as_ref().is_some_and(|l| !l.scripted && state.options.login_page) {
        let page = login_page();
        state.logger.request(false, || {
            format!("{} [login page: serve's own, Set-Login: logged-in]", log_line(url.as_str(), "200"))
        });
        return Ok(to_hyper(page));
    }
    let violations = if login.is_some() { Vec::new() } else { check_request(kind, &method, &url, &headers, &body) };
    state.logger.request(!violations.is_empty(), || {
        let messages: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
        let verdict = if messages.is_empty() { "ok".to_string() } else { messages.join("; ") };
        let name = match (kind, &login) {
            (Some(k), _) => k.name(),
            (None, Some(_)) => "login page",
            (None, None) => "other",
        };
        format!("{} [{name}]", log_line(url.as_str(), &verdict))
    });
    if !violations.is_empty() {
        state.violations.lock().unwrap_or_else(|e| e.into_inner()).add(&method, url.as_str(), &violations);
        let messages: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
        let body = serde_json::json!({"error": "fedcm serve: the request breaks what the spec requires of a browser", "violations": messages});
        return Ok(to_hyper(HttpResponse::json(body.to_string()).with_status(400)));
    }
    let method_enum = if method == "POST" { Method::Post } else { Method::Get };
    let mut request = probe_request(kind.unwrap_or(FetchKind::Picture), method_enum, url);
    request.body = Some(body);
    let (result, delay) = state.idp.lock().unwrap_or_else(|e| e.into_inner()).answer_with_delay(&request);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    match result {
        Ok(r) => Ok(to_hyper(r)),
        // No response at all: the connection is dropped.
        Err(e) => Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, e.reason)),
    }
}

/// One accepted connection, under the header and idle timeouts. With TLS,
/// the handshake must end within the header timeout; activity is counted
/// on the socket, so TLS records count as bytes moved.
async fn serve_connection(state: Arc<State>, stream: tokio::net::TcpStream) {
    let (io, activity) = conn::track(stream);
    match state.tls.clone() {
        None => serve_http(state, io, activity).await,
        Some(acceptor) => {
            let timeout = state.options.header_timeout;
            if let Ok(Ok(tls)) = tokio::time::timeout(timeout, acceptor.accept(io)).await {
                serve_http(state, tls, activity).await;
            }
        }
    }
}

/// HTTP/1.1 over `io` until the client is done or the connection idles.
async fn serve_http<IO>(state: Arc<State>, io: IO, activity: Arc<conn::Activity>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let options = state.options;
    let busy = activity.clone();
    let service = service_fn(move |req| {
        let guard = busy.busy();
        let state = state.clone();
        async move {
            let response = handle(state, req).await;
            drop(guard);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(options.header_timeout).max_buf_size(MAX_REQUEST_HEAD);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    conn::until_idle(connection, activity, options.idle_timeout).await;
}

/// A running mock IdP.
pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    tls: Option<tls::TlsIdentity>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and serves on a thread of its
    /// own, with the default limits; `log` logs every request on stderr.
    pub fn start(scenario: &Scenario, addr: &str, log: bool) -> Result<Server, ServeError> {
        let log = if log { LogLevel::All } else { LogLevel::None };
        Server::start_with(scenario, addr, ServeOptions { log, ..ServeOptions::default() })
    }

    /// [`Server::start`] with chosen limits. Refuses a scenario whose
    /// responses HTTP cannot carry, and limits out of range. Everything that
    /// can fail (binding, the event loop, the thread) is done before this
    /// returns: once it is `Ok`, the port listens and is being served.
    pub fn start_with(scenario: &Scenario, addr: &str, options: ServeOptions) -> Result<Server, ServeError> {
        Server::start_full(scenario, addr, options, ServeExtras::default())
    }

    /// [`Server::start_with`] with TLS, harness pages or a request record.
    pub fn start_full(
        scenario: &Scenario,
        addr: &str,
        options: ServeOptions,
        extras: ServeExtras,
    ) -> Result<Server, ServeError> {
        scenario.validate()?;
        scenario.validate_for_http()?;
        options.check()?;
        let rp = scenario.rp()?;
        let mut hosts = BTreeMap::new();
        for key in scenario.idp.keys() {
            let url = key.rsplit(' ').next().unwrap_or(key);
            if let Ok(u) = Url::parse(url) {
                if let Some(h) = u.host_str() {
                    hosts.insert(h.to_string(), u.scheme().to_string());
                }
            }
        }
        if extras.tls.is_some() {
            // Every request arrives over TLS: its URL is https whatever the scenario wrote.
            hosts.values_mut().for_each(|scheme| *scheme = "https".into());
        }
        let bind = |source| ServeError::Bind { addr: addr.to_string(), source };
        let std_listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        std_listener.set_nonblocking(true).map_err(bind)?;
        let local = std_listener.local_addr().map_err(bind)?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ServeError::Runtime)?;
        // Registering the socket needs the runtime's reactor.
        let listener = {
            let _entered = rt.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(ServeError::Runtime)?
        };
        let idp = MockIdp::new(scenario, &rp);
        let state = Arc::new(State {
            kinds: endpoint_kinds(scenario, &idp),
            login_urls: login_urls(scenario, &idp),
            idp: Mutex::new(idp),
            hosts,
            violations: Mutex::new(record::ViolationRecord::default()),
            logger: log::Logger::new(options.log),
            options,
            tls: extras.tls.as_ref().map(tls::TlsIdentity::acceptor).transpose().map_err(ServeError::Tls)?,
            pages: extras.pages,
            prime: Mutex::new(None),
            seen: extras.record.then(Mutex::default),
        });
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("fedcm-serve".into())
            .spawn(move || {
                rt.block_on(async move {
                    let serve = |stream| serve_connection(shared.clone(), stream);
                    conn::accept_loop(listener, options.max_connections, &shared.logger, stop_rx, serve).await;
                });
            })
            .map_err(ServeError::Runtime)?;
        Ok(Server { addr: local, state, stop: Some(stop_tx), thread: Some(thread), tls: extras.tls })
    }

    /// The certificate served, with `--tls`.
    pub fn tls_identity(&self) -> Option<&tls::TlsIdentity> {
        self.tls.as_ref()
    }

    /// The requests received since the last call (harness pages excluded),
    /// oldest first, and how many more arrived past [`MAX_SEEN`]; empty
    /// unless [`ServeExtras::record`].
    pub fn take_requests_counted(&self) -> (Vec<SeenRequest>, u64) {
        match &self.state.seen {
            Some(seen) => seen.lock().unwrap_or_else(|e| e.into_inner()).take(),
            None => (Vec::new(), 0),
        }
    }

    /// [`Server::take_requests_counted`] without the count.
    pub fn take_requests(&self) -> Vec<SeenRequest> {
        self.take_requests_counted().0
    }

    /// Serves the priming IdP (with [`ServeExtras::pages`]) until `None`.
    pub fn set_prime(&self, prime: Option<pages::Prime>) {
        *self.state.prime.lock().unwrap_or_else(|e| e.into_inner()) = prime;
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The last [`RECENT_VIOLATIONS`] rule-breaking requests, oldest first,
    /// each clipped to about [`MAX_VIOLATION_LINE`] bytes.
    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap_or_else(|e| e.into_inner()).recent()
    }

    /// How many violations were seen since the start, in all and per rule.
    pub fn violation_counts(&self) -> ViolationCounts {
        self.state.violations.lock().unwrap_or_else(|e| e.into_inner()).counts()
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
