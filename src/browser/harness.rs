//! One scenario in a real Chromium: the mock IdP over HTTPS, a fresh
//! browser, login status set through the IdP page, the call made in the RP
//! page with a user gesture, every dialog answered from the scenario's
//! `user` steps through the DevTools `FedCm` domain, and what the page and
//! the server saw. What the harness cannot drive yet is refused up front
//! ([`plan`]) or on the way ([`Outcome::CouldNotRun`]), never guessed.

use super::cdp::{Cdp, CdpError, Events};
use super::chromium::Chromium;
use super::protocol as p;
use crate::scenario::{parse_user_step, Call, Scenario, UserStep};
use crate::serve::{pages, tls, LogLevel, SeenRequest, ServeExtras, ServeOptions, Server};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use url::Url;

/// The browser's start, to its DevTools address.
const LAUNCH_DEADLINE: Duration = Duration::from_secs(20);
/// One DevTools command, or one page load.
const STEP_DEADLINE: Duration = Duration::from_secs(10);
/// The whole `get()` call, dialogs included; a call still pending then is
/// reported as "could not run", not as an outcome.
const CALL_DEADLINE: Duration = Duration::from_secs(20);
/// The wait after the gesture before the call: the activation reaches the
/// browser process asynchronously, and a call made at once sometimes
/// failed without a request in Chromium 156.
const GESTURE_SETTLE: Duration = Duration::from_millis(100);
/// How long the browser may take to exit after `Browser.close`.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// What the harness will do for a scenario it can drive.
#[derive(Debug, Clone)]
pub struct Plan {
    rp_page: Url,
    /// IdP origins to visit before the call, with the `Set-Login` value.
    idp_pages: Vec<(String, Option<String>)>,
    options: Value,
    gesture: bool,
    steps: Vec<UserStep>,
    /// `host:port` the browser must reach, all mapped to the mock.
    authorities: BTreeSet<String>,
}

/// Whether the harness can drive `scenario` today; if not, why.
pub fn plan(scenario: &Scenario) -> Result<Plan, String> {
    let Call::Get(options) = &scenario.call else {
        return Err("disconnect() is not driven yet".into());
    };
    // No provider list (or an empty one) is the RP's mistake the browser
    // reports at once: driven as is, with no IdP to set up.
    let none = Value::Null;
    let provider = match options.pointer("/identity/providers").and_then(Value::as_array).map(Vec::as_slice) {
        None | Some([]) => &none,
        Some([one]) => one,
        Some(_) => return Err("only calls with at most one provider are driven yet".into()),
    };
    // Other values are the RP's mistake, rejected before any dialog.
    if options.pointer("/identity/mode").is_some_and(|m| m == "active") {
        return Err("active mode is not driven yet (it needs a real click and its pop-ups)".into());
    }
    if options.get("signal").is_some() {
        return Err("an AbortSignal is not driven yet".into());
    }
    let rp = Url::parse(&scenario.rp.origin).map_err(|e| format!("rp.origin: {e}"))?;
    if rp.scheme() != "https" {
        return Err("the RP must be an https origin (FedCM needs a secure context)".into());
    }
    if scenario.rp.embedder.as_ref().is_some_and(|e| Url::parse(e).ok().map(|u| u.origin()) != Some(rp.origin())) {
        return Err("a framed RP (rp.embedder) is not driven yet".into());
    }
    if !scenario.browser.connected.is_empty() {
        return Err("connected accounts (browser.connected) are not set up yet: they need a prior real sign-in".into());
    }
    if !scenario.browser.requires_user_mediation.is_empty() {
        return Err("preventSilentAccess() (browser.requires_user_mediation) is not set up yet".into());
    }
    let mut steps = Vec::new();
    for (i, v) in scenario.user.iter().enumerate() {
        match parse_user_step(v).map_err(|e| format!("user[{i}]: {e}"))? {
            s @ (UserStep::Choose { config_url: None, .. } | UserStep::Cancel | UserStep::Dismiss) => steps.push(s),
            other => return Err(format!("user[{i}]: {other:?} is not driven yet (only choose, cancel, dismiss)")),
        }
    }
    let mut idp_origins: BTreeSet<String> = BTreeSet::new();
    if let Some(config) = provider.get("configURL").and_then(Value::as_str) {
        if let Ok(u) = Url::parse(config) {
            idp_origins.insert(u.origin().ascii_serialization());
        }
    }
    idp_origins.extend(scenario.browser.login_status.keys().cloned());
    let mut idp_pages = Vec::new();
    for origin in idp_origins {
        let url = Url::parse(&origin).map_err(|e| format!("{origin}: {e}"))?;
        if url.scheme() != "https" {
            return Err(format!("{origin} is not https: the harness serves HTTPS only"));
        }
        let status = scenario.browser.login_status.get(&origin).filter(|s| *s != "unknown").cloned();
        idp_pages.push((url.origin().ascii_serialization(), status));
    }
    let mut authorities = BTreeSet::new();
    for host in tls::scenario_hosts(scenario) {
        authorities.insert(format!("{host}:443"));
    }
    let urls = scenario.idp.keys().map(|k| k.rsplit(' ').next().unwrap_or(k).to_string());
    for u in urls.chain(provider.get("configURL").and_then(Value::as_str).map(String::from)) {
        if let Ok(u) = Url::parse(&u) {
            if let (Some(h), Some(port)) = (u.host_str(), u.port_or_known_default()) {
                authorities.insert(format!("{h}:{port}"));
            }
        }
    }
    let rp_page = rp.join(pages::RP_PAGE).map_err(|e| e.to_string())?;
    let gesture = scenario.browser.transient_activation.unwrap_or(true);
    Ok(Plan { rp_page, idp_pages, options: options.clone(), gesture, steps, authorities })
}

