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
//!
//! Where the model's profile words the dialog as Chromium does, each call's
//! account choosers are compared too, the n-th the browser showed with the
//! model's n-th: the title, the subtitle and the accounts' order.

use super::harness::{BrowserRun, ChooserSeen, PageOutcome};
use super::session::SignalSeen;
use crate::driver::RunReport;
use crate::serve::{pages, SeenRequest};
use fedcm_model::machine::fetch::{Credentials, FetchRequest, Method};
use fedcm_model::machine::login_signal::SignalResult;
use fedcm_model::machine::prompt::{Dialog, Prompt};
use fedcm_model::profile::rules::DialogWords;
use fedcm_model::trace::Trace;
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
    /// The account choosers' title, subtitle and order (true where the
    /// model's profile gives no Chromium words to compare).
    pub dialogs_agree: bool,
    /// Every difference found: the outcome's, the dialogs', the requests'.
    pub differences: Vec<String>,
}

impl Comparison {
    pub fn agrees(&self) -> bool {
        self.outcome_agrees && self.requests_agree && self.dialogs_agree
    }
}

/// An account chooser as the model showed it: the title, subtitle and
/// the accounts' order, what the browser's is compared on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelChooser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    pub order: Vec<String>,
}

impl ModelChooser {
    fn new(dialog: &Dialog, order: Vec<String>) -> ModelChooser {
        ModelChooser { title: dialog.title.clone(), subtitle: dialog.subtitle.clone(), order }
    }
}

/// The account choosers of one call of the model, in the order shown.
pub fn model_choosers(trace: &Trace) -> Vec<ModelChooser> {
    trace
        .prompts()
        .filter_map(|p| match p {
            Prompt::AccountChooser { accounts, dialog, .. } => {
                Some(ModelChooser::new(dialog, accounts.iter().map(|a| a.account_id.clone()).collect()))
            }
            _ => None,
        })
        .collect()
}

/// The n-th account chooser the browser showed in a call (those it
/// replaced before they were answered left out) against the model's n-th
/// in the same call: its title, subtitle (none when the event has none)
/// and the accounts' order. Only a chooser the model words as Chromium
/// does (a title) is compared; one only a side shows is a difference.
pub(crate) fn dialog_differences(model: &[ModelChooser], seen: &[ChooserSeen]) -> Vec<String> {
    let seen: Vec<&ChooserSeen> = seen.iter().filter(|c| !c.replaced).collect();
    let mut d = Vec::new();
    for n in 0..model.len().max(seen.len()) {
        let at = format!("account chooser #{}", n + 1);
        match (model.get(n), seen.get(n)) {
            (Some(m), Some(b)) => {
                let Some(title) = &m.title else { continue };
                if *title != b.title {
                    d.push(format!("{at}: title: the model shows {title:?}, the browser {:?}", b.title));
                }
                if m.subtitle != b.subtitle {
                    d.push(format!("{at}: subtitle: the model shows {:?}, the browser {:?}", m.subtitle, b.subtitle));
                }
                if m.order != b.order {
                    d.push(format!("{at}: accounts' order: the model lists {:?}, the browser {:?}", m.order, b.order));
                }
            }
            (Some(m), None) if m.title.is_some() => {
                d.push(format!("{at}: the model shows {:?} {:?}, the browser shows no such chooser", m.title, m.order))
            }
            (None, Some(b)) => {
                d.push(format!("{at}: the browser shows {:?} {:?}, the model shows no such chooser", b.title, b.order))
            }
            _ => {}
        }
    }
    d
}

