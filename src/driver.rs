//! Drives the model through one scenario: the mock IdP answers every
//! request at once, the scripted person answers every prompt, timers fire
//! at once. Then `expect` is checked.

use crate::scenario::{
    parse_user_step, Action, Call, Expect, ExpectDialog, ExpectReject, MockIdp, Scenario, ScenarioError, Step, UserStep,
};
use fedcm_model::machine::browser::BrowserState;
use fedcm_model::machine::disconnect::DisconnectOutcome;
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult, RequestId};
use fedcm_model::machine::immediate::ImmediateCall;
use fedcm_model::machine::login_signal::SignalResult;
use fedcm_model::machine::outcome::{Outcome, Rejection};
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::session::{self, Call as SessionCall, CallId, CallStep, Session};
use fedcm_model::machine::user_info::UserInfoOutcome;
use fedcm_model::trace::Trace;
use fedcm_model::Profile;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};

/// Steps after which a run is declared stuck (a model bug, not a scenario's).
const MAX_STEPS: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub name: String,
    pub profile: Profile,
    /// `resolve` or `reject`: of the one call, or of a session's last call.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// The one call's trace, or a session's last call's.
    pub trace: Trace,
    /// Every request the browser sent, with credentials mode and headers
    /// (in a session: every call's, in the order the calls were made).
    pub requests: Vec<FetchRequest>,
    pub expect: ExpectResult,
    /// Invariants (check/src/invariants.rs) the run breaks: a model bug.
    pub violations: Vec<fedcm_check::invariants::Violation>,
    /// The browser state after the call (connections, login status).
    pub browser_after: BrowserState,
    /// A session's steps, in order; absent for a single-call scenario.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepReport>,
}

/// One step of a session: what it did, how its call settled, and the
/// browser state once the step ran.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The step's action: `get`, `disconnect`, `wait`, ...
    pub action: &'static str,
    /// For a call step: `resolve` or `reject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// For a call step: its expectation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<ExpectResult>,
    /// For a call step: what the call did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
    /// For a login-status step: applied, ignored or refused, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_signal: Option<SignalResult>,
    /// The browser state when the step had run (a call left pending may
    /// change it later).
    pub browser_after: BrowserState,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpectResult {
    /// Whether the scenario states an expectation.
    pub checked: bool,
    pub failures: Vec<String>,
}

/// The outcome kind (`resolve`/`reject`), the credential and the error.
type Settled = (&'static str, Option<Value>, Option<Value>);

impl RunReport {
    /// The report of a run: a single call's as it always was, a session's
    /// with its steps and its last call's outcome on top.
    fn from_session(
        scenario: &Scenario,
        profile: Profile,
        steps: &[Step],
        made: &[Option<CallId>],
        after: &[BrowserState],
        calls: Vec<CallReport>,
        browser: &BrowserState,
    ) -> RunReport {
        let session = scenario.is_session();
        let mut failures = Vec::new();
        let mut violations = Vec::new();
        let mut requests = Vec::new();
        let mut reports = Vec::new();
        let mut calls = calls.into_iter();
        for (i, (step, id)) in steps.iter().zip(made).enumerate() {
            let call = id.and_then(|_| calls.next());
            if let Some(c) = &call {
                let prefix = if session { format!("steps[{i}]: ") } else { String::new() };
                failures.extend(c.failures.iter().map(|f| format!("{prefix}{f}")));
                violations.extend(fedcm_check::invariants::check_all(&c.trace));
                requests.extend(c.trace.requests().cloned());
            }
            reports.push((step.name(), call, after.get(i).cloned().unwrap_or_default()));
        }
        let last = reports.iter().rev().find_map(|(_, c, _)| c.as_ref()).cloned();
        let ((outcome, credential, error), trace) = match last {
            Some(c) => (c.settled, c.trace),
            None => (("none", None, None), Trace::default()),
        };
        let checked = reports.iter().any(|(_, c, _)| c.as_ref().is_some_and(|c| c.checked));
        let steps = if session {
            reports
                .into_iter()
                .map(|(action, call, browser_after)| match call {
                    Some(c) => StepReport {
                        action,
                        outcome: Some(c.settled.0),
                        credential: c.settled.1,
                        error: c.settled.2,
                        expect: Some(ExpectResult { checked: c.checked, failures: c.failures }),
                        trace: Some(c.trace),
                        login_signal: None,
                        browser_after,
                    },
                    None => StepReport {
                        action,
                        outcome: None,
                        credential: None,
                        error: None,
                        expect: None,
                        trace: None,
                        login_signal: None,
                        browser_after,
                    },
                })
                .collect()
        } else {
            Vec::new()
        };
        RunReport {
            name: scenario.name.clone(),
            profile,
            outcome,
            credential,
            error,
            requests,
            trace,
            expect: ExpectResult { checked, failures },
            violations,
            browser_after: browser.clone(),
            steps,
        }
    }

    /// Every call's trace: the one call's, or each call step's.
    pub fn traces(&self) -> Box<dyn Iterator<Item = &Trace> + '_> {
        if self.steps.is_empty() {
            Box::new(std::iter::once(&self.trace))
        } else {
            Box::new(self.steps.iter().filter_map(|s| s.trace.as_ref()))
        }
    }

    /// Every call's error, as reported: the one call's, or each call step's.
    pub fn errors(&self) -> Box<dyn Iterator<Item = &Value> + '_> {
        if self.steps.is_empty() {
            Box::new(self.error.iter())
        } else {
            Box::new(self.steps.iter().filter_map(|s| s.error.as_ref()))
        }
    }

    pub fn passed(&self) -> bool {
        self.expect.failures.is_empty() && self.violations.is_empty()
    }
}

