//! A session (`steps`) in the RP page of one browser: its calls made in
//! order, each kept in the page as a promise, a call that is not awaited
//! left pending once it is visibly so (its first dialog shows), and
//! answered later, when a `wait` step (or the end) waits for it; the other
//! steps (`preventSilentAccess()`, the IdP's login-status signal, an
//! abort) done as the page or the IdP does them.
//!
//! Chromium makes one FedCM request per page at a time, so a dialog
//! belongs to the latest `get()` that has not settled: a dialog of a call
//! the harness is waiting for is answered with that call's `user` steps;
//! one of another call is kept, unanswered, until that call is waited for.

use super::cdp::{Cdp, Event, Events};
use super::harness::{
    attach_frame, evaluate, navigate, text, ChooserSeen, Driven, Page, PageOutcome, CALL_DEADLINE, GESTURE_SETTLE,
};
use super::plan::{PageCall, Plan, PlanStep, PlannedCall};
use super::prompts::{self, STEP_DEADLINE};
use super::protocol as p;
use crate::serve::pages;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The page's globals: the calls' promises and which have settled.
const CALLS: &str = "__fedcmCalls";
const DONE: &str = "__fedcmDone";

/// How long a `get()` that is not awaited may take to show its first
/// dialog before the session goes on without it.
pub const VISIBLE_BOUND: Duration = Duration::from_secs(5);

/// How long a step without activation waits for an earlier gesture's
/// transient activation to expire (Chromium: 5 s).
const ACTIVATION_EXPIRY: Duration = Duration::from_secs(7);

/// One step of a session as the browser ran it.
#[derive(Debug, Clone, Serialize)]
pub struct StepRun {
    /// The step's action: `get`, `disconnect`, `wait`, ...
    pub action: &'static str,
    /// For a call step: what the page saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageOutcome>,
    /// For a call step: the dialogs and pop-ups its call showed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dialogs: Vec<String>,
    /// For a call step: the account choosers among its dialogs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choosers: Vec<ChooserSeen>,
    /// For a login-status step: what the signalling page saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalSeen>,
}

/// What the page that sent a login-status signal saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "signal", rename_all = "lowercase")]
pub enum SignalSeen {
    /// `setStatus()` resolved.
    Resolved,
    /// `setStatus()` (or the fetch of a `Set-Login` response) rejected.
    Rejected {
        name: String,
        #[serde(default)]
        message: String,
    },
    /// The `Set-Login` response arrived (a page cannot see the header or
    /// what the browser made of it).
    Sent,
}

impl std::fmt::Display for SignalSeen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignalSeen::Resolved => f.write_str("resolves"),
            SignalSeen::Rejected { name, message } => write!(f, "rejects with {name} ({message:?})"),
            SignalSeen::Sent => f.write_str("was sent"),
        }
    }
}

/// A call the page made.
struct CallState<'p> {
    planned: &'p PlannedCall,
    steps: prompts::Steps<'p>,
    outcome: Option<PageOutcome>,
    dialogs: Vec<String>,
    choosers: Vec<ChooserSeen>,
}

/// A dialog shown and not answered yet: whose, and on which session.
struct Shown {
    owner: usize,
    from: String,
    shown: p::DialogShown,
}

struct Session<'a, 'p> {
    cdp: &'a Cdp,
    events: &'a mut Events,
    page: Page<'a>,
    /// The page's session and those of its out-of-process frames.
    ours: Vec<String>,
    /// The calls made, by step.
    calls: BTreeMap<usize, CallState<'p>>,
    shown: Option<Shown>,
    dialogs: Vec<String>,
    /// Tabs the harness opened itself (an IdP's page): no pop-ups.
    own_targets: Vec<String>,
    /// What the pages of the login-status steps saw, by step.
    signals: BTreeMap<usize, SignalSeen>,
}

/// The global that keeps the `AbortController` of the call made at `step`.
fn controller(step: usize) -> String {
    format!("__fedcmAbort{step}")
}

