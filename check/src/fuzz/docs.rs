//! The document targets: raw bytes become an `HttpResponse`, parsed under
//! both profiles. The first byte picks the status, the second the
//! `Content-Type` header, the rest is the body; values 0..=191 of each
//! selector mean "200" and "application/json", so most inputs reach the
//! JSON parser and seeds are written as `\0\0` + a document.
//!
//! Beyond "never panics", every result must be well-formed: a rejection
//! has at least one error, severities match the list they are in, and
//! every problem and accepted value renders (`Display`, JSON), as
//! `fedcm lint` renders them.

use crate::drive::settle_outbox;
use crate::fixtures;
use fedcm_model::idp::{self, ParseResult};
use fedcm_model::machine::browser::BrowserState;
use fedcm_model::machine::Flow;
use fedcm_model::{ConfigUrl, Endpoint, HttpResponse, Profile, Severity};
use serde::Serialize;
use std::sync::OnceLock;

/// The config URL every config and well-known input is read against.
pub const CONFIG_URL: &str = "https://idp.example/fedcm/config.json";

/// The config URL of [`CONFIG_URL`].
pub fn config_url() -> ConfigUrl {
    ConfigUrl::parse(CONFIG_URL).expect("a valid config URL")
}

/// The assertion endpoint every assertion input is read against.
pub fn assertion_endpoint() -> Endpoint {
    config_url().resolve("/fedcm/assertion").expect("same-origin")
}

/// [`config_url`], parsed once per process (the targets ran a URL parse per
/// input).
pub(crate) fn cached_config_url() -> &'static ConfigUrl {
    static URL: OnceLock<ConfigUrl> = OnceLock::new();
    URL.get_or_init(config_url)
}

/// [`assertion_endpoint`], resolved once per process.
pub(crate) fn cached_assertion_endpoint() -> &'static Endpoint {
    static ENDPOINT: OnceLock<Endpoint> = OnceLock::new();
    ENDPOINT.get_or_init(assertion_endpoint)
}

/// A writer that keeps nothing: rendering a problem or serializing a value
/// runs all of its code (and panics where it would), without building the
/// text.
struct Sink;

impl std::fmt::Write for Sink {
    fn write_str(&mut self, _: &str) -> std::fmt::Result {
        Ok(())
    }
}

/// Renders with `Display`, as `to_string` would, into [`Sink`].
fn render(value: &impl std::fmt::Display) {
    use std::fmt::Write;
    // `to_string` panics when `Display` returns an error; so does this.
    write!(Sink, "{value}").expect("a Display implementation returned an error unexpectedly");
}

/// Serializes to JSON, as `serde_json::to_string` would, into nothing.
fn serialize(value: &impl Serialize, what: &str) {
    serde_json::to_writer(std::io::sink(), value).expect(what);
}

/// Statuses for selector values 192..=255 (below that: 200).
const STATUSES: [u16; 24] = [
    200, 201, 204, 206, 299, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 429, 500, 503, 0, 100, 199, 999,
    65535,
];

/// `Content-Type` headers for selector values 192..=255 (below that:
/// `application/json`). Each entry is the list of headers sent.
const CONTENT_TYPES: [&[(&str, &str)]; 22] = [
    &[("Content-Type", "application/json; charset=utf-8")],
    &[("content-type", "text/json")],
    &[("CONTENT-TYPE", "application/ld+json")],
    &[("content-type", "APPLICATION/JSON")],
    &[("content-type", " application/json ;charset=\"latin1\"")],
    &[("content-type", "text/html")],
    &[("content-type", "text/plain")],
    &[("content-type", "application/javascript")],
    &[("content-type", "application/")],
    &[("content-type", "/json")],
    &[("content-type", "")],
    &[("content-type", "json")],
    &[("content-type", "application/json, text/html")],
    &[("content-type", "application/x-json")],
    &[("content-type", "image/svg+xml")],
    &[("content-type", "application/jsön")],
    &[],
    &[("content-type", "text/html"), ("content-type", "application/json")],
    &[("content-type", "application/json"), ("content-type", "text/html")],
    &[("content-type", "application/json"), ("location", "https://evil.example/")],
    &[("x-content-type", "application/json")],
    &[("content-type", "+json/x")],
];