/// Runs a scenario under its own profile (or `profile` when given), the
/// scenario's `idp` map answering every request.
pub fn run(scenario: &Scenario, profile: Option<Profile>) -> Result<RunReport, ScenarioError> {
    let rp = scenario.rp()?;
    let mut idp = MockIdp::new(scenario, &rp);
    run_session(scenario, profile, &mut |r| idp.answer_with_delay(r))
}

/// Runs a scenario with `fetch` answering every request, in the order the
/// machine sends them (the mock IdP, or real HTTP).
pub fn run_with(
    scenario: &Scenario,
    profile: Option<Profile>,
    fetch: &mut dyn FnMut(&FetchRequest) -> FetchResult,
) -> Result<RunReport, ScenarioError> {
    // A response the scenario delays keeps its call pending in a session
    // whoever answers it, so the script is consulted for the delay.
    let rp = scenario.rp()?;
    let mut script = MockIdp::new(scenario, &rp);
    run_session(scenario, profile, &mut |r| (fetch(r), script.answer_with_delay(r).1))
}

/// A request answered, held back until the session waits for its call.
struct Held {
    call: CallId,
    id: RequestId,
    result: FetchResult,
}

/// The session being driven: the model's session, the scripted answers
/// per call, and the responses held back.
struct Driving<'a> {
    session: Session,
    fetch: &'a mut dyn FnMut(&FetchRequest) -> (FetchResult, u64),
    answers: BTreeMap<CallId, VecDeque<UserStep>>,
    held: Vec<Held>,
    /// Whether a delayed response stays outstanding (sessions only).
    hold_delayed: bool,
    steps: usize,
}

impl Driving<'_> {
    /// Runs call `id` until it settles (`blocking`), or until it waits for
    /// the person, a timer or a delayed response (the call stays pending).
    fn drive(&mut self, id: CallId, blocking: bool) -> Result<(), ScenarioError> {
        loop {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(ScenarioError::Unsettled { steps: MAX_STEPS });
            }
            match self.session.next_step(id) {
                CallStep::Fetch(request) => {
                    let (result, delay) = (self.fetch)(&request);
                    if delay > 0 && self.hold_delayed {
                        self.held.push(Held { call: id, id: request.id, result });
                    } else {
                        self.session.on_response(id, request.id, result);
                    }
                }
                CallStep::Ask(_) | CallStep::Wait(_) if !blocking => return Ok(()),
                CallStep::Ask(prompt) => self.answer(id, &prompt)?,
                CallStep::Wait(timer) => self.session.on_timer(id, timer.id),
                CallStep::Idle => {
                    let Some(i) = self.held.iter().position(|h| h.call == id) else {
                        return Err(ScenarioError::Stuck);
                    };
                    if !blocking {
                        return Ok(());
                    }
                    let h = self.held.remove(i);
                    self.session.on_response(id, h.id, h.result);
                }
                CallStep::Done => return Ok(()),
            }
        }
    }

    /// The scripted person answers call `id`'s prompt.
    fn answer(&mut self, id: CallId, prompt: &Prompt) -> Result<(), ScenarioError> {
        let action = match self.answers.get_mut(&id).and_then(VecDeque::pop_front) {
            Some(UserStep::Abort) => {
                self.session.abort(id);
                return Ok(());
            }
            Some(step) => step.action(matches!(prompt, Prompt::LoginPopup { .. })),
            None => {
                let (action, what) = match prompt {
                    Prompt::ErrorDialog { .. } => (UserAction::Dismiss, "dismisses the error dialog"),
                    _ => (UserAction::Cancel, "closes it"),
                };
                let note = format!("the scenario scripts no answer to the {}: the person {what}", prompt.name());
                self.session.annotate(id, note);
                action
            }
        };
        self.session.on_user(id, action).map_err(ScenarioError::UserAction)
    }
}

