//! The model's run against the browser's: what the page sees (resolve or
//! reject; the token, its JavaScript type, `isAutoSelected`, `configURL`;
//! the error's name, `code` and `url`) and the requests the IdP receives
//! (method, URL, cookies or not, `Origin`, `Sec-Fetch-Dest`, `Accept`,
//! `Content-Type`, the form fields).
//!
//! Requests are matched by method and URL, not by position: the browser
//! sends some in parallel (config and well-known, pictures and client
//! metadata), so their order on the wire is not the model's to predict.
//! Form fields are compared as a set of name=value pairs, decoded; their
//! order is shown in `--json` but is not a difference (no IdP parser
//! depends on it).

use super::harness::{BrowserRun, PageOutcome};
use super::session::SignalSeen;
use crate::driver::RunReport;
use crate::serve::{pages, SeenRequest};
use fedcm_model::machine::fetch::{Credentials, FetchRequest, Method};
use fedcm_model::machine::login_signal::SignalResult;
use serde::Serialize;
use serde_json::Value;

/// A request as both sides are compared on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wire {
    pub method: String,
    pub url: String,
    pub cookie: bool,
    pub origin: Option<String>,
    pub dest: Option<String>,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    /// Decoded form fields, in the order sent.
    pub form: Vec<(String, String)>,
}

impl Wire {
    pub fn from_model(r: &FetchRequest) -> Wire {
        let header =
            |name: &str| r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string());
        Wire {
            method: match r.method {
                Method::Get => "GET".into(),
                Method::Post => "POST".into(),
            },
            url: r.url.to_string(),
            cookie: r.credentials == Credentials::Include,
            origin: r.origin.clone(),
            dest: header("sec-fetch-dest"),
            accept: header("accept"),
            content_type: header("content-type"),
            form: form(r.body.as_deref().unwrap_or("")),
        }
    }

    pub fn from_browser(r: &SeenRequest) -> Wire {
        let cookie = r
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .any(|(_, v)| v.split(';').any(|c| c.trim() == pages::PROBE_COOKIE));
        Wire {
            method: r.method.clone(),
            url: r.url.clone(),
            cookie,
            origin: r.header("origin").map(String::from),
            dest: r.header("sec-fetch-dest").map(String::from),
            accept: r.header("accept").map(String::from),
            content_type: r.header("content-type").map(String::from),
            form: form(&r.body),
        }
    }

    fn label(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// The verdict for one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub outcome_agrees: bool,
    pub requests_agree: bool,
    /// Every difference found, the outcome's first.
    pub differences: Vec<String>,
}

impl Comparison {
    pub fn agrees(&self) -> bool {
        self.outcome_agrees && self.requests_agree
    }
}

/// JavaScript's `typeof` for a JSON value.
pub(crate) fn js_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
    }
}

/// How a call settled in the model: `resolve` or `reject`, the credential
/// and the error.
struct Settled<'r> {
    outcome: &'r str,
    credential: &'r Option<Value>,
    error: &'r Option<Value>,
}