/// What the RP's page saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum PageOutcome {
    Resolve {
        #[serde(default)]
        token: Value,
        /// JavaScript's `typeof token`.
        #[serde(rename = "tokenType")]
        token_type: String,
        #[serde(rename = "isAutoSelected", default)]
        is_auto_selected: Option<bool>,
        #[serde(rename = "configURL", default)]
        config_url: Option<String>,
    },
    Reject {
        name: String,
        #[serde(default)]
        message: String,
        /// `IdentityCredentialError`'s code; `None` for other errors or an empty one
        /// (the comparison takes an empty string for none on both sides).
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        url: Option<String>,
    },
}

/// A run in the browser.
#[derive(Debug, Clone, Serialize)]
pub struct BrowserRun {
    pub page: PageOutcome,
    /// The FedCM requests the mock received (`Sec-Fetch-Dest: webidentity`), in order.
    pub requests: Vec<SeenRequest>,
    /// The dialogs shown, in order (`AccountChooser`, ...).
    pub dialogs: Vec<String>,
    /// From the call to its settling.
    pub call_ms: u128,
    /// From spawning the browser to its DevTools address.
    pub startup_ms: u128,
    /// The whole scenario: server, browser, set-up, call, close.
    pub total_ms: u128,
}

/// How a scenario ended in the browser.
#[derive(Debug)]
pub enum Outcome {
    Ran(Box<BrowserRun>),
    /// The harness could not drive it; why.
    CouldNotRun(String),
}

/// The page's call: the outcome as a JSON object, whatever happens.
fn call_script(options: &Value) -> String {
    format!(
        r#"(async () => {{
  const options = {options};
  try {{
    const c = await navigator.credentials.get(options);
    if (c === null) return {{outcome: "reject", name: "null", message: "get() resolved with null"}};
    const t = c.token;
    return {{outcome: "resolve", token: t === undefined ? null : t, tokenType: typeof t,
            isAutoSelected: c.isAutoSelected, configURL: c.configURL}};
  }} catch (e) {{
    const s = (v) => (typeof v === "string" && v !== "") ? v : null;
    return {{outcome: "reject", name: String(e && e.name), message: String(e && e.message),
            code: s(e && (e.code !== undefined ? e.code : e.error)), url: s(e && e.url)}};
  }}
}})()"#
    )
}

