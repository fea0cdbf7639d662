//! Shared fixtures of the benchmarks (criterion in `parse.rs`, gungraun in
//! `instructions.rs`): realistic IdP payloads for one sign-in, a driver that
//! takes a `Flow` from `get()` to the token with prebuilt responses, the
//! scaling accounts lists, and the reference points a parse is compared with.
//!
//! The reference points, on the same bytes:
//! - `serde_json::from_slice::<serde_json::Value>`: a generic parse;
//! - a bare typed parse: `#[derive(Deserialize)]` structs mirroring each
//!   document with borrowed `Cow<str>` fields, and no checks at all;
//! - the same typed parse plus every URL the spec makes a browser parse
//!   (`typed_urls`): what no implementation of the spec can skip;
//! - `bytes.to_vec()`: the floor (a copy).

#![allow(dead_code)] // each bench binary uses a part

use fedcm_check::drive::{drive, settle_outbox};
use fedcm_model::idp::{accounts, assertion, client_metadata, config, well_known};
use fedcm_model::machine::browser::{BrowserState, LoginStatus};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest};
use fedcm_model::machine::prompt::UserAction;
use fedcm_model::machine::{Flow, Rp, Step};
use fedcm_model::options::{ProviderRequest, RequestOptions};
use fedcm_model::{ConfigUrl, Endpoint};
use fedcm_model::{HttpResponse, Profile};
use serde::Deserialize;
use std::borrow::Cow;
use std::hint::black_box;
use url::Url;

pub use fedcm_check::fixtures::{rp, IDP};
pub const CONFIG_URL: &str = "https://idp.example/fedcm/config.json";

pub const WELL_KNOWN: &str = r#"{
  "provider_urls": ["https://idp.example/fedcm/config.json"],
  "accounts_endpoint": "/fedcm/accounts",
  "login_url": "/login?source=fedcm"
}"#;

pub const CONFIG: &str = r##"{
  "accounts_endpoint": "/fedcm/accounts",
  "client_metadata_endpoint": "/fedcm/client_metadata",
  "id_assertion_endpoint": "/fedcm/assertion",
  "disconnect_endpoint": "/fedcm/disconnect",
  "login_url": "/login?source=fedcm",
  "supports_use_other_account": true,
  "branding": {
    "background_color": "#1a73e8",
    "color": "#ffffff",
    "name": "IdP Example",
    "icons": [
      {"url": "https://idp.example/static/icon-32.png", "size": 32},
      {"url": "https://idp.example/static/icon-64.png", "size": 64}
    ]
  }
}"##;

pub const ACCOUNTS: &str = r#"{
  "accounts": [{
    "id": "1234567890",
    "given_name": "John",
    "name": "John Doe",
    "email": "john.doe@idp.example",
    "picture": "https://idp.example/profile/1234567890/photo.png",
    "approved_clients": ["123", "456", "789"],
    "login_hints": ["john.doe@idp.example", "jdoe"],
    "domain_hints": ["idp.example", "corp.example"]
  }]
}"#;

pub const CLIENT_METADATA: &str = r#"{
  "privacy_policy_url": "https://rp.example/legal/privacy.html",
  "terms_of_service_url": "https://rp.example/legal/terms.html"
}"#;

/// A token of the size of a signed ID token (RS256 JWT, ~0.9 KB).
pub fn assertion_body() -> String {
    let header = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYzEyMyIsInR5cCI6IkpXVCJ9";
    let claims = "eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlIiwic3ViIjoiMTIzNDU2Nzg5MCIsImF1ZCI6IjEyMyIsImV4cCI6\
MTcwMDAwMzYwMCwiaWF0IjoxNzAwMDAwMDAwLCJub25jZSI6ImFiYyIsImVtYWlsIjoiam9obi5kb2VAaWRwLmV4YW1wbGUiLCJl\
bWFpbF92ZXJpZmllZCI6dHJ1ZSwibmFtZSI6IkpvaG4gRG9lIiwiZ2l2ZW5fbmFtZSI6IkpvaG4iLCJwaWN0dXJlIjoiaHR0cHM6\
Ly9pZHAuZXhhbXBsZS9wcm9maWxlLzEyMzQ1Njc4OTAvcGhvdG8ucG5nIn0";
    let signature: String = (0..342).map(|i| b"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_"[i % 38] as char).collect();
    format!("{{\"token\":\"{header}.{claims}.{signature}\"}}")
}