fn outcome_differences(model: &Settled, page: &PageOutcome) -> Vec<String> {
    let mut d = Vec::new();
    let field = |v: &Option<Value>, k: &str| v.as_ref().and_then(|o| o.get(k)).cloned().unwrap_or(Value::Null);
    match (model.outcome, page) {
        ("resolve", PageOutcome::Resolve { token, token_type, is_auto_selected, config_url }) => {
            let want = field(model.credential, "token");
            if js_type(&want) != token_type || &want != token {
                d.push(format!(
                    "token: the model gives {want} ({}), the browser {token} ({token_type})",
                    js_type(&want)
                ));
            }
            let auto = field(model.credential, "isAutoSelected");
            if auto.as_bool() != *is_auto_selected {
                d.push(format!("isAutoSelected: the model gives {auto}, the browser {is_auto_selected:?}"));
            }
            let config = field(model.credential, "configURL");
            if config.as_str() != config_url.as_deref() {
                d.push(format!("configURL: the model gives {config}, the browser {config_url:?}"));
            }
        }
        ("reject", PageOutcome::Reject { name, code, url, message }) => {
            let want = field(model.error, "name");
            if want.as_str() != Some(name.as_str()) {
                d.push(format!("error: the model rejects with {want}, the browser with {name} ({message:?})"));
            }
            // An empty string is what JavaScript shows for a missing one.
            let present = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(String::from);
            for (key, got) in [("code", code), ("url", url)] {
                let want = field(model.error, key);
                if present(want.as_str()) != present(got.as_deref()) {
                    d.push(format!("error {key}: the model gives {want}, the browser {got:?}"));
                }
            }
        }
        // The model's getUserInfo() resolves with the accounts list.
        ("resolve", PageOutcome::UserInfo { accounts }) => {
            let want = model.credential.clone().unwrap_or(Value::Null);
            if &want != accounts {
                d.push(format!("accounts: the model gives {want}, the browser {accounts}"));
            }
        }
        (_, PageOutcome::UserInfo { accounts }) => {
            let name = field(model.error, "name");
            d.push(format!(
                "outcome: the model rejects with {name}, the browser's getUserInfo() resolves with {accounts}"
            ))
        }
        // The model's disconnect() resolves with null: nothing.
        ("resolve", PageOutcome::Disconnected) if model.credential.as_ref().is_none_or(Value::is_null) => {}
        (_, PageOutcome::Disconnected) => {
            let what = match model.outcome {
                "resolve" => "resolves with a credential".to_string(),
                _ => format!("rejects with {}", field(model.error, "name")),
            };
            d.push(format!("outcome: the model {what}, the browser's disconnect() resolves"))
        }
        (_, PageOutcome::Resolve { token, .. }) => {
            let name = field(model.error, "name");
            d.push(format!("outcome: the model rejects with {name}, the browser resolves with token {token}"))
        }
        (_, PageOutcome::Reject { name, message, .. }) if model.credential.as_ref().is_some_and(Value::is_array) => {
            let accounts = model.credential.clone().unwrap_or_default();
            d.push(format!(
                "outcome: the model's getUserInfo() resolves with {accounts}, the browser rejects with {name} ({message:?})"
            ))
        }
        (_, PageOutcome::Reject { name, message, .. }) => {
            let token = field(model.credential, "token");
            d.push(format!(
                "outcome: the model resolves with token {token}, the browser rejects with {name} ({message:?})"
            ))
        }
    }
    d
}

/// How `a` (the model's) and `b` (the browser's) differ, one line each.
fn request_differences(a: &Wire, b: &Wire) -> Vec<String> {
    let mut d = Vec::new();
    let label = a.label();
    let yes = |c: bool| if c { "with cookies" } else { "without cookies" };
    if a.cookie != b.cookie {
        d.push(format!("{label}: the model sends it {}, the browser {}", yes(a.cookie), yes(b.cookie)));
    }
    for (what, x, y) in [
        ("Origin", &a.origin, &b.origin),
        ("Sec-Fetch-Dest", &a.dest, &b.dest),
        ("Accept", &a.accept, &b.accept),
        ("Content-Type", &a.content_type, &b.content_type),
    ] {
        if x != y {
            d.push(format!("{label}: {what}: the model sends {x:?}, the browser {y:?}"));
        }
    }
    let only = |x: &[(String, String)], y: &[(String, String)]| -> Vec<String> {
        x.iter().filter(|p| !y.contains(p)).map(|(k, v)| format!("{k}={v}")).collect()
    };
    let (model_only, browser_only) = (only(&a.form, &b.form), only(&b.form, &a.form));
    if !model_only.is_empty() || !browser_only.is_empty() {
        d.push(format!(
            "{label}: form fields only the model sends: [{}]; only the browser: [{}]",
            model_only.join(", "),
            browser_only.join(", ")
        ));
    }
    d
}

/// A `setStatus()` the page saw against the model's judgement of the
/// signal: refused is a rejection with `SecurityError`; applied and
/// ignored both resolve (the next call step tells them apart). A
/// `Set-Login` header is seen by no page: nothing to compare.
fn signal_difference(model: Option<&SignalResult>, seen: &SignalSeen) -> Option<String> {
    let judged = match model? {
        SignalResult::Applied { .. } => "applied",
        SignalResult::Ignored { .. } => "ignored",
        SignalResult::Refused { .. } => "refused",
    };
    let agrees = match seen {
        SignalSeen::Sent => true,
        SignalSeen::Resolved => judged != "refused",
        SignalSeen::Rejected { name, .. } => judged == "refused" && name == "SecurityError",
    };
    let want = if judged == "refused" { "rejects with SecurityError" } else { "resolves" };
    (!agrees).then(|| {
        format!("login status: the model's signal is {judged} (setStatus() {want}), the browser's setStatus() {seen}")
    })
}