/// Runs `scenario` (already [`plan`]ned) in the browser at `binary`.
pub async fn run(scenario: &Scenario, plan: &Plan, binary: &Path) -> Outcome {
    let began = Instant::now();
    let hosts = tls::scenario_hosts(scenario);
    let identity = match tls::TlsIdentity::generate(&tls::certificate_names(&hosts)) {
        Ok(i) => i,
        Err(e) => return Outcome::CouldNotRun(e.to_string()),
    };
    let spki = identity.spki_sha256_base64().to_string();
    let extras = ServeExtras { tls: Some(identity), pages: true, record: true };
    let options = ServeOptions { log: LogLevel::None, ..ServeOptions::default() };
    let server = match Server::start_full(scenario, "127.0.0.1:0", options, extras) {
        Ok(s) => s,
        Err(e) => return Outcome::CouldNotRun(format!("the mock IdP did not start: {e}")),
    };
    let target = server.addr();
    let mut rules: Vec<String> = plan.authorities.iter().map(|a| format!("MAP {a} {target}")).collect();
    rules.push("EXCLUDE localhost".into());
    let args = vec![
        format!("--host-resolver-rules={}", rules.join(", ")),
        format!("--ignore-certificate-errors-spki-list={spki}"),
    ];
    let browser = match Chromium::launch(binary, &args, LAUNCH_DEADLINE).await {
        Ok(b) => b,
        Err(e) => return Outcome::CouldNotRun(e.to_string()),
    };
    let startup = browser.startup;
    let (cdp, mut events) = match Cdp::connect(browser.ws_url(), STEP_DEADLINE).await {
        Ok(c) => c,
        Err(e) => {
            browser.wait_or_kill(Duration::ZERO).await;
            return Outcome::CouldNotRun(e.to_string());
        }
    };
    let driven = drive(&cdp, &mut events, plan, &server).await;
    let _ = cdp.call(&p::CloseBrowser {}, None, STEP_DEADLINE).await;
    browser.wait_or_kill(CLOSE_DEADLINE).await;
    let (page, dialogs, call) = match driven {
        Ok(d) => d,
        Err(why) => return Outcome::CouldNotRun(why),
    };
    let refused = server.violations();
    if let Some(first) = refused.first() {
        return Outcome::CouldNotRun(format!(
            "the mock refused {} request(s) of the browser for breaking its checks, so the browser saw other responses than the model: {first}",
            refused.len()
        ));
    }
    let (seen, dropped) = server.take_requests_counted();
    if dropped > 0 {
        return Outcome::CouldNotRun(format!("the browser sent over {} requests", crate::serve::MAX_SEEN));
    }
    let requests = seen.into_iter().filter(|r| r.header("sec-fetch-dest") == Some("webidentity")).collect();
    Outcome::Ran(Box::new(BrowserRun {
        page,
        requests,
        dialogs,
        call_ms: call.as_millis(),
        startup_ms: startup.as_millis(),
        total_ms: began.elapsed().as_millis(),
    }))
}

fn text(e: CdpError) -> String {
    e.to_string()
}