/// The five documents of one sign-in, as bytes, in the order they arrive.
pub struct Payloads {
    pub well_known: Vec<u8>,
    pub config: Vec<u8>,
    pub accounts: Vec<u8>,
    pub client_metadata: Vec<u8>,
    pub assertion: Vec<u8>,
}

impl Payloads {
    pub fn typical() -> Payloads {
        Payloads {
            well_known: WELL_KNOWN.as_bytes().to_vec(),
            config: CONFIG.as_bytes().to_vec(),
            accounts: ACCOUNTS.as_bytes().to_vec(),
            client_metadata: CLIENT_METADATA.as_bytes().to_vec(),
            assertion: assertion_body().into_bytes(),
        }
    }

    pub fn all(&self) -> [&[u8]; 5] {
        [&self.well_known, &self.config, &self.accounts, &self.client_metadata, &self.assertion]
    }

    pub fn len(&self) -> usize {
        self.all().iter().map(|b| b.len()).sum()
    }
}

fn response(body: &[u8]) -> HttpResponse {
    fedcm_check::fixtures::cors_json(body)
}

/// The responses of one sign-in, built before the clock starts (a driver
/// owns the bytes it received).
#[derive(Clone)]
pub struct Responses {
    pub well_known: HttpResponse,
    pub config: HttpResponse,
    pub accounts: HttpResponse,
    pub client_metadata: HttpResponse,
    pub assertion: HttpResponse,
}

impl Responses {
    pub fn new(p: &Payloads) -> Responses {
        Responses {
            well_known: response(&p.well_known),
            config: response(&p.config),
            accounts: response(&p.accounts),
            client_metadata: response(&p.client_metadata),
            assertion: response(&p.assertion),
        }
    }
}

pub fn config_url() -> ConfigUrl {
    ConfigUrl::parse(CONFIG_URL).expect("valid config URL")
}

pub fn assertion_endpoint() -> Endpoint {
    config_url().resolve("/fedcm/assertion").expect("same origin")
}

/// What the RP passes: one provider, `loginHint` set so the filter runs.
pub fn options(login_hint: &str) -> RequestOptions {
    let mut provider = ProviderRequest::new(CONFIG_URL, "123");
    provider.login_hint = Some(login_hint.to_string());
    provider.params = Some(serde_json::json!({"nonce": "abc"}));
    RequestOptions {
        providers: vec![provider],
        mode: Default::default(),
        context: Default::default(),
        mediation: Default::default(),
    }
}

pub fn browser() -> BrowserState {
    let mut b = BrowserState::default();
    b.set_login_status(IDP, LoginStatus::LoggedIn);
    b
}

/// Everything a sign-in starts from, prebuilt.
#[derive(Clone)]
pub struct Start {
    pub rp: Rp,
    pub browser: BrowserState,
    pub options: RequestOptions,
}

impl Start {
    pub fn typical() -> Start {
        Start { rp: rp(), browser: browser(), options: options("jdoe") }
    }
    pub fn flow(self) -> Flow {
        Flow::new(self.rp, self.browser, self.options, Profile::Spec)
    }
}

fn answer(flow: &mut Flow, kind: FetchKind, response: HttpResponse) {
    let id = flow.pending_requests().find(|r| r.kind == kind).map(|r| r.id).expect("the request is pending");
    flow.on_response(id, Ok(response));
}

/// The whole parse-and-resolve path: `get()` to the token, with the
/// responses and the person's choice of the account.
pub fn sign_in(start: Start, r: Responses) -> serde_json::Value {
    let mut flow = start.flow();
    settle_outbox(&mut flow);
    answer(&mut flow, FetchKind::WellKnown, r.well_known);
    answer(&mut flow, FetchKind::Config, r.config);
    settle_outbox(&mut flow);
    answer(&mut flow, FetchKind::Accounts, r.accounts);
    settle_outbox(&mut flow);
    answer(&mut flow, FetchKind::ClientMetadata, r.client_metadata);
    let step = settle_outbox(&mut flow);
    debug_assert!(matches!(step, Step::Ask(_)), "{step:?}");
    flow.on_user(UserAction::Choose { account_id: "1234567890".into(), config_url: None }).expect("shown");
    settle_outbox(&mut flow);
    answer(&mut flow, FetchKind::Assertion, r.assertion);
    match flow.next_step() {
        Step::Done(outcome) => outcome.credential().expect("resolved").token().clone(),
        other => panic!("not done: {other:?}"),
    }
}

