//! The requests the machine asks a driver to send, with every field a
//! privacy property needs: credentials, origin, referrer, redirect mode,
//! destination, headers and body (spec `#idp-api`, `#network-requests`).

use crate::mutation::mutant;
use crate::profile::rules::ImageFetch;
use serde::Serialize;
use std::borrow::Cow;
use url::Url;

/// Identifies one request across `Step::Fetch` and `Flow::on_response`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RequestId(pub u64);

/// Which document a request fetches; decides how the response is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FetchKind {
    /// `/.well-known/web-identity` (no cookies, no `Origin`).
    WellKnown,
    /// The config file at the RP's `configURL` (no cookies, no `Origin`).
    Config,
    /// The accounts list (IdP cookies, nothing that names the RP).
    Accounts,
    /// An image for the dialog: an account picture or (Chromium) a brand
    /// icon. No cookies; the response is ignored.
    Picture,
    /// The client metadata (no cookies, the RP's `Origin`).
    ClientMetadata,
    /// The identity assertion POST (cookies, `Origin`, CORS).
    Assertion,
    /// The `disconnect()` POST (cookies, `Origin`, CORS).
    Disconnect,
}

impl FetchKind {
    /// The kebab-case name the trace and scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            FetchKind::WellKnown => "well-known",
            FetchKind::Config => "config",
            FetchKind::Accounts => "accounts",
            FetchKind::Picture => "picture",
            FetchKind::ClientMetadata => "client-metadata",
            FetchKind::Assertion => "assertion",
            FetchKind::Disconnect => "disconnect",
        }
    }
}

/// The HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Every fetch but the two POSTs.
    Get,
    /// The assertion and disconnect requests, with a form body.
    Post,
}

/// Fetch's credentials mode: whether cookies go with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Credentials {
    /// No cookies.
    Omit,
    /// The IdP's cookies go with the request.
    Include,
}

/// Fetch's request mode: whether the response must pass a CORS check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum RequestMode {
    /// No CORS check; the browser reads the response itself.
    NoCors,
    /// The response must carry `Access-Control-Allow-Origin` and `-Credentials` for the RP.
    Cors,
}

/// Fetch's redirect mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Redirect {
    /// A redirect is followed (the well-known fetch, and the spec's
    /// picture fetch).
    Follow,
    /// A redirect fails the fetch.
    Error,
}

/// What the machine keeps of a request it sent until the response comes:
/// enough to route the response. The whole request goes to the driver and
/// into the trace; a third copy would cost a clone per fetch on the hot
/// path. (A well-known redirect resolves against the URL its manifests
/// step keeps.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pending {
    /// The request's id.
    pub id: RequestId,
    /// Which fetch it is.
    pub kind: FetchKind,
    /// The index of the provider it is for.
    pub provider: usize,
}

impl Pending {
    /// The record of `request`.
    pub fn of(request: &FetchRequest) -> Pending {
        Pending { id: request.id, kind: request.kind, provider: request.provider }
    }
}

/// One HTTP request the driver must send for the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Hash)]
pub struct FetchRequest {
    /// Names the request when the driver answers.
    pub id: RequestId,
    /// Which document it fetches.
    pub kind: FetchKind,
    /// Which provider (index into the RP's `providers`) it is for.
    pub provider: usize,
    /// `GET` or `POST`.
    pub method: Method,
    /// The absolute URL to fetch.
    pub url: Url,
    /// Whether the driver adds the IdP's cookies.
    pub credentials: Credentials,
    /// Whether the response must pass CORS.
    pub mode: RequestMode,
    /// Whether a redirect is followed or is an error.
    pub redirect: Redirect,
    /// The RP origin sent as `Origin`; `None` for an opaque request origin.
    pub origin: Option<String>,
    /// Every header the browser sets (never `Referer`, never `Cookie`: the
    /// driver adds cookies when `credentials` is `include`). Names and most
    /// values are constants, so a request costs no allocation per header.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// `application/x-www-form-urlencoded` body of the POSTs.
    pub body: Option<String>,
}

impl FetchRequest {
    /// The value of header `name` (case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }

    /// Form body fields, decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        self.body
            .as_deref()
            .map(|b| url::form_urlencoded::parse(b.as_bytes()).into_owned().collect())
            .unwrap_or_default()
    }

    /// The decoded value of form field `name`, if the body has it.
    pub fn form_field(&self, name: &str) -> Option<String> {
        // The first match, decoding only the pairs before it.
        let body = self.body.as_deref()?;
        url::form_urlencoded::parse(body.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    /// A GET with no cookies and an opaque origin, asking for JSON: the
    /// well-known and config fetches (and the base of the others).
    pub(crate) fn anonymous(id: RequestId, kind: FetchKind, provider: usize, url: Url) -> FetchRequest {
        let redirect = match kind {
            // The well-known fetch sets no redirect mode, so Fetch's default
            // applies (ambiguity A16).
            FetchKind::WellKnown => Redirect::Follow,
            FetchKind::Config if mutant!(ConfigFollowsRedirect) => Redirect::Follow,
            _ => Redirect::Error,
        };
        let mut headers = Vec::with_capacity(3);
        headers.push(("Accept", Cow::Borrowed("application/json")));
        headers.push(("Sec-Fetch-Dest", Cow::Borrowed("webidentity")));
        let cookies = kind == FetchKind::Config && mutant!(ConfigWithCookies);
        FetchRequest {
            id,
            kind,
            provider,
            method: Method::Get,
            url,
            credentials: if cookies { Credentials::Include } else { Credentials::Omit },
            mode: RequestMode::NoCors,
            redirect,
            origin: None,
            headers,
            body: None,
        }
    }

    /// An image for the dialog (an account picture or a brand icon): no
    /// cookies, an opaque origin. The spec makes it an `image` fetch that
    /// follows redirects; Chromium sends it as it sends its JSON fetches
    /// (`webidentity`, `Accept: application/json`, redirects refused;
    /// decisions A50).
    pub(crate) fn image(id: RequestId, provider: usize, url: Url, how: ImageFetch) -> FetchRequest {
        let mut r = FetchRequest::anonymous(id, FetchKind::Picture, provider, url);
        if how == ImageFetch::Image {
            r.redirect = Redirect::Follow;
            r.headers = vec![("Sec-Fetch-Dest", Cow::Borrowed("image"))];
        }
        r
    }

    /// The accounts GET: IdP cookies, but nothing that names the RP.
    pub(crate) fn accounts(id: RequestId, provider: usize, url: Url) -> FetchRequest {
        let mut r = FetchRequest::anonymous(id, FetchKind::Accounts, provider, url);
        r.credentials = Credentials::Include;
        if mutant!(AccountsWithoutDestination) {
            r.headers.retain(|(k, _)| *k != "Sec-Fetch-Dest");
        }
        r
    }

    /// The client metadata GET: no cookies, the RP's origin.
    pub(crate) fn client_metadata(id: RequestId, provider: usize, url: Url, rp_origin: &str) -> FetchRequest {
        let mut r = FetchRequest::anonymous(id, FetchKind::ClientMetadata, provider, url);
        r.origin = Some(rp_origin.to_string());
        r.headers.push(("Origin", Cow::Owned(rp_origin.to_string())));
        r
    }

    /// The assertion and disconnect POSTs: cookies, the RP's origin, CORS.
    /// The spec sets `Accept: application/x-www-form-urlencoded` and no
    /// `Content-Type` (ambiguity A21); like engines, the model labels the
    /// body and accepts JSON.
    pub(crate) fn credentialed_post(
        id: RequestId,
        kind: FetchKind,
        provider: usize,
        url: Url,
        rp_origin: &str,
        form: &[(impl AsRef<str>, impl AsRef<str>)],
    ) -> FetchRequest {
        let mut body = url::form_urlencoded::Serializer::new(String::with_capacity(256));
        for (k, v) in form {
            body.append_pair(k.as_ref(), v.as_ref());
        }
        let body = body.finish();
        FetchRequest {
            id,
            kind,
            provider,
            method: Method::Post,
            url,
            credentials: Credentials::Include,
            mode: RequestMode::Cors,
            redirect: Redirect::Error,
            origin: Some(rp_origin.to_string()),
            headers: vec![
                ("Accept", Cow::Borrowed("application/json")),
                ("Content-Type", Cow::Borrowed("application/x-www-form-urlencoded")),
                ("Origin", Cow::Owned(rp_origin.to_string())),
                ("Sec-Fetch-Dest", Cow::Borrowed("webidentity")),
            ],
            body: Some(body),
        }
    }
}

/// What a driver reports for a request: a response, or no response at all.
pub type FetchResult = Result<crate::HttpResponse, NetworkError>;

/// The request got no HTTP response (DNS, connection, TLS, time-out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkError {
    /// Why, in the driver's words.
    pub reason: String,
}

impl NetworkError {
    /// A network error with this reason.
    pub fn new(reason: impl Into<String>) -> NetworkError {
        NetworkError { reason: reason.into() }
    }
}
