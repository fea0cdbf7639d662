//! Several calls on one browser: the state that outlives a call (login
//! status, connections, `preventSilentAccess()`) carries from one to the
//! next, and the page's pending-request rules decide what a call made
//! while another is pending does (spec `#create-identity-credential`
//! step 3 and the mode gate; `#browser-api-identity-credential-disconnect`;
//! Credential Management's active credential types).
//!
//! Each call is its own machine ([`Flow`], [`DisconnectFlow`],
//! [`ImmediateFlow`]) that reads the browser state as it was when the call
//! began (decisions A54). What a call changes is merged into the session's
//! state as soon as it happens, so the next call sees it. The session is
//! sans-IO like the machines: a driver polls [`Session::next_step`] for a
//! call and answers it.

use super::browser::BrowserState;
use super::disconnect::{DisconnectFlow, DisconnectOutcome, DisconnectStep};
use super::fetch::{FetchRequest, FetchResult, RequestId};
use super::immediate::{ImmediateCall, ImmediateFlow};
use super::login_signal::{self, LoginSignal, SignalResult};
use super::outcome::Outcome;
use super::prompt::{ActionError, Prompt, UserAction};
use super::trace::Trace;
use super::user_info::{Caller, UserInfoFlow, UserInfoOutcome, UserInfoStep};
use super::{signal_already_aborted, Flow, Rp, Step, Timer, TimerId};
use crate::mutation::mutant;
use crate::options::Mode;
use crate::profile::rules::{ConcurrentDisconnect, ConcurrentGet};
use crate::profile::Profile;
use serde::Serialize;
use std::sync::Arc;
use url::Url;

/// Identifies a call within its session: the order calls were made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CallId(pub usize);

/// One call of a session, as its own machine.
#[derive(Debug, Clone)]
pub enum Call {
    /// `navigator.credentials.get({identity})`.
    Get(Box<Flow>),
    /// `IdentityCredential.disconnect()`.
    Disconnect(Box<DisconnectFlow>),
    /// A call that settled when made (`store()`, a stray `resolve()`).
    Immediate(Box<ImmediateFlow>),
    /// `IdentityProvider.getUserInfo()` from an IdP iframe in the page.
    UserInfo(Box<UserInfoFlow>),
}

impl Call {
    /// Everything the call did so far.
    pub fn trace(&self) -> &Trace {
        match self {
            Call::Get(f) => f.trace(),
            Call::Disconnect(f) => f.trace(),
            Call::Immediate(f) => f.trace(),
            Call::UserInfo(f) => f.trace(),
        }
    }

    /// The call's view of the browser, with its own changes.
    fn browser(&self) -> &BrowserState {
        match self {
            Call::Get(f) => f.browser(),
            Call::Disconnect(f) => f.browser(),
            Call::Immediate(f) => f.browser(),
            Call::UserInfo(f) => f.browser(),
        }
    }

    /// How the call settled, once it has.
    pub fn settled(&self) -> Option<Settled<'_>> {
        match self {
            Call::Get(f) => f.outcome().map(Settled::Get),
            Call::Disconnect(f) => f.outcome().map(Settled::Disconnect),
            Call::Immediate(f) => Some(Settled::Get(f.outcome())),
            Call::UserInfo(f) => f.outcome().map(Settled::UserInfo),
        }
    }

    /// A `get()` that has not settled, in its mode.
    fn pending_get(&self) -> Option<Mode> {
        match self {
            Call::Get(f) if f.outcome().is_none() => Some(f.mode()),
            _ => None,
        }
    }

    fn pending_disconnect(&self) -> bool {
        matches!(self, Call::Disconnect(f) if f.outcome().is_none())
    }
}

