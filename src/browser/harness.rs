//! One scenario in a real Chromium: the mock IdP over HTTPS, a fresh
//! browser, its state built by real actions (priming sign-ins for the
//! connections, `preventSilentAccess()`, login status through the IdP
//! page), the call made in the RP page with a user gesture, every dialog
//! and pop-up answered from the scenario's `user` steps (the DevTools
//! `FedCm` domain for dialogs, scripts in the pop-up for the IdP's pages),
//! and what the page and the server saw. A session's steps run in the same
//! RP page ([`super::session`]). What the harness cannot drive is
//! refused up front ([`super::plan`]) or on the way
//! ([`Outcome::CouldNotRun`]), never guessed.

use super::cdp::{Cdp, CdpError, Events};
use super::chromium::Chromium;
use super::plan::{PageCall, Plan, PrimeStep};
use super::prompts::{self, call_script, STEP_DEADLINE};
use super::protocol as p;
use super::session::{self, StepRun};
use crate::scenario::{Scenario, UserStep};
use crate::serve::{pages, tls, LogLevel, SeenRequest, ServeExtras, ServeOptions, Server};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The browser's start, to its DevTools address.
const LAUNCH_DEADLINE: Duration = Duration::from_secs(20);
/// The whole `get()` call, dialogs included; a call still pending then is
/// reported as "could not run", not as an outcome.
pub(super) const CALL_DEADLINE: Duration = Duration::from_secs(20);
/// The wait after the gesture before the call: the activation reaches the
/// browser process asynchronously, and a call made at once sometimes
/// failed without a request in Chromium 156.
pub(super) const GESTURE_SETTLE: Duration = Duration::from_millis(100);
/// How long the browser may take to exit after `Browser.close`.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

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
    /// `disconnect()` resolved (with nothing).
    Disconnected,
    /// `IdentityProvider.getUserInfo()` resolved with these accounts
    /// (`email`, `name`, `givenName`, `picture`).
    #[serde(rename = "userinfo")]
    UserInfo { accounts: Value },
}

impl PageOutcome {
    /// One phrase: `resolve "t0k3n" (string)`, `reject NetworkError`.
    pub fn summary(&self) -> String {
        match self {
            PageOutcome::Resolve { token, token_type, .. } => format!("resolve {token} ({token_type})"),
            PageOutcome::Reject { name, .. } => format!("reject {name}"),
            PageOutcome::Disconnected => "disconnect() resolves".into(),
            PageOutcome::UserInfo { accounts } => format!("getUserInfo() resolves with {accounts}"),
        }
    }
}

/// An account chooser as the browser showed it (`FedCm.dialogShown` of
/// type `AccountChooser`): what is compared with the model's dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChooserSeen {
    /// The event's `dialogId` (not compared).
    #[serde(rename = "dialogId")]
    pub dialog_id: String,
    pub title: String,
    /// `None` when the event has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// The accounts' `accountId`, in the order the dialog lists them.
    pub order: Vec<String>,
    /// Chromium replaced the dialog with a newer one before the answer
    /// reached it (a multi-IdP chooser once every IdP has answered), or
    /// showed a newer dialog for the same call while a session kept this
    /// one unanswered: the person never answered it, and it is not
    /// compared.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replaced: bool,
}

impl ChooserSeen {
    /// The chooser of `shown`, if it is one.
    pub fn of(shown: &p::DialogShown) -> Option<ChooserSeen> {
        (shown.dialog_type == "AccountChooser").then(|| ChooserSeen {
            dialog_id: shown.dialog_id.clone(),
            title: shown.title.clone(),
            subtitle: shown.subtitle.clone(),
            order: shown.accounts.iter().map(|a| a.account_id.clone()).collect(),
            replaced: false,
        })
    }

    /// Marks the chooser of dialog `id` in `seen` as replaced, if `replaced`.
    pub fn mark_replaced(seen: &mut [ChooserSeen], id: &str, replaced: bool) {
        if let Some(c) = seen.iter_mut().find(|c| c.dialog_id == id).filter(|_| replaced) {
            c.replaced = true;
        }
    }
}