/// Runs the scenario's steps on one session; `fetch` answers a request
/// and says how long the scripted response is delayed.
fn run_session(
    scenario: &Scenario,
    profile: Option<Profile>,
    fetch: &mut dyn FnMut(&FetchRequest) -> (FetchResult, u64),
) -> Result<RunReport, ScenarioError> {
    scenario.validate()?;
    let profile = profile.unwrap_or_else(|| scenario.profile());
    let steps = scenario.steps()?;
    let browser = scenario.browser_state()?;
    let activation = browser.transient_activation;
    let mut d = Driving {
        session: Session::new(scenario.rp()?, browser, profile),
        fetch,
        answers: BTreeMap::new(),
        held: Vec::new(),
        hold_delayed: scenario.is_session(),
        steps: 0,
    };
    // The call each step made, and the browser state after each step.
    let mut made: Vec<Option<CallId>> = Vec::with_capacity(steps.len());
    // Login-status signals by step, and their expectations not met.
    let mut signals: Vec<(usize, SignalResult)> = Vec::new();
    let mut signal_failures: Vec<(usize, String)> = Vec::new();
    let mut after: Vec<BrowserState> = Vec::with_capacity(steps.len());
    for step in &steps {
        let mut call = None;
        match &step.action {
            Action::Call(Call::Get(options)) => {
                let id = d.session.get(options, step.activation.unwrap_or(activation));
                let answers = step.user.iter().filter_map(|v| parse_user_step(v).ok()).collect();
                d.answers.insert(id, answers);
                d.drive(id, step.awaited)?;
                call = Some(id);
            }
            Action::Call(Call::Disconnect(options)) => {
                let id = d.session.disconnect(options);
                d.drive(id, step.awaited)?;
                call = Some(id);
            }
            Action::Call(Call::GetUserInfo(args)) => {
                let (caller, framed, allowed) = crate::scenario::user_info_caller(args, "getUserInfo")?;
                let id = d.session.user_info(args, caller, framed, allowed);
                d.drive(id, step.awaited)?;
                call = Some(id);
            }
            Action::Call(Call::Store(_)) => call = Some(d.session.immediate(ImmediateCall::Store)),
            Action::Call(Call::Resolve(_)) => call = Some(d.session.immediate(ImmediateCall::Resolve)),
            Action::PreventSilentAccess => d.session.prevent_silent_access(),
            Action::LoginStatus { signal, result } => {
                let got = d.session.login_signal(signal);
                let name = match &got {
                    SignalResult::Applied { .. } => "applied",
                    SignalResult::Ignored { .. } => "ignored",
                    SignalResult::Refused { .. } => "refused",
                };
                if let Some(want) = result.as_ref().and_then(|r| r.for_profile(profile)) {
                    if want != name {
                        signal_failures.push((made.len(), format!("login status signal: expected {want}, got {name}")));
                    }
                }
                signals.push((made.len(), got));
            }
            Action::Wait(n) => {
                if let Some(id) = made.get(*n).copied().flatten() {
                    d.drive(id, true)?;
                }
            }
            Action::Abort(n) => {
                if let Some(id) = made.get(*n).copied().flatten() {
                    d.session.abort(id);
                }
            }
        }
        made.push(call);
        after.push(d.session.browser().clone());
    }
    // The page stays open until every call settles.
    for id in made.iter().flatten().copied() {
        d.drive(id, true)?;
    }
    for (id, left) in &d.answers {
        if !left.is_empty() {
            d.session.annotate(*id, format!("{} scripted user action(s) were not used", left.len()));
        }
    }
    let reports: Vec<CallReport> = steps
        .iter()
        .zip(&made)
        .filter_map(|(step, id)| {
            let call = d.session.call((*id)?)?;
            Some(CallReport::new(step.expect.as_ref().and_then(|e| e.for_profile(profile)), call))
        })
        .collect();
    let mut report = RunReport::from_session(scenario, profile, &steps, &made, &after, reports, d.session.browser());
    for (i, result) in signals {
        if let Some(step) = report.steps.get_mut(i) {
            step.login_signal = Some(result);
        }
    }
    for (i, f) in signal_failures {
        report.expect.failures.push(format!("steps[{i}]: {f}"));
    }
    report.expect.checked |= steps.iter().any(|s| matches!(&s.action, Action::LoginStatus { result: Some(_), .. }));
    report.violations.extend(fedcm_check::invariants::check_session(d.session.log()));
    Ok(report)
}

