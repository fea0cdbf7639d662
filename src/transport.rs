//! Sends the model's requests over real HTTP, exactly as emitted: method,
//! URL, the browser's headers, the form body; cookies only on credentialed
//! requests and only when the user supplies them. Redirects are never
//! followed here: the model decides (it follows only the well-known file's).

use fedcm_model::machine::request::{Credentials, FetchRequest, FetchResult, Method, NetworkError};
use fedcm_model::profile::MAX_BODY_BYTES;
use fedcm_model::HttpResponse;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Every host resolves to one address (the local mock IdP).
struct Fixed(SocketAddr);

impl Resolve for Fixed {
    fn resolve(&self, _: Name) -> Resolving {
        let addr = self.0;
        Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as Addrs) })
    }
}

pub struct HttpTransport {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    via: Option<SocketAddr>,
    cookie: Option<String>,
    timeout: Duration,
}

/// What one exchange took, for reports.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub elapsed: Duration,
    /// The body was cut at the model's limit (plus one byte, so the model
    /// still sees it is too large).
    pub truncated: bool,
}

impl HttpTransport {
    /// `via`: send every request to this `host:port` over plain HTTP (a
    /// `fedcm serve` mock), keeping the original Host.
    pub fn new(via: Option<&str>, cookie: Option<String>, timeout: Duration) -> Result<HttpTransport, String> {
        let via = match via {
            None => None,
            Some(v) => {
                let v = v.trim_start_matches("http://").trim_end_matches('/');
                Some(v.parse::<SocketAddr>().map_err(|e| format!("--via {v:?} is not host:port ({e})"))?)
            }
        };
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy();
        if let Some(addr) = via {
            builder = builder.dns_resolver(std::sync::Arc::new(Fixed(addr)));
        }
        let client = builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(HttpTransport { runtime, client, via, cookie, timeout })
    }

    pub fn fetch(&self, request: &FetchRequest) -> FetchResult {
        self.fetch_timed(request).0
    }

    pub fn fetch_timed(&self, request: &FetchRequest) -> (FetchResult, Exchange) {
        let began = Instant::now();
        let (result, truncated) = self.runtime.block_on(self.send(request));
        (result, Exchange { elapsed: began.elapsed(), truncated })
    }

    async fn send(&self, request: &FetchRequest) -> (FetchResult, bool) {
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
        let mut builder = self.client.request(method, url);
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
        let failed = |e: reqwest::Error| {
            let reason = if e.is_timeout() {
                format!("no response within {:?}", self.timeout)
            } else if e.is_connect() {
                format!("cannot connect: {e}")
            } else {
                format!("{e}")
            };
            (Err(NetworkError::new(reason)), false)
        };
        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_BODY_BYTES {
                        body.truncate(MAX_BODY_BYTES + 1);
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return failed(e),
            }
        }
        (Ok(HttpResponse { status, headers, body }), truncated)
    }
}