/// A run in the browser.
#[derive(Debug, Clone, Serialize)]
pub struct BrowserRun {
    pub page: PageOutcome,
    /// The FedCM requests the mock received (`Sec-Fetch-Dest: webidentity`), in order.
    pub requests: Vec<SeenRequest>,
    /// The dialogs shown, in order (`AccountChooser`, ...).
    pub dialogs: Vec<String>,
    /// The account choosers among them: title, subtitle, accounts' order
    /// (a session's: in its `steps`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choosers: Vec<ChooserSeen>,
    /// From the call to its settling.
    pub call_ms: u128,
    /// From spawning the browser to its DevTools address.
    pub startup_ms: u128,
    /// The whole scenario: server, browser, set-up, call, close.
    pub total_ms: u128,
    /// A session's steps, in order (none for a single call): each call
    /// step's outcome and the dialogs its call showed. `page` is then the
    /// last call's outcome, `dialogs` every call's, and `call_ms` the
    /// whole session's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepRun>,
}

/// How a scenario ended in the browser.
#[derive(Debug)]
pub enum Outcome {
    Ran(Box<BrowserRun>),
    /// The harness could not drive it; why.
    CouldNotRun(String),
}

/// Runs `scenario` (already [planned](super::plan::plan)) in the browser at `binary`.
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
    let Driven { page, dialogs, choosers, took: call, steps } = match driven {
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
        choosers,
        call_ms: call.as_millis(),
        startup_ms: startup.as_millis(),
        total_ms: began.elapsed().as_millis(),
        steps,
    }))
}

pub(super) fn text(e: CdpError) -> String {
    e.to_string()
}

/// Navigates the page and waits until `url` has loaded. Polls the page
/// rather than trusting load events, which may belong to the page before.
pub(super) async fn navigate(cdp: &Cdp, session: Option<&str>, url: &str) -> Result<(), String> {
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

/// What the page saw: the (last) call's outcome, the dialogs shown, how
/// long the call (or the session) took, and a session's steps.
pub(super) struct Driven {
    pub page: PageOutcome,
    pub dialogs: Vec<String>,
    /// A single call's account choosers (a session's are in its steps).
    pub choosers: Vec<ChooserSeen>,
    pub took: Duration,
    pub steps: Vec<StepRun>,
}

/// Builds the browser state, then makes the call or runs the session.
async fn drive(cdp: &Cdp, events: &mut Events, plan: &Plan, server: &Server) -> Result<Driven, String> {
    let create = p::CreateTarget { url: "about:blank".into() };
    let target = cdp.call(&create, None, STEP_DEADLINE).await.map_err(text)?.target_id;
    let attach = p::AttachToTarget { target_id: target.clone(), flatten: true };
    let session = cdp.call(&attach, None, STEP_DEADLINE).await.map_err(text)?.session_id;
    let page = Page { target: &target, session: &session };
    let s = Some(session.as_str());
    cdp.call(&p::PageEnable {}, s, STEP_DEADLINE).await.map_err(text)?;
    cdp.call(&p::SetDiscoverTargets { discover: true }, None, STEP_DEADLINE).await.map_err(text)?;
    let auto_attach = p::SetAutoAttach { auto_attach: true, wait_for_debugger_on_start: false, flatten: true };
    cdp.call(&auto_attach, s, STEP_DEADLINE).await.map_err(text)?;
    cdp.call(&p::FedCmEnable { disable_rejection_delay: true }, s, STEP_DEADLINE).await.map_err(text)?;
    for prime in &plan.primes {
        connect(cdp, events, page, server, prime).await.map_err(|e| {
            format!(
                "the sign-in that gives the browser the connection of account {:?} at {} failed: {e}",
                prime.account, prime.idp
            )
        })?;
    }
    for rp in &plan.prevent_silent {
        navigate(cdp, s, rp.as_str()).await?;
        let prevent = "navigator.credentials.preventSilentAccess().then(() => true)";
        let done = cdp.call(&evaluate(prevent.into(), false, true), s, STEP_DEADLINE).await.map_err(text)?;
        if done.exception_details.is_some() || done.result.value != Some(Value::Bool(true)) {
            return Err(format!("preventSilentAccess() failed in {rp}"));
        }
    }
    for (origin, status) in &plan.idp_pages {
        let query = status.as_ref().map(|st| format!("?login={st}")).unwrap_or_default();
        navigate(cdp, s, &format!("{origin}{}{query}", pages::IDP_PAGE)).await?;
    }
    navigate(cdp, s, plan.embedder_page.as_ref().unwrap_or(&plan.rp_page).as_str()).await?;
    // Whatever loading the pages fetched (a favicon, the sign-ins that made
    // the connections) is not the call's.
    server.take_requests();
    if plan.session {
        return session::drive(cdp, events, page, plan).await;
    }
    let Some(planned) = plan.first_call() else { return Err("the scenario makes no call".into()) };
    let mut script = call_script(&planned.call, planned.abort);
    if plan.embedder_page.is_some() {
        add_frame(cdp, s, &plan.framing, planned.gesture).await?;
        script = prompts::in_frame(&script, &plan.framing);
    }
    let Called { page, dialogs, choosers, took } =
        call(cdp, events, page, &script, planned.gesture, &planned.user).await?;
    Ok(Driven { page, dialogs, choosers, took, steps: Vec::new() })
}

/// The RP page: its target and its DevTools session.
#[derive(Clone, Copy)]
pub(super) struct Page<'a> {
    pub target: &'a str,
    pub session: &'a str,
}