/// What one call of a session ended with, and how it met its expectation.
#[derive(Debug, Clone)]
struct CallReport {
    settled: Settled,
    trace: Trace,
    checked: bool,
    failures: Vec<String>,
}

impl CallReport {
    fn new(expect: Option<&Expect>, call: &SessionCall) -> CallReport {
        let trace = call.trace().clone();
        let (settled, failures) = match call.settled() {
            Some(session::Settled::Get(outcome)) => {
                let failures = check_get(expect, outcome, &trace);
                let settled = match outcome {
                    Outcome::Resolve { credential } => ("resolve", serde_json::to_value(credential).ok(), None),
                    Outcome::Reject { error } => ("reject", None, serde_json::to_value(error).ok()),
                };
                (settled, failures)
            }
            Some(session::Settled::UserInfo(outcome)) => {
                let failures = check_user_info(expect, outcome, &trace);
                let settled = match outcome {
                    UserInfoOutcome::Resolve { accounts } => ("resolve", serde_json::to_value(accounts).ok(), None),
                    UserInfoOutcome::Reject { error } => ("reject", None, serde_json::to_value(error).ok()),
                };
                (settled, failures)
            }
            Some(session::Settled::Disconnect(outcome)) => {
                let failures = check_disconnect(expect, outcome, &trace);
                let settled = match outcome {
                    DisconnectOutcome::Resolve => ("resolve", Some(json!(null)), None),
                    DisconnectOutcome::Reject { error } => ("reject", None, serde_json::to_value(error).ok()),
                };
                (settled, failures)
            }
            // Every call settles before the report is made.
            None => (("unsettled", None, None), vec!["the call never settled".into()]),
        };
        // store() and resolve() resolve with nothing to report.
        let settled = match (call, settled) {
            (SessionCall::Immediate(_), (kind, _, error)) => (kind, None, error),
            (_, s) => s,
        };
        CallReport { settled, trace, checked: expect.is_some(), failures }
    }
}

fn check_states(want: &[String], trace: &Trace, failures: &mut Vec<String>) {
    let entered: Vec<String> = trace.states().map(|s| s.name()).collect();
    for s in want {
        if !entered.contains(s) {
            failures.push(format!("state {s:?} was never entered (entered: {})", entered.join(", ")));
        }
    }
}

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, want: &Option<T>, got: &T, failures: &mut Vec<String>) {
    if let Some(w) = want {
        if w != got {
            failures.push(format!("{what}: expected {w:?}, got {got:?}"));
        }
    }
}

fn check_get(expect: Option<&Expect>, outcome: &Outcome, trace: &Trace) -> Vec<String> {
    let mut f = Vec::new();
    match (expect, outcome) {
        (None, _) => {}
        (Some(Expect::Resolve(want)), Outcome::Resolve { credential }) => {
            eq("token", &want.token, credential.token(), &mut f);
            eq("isAutoSelected", &want.is_auto_selected, &credential.is_auto_selected(), &mut f);
            eq("configURL", &want.config_url, &credential.config_url().to_string(), &mut f);
            check_states(&want.states, trace, &mut f);
            check_assertion_body(&want.assertion_body, trace, &mut f);
            check_dialog(&want.dialog, trace, &mut f);
        }
        (Some(Expect::Reject(want)), Outcome::Reject { error }) => check_rejection(want, error, trace, &mut f),
        (Some(Expect::Resolve(_)), Outcome::Reject { error }) => unexpected_rejection(error, &mut f),
        (Some(Expect::Reject(_)), Outcome::Resolve { credential }) => {
            f.push(format!("expected reject, got resolve with token {}", credential.token()))
        }
    }
    f
}

/// What every call's rejection is checked for, whichever call it was.
fn check_rejection(want: &ExpectReject, error: &Rejection, trace: &Trace, f: &mut Vec<String>) {
    eq("name", &want.name, &error.name.as_str().to_string(), f);
    eq("code", &want.code.clone().map(Some), &error.code, f);
    eq("url", &want.url.clone().map(Some), &error.url, f);
    eq("reason", &want.reason, &error.reason.id(), f);
    eq("delayed", &want.delayed, &error.delayed, f);
    check_states(&want.states, trace, f);
    check_assertion_body(&want.assertion_body, trace, f);
    check_dialog(&want.dialog, trace, f);
}