/// Runs the session's steps in the RP page, already loaded.
pub(super) async fn drive(cdp: &Cdp, events: &mut Events, page: Page<'_>, plan: &Plan) -> Result<Driven, String> {
    let mut session = Session {
        cdp,
        events,
        page,
        ours: vec![page.session.to_string()],
        calls: BTreeMap::new(),
        shown: None,
        dialogs: Vec::new(),
        own_targets: Vec::new(),
        signals: BTreeMap::new(),
    };
    // Events so far (the browser's first tab, the pages' loads) are not the
    // session's, but a frame attached by now is.
    while let Some(event) = session.events.next(Duration::ZERO).await.map_err(text)? {
        if event.session_id.as_deref() == Some(page.session) {
            attach_frame(cdp, &event, &mut session.ours).await?;
        }
    }
    let started = Instant::now();
    for (i, step) in plan.steps.iter().enumerate() {
        let at = |e: String| format!("steps[{i}] ({}): {e}", step.name());
        match step {
            PlanStep::Call(planned) => session.start(i, planned).await.map_err(at)?,
            PlanStep::PreventSilentAccess => session.prevent_silent_access().await.map_err(at)?,
            PlanStep::LoginStatus { page, script, .. } => {
                let seen = session.login_signal(page).await.map_err(at)?;
                if let (false, SignalSeen::Rejected { name, message }) = (script, &seen) {
                    return Err(at(format!("the fetch of the Set-Login response failed: {name} ({message})")));
                }
                session.signals.insert(i, seen);
            }
            PlanStep::Wait(n) => {
                if session.calls.contains_key(n) {
                    session.settle(*n).await.map_err(at)?;
                }
            }
            PlanStep::Abort(n) => session.abort(*n).await.map_err(at)?,
        }
    }
    // The page stays open until every call settles.
    let made: Vec<usize> = session.calls.keys().copied().collect();
    for i in made {
        session.settle(i).await.map_err(|e| format!("waiting for steps[{i}] at the end: {e}"))?;
    }
    let took = started.elapsed();
    let mut steps = Vec::new();
    let mut last = None;
    for (i, step) in plan.steps.iter().enumerate() {
        let call = session.calls.remove(&i);
        let page = call.as_ref().and_then(|c| c.outcome.clone());
        if page.is_some() {
            last = page.clone();
        }
        let (dialogs, choosers) = call.map(|c| (c.dialogs, c.choosers)).unwrap_or_default();
        steps.push(StepRun { action: step.name(), page, dialogs, choosers, signal: session.signals.remove(&i) });
    }
    let page = last.ok_or("the session made no call")?;
    Ok(Driven { page, dialogs: session.dialogs, choosers: Vec::new(), took, steps })
}

/// The outcome a page script returned.
fn outcome(evaluated: p::Evaluated) -> Result<Option<PageOutcome>, String> {
    if let Some(thrown) = evaluated.exception_details {
        return Err(format!("the harness's page script failed: {}", thrown.message()));
    }
    match evaluated.result.value.unwrap_or(Value::Null) {
        Value::Null => Ok(None),
        value => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| format!("the page returned {value} ({e}), not an outcome")),
    }
}