/// The response the document targets parse.
pub fn response(data: &[u8]) -> HttpResponse {
    let (status, content_type, body) = match data {
        [s, c, body @ ..] => (*s, *c, body),
        [s] => (*s, 0, &[][..]),
        [] => (0, 0, &[][..]),
    };
    let status = match status {
        0..=191 => 200,
        s => STATUSES[usize::from(s - 192) % STATUSES.len()],
    };
    let headers: &[(&str, &str)] = match content_type {
        0..=191 => &[("content-type", "application/json")],
        c => CONTENT_TYPES[usize::from(c - 192) % CONTENT_TYPES.len()],
    };
    HttpResponse {
        status,
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        body: body.to_vec(),
    }
}

/// Checks that a result is well-formed and renders, as the linter would.
pub fn check_result<T: Serialize>(result: &ParseResult<T>) {
    match result {
        Ok(parsed) => {
            for w in &parsed.warnings {
                assert_eq!(w.severity, Severity::Warning, "an error among the warnings of an accepted document: {w}");
            }
            serialize(&parsed.value, "an accepted document serializes");
        }
        Err(rejected) => {
            // At least one error is guaranteed by the type (`Rejected::first`).
            for e in rejected.errors() {
                assert_eq!(e.severity, Severity::Error, "a warning among the errors: {e}");
            }
            for w in rejected.warnings() {
                assert_eq!(w.severity, Severity::Warning, "an error among the warnings: {w}");
            }
            // `rejected.first()` renders below, as the first of `problems`.
        }
    }
    for problem in idp::problems(result) {
        render(problem);
        serialize(problem, "a problem serializes");
    }
}

/// [`check_result`] on each profile's result, skipping a result equal to
/// one already checked: the checks are a function of the result alone (an
/// equal result renders and serializes to the same text), and profiles
/// that read a document the same way gave five renderings of each problem.
pub fn check_results<T: Serialize + PartialEq>(results: &[ParseResult<T>]) {
    for (i, result) in results.iter().enumerate() {
        if !results[..i].contains(result) {
            check_result(result);
        }
    }
}

/// Configs the well-known target checks its documents against.
fn fixed_configs() -> &'static [(Profile, idp::config::Config)] {
    static CONFIGS: OnceLock<Vec<(Profile, idp::config::Config)>> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let bodies = [
            r#"{"accounts_endpoint":"/accounts","id_assertion_endpoint":"/assertion","login_url":"/login"}"#,
            r#"{"accounts_endpoint":"https://idp.example/fedcm/accounts","id_assertion_endpoint":"assert",
                "login_url":"login","client_metadata_endpoint":"/meta"}"#,
        ];
        let url = config_url();
        let mut out = Vec::new();
        for profile in Profile::ALL {
            for body in bodies {
                let parsed = idp::config::parse(&HttpResponse::json(body), &url, profile).expect("a valid config");
                out.push((profile, parsed.value));
            }
        }
        out
    })
}

/// The `well_known` target: the well-known parser under both profiles.
pub fn well_known(data: &[u8]) {
    let response = response(data);
    let url = cached_config_url();
    let results = Profile::ALL.map(|profile| idp::well_known::parse(&response, profile));
    check_results(&results);
    for (profile, result) in Profile::ALL.into_iter().zip(&results) {
        if let Ok(parsed) = result {
            for (p, config) in fixed_configs().iter().filter(|(p, _)| *p == profile) {
                if let Err(problem) = idp::well_known::check(&parsed.value, url, config, *p) {
                    assert_eq!(problem.severity, Severity::Error);
                    render(&problem);
                }
            }
        }
    }
}

