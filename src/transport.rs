//! Sends the model's requests over real HTTP, exactly as emitted: method,
//! URL, the browser's headers, the form body; cookies only on credentialed
//! requests and only when the user supplies them. Redirects are never
//! followed here: the model decides (it follows only the well-known file's).
//!
//! Two bounds besides the model's body limit: `timeout` per fetch and an
//! optional overall deadline; and pictures are not fetched from private
//! addresses unless allowed (see `transport/address.rs`).

mod address;
mod cause;

pub use address::is_public;

use cause::PrivateAddress;
use fedcm_model::machine::fetch::{Credentials, FetchKind, FetchRequest, FetchResult, Method, NetworkError};
use fedcm_model::HttpResponse;
use fedcm_model::MAX_BODY_BYTES;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Host;

/// Every host resolves to one address (the local mock IdP).
struct Fixed(SocketAddr);

impl Resolve for Fixed {
    fn resolve(&self, _: Name) -> Resolving {
        let addr = self.0;
        Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) })
    }
}

/// The system resolver, keeping only public addresses: a name that
/// resolves to private ones only is refused with [`PrivateAddress`]. The
/// check is on the addresses connected to, so a name cannot pass it and
/// then resolve elsewhere.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.iter().copied().filter(|a| is_public(a.ip())).collect();
            match (public.is_empty(), all.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as Addrs),
                (true, Some(a)) => Err(Box::new(PrivateAddress { host, addr: a.ip() }) as _),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

pub struct HttpTransport {
    /// Always `Some` until dropped: see the `Drop` impl.
    runtime: Option<tokio::runtime::Runtime>,
    inner: Inner,
    deadline: Option<(Instant, Duration)>,
    /// A fetch was refused or abandoned because the deadline passed.
    cut_by_deadline: AtomicBool,
}

/// Dropping a runtime waits for its blocking tasks, and a name lookup
/// (`getaddrinfo`, one such task) cannot be cancelled: with a DNS server
/// that never answers, the process would outlive `--deadline` by the
/// resolver's own timeouts. Those tasks are abandoned instead; their
/// threads end with the process.
impl Drop for HttpTransport {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What a fetch needs, cloned (cheaply: the clients are shared handles)
/// into each concurrent picture fetch.
#[derive(Clone)]
struct Inner {
    client: reqwest::Client,
    /// For pictures when private addresses are refused; `None` when they
    /// are allowed or everything goes to a mock (`via`).
    picture_client: Option<reqwest::Client>,
    /// Hosts whose pictures are fetched even if private: those of the
    /// config files fetched, that is of the config URLs the call names (a
    /// local IdP under test serves its pictures too). Learnt as the config
    /// fetches go out, so `probe` and `probe --scenario` trust alike; the
    /// pictures come later, from the accounts list.
    trusted_hosts: Arc<Mutex<BTreeSet<String>>>,
    via: Option<SocketAddr>,
    cookie: Option<String>,
    timeout: Duration,
}

/// Picture fetches in flight at once: Chromium opens up to 6 HTTP/1.1
/// connections per host, and a list of a thousand pictures fetched one by
/// one would take longer than any sensible deadline.
pub const PICTURE_CONCURRENCY: usize = 6;

/// Why the transport did not (fully) fetch: not the server's fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The overall deadline (its length) passed first.
    Deadline(Duration),
    /// A picture whose host is not on the public internet.
    PrivateAddress { host: String, addr: IpAddr },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Deadline(d) => write!(f, "the overall deadline of {} s passed (--deadline)", d.as_secs_f64()),
            Refusal::PrivateAddress { host, addr } => write!(
                f,
                "not fetched: {host} is a private address ({addr}); pass --allow-private to fetch pictures from it"
            ),
        }
    }
}