/// How a call of a session settled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Settled<'a> {
    /// A `get()`, `store()` or `resolve()`: the promise's outcome.
    Get(&'a Outcome),
    /// A `disconnect()`.
    Disconnect(&'a DisconnectOutcome),
    /// A `getUserInfo()`.
    UserInfo(&'a UserInfoOutcome),
}

/// What one call of the session needs next.
#[derive(Debug, Clone, PartialEq)]
pub enum CallStep {
    /// Send this request and report with [`Session::on_response`].
    Fetch(Arc<FetchRequest>),
    /// Ask the person; answer with [`Session::on_user`].
    Ask(Arc<Prompt>),
    /// Start this timer; report with [`Session::on_timer`].
    Wait(Timer),
    /// Nothing until a request handed out earlier is answered.
    Idle,
    /// The call settled ([`Session::call`] says how).
    Done,
}

/// What a call of a session is, as its log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallKind {
    /// `get()`.
    Get,
    /// `disconnect()`.
    Disconnect,
    /// `store()` or a stray `resolve()`.
    Immediate,
    /// `IdentityProvider.getUserInfo()`.
    UserInfo,
}

/// One thing that happened in a session, at the level of its calls; each
/// call's own trace says the rest. Written by the session, read by the
/// session invariants.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum SessionEvent {
    /// The session began.
    Start {
        /// The profile every call follows.
        profile: Profile,
    },
    /// A call began.
    Began {
        /// The call.
        call: CallId,
        /// What it is.
        kind: CallKind,
        /// A `get()`'s mode, once its options converted.
        mode: Option<Mode>,
        /// Whether a `get()` came with transient activation.
        activation: bool,
    },
    /// A pending `get()` was replaced by call `by`.
    Replaced {
        /// The replaced call.
        call: CallId,
        /// The call that replaced it.
        by: CallId,
    },
    /// An IdP's login-status signal, and what became of it.
    LoginSignal {
        /// The signal.
        signal: LoginSignal,
        /// Applied, ignored or refused.
        result: SignalResult,
    },
    /// The calls pending and the calls showing a prompt, after the
    /// session's state last changed.
    Now {
        /// `get()` calls not settled.
        gets: Vec<CallId>,
        /// `disconnect()` calls not settled.
        disconnects: Vec<CallId>,
        /// Calls whose dialog or pop-up is showing.
        prompts: Vec<CallId>,
    },
}

/// A call, and the browser state it last showed the session.
#[derive(Debug, Clone)]
struct Slot {
    call: Call,
    seen: BrowserState,
}

/// One page of one RP on one browser, and the calls it makes in order.
#[derive(Debug, Clone)]
pub struct Session {
    profile: Profile,
    rp: Rp,
    browser: BrowserState,
    calls: Vec<Slot>,
    log: Vec<SessionEvent>,
}

impl Session {
    /// A page of `rp` on a browser in state `browser`.
    pub fn new(rp: Rp, browser: BrowserState, profile: Profile) -> Session {
        Session { profile, rp, browser, calls: Vec::new(), log: vec![SessionEvent::Start { profile }] }
    }

    /// What happened at the level of calls, in order.
    pub fn log(&self) -> &[SessionEvent] {
        &self.log
    }

    /// Everything that decides the session's future, as text for a model
    /// checker to hash (each call's [`Flow::future_key`], the browser).
    pub fn future_key(&self) -> String {
        let mut key = format!("{:?}", self.browser);
        for s in &self.calls {
            match &s.call {
                Call::Get(f) => key.push_str(&f.future_key()),
                Call::Disconnect(f) => key.push_str(&format!("{:?}", f.outcome())),
                Call::Immediate(_) => key.push('i'),
                Call::UserInfo(f) => key.push_str(&format!("{:?}", f.outcome())),
            }
        }
        key
    }

    /// The browser state now, with every change the calls made so far.
    pub fn browser(&self) -> &BrowserState {
        &self.browser
    }

    /// The profile every call follows.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// A call made earlier; `None` for an id this session never gave out.
    pub fn call(&self, id: CallId) -> Option<&Call> {
        self.calls.get(id.0).map(|s| &s.call)
    }

    /// Every call, in the order made.
    pub fn calls(&self) -> impl Iterator<Item = (CallId, &Call)> {
        self.calls.iter().enumerate().map(|(i, s)| (CallId(i), &s.call))
    }

    /// `navigator.credentials.get(options)` with (or without) transient
    /// activation. With another `get()` pending, the call is refused
    /// (`NotAllowedError`) unless the profile lets a valid active-mode
    /// request with activation replace a pending passive one: that one
    /// then rejects (`NetworkError`) and this one starts.
    pub fn get(&mut self, options: &serde_json::Value, activation: bool) -> CallId {
        let mut browser = self.browser.clone();
        browser.transient_activation = activation;
        let pending = self.calls.iter().enumerate().find_map(|(i, s)| s.call.pending_get().map(|m| (i, m)));
        // Options that fail conversion, or an aborted signal, settle the
        // call before the page's pending request is looked at.
        let parsed = crate::options::parse(options, self.profile).ok().filter(|_| !signal_already_aborted(options));
        let pending = pending.filter(|_| !mutant!(NoPendingGetCheck));
        let mode = parsed.as_ref().map(|p| p.value.mode);
        let id = CallId(self.calls.len());
        let flow = match (pending, parsed) {
            (Some((i, pending_mode)), Some(parsed)) => {
                let modes = parsed.value.mode == Mode::Active && pending_mode == Mode::Passive;
                let replaces = self.profile.rules().concurrent_get == ConcurrentGet::ActiveReplacesPassive
                    && (modes || mutant!(ReplaceAnyMode))
                    && activation;
                if replaces {
                    if let Some(Call::Get(f)) = self.calls.get_mut(i).map(|s| &mut s.call) {
                        if !mutant!(ReplacedCallGoesOn) {
                            f.replace_by_active();
                        }
                    }
                    self.log.push(SessionEvent::Replaced { call: CallId(i), by: id });
                    self.merge(i);
                    Flow::from_json(self.rp.clone(), browser.clone(), options, self.profile)
                } else {
                    Flow::refused_as_pending(self.rp.clone(), browser.clone(), parsed.value, self.profile)
                }
            }
            _ => Flow::from_json(self.rp.clone(), browser.clone(), options, self.profile),
        };
        self.log.push(SessionEvent::Began { call: id, kind: CallKind::Get, mode, activation });
        self.push(Call::Get(Box::new(flow)), browser)
    }