/// An account chooser's dialog (the first unless the scenario says which),
/// member by member as the scenario states it.
fn check_dialog(want: &Option<Box<ExpectDialog>>, trace: &Trace, f: &mut Vec<String>) {
    let Some(want) = want else { return };
    let mut choosers = trace.prompts().filter_map(|p| match p {
        Prompt::AccountChooser { accounts, dialog, .. } => Some((accounts, dialog)),
        _ => None,
    });
    let Some((accounts, dialog)) = choosers.nth(want.chooser) else {
        return f.push(format!("dialog: no account chooser number {} was shown", want.chooser));
    };
    let got = serde_json::to_value(dialog).unwrap_or_default();
    let member = |name: &str| got.get(name).cloned().unwrap_or(Value::Null);
    let strings = [("context", &want.context), ("rp", &want.rp), ("form", &want.form)];
    for (name, w) in strings {
        if let Some(w) = w {
            if member(name) != Value::String(w.clone()) {
                f.push(format!("dialog.{name}: expected {w:?}, got {}", member(name)));
            }
        }
    }
    let values = [
        ("top", &want.top),
        ("idp", &want.idp),
        ("title", &want.title),
        ("subtitle", &want.subtitle),
        ("brands", &want.brands),
    ];
    for (name, w) in values {
        let got = if name == "brands" && member(name).is_null() { Value::Array(Vec::new()) } else { member(name) };
        if let Some(w) = w.as_ref().filter(|w| **w != got) {
            f.push(format!("dialog.{name}: expected {w}, got {got}"));
        }
    }
    if let Some(order) = &want.order {
        let got: Vec<&str> = accounts.iter().map(|a| a.account_id.as_str()).collect();
        if *order != got {
            f.push(format!("dialog order: expected {order:?}, got {got:?}"));
        }
    }
}

fn unexpected_rejection(error: &Rejection, f: &mut Vec<String>) {
    f.push(format!("expected resolve, got {} ({}): {}", error.name.as_str(), error.reason.id(), error.message))
}

/// The assertion request's body, when the scenario states it.
fn check_assertion_body(want: &Option<String>, trace: &Trace, f: &mut Vec<String>) {
    let Some(want) = want else { return };
    let sent = trace.requests().find(|r| r.kind == FetchKind::Assertion);
    match sent.and_then(|r| r.body.as_deref()) {
        Some(body) if body == want => {}
        Some(body) => f.push(format!("assertion_body: expected {want:?}, got {body:?}")),
        None => f.push(format!("assertion_body: expected {want:?}, but no assertion request was sent")),
    }
}

fn check_user_info(expect: Option<&Expect>, outcome: &UserInfoOutcome, trace: &Trace) -> Vec<String> {
    let mut f = Vec::new();
    match (expect, outcome) {
        (None, _) => {}
        (Some(Expect::Resolve(want)), UserInfoOutcome::Resolve { accounts }) => {
            let got = serde_json::to_value(accounts).unwrap_or_default();
            eq("accounts", &want.accounts, &got, &mut f);
            check_states(&want.states, trace, &mut f);
        }
        (Some(Expect::Reject(want)), UserInfoOutcome::Reject { error }) => check_rejection(want, error, trace, &mut f),
        (Some(Expect::Resolve(_)), UserInfoOutcome::Reject { error }) => unexpected_rejection(error, &mut f),
        (Some(Expect::Reject(_)), UserInfoOutcome::Resolve { .. }) => f.push("expected reject, got resolve".into()),
    }
    f
}

fn check_disconnect(expect: Option<&Expect>, outcome: &DisconnectOutcome, trace: &Trace) -> Vec<String> {
    let mut f = Vec::new();
    match (expect, outcome) {
        (None, _) => {}
        (Some(Expect::Resolve(want)), DisconnectOutcome::Resolve) => check_states(&want.states, trace, &mut f),
        (Some(Expect::Reject(want)), DisconnectOutcome::Reject { error }) => {
            check_rejection(want, error, trace, &mut f)
        }
        (Some(Expect::Resolve(_)), DisconnectOutcome::Reject { error }) => unexpected_rejection(error, &mut f),
        (Some(Expect::Reject(_)), DisconnectOutcome::Resolve) => f.push("expected reject, got resolve".into()),
    }
    f
}