/// What one exchange took, for reports.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub elapsed: Duration,
    /// The body's length as read (at most the model's limit plus one).
    pub bytes: usize,
    /// The body was cut at the model's limit (plus one byte, so the model
    /// still sees it is too large).
    pub truncated: bool,
    /// The transport refused or gave up; the model got a network error.
    pub refused: Option<Refusal>,
    /// The response's Content-Encoding, when not `identity`: this client
    /// decodes none, so the body is the encoded bytes.
    pub content_encoding: Option<String>,
}

impl HttpTransport {
    /// `via`: send every request to this `host:port` over plain HTTP (a
    /// `fedcm serve` mock), keeping the original Host. Without `via`,
    /// pictures on private addresses are refused, unless
    /// [`HttpTransport::allow_private`] or on a config URL's host.
    pub fn new(via: Option<&str>, cookie: Option<String>, timeout: Duration) -> Result<HttpTransport, String> {
        let via = match via {
            None => None,
            Some(v) => {
                let v = v.trim_start_matches("http://").trim_end_matches('/');
                Some(v.parse::<SocketAddr>().map_err(|e| format!("--via {v:?} is not host:port ({e})"))?)
            }
        };
        let builder = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .connect_timeout(timeout)
                .no_proxy()
        };
        let build = |b: reqwest::ClientBuilder| b.build().map_err(|e| format!("cannot build the HTTP client: {e}"));
        let (client, picture_client) = match via {
            Some(addr) => (build(builder().dns_resolver(Arc::new(Fixed(addr))))?, None),
            None => (build(builder())?, Some(build(builder().dns_resolver(Arc::new(PublicOnly)))?)),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let inner = Inner { client, picture_client, trusted_hosts: Arc::default(), via, cookie, timeout };
        Ok(HttpTransport { runtime: Some(runtime), inner, deadline: None, cut_by_deadline: AtomicBool::new(false) })
    }

    /// Every fetch must finish within `total` from now; later ones fail at
    /// once with [`Refusal::Deadline`]. A deadline past what the clock can
    /// represent is no deadline.
    pub fn with_deadline(mut self, total: Duration) -> HttpTransport {
        self.deadline = Instant::now().checked_add(total).map(|at| (at, total));
        self
    }

    /// Fetch pictures from any address (`--allow-private`).
    pub fn allow_private(mut self) -> HttpTransport {
        self.inner.picture_client = None;
        self
    }

    /// Whether a fetch was refused or abandoned because the overall
    /// deadline passed: the run is incomplete. The clock alone does not
    /// say so: a run may end just before the deadline and print after it.
    pub fn cut_by_deadline(&self) -> bool {
        self.cut_by_deadline.load(Ordering::Relaxed)
    }

    pub fn fetch(&self, request: &FetchRequest) -> FetchResult {
        self.fetch_timed(request).0
    }

    pub fn fetch_timed(&self, request: &FetchRequest) -> (FetchResult, Exchange) {
        let mut one = None;
        let batch = [Arc::new(request.clone())];
        self.fetch_batch(&batch, |_, result, exchange| one = Some((result, exchange)));
        one.unwrap_or_else(|| (Err(NetworkError::new("the fetch was not run")), Exchange::default()))
    }