pub(super) fn evaluate(expression: String, user_gesture: bool, await_promise: bool) -> p::Evaluate {
    p::Evaluate { expression, user_gesture, await_promise, return_by_value: true }
}

/// Gives the browser one connection by a real sign-in: the IdP's page sets
/// its status to logged-in, the mock serves the priming IdP on that origin
/// (one account, the connection's), and the RP page signs in with it.
async fn connect(
    cdp: &Cdp,
    events: &mut Events,
    page: Page<'_>,
    server: &Server,
    prime: &PrimeStep,
) -> Result<(), String> {
    let s = Some(page.session);
    let idp_page = prime.idp.join(pages::IDP_PAGE).map_err(|e| e.to_string())?;
    navigate(cdp, s, &format!("{idp_page}?login=logged-in")).await?;
    navigate(cdp, s, prime.embedder_page.as_ref().unwrap_or(&prime.rp_page).as_str()).await?;
    server.set_prime(Some(pages::Prime { config_url: prime.config_url(), account: prime.account.clone() }));
    let options =
        serde_json::json!({"identity": {"providers": [{"configURL": prime.config_url(), "clientId": "fedcm-prime"}]}});
    let steps = [UserStep::Choose { account: prime.account.clone(), config_url: None }];
    let mut script = call_script(&PageCall::Get(options), false);
    if prime.embedder_page.is_some() {
        let framing = prompts::Framing::direct(&prime.rp_page);
        add_frame(cdp, s, &framing, false).await?;
        script = prompts::in_frame(&script, &framing);
    }
    let called = call(cdp, events, page, &script, true, &steps).await;
    server.set_prime(None);
    match called?.page {
        PageOutcome::Resolve { token, .. } if token == pages::PRIME_TOKEN => Ok(()),
        other => Err(format!("it ended with {other:?}")),
    }
}

/// An out-of-process frame of ours was attached: FedCM's DevTools events
/// for a call made in it come on its session, so the domain is enabled
/// there and the session joins `ours`; the frames it holds out of its
/// process (a chain of `rp.frames`) are attached on its session in turn.
/// Whether `event` was such an attach.
pub(super) async fn attach_frame(cdp: &Cdp, event: &super::cdp::Event, ours: &mut Vec<String>) -> Result<bool, String> {
    let Some(attached) = event.parse::<p::AttachedToTarget>(p::ATTACHED_TO_TARGET) else { return Ok(false) };
    let attached = attached.map_err(text)?;
    if attached.target_info.kind == "iframe" {
        let enable = p::FedCmEnable { disable_rejection_delay: true };
        cdp.call(&enable, Some(&attached.session_id), STEP_DEADLINE).await.map_err(text)?;
        let auto_attach = p::SetAutoAttach { auto_attach: true, wait_for_debugger_on_start: false, flatten: true };
        cdp.call(&auto_attach, Some(&attached.session_id), STEP_DEADLINE).await.map_err(text)?;
        ours.push(attached.session_id);
    }
    Ok(true)
}