/// Every call's account choosers against the model's, when the model's
/// profile words them as Chromium does: a session's call step by call
/// step (prefixed with the step), a single call's alone.
fn all_dialog_differences(model: &RunReport, browser: &BrowserRun) -> Vec<String> {
    if model.profile.rules().dialog_words != DialogWords::Chromium {
        return Vec::new();
    }
    if browser.steps.is_empty() {
        return dialog_differences(&model_choosers(&model.trace), &browser.choosers);
    }
    let mut d = Vec::new();
    for (i, step) in browser.steps.iter().enumerate() {
        if step.page.is_none() {
            continue;
        }
        let want = model.steps.get(i).and_then(|m| m.trace.as_ref()).map(model_choosers).unwrap_or_default();
        let at = format!("steps[{i}] ({})", step.action);
        d.extend(dialog_differences(&want, &step.choosers).into_iter().map(|x| format!("{at}: {x}")));
    }
    d
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
    let dialogs = all_dialog_differences(model, browser);
    Comparison {
        outcome_agrees: outcome.is_empty(),
        requests_agree: requests.is_empty(),
        dialogs_agree: dialogs.is_empty(),
        differences: outcome.into_iter().chain(dialogs).chain(requests).collect(),
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

    /// The page's outcome of the usual sign-in: the scenarios' token from
    /// idp.example's config.
    fn signed_in() -> crate::browser::harness::PageOutcome {
        crate::browser::harness::PageOutcome::Resolve {
            token: "t0k3n".into(),
            token_type: "string".into(),
            is_auto_selected: Some(false),
            config_url: Some("https://idp.example/config.json".into()),
        }
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
        let resolve = signed_in();
        let reject =
            |name: &str| PageOutcome::Reject { name: name.into(), message: String::new(), code: None, url: None };
        let step = |action, page: Option<PageOutcome>| StepRun {
            action,
            page,
            dialogs: Vec::new(),
            choosers: Vec::new(),
            signal: None,
        };
        let mut browser = BrowserRun {
            page: reject("NotAllowedError"),
            requests: Vec::new(),
            dialogs: Vec::new(),
            choosers: Vec::new(),
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
        use crate::browser::harness::BrowserRun;
        use crate::browser::session::StepRun;
        let text = include_str!("../../tests/scenarios/215-login-status-script-in-cross-site-frame.json");
        let scenario = crate::scenario::Scenario::parse(text).unwrap();
        let model = crate::driver::run(&scenario, Some(fedcm_model::Profile::Chromium)).unwrap();
        let resolve = signed_in();
        let mut browser = BrowserRun {
            page: resolve.clone(),
            requests: Vec::new(),
            dialogs: Vec::new(),
            choosers: Vec::new(),
            call_ms: 0,
            startup_ms: 0,
            total_ms: 0,
            steps: vec![
                StepRun {
                    action: "login_status",
                    page: None,
                    dialogs: Vec::new(),
                    choosers: Vec::new(),
                    signal: Some(SignalSeen::Resolved),
                },
                StepRun { action: "get", page: Some(resolve), dialogs: Vec::new(), choosers: Vec::new(), signal: None },
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

    /// The model's request as the mock would have seen it from the browser.
    fn as_seen(r: &FetchRequest) -> SeenRequest {
        let mut headers: Vec<(String, String)> =
            r.headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        headers.extend(r.origin.clone().map(|o| ("origin".to_string(), o)));
        if r.credentials == Credentials::Include {
            headers.push(("cookie".into(), pages::PROBE_COOKIE.into()));
        }
        SeenRequest {
            method: Wire::from_model(r).method,
            url: r.url.to_string(),
            headers,
            body: r.body.clone().unwrap_or_default(),
        }
    }

    fn seen(title: &str, subtitle: Option<&str>, order: &[&str]) -> ChooserSeen {
        ChooserSeen {
            dialog_id: "d".into(),
            title: title.into(),
            subtitle: subtitle.map(String::from),
            order: order.iter().map(|a| a.to_string()).collect(),
            replaced: false,
        }
    }

    fn shown(title: Option<&str>, subtitle: Option<&str>, order: &[&str]) -> ModelChooser {
        ModelChooser {
            title: title.map(String::from),
            subtitle: subtitle.map(String::from),
            order: order.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn a_chooser_is_read_from_the_dialog_shown_event() {
        let event = serde_json::json!({
            "dialogId": "7", "dialogType": "AccountChooser", "title": "Sign in to widget.example with idp.example",
            "subtitle": "on news.example",
            "accounts": [{"accountId": "b", "idpConfigUrl": "https://idp.example/config.json"}, {"accountId": "a"}]
        });
        let event: crate::browser::protocol::DialogShown = serde_json::from_value(event).unwrap();
        let c = ChooserSeen::of(&event).unwrap();
        assert_eq!(
            c,
            ChooserSeen { dialog_id: "7".into(), ..seen(&event.title, Some("on news.example"), &["b", "a"]) }
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"dialogId": "7", "title": "Sign in to widget.example with idp.example", "subtitle": "on news.example", "order": ["b", "a"]})
        );
        let no_subtitle = serde_json::json!({"dialogId": "8", "dialogType": "AccountChooser", "title": "t"});
        let no_subtitle: crate::browser::protocol::DialogShown = serde_json::from_value(no_subtitle).unwrap();
        assert_eq!(ChooserSeen::of(&no_subtitle).unwrap().subtitle, None);
        // Only account choosers are compared.
        for kind in ["AutoReauthn", "ConfirmIdpLogin", "Error"] {
            let other = serde_json::json!({"dialogId": "9", "dialogType": kind, "title": "x", "accounts": [{"accountId": "a"}]});
            let other: crate::browser::protocol::DialogShown = serde_json::from_value(other).unwrap();
            assert_eq!(ChooserSeen::of(&other), None, "{kind}");
        }
        let mut choosers = vec![c];
        ChooserSeen::mark_replaced(&mut choosers, "7", false);
        assert!(!choosers[0].replaced);
        ChooserSeen::mark_replaced(&mut choosers, "8", true);
        assert!(!choosers[0].replaced);
        ChooserSeen::mark_replaced(&mut choosers, "7", true);
        assert!(choosers[0].replaced);
    }

    #[test]
    fn choosers_are_compared_on_title_subtitle_and_order() {
        let title = "Sign in to rp.example with idp.example";
        let model = [shown(Some(title), None, &["a", "b"])];
        assert!(dialog_differences(&model, &[seen(title, None, &["a", "b"])]).is_empty());
        let d = dialog_differences(&model, &[seen("Sign in to rp.example", Some("on top.example"), &["b", "a"])]);
        assert_eq!(
            d,
            [
                "account chooser #1: title: the model shows \"Sign in to rp.example with idp.example\", the browser \"Sign in to rp.example\"",
                "account chooser #1: subtitle: the model shows None, the browser Some(\"on top.example\")",
                "account chooser #1: accounts' order: the model lists [\"a\", \"b\"], the browser [\"b\", \"a\"]",
            ]
        );
        // The n-th with the n-th: the second chooser differs.
        let model = [shown(Some(title), None, &["a"]), shown(Some(title), None, &["new", "a"])];
        let d = dialog_differences(&model, &[seen(title, None, &["a"]), seen(title, None, &["a", "new"])]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("account chooser #2: accounts' order"), "{d:?}");
    }

    #[test]
    fn only_chromium_words_and_answered_choosers_are_compared() {
        // A profile without Chromium's words: nothing to compare.
        let model = [shown(None, None, &["a"])];
        assert!(dialog_differences(&model, &[seen("anything", Some("x"), &["z"])]).is_empty());
        assert!(dialog_differences(&model, &[]).is_empty());
        // A chooser the browser replaced before it was answered is left out.
        let title = "Sign in to rp.example";
        let model = [shown(Some(title), None, &["a", "b"])];
        let early = ChooserSeen { replaced: true, ..seen(title, None, &["a"]) };
        assert!(dialog_differences(&model, &[early.clone(), seen(title, None, &["a", "b"])]).is_empty());
        // A chooser only one side shows is a difference.
        let d = dialog_differences(&model, &[early]);
        assert_eq!(d, ["account chooser #1: the model shows Some(\"Sign in to rp.example\") [\"a\", \"b\"], the browser shows no such chooser"]);
        let d = dialog_differences(&[], &[seen(title, None, &["a"])]);
        assert_eq!(d, ["account chooser #1: the browser shows \"Sign in to rp.example\" [\"a\"], the model shows no such chooser"]);
    }

    #[test]
    fn a_dialog_scenario_is_compared_with_what_the_browser_showed() {
        let text = include_str!("../../tests/scenarios/285-dialog-iframe-rp-third-party-named.json");
        let scenario = crate::scenario::Scenario::parse(text).unwrap();
        let model = crate::driver::run(&scenario, Some(fedcm_model::Profile::Chromium)).unwrap();
        let page = signed_in();
        let title = "Sign in to widget.example with idp.example";
        let mut browser = BrowserRun {
            page,
            requests: model.requests.iter().map(as_seen).collect(),
            dialogs: vec!["AccountChooser".into()],
            choosers: vec![seen(title, Some("news.example embeds content from widget.example"), &["1234"])],
            call_ms: 0,
            startup_ms: 0,
            total_ms: 0,
            steps: Vec::new(),
        };
        let c = compare(&model, &browser);
        assert!(c.agrees(), "{:?}", c.differences);
        // Chromium naming the top frame's site instead, with no subtitle.
        browser.choosers = vec![seen("Sign in to news.example with idp.example", None, &["1234"])];
        let c = compare(&model, &browser);
        assert!(c.outcome_agrees && c.requests_agree && !c.dialogs_agree && !c.agrees());
        assert_eq!(c.differences.len(), 2, "{:?}", c.differences);
        assert!(
            c.differences[0].contains("the browser \"Sign in to news.example with idp.example\""),
            "{:?}",
            c.differences
        );
        assert!(c.differences[1].contains(
            "subtitle: the model shows Some(\"news.example embeds content from widget.example\"), the browser None"
        ));
        // Under a profile without Chromium's words nothing is compared.
        let spec = crate::driver::run(&scenario, Some(fedcm_model::Profile::Spec)).unwrap();
        assert!(all_dialog_differences(&spec, &browser).is_empty());
    }
}