    /// Fetches `requests` concurrently (at most [`PICTURE_CONCURRENCY`] at
    /// once), handing each result to `done` with its request's index as
    /// soon as it arrives, so none waits for the rest of the batch. For
    /// requests the model hands out together and does not order: pictures.
    pub fn fetch_batch(&self, requests: &[Arc<FetchRequest>], mut done: impl FnMut(usize, FetchResult, Exchange)) {
        let Some(runtime) = &self.runtime else { return };
        for request in requests.iter().filter(|r| r.kind == FetchKind::Config) {
            if let Some(host) = request.url.host_str() {
                self.inner.trusted().insert(host.to_string());
            }
        }
        let inner = Arc::new(self.inner.clone());
        let deadline = self.deadline;
        let mut pending = vec![true; requests.len()];
        let mut finish = |i: usize, result: FetchResult, exchange: Exchange| {
            if matches!(exchange.refused, Some(Refusal::Deadline(_))) {
                self.cut_by_deadline.store(true, Ordering::Relaxed);
            }
            if let Some(p) = pending.get_mut(i) {
                *p = false;
            }
            done(i, result, exchange);
        };
        runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            let mut next = 0;
            while next < requests.len() || !set.is_empty() {
                while next < requests.len() && set.len() < PICTURE_CONCURRENCY {
                    let (inner, request, i) = (inner.clone(), requests[next].clone(), next);
                    set.spawn(async move { (i, timed(&inner, &request, deadline).await) });
                    next += 1;
                }
                match set.join_next().await {
                    Some(Ok((i, (result, exchange)))) => finish(i, result, exchange),
                    // A task that failed is reported below.
                    Some(Err(_)) => {}
                    None => break,
                }
            }
        });
        for (i, p) in pending.into_iter().enumerate() {
            if p {
                done(i, Err(NetworkError::new("the fetch task failed")), Exchange::default());
            }
        }
    }
}

/// The most of a picture's header value kept for the report.
const PICTURE_HEADER_BYTES: usize = 256;

/// A header value as text; a picture's cut to [`PICTURE_HEADER_BYTES`].
fn header_text(value: &[u8], picture: bool) -> String {
    let kept = if picture { &value[..value.len().min(PICTURE_HEADER_BYTES)] } else { value };
    String::from_utf8_lossy(kept).into_owned()
}

/// One fetch within the overall deadline, timed.
async fn timed(
    inner: &Inner,
    request: &FetchRequest,
    deadline: Option<(Instant, Duration)>,
) -> (FetchResult, Exchange) {
    let began = Instant::now();
    let mut exchange = Exchange::default();
    let result = match deadline {
        None => inner.send(request, &mut exchange).await,
        Some((at, total)) => {
            let sent = if at <= began {
                None
            } else {
                tokio::time::timeout_at(at.into(), inner.send(request, &mut exchange)).await.ok()
            };
            sent.unwrap_or_else(|| {
                let refusal = Refusal::Deadline(total);
                let reason = refusal.to_string();
                exchange.refused = Some(refusal);
                Err(NetworkError::new(reason))
            })
        }
    };
    exchange.elapsed = began.elapsed();
    (result, exchange)
}