    /// `IdentityCredential.disconnect(options)`; refused (`NetworkError`)
    /// while another `disconnect()` of the page is pending, where the
    /// profile says so.
    pub fn disconnect(&mut self, options: &serde_json::Value) -> CallId {
        let browser = self.browser.clone();
        let another = self.profile.rules().concurrent_disconnect == ConcurrentDisconnect::Refused
            && self.calls.iter().any(|s| s.call.pending_disconnect())
            && !mutant!(NoPendingDisconnectCheck);
        let flow = DisconnectFlow::from_json_in_page(self.rp.clone(), browser.clone(), options, self.profile, another);
        let call = CallId(self.calls.len());
        self.log.push(SessionEvent::Began { call, kind: CallKind::Disconnect, mode: None, activation: false });
        self.push(Call::Disconnect(Box::new(flow)), browser)
    }

    /// `store()` of an `IdentityCredential`, or `IdentityProvider.resolve()`
    /// outside a continuation pop-up: settled when made.
    pub fn immediate(&mut self, call: ImmediateCall) -> CallId {
        let browser = self.browser.clone();
        let flow = ImmediateFlow::new(&self.rp, browser.clone(), call, self.profile);
        let id = CallId(self.calls.len());
        self.log.push(SessionEvent::Began { call: id, kind: CallKind::Immediate, mode: None, activation: false });
        self.push(Call::Immediate(Box::new(flow)), browser)
    }

    /// `IdentityProvider.getUserInfo(options)` from an iframe of `caller`'s
    /// origin that the RP's page embeds (`framed`; else a top-level
    /// document of that origin), allowed by the permissions policy or not.
    pub fn user_info(&mut self, options: &serde_json::Value, caller: Url, framed: bool, allowed: bool) -> CallId {
        let browser = self.browser.clone();
        let who = Caller {
            top: if framed { self.rp.embedder.clone() } else { caller.clone() },
            parent: framed.then(|| self.rp.origin.clone()),
            origin: caller,
            allowed,
            connect_src: None,
        };
        let flow = UserInfoFlow::from_json(who, browser.clone(), options, self.profile);
        let id = CallId(self.calls.len());
        self.log.push(SessionEvent::Began { call: id, kind: CallKind::UserInfo, mode: None, activation: false });
        self.push(Call::UserInfo(Box::new(flow)), browser)
    }

    /// `navigator.credentials.preventSilentAccess()` from the RP's page.
    pub fn prevent_silent_access(&mut self) {
        self.browser.requires_user_mediation.insert(crate::urls::origin_string(&self.rp.origin));
    }

    /// An IdP's login-status signal from a frame: applied, ignored or
    /// refused as the profile's rules say ([`login_signal::judge`]).
    pub fn login_signal(&mut self, signal: &LoginSignal) -> SignalResult {
        let mut result = login_signal::judge(signal, self.profile.rules());
        if mutant!(LoginSignalIgnoresFrames) {
            if let (SignalResult::Ignored { .. } | SignalResult::Refused { .. }, Some(status)) =
                (&result, login_signal::status_of(signal))
            {
                result = SignalResult::Applied { status };
            }
        }
        if let SignalResult::Applied { status } = result {
            self.browser.set_login_status(&signal.origin.origin().ascii_serialization(), status);
        }
        self.log.push(SessionEvent::LoginSignal { signal: signal.clone(), result: result.clone() });
        result
    }