/// A session's call steps, each against the model's step of the same
/// index, every difference prefixed with the step; a `setStatus()`
/// step's promise against the model's judgement.
fn session_differences(model: &RunReport, browser: &BrowserRun) -> Vec<String> {
    let mut d = Vec::new();
    for (i, step) in browser.steps.iter().enumerate() {
        let at = format!("steps[{i}] ({})", step.action);
        if let Some(seen) = &step.signal {
            let judged = model.steps.get(i).and_then(|m| m.login_signal.as_ref());
            match (judged, signal_difference(judged, seen)) {
                (None, _) => d.push(format!("{at}: the browser's signal {seen}, the model judged no signal there")),
                (Some(_), Some(x)) => d.push(format!("{at}: {x}")),
                (Some(_), None) => {}
            }
        }
        let Some(page) = &step.page else { continue };
        match model.steps.get(i) {
            Some(m) if m.outcome.is_some() => {
                let settled =
                    Settled { outcome: m.outcome.unwrap_or_default(), credential: &m.credential, error: &m.error };
                d.extend(outcome_differences(&settled, page).into_iter().map(|x| format!("{at}: {x}")));
            }
            _ => d.push(format!("{at}: the browser's call {}, the model made no call there", page.summary())),
        }
    }
    d
}

/// Compares a model run with a browser run: for a session, every call
/// step's outcome; the requests of the whole run, matched as a multiset.
pub fn compare(model: &RunReport, browser: &BrowserRun) -> Comparison {
    let outcome = if browser.steps.is_empty() {
        let settled = Settled { outcome: model.outcome, credential: &model.credential, error: &model.error };
        outcome_differences(&settled, &browser.page)
    } else {
        session_differences(model, browser)
    };
    let model_wire: Vec<Wire> = model.requests.iter().map(Wire::from_model).collect();
    let mut browser_wire: Vec<Option<Wire>> = browser.requests.iter().map(|r| Some(Wire::from_browser(r))).collect();
    let mut requests = Vec::new();
    for m in &model_wire {
        let found =
            browser_wire.iter_mut().find(|b| b.as_ref().is_some_and(|b| b.method == m.method && b.url == m.url));
        match found.and_then(Option::take) {
            Some(b) => requests.extend(request_differences(m, &b)),
            None => requests.push(format!("{}: the model sends it, the browser does not", m.label())),
        }
    }
    for b in browser_wire.into_iter().flatten() {
        requests.push(format!("{}: the browser sends it, the model does not", b.label()));
    }
    Comparison {
        outcome_agrees: outcome.is_empty(),
        requests_agree: requests.is_empty(),
        differences: outcome.into_iter().chain(requests).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(form: &str) -> Wire {
        Wire {
            method: "POST".into(),
            url: "https://idp.example/assertion".into(),
            cookie: true,
            origin: Some("https://rp.example".into()),
            dest: Some("webidentity".into()),
            accept: Some("application/json".into()),
            content_type: Some("application/x-www-form-urlencoded".into()),
            form: super::form(form),
        }
    }

    #[test]
    fn form_fields_are_compared_decoded_and_unordered() {
        let a = wire("client_id=1&fields=name%2Cemail&params=%7B%22n%22%3A1%7D");
        let b = wire("params=%7B%22n%22:1%7D&client_id=1&fields=name,email");
        assert!(request_differences(&a, &b).is_empty());
        let c = wire("client_id=1&fields=name,email&mode=passive&params=%7B%22n%22:1%7D");
        let d = request_differences(&a, &c);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("only the browser: [mode=passive]"), "{d:?}");
    }

    #[test]
    fn cookies_and_headers_are_named() {
        let a = wire("");
        let mut b = wire("");
        b.cookie = false;
        b.origin = None;
        let d = request_differences(&a, &b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("with cookies, the browser without cookies"), "{d:?}");
        assert!(d[1].contains("Origin"), "{d:?}");
    }

    #[test]
    fn get_user_info_accounts_are_compared_whole() {
        use crate::browser::harness::PageOutcome;
        let accounts = serde_json::json!([{"email": "e", "name": "n", "givenName": "", "picture": ""}]);
        let credential = Some(accounts.clone());
        let model = Settled { outcome: "resolve", credential: &credential, error: &None };
        assert!(outcome_differences(&model, &PageOutcome::UserInfo { accounts }).is_empty());
        let other = PageOutcome::UserInfo { accounts: serde_json::json!([]) };
        assert!(outcome_differences(&model, &other)[0].starts_with("accounts:"));
        let reject = PageOutcome::Reject { name: "NetworkError".into(), message: String::new(), code: None, url: None };
        assert!(outcome_differences(&model, &reject)[0].contains("getUserInfo() resolves"));
    }

    #[test]
    fn javascript_types_of_tokens() {
        assert_eq!(js_type(&serde_json::json!("t")), "string");
        assert_eq!(js_type(&serde_json::json!(null)), "object");
        assert_eq!(js_type(&serde_json::json!([1])), "object");
        assert_eq!(js_type(&serde_json::json!(1.5)), "number");
    }

    #[test]
    fn a_session_is_compared_call_step_by_call_step() {
        use crate::browser::harness::{BrowserRun, PageOutcome};
        use crate::browser::session::StepRun;
        let text = include_str!("../../tests/scenarios/206-session-second-get-while-pending.json");
        let scenario = crate::scenario::Scenario::parse(text).unwrap();
        let model = crate::driver::run(&scenario, Some(fedcm_model::Profile::Chromium)).unwrap();
        let resolve = PageOutcome::Resolve {
            token: "t0k3n".into(),
            token_type: "string".into(),
            is_auto_selected: Some(false),
            config_url: Some("https://idp.example/config.json".into()),
        };
        let reject =
            |name: &str| PageOutcome::Reject { name: name.into(), message: String::new(), code: None, url: None };
        let step = |action, page: Option<PageOutcome>| StepRun { action, page, dialogs: Vec::new(), signal: None };
        let mut browser = BrowserRun {
            page: reject("NotAllowedError"),
            requests: Vec::new(),
            dialogs: Vec::new(),
            call_ms: 0,
            startup_ms: 0,
            total_ms: 0,
            steps: vec![
                step("get", Some(resolve.clone())),
                step("get", Some(reject("NotAllowedError"))),
                step("wait", None),
            ],
        };
        let c = compare(&model, &browser);
        assert!(c.outcome_agrees, "{:?}", c.differences);
        // The last call agreeing is not enough: every call step counts.
        browser.steps[0].page = Some(reject("NetworkError"));
        let c = compare(&model, &browser);
        assert!(!c.outcome_agrees);
        assert!(c.differences[0].starts_with("steps[0] (get): outcome: the model resolves"), "{:?}", c.differences);
        browser.steps[0].page = Some(resolve);
        browser.steps[1].page = Some(reject("NetworkError"));
        let c = compare(&model, &browser);
        assert!(
            c.differences[0].starts_with("steps[1] (get): error: the model rejects with \"NotAllowedError\""),
            "{:?}",
            c.differences
        );
    }

    #[test]
    fn a_set_status_is_compared_with_the_models_judgement() {
        let refused = SignalResult::Refused { why: String::new() };
        let ignored = SignalResult::Ignored { why: String::new() };
        let applied = SignalResult::Applied { status: fedcm_model::machine::browser::LoginStatus::LoggedOut };
        let rejected = |name: &str| SignalSeen::Rejected { name: name.into(), message: String::new() };
        assert_eq!(signal_difference(Some(&refused), &rejected("SecurityError")), None);
        assert_eq!(signal_difference(Some(&ignored), &SignalSeen::Resolved), None);
        assert_eq!(signal_difference(Some(&applied), &SignalSeen::Resolved), None);
        // A header is seen by no page.
        assert_eq!(signal_difference(Some(&refused), &SignalSeen::Sent), None);
        let d = signal_difference(Some(&refused), &SignalSeen::Resolved).unwrap();
        assert!(
            d.contains("refused (setStatus() rejects with SecurityError), the browser's setStatus() resolves"),
            "{d}"
        );
        assert!(signal_difference(Some(&refused), &rejected("NotAllowedError")).is_some());
        assert!(signal_difference(Some(&ignored), &rejected("SecurityError")).is_some());
    }

    #[test]
    fn a_session_compares_its_signal_steps() {
        use crate::browser::harness::{BrowserRun, PageOutcome};
        use crate::browser::session::StepRun;
        let text = include_str!("../../tests/scenarios/215-login-status-script-in-cross-site-frame.json");
        let scenario = crate::scenario::Scenario::parse(text).unwrap();
        let model = crate::driver::run(&scenario, Some(fedcm_model::Profile::Chromium)).unwrap();
        let resolve = PageOutcome::Resolve {
            token: "t0k3n".into(),
            token_type: "string".into(),
            is_auto_selected: Some(false),
            config_url: Some("https://idp.example/config.json".into()),
        };
        let mut browser = BrowserRun {
            page: resolve.clone(),
            requests: Vec::new(),
            dialogs: Vec::new(),
            call_ms: 0,
            startup_ms: 0,
            total_ms: 0,
            steps: vec![
                StepRun { action: "login_status", page: None, dialogs: Vec::new(), signal: Some(SignalSeen::Resolved) },
                StepRun { action: "get", page: Some(resolve), dialogs: Vec::new(), signal: None },
            ],
        };
        assert!(compare(&model, &browser).outcome_agrees);
        browser.steps[0].signal = Some(SignalSeen::Rejected { name: "SecurityError".into(), message: String::new() });
        let c = compare(&model, &browser);
        assert!(!c.outcome_agrees);
        assert!(
            c.differences[0].starts_with("steps[0] (login_status): login status: the model's signal is ignored"),
            "{:?}",
            c.differences
        );
    }
}