impl<'a, 'p> Session<'a, 'p> {
    fn s(&self) -> Option<&'a str> {
        Some(self.page.session)
    }

    /// Evaluates `expression` in the RP page, awaiting a promise.
    async fn eval(&self, expression: String) -> Result<p::Evaluated, String> {
        self.cdp.call(&evaluate(expression, false, true), self.s(), STEP_DEADLINE).await.map_err(text)
    }

    /// Makes the call of step `i`; awaited, waits until it settles, else
    /// until it is visibly pending.
    async fn start(&mut self, i: usize, planned: &'p PlannedCall) -> Result<(), String> {
        if planned.gesture {
            self.cdp.call(&evaluate("0".into(), true, false), self.s(), STEP_DEADLINE).await.map_err(text)?;
            tokio::time::sleep(GESTURE_SETTLE).await;
        } else {
            self.lose_activation().await?;
        }
        let abort = controller(i);
        let script = prompts::call_script_with(&planned.call, planned.abort.then_some(abort.as_str()));
        // The call is made while the evaluation runs (with its gesture):
        // an async function runs to its first await at once.
        let start = format!(
            "(() => {{ window.{CALLS} = window.{CALLS} || {{}}; window.{DONE} = window.{DONE} || {{}};\n\
             const call = {script};\n\
             window.{CALLS}[{i}] = call; call.then(() => {{ window.{DONE}[{i}] = true; }}); return true; }})()"
        );
        let started = self.cdp.call(&evaluate(start, planned.gesture, false), self.s(), STEP_DEADLINE).await;
        if let Some(thrown) = started.map_err(text)?.exception_details {
            return Err(format!("the harness's page script failed: {}", thrown.message()));
        }
        let steps = prompts::Steps::with_controller(&planned.user, &abort);
        self.calls.insert(i, CallState { planned, steps, outcome: None, dialogs: Vec::new(), choosers: Vec::new() });
        if planned.awaited {
            self.settle(i).await
        } else if matches!(planned.call, PageCall::Get(_)) {
            self.until_visible(i).await
        } else {
            // disconnect() is pending once made: the browser takes the
            // page's calls in order.
            Ok(())
        }
    }

    /// Waits (at most [`ACTIVATION_EXPIRY`]) until the page has no
    /// transient activation left from an earlier step's gesture.
    async fn lose_activation(&self) -> Result<(), String> {
        let until = Instant::now() + ACTIVATION_EXPIRY;
        loop {
            let r = self.eval("navigator.userActivation ? navigator.userActivation.isActive : false".into()).await?;
            if r.result.value != Some(Value::Bool(true)) {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(format!("the page still had transient activation after {} s", ACTIVATION_EXPIRY.as_secs()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The latest `get()` not known to have settled: the one a dialog
    /// shown now belongs to.
    fn owner(&self) -> Option<usize> {
        self.calls
            .iter()
            .rev()
            .find(|(_, c)| c.outcome.is_none() && matches!(c.planned.call, PageCall::Get(_)))
            .map(|(i, _)| *i)
    }

    /// Whether the call of step `i` has settled in the page.
    async fn done(&self, i: usize) -> Result<bool, String> {
        let r = self.eval(format!("!!(window.{DONE} && window.{DONE}[{i}])")).await?;
        Ok(r.result.value == Some(Value::Bool(true)))
    }

    /// Waits until the call of step `i` settles, answering its dialogs and
    /// pop-ups (one shown earlier first) with its `user` steps.
    async fn settle(&mut self, i: usize) -> Result<(), String> {
        if self.calls.get(&i).is_none_or(|c| c.outcome.is_some()) {
            return Ok(());
        }
        if let Some(kept) = self.shown.take_if(|k| k.owner == i) {
            // A call may have ended on its own (replaced, aborted) since.
            if !self.done(i).await? {
                let call = self.calls.get_mut(&i).ok_or("no such call")?;
                let replaced = prompts::answer_dialog(self.cdp, Some(&kept.from), &kept.shown, &mut call.steps).await?;
                ChooserSeen::mark_replaced(&mut call.choosers, &kept.shown.dialog_id, replaced);
            }
        }
        let cdp = self.cdp;
        let wait = evaluate(format!("window.{CALLS}[{i}]"), false, true);
        let settled = cdp.call(&wait, self.s(), CALL_DEADLINE);
        tokio::pin!(settled);
        let evaluated = loop {
            tokio::select! {
                r = &mut settled => break r,
                event = self.events.next(CALL_DEADLINE) => {
                    let Some(event) = event.map_err(text)? else { continue };
                    self.on_event(&event, i, true).await?;
                }
            }
        };
        let evaluated = evaluated.map_err(|e| {
            let call = &self.calls[&i];
            let dialogs = if call.dialogs.is_empty() { "none".into() } else { call.dialogs.join(", ") };
            format!("the call did not settle ({e}; dialogs shown: {dialogs})")
        })?;
        let settled = outcome(evaluated)?.ok_or("the call's promise settled with nothing")?;
        if let Some(call) = self.calls.get_mut(&i) {
            call.outcome = Some(settled);
        }
        if self.shown.as_ref().is_some_and(|k| k.owner == i) {
            self.shown = None;
        }
        Ok(())
    }

    /// Waits until the `get()` of step `i` shows its first dialog or
    /// settles, at most [`VISIBLE_BOUND`].
    async fn until_visible(&mut self, i: usize) -> Result<(), String> {
        let cdp = self.cdp;
        let ms = VISIBLE_BOUND.as_millis();
        let race = format!("Promise.race([window.{CALLS}[{i}], new Promise((r) => setTimeout(() => r(null), {ms}))])");
        let race = evaluate(race, false, true);
        let raced = cdp.call(&race, self.s(), VISIBLE_BOUND + STEP_DEADLINE);
        tokio::pin!(raced);
        loop {
            tokio::select! {
                r = &mut raced => {
                    if let Some(settled) = outcome(r.map_err(text)?)? {
                        if let Some(call) = self.calls.get_mut(&i) {
                            call.outcome = Some(settled);
                        }
                    }
                    return Ok(());
                }
                event = self.events.next(VISIBLE_BOUND + STEP_DEADLINE) => {
                    let Some(event) = event.map_err(text)? else { continue };
                    if self.on_event(&event, i, false).await? == Some(i) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Handles one event while the harness waits for the call of step
    /// `driving`: a pop-up is answered with that call's steps; a dialog is
    /// answered when `answer` and it is that call's, else kept. The owner
    /// of a dialog shown, if the event was one.
    async fn on_event(&mut self, event: &Event, driving: usize, answer: bool) -> Result<Option<usize>, String> {
        let cdp = self.cdp;
        if let Some(created) = event.parse::<p::TargetCreatedEvent>(p::TARGET_CREATED) {
            let info = created.map_err(text)?.target_info;
            let ours = info.target_id == self.page.target || self.own_targets.contains(&info.target_id);
            if info.kind == "page" && !ours {
                let attach = p::AttachToTarget { target_id: info.target_id.clone(), flatten: true };
                let popup = cdp.call(&attach, None, STEP_DEADLINE).await.map_err(text)?.session_id;
                let call = self.calls.get_mut(&driving).ok_or("a pop-up with no call")?;
                let url =
                    prompts::answer_popup(cdp, Some(self.page.session), (&info.target_id, &popup), &mut call.steps)
                        .await?;
                call.dialogs.push(format!("Popup {url}"));
                self.dialogs.push(format!("Popup {url}"));
            }
            return Ok(None);
        }
        let Some(from) = event.session_id.clone().filter(|id| self.ours.contains(id)) else { return Ok(None) };
        if attach_frame(cdp, event, &mut self.ours).await? {
            return Ok(None);
        }
        if let Some(closed) = event.parse::<p::DialogClosed>(p::DIALOG_CLOSED) {
            let closed = closed.map_err(text)?;
            if self.shown.as_ref().is_some_and(|k| k.shown.dialog_id == closed.dialog_id) {
                self.shown = None;
            }
            return Ok(None);
        }
        let Some(shown) = event.parse::<p::DialogShown>(p::DIALOG_SHOWN) else { return Ok(None) };
        let shown = shown.map_err(text)?;
        let owner = self.owner().unwrap_or(driving);
        self.dialogs.push(shown.dialog_type.clone());
        let call = self.calls.get_mut(&owner).ok_or("a dialog with no call")?;
        call.dialogs.push(shown.dialog_type.clone());
        // A dialog of this call kept unanswered is gone: the browser shows
        // this one instead, and the person never answered that one.
        if let Some(kept) = self.shown.as_ref().filter(|k| k.owner == owner) {
            ChooserSeen::mark_replaced(&mut call.choosers, &kept.shown.dialog_id, true);
        }
        call.choosers.extend(ChooserSeen::of(&shown));
        if answer && owner == driving {
            self.shown = None;
            let replaced = prompts::answer_dialog(cdp, Some(&from), &shown, &mut call.steps).await?;
            ChooserSeen::mark_replaced(&mut call.choosers, &shown.dialog_id, replaced);
        } else {
            self.shown = Some(Shown { owner, from, shown });
        }
        Ok(Some(owner))
    }

    async fn prevent_silent_access(&self) -> Result<(), String> {
        let done = self.eval("navigator.credentials.preventSilentAccess().then(() => true)".into()).await?;
        if done.exception_details.is_some() || done.result.value != Some(Value::Bool(true)) {
            return Err("preventSilentAccess() failed in the RP page".into());
        }
        Ok(())
    }

    /// A login-status signal: the harness opens `page` (the outermost page
    /// of the chain of frames around the signal, [`super::plan::signal_page`])
    /// in a tab of its own, waits for the result the chain passes up,
    /// closes the tab and brings the RP's tab back to the front.
    async fn login_signal(&mut self, page: &url::Url) -> Result<SignalSeen, String> {
        let cdp = self.cdp;
        let create = p::CreateTarget { url: "about:blank".into() };
        let target = cdp.call(&create, None, STEP_DEADLINE).await.map_err(text)?.target_id;
        self.own_targets.push(target.clone());
        let attach = p::AttachToTarget { target_id: target.clone(), flatten: true };
        let tab = cdp.call(&attach, None, STEP_DEADLINE).await.map_err(text)?.session_id;
        let signal = async {
            navigate(cdp, Some(&tab), page.as_str()).await?;
            let ms = STEP_DEADLINE.as_millis() / 2;
            let late = format!("{{signal: 'rejected', name: 'HarnessTimeout', message: 'no result within {ms} ms'}}");
            let script = format!(
                "Promise.race([window.{r}, new Promise((r) => setTimeout(() => r({late}), {ms}))])",
                r = pages::SIGNAL_RESULT
            );
            let r = cdp.call(&evaluate(script, false, true), Some(&tab), STEP_DEADLINE).await.map_err(text)?;
            if let Some(thrown) = r.exception_details {
                return Err(format!("the harness's signal page {page} failed: {}", thrown.message()));
            }
            let value = r.result.value.unwrap_or(Value::Null);
            let seen: SignalSeen = serde_json::from_value(value.clone())
                .map_err(|e| format!("the signal page {page} returned {value} ({e})"))?;
            match &seen {
                SignalSeen::Rejected { name, message } if name.starts_with("Harness") => {
                    Err(format!("the harness's signal page {page} did not answer: {message}"))
                }
                _ => Ok(seen),
            }
        }
        .await;
        cdp.call(&p::CloseTarget { target_id: target }, None, STEP_DEADLINE).await.map_err(text)?;
        cdp.call(&p::BringToFront {}, self.s(), STEP_DEADLINE).await.map_err(text)?;
        signal
    }

    /// Fires the `AbortController` of the `get()` made at step `n`.
    async fn abort(&self, n: usize) -> Result<(), String> {
        if !self.calls.contains_key(&n) {
            return Ok(());
        }
        prompts::abort(self.cdp, self.s(), &controller(n)).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::{run, Outcome};
    use super::super::plan::plan;
    use super::*;
    use crate::scenario::Scenario;

    /// End to end in a real Chromium: `cargo test --lib -- --ignored browser`.
    /// Says so and passes when no Chromium is installed.
    #[test]
    #[ignore = "starts a real Chromium"]
    fn a_session_with_a_pending_get_in_real_chromium() {
        let Ok(binary) = super::super::chromium::find(None) else {
            assert!(std::env::var_os("FEDCM_REQUIRE_CHROMIUM").is_none(), "no Chromium found");
            eprintln!("SKIPPED: no Chromium found (install Debian's chromium package)");
            return;
        };
        let text = include_str!("../../tests/scenarios/206-session-second-get-while-pending.json");
        let scenario = Scenario::parse(text).unwrap();
        let plan = plan(&scenario).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let Outcome::Ran(run) = rt.block_on(run(&scenario, &plan, &binary)) else { panic!("could not run") };
        let actions: Vec<&str> = run.steps.iter().map(|s| s.action).collect();
        assert_eq!(actions, ["get", "get", "wait"]);
        // The first get() waited at its chooser while the second was refused,
        // then was answered when the wait step came.
        assert!(matches!(&run.steps[0].page, Some(PageOutcome::Resolve { .. })), "{:?}", run.steps[0]);
        assert_eq!(run.steps[0].dialogs, ["AccountChooser"]);
        let Some(PageOutcome::Reject { name, .. }) = &run.steps[1].page else { panic!("{:?}", run.steps[1]) };
        assert_eq!(name, "NotAllowedError");
        assert!(run.steps[1].dialogs.is_empty() && run.steps[2].page.is_none());
    }
}