    /// What call `id` needs next; `Done` for an unknown id.
    pub fn next_step(&mut self, id: CallId) -> CallStep {
        let Some(slot) = self.calls.get_mut(id.0) else { return CallStep::Done };
        match &mut slot.call {
            Call::Get(f) => match f.next_step() {
                Step::Fetch(r) => CallStep::Fetch(r),
                Step::Ask(p) => CallStep::Ask(p),
                Step::Wait(t) => CallStep::Wait(t),
                Step::Idle => CallStep::Idle,
                Step::Done(_) => CallStep::Done,
            },
            Call::Disconnect(f) => match f.next_step() {
                DisconnectStep::Fetch(r) => CallStep::Fetch(r),
                DisconnectStep::Idle => CallStep::Idle,
                DisconnectStep::Done(_) => CallStep::Done,
            },
            Call::Immediate(_) => CallStep::Done,
            Call::UserInfo(f) => match f.next_step() {
                UserInfoStep::Fetch(r) => CallStep::Fetch(r),
                UserInfoStep::Idle => CallStep::Idle,
                UserInfoStep::Done(_) => CallStep::Done,
            },
        }
    }

    /// A driver's answer to a request of call `id`.
    pub fn on_response(&mut self, id: CallId, request: RequestId, result: FetchResult) {
        match self.calls.get_mut(id.0).map(|s| &mut s.call) {
            Some(Call::Get(f)) => f.on_response(request, result),
            Some(Call::Disconnect(f)) => f.on_response(request, result),
            Some(Call::UserInfo(f)) => f.on_response(request, result),
            _ => return,
        }
        self.merge(id.0);
    }

    /// The person's answer to call `id`'s prompt.
    pub fn on_user(&mut self, id: CallId, action: UserAction) -> Result<(), ActionError> {
        match self.calls.get_mut(id.0).map(|s| &mut s.call) {
            Some(Call::Get(f)) => f.on_user(action)?,
            _ => return Err(ActionError::NothingAsked),
        }
        self.merge(id.0);
        Ok(())
    }

    /// A timer of call `id` fired.
    pub fn on_timer(&mut self, id: CallId, timer: TimerId) {
        if let Some(Call::Get(f)) = self.calls.get_mut(id.0).map(|s| &mut s.call) {
            f.on_timer(timer);
            self.merge(id.0);
        }
    }

    /// The RP's `AbortSignal` of call `id` fired (a `get()`; other calls
    /// take no signal).
    pub fn abort(&mut self, id: CallId) {
        if let Some(Call::Get(f)) = self.calls.get_mut(id.0).map(|s| &mut s.call) {
            f.abort();
            self.merge(id.0);
        }
    }

    /// Lets a driver note something in call `id`'s trace.
    pub fn annotate(&mut self, id: CallId, text: impl Into<String>) {
        if let Some(Call::Get(f)) = self.calls.get_mut(id.0).map(|s| &mut s.call) {
            f.annotate(text);
        }
    }

    /// Logs the calls pending and prompting, when that changed.
    fn record_now(&mut self) {
        let mut gets = Vec::new();
        let mut disconnects = Vec::new();
        let mut prompts = Vec::new();
        for (i, s) in self.calls.iter().enumerate() {
            match &s.call {
                Call::Get(f) if f.outcome().is_none() => {
                    gets.push(CallId(i));
                    if f.is_asking() {
                        prompts.push(CallId(i));
                    }
                }
                Call::Disconnect(f) if f.outcome().is_none() => disconnects.push(CallId(i)),
                _ => {}
            }
        }
        let now = SessionEvent::Now { gets, disconnects, prompts };
        let last = self.log.iter().rev().find(|e| matches!(e, SessionEvent::Now { .. }));
        if last != Some(&now) {
            self.log.push(now);
        }
    }

    fn push(&mut self, call: Call, seen: BrowserState) -> CallId {
        self.calls.push(Slot { call, seen });
        let i = self.calls.len() - 1;
        self.merge(i);
        CallId(i)
    }

    /// Carries what call `i` changed since it last reported into the
    /// session's state: a change is applied, so what another source set
    /// in between survives where the call did not touch it.
    fn merge(&mut self, i: usize) {
        self.record_now();
        let Some(slot) = self.calls.get_mut(i) else { return };
        let now = slot.call.browser();
        if *now == slot.seen {
            return;
        }
        let before = &slot.seen;
        let b = &mut self.browser;
        for origin in before.login_status.keys().chain(now.login_status.keys()) {
            let status = now.login_status(origin);
            if before.login_status(origin) != status {
                b.set_login_status(origin, status);
            }
        }
        for c in before.connections.iter().filter(|c| !now.connections.contains(*c)) {
            b.disconnect(c);
        }
        // New connections, and ones the call used again, in the order it
        // used them.
        for c in now.connections.by_use() {
            if before.connections.last_used(c) != now.connections.last_used(c) {
                b.connect(c.clone());
            }
        }
        for o in before.requires_user_mediation.difference(&now.requires_user_mediation) {
            b.requires_user_mediation.remove(o);
        }
        for o in now.requires_user_mediation.difference(&before.requires_user_mediation) {
            b.requires_user_mediation.insert(o.clone());
        }
        slot.seen = now.clone();
    }
}