/// Frames the RP page in the current page; with `gesture`, clicks in the
/// frame, since a gesture evaluated in the page does not reach a
/// cross-origin frame.
async fn add_frame(cdp: &Cdp, s: Option<&str>, framing: &prompts::Framing, gesture: bool) -> Result<(), String> {
    let added = cdp.call(&evaluate(prompts::add_frame(framing), false, true), s, STEP_DEADLINE).await.map_err(text)?;
    if let Some(thrown) = added.exception_details {
        return Err(format!("the harness could not frame the RP page: {}", thrown.message()));
    }
    if !gesture {
        return Ok(());
    }
    let at = |k: &str| added.result.value.as_ref().and_then(|v| v.get(k)).and_then(Value::as_f64);
    let (Some(x), Some(y)) = (at("x"), at("y")) else {
        return Err("the harness could not find the RP's frame to click in".into());
    };
    cdp.call(&p::BringToFront {}, s, STEP_DEADLINE).await.map_err(text)?;
    // The tab must have painted its frames before a click is hit-tested.
    tokio::time::sleep(GESTURE_SETTLE).await;
    for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
        let click = p::DispatchMouseEvent { kind, x, y, button: "left", click_count: 1 };
        cdp.call(&click, s, STEP_DEADLINE).await.map_err(text)?;
    }
    // A click's activation reaches an out-of-process frame's browser-side
    // state later than an evaluated gesture reaches the page's.
    tokio::time::sleep(GESTURE_SETTLE * 3).await;
    Ok(())
}

/// A call as the page saw it: its outcome, the dialogs and pop-ups shown,
/// the account choosers among them, and how long it took.
struct Called {
    page: PageOutcome,
    dialogs: Vec<String>,
    choosers: Vec<ChooserSeen>,
    took: Duration,
}

/// Makes the call in the RP page (after a gesture if `gesture`) and
/// answers its dialogs and pop-ups with `steps`, until it settles.
async fn call(
    cdp: &Cdp,
    events: &mut Events,
    page: Page<'_>,
    script: &str,
    gesture: bool,
    steps: &[UserStep],
) -> Result<Called, String> {
    let s = Some(page.session);
    if gesture {
        cdp.call(&evaluate("0".into(), true, false), s, STEP_DEADLINE).await.map_err(text)?;
        tokio::time::sleep(GESTURE_SETTLE).await;
    }
    // The page's session and those of its out-of-process frames.
    let mut ours = vec![page.session.to_string()];
    // Events so far (the browser's first tab, the pages' loads) are not the
    // call's, but a frame attached by now (the RP's, framed) is.
    while let Some(event) = events.next(Duration::ZERO).await.map_err(text)? {
        if event.session_id.as_deref().is_some_and(|id| ours.iter().any(|o| o == id)) {
            attach_frame(cdp, &event, &mut ours).await?;
        }
    }
    let started = Instant::now();
    let call_command = evaluate(script.to_string(), gesture, true);
    let call = cdp.call(&call_command, s, CALL_DEADLINE);
    tokio::pin!(call);
    let mut steps = prompts::Steps::new(steps);
    let mut dialogs = Vec::new();
    let mut choosers = Vec::new();
    let evaluated = loop {
        tokio::select! {
            r = &mut call => break r,
            event = events.next(CALL_DEADLINE) => {
                let Some(event) = event.map_err(text)? else { continue };
                // A new page during the call is a pop-up (login,
                // continuation; Chromium 156 gives it no opener).
                if let Some(created) = event.parse::<p::TargetCreatedEvent>(p::TARGET_CREATED) {
                    let info = created.map_err(text)?.target_info;
                    if info.kind == "page" && info.target_id != page.target {
                        let attach = p::AttachToTarget { target_id: info.target_id.clone(), flatten: true };
                        let popup = cdp.call(&attach, None, STEP_DEADLINE).await.map_err(text)?.session_id;
                        let url = prompts::answer_popup(cdp, s, (&info.target_id, &popup), &mut steps).await?;
                        dialogs.push(format!("Popup {url}"));
                    }
                    continue;
                }
                let Some(from) = event.session_id.as_deref().filter(|id| ours.iter().any(|o| o == id)) else {
                    continue;
                };
                if attach_frame(cdp, &event, &mut ours).await? {
                    continue;
                }
                let Some(shown) = event.parse::<p::DialogShown>(p::DIALOG_SHOWN) else { continue };
                let shown = shown.map_err(text)?;
                dialogs.push(shown.dialog_type.clone());
                choosers.extend(ChooserSeen::of(&shown));
                let replaced = prompts::answer_dialog(cdp, Some(from), &shown, &mut steps).await?;
                ChooserSeen::mark_replaced(&mut choosers, &shown.dialog_id, replaced);
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
    let outcome = serde_json::from_value(value.clone())
        .map_err(|e| format!("the page returned {value} ({e}), not an outcome"))?;
    Ok(Called { page: outcome, dialogs, choosers, took })
}

#[cfg(test)]
mod tests {
    use super::super::plan::plan;
    use super::*;

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