/// Navigates the page and waits until `url` has loaded. Polls the page
/// rather than trusting load events, which may belong to the page before.
async fn navigate(cdp: &Cdp, session: Option<&str>, url: &str) -> Result<(), String> {
    let navigated = cdp.call(&p::Navigate { url: url.to_string() }, session, STEP_DEADLINE).await.map_err(text)?;
    if let Some(error) = navigated.error_text.filter(|e| !e.is_empty()) {
        return Err(format!("the browser could not load {url}: {error}"));
    }
    let until = Instant::now() + STEP_DEADLINE;
    let probe = p::Evaluate {
        expression: "location.href + ' ' + document.readyState".into(),
        user_gesture: false,
        await_promise: false,
        return_by_value: true,
    };
    let want = format!("{url} complete");
    while Instant::now() < until {
        // During the navigation the page's context may be gone: try again.
        if let Ok(r) = cdp.call(&probe, session, STEP_DEADLINE).await {
            if r.result.value.as_ref().and_then(Value::as_str) == Some(want.as_str()) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("{url} did not load within {} s", STEP_DEADLINE.as_secs()))
}

/// The page outcome, the dialogs shown and how long the call took.
async fn drive(
    cdp: &Cdp,
    events: &mut Events,
    plan: &Plan,
    server: &Server,
) -> Result<(PageOutcome, Vec<String>, Duration), String> {
    let create = p::CreateTarget { url: "about:blank".into() };
    let target = cdp.call(&create, None, STEP_DEADLINE).await.map_err(text)?.target_id;
    let attach = p::AttachToTarget { target_id: target.clone(), flatten: true };
    let session = cdp.call(&attach, None, STEP_DEADLINE).await.map_err(text)?.session_id;
    let s = Some(session.as_str());
    cdp.call(&p::PageEnable {}, s, STEP_DEADLINE).await.map_err(text)?;
    cdp.call(&p::SetDiscoverTargets { discover: true }, None, STEP_DEADLINE).await.map_err(text)?;
    cdp.call(&p::FedCmEnable { disable_rejection_delay: true }, s, STEP_DEADLINE).await.map_err(text)?;
    for (origin, status) in &plan.idp_pages {
        let query = status.as_ref().map(|st| format!("?login={st}")).unwrap_or_default();
        navigate(cdp, s, &format!("{origin}{}{query}", pages::IDP_PAGE)).await?;
    }
    navigate(cdp, s, plan.rp_page.as_str()).await?;
    // Whatever loading the pages fetched (a favicon) is not the call's.
    server.take_requests();
    let evaluate = |expression: String, await_promise: bool| p::Evaluate {
        expression,
        user_gesture: plan.gesture,
        await_promise,
        return_by_value: true,
    };
    if plan.gesture {
        cdp.call(&evaluate("0".into(), false), s, STEP_DEADLINE).await.map_err(text)?;
        tokio::time::sleep(GESTURE_SETTLE).await;
    }
    // Events so far (the browser's first tab, the pages' loads) are not the call's.
    while events.next(Duration::ZERO).await.map_err(text)?.is_some() {}
    let started = Instant::now();
    let call_command = evaluate(call_script(&plan.options), true);
    let call = cdp.call(&call_command, s, CALL_DEADLINE);
    tokio::pin!(call);
    let mut steps = plan.steps.iter();
    let mut dialogs = Vec::new();
    let evaluated = loop {
        tokio::select! {
            r = &mut call => break r,
            event = events.next(CALL_DEADLINE) => {
                let Some(event) = event.map_err(text)? else { continue };
                // A new page during the call is a pop-up (login,
                // continuation; Chromium 156 gives it no opener): not
                // driven yet, and waiting would only run into the deadline.
                if let Some(created) = event.parse::<p::TargetCreatedEvent>(p::TARGET_CREATED) {
                    let info = created.map_err(text)?.target_info;
                    if info.kind == "page" && info.target_id != target {
                        return Err(format!("the browser opened a pop-up ({}): pop-ups are not driven yet", info.url));
                    }
                }
                if event.session_id.as_deref() != s {
                    continue;
                }
                let Some(shown) = event.parse::<p::DialogShown>(p::DIALOG_SHOWN) else { continue };
                let shown = shown.map_err(text)?;
                dialogs.push(shown.dialog_type.clone());
                answer(cdp, s, &shown, &mut steps).await?;
            }
        }
    };
    let took = started.elapsed();
    let evaluated = match evaluated {
        Ok(e) => e,
        Err(CdpError::Timeout { .. }) => {
            return Err(format!(
                "the call did not settle within {} s (dialogs shown: {})",
                CALL_DEADLINE.as_secs(),
                if dialogs.is_empty() { "none".into() } else { dialogs.join(", ") }
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    if let Some(thrown) = evaluated.exception_details {
        return Err(format!("the harness's page script failed: {}", thrown.message()));
    }
    let value = evaluated.result.value.unwrap_or(Value::Null);
    let page = serde_json::from_value(value.clone())
        .map_err(|e| format!("the page returned {value} ({e}), not an outcome"))?;
    Ok((page, dialogs, took))
}

/// Answers one dialog with the next scripted step, as the model's driver
/// would answer the same prompt.
async fn answer<'a>(
    cdp: &Cdp,
    session: Option<&str>,
    shown: &p::DialogShown,
    steps: &mut impl Iterator<Item = &'a UserStep>,
) -> Result<(), String> {
    let dialog_id = shown.dialog_id.clone();
    let dismiss = p::DismissDialog { dialog_id: dialog_id.clone(), trigger_cooldown: false };
    let misfit =
        |step: &UserStep| format!("the scripted {step:?} does not fit the browser's {} dialog", shown.dialog_type);
    let done = match (shown.dialog_type.as_str(), steps.next()) {
        // Needs no answer; takes no step (the model asks nothing either).
        ("AutoReauthn", _) => return Ok(()),
        ("AccountChooser", Some(UserStep::Choose { account, .. })) => {
            let Some(index) = shown.accounts.iter().position(|a| &a.account_id == account) else {
                let listed: Vec<&str> = shown.accounts.iter().map(|a| a.account_id.as_str()).collect();
                return Err(format!(
                    "the browser's account chooser lists {listed:?}, not the scripted account {account:?}"
                ));
            };
            cdp.call(&p::SelectAccount { dialog_id, account_index: index }, session, STEP_DEADLINE).await
        }
        ("Error", Some(UserStep::Dismiss)) => {
            let click = p::ClickDialogButton { dialog_id, dialog_button: "ErrorGotIt".into() };
            cdp.call(&click, session, STEP_DEADLINE).await
        }
        // Scripted cancel, or no step left: the person closes the dialog.
        ("AccountChooser" | "ConfirmIdpLogin" | "Error", Some(UserStep::Cancel) | None) => {
            cdp.call(&dismiss, session, STEP_DEADLINE).await
        }
        ("AccountChooser" | "ConfirmIdpLogin" | "Error", Some(step)) => return Err(misfit(step)),
        (other, _) => return Err(format!("a {other} dialog is not driven yet")),
    };
    done.map(|_| ()).map_err(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(patch: Value) -> Scenario {
        let mut s = serde_json::json!({
            "name": "harness",
            "rp": {"origin": "https://rp.example"},
            "browser": {"login_status": {"https://idp.example": "logged-in"}},
            "call": {"get": {"identity": {"providers": [{"configURL": "https://idp.example:8443/config.json", "clientId": "1"}]}}},
            "idp": {
                "https://idp.example/.well-known/web-identity": {"body": {"provider_urls": ["https://idp.example:8443/config.json"]}},
                "https://idp.example:8443/config.json": {"body": {"accounts_endpoint": "/a", "id_assertion_endpoint": "/b"}}
            },
            "user": [{"choose": "1"}]
        });
        if let (Value::Object(s), Value::Object(p)) = (&mut s, patch) {
            s.extend(p);
        }
        Scenario::parse(&s.to_string()).unwrap()
    }

    #[test]
    fn a_plain_scenario_maps_every_host_and_port_and_sets_login_status() {
        let plan = plan(&scenario(serde_json::json!({}))).unwrap();
        let authorities: Vec<&str> = plan.authorities.iter().map(String::as_str).collect();
        assert_eq!(authorities, ["idp.example:443", "idp.example:8443", "rp.example:443"]);
        // Login status is per origin: the config URL's own origin (port
        // 8443) is unknown, but its page is visited for the probe cookie.
        let pages = [
            ("https://idp.example".to_string(), Some("logged-in".to_string())),
            ("https://idp.example:8443".to_string(), None),
        ];
        assert_eq!(plan.idp_pages, pages);
        assert_eq!(plan.rp_page.as_str(), "https://rp.example/.fedcm/rp");
        assert!(plan.gesture);
    }

    #[test]
    fn what_cannot_be_driven_says_why() {
        let cases = [
            (serde_json::json!({"rp": {"origin": "https://rp.example", "embedder": "https://top.example"}}), "framed"),
            (
                serde_json::json!({"browser": {"connected": [{"rp": "https://rp.example", "idp": "https://idp.example", "account": "1"}]}}),
                "prior real sign-in",
            ),
            (serde_json::json!({"user": ["login"]}), "not driven yet"),
            (serde_json::json!({"call": {"get": {"identity": {"mode": "active", "providers": []}}}}), "active mode"),
            (
                serde_json::json!({"call": {"disconnect": {"configURL": "https://idp.example/config.json", "clientId": "1", "accountHint": "1"}}}),
                "disconnect",
            ),
            (serde_json::json!({"browser": {"login_status": {"http://idp.example": "logged-in"}}}), "not https"),
        ];
        for (patch, why) in cases {
            let err = plan(&scenario(patch.clone())).unwrap_err();
            assert!(err.contains(why), "{patch}: {err}");
        }
    }

    #[test]
    fn the_page_script_embeds_the_options_as_json() {
        let script = call_script(&serde_json::json!({"identity": {"providers": []}, "x": "</script>"}));
        assert!(script.contains(r#"const options = {"identity":{"providers":[]},"x":"</script>"};"#), "{script}");
    }

    /// End to end in a real Chromium: `cargo test --lib -- --ignored browser`.
    /// Says so and passes when no Chromium is installed.
    #[test]
    #[ignore = "starts a real Chromium"]
    fn a_sign_in_in_real_chromium() {
        let Ok(binary) = super::super::chromium::find(None) else {
            // CI installs Chromium and sets this, so a lost browser fails there.
            assert!(std::env::var_os("FEDCM_REQUIRE_CHROMIUM").is_none(), "no Chromium found");
            eprintln!("SKIPPED: no Chromium found (install Debian's chromium package)");
            return;
        };
        let text = include_str!("../../tests/scenarios/018-new-user-chooser-params-nonce.json");
        let scenario = Scenario::parse(text).unwrap();
        let plan = plan(&scenario).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let Outcome::Ran(run) = rt.block_on(run(&scenario, &plan, &binary)) else { panic!("could not run") };
        let PageOutcome::Resolve { token, token_type, .. } = &run.page else { panic!("{:?}", run.page) };
        assert_eq!((token, token_type.as_str()), (&Value::from("t0k3n"), "string"));
        assert_eq!(run.dialogs, ["AccountChooser"]);
        let urls: Vec<&str> = run.requests.iter().map(|r| r.url.as_str()).collect();
        assert!(urls.contains(&"https://idp.example/accounts"), "{urls:?}");
        let assertion = run.requests.iter().find(|r| r.method == "POST").expect("an assertion request");
        assert_eq!(assertion.header("origin"), Some("https://rp.example"));
        assert!(assertion.body.contains("account_id=1234"), "{}", assertion.body);
    }
}
