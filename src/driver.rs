//! Drives the model through one scenario: the mock IdP answers every
//! request at once, the scripted person answers every prompt, timers fire
//! at once. Then `expect` is checked.

use crate::scenario::{parse_user_step, Call, Expect, MockIdp, Scenario, ScenarioError, UserStep};
use fedcm_model::machine::browser::BrowserState;
use fedcm_model::machine::disconnect::{DisconnectFlow, DisconnectOutcome, DisconnectStep};
use fedcm_model::machine::fetch::{FetchKind, FetchRequest, FetchResult};
use fedcm_model::machine::immediate::{ImmediateCall, ImmediateFlow};
use fedcm_model::machine::outcome::Outcome;
use fedcm_model::machine::prompt::{Prompt, UserAction};
use fedcm_model::machine::{Flow, Step};
use fedcm_model::trace::Trace;
use fedcm_model::Profile;
use serde::Serialize;
use serde_json::{json, Value};

/// Steps after which a run is declared stuck (a model bug, not a scenario's).
const MAX_STEPS: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub name: String,
    pub profile: Profile,
    /// `resolve` or `reject`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    pub trace: Trace,
    /// Every request the browser sent, with credentials mode and headers.
    pub requests: Vec<FetchRequest>,
    pub expect: ExpectResult,
    /// Invariants (check/src/invariants.rs) the run breaks: a model bug.
    pub violations: Vec<fedcm_check::invariants::Violation>,
    /// The browser state after the call (connections, login status).
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
    fn new(
        scenario: &Scenario,
        profile: Profile,
        (outcome, credential, error): Settled,
        trace: &Trace,
        browser: &BrowserState,
        failures: Vec<String>,
    ) -> RunReport {
        RunReport {
            name: scenario.name.clone(),
            profile,
            outcome,
            credential,
            error,
            requests: trace.requests().cloned().collect(),
            trace: trace.clone(),
            expect: ExpectResult { checked: scenario.expect(profile).is_some(), failures },
            violations: fedcm_check::invariants::check_all(trace),
            browser_after: browser.clone(),
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
    run_with(scenario, profile, &mut |r| idp.answer(r))
}

/// Runs a scenario with `fetch` answering every request, in the order the
/// machine sends them (the mock IdP, or real HTTP).
pub fn run_with(
    scenario: &Scenario,
    profile: Option<Profile>,
    fetch: &mut dyn FnMut(&FetchRequest) -> FetchResult,
) -> Result<RunReport, ScenarioError> {
    scenario.validate()?;
    let profile = profile.unwrap_or_else(|| scenario.profile());
    let rp = scenario.rp()?;
    let browser = scenario.browser_state()?;
    let mut answers = scenario
        .user
        .iter()
        .map(|v| parse_user_step(v).map_err(|e| ScenarioError::Field { at: "user".into(), message: e }));
    match &scenario.call {
        Call::Get(options) => {
            let mut flow = Flow::from_json(rp, browser, options, profile);
            let mut steps = 0;
            let outcome = loop {
                steps += 1;
                if steps > MAX_STEPS {
                    return Err(ScenarioError::Unsettled { steps: MAX_STEPS });
                }
                match flow.next_step() {
                    Step::Fetch(request) => {
                        let result = fetch(&request);
                        flow.on_response(request.id, result);
                    }
                    Step::Ask(prompt) => {
                        let action = match answers.next().transpose()? {
                            Some(UserStep::Abort) => {
                                flow.abort();
                                continue;
                            }
                            Some(step) => step.action(matches!(prompt, Prompt::LoginPopup { .. })),
                            None => {
                                let (action, what) = match prompt {
                                    Prompt::ErrorDialog { .. } => (UserAction::Dismiss, "dismisses the error dialog"),
                                    _ => (UserAction::Cancel, "closes it"),
                                };
                                flow.annotate(format!(
                                    "the scenario scripts no answer to the {}: the person {what}",
                                    prompt.name()
                                ));
                                action
                            }
                        };
                        flow.on_user(action).map_err(ScenarioError::UserAction)?;
                    }
                    Step::Wait(timer) => flow.on_timer(timer.id),
                    Step::Idle => return Err(ScenarioError::Stuck),
                    Step::Done(outcome) => break outcome,
                }
            };
            let leftover = answers.count();
            if leftover > 0 {
                flow.annotate(format!("{leftover} scripted user action(s) were not used"));
            }
            let failures = check_get(scenario.expect(profile), &outcome, flow.trace());
            let (kind, credential, error) = match &outcome {
                Outcome::Resolve { credential } => ("resolve", serde_json::to_value(credential).ok(), None),
                Outcome::Reject { error } => ("reject", None, serde_json::to_value(error).ok()),
            };
            Ok(RunReport::new(scenario, profile, (kind, credential, error), flow.trace(), flow.browser(), failures))
        }
        Call::Disconnect(options) => {
            let mut flow = DisconnectFlow::from_json(rp, browser, options, profile);
            let mut steps = 0;
            let outcome = loop {
                steps += 1;
                if steps > MAX_STEPS {
                    return Err(ScenarioError::Unsettled { steps: MAX_STEPS });
                }
                match flow.next_step() {
                    DisconnectStep::Fetch(request) => {
                        let result = fetch(&request);
                        flow.on_response(request.id, result);
                    }
                    DisconnectStep::Idle => return Err(ScenarioError::Stuck),
                    DisconnectStep::Done(o) => break o,
                }
            };
            let failures = check_disconnect(scenario.expect(profile), &outcome, flow.trace());
            let (kind, error) = match &outcome {
                DisconnectOutcome::Resolve => ("resolve", None),
                DisconnectOutcome::Reject { error } => ("reject", serde_json::to_value(error).ok()),
            };
            let credential = (kind == "resolve").then_some(json!(null));
            Ok(RunReport::new(scenario, profile, (kind, credential, error), flow.trace(), flow.browser(), failures))
        }
        Call::Store(_) | Call::Resolve(_) => {
            let call =
                if matches!(scenario.call, Call::Store(_)) { ImmediateCall::Store } else { ImmediateCall::Resolve };
            let flow = ImmediateFlow::new(&rp, browser, call, profile);
            let failures = check_get(scenario.expect(profile), flow.outcome(), flow.trace());
            let (kind, error) = match flow.outcome() {
                Outcome::Resolve { .. } => ("resolve", None),
                Outcome::Reject { error } => ("reject", serde_json::to_value(error).ok()),
            };
            Ok(RunReport::new(scenario, profile, (kind, None, error), flow.trace(), flow.browser(), failures))
        }
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
        }
        (Some(Expect::Reject(want)), Outcome::Reject { error }) => {
            eq("name", &want.name, &error.name.as_str().to_string(), &mut f);
            eq("code", &want.code.clone().map(Some), &error.code, &mut f);
            eq("url", &want.url.clone().map(Some), &error.url, &mut f);
            eq("reason", &want.reason, &error.reason.id(), &mut f);
            eq("delayed", &want.delayed, &error.delayed, &mut f);
            check_states(&want.states, trace, &mut f);
            check_assertion_body(&want.assertion_body, trace, &mut f);
        }
        (Some(Expect::Resolve(_)), Outcome::Reject { error }) => {
            f.push(format!("expected resolve, got {} ({}): {}", error.name.as_str(), error.reason.id(), error.message))
        }
        (Some(Expect::Reject(_)), Outcome::Resolve { credential }) => {
            f.push(format!("expected reject, got resolve with token {}", credential.token()))
        }
    }
    f
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

fn check_disconnect(expect: Option<&Expect>, outcome: &DisconnectOutcome, trace: &Trace) -> Vec<String> {
    let mut f = Vec::new();
    match (expect, outcome) {
        (None, _) => {}
        (Some(Expect::Resolve(want)), DisconnectOutcome::Resolve) => check_states(&want.states, trace, &mut f),
        (Some(Expect::Reject(want)), DisconnectOutcome::Reject { error }) => {
            eq("name", &want.name, &error.name.as_str().to_string(), &mut f);
            eq("reason", &want.reason, &error.reason.id(), &mut f);
            check_states(&want.states, trace, &mut f);
        }
        (Some(Expect::Resolve(_)), DisconnectOutcome::Reject { error }) => {
            f.push(format!("expected resolve, got {} ({})", error.name.as_str(), error.reason.id()))
        }
        (Some(Expect::Reject(_)), DisconnectOutcome::Resolve) => f.push("expected reject, got resolve".into()),
    }
    f
}