/// The well-known + config step: `get()` until the accounts request is out.
pub fn manifests(start: Start, well_known: HttpResponse, config: HttpResponse) -> std::sync::Arc<FetchRequest> {
    let mut flow = start.flow();
    settle_outbox(&mut flow);
    answer(&mut flow, FetchKind::WellKnown, well_known);
    answer(&mut flow, FetchKind::Config, config);
    match flow.next_step() {
        Step::Fetch(r) if r.kind == FetchKind::Accounts => r,
        other => panic!("no accounts request: {other:?}"),
    }
}

/// A flow waiting for its accounts response (the manifests are done).
pub fn flow_waiting_for_accounts(login_hint: &str, r: &Responses) -> Flow {
    let start = Start { options: options(login_hint), ..Start::typical() };
    let mut flow = start.flow();
    settle_outbox(&mut flow);
    answer(&mut flow, FetchKind::WellKnown, r.well_known.clone());
    answer(&mut flow, FetchKind::Config, r.config.clone());
    settle_outbox(&mut flow);
    flow
}

/// The accounts step: parse, duplicate detection, the hint filter, and what
/// follows up to the next request or prompt. Returns the next step.
pub fn accounts_step(mut flow: Flow, accounts: HttpResponse) -> Step {
    answer(&mut flow, FetchKind::Accounts, accounts);
    flow.next_step()
}

/// An accounts list of `n` accounts as IdPs send them (no picture, so that
/// 10,000 stay under the 1 MiB body limit); the hint matches the last one.
pub fn accounts_list(n: usize) -> Vec<u8> {
    let mut s = String::from("{\"accounts\":[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"id\":\"{i}\",\"name\":\"User {i}\",\"email\":\"u{i}@idp.example\",\"login_hints\":[\"u{i}\"]}}"
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

pub fn scaling_hint(n: usize) -> String {
    format!("u{}", n - 1)
}

pub const SCALING: [usize; 5] = [1, 10, 100, 1_000, 10_000];

// ---- each document parser alone ----

pub fn parse_well_known(r: &HttpResponse) -> bool {
    well_known::parse(black_box(r), Profile::Spec).is_ok()
}
pub fn parse_config(r: &HttpResponse, url: &ConfigUrl) -> bool {
    config::parse(black_box(r), url, Profile::Spec).is_ok()
}
pub fn parse_accounts(r: &HttpResponse) -> bool {
    accounts::parse(black_box(r), Profile::Spec).is_ok()
}
pub fn parse_client_metadata(r: &HttpResponse) -> bool {
    client_metadata::parse(black_box(r), Profile::Spec).is_ok()
}
pub fn parse_assertion(r: &HttpResponse, endpoint: &Endpoint) -> bool {
    assertion::parse(black_box(r), endpoint, Profile::Spec).is_ok()
}

// ---- reference points ----

pub fn value(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JSON")
}

pub fn copy(bytes: &[u8]) -> Vec<u8> {
    bytes.to_vec()
}

/// Which document a byte string is, for the typed reference parse.
#[derive(Clone, Copy, Debug)]
pub enum Doc {
    WellKnown,
    Config,
    Accounts,
    ClientMetadata,
    Assertion,
}

/// The bare typed parse of `bytes` as document `doc`; returns a size so the
/// result is used.
pub fn typed(doc: Doc, bytes: &[u8]) -> usize {
    fn go<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> T {
        serde_json::from_slice(bytes).expect("typed JSON")
    }
    match doc {
        Doc::WellKnown => black_box(go::<TWellKnown>(bytes)).provider_urls.len(),
        Doc::Config => black_box(go::<TConfig>(bytes)).accounts_endpoint.len(),
        Doc::Accounts => black_box(go::<TAccounts>(bytes)).accounts.len(),
        Doc::ClientMetadata => black_box(go::<TClientMetadata>(bytes)).privacy_policy_url.map_or(0, |s| s.len()),
        Doc::Assertion => black_box(go::<TAssertion>(bytes)).token.map_or(0, |s| s.len()),
    }
}

/// The floor the spec sets above a bare typed parse: the same typed parse,
/// then every URL-valued member resolved with the WHATWG parser (the `url`
/// crate) against the config URL, as the spec requires of a browser before
/// it can fetch, compare or show them. Neither `value` nor `typed` does
/// this work, and no implementation of the spec can skip it. Returns a size
/// so the result is used.
pub fn typed_urls(doc: Doc, bytes: &[u8], base: &Url) -> usize {
    fn go<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> T {
        serde_json::from_slice(bytes).expect("typed JSON")
    }
    let join = |s: &str| base.join(s).map_or(0, |u| u.as_str().len());
    let opt = |s: &Option<Cow<'_, str>>| s.as_deref().map_or(0, join);
    match doc {
        Doc::WellKnown => {
            let w = black_box(go::<TWellKnown>(bytes));
            w.provider_urls.iter().map(|u| join(u)).sum::<usize>() + opt(&w.accounts_endpoint) + opt(&w.login_url)
        }
        Doc::Config => {
            let c = black_box(go::<TConfig>(bytes));
            join(&c.accounts_endpoint)
                + join(&c.id_assertion_endpoint)
                + join(&c.login_url)
                + opt(&c.client_metadata_endpoint)
                + opt(&c.disconnect_endpoint)
                + c.branding.as_ref().map_or(0, |b| b.icons.iter().map(|i| join(&i.url)).sum())
        }
        Doc::Accounts => {
            let a = black_box(go::<TAccounts>(bytes));
            a.accounts.iter().map(|a| opt(&a.picture)).sum()
        }
        Doc::ClientMetadata => {
            let m = black_box(go::<TClientMetadata>(bytes));
            opt(&m.privacy_policy_url) + opt(&m.terms_of_service_url)
        }
        Doc::Assertion => {
            let a = black_box(go::<TAssertion>(bytes));
            a.token.map_or(0, |s| s.len()) + opt(&a.continue_on)
        }
    }
}

/// The base URL the floor resolves against (the config URL).
pub fn base_url() -> Url {
    Url::parse(CONFIG_URL).expect("valid")
}

pub const DOCS: [Doc; 5] = [Doc::WellKnown, Doc::Config, Doc::Accounts, Doc::ClientMetadata, Doc::Assertion];

#[derive(Deserialize)]
pub struct TWellKnown<'a> {
    #[serde(borrow, default)]
    pub provider_urls: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    pub accounts_endpoint: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub login_url: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct TConfig<'a> {
    #[serde(borrow)]
    pub accounts_endpoint: Cow<'a, str>,
    #[serde(borrow)]
    pub id_assertion_endpoint: Cow<'a, str>,
    #[serde(borrow)]
    pub login_url: Cow<'a, str>,
    #[serde(borrow)]
    pub client_metadata_endpoint: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub disconnect_endpoint: Option<Cow<'a, str>>,
    #[serde(default)]
    pub supports_use_other_account: bool,
    #[serde(borrow)]
    pub account_label: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub branding: Option<TBranding<'a>>,
}

#[derive(Deserialize)]
pub struct TBranding<'a> {
    #[serde(borrow)]
    pub background_color: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub color: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub icons: Vec<TIcon<'a>>,
}