impl Inner {
    fn trusted(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.trusted_hosts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The client for this request, or why it is not sent.
    fn client_for(&self, request: &FetchRequest) -> Result<&reqwest::Client, Refusal> {
        let Some(pictures) = &self.picture_client else { return Ok(&self.client) };
        if request.kind != FetchKind::Picture || request.url.host_str().is_some_and(|h| self.trusted().contains(h)) {
            return Ok(&self.client);
        }
        // An address literal is connected to without a lookup.
        let literal = match request.url.host() {
            Some(Host::Ipv4(a)) => Some(IpAddr::V4(a)),
            Some(Host::Ipv6(a)) => Some(IpAddr::V6(a)),
            _ => None,
        };
        match literal {
            Some(addr) if !is_public(addr) => {
                Err(Refusal::PrivateAddress { host: request.url.host_str().unwrap_or_default().into(), addr })
            }
            _ => Ok(pictures),
        }
    }

    async fn send(&self, request: &FetchRequest, exchange: &mut Exchange) -> FetchResult {
        let client = match self.client_for(request) {
            Ok(c) => c,
            Err(refusal) => {
                let reason = refusal.to_string();
                exchange.refused = Some(refusal);
                return Err(NetworkError::new(reason));
            }
        };
        let mut url = request.url.clone();
        // The original authority, so a mock serving several origins on one
        // port can tell them apart.
        let mut host = None;
        if let Some(addr) = self.via {
            host = Some(match request.url.port() {
                Some(p) => format!("{}:{p}", request.url.host_str().unwrap_or("")),
                None => request.url.host_str().unwrap_or("").to_string(),
            });
            let _ = url.set_scheme("http");
            let _ = url.set_port(Some(addr.port()));
        }
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = client.request(method, url);
        if let Some(h) = host {
            builder = builder.header(reqwest::header::HOST, h);
        }
        for (k, v) in &request.headers {
            builder = builder.header(*k, v.as_ref());
        }
        if request.credentials == Credentials::Include {
            if let Some(cookie) = &self.cookie {
                builder = builder.header("Cookie", cookie.as_str());
            }
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut failed = |e: reqwest::Error| {
            if let Some(p) = cause::private_address(&e) {
                let refusal = Refusal::PrivateAddress { host: p.host.clone(), addr: p.addr };
                let reason = refusal.to_string();
                exchange.refused = Some(refusal);
                return Err(NetworkError::new(reason));
            }
            Err(NetworkError::new(cause::describe(&e, self.timeout)))
        };
        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let status = response.status().as_u16();
        // The model ignores a picture's body and headers (a browser shows a
        // placeholder whatever they are); the report wants the length and
        // the Content-Type. Keeping no more lets a list of thousands of
        // pictures of a megabyte each pass through in bounded memory.
        let picture = request.kind == FetchKind::Picture;
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(k, _)| !picture || *k == reqwest::header::CONTENT_TYPE || *k == reqwest::header::CONTENT_ENCODING)
            .map(|(k, v)| (k.as_str().to_string(), header_text(v.as_bytes(), picture)))
            .collect();
        let mut body = Vec::new();
        let (mut bytes, mut truncated) = (0usize, false);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    bytes = bytes.saturating_add(chunk.len());
                    if !picture {
                        body.extend_from_slice(&chunk);
                    }
                    if bytes > MAX_BODY_BYTES {
                        bytes = MAX_BODY_BYTES + 1;
                        body.truncate(MAX_BODY_BYTES + 1);
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return failed(e),
            }
        }
        exchange.bytes = bytes;
        exchange.truncated = truncated;
        exchange.content_encoding = headers
            .iter()
            .filter(|(k, _)| k == "content-encoding")
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"))
            .map(str::to_string);
        Ok(HttpResponse { status, headers, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lookup that blocks a thread (as `getaddrinfo` does with a DNS
    /// server that never answers) for 30 s, then says it finished.
    struct Stuck(Arc<AtomicBool>);

    impl Resolve for Stuck {
        fn resolve(&self, _: Name) -> Resolving {
            let finished = self.0.clone();
            Box::pin(async move {
                let _ = tokio::task::spawn_blocking(move || {
                    std::thread::sleep(Duration::from_secs(30));
                    finished.store(true, Ordering::SeqCst);
                })
                .await;
                Err("no address".into())
            })
        }
    }

    fn config_request() -> FetchRequest {
        let url = "https://idp.example/config.json".parse().unwrap();
        crate::serve::probe_request(FetchKind::Config, Method::Get, url)
    }

    /// The deadline ends a fetch stuck in a name lookup, and dropping the
    /// transport then does not wait for the lookup's thread: the process
    /// ends at the deadline, not at the resolver's timeout.
    #[test]
    fn a_stuck_lookup_does_not_outlive_the_deadline() {
        let finished = Arc::new(AtomicBool::new(false));
        let mut transport =
            HttpTransport::new(None, None, Duration::from_secs(60)).unwrap().with_deadline(Duration::from_millis(300));
        transport.inner.client =
            reqwest::Client::builder().dns_resolver(Arc::new(Stuck(finished.clone()))).build().unwrap();
        let (result, exchange) = transport.fetch_timed(&config_request());
        assert!(result.is_err());
        assert!(matches!(exchange.refused, Some(Refusal::Deadline(_))), "{exchange:?}");
        assert!(transport.cut_by_deadline());
        drop(transport);
        assert!(!finished.load(Ordering::SeqCst), "the drop waited for the stuck lookup");
    }
}
