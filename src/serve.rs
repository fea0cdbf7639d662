//! `fedcm serve`: a scripted IdP on real HTTP. It answers with a scenario's
//! responses byte for byte, and checks each request against what the spec
//! requires of a browser (spec `#idp-api` and the per-endpoint sections),
//! answering a violation with `400` and a JSON error that names the rule.
//!
//! Every host the scenario names is served from one loopback port: clients
//! reach it by resolving those hosts to this address (`fedcm probe --via`).

use crate::scenario::{Call, MockIdp, Scenario, ScenarioError};
use bytes::Bytes;
use fedcm_model::idp::config::Checked;
use fedcm_model::machine::request::{Credentials, FetchKind, FetchRequest, Method, Redirect, RequestId, RequestMode};
use fedcm_model::{ConfigUrl, HttpResponse, Profile};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use url::Url;

/// Largest request body the mock reads.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// Which FedCM endpoint each URL of the scenario is, from the providers'
/// config URLs and the config files the scenario serves.
fn endpoint_kinds(scenario: &Scenario) -> Vec<(Url, FetchKind)> {
    let mut config_urls: Vec<String> = Vec::new();
    match &scenario.call {
        Call::Get(options) => {
            if let Some(providers) = options.pointer("/identity/providers").and_then(|p| p.as_array()) {
                config_urls.extend(providers.iter().filter_map(|p| p.get("configURL")?.as_str().map(String::from)));
            }
        }
        Call::Disconnect(options) => {
            config_urls.extend(options.get("configURL").and_then(|c| c.as_str()).map(String::from));
        }
    }
    let rp = scenario.rp().ok();
    let mut idp = rp.map(|rp| MockIdp::new(scenario, &rp));
    let mut kinds = Vec::new();
    for raw in config_urls {
        let Ok(config_url) = ConfigUrl::parse(&raw) else { continue };
        kinds.push((config_url.well_known_url(), FetchKind::WellKnown));
        kinds.push((config_url.url().clone(), FetchKind::Config));
        let probe = probe_request(FetchKind::Config, Method::Get, config_url.url().clone());
        let Some(Ok(response)) = idp.as_mut().map(|i| i.clone().answer(&probe)) else { continue };
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

fn probe_request(kind: FetchKind, method: Method, url: Url) -> FetchRequest {
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
) -> Vec<String> {
    let get = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut v = Vec::new();
    let dest = get("sec-fetch-dest");
    if !matches!(dest, Some("webidentity" | "image")) || (kind.is_some() && dest != Some("webidentity")) {
        v.push(format!(
            "Sec-Fetch-Dest must be \"webidentity\" (\"image\" for pictures), got {dest:?} (spec #idp-api)"
        ));
    }
    let Some(kind) = kind else {
        if get("referer").is_some() {
            v.push("no Referer may be sent (spec #network-requests)".into());
        }
        return v;
    };
    if get("referer").is_some() {
        v.push("no Referer may be sent (spec #network-requests)".into());
    }
    let opaque_origin = get("origin").is_none_or(|o| o == "null");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let has_field = |name: &str| form.iter().any(|(k, _)| k == name);
    match kind {
        FetchKind::WellKnown | FetchKind::Config => {
            if get("cookie").is_some() {
                v.push(format!("the {} fetch must carry no cookies (spec #fetch-config-file)", kind.name()));
            }
            if !opaque_origin {
                v.push(format!("the {} fetch must not reveal the RP in Origin (spec #fetch-config-file)", kind.name()));
            }
        }
        FetchKind::Accounts => {
            if method != "GET" {
                v.push("the accounts fetch is a GET (spec #fetch-accounts)".into());
            }
            if !opaque_origin {
                v.push("the accounts fetch must not reveal the RP in Origin (spec #fetch-accounts)".into());
            }
            if url.query_pairs().any(|(k, _)| k == "client_id") {
                v.push("the accounts fetch must not carry client_id (spec #fetch-accounts)".into());
            }
        }
        FetchKind::ClientMetadata => {
            if get("cookie").is_some() {
                v.push(
                    "the client metadata fetch must carry no cookies (spec #idp-api-client-id-metadata-endpoint)"
                        .into(),
                );
            }
            if !url.query_pairs().any(|(k, _)| k == "client_id") {
                v.push("the client metadata fetch passes client_id (spec #request-permission-signup)".into());
            }
        }
        FetchKind::Assertion | FetchKind::Disconnect => {
            let anchor = if kind == FetchKind::Assertion { "fetch-identity-assertion" } else { "disconnect-request" };
            if method != "POST" {
                v.push(format!("the {} request is a POST (spec #{anchor})", kind.name()));
            }
            if opaque_origin {
                v.push(format!("the {} request carries the RP's Origin (spec #{anchor})", kind.name()));
            }
            let fields: &[&str] = if kind == FetchKind::Assertion {
                &["client_id", "account_id"]
            } else {
                &["client_id", "account_hint"]
            };
            for f in fields {
                if !has_field(f) {
                    v.push(format!("the {} body lacks {f} (spec #{anchor})", kind.name()));
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
    /// host -> scheme of the scenario's own URLs (clients send the original
    /// authority in Host, so the port comes from there).
    hosts: BTreeMap<String, String>,
    violations: Mutex<Vec<String>>,
    log: bool,
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

    fn kind(&self, url: &Url) -> Option<FetchKind> {
        let mut bare = url.clone();
        bare.set_query(None);
        self.kinds.iter().find(|(u, _)| *u == bare || u == url).map(|(_, k)| *k)
    }
}

type Body = Full<Bytes>;

fn to_hyper(r: HttpResponse) -> Response<Body> {
    let mut builder = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(Full::new(Bytes::from(r.body))).unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
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
    let body = match http_body_util::Limited::new(req.into_body(), MAX_REQUEST_BODY).collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let Some(url) = state.scenario_url(&host, &path) else {
        return Ok(to_hyper(HttpResponse::json("{\"error\":\"fedcm serve: bad Host\"}").with_status(400)));
    };
    let kind = state.kind(&url);
    let violations = check_request(kind, &method, &url, &headers, &body);
    if state.log {
        let verdict = if violations.is_empty() { "ok".to_string() } else { violations.join("; ") };
        let name = kind.map(|k| k.name()).unwrap_or("other");
        eprintln!("fedcm serve: {method} {url} [{name}] {verdict}");
    }
    if !violations.is_empty() {
        state
            .violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(violations.iter().map(|v| format!("{method} {url}: {v}")));
        let body = serde_json::json!({"error": "fedcm serve: the request breaks what the spec requires of a browser", "violations": violations});
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

/// A running mock IdP.
pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and serves on a thread of its own.
    pub fn start(scenario: &Scenario, addr: &str, log: bool) -> Result<Server, ScenarioError> {
        scenario.validate()?;
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
        let state = Arc::new(State {
            idp: Mutex::new(MockIdp::new(scenario, &rp)),
            kinds: endpoint_kinds(scenario),
            hosts,
            violations: Mutex::new(Vec::new()),
            log,
        });
        let std_listener =
            std::net::TcpListener::bind(addr).map_err(|e| ScenarioError(format!("cannot listen on {addr}: {e}")))?;
        std_listener.set_nonblocking(true).map_err(|e| ScenarioError(e.to_string()))?;
        let local = std_listener.local_addr().map_err(|e| ScenarioError(e.to_string()))?;
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else { return };
                loop {
                    tokio::select! {
                        _ = &mut stop_rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let state = shared.clone();
                            tokio::spawn(async move {
                                let service = service_fn(move |req| handle(state.clone(), req));
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        Ok(Server { addr: local, state, stop: Some(stop_tx), thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests that broke a rule so far.
    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap_or_else(|e| e.into_inner()).clone()
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