#[derive(Deserialize)]
pub struct TIcon<'a> {
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    pub size: Option<u32>,
}

#[derive(Deserialize)]
pub struct TAccounts<'a> {
    #[serde(borrow)]
    pub accounts: Vec<TAccount<'a>>,
}

#[derive(Deserialize)]
pub struct TAccount<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub email: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub tel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub username: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub given_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub picture: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub approved_clients: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    pub login_hints: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    pub domain_hints: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    pub label_hints: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
pub struct TClientMetadata<'a> {
    #[serde(borrow)]
    pub privacy_policy_url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub terms_of_service_url: Option<Cow<'a, str>>,
    #[serde(default)]
    pub client_is_third_party_to_top_frame_origin: bool,
}

#[derive(Deserialize)]
pub struct TAssertion<'a> {
    #[serde(borrow)]
    pub token: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub continue_on: Option<Cow<'a, str>>,
}

/// The model checker's starting configurations for the step-rate bench: a
/// few of `explore::starts`, spread over the space.
pub fn explore_starts() -> Vec<fedcm_check::explore::Start> {
    let all = fedcm_check::explore::starts(&Profile::ALL);
    all.into_iter().step_by(54).collect()
}

pub const EXPLORE_DEPTH: usize = 6;

/// Drives the sign-in of `fedcm_check::fixtures::many_providers` to the token: every provider
/// returns one account, the person picks provider 0's, then the trace's
/// invariants are checked. Returns the number of violations (0).
pub fn many_providers_sign_in(options: &serde_json::Value, browser: BrowserState) -> usize {
    let mut flow = Flow::from_json(rp(), browser, options, Profile::Spec);
    let chosen = |_: &_| UserAction::Choose { account_id: "a0".into(), config_url: None };
    drive(&mut flow, fedcm_check::fixtures::many_providers_response, chosen).expect("settles");
    fedcm_check::invariants::check_all(flow.trace()).len()
}