/// The `config` target: the config parser under both profiles.
pub fn config(data: &[u8]) {
    let response = response(data);
    let url = cached_config_url();
    let results = Profile::ALL.map(|profile| idp::config::parse(&response, url, profile));
    check_results(&results);
    for (profile, result) in Profile::ALL.into_iter().zip(&results) {
        if let Ok(parsed) = result {
            let config = &parsed.value;
            for problem in config.deferred_problems() {
                assert_eq!(problem.severity, Severity::Error);
            }
            let _ = idp::config::icon_urls(config);
            // Endpoints are same-origin with the config by construction,
            // where the profile has that rule.
            if !profile.rules().endpoints_same_origin {
                continue;
            }
            for endpoint in
                [Some(&config.accounts_endpoint), config.login_url.as_ref(), config.id_assertion_endpoint.valid()]
                    .into_iter()
                    .flatten()
            {
                assert_eq!(endpoint.url().origin(), url.origin(), "{endpoint} is not same-origin");
            }
        }
    }
}

/// The `accounts` target: the accounts parser under both profiles.
pub fn accounts(data: &[u8]) {
    let response = response(data);
    let results = Profile::ALL.map(|profile| idp::accounts::parse(&response, profile));
    check_results(&results);
    for (profile, result) in Profile::ALL.into_iter().zip(&results) {
        if let Ok(parsed) = result {
            for account in &parsed.value.accounts {
                let _ = account.display_name();
                let _ = (account.matches_domain_hint("any"), account.matches_login_hint(""));
            }
            if profile == Profile::Chromium {
                let mut ids: Vec<&str> = parsed.value.accounts.iter().map(|a| a.id.as_str()).collect();
                ids.sort_unstable();
                let before = ids.len();
                ids.dedup();
                assert_eq!(before, ids.len(), "chromium accepted duplicate account ids");
            }
        }
    }
}

/// The `client_metadata` target: the client metadata parser under both profiles.
pub fn client_metadata(data: &[u8]) {
    let response = response(data);
    check_results(&Profile::ALL.map(|profile| idp::client_metadata::parse(&response, profile)));
}

/// The `assertion` target: the assertion parser under both profiles.
pub fn assertion(data: &[u8]) {
    let response = response(data);
    let endpoint = cached_assertion_endpoint();
    let results = Profile::ALL.map(|profile| idp::assertion::parse(&response, endpoint, profile));
    check_results(&results);
    for parsed in results.iter().flatten() {
        use idp::assertion::AssertionResponse;
        match &parsed.value {
            AssertionResponse::ContinueOn(url) => {
                assert_eq!(url.origin(), endpoint.url().origin(), "continue_on {url} is cross-origin")
            }
            AssertionResponse::ContinueOnRejected(problem) => assert_eq!(problem.severity, Severity::Error),
            AssertionResponse::Token(_) | AssertionResponse::Error(_) => {}
        }
    }
}

/// The `disconnect` target: the disconnect parser under both profiles.
pub fn disconnect(data: &[u8]) {
    let response = response(data);
    let results = Profile::ALL.map(|profile| idp::disconnect::parse(&response, profile));
    check_results(&results);
    for (profile, result) in Profile::ALL.into_iter().zip(&results) {
        if let (Ok(parsed), Profile::Chromium) = (result, profile) {
            assert!(!parsed.value.account_id.is_empty(), "chromium accepted an empty account_id");
        }
    }
}

/// The RP's options: JSON text to `serde_json::Value` (as the scenario
/// runner and the CLI read them), then `options::parse` under both
/// profiles, then a flow started from them and polled until it first waits.
pub fn request_options(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let results = Profile::ALL.map(|profile| fedcm_model::options::parse(&value, profile));
    check_results(&results);
    for (profile, result) in Profile::ALL.into_iter().zip(&results) {
        if let Err(rejected) = result {
            let _ = rejected.first().js_error_in(profile);
        }
        let browser = BrowserState { transient_activation: true, ..BrowserState::default() };
        let mut flow = Flow::from_json(fixtures::rp(), browser, &value, profile);
        settle_outbox(&mut flow);
        flow.abort();
        assert!(flow.outcome().is_some(), "an aborted flow has not settled");
    }
}
